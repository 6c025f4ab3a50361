"""Settings and shipped data: the settings schema and loader, ``kiosk.toml``, the sample catalog."""

from pathlib import Path

CONFIG_DIR = Path(__file__).parent


def default_catalog_path() -> Path:
    """The folder of the shipped sample catalog (one TOML file per department)."""
    return CONFIG_DIR / "catalog"


def shipped_settings_path() -> Path:
    """The shipped, commented ``kiosk.toml`` with every setting at its default."""
    return CONFIG_DIR / "kiosk.toml"
