"""The SQLite hall's service catalog: seeded once, edited by staff, pulled by kiosks by version. Mixed into
:class:`~kiosk.hall.sqlite_storage.SqlHallStorage`, whose database (``_write``, ``_read``) it shares.

A removed item keeps its row with ``item`` NULL and a new version, so kiosks learn of the removal as of any change.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import Any

from kiosk.catalog import ServiceItem
from kiosk.hall.models import CatalogChanges
from kiosk.hall.sqlite_db import Connect, current_value, next_value
from kiosk.hall.storage import NotFound, iso_seconds, utc_now


class SqliteCatalog:
    _write: Connect
    _read: Connect

    def seed_catalog(self, items: Iterable[ServiceItem]) -> bool:
        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'catalog_seeded'").fetchone():
                return False
            version = next_value(db, "catalog_version")
            for item in items:
                if not db.execute("SELECT 1 FROM catalog WHERE code = ?", [item.code]).fetchone():
                    _put(db, item, version)  # an item the staff added before the seeding stays theirs
            db.execute("INSERT INTO meta (key, value) VALUES ('catalog_seeded', ?)", [iso_seconds(utc_now())])
        return True

    def catalog_changes(self, since: int) -> CatalogChanges:
        with self._read() as db:
            version = current_value(db, "catalog_version")
            rows = db.execute(
                "SELECT code, item FROM catalog WHERE version > ? ORDER BY version, code", [since]
            ).fetchall()
        return CatalogChanges(
            version=version,
            items=[json.loads(item) for _, item in rows if item is not None],
            removed=[code for code, item in rows if item is None],
        )

    def catalog_item(self, code: str) -> dict[str, Any] | None:
        with self._read() as db:
            row = db.execute("SELECT item FROM catalog WHERE code = ? AND item IS NOT NULL", [code]).fetchone()
        return json.loads(row[0]) if row else None

    def put_catalog_item(self, item: ServiceItem | dict[str, Any]) -> int:
        item = ServiceItem.model_validate(item)
        with self._write() as db:
            version = next_value(db, "catalog_version")
            _put(db, item, version)
        return version

    def remove_catalog_item(self, code: str) -> int:
        with self._write() as db:
            if not db.execute("SELECT 1 FROM catalog WHERE code = ? AND item IS NOT NULL", [code]).fetchone():
                raise NotFound(f"目录中没有事项 {code}")
            version = next_value(db, "catalog_version")
            db.execute("UPDATE catalog SET item = NULL, version = ? WHERE code = ?", [version, code])
        return version


def _put(db: sqlite3.Connection, item: ServiceItem, version: int) -> None:
    db.execute(
        "INSERT INTO catalog (code, name, item, version) VALUES (?, ?, ?, ?) ON CONFLICT (code) DO UPDATE"
        " SET name = excluded.name, item = excluded.item, version = excluded.version",
        [item.code, item.name, item.model_dump_json(), version],
    )
