"""What :mod:`offline_cache.sync` mirrors from the hall: the progress of cases filed here, by the hall's change
cursor, and the catalog's and holiday table's changes, by version. What the hall sends is checked before it is
kept: an entry without what the kiosk needs is skipped.

    >>> if Pulls(store).catalog(client): reload_the_catalog()
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from offline_cache.hall_client import HallClient
    from offline_cache.store import Store

log = logging.getLogger(__name__)

CASES_PAGE = 500  # as many cases as the hall sends at once: a shorter page is the last
HOLIDAY_KINDS = ("holiday", "workday", "normal")  # what the hall's GET /v1/holidays may say of a day


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
            cases = [c for c in page["cases"] if isinstance(c, dict) and {"serial", "case_number", "stage"} <= set(c)]
            changed += store.update_cases(cases, datetime.now())
            cursor = int(page["cursor"])
            store.set_mirror_value("cases_cursor", str(cursor))
            if len(page["cases"]) < CASES_PAGE:
                return changed > 0

    def catalog(self, client: HallClient) -> bool:
        version = int(self._store.mirror_value("catalog_version", "0"))
        update = client.catalog(version)
        if int(update["version"]) <= version:
            return False
        items = [i for i in update["items"] if isinstance(i, dict) and isinstance(i.get("code"), str)]
        self._store.apply_catalog_changes(int(update["version"]), items, [str(c) for c in update["removed"]])
        log.info("catalog version %s: %d changed, %d removed", update["version"], len(items), len(update["removed"]))
        return True

    def holidays(self, client: HallClient) -> bool:
        version = int(self._store.mirror_value("holidays_version", "0"))
        update = client.holidays(version)
        if int(update["version"]) <= version:
            return False
        days = [
            {"date": d["date"], "kind": d["kind"], "name": str(d.get("name") or "")}
            for d in update["days"]
            if isinstance(d, dict) and isinstance(d.get("date"), str) and d.get("kind") in HOLIDAY_KINDS
        ]
        self._store.apply_holiday_changes(int(update["version"]), days)
        log.info("holiday table version %s: %d days changed", update["version"], len(days))
        return True
