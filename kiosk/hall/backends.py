"""Which back-end a hall's ``--db`` names: a ``postgresql://`` URL or a SQLite file, never one taken for the other.

>>> storage = open_storage("hall.db")                                   # SQLite, keys in hall.db.keys
>>> storage = open_storage("postgresql://hall@db/hall", Path("/etc/kiosk-hall/keys"))
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from kiosk.hall.sqlite_storage import SqlHallStorage, SqliteHallStorage
from kiosk.hall.storage import HallError

DB_VARIABLE = "KIOSK_HALL_DB"
KEYS_VARIABLE = "KIOSK_HALL_KEYS_FILE"
SILENT_VARIABLE = "KIOSK_HALL_SILENT_MINUTES"
"""What ``kiosk hall serve --workers N`` hands its worker processes: ``--db``, ``--keys``, ``--silent-minutes``."""

URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
POSTGRES_SCHEMES = ("postgresql", "postgres")


def shown(db: Path | str) -> str:
    """``db`` as it may be printed and logged: a URL without its password."""
    text = str(db)
    if not URL.match(text):
        return text
    parts = urlsplit(text)
    if parts.password is None:
        return text
    netloc = f"{parts.username or ''}:***@{parts.hostname or ''}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def open_storage(db: Path | str, keys: Path | None = None) -> SqlHallStorage:
    """The hall's storage named by ``db``: a ``postgresql://`` URL (its keys from ``KIOSK_HALL_KEYS`` or the file
    ``keys``), else a SQLite file (its keys beside it unless ``keys`` says otherwise). A URL is never taken for a
    file name. Raises :class:`HallError` with what to do."""
    text = str(db)
    if URL.match(text):
        scheme = text.split("://", 1)[0].lower()
        if scheme not in POSTGRES_SCHEMES:
            raise HallError(f"大厅数据库地址 {scheme}:// 不支持：用 postgresql://… 或一个 SQLite 文件的路径")
        from kiosk.hall.postgres_db import PostgresHallStorage  # psycopg loads only for a hall that uses it

        return PostgresHallStorage(text, keys)
    return SqliteHallStorage(Path(text), keys=keys)
