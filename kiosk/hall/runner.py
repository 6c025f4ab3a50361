"""A hall on a thread: uvicorn serving the hall's API in this process, for tests and the demo.

It can be stopped and started again on the same port, so a test or the demo can take the hall away and bring
it back as a network outage would::

    >>> hall = HallServer(tmp_path / "hall.db")   # a free loopback port, the shipped sample catalog
    >>> hall.start()
    >>> requests.get(hall.url + "/v1/health").json()["service"]
    'kiosk-hall'
    >>> hall.stop(); hall.start()                 # same port, same data

With ``ssl_certfile`` (and ``ssl_keyfile``, unless the key is in the same file) it serves https, reading the files
at each start: a test replaces the certificate by writing new files and restarting.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import uvicorn

from kiosk.catalog import load_catalog
from kiosk.hall.app import create_app
from kiosk.hall.backends import open_storage
from kiosk.hall.holidays import seed_holidays
from kiosk.hall.storage import HallError

START_TIMEOUT = 10.0
BACKLOG = 2048  # uvicorn's default


def listening_socket(host: str, port: int) -> socket.socket:
    """A listening socket for uvicorn to serve on. It may take over a port that a stopped hall left in
    TIME_WAIT, and it listens before uvicorn runs, so a client that comes early waits instead of being refused."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP, and without it every
    # answer waits ~40 ms for the client's delayed ACK (Nagle).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(BACKLOG)
    except OSError:
        sock.close()
        raise
    return sock


class HallServer:
    """The hall at ``db`` (a SQLite file or a PostgreSQL URL, :func:`open_storage`), served on ``host``:``port``
    (0: a free port, kept across restarts).

    ``catalog_path`` seeds a new hall's catalog (default: the shipped sample catalog), and ``chinese-calendar``
    its holiday table; a hall seeded before keeps its own. ``ssl_certfile`` and ``ssl_keyfile``: serve https with
    this certificate (PEM, with its chain) and key."""

    def __init__(
        self,
        db: Path | str,
        host: str = "127.0.0.1",
        port: int = 0,
        catalog_path: Path | str | None = None,
        keys: Path | None = None,
        ssl_certfile: Path | None = None,
        ssl_keyfile: Path | None = None,
    ) -> None:
        self.storage = open_storage(db, keys)
        self.database_options = ["--db", str(db), *(["--keys", str(keys)] if keys else [])]
        """How ``kiosk hall …`` commands reach this hall's database."""
        self.storage.seed_catalog(load_catalog(catalog_path))
        seed_holidays(self.storage)
        self.app = create_app(self.storage)
        self.host = host
        self._port = port
        self._ssl = {"ssl_certfile": ssl_certfile, "ssl_keyfile": ssl_keyfile}
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        scheme = "https" if self._ssl["ssl_certfile"] else "http"
        return f"{scheme}://{host}:{self._port}"

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Serve, and return once connections are accepted. Does nothing if already serving; :class:`HallError`
        if the port is taken."""
        if self.running:
            return
        try:
            sock = listening_socket(self.host, self._port)
        except OSError as exc:
            raise HallError(f"the hall cannot listen on {self.url}: {exc.strerror}") from exc
        self._port = sock.getsockname()[1]
        config = uvicorn.Config(
            self.app, host=self.host, port=self._port, log_level="warning", lifespan="off", **self._ssl
        )
        server = uvicorn.Server(config)
        thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="hall", daemon=True)
        self._server, self._thread, self._socket = server, thread, sock
        thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise HallError(f"the hall did not start on {self.url}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop serving (open connections are closed) and wait for the server's thread to end."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join()
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None
