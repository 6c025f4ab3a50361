"""The layer rule import-linter checks statically, checked again at run time: no Textual below the UI."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).parent.parent.parent
UI_PACKAGES = ("kiosk.app", "kiosk.board")  # the Textual apps: the kiosk and the display board


def _non_ui_modules() -> list[str]:
    names = []
    for package in ["config", "devices", "offline_cache", "kiosk"]:
        for path in sorted((ROOT / package).rglob("*.py")):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__")
            if not module.startswith(UI_PACKAGES) and not module.endswith("__main__"):
                names.append(module)
    return names


def test_domain_storage_and_devices_never_load_textual():
    modules = _non_ui_modules()
    code = "import importlib, sys\n" + "".join(f"importlib.import_module({m!r})\n" for m in modules)
    code += "print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    assert result.stdout.strip() == "False"


def test_the_app_is_everything_a_screen_may_ask_of_it(app):
    from screens.shell import KioskShell

    assert isinstance(app, KioskShell)
