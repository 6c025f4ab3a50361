"""The SQLite hall's holiday table: seeded once, imported by staff, pulled by kiosks by version. Mixed into
:class:`~kiosk.hall.sqlite_storage.SqlHallStorage`, whose database (``_write``, ``_read``) it shares.

A day taken out of the table stays as kind ``normal`` with a new version, so kiosks learn of it as of any change.
"""

from __future__ import annotations

from collections.abc import Iterable

from kiosk.hall.models import HolidayChanges, HolidayDay
from kiosk.hall.sqlite_db import Connect, current_value, next_value
from kiosk.hall.storage import HolidayImport, iso_seconds, utc_now


class SqliteHolidays:
    _write: Connect
    _read: Connect

    def seed_holidays(self, days: Iterable[HolidayDay]) -> bool:
        with self._write() as db:
            if db.execute("SELECT 1 FROM meta WHERE key = 'holidays_seeded'").fetchone():
                return False
            version = next_value(db, "holidays_version")
            db.executemany(  # a day the staff imported before the seeding stays theirs
                "INSERT INTO holidays (day, kind, name, version) VALUES (?, ?, ?, ?) ON CONFLICT (day) DO NOTHING",
                [(day.date, day.kind, day.name, version) for day in days if day.kind != "normal"],
            )
            db.execute("INSERT INTO meta (key, value) VALUES ('holidays_seeded', ?)", [iso_seconds(utc_now())])
        return True

    def holiday_changes(self, since: int) -> HolidayChanges:
        with self._read() as db:
            version = current_value(db, "holidays_version")
            rows = db.execute("SELECT day, kind, name FROM holidays WHERE version > ? ORDER BY day", [since]).fetchall()
        return HolidayChanges(version=version, days=[HolidayDay(date=d, kind=k, name=n) for d, k, n in rows])

    def holidays(self, year: int | None = None) -> list[HolidayDay]:
        with self._read() as db:
            # a year's days by prefix: no untyped NULL parameter, which PostgreSQL cannot type
            prefix = "" if year is None else f"{year:04d}-"
            rows = db.execute(
                "SELECT day, kind, name FROM holidays WHERE kind != 'normal' AND substr(day, 1, ?) = ? ORDER BY day",
                [len(prefix), prefix],
            ).fetchall()
        return [HolidayDay(date=d, kind=k, name=n) for d, k, n in rows]

    def import_holidays(self, days: Iterable[HolidayDay]) -> HolidayImport:
        counts = dict.fromkeys(("added", "changed", "removed", "unchanged"), 0)
        with self._write() as db:
            version = None
            for day in days:
                row = db.execute("SELECT kind, name FROM holidays WHERE day = ?", [day.date]).fetchone()
                kept = row is not None and row[0] != "normal"
                if day.kind == "normal":
                    outcome = "removed" if kept else "unchanged"
                elif not kept:
                    outcome = "added"
                else:
                    outcome = "unchanged" if tuple(row) == (day.kind, day.name) else "changed"
                counts[outcome] += 1
                if outcome == "unchanged":
                    continue
                version = version or next_value(db, "holidays_version")  # one version for the whole import
                db.execute(
                    "INSERT INTO holidays (day, kind, name, version) VALUES (?, ?, ?, ?) ON CONFLICT (day) DO UPDATE"
                    " SET kind = excluded.kind, name = excluded.name, version = excluded.version",
                    [day.date, day.kind, day.name, version],
                )
            if version is None:
                version = current_value(db, "holidays_version")
        return HolidayImport(version=version, **counts)
