"""The sync engine: on its own thread, hands the outbox to the hall exactly once and mirrors what the hall knows.

One cycle (:meth:`SyncEngine.sync_once`): probe the hall's health (a captive portal's 200 page is not the hall);
when it comes back after an outage, make every waiting item due at once; ask the hall which of the items sent
before it already holds (reconcile: the answer may have been lost); push submissions in batches, then
evaluations, check-ins, queue tickets and a heartbeat; pull the progress of cases filed here, catalog and holiday
changes. Failures back off exponentially with full jitter up to a cap, or as long as the hall's Retry-After
says; an item the hall rejects as invalid is quarantined; a refused credential (401/403) pauses sync until a
technician acts. A hall too slow to answer within the timeout is given longer at each next try (up to
:data:`PATIENCE_SECONDS`), so its answers land rather than be lost to the timeout again and again. The engine
keeps the thread, the cadence and the state of the link; handing items over is :mod:`offline_cache.pushes`,
mirroring the hall's news :mod:`offline_cache.pulls`.

    >>> engine = SyncEngine(store, settings.sync, on_status=print)
    >>> engine.start(); engine.wake()  # after each new submission
"""

from __future__ import annotations

import functools
import importlib.metadata
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from config import faults
from config.settings import SyncSettings
from offline_cache.errors import CacheError, HallBusy, HallRefused, HallRejected, HallUnreachable, NotTheHall, SyncError
from offline_cache.hall_client import HallClient
from offline_cache.outbox import ticket_key
from offline_cache.pulls import Pulls
from offline_cache.pushes import Pushes
from offline_cache.store import Enrolment, Store

log = logging.getLogger(__name__)
T = TypeVar("T")

PATIENCE_SECONDS = 60.0
"""The longest the sync waits for one answer from a hall found slow (the settings' timeout if that is longer)."""
CLOCK_TRUSTED_SECONDS = 300.0
"""This machine's clock is taken as right within this of the hall's (the hall flags a kiosk beyond it too)."""


@dataclass(frozen=True, slots=True)
class SyncStatus:
    """What the status bar and the technician see. Ages and times in seconds; ``last_contact`` is Unix time."""

    enrolled: bool
    online: bool
    paused: bool  # the hall refused this kiosk's credentials: a technician must re-enrol it
    pending: int
    acknowledged: int
    quarantined: int
    oldest_pending_age_s: float | None
    pending_evaluations: int
    last_error: str
    last_contact: float | None
    hall_url: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@functools.cache
def software_version() -> str:
    """The kiosk software's version as installed, for the hall's fleet view."""
    try:
        return importlib.metadata.version("kiosk")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"


class SyncEngine:
    def __init__(
        self,
        store: Store,
        settings: SyncSettings,
        *,
        heartbeat: Callable[[], dict[str, Any]] | None = None,
        on_status: Callable[[SyncStatus], None] | None = None,
        on_update: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
        rng: random.Random | None = None,
    ) -> None:
        self.store = store
        self.settings = settings
        self.heartbeat = heartbeat
        self.on_status = on_status
        self.on_update = on_update
        self._clock = clock
        self._rng = rng or random.Random()
        self._cycle_lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self._client: HallClient | None = None
        self._client_key: tuple[str, str, str] | None = None
        self._online = False
        self._paused = False
        self._release = False  # make every pending item due at the next contact
        self._failures = 0  # consecutive failed cycles
        self._not_before = 0.0  # no contact before this time (backoff or Retry-After)
        self._last_error = ""
        self._last_contact: float | None = None
        self._next_pull = {"heartbeat": 0.0, "cases": 0.0, "catalog": 0.0, "holidays": 0.0}
        self._hall_clock: tuple[float, float, float] | None = None  # offset, and this machine's wall and monotonic
        self._pushes = Pushes(store.outbox, settings, clock=clock, backoff=self._backoff, contact=self._contact)
        self._pulls = Pulls(store)

    # Thread

    def start(self) -> None:
        if self._thread is None:
            self._stopping.clear()
            self._thread = threading.Thread(target=self._run, name="sync", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:  # a slow hall's answer is not waited for: the next start asks what it holds
            self._thread.join(timeout=self.settings.timeout_seconds + 5)
            self._thread = None
        if self._client is not None:
            self._client.close()

    def wake(self) -> None:
        """Something new waits (a submission, an evaluation): try now rather than at the next poll."""
        self._not_before = 0.0
        self._wake.set()

    def retry_now(self) -> None:
        """A technician asks for a sync: lift the pause and every backoff, the items' own included."""
        self._paused = False
        self._release = True
        self.wake()

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.sync_once()
            except Exception as exc:  # the sync thread must outlive any bug; the log has the traceback
                log.exception("sync cycle failed")
                self._last_error = f"同步出错（{type(exc).__name__}），稍后自动重试；详情见日志"
                self._not_before = self._clock() + self._backoff(self._failures + 1)
                if self.on_status is not None:
                    self.on_status(self.status())
            self._wake.wait(timeout=max(0.05, self._seconds_to_next_cycle()))
            self._wake.clear()

    def _seconds_to_next_cycle(self) -> float:
        now = self._clock()
        if self._paused:
            return self.settings.idle_poll_seconds * 10
        if self._not_before > now:
            return self._not_before - now
        pulls = [at for what, at in self._next_pull.items() if what != "heartbeat" or self.heartbeat is not None]
        candidates = [now + self.settings.idle_poll_seconds, *pulls]
        try:
            due = self.store.outbox.next_attempt_at()
        except CacheError:
            due = None
        if due is not None:
            candidates.append(due)
        return max(0.0, min(candidates) - now)

    # One cycle

    def sync_once(self) -> SyncStatus:
        """Do everything that is due now, on the calling thread; return the status after it."""
        with self._cycle_lock:
            faults.inject("sync")
            now = self._clock()
            enrolment = self.store.enrolment()
            if enrolment is None:
                self._online, self._last_error = False, "本机尚未登记到大厅"
            elif not self._paused and now >= self._not_before:
                self._cycle(self._client_for(enrolment))
        status = self.status()
        if self.on_status is not None:
            self.on_status(status)
        return status

    def probe(self) -> SyncStatus:
        """Ask the hall whether it is there (and really the hall), send nothing; return the status."""
        enrolment = self.store.enrolment()
        if enrolment is not None:
            try:
                self._client_for(enrolment).health()
                self._online = True
                self._contact()
            except SyncError as exc:
                self._online = False
                self._fail(exc, "hall probe failed")
        return self.status()

    def ask(self, question: Callable[[HallClient], T]) -> T:
        """Put ``question`` to the hall now, for a resident waiting at the screen (a short timeout). Raises
        :class:`SyncError` when the hall is out of reach (at once if the last cycle found it so) or refuses."""
        enrolment = self.store.enrolment()
        if enrolment is None or not self._online:
            raise HallUnreachable(self._last_error or "大厅暂时连不上")
        client = self._new_client(enrolment, timeout=min(3.0, self.settings.timeout_seconds))
        try:
            answer = question(client)
        finally:
            client.close()
        self._contact()
        return answer

    def case(self, serial: str) -> dict[str, Any] | None:
        """Ask the hall now for one case's progress (a case filed here is mirrored too); None if the hall has no
        such case. Raises :class:`SyncError` (see :meth:`ask`)."""
        case = self.ask(lambda client: client.case(serial))
        if case is not None:
            self.store.update_cases([case], datetime.now())
        return case

    def ticket_position(self, day: str, category: str, number: int) -> dict[str, Any] | None:
        """Hand one of this kiosk's tickets to the hall now if it has not gone yet, and ask where it stands: its
        status, window, people ahead and the calling rule (both mirrored here for counting offline). None if the
        hall has no such ticket. Raises :class:`SyncError` (see :meth:`ask`)."""
        key = ticket_key({"day": day, "category": category, "number": number})

        def question(client: HallClient) -> dict[str, Any] | None:
            self._pushes.hand_over(client, f"ticket:{key}", "ticket")
            return client.ticket_position(day, key.split("/")[1])

        position = self.ask(question)
        if position is not None:
            self.store.set_ticket_status(day, category, number, str(position["status"]))
            self.store.set_mirror_value("queue_rule", json.dumps(position["rule"]))
        return position

    def _client_for(self, enrolment: Enrolment) -> HallClient:
        """The engine's client, made anew when the kiosk is enrolled anew (another hall, token or certificate)."""
        key = (enrolment.url, enrolment.token, enrolment.hall_certificate_sha256)
        if self._client_key != key:
            if self._client is not None:
                self._client.close()
            self._client = self._new_client(enrolment, self.settings.timeout_seconds, patience=PATIENCE_SECONDS)
            self._client_key = key
        assert self._client is not None
        return self._client

    def _new_client(self, enrolment: Enrolment, timeout: float, patience: float | None = None) -> HallClient:
        return HallClient(
            enrolment.url,
            enrolment.token,
            timeout=timeout,
            patience=patience,
            ca_file=self.settings.ca_file,
            certificate=enrolment.hall_certificate_sha256,
        )

    def clock_correction(self) -> float:
        """Seconds to add to this machine's clock for the hall's: the offset the last answer showed, when it is
        beyond :data:`CLOCK_TRUSTED_SECONDS` (a dead clock battery at a village point) and the clock has not been
        set since; otherwise 0. What is filed here then bears the hall's date: the receipt's day and expected date,
        the serial's day."""
        if self._hall_clock is None:
            return 0.0
        offset, wall, monotonic = self._hall_clock
        if abs(offset) <= CLOCK_TRUSTED_SECONDS:
            return 0.0
        if abs((time.time() - wall) - (time.monotonic() - monotonic)) > 60:
            return 0.0  # the clock was set since it was measured: until the next answer, trust it
        return offset

    def _note_hall_clock(self, offset: float | None) -> None:
        if offset is None:
            return
        wrong = abs(offset) > CLOCK_TRUSTED_SECONDS
        if wrong and self.clock_correction() == 0.0:
            log.warning(
                "this machine's clock is %.0f s %s the hall's: what is filed here follows the hall's clock until it"
                " is set right (sudo timedatectl set-ntp true, and check the clock battery)",
                abs(offset),
                "behind" if offset > 0 else "ahead of",
            )
        elif not wrong and self.clock_correction() != 0.0:
            log.info("this machine's clock agrees with the hall's again")
        self._hall_clock = (offset, time.time(), time.monotonic())

    def _cycle(self, client: HallClient) -> None:
        try:
            client.health()
            self._contact()
            self._note_hall_clock(client.clock_offset)
            if not self._online:  # back from an outage: a failure from here on (a busy hall's timeout) starts over
                self._failures = 0
            if not self._online or self._release:
                released = self.store.outbox.release(self._clock())
                log.info("hall reachable; %d waiting items are due now", released)
            self._online, self._release = True, False
            self._pushes.reconcile(client)
            for kind in ("submission", "evaluation", "checkin", "ticket"):
                self._pushes.push(client, kind)
            self._send_heartbeat(client)
            self._pull(client)
            self._failures = 0
            client.take_stock()
        except HallRefused as exc:
            self._paused = True
            self._fail(exc, "sync paused: the hall refused this kiosk's credentials")
        except HallBusy as exc:
            self._failures += 1
            wait = exc.retry_after if exc.retry_after is not None else self._backoff(self._failures)
            self._not_before = self._clock() + min(wait, self.settings.backoff_cap_seconds)
            self._fail(exc, f"hall busy; next try in {self._not_before - self._clock():.1f} s")
        except (HallUnreachable, NotTheHall, HallRejected) as exc:
            self._online = False
            self._failures += 1
            self._not_before = self._clock() + self._backoff(self._failures)
            what = "hall slow, no answer in time" if client.timed_out else "hall offline"
            self._fail(exc, f"{what}; next probe in {self._not_before - self._clock():.1f} s")
        except CacheError as exc:
            self._fail(exc, "local store failed during sync")

    def _contact(self) -> None:
        self._last_contact = self._clock()

    def _fail(self, exc: Exception, what: str) -> None:
        """Keep the error for the status; log it once per change, not once per retry of a long outage."""
        level = logging.DEBUG if str(exc) == self._last_error else logging.WARNING
        self._last_error = str(exc)
        log.log(level, "%s: %s", what, exc)

    def _backoff(self, failures: int) -> float:
        """Full jitter: a uniform wait between zero and the capped exponential."""
        ceiling = min(self.settings.backoff_cap_seconds, self.settings.backoff_base_seconds * 2 ** min(failures, 32))
        return self._rng.uniform(0, ceiling)

    def _due(self, what: str, every: float) -> bool:
        now = self._clock()
        if now < self._next_pull[what]:
            return False
        self._next_pull[what] = now + every
        return True

    def _send_heartbeat(self, client: HallClient) -> None:
        if self.heartbeat is not None and self._due("heartbeat", self.settings.heartbeat_seconds):
            counts = self.store.outbox.counts()
            body = {
                "at": datetime.now(UTC).isoformat(timespec="seconds"),
                "version": software_version(),
                "pending": counts.pending,
                "quarantined": counts.quarantined,
                "oldest_pending_age_s": self._age(counts.oldest_pending_at),
                "devices": self.heartbeat(),
            }
            self.store.outbox.enqueue_heartbeat(body, self._clock())
        for item in self.store.outbox.due("heartbeat", self._clock(), 1):
            client.heartbeat(item.body)
            self._contact()
            self.store.outbox.acknowledge({item.id: {"ok": True}}, self._clock())

    def _pull(self, client: HallClient) -> None:
        """The hall's news, each on its own cadence; ``on_update`` is told what changed."""
        settings, pulls = self.settings, self._pulls
        for what, every, pull in (
            ("cases", settings.case_status_seconds, pulls.cases),
            ("catalog", settings.catalog_seconds, pulls.catalog),
            ("holidays", settings.catalog_seconds, pulls.holidays),  # no setting of its own: the catalog's cadence
        ):
            if self._due(what, every) and pull(client) and self.on_update is not None:
                self.on_update(what)

    # Status

    def _age(self, since: float | None) -> float | None:
        return None if since is None else max(0.0, self._clock() - since)

    def status(self) -> SyncStatus:
        enrolment = self.store.enrolment()
        counts = self.store.outbox.counts()
        return SyncStatus(
            enrolled=enrolment is not None,
            online=self._online and not self._paused,
            paused=self._paused,
            pending=counts.pending,
            acknowledged=counts.acknowledged,
            quarantined=counts.quarantined,
            oldest_pending_age_s=self._age(counts.oldest_pending_at),
            pending_evaluations=counts.pending_evaluations,
            last_error=self._last_error or counts.last_item_error,
            last_contact=self._last_contact,
            hall_url=enrolment.url if enrolment else "",
        )
