import subprocess
import sys
from pathlib import Path

import pytest

from config import shipped_settings_path
from config.settings import Settings, SettingsError, load_settings


def test_shipped_file_documents_every_field_at_its_default():
    loaded = load_settings(shipped_settings_path())
    assert loaded == Settings()
    text = shipped_settings_path().read_text(encoding="utf-8")
    for section, model in Settings.model_fields.items():
        assert f"[{section}]" in text
        for field in model.annotation.model_fields:
            assert field in text, f"{section}.{field} is not documented in kiosk.toml"


def test_environment_overrides_the_file(tmp_path, monkeypatch):
    path = tmp_path / "kiosk.toml"
    path.write_text('[station]\nid = "HT01"\n', encoding="utf-8")
    monkeypatch.setenv("KIOSK_STATION__ID", "HT02")
    assert load_settings(path).station.id == "HT02"


def test_kiosk_config_variable_names_the_file(tmp_path, monkeypatch):
    path = tmp_path / "elsewhere.toml"
    path.write_text("[session]\nidle_timeout_seconds = 300\n", encoding="utf-8")
    monkeypatch.setenv("KIOSK_CONFIG", str(path))
    assert load_settings().session.idle_timeout_seconds == 300


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            "[session]\nidle_timeout_seconds = 5\n",
            r"kiosk.toml: \[session\] idle_timeout_seconds: .*greater than or equal to 15",
        ),
        ("[station]\ncolour = 'red'\n", r"\[station\] colour: unknown setting"),
        ("[printer]\n", r"unknown section \[printer\]"),
        ("[station\n", "not valid TOML"),
    ],
)
def test_bad_file_gives_one_message_naming_file_and_field(tmp_path, content, message):
    path = tmp_path / "kiosk.toml"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(SettingsError, match=message):
        load_settings(path)


def test_cli_exits_2_without_traceback_on_a_bad_file(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[devices]\nprinter = 'laser'\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(path), "catalog", "list"],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parent.parent.parent,
    )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert f"{path}: [devices] printer:" in result.stderr
