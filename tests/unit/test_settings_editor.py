"""The technician's settings editor and ``kiosk pin``: typed, validated before the file is touched, comments kept,
the old file backed up."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest

from config import shipped_settings_path
from config.editor import (
    InvalidSetting,
    backup_path,
    editable_fields,
    save_settings,
    set_secret,
    set_staff_member,
)
from config.settings import Settings, SettingsError, StaffMember, load_settings
from kiosk.cli import main
from kiosk.pin import verify_secret
from kiosk.staff import staff_by_badge, staff_by_pin

COMMENT = "# Short code of this kiosk (2-8 capital letters or digits)"


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "kiosk.toml"
    shutil.copy(shipped_settings_path(), target)
    return target


def test_editable_fields_are_the_scalar_settings_with_type_value_and_doc():
    fields = {(f.section, f.name): f for f in editable_fields(Settings())}
    assert {section for section, _ in fields} == {"station", "session", "queue", "devices", "sync", "accessibility"}
    assert fields["session", "idle_timeout_seconds"].type == "int"
    assert fields["session", "idle_timeout_seconds"].value == 120
    assert fields["sync", "timeout_seconds"].type == "float"
    assert fields["devices", "native_qr"].type == "bool"
    assert fields["devices", "paper_width_mm"].choices == (58, 80)
    assert fields["devices", "photo_decoder"].type == "path"
    assert fields["devices", "photo_decoder"].optional
    assert fields["devices", "photo_decoder"].text == ""
    assert fields["station", "name"].doc.startswith("The name shown on the welcome screen")
    assert all(field.doc for field in fields.values())


def test_a_valid_change_is_saved_typed_with_comments_and_a_backup(path):
    before = path.read_text(encoding="utf-8")
    saved = save_settings(
        path,
        {
            "station": {"name": "  城关镇便民服务中心 "},
            "session": {"idle_timeout_seconds": "300"},
            "devices": {"paper_width_mm": "80", "native_qr": "否", "photo_decoder": "/opt/reader/libwlt2bmp.so"},
            "sync": {"timeout_seconds": "15"},
        },
    )
    assert saved.station.name == "城关镇便民服务中心"
    text = path.read_text(encoding="utf-8")
    assert COMMENT in text
    assert "idle_timeout_seconds = 300\n" in text  # a number, not the text typed
    assert "paper_width_mm = 80\n" in text
    assert "native_qr = false\n" in text
    assert backup_path(path).read_text(encoding="utf-8") == before
    loaded = load_settings(path)
    assert loaded.session.idle_timeout_seconds == 300
    assert loaded.devices.paper_width_mm == 80
    assert loaded.devices.native_qr is False
    assert loaded.devices.photo_decoder == Path("/opt/reader/libwlt2bmp.so")
    assert loaded.sync.timeout_seconds == 15.0
    assert sorted(p.name for p in path.parent.iterdir()) == ["kiosk.toml", "kiosk.toml.bak"]  # no temp file left

    save_settings(path, {"devices": {"photo_decoder": ""}})  # empty: unset again
    assert load_settings(path).devices.photo_decoder is None


@pytest.mark.parametrize(
    ("changes", "section", "name", "message"),
    [
        ({"session": {"idle_timeout_seconds": "5"}}, "session", "idle_timeout_seconds", "greater than or equal to 15"),
        ({"session": {"idle_timeout_seconds": "two"}}, "session", "idle_timeout_seconds", "valid integer"),
        ({"station": {"id": "ht-01"}}, "station", "id", "pattern"),
        ({"devices": {"paper_width_mm": "76"}}, "devices", "paper_width_mm", "58 or 80"),
        ({"devices": {"native_qr": "maybe"}}, "devices", "native_qr", "是 or 否"),
        ({"station": {"colour": "red"}}, "station", "colour", "unknown setting"),
        ({"access": {"max_tries": "99"}}, "access", "", "not editable"),
    ],
)
def test_an_invalid_value_is_refused_naming_the_field_and_the_file_is_untouched(path, changes, section, name, message):
    before = path.read_bytes()
    with pytest.raises(InvalidSetting, match=message) as refused:
        save_settings(path, changes)
    assert (refused.value.section, refused.value.name) == (section, name)
    assert str(refused.value).startswith(f"{path}: [{section}]")
    assert path.read_bytes() == before
    assert not backup_path(path).exists()


def test_the_whole_file_is_validated_not_only_the_change(path):
    path.write_text(path.read_text(encoding="utf-8").replace("max_tries = 5", "max_tries = 0"), encoding="utf-8")
    with pytest.raises(InvalidSetting, match=r"\[access\] max_tries") as refused:
        save_settings(path, {"station": {"name": "新名字"}})
    assert (refused.value.section, refused.value.name) == ("access", "max_tries")
    assert "新名字" not in path.read_text(encoding="utf-8")


def test_a_missing_file_starts_from_the_shipped_one(tmp_path):
    path = tmp_path / "etc" / "kiosk.toml"
    save_settings(path, {"station": {"id": "HT01"}})
    assert COMMENT in path.read_text(encoding="utf-8")
    assert load_settings(path).station.id == "HT01"
    assert not backup_path(path).exists()


def test_a_file_that_is_not_toml_is_reported(tmp_path):
    path = tmp_path / "kiosk.toml"
    path.write_text("[station\n", encoding="utf-8")
    with pytest.raises(SettingsError, match="not valid TOML"):
        save_settings(path, {"station": {"name": "x"}})


def test_secrets_and_staff_are_written_as_tables(path):
    set_secret(path, "access.technician_pin_hash", "scrypt$hash")
    set_staff_member(path, StaffMember(id="D001", name="李代办", pin_hash="p1"))
    set_staff_member(path, StaffMember(id="D002", name="王五", pin_hash="p2", badge_hash="b2"))
    set_staff_member(path, StaffMember(id="D001", name="李代办", pin_hash="p3"))  # replaced, not added
    text = path.read_text(encoding="utf-8")
    assert text.count("\n[[access.staff]]\n") == 2
    assert "# The agency staff" in text
    access = load_settings(path).access
    assert access.technician_pin_hash == "scrypt$hash"
    assert [(m.id, m.pin_hash, m.badge_hash) for m in access.staff] == [("D001", "p3", ""), ("D002", "p2", "b2")]


def _kiosk(path: Path, monkeypatch, stdin: str, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["--config", str(path), "pin", *args, "--pin-stdin"])


def test_kiosk_pin_technician_writes_a_hash_that_verifies(path, monkeypatch, capsys):
    assert _kiosk(path, monkeypatch, "246810\n", "technician") == 0
    stored = load_settings(path).access.technician_pin_hash
    assert stored.startswith("scrypt$")
    assert verify_secret("246810", stored)
    assert "246810" not in path.read_text(encoding="utf-8")
    assert f"原文件备份为 {backup_path(path)}" in capsys.readouterr().out
    assert backup_path(path).exists()


@pytest.mark.parametrize("pin", ["12345", "1234567890123", "12ab56", ""])
def test_kiosk_pin_technician_refuses_a_pin_that_is_not_6_to_12_digits(path, monkeypatch, capsys, pin):
    before = path.read_bytes()
    assert _kiosk(path, monkeypatch, pin + "\n", "technician") == 2
    assert "6-12 位数字" in capsys.readouterr().err
    assert path.read_bytes() == before


def test_kiosk_pin_staff_adds_a_member_with_pin_and_badge(path, monkeypatch):
    assert _kiosk(path, monkeypatch, "2468\n", "staff", "D002", "王五", "--badge", "B-2") == 0
    members = load_settings(path).access.staff
    assert [(m.id, m.name) for m in members] == [("D002", "王五")]
    assert verify_secret("2468", members[0].pin_hash)
    assert verify_secret("B-2", members[0].badge_hash)
    assert staff_by_pin(members, "2468").label == "王五（工号 D002）"
    assert staff_by_badge(members, "B-2").id == "D002"


def test_kiosk_pin_staff_refuses_a_bad_staff_number(path, monkeypatch, capsys):
    before = path.read_bytes()
    assert _kiosk(path, monkeypatch, "2468\n", "staff", "D 2", "王五") == 2
    assert "[access] staff.0.id" in capsys.readouterr().err
    assert path.read_bytes() == before
