"""The hall's holiday table: seeded from ``chinese-calendar``, imported by staff with the real command line,
pulled by kiosks from a real hall on loopback."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import requests

from kiosk.cli import main
from kiosk.hall.holidays import library_days, seed_holidays
from kiosk.hall.models import HolidayDay
from kiosk.hall.runner import HallServer
from kiosk.hall.sqlite_storage import SqliteHallStorage

HOLIDAYS_2027 = Path(__file__).parent.parent / "holidays_2027.csv"


def rows_2027() -> list[dict[str, str]]:
    with HOLIDAYS_2027.open(encoding="utf-8") as file:
        return list(csv.DictReader(file))


def import_file(hall: HallServer, path: Path) -> int:
    return main(["hall", "holidays", "import", str(path), *hall.database_options])


def listed(hall: HallServer, capsys, *options: str) -> list[dict[str, str]]:
    """What ``kiosk hall holidays list --json`` prints."""
    capsys.readouterr()
    assert main(["hall", "holidays", "list", *hall.database_options, "--json", *options]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def token(hall) -> str:
    """An enrolled kiosk's bearer token."""
    return hall.storage.enroll(hall.storage.new_enrolment_code(), "DEMO01", "幸福村代办点").token


def pull(hall, token: str, since: object) -> requests.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return requests.get(hall.url + "/v1/holidays", params={"since": since}, headers=headers, timeout=10)


def test_a_new_hall_seeds_its_table_from_the_library_on_its_first_start_only(tmp_path, capsys):
    db = tmp_path / "hall.db"
    first = HallServer(db)
    seeded = first.storage.holidays()
    assert seeded == library_days() and len(seeded) > 700
    assert HolidayDay(date="2026-10-01", kind="holiday", name="国庆节") in seeded
    assert HolidayDay(date="2026-10-10", kind="workday", name="国庆节") in seeded  # an adjusted working Saturday
    assert first.storage.holiday_changes(0).version == 1

    take_out = tmp_path / "take-out.csv"
    take_out.write_text("date,kind,name\n2026-10-07,normal,\n", encoding="utf-8")
    assert import_file(first, take_out) == 0
    assert "移除 1" in capsys.readouterr().out
    first.storage.close()

    again = HallServer(db)  # the hall starts again: the staff's change stands, nothing is seeded twice
    assert not seed_holidays(again.storage)
    assert "2026-10-07" not in {day.date for day in again.storage.holidays(2026)}
    assert again.storage.holiday_changes(0).version == 2
    again.storage.close()


def test_a_day_imported_before_the_first_start_stays_the_staffs(tmp_path):
    storage = SqliteHallStorage(tmp_path / "hall.db")
    ours = HolidayDay(date="2026-10-01", kind="holiday", name="国庆节（大厅调整）")
    storage.import_holidays([ours])
    assert seed_holidays(storage)
    assert ours in storage.holidays(2026)
    storage.close()


def test_staff_import_a_csv_then_correct_it_with_json(hall, tmp_path, capsys):
    assert import_file(hall, HOLIDAYS_2027) == 0
    assert "新增 35、修改 0、移除 0、未变 0 天" in capsys.readouterr().out
    assert listed(hall, capsys, "--year", "2027") == rows_2027()
    assert import_file(hall, HOLIDAYS_2027) == 0  # the same file again changes nothing
    assert "未变 35 天" in capsys.readouterr().out
    assert hall.storage.holiday_changes(0).version == 2

    correction = tmp_path / "correction.json"
    correction.write_text(
        json.dumps(
            [
                {"date": "2027-10-08", "kind": "holiday", "name": "国庆节"},
                {"date": "2027-10-09", "kind": "normal", "name": ""},
                {"date": "2027-09-15", "kind": "holiday", "name": "中秋节"},
                {"date": "2027-06-09", "kind": "holiday", "name": "端午"},
            ],
            ensure_ascii=False,
            indent=1,
        ),
        encoding="utf-8",
    )
    assert import_file(hall, correction) == 0
    assert "新增 1、修改 1、移除 1、未变 1 天，表的版本 3" in capsys.readouterr().out
    days = {day["date"]: day for day in listed(hall, capsys, "--year", "2027")}
    assert days["2027-10-08"] == {"date": "2027-10-08", "kind": "holiday", "name": "国庆节"}
    assert days["2027-06-09"]["name"] == "端午" and "2027-10-09" not in days
    assert len(days) == 35

    assert main(["hall", "holidays", "list", *hall.database_options, "--year", "2027"]) == 0
    out = capsys.readouterr().out
    assert "2027-09-26  周日  调休上班  国庆节" in out and "2027-10-08  周五  放假" in out
    assert main(["hall", "holidays", "list", *hall.database_options, "--year", "2031"]) == 0
    assert "没有这一年" in capsys.readouterr().out


GOOD = "2027-10-01,holiday,国庆节\n"
BAD_FILES = {
    "a bad date": ("csv", f"date,kind,name\n{GOOD}2027-13-01,holiday,国庆节\n", [3]),
    "an unknown kind": ("csv", "date,kind,name\n2027-10-01,rest,国庆节\n", [2]),
    "a date twice": ("csv", f"date,kind,name\n{GOOD}2027-10-02,holiday,国庆节\n{GOOD}", [4]),
    "a weekday worked in exchange": ("csv", "date,kind,name\n2027-09-27,workday,国庆节\n", [2]),
    "a holiday without a name": ("csv", "date,kind,name\n2027-10-01,holiday,\n", [2]),
    "a row of two columns": ("csv", f"date,kind,name\n{GOOD}\n2027-10-02,holiday\n", [4]),
    "no header": ("csv", GOOD, [1]),
    "several problems": ("csv", "date,kind,name\n2027-10-1,holiday,国庆节\n2027-10-32,off,\n", [2, 3, 3]),
    "JSON with a bad date": (
        "json",
        '[\n  {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"},\n  {"date": "2027-10-32",\n'
        '   "kind": "holiday", "name": "国庆节"}\n]\n',
        [3],
    ),
    "JSON with a date twice": (
        "json",
        '[{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"},\n'
        ' {"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}]',
        [2],
    ),
    "JSON that does not parse": ("json", '[\n{"date": "2027-10-01",\n]', [3]),
    "JSON that is not a list": ("json", '{"date": "2027-10-01", "kind": "holiday", "name": "国庆节"}', [1]),
    "JSON with an item that is not an object": ("json", '[\n"2027-10-01"\n]', [2]),
    "a file in GBK": ("csv", None, [0]),
    "only the header": ("csv", "date,kind,name\n", [0]),
}


@pytest.mark.parametrize("case", BAD_FILES)
def test_a_bad_file_names_each_problem_with_its_line_and_imports_nothing(case, hall, tmp_path, capsys):
    suffix, text, lines = BAD_FILES[case]
    path = tmp_path / f"holidays.{suffix}"
    if text is None:
        path.write_bytes(f"date,kind,name\n{GOOD}".encode("gbk"))
    else:
        path.write_text(text, encoding="utf-8")
    before = hall.storage.holiday_changes(0)
    assert import_file(hall, path) == 2
    *problems, summary = capsys.readouterr().err.splitlines()
    assert [p.split(": ", 1)[0] for p in problems] == [f"{path}:{line}" if line else str(path) for line in lines]
    assert f"{len(lines)} 处问题，什么都没有导入" in summary
    assert hall.storage.holiday_changes(0) == before


def test_kiosks_pull_the_table_by_version(hall, token, tmp_path):
    full = pull(hall, token, 0)
    assert full.status_code == 200
    assert full.json()["version"] == 1
    assert [HolidayDay(**day) for day in full.json()["days"]] == library_days()
    assert pull(hall, token, 1).json() == {"version": 1, "days": []}

    assert import_file(hall, HOLIDAYS_2027) == 0
    changed = pull(hall, token, 1).json()
    assert changed["version"] == 2 and changed["days"] == rows_2027()  # only the new days, in date order
    fix = tmp_path / "fix.csv"
    fix.write_text("date,kind,name\n2027-10-09,normal,\n2026-10-07,normal,\n", encoding="utf-8")
    assert import_file(hall, fix) == 0
    assert pull(hall, token, 2).json() == {
        "version": 3,
        "days": [
            {"date": "2026-10-07", "kind": "normal", "name": ""},
            {"date": "2027-10-09", "kind": "normal", "name": ""},
        ],
    }

    staff = {"Authorization": f"Bearer {hall.storage.new_staff_token()}"}
    assert requests.get(hall.url + "/v1/holidays", headers=staff, timeout=10).status_code == 403
    assert requests.get(hall.url + "/v1/holidays", timeout=10).status_code == 401
    assert pull(hall, token, -1).status_code == 422


def test_the_openapi_document_publishes_the_holiday_table(hall):
    document = requests.get(hall.url + "/openapi.json", timeout=10).json()
    operation = document["paths"]["/v1/holidays"]["get"]
    assert {"200", "401", "403", "422"} <= set(operation["responses"])
    assert [p["name"] for p in operation["parameters"]] == ["since"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/HolidayChanges"}
    schemas = document["components"]["schemas"]
    day = schemas["HolidayDay"]
    assert "调休上班" in day["description"] and day["properties"]["kind"]["enum"] == ["holiday", "workday", "normal"]
    assert day["properties"]["date"]["format"] == "date" and "国庆节" in day["properties"]["name"]["description"]
    assert "since" in schemas["HolidayChanges"]["properties"]["version"]["description"]
