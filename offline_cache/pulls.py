"""What :mod:`offline_cache.sync` mirrors from the hall: the progress of cases filed here, by the hall's change
cursor, and the catalog's and holiday table's changes, by version. What the hall sends is checked before it is
kept: an entry without what the kiosk needs is skipped, and logged; an answer without a version or a list where
the changes belong is refused as :class:`NotTheHall`, so its version is asked for again.

    >>> if Pulls(store).catalog(client): reload_the_catalog()
"""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any

from offline_cache.errors import NotTheHall

if TYPE_CHECKING:
    from offline_cache.hall_client import HallClient
    from offline_cache.store import Store

log = logging.getLogger(__name__)

CASES_PAGE = 500  # as many cases as the hall sends at once: a shorter page is the last
HOLIDAY_KINDS = ("holiday", "workday", "normal")  # what the hall's GET /v1/holidays may say of a day
LARGEST_VERSION = 2**63 - 1  # SQLite's largest integer


class Pulls:
    """Each pull returns whether anything changed here, for the engine to tell the screens."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def cases(self, client: HallClient) -> bool:
        store = self._store
        cursor = int(store.mirror_value("cases_cursor", "0"))
        changed = 0
        while True:
            page = client.cases(cursor)
            entries = _list(page, "cases")
            next_cursor = _whole_number(page["cursor"], "游标")
            cases = [c for c in entries if _usable_case(c)]
            _log_skipped("case progress", next_cursor, len(entries) - len(cases))
            changed += store.update_cases(cases, datetime.now())
            store.set_mirror_value("cases_cursor", str(next_cursor))  # lower too: a hall restored from a backup
            if len(entries) < CASES_PAGE or next_cursor <= cursor:  # a full page that does not move on: next cycle
                return changed > 0
            cursor = next_cursor

    def catalog(self, client: HallClient) -> bool:
        version = int(self._store.mirror_value("catalog_version", "0"))
        update = client.catalog(version)
        new_version = _version(update)
        if new_version <= version:
            return False
        entries, removals = _list(update, "items"), _list(update, "removed")
        items = [i for i in entries if isinstance(i, dict) and isinstance(i.get("code"), str) and _storable(i)]
        removed = [code for code in map(str, removals) if _storable(code)]
        _log_skipped("catalog", new_version, len(entries) + len(removals) - len(items) - len(removed))
        self._store.apply_catalog_changes(new_version, items, removed)
        log.info("catalog version %s: %d changed, %d removed", new_version, len(items), len(removed))
        return True

    def holidays(self, client: HallClient) -> bool:
        version = int(self._store.mirror_value("holidays_version", "0"))
        update = client.holidays(version)
        new_version = _version(update)
        if new_version <= version:
            return False
        entries = _list(update, "days")
        days = [
            {"date": d["date"], "kind": d["kind"], "name": str(d.get("name") or "")}
            for d in entries
            if isinstance(d, dict) and isinstance(d.get("date"), str) and d.get("kind") in HOLIDAY_KINDS
        ]
        days = [day for day in days if _storable(day)]
        _log_skipped("holiday table", new_version, len(entries) - len(days))
        self._store.apply_holiday_changes(new_version, days)
        log.info("holiday table version %s: %d days changed", new_version, len(days))
        return True


def _version(update: dict[str, Any]) -> int:
    """The version an answer brings; one that is no whole number SQLite can hold is not the hall's."""
    return _whole_number(update["version"], "版本号")


def _whole_number(value: object, what: str) -> int:
    """A version or cursor: a whole number SQLite can hold (as JSON gives it, or as text of ASCII digits)."""
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= LARGEST_VERSION:
        raise NotTheHall(f"应答中的{what}不对，不是大厅在应答")
    return value


CASE_TEXTS = ("serial", "case_number", "stage")
CASE_STATES = ("payment_state", "materials_state")


def _usable_case(case: object) -> bool:
    """A case's progress the kiosk can keep: its serial, number and stage as text, its states text if there."""
    return (
        isinstance(case, dict)
        and all(isinstance(case.get(key), str) for key in CASE_TEXTS)
        and all(isinstance(case.get(key, ""), str) for key in CASE_STATES)
        and _storable(case)
    )


def _list(update: dict[str, Any], key: str) -> list[Any]:
    if not isinstance(update[key], list):
        raise NotTheHall(f"应答格式不对（{key} 不是列表），不是大厅在应答")
    return update[key]


def _storable(value: object) -> bool:
    """Whether ``value`` can be kept as the UTF-8 text SQLite holds: JSON's ``\\ud800`` escapes give lone
    surrogates, which it cannot."""
    try:
        json.dumps(value, ensure_ascii=False).encode()
    except ValueError:  # UnicodeEncodeError
        return False
    return True


def _log_skipped(what: str, version: int, skipped: int) -> None:
    if skipped:
        log.warning("%s version %s: %d entries skipped, not what the kiosk can use", what, version, skipped)
