"""A throw-away PostgreSQL server for the tests: ``initdb`` into a temporary folder, ``pg_ctl`` on a free loopback
port, stopped at the end. No mock: the hall's PostgreSQL back-end is tested against the real server.

As root (CI), the server runs as Debian's ``postgres`` user, since ``initdb`` refuses root. Where no PostgreSQL
binaries are found the tests that need them skip, saying so, unless ``KIOSK_REQUIRE_POSTGRES`` is set (CI sets
it): then they fail.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import uuid
from pathlib import Path

import psycopg
import pytest

REQUIRED = "KIOSK_REQUIRE_POSTGRES"


def binaries() -> Path | None:
    """The folder of ``initdb`` and ``pg_ctl``: Debian's newest under /usr/lib/postgresql, else the PATH's."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parts[-3]))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def unavailable(reason: str) -> None:
    if os.environ.get(REQUIRED):
        pytest.fail(f"{reason}, and {REQUIRED} is set (CI must test the PostgreSQL back-end)")
    pytest.skip(reason)


class Cluster:
    """One server on ``port`` with data in a temporary folder; :meth:`new_database` gives each test its own."""

    def __init__(self) -> None:
        folder = binaries()
        if folder is None:
            unavailable("no PostgreSQL binaries (initdb, pg_ctl): apt-get install postgresql")
        self._bin = folder
        self._user = None
        if os.geteuid() == 0:
            try:
                self._user = pwd.getpwnam("postgres")
            except KeyError:
                unavailable("initdb refuses root and there is no postgres user to run it as")
        self.folder = Path(tempfile.mkdtemp(prefix="kiosk-pg-"))
        if self._user is not None:
            os.chown(self.folder, self._user.pw_uid, self._user.pw_gid)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-U", "hall", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "log"), "-o", options, "-w", "start")
        self.url = f"postgresql://hall@127.0.0.1:{self.port}/postgres"

    def _run(self, program: str, *args: str) -> None:
        command = [str(self._bin / program), *args]
        if self._user is not None:
            command = ["runuser", "-u", "postgres", "--", *command]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=self.folder)
        if result.returncode != 0:
            raise RuntimeError(f"{program} failed: {result.stdout[-1000:]}{result.stderr[-1000:]}")

    def new_database(self) -> str:
        """A new empty database; its URL."""
        name = f"hall_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}"')
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
