"""What the board knows of the line, and how it keeps asking: ``GET /v1/queue`` with requests, on a plain thread.

The thread never touches the UI: it hands each outcome, a :class:`BoardPoll`, to a callback (the app posts it
as a message). While the hall is out of reach every poll carries the last line the hall gave and when, so the
board keeps showing it.

    >>> poller = BoardPoller(HallBoard(url, token), on_poll=print, interval=2.0)
    >>> poller.start(); ...; poller.close()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import requests

from offline_cache.hall_tls import ca_file_problem, tls_failure

log = logging.getLogger(__name__)


class BoardError(Exception):
    """The board cannot read the line now; the message says why, for a technician."""


@dataclass(frozen=True, slots=True)
class Shown:
    """A ticket as the board shows it."""

    code: str
    category: str
    window: str = ""
    priority: bool = False
    appointment: bool = False
    calls: int = 0

    @classmethod
    def of(cls, data: dict[str, Any]) -> Shown:
        return cls(
            str(data["code"]),
            str(data["category"]),
            str(data.get("window") or ""),
            bool(data.get("priority")),
            bool(data.get("appointment")),
            int(data.get("calls") or 0),
        )


@dataclass(frozen=True, slots=True)
class BoardState:
    """One station's line as the hall last gave it: the ticket at each window (newest call first), the next few,
    people waiting per category, and the hall's change counter."""

    station: str
    changed: int
    called: tuple[Shown, ...]
    next: tuple[Shown, ...]
    waiting: tuple[tuple[str, int], ...]

    @classmethod
    def of(cls, data: dict[str, Any]) -> BoardState:
        """From the hall's JSON; ``KeyError``, ``TypeError`` or ``ValueError`` if it is not the hall's board."""
        return cls(
            str(data["station"]),
            int(data["changed"]),
            tuple(Shown.of(t) for t in data["called"]),
            tuple(Shown.of(t) for t in data["next"]),
            tuple((str(w["category"]), int(w["waiting"])) for w in data["waiting"]),
        )


@dataclass(frozen=True, slots=True)
class BoardPoll:
    """What the board shows after one question: the last line the hall gave (None before the first answer) and
    when; ``online`` is False while the hall is out of reach, ``problem`` says why."""

    state: BoardState | None
    as_of: datetime | None
    online: bool
    problem: str = ""


class Source(Protocol):
    def fetch(self) -> BoardState: ...
    def close(self) -> None: ...


class HallBoard:
    """The board endpoint of the hall at ``url``, read with a board's (or any staff or kiosk) ``token``."""

    def __init__(
        self, url: str, token: str, station: str = "", timeout: float = 3.0, ca_file: Path | None = None
    ) -> None:
        self.url = url.rstrip("/")
        self._params = {"station": station} if station else None
        self._timeout = (min(3.05, timeout), timeout)
        self._ca_file = ca_file  # the city's CA (sync.ca_file), as the kiosks verify the hall with
        self._session = requests.Session()
        self._session.headers["Authorization"] = f"Bearer {token}"

    def fetch(self) -> BoardState:
        """The line now; :class:`BoardError` when the hall cannot be read."""
        try:
            response = self._session.get(
                f"{self.url}/v1/queue",
                params=self._params,
                timeout=self._timeout,
                allow_redirects=False,
                verify=str(self._ca_file) if self._ca_file is not None else True,
            )
            body = response.json() if response.status_code == 200 else None
        except requests.Timeout:
            raise BoardError(f"大厅无应答（超过 {self._timeout[1]:g} 秒）") from None
        except requests.exceptions.SSLError as exc:
            untrusted = tls_failure(exc, urlsplit(self.url).hostname or self.url, self._ca_file)
            raise BoardError(str(untrusted) if untrusted else f"连不上大厅（{type(exc).__name__}）") from None
        except requests.RequestException as exc:
            raise BoardError(f"连不上大厅（{type(exc).__name__}）") from None
        except OSError as exc:  # the CA file named in the settings cannot be read
            raise BoardError(ca_file_problem(self._ca_file) or f"连不上大厅（{type(exc).__name__}）") from None
        except ValueError:
            raise BoardError("应答不是大厅的数据，可能是网络登录页") from None
        if response.status_code in (401, 403):
            raise BoardError(
                f"大厅不认这个看板令牌（HTTP {response.status_code}），请用 kiosk hall board-token 重新生成"
            )
        if body is None:
            raise BoardError(f"大厅暂时无法答复（HTTP {response.status_code}）")
        try:
            return BoardState.of(body)
        except (KeyError, TypeError, ValueError):
            raise BoardError("应答不是大厅的叫号数据") from None

    def close(self) -> None:
        self._session.close()


class BoardPoller:
    """Asks ``source`` for the line every ``interval`` seconds on its own thread and hands each outcome to
    ``on_poll`` (called on that thread). The owner starts and closes it."""

    def __init__(
        self,
        source: Source,
        on_poll: Callable[[BoardPoll], None],
        interval: float,
        clock: Callable[[], datetime] = datetime.now,
    ) -> None:
        self._source = source
        self._on_poll = on_poll
        self._interval = interval
        self._clock = clock
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="board-poll", daemon=True)
            self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._source.close()

    def _run(self) -> None:
        last: BoardState | None = None
        as_of: datetime | None = None
        while not self._stop.is_set():
            try:
                last, as_of = self._source.fetch(), self._clock()
                poll = BoardPoll(last, as_of, online=True)
            except BoardError as exc:
                poll = BoardPoll(last, as_of, online=False, problem=str(exc))
            except Exception as exc:  # the board must outlive any bug; the log has the traceback
                log.exception("board poll failed")
                poll = BoardPoll(last, as_of, online=False, problem=f"读取出错（{type(exc).__name__}）")
            if not self._stop.is_set():
                self._on_poll(poll)
            self._stop.wait(self._interval)
