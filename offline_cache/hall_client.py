"""The kiosk's side of the hall's HTTP API (the hall's OpenAPI document is the contract), with requests.

Every answer is checked before it is believed: a body that is not the hall's JSON (a captive portal's login
page answers 200 too) is :class:`NotTheHall`, never an acknowledgement. Failures are sorted by what the sync
engine must do about them: wait and probe (:class:`HallUnreachable`, :class:`NotTheHall`), wait as told
(:class:`HallBusy`), stop and call a technician (:class:`HallRefused`), or set the request aside
(:class:`HallRejected`). Over https the hall's certificate is always verified, and pinned once enrolled
(:mod:`offline_cache.hall_tls`); a certificate that fails is :class:`HallNotTrusted`, a kind of :class:`NotTheHall`.

A hall that takes a request and answers after the read timeout did the work all the same; asking again with the
same timeout would lose every answer to a hall that is merely slow. So a client given ``patience`` waits twice as
long after each such timeout, up to ``patience``, until a round of requests shows the hall quick again
(:meth:`HallClient.take_stock`).
"""

from __future__ import annotations

import email.utils
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from offline_cache.errors import (  # defined with the package's other errors, importable from here as ever
    HallBusy,
    HallNotTrusted,
    HallRefused,
    HallRejected,
    HallUnreachable,
    NotTheHall,
    SyncError,
)
from offline_cache.outbox import ticket_key

__all__ = [
    "HALL_SERVICE",
    "HallBusy",
    "HallClient",
    "HallNotTrusted",
    "HallRefused",
    "HallRejected",
    "HallUnreachable",
    "NotTheHall",
    "SyncError",
    "retry_after_seconds",
]

HALL_SERVICE = "kiosk-hall"


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """A Retry-After header as seconds from now: delta-seconds or an HTTP date; None if absent or garbled."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def clock_offset(date: str | None, now: float) -> float | None:
    """How far the clock of a server that answered with ``Date`` at ``now`` (Unix time) is ahead of this machine's:
    to the second, less the answer's time on the way; None if it did not say."""
    try:
        when = email.utils.parsedate_to_datetime(date) if date else None
    except (TypeError, ValueError):
        return None
    return when.timestamp() - now if when is not None and when.tzinfo is not None else None


class HallClient:
    """One hall at ``url``; ``token`` is this kiosk's bearer token from enrolment. Over https the hall's certificate
    is verified with the CA certificates in ``ca_file`` (the city's own CA; None: the system's), and must be the one
    whose SHA-256 fingerprint is ``certificate`` (the one seen at enrolment; empty: any that verifies). ``timeout``
    is how long to wait for an answer; with ``patience`` (longer), a read timeout doubles it for the next requests, up
    to ``patience`` (see the module's docstring)."""

    def __init__(
        self,
        url: str,
        token: str | None = None,
        timeout: float = 10.0,
        *,
        patience: float | None = None,
        ca_file: Path | None = None,
        certificate: str = "",
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = (min(3.05, timeout), timeout)  # connect, read
        self._usual = timeout
        self._patience = max(timeout, patience or timeout)
        self._slowest = 0.0  # the longest a request waited for its answer since the last take_stock()
        self.timed_out = False
        """The last request got no answer within the read timeout: the hall took it, and may have done it."""
        self.clock_offset: float | None = None
        """Seconds the hall's clock was ahead of this machine's at the last answer (its ``Date``), if it said."""
        import requests  # 0.2 s and 5 MB: loaded with the first client (the sync thread's), not at the kiosk's start

        from offline_cache.hall_tls import HallAdapter, ca_file_problem

        self._ca_file = ca_file
        self._ca_problem = ca_file_problem(ca_file)
        # Passed with each request: a verify on the session loses to REQUESTS_CA_BUNDLE from the environment.
        self._verify: str | bool = str(ca_file) if ca_file is not None else True
        self._adapter = HallAdapter(pinned=certificate)
        self._session = requests.Session()
        self._session.mount("https://", self._adapter)
        self._session.headers["User-Agent"] = "kiosk-sync/1"
        if token:
            self._session.headers["Authorization"] = f"Bearer {token}"

    @property
    def served_certificate(self) -> str:
        """The SHA-256 fingerprint of the certificate the last answer came over; empty over plain http."""
        return self._adapter.served

    @property
    def read_timeout(self) -> float:
        """How long the next request waits for its answer, in seconds."""
        return self.timeout[1]

    def take_stock(self) -> None:
        """A round of requests (a sync cycle) got all its answers: if each came within half the usual timeout, the
        hall is quick again and the next requests wait the usual time. One quick answer is not enough: a hall may
        answer its health probe at once and take long over the work."""
        if self._slowest < self._usual / 2:
            self.timeout = (self.timeout[0], self._usual)
        self._slowest = 0.0

    def close(self) -> None:
        self._session.close()

    def _call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
        import requests

        from offline_cache.hall_tls import tls_failure

        if self._ca_problem:
            raise HallNotTrusted(self._ca_problem)
        self.timed_out = False
        started = time.monotonic()
        try:
            response = self._session.request(
                method,
                self.url + path,
                json=json,
                params=params,
                timeout=self.timeout,
                allow_redirects=False,
                verify=self._verify,
            )
            body = response.content  # a reset mid-body raises here, inside the try
        except requests.ReadTimeout:  # connected and sent: the hall may be doing it (a connect timeout is below)
            raise HallUnreachable(self._waited_in_vain()) from None
        except requests.exceptions.SSLError as exc:
            host = urlsplit(self.url).hostname or self.url
            untrusted = tls_failure(exc, host, self._ca_file)
            raise untrusted or HallUnreachable(f"连不上大厅（{type(exc).__name__}）") from None
        except requests.RequestException as exc:
            raise HallUnreachable(f"连不上大厅（{type(exc).__name__}）") from None
        self._slowest = max(self._slowest, time.monotonic() - started)
        self.clock_offset = clock_offset(response.headers.get("Date"), time.time())
        status = response.status_code
        if status in (401, 403):
            raise HallRefused(f"大厅拒绝了本机的凭证（HTTP {status}），请技术员重新登记本机")
        if status == 429 or status >= 500:
            raise HallBusy(
                f"大厅暂时无法处理（HTTP {status}）", retry_after_seconds(response.headers.get("Retry-After"))
            )
        if 300 <= status < 400:
            raise NotTheHall(f"请求被转到别处（HTTP {status}），网络可能需要登录，不是大厅在应答")
        if "application/json" not in response.headers.get("Content-Type", ""):
            raise NotTheHall(
                f"应答不是大厅的数据（HTTP {status}, {response.headers.get('Content-Type', '?')}），可能是网络登录页"
            )
        try:
            data = response.json() if body else None
        except ValueError:
            raise NotTheHall(f"应答无法解析（HTTP {status}），不是大厅在应答") from None
        if status >= 400:
            detail = data.get("detail") if isinstance(data, dict) else data
            raise HallRejected(f"大厅拒绝了请求（HTTP {status}：{detail}）", status)
        if not isinstance(data, dict):
            raise NotTheHall(f"应答格式不对（HTTP {status}），不是大厅在应答")
        return data

    def _waited_in_vain(self) -> str:
        """After a read timeout: wait longer next time, if patient; the message for the status line."""
        self.timed_out = True
        waited = self.read_timeout
        if waited >= self._patience:
            return f"大厅无应答（超过 {waited:g} 秒）"
        self.timeout = (self.timeout[0], min(self._patience, 2 * waited))
        return f"大厅无应答（超过 {waited:g} 秒），可能是大厅太忙；下次等 {self.read_timeout:g} 秒"

    def _expect(self, data: dict, *keys: str) -> dict:
        missing = [key for key in keys if key not in data]
        if missing:
            raise NotTheHall(f"应答缺少 {', '.join(missing)}，不是大厅在应答")
        return data

    def health(self) -> dict:
        """The hall's health; :class:`NotTheHall` unless it is really the hall that answers."""
        data = self._call("GET", "/v1/health")
        if data.get("service") != HALL_SERVICE or data.get("status") != "ok":
            raise NotTheHall("应答的不是政务服务大厅（可能是网络登录页）")
        return data

    def enroll(self, code: str, station_id: str, name: str) -> dict:
        data = self._call("POST", "/v1/enroll", json={"code": code, "station_id": station_id, "name": name})
        return self._expect(data, "kiosk_id", "token", "hall_public_key")

    def push_submissions(self, bodies: list[dict]) -> list[dict]:
        """Results per item: ``{"id", "status": 201|200|422, "answer", "error"}``."""
        data = self._call("POST", "/v1/submissions/batch", json={"items": bodies})
        return self._results(data, [body["id"] for body in bodies])

    def put_submission(self, body: dict) -> dict:
        """One submission on its own (the hall's answer, replayed for a resend)."""
        return self._expect(self._call("PUT", f"/v1/submissions/{body['id']}", json=body), "case_number")

    def push_evaluations(self, items: list[dict]) -> list[dict]:
        data = self._call("POST", "/v1/evaluations/batch", json={"items": items})
        return self._results(data, [item["submission_id"] for item in items])

    def push_checkins(self, items: list[dict]) -> list[dict]:
        data = self._call("POST", "/v1/appointments/checkins", json={"items": items})
        return self._results(data, [item["appointment_id"] for item in items])

    def materials_on_file(self, number: str, item_code: str) -> list[dict]:
        """The item's materials the hall holds for the applicant ``number`` and may reuse today."""
        data = self._call("POST", "/v1/materials/on-file", json={"number": number, "item_code": item_code})
        found = self._expect(data, "materials")["materials"]
        if not isinstance(found, list):
            raise NotTheHall("应答格式不对，不是大厅在应答")
        return found

    def heartbeat(self, body: dict) -> dict:
        """Hand over a heartbeat stamped ``sent_at``, now by this kiosk's clock (its ``at`` is when it was made,
        perhaps long before, offline): the hall compares the stamp with its own clock to flag a wrong one."""
        sent_at = datetime.now(UTC).isoformat(timespec="milliseconds")
        return self._call("POST", "/v1/heartbeats", json={**body, "sent_at": sent_at})

    def lookup(self, ids: list[str]) -> dict[str, dict]:
        """Which of these submission ids the hall holds, with its answer for each."""
        held = self._expect(self._call("POST", "/v1/submissions/lookup", json={"ids": ids}), "held")["held"]
        if not isinstance(held, dict):
            raise NotTheHall("应答格式不对，不是大厅在应答")
        return held

    def case(self, serial: str) -> dict | None:
        """The progress of one case by its serial number (filed anywhere), or None if the hall has no such case."""
        return self._found(f"/v1/cases/{quote(serial, safe='')}", "serial", "stage", "case_number")

    def cases(self, since: int) -> dict:
        return self._expect(self._call("GET", "/v1/cases", params={"since": since}), "cursor", "cases")

    def catalog(self, since: int) -> dict:
        return self._expect(self._call("GET", "/v1/catalog", params={"since": since}), "version", "items", "removed")

    def holidays(self, since: int) -> dict:
        return self._expect(self._call("GET", "/v1/holidays", params={"since": since}), "version", "days")

    def push_tickets(self, tickets: list[dict]) -> list[dict]:
        """Queue tickets issued here; each is answered by its key, ``2026-11-23/A003``."""
        data = self._call("POST", "/v1/tickets/batch", json={"items": tickets})
        return self._results(data, [ticket_key(ticket) for ticket in tickets])

    def ticket_position(self, day: str, code: str) -> dict | None:
        """Where one of this kiosk's tickets stands (status, window, people ahead, the calling rule), or None if
        the hall has no such ticket."""
        return self._found(
            f"/v1/tickets/{quote(day, safe='')}/{quote(code, safe='')}", "status", "window", "ahead", "rule"
        )

    def _found(self, path: str, *keys: str) -> dict | None:
        """GET one thing the hall may not have: None on its 404."""
        try:
            data = self._call("GET", path)
        except HallRejected as exc:
            if exc.status == 404:
                return None
            raise
        return self._expect(data, *keys)

    @staticmethod
    def _results(data: dict, ids: list[str]) -> list[dict]:
        results = data.get("results")
        if not isinstance(results, list) or not all(isinstance(r, dict) and "id" in r for r in results):
            raise NotTheHall("应答格式不对，不是大厅在应答")
        if {r["id"] for r in results} - set(ids):
            raise NotTheHall("应答里有本机没有发送的条目")
        return results
