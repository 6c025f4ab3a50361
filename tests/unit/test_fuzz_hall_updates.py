"""Bad input fuzzed: the catalog and holiday table, as the hall sends them and as catalog files hold them.

What the hall sends is JSON, so any JSON value may stand where the kiosk expects an item, a day or a version. The
pulls keep what they can use and refuse an answer they cannot read (``NotTheHall``, which the sync engine handles);
``Catalog.with_changes`` skips an item that does not validate with a log line; ``WorkingCalendar.from_rows`` leaves
out a row that is not a day. ``load_catalog`` raises CatalogError for any file it cannot use. Nothing else may
escape, and what the pulls kept must load again.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import logging
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from config import default_catalog_path
from kiosk.catalog import Catalog, CatalogError, ServiceItem, load_catalog
from kiosk.workdays import WorkingCalendar
from offline_cache import NewSubmission, Store
from offline_cache.envelope import HallKeyPair
from offline_cache.errors import NotTheHall
from offline_cache.pulls import Pulls
from offline_cache.store import Enrolment
from tests.fuzzing import FUZZ, JSON, mostly, toml_string

NOW = datetime(2026, 11, 23, 10, 0)
HALL_KEY = HallKeyPair.generate().public_text
SHIPPED = load_catalog()
SAMPLE_ITEMS = [item.model_dump(mode="json", exclude_none=True) for item in SHIPPED]
CODES = sorted(item.code for item in SHIPPED)

ODD_TEXT = st.sampled_from(["", " ", "\x00", "\ud800", "a\udfffb", "\n", "长" * 5000, "MZ0001\x00", "ＭＺ０００１"])


@st.composite
def changed(draw, value: object) -> object:
    """``value`` with one part changed: in an object a member changed, dropped or added; in a list an element
    changed, dropped or doubled; otherwise replaced by odd text or any JSON value."""
    if isinstance(value, dict) and value and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(sorted(value)))
        what = draw(st.sampled_from(["member", "drop", "add"]))
        if what == "drop":
            return {k: v for k, v in value.items() if k != key}
        if what == "add":
            return value | {draw(st.text(max_size=10) | st.just(key + "_")): draw(JSON)}
        return value | {key: draw(changed(value[key]))}
    if isinstance(value, list) and value and draw(st.integers(0, 3)):
        at = draw(st.integers(0, len(value) - 1))
        what = draw(st.sampled_from(["element", "drop", "double"]))
        if what == "drop":
            return value[:at] + value[at + 1 :]
        if what == "double":
            return [*value[: at + 1], value[at], *value[at + 1 :]]
        return [*value[:at], draw(changed(value[at])), *value[at + 1 :]]
    return draw(ODD_TEXT | JSON)


@st.composite
def near_items(draw) -> dict:
    """A real item after one to three changes, or unchanged now and then."""
    item = draw(st.sampled_from(SAMPLE_ITEMS))
    for _ in range(draw(st.integers(0, 3))):
        item = draw(changed(item))
    return item


class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@contextlib.contextmanager
def warnings_of(logger: str) -> Iterator[list[str]]:
    handler = _Warnings()
    target = logging.getLogger(logger)
    level = target.level
    target.setLevel(logging.WARNING)  # whatever an earlier test's command line left the root logger at
    target.addHandler(handler)
    try:
        yield handler.messages
    finally:
        target.removeHandler(handler)
        target.setLevel(level)


def _validates(raw: object) -> bool:
    try:
        ServiceItem.model_validate(raw)
    except ValidationError:
        return False
    return True


def _usable(catalog: Catalog) -> None:
    """The catalog lists, sorts and searches: its index took every item in."""
    assert all(isinstance(item, ServiceItem) for item in catalog)
    assert isinstance(catalog.departments, list)
    for item in list(catalog)[:3]:
        assert item in catalog.search(item.code)


# The catalog changes the hall sends

_changes = st.dictionaries(
    st.sampled_from(CODES) | st.text(max_size=8),
    st.none() | near_items() | JSON,
    max_size=4,
)


@settings(FUZZ, max_examples=200)
@given(_changes)
def test_any_catalog_changes_give_a_catalog_and_a_log_line_for_each_skipped_item(changes):
    with warnings_of("kiosk.catalog") as warned:
        catalog = SHIPPED.with_changes(changes)
    _usable(catalog)
    for code, raw in changes.items():
        if raw is not None and not _validates(raw):
            assert any(code in message for message in warned)


# The pulls of /v1/catalog and /v1/holidays, into a real store


class _Hall:
    """What HallClient.catalog and .holidays hand over once they have checked the answer: a JSON object holding the
    keys they ask for, whatever their values."""

    def __init__(self, update: dict) -> None:
        self.update = update

    def catalog(self, since: int) -> dict:
        return self.update

    def holidays(self, since: int) -> dict:
        return self.update

    def cases(self, since: int) -> dict:
        return self.update


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    """A new, empty store for each example (what one pull keeps must not depend on the examples before it)."""
    folder = tmp_path_factory.mktemp("stores")
    numbered = itertools.count()

    @contextlib.contextmanager
    def new_store() -> Iterator[Store]:
        path = folder / f"kiosk-{next(numbered)}.db"
        store = Store(path)
        try:
            yield store
        finally:
            store.close()
            for leftover in folder.glob(path.name + "*"):
                leftover.unlink()

    return new_store


# Mostly the usual shape: an answer wrong everywhere is refused at its first fault and leaves the rest untried.
_versions = mostly(
    st.integers(1, 20), st.integers(-2, 0) | st.integers(2**63 - 2, 2**70) | st.sampled_from(["7", "七", "1e3"]) | JSON
)
_catalog_updates = st.fixed_dictionaries(
    {
        "version": _versions,
        "items": mostly(st.lists(near_items() | JSON, max_size=4), JSON),
        "removed": mostly(st.lists(st.sampled_from(CODES) | ODD_TEXT | JSON, max_size=4), JSON),
    }
)
_dates = mostly(st.sampled_from(["2027-10-01", "2027-10-09", "9999-12-31", "0001-01-01"]), ODD_TEXT | JSON)
_kinds = mostly(st.sampled_from(["holiday", "workday", "normal"]), st.just("Holiday") | JSON)
_names = mostly(st.sampled_from(["国庆节", ""]), ODD_TEXT | JSON)
_day_rows = mostly(
    st.fixed_dictionaries({"date": _dates, "kind": _kinds, "name": _names}),
    st.fixed_dictionaries({}, optional={"date": _dates, "kind": _kinds, "name": _names}) | JSON,
)
_holiday_updates = st.fixed_dictionaries({"version": _versions, "days": mostly(st.lists(_day_rows, max_size=6), JSON)})


@settings(FUZZ, max_examples=100)
@given(_catalog_updates)
# Found by this test: each escaped as ValueError, TypeError, sqlite3's OverflowError or UnicodeEncodeError.
@example({"version": "七", "items": [], "removed": []})
@example({"version": 3, "items": None, "removed": []})
@example({"version": 2**63, "items": [], "removed": ["MZ0001"]})
@example({"version": 3, "items": [{"code": "MZ0001", "name": "\ud800"}], "removed": ["\udfff"]})
def test_any_catalog_answer_is_kept_in_part_or_refused_and_what_is_kept_loads(stores, update):
    with stores() as store:
        try:
            assert isinstance(Pulls(store).catalog(_Hall(update)), bool)
        except NotTheHall:
            pass
        _usable(SHIPPED.with_changes(store.catalog_changes()))


@settings(FUZZ, max_examples=100)
@given(_holiday_updates)
@example({"version": 3, "days": [{"date": "2027-10-01", "kind": "holiday", "name": "\ud800"}]})  # found by this test
def test_any_holiday_answer_is_kept_in_part_or_refused_and_what_is_kept_counts(stores, update):
    with stores() as store:
        try:
            assert isinstance(Pulls(store).holidays(_Hall(update)), bool)
        except NotTheHall:
            pass
        calendar = WorkingCalendar.from_rows(store.holiday_table())
        assert calendar.add_working_days(date(2027, 9, 20), 15)[0] > date(2027, 9, 20)


_texts = mostly(st.sampled_from(["DEMO01-261123-0001-X", "C2026000001", "accepted", "done"]), ODD_TEXT | JSON)
_states = mostly(st.sampled_from(["", "pending", "paid", "awaiting", "received"]), ODD_TEXT | JSON)
_case_rows = mostly(
    st.fixed_dictionaries(
        {"serial": _texts, "case_number": _texts, "stage": _texts},
        optional={"payment_state": _states, "materials_state": _states},
    ),
    JSON,
)
_case_pages = st.fixed_dictionaries({"cursor": _versions, "cases": mostly(st.lists(_case_rows, max_size=5), JSON)})


@settings(FUZZ, max_examples=100)
@given(_case_pages)
@example({"cursor": 3, "cases": [{"serial": "S", "case_number": "C", "stage": {}}]})  # found by this test
@example({"cursor": "七", "cases": []})
@example({"cursor": 3, "cases": None})
@example({"cursor": 3, "cases": [{"serial": "S", "case_number": "C", "stage": "\ud800"}]})
def test_any_case_progress_answer_is_kept_in_part_or_refused_and_the_next_pull_runs(stores, page):
    with stores() as store:
        store.enrol(Enrolment("http://127.0.0.1:9", "K1", "DEMO01", "token", HALL_KEY, "2026-11-23T09:00:00"))
        filed = store.add_submission(
            NewSubmission("00000000-0000-4000-8000-000000000001", "MZ0001", "老年人优待证办理", NOW, {}, {}),
            lambda seq: "DEMO01-261123-0001-X",
        )
        try:
            assert isinstance(Pulls(store).cases(_Hall(page)), bool)
        except NotTheHall:
            pass
        cursor = store.mirror_value("cases_cursor", "0")
        assert cursor.isdigit() and int(cursor) <= 2**63 - 1  # the next cycle asks from a cursor it can send
        kept = store.find_by_serial(filed.serial)
        assert isinstance(kept.stage, str) and isinstance(kept.case_number or "", str)
        assert isinstance(Pulls(store).cases(_Hall({"cursor": int(cursor), "cases": []})), bool)


@settings(FUZZ, max_examples=150)
@given(st.lists(_day_rows, max_size=8), st.dates(date(2000, 1, 1)), st.integers(0, 400))
def test_any_rows_make_a_calendar_that_counts(rows, start, days):
    calendar = WorkingCalendar.from_rows(rows)
    end, estimated = calendar.add_working_days(start, days)
    assert end >= start and isinstance(estimated, bool)


# Catalog files


def toml_value(value: object) -> str:
    """A JSON value as TOML, for the items of a catalog file (TOML has no null: a None is left out)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return {"inf": "inf", "-inf": "-inf", "nan": "nan"}.get(repr(value), repr(value))
    if isinstance(value, str):
        return toml_string(value)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value if v is not None) + "]"
    assert isinstance(value, dict)
    return "{" + ", ".join(f"{toml_string(k)} = {toml_value(v)}" for k, v in value.items() if v is not None) + "}"


def catalog_text(items: list[object]) -> str:
    tables = []
    for item in items:
        members = item.items() if isinstance(item, dict) else [("item", item)]
        tables.append(
            "[[item]]\n" + "".join(f"{toml_string(k)} = {toml_value(v)}\n" for k, v in members if v is not None)
        )
    return "\n".join(tables)


@pytest.fixture(scope="module")
def catalog_file(tmp_path_factory):
    return tmp_path_factory.mktemp("catalog") / "department.toml"


def _loads_or_is_a_catalog_error(path) -> None:
    try:
        catalog = load_catalog(path)
    except CatalogError as error:
        assert str(error)
        return
    _usable(catalog)


_DEPARTMENT_FILES = sorted(p.read_text(encoding="utf-8") for p in default_catalog_path().glob("*.toml"))


@st.composite
def _edited_department_file(draw) -> str:
    """A shipped department file after one to three slips: cut short, a line dropped, doubled or replaced by any
    text, NULs or a 10 kB line added."""
    lines = draw(st.sampled_from(_DEPARTMENT_FILES)).splitlines()
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(lines) - 1))
        slip = draw(st.sampled_from(["cut", "drop", "double", "line", "nul", "long"]))
        if slip == "cut":
            lines = [*lines[:at], lines[at][: draw(st.integers(0, len(lines[at])))]]
        elif slip == "drop":
            del lines[at]
        elif slip == "double":
            lines.insert(at, lines[at])
        elif slip == "line":
            lines[at] = draw(st.text(max_size=40))
        elif slip == "nul":
            lines[at] = lines[at].replace("=", "=\x00", 1)
        else:
            lines.insert(at, "# " + "长" * 10_240)
        if not lines:
            break
    return "\n".join(lines) + "\n"


@settings(FUZZ, max_examples=100)
@given(st.binary(max_size=300) | st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")))
def test_any_bytes_are_a_catalog_or_a_catalog_error(catalog_file, content):
    catalog_file.write_bytes(content)
    _loads_or_is_a_catalog_error(catalog_file)


@settings(FUZZ, max_examples=150)
@given(st.lists(near_items() | JSON, min_size=1, max_size=3))
def test_any_items_in_a_catalog_file_are_a_catalog_or_a_catalog_error(catalog_file, items):
    catalog_file.write_text(catalog_text(items), encoding="utf-8", errors="surrogatepass")
    _loads_or_is_a_catalog_error(catalog_file)


@settings(FUZZ, max_examples=60)
@given(_edited_department_file())
def test_a_department_file_after_editing_slips_is_a_catalog_or_a_catalog_error(catalog_file, text):
    catalog_file.write_text(text, encoding="utf-8", errors="surrogatepass")
    _loads_or_is_a_catalog_error(catalog_file)


@settings(FUZZ, max_examples=30)
@given(st.integers(1, 5000), st.sampled_from(["[", "{a = "]))
def test_values_nested_thousands_deep_are_a_catalog_error(catalog_file, depth, opening):
    closing = "]" if opening == "[" else "}"
    catalog_file.write_text(f"[[item]]\nname = {opening * depth}1{closing * depth}\n", encoding="utf-8")
    with pytest.raises(CatalogError):
        load_catalog(catalog_file)


@settings(FUZZ, max_examples=60)
@given(
    st.fixed_dictionaries({}, optional={"names": JSON, "departments": JSON, "pairs": JSON}) | JSON,
    st.binary(max_size=40),
)
def test_any_pinyin_file_beside_the_catalog_is_a_catalog_or_a_catalog_error(catalog_file, document, tail):
    """``pinyin.json`` sits in the catalog folder: as garbled as the TOML files may be."""
    catalog_file.write_text(catalog_text([i for i in SAMPLE_ITEMS if not i.get("members")][:2]), encoding="utf-8")
    readings = catalog_file.parent / "pinyin.json"
    readings.write_bytes(json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass") + tail)
    try:
        _loads_or_is_a_catalog_error(catalog_file)
    finally:
        readings.unlink()
