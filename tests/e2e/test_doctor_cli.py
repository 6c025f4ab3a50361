"""``kiosk doctor`` run as a technician runs it: simulated devices on their real transports, a real hall on
loopback, real settings files and data folders; once in a process of its own, for the exit status."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from config.settings import Settings
from kiosk.cli import main
from kiosk.demo import demo_settings, start_demo_hall
from kiosk.enrolment import enrol
from kiosk.pin import hash_secret
from offline_cache import Store
from tests.unit.test_doctor_fonts import truetype

ROOT = Path(__file__).parent.parent.parent
NAMES = [
    "settings",
    "reader_port",
    "scanner_port",
    "udev",
    "reader",
    "printer",
    "font",
    "font_extension_b",
    "voice",
    "display",
    "data_dir",
    "disk_space",
    "files",
    "database",
    "wal",
    "enrolled",
    "hall",
    "tls",
    "clock",
    "holidays",
    "outbox",
]


def doctor(capsys, *args: str) -> tuple[int, str]:
    """The command's exit code and what it printed, run in this process (a process costs three seconds)."""
    code = main(list(args))
    return code, capsys.readouterr().out


@pytest.fixture
def config(tmp_path) -> Path:
    """A kiosk with simulated devices, a font with Chinese glyphs, voice off and a technician PIN."""
    font = tmp_path / "cjk.ttf"
    font.write_bytes(truetype("政务服务"))
    path = tmp_path / "kiosk.toml"
    path.write_text(
        f'[storage]\ndata_dir = "{tmp_path / "data"}"\n'
        f'[devices]\ncard_reader = "simulator"\nscanner = "simulator"\nprinter = "sim://"\nfont_path = "{font}"\n'
        f'[accessibility]\nvoice = false\n[access]\ntechnician_pin_hash = "{hash_secret("123456")}"\n',
        encoding="utf-8",
    )
    return path


@pytest.fixture
def enrolled(config, hall) -> Path:
    """The kiosk of ``config`` enrolled with the hall, holding the hall's table for this year and the next (the
    shipped ``chinese-calendar`` stops at the end of its release's year)."""
    store = Store(config.parent / "data" / "kiosk.db")
    try:
        enrol(store, Settings(), hall.url, hall.storage.new_enrolment_code())
        year = date.today().year
        store.apply_holiday_changes(
            1, [{"date": f"{y}-01-01", "kind": "holiday", "name": "元旦"} for y in (year, year + 1)]
        )
    finally:
        store.close()
    return config


@pytest.mark.skipif(
    shutil.which("cage") is None or shutil.which("foot") is None,
    reason="no cage, foot (CI has them)",
)
def test_a_kiosk_where_everything_answers_passes_with_a_line_each(enrolled):
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(enrolled), "doctor"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = [line for line in result.stdout.splitlines() if line and line[0] in "✓!·✗"]
    assert len(lines) == len(NAMES) and not any(line.startswith("✗") for line in lines)
    assert f"共 {len(NAMES)} 项：0 项有问题" in result.stdout and result.stderr == ""


def test_json_has_one_object_per_check(enrolled, capsys):
    code, out = doctor(capsys, "--config", str(enrolled), "doctor", "--json")
    assert code == 0, out
    checks = json.loads(out)
    assert [check["name"] for check in checks] == NAMES
    for check in checks:
        assert set(check) == {"name", "ok", "level", "detail", "fix"}
        assert check["ok"] is (check["level"] != "fail") and check["detail"]
    assert {check["name"]: check["level"] for check in checks}["hall"] == "ok"


def test_an_unenrolled_kiosk_fails_and_says_how_to_enrol(config, capsys):
    code, out = doctor(capsys, "--config", str(config), "doctor", "--json")
    assert code == 1
    checks = {check["name"]: check for check in json.loads(out)}
    assert checks["enrolled"]["ok"] is False and "kiosk enroll" in checks["enrolled"]["fix"]
    assert checks["hall"]["level"] == "note" and checks["reader"]["ok"]


def test_a_stopped_hall_fails(enrolled, hall, capsys):
    hall.stop()
    code, out = doctor(capsys, "--config", str(enrolled), "doctor")
    assert code == 1
    assert any(line.startswith("✗") and hall.url in line for line in out.splitlines())


def test_bad_settings_are_the_one_line_and_fail(tmp_path, capsys):
    config = tmp_path / "kiosk.toml"
    config.write_text('[devices]\nprinter = "lpt1"\n', encoding="utf-8")
    code, out = doctor(capsys, "--config", str(config), "doctor")
    assert code == 1
    first, fix = out.splitlines()[:2]
    assert first.startswith("✗ 设置有误") and "printer" in first and "config/kiosk.toml" in fix


def test_a_demo_folder_is_checked_with_its_hall(tmp_path, capsys):
    folder = tmp_path / "demo"
    hall = start_demo_hall(demo_settings(folder), folder)  # what `kiosk demo` starts, board.json and all
    try:
        _code, out = doctor(capsys, "doctor", "--demo-dir", str(folder), "--json")
    finally:
        hall.stop()
    checks = {check["name"]: check for check in json.loads(out)}
    assert set(checks) == set(NAMES)
    for name in ("settings", "reader_port", "reader", "printer", "database", "enrolled", "hall", "tls", "clock"):
        assert checks[name]["level"] == "ok", checks[name]
    assert hall.url in checks["hall"]["detail"]


def test_a_folder_without_a_demo_fails(tmp_path, capsys):
    code, out = doctor(capsys, "doctor", "--demo-dir", str(tmp_path))
    assert code == 1 and "board.json" in out and "kiosk demo" in out
