"""The hall on PostgreSQL: a connection pool (psycopg 3), the schema's migrations at start, and reads and writes
that the storage's queries take as they take SQLite's.

The queries are shared with SQLite (``?`` placeholders, the same SQL); :class:`Connection` turns them into
psycopg's. Every write takes one transaction-scoped advisory lock first, so writes are serialised across every
worker of the hall exactly as SQLite's immediate transactions serialise them: read-then-write code (a counter,
a stage change, an enrolment code spent) stays correct with any number of workers, and uniqueness is still the
database's (a row stored twice is :class:`~kiosk.hall.schema.RowConflict`). Reads take a repeatable-read
snapshot, as a view's several queries need.

    >>> database = PostgresDatabase("postgresql://hall@127.0.0.1:5432/hall")
    >>> with database.write() as db:
    ...     db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", ["k", "v"])
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

import psycopg
from psycopg_pool import ConnectionPool

from kiosk.hall.backends import shown
from kiosk.hall.schema import RowConflict, migrate
from kiosk.hall.sqlite_storage import SqlHallStorage
from kiosk.hall.storage import HallError

WRITE_LOCK = 0x6B696F736B  # the one advisory lock every write of the hall takes ("kiosk")
POOL_SIZE = 8  # per worker: the API answers from a thread pool
CONNECT_SECONDS = 10


@lru_cache(maxsize=512)
def _psycopg(sql: str) -> str:
    """SQLite's placeholders as psycopg's (a literal % doubled first)."""
    return sql.replace("%", "%%").replace("?", "%s")


def _values(params: Sequence[Any]) -> list[Any]:
    """Booleans as the integers the schema stores them as (SQLite's way, which the queries assume)."""
    return [int(value) if isinstance(value, bool) else value for value in params]


class Connection:
    """What the storage's queries ask of a connection (``execute``, ``executemany``), on a psycopg one."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self._connection = connection

    def execute(self, sql: str, params: Sequence[Any] = ()) -> psycopg.Cursor:
        return self._connection.execute(_psycopg(sql), _values(params))

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> psycopg.Cursor:
        cursor = self._connection.cursor()
        values = [_values(row) for row in rows]
        if values:  # none: not even a round trip
            cursor.executemany(_psycopg(sql), values)
        return cursor


class PostgresDatabase:
    """The hall's tables on the PostgreSQL server at ``url``, migrated to the newest version on opening."""

    def __init__(self, url: str, pool_size: int = POOL_SIZE) -> None:
        self.url = url
        self._local = threading.local()  # the connection of a write in progress on this thread
        try:  # once by hand first: the pool would retry a refused connection until its timeout, saying less
            psycopg.connect(url, connect_timeout=CONNECT_SECONDS).close()
        except psycopg.Error as exc:
            raise HallError(f"连不上大厅数据库 {shown(url)}（{type(exc).__name__}: {exc}）") from None
        self._pool = ConnectionPool(url, min_size=1, max_size=pool_size, open=True, timeout=30.0)
        try:
            with self.write() as db:
                migrate(db, "postgresql")
        except BaseException:
            self._pool.close()
            raise

    def close(self) -> None:
        self._pool.close()

    def forget_deleted(self) -> None:
        """Nothing to do: rows PostgreSQL deleted are gone from queries; VACUUM reclaims their space."""

    @contextmanager
    def write(self) -> Iterator[Connection]:
        """One transaction under the hall's write lock; inside another write of this thread, a savepoint of it
        (a batch is one commit, and one item's conflict undoes that item alone)."""
        current = getattr(self._local, "connection", None)
        if current is not None:
            try:
                with current.transaction():  # nested: psycopg makes it a savepoint
                    yield Connection(current)
            except psycopg.errors.IntegrityError as exc:
                raise RowConflict(str(exc)) from exc
            return
        with self._pool.connection() as connection:  # commits when the block ends, rolls back when it raises
            self._local.connection = connection
            try:
                with connection.transaction():
                    connection.execute("SELECT pg_advisory_xact_lock(%s)", [WRITE_LOCK])
                    yield Connection(connection)
            except psycopg.errors.IntegrityError as exc:
                raise RowConflict(str(exc)) from exc
            finally:
                self._local.connection = None

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A repeatable-read snapshot; inside a write of this thread, that write's connection (what it wrote)."""
        current = getattr(self._local, "connection", None)
        if current is not None:
            yield Connection(current)
            return
        with self._pool.connection() as connection:
            with connection.transaction():
                connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield Connection(connection)


class PostgresHallStorage(SqlHallStorage):
    """The hall on the PostgreSQL server at ``url``, its keys from the environment or ``keys_file`` (a server
    has no folder of the hall's own to keep them beside)."""

    def __init__(self, url: str, keys_file: Path | None, environ: Mapping[str, str] = os.environ) -> None:
        super().__init__(PostgresDatabase(url), keys_file, environ)
