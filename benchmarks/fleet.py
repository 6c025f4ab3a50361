"""Fleet load: a fleet of kiosks reconnects at once after an outage and drains its backlog to the hall.

    uv run python benchmarks/fleet.py [--backend postgresql sqlite] [--kiosks 500] [--backlog 10000]
                                      [--workers N] [--outage 5] [--clients 2] [--sync-timeout S] [--backoff-cap S]

For each back-end (PostgreSQL with 4 hall workers, SQLite with 1, unless ``--workers`` says otherwise): a fresh hall
(``kiosk hall serve`` in a process of its own, on a fixed loopback port) enrols ``--kiosks`` kiosks, each of which
syncs once (catalog and holidays mirrored, as a running kiosk's are); then the hall stops: the outage. Each kiosk
files its share of ``--backlog`` sealed submissions and starts its real :class:`~offline_cache.sync.SyncEngine`
thread with the shipped sync settings (``--sync-timeout`` and ``--backoff-cap`` change two), so every engine fails
at the same moment and backs off with its own full jitter. After ``--outage`` seconds the hall starts again on the
same port. From the hall's first answer until every kiosk's outbox is empty: the drain time, submissions per
second, the batch pushes' latency as the kiosks see it (p50, p99), the requests per second (the curve: a line a
second, the outage's refused retries before second 0, with the cases the hall stored in each second), the
requests that failed while the hall was up, and the CPU each party used, from which a line names the bottleneck.
The hall's cases are then checked against what was queued: duplicates and lost must be 0 (exit status 1
otherwise).

The floor: the same submissions (ids, serials, sealed payloads) taken in by the hall's own intake
(:func:`kiosk.hall.intake.accept_submissions`: open the envelopes, decide, record the cases) in this process, in the
kiosks' batches, each one transaction as the hall takes it, without HTTP, on a fresh database of the same
back-end.

The kiosks run as threads spread over ``--clients`` processes (default 2): in one process 500 engines would share
one GIL. PostgreSQL is the tests' throw-away server (tests/postgres.py: fsync off); the SQLite hall and the kiosks
write with synchronous=FULL. ``tests/hall/test_fleet_load.py`` runs a small fleet through the same functions.
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import os
import queue
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import requests

import offline_cache.sync
from benchmarks.sync_throughput import new_submission
from config.settings import Settings, SyncSettings
from devices.health import DEVICES, DeviceHealth
from kiosk.catalog import load_catalog
from kiosk.enrolment import enrol
from kiosk.hall.backends import open_storage
from kiosk.hall.holidays import seed_holidays
from kiosk.hall.intake import accept_submissions
from kiosk.hall.storage import Principal
from offline_cache import Store
from offline_cache.hall_client import HALL_SERVICE, HallClient
from offline_cache.sync import SyncEngine
from tests.postgres import Cluster

ROOT = Path(__file__).resolve().parent.parent
FILED = datetime(2026, 11, 23, 9, 0)
BATCH_PATH = "/v1/submissions/batch"
TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A loopback port nothing listens on now (the outage's port: refused until the hall takes it), below the
    ephemeral range: a kiosk's connection to a port of that range, with nothing listening, can be given the same
    port as its own and connect to itself, holding the port the hall needs."""
    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    for port in random.sample(range(low // 2, low), 100):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port between {low // 2} and {low}")


def children(pid: int) -> list[int]:
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if f"\nPPid:\t{pid}\n" in status.read_text():
                found.append(int(status.parent.name))
        except OSError:
            continue  # it ended while we looked
    return found


def cpu_seconds(pids: Iterable[int]) -> float:
    """User and system CPU time the processes ``pids`` have used so far."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / TICK


def machine_busy_seconds() -> float:
    """CPU time all cores together have spent not idle since boot."""
    ticks = [int(value) for value in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / TICK  # all but idle and iowait


class Hall:
    """``kiosk hall serve`` in a process of its own on a fixed loopback port: started, stopped and started again
    on the same port as an outage takes it away and gives it back. Its output goes to ``log``."""

    def __init__(self, db: str, keys: Path, port: int, workers: int, log: Path) -> None:
        self.options = ["--db", db, "--keys", str(keys), "--port", str(port), "--workers", str(workers)]
        self.url = f"http://127.0.0.1:{port}"
        self.log = log
        self._process: subprocess.Popen | None = None

    def start(self, timeout: float = 60.0) -> float:
        """Serve; return the moment (``time.monotonic``) the hall first answered /v1/health."""
        with self.log.open("a") as out:
            command = [sys.executable, "-m", "kiosk", "hall", "serve", *self.options]
            self._process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the hall exited with {self._process.returncode}:\n{self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url + "/v1/health", timeout=1).json().get("service") == HALL_SERVICE:
                    return time.monotonic()
            except (requests.RequestException, ValueError):
                pass  # refused, or accepted while a worker still starts
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"the hall did not answer within {timeout:g} s:\n{self.log.read_text()[-2000:]}")

    def pids(self) -> list[int]:
        """The serving process and its workers."""
        return [] if self._process is None else [self._process.pid, *children(self._process.pid)]

    def stop(self) -> None:
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


def devices_ok() -> DeviceHealth:
    """A kiosk's devices, all well: what its heartbeat reports. (An engine without a heartbeat polls the hall's
    health every 50 ms once online, the heartbeat's pull time never being set; every kiosk has one.)"""
    health = DeviceHealth()
    for device in DEVICES:
        health.report(device, "ok")
    return health


def enrolment_codes(db: str, keys: Path, count: int) -> list[str]:
    with closing(open_storage(db, keys)) as storage:
        return [storage.new_enrolment_code() for _ in range(count)]


def enrol_fleet(hall: Hall, codes: list[str], folder: Path, sync: SyncSettings) -> list[Path]:
    """One kiosk per code, enrolled with the running ``hall`` as a technician would, and synced once (catalog
    and holidays mirrored, as a running kiosk's are): their database files. Stations F0000, F0001, …"""
    base = Settings()

    def one(n: int) -> Path:
        path = folder / f"kiosk-{n:04d}.db"
        station = base.station.model_copy(update={"id": f"F{n:04d}"})
        store = Store(path)
        try:
            enrol(store, base.model_copy(update={"station": station, "sync": sync}), hall.url, codes[n])
            status = SyncEngine(store, sync, heartbeat=devices_ok().as_dict).sync_once()
            if not status.online:
                raise RuntimeError(f"kiosk F{n:04d} could not sync with the hall: {status.last_error}")
        finally:
            store.close()
        return path

    folder.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(8) as pool:
        return list(pool.map(one, range(len(codes))))


def shares(total: int, parts: int) -> list[int]:
    """``total`` split over ``parts`` as evenly as whole numbers allow."""
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


class Call(NamedTuple):
    """One request a kiosk's engine made; times are ``time.monotonic`` (one clock for every process here)."""

    process: int
    thread: int
    path: str
    start: float
    end: float
    error: str  # the class of the failure (refused or timed out: HallUnreachable); empty if the hall answered

    @property
    def answered(self) -> bool:
        return not self.error


def timed_client(calls: list[Call]) -> type[HallClient]:
    """A :class:`HallClient` that notes every request in ``calls``."""

    class TimedHallClient(HallClient):
        def _call(self, method: str, path: str, *, json: Any = None, params: Any = None) -> Any:
            start, error = time.monotonic(), ""
            try:
                return super()._call(method, path, json=json, params=params)
            except Exception as exc:
                error = type(exc).__name__
                raise
            finally:
                calls.append(Call(os.getpid(), threading.get_ident(), path, start, time.monotonic(), error))

    return TimedHallClient


def run_kiosks(paths: list[Path], backlogs: list[int], sync: SyncSettings, go: Any, stop: Any, reports: Any) -> None:
    """One client process: file each kiosk's backlog and report it, then from ``go`` run each kiosk's sync engine
    on a thread of its own until ``stop``; report the moment the last of them had an empty outbox, then every
    request made and each outbox's final counts."""
    logging.getLogger("offline_cache").setLevel(logging.ERROR)  # not 500 warnings that the hall is away
    calls: list[Call] = []
    offline_cache.sync.HallClient = timed_client(calls)  # the engines make their clients here (this process only)
    stores = [Store(path) for path in paths]
    queued = {}
    for store, backlog in zip(stores, backlogs, strict=True):
        station = store.enrolment().station_id
        for _ in range(backlog):
            store.add_submission(new_submission(FILED), lambda seq, s=station: f"{s}-261123-{seq:05d}-X")
        queued[station] = [item.body for item in store.outbox.due("submission", time.time(), backlog)]
    reports.put(("ready", os.getpid(), queued))
    go.wait()

    drained: dict[str, float] = {}
    lock = threading.Lock()

    def watch(station: str) -> Callable[[offline_cache.sync.SyncStatus], None]:
        def on_status(status: offline_cache.sync.SyncStatus) -> None:
            if status.pending == 0:
                with lock:
                    if station not in drained:
                        drained[station] = time.monotonic()
                        if len(drained) == len(stores):
                            reports.put(("drained", os.getpid(), max(drained.values())))

        return on_status

    engines = [
        SyncEngine(store, sync, heartbeat=devices_ok().as_dict, on_status=watch(station))
        for store, station in zip(stores, queued, strict=True)
    ]
    for engine in engines:
        engine.start()
    stop.wait()
    for engine in engines:
        engine.stop()
    outboxes = {}
    for store, station in zip(stores, queued, strict=True):
        counts = store.outbox.counts()
        outboxes[station] = (counts.pending, counts.acknowledged, counts.quarantined)
        store.close()
    reports.put(("done", os.getpid(), (calls, outboxes)))


@dataclass(frozen=True)
class Reconnect:
    """What one outage and reconnect of a fleet showed. Times are ``time.monotonic`` values."""

    queued: dict[str, list[dict]]  # station: the bodies it queued (ids, serials, sealed payloads)
    offline: float  # every engine started, the hall away
    hall_started: float  # the hall's process started (it listens before its workers answer)
    up: float  # the hall's first answer, to the probe or to a kiosk
    drained: float | None  # the last engine to report an empty outbox did (at its cycle's end); None: not in time
    calls: list[Call]
    outboxes: dict[str, tuple[int, int, int]]  # station: pending, acknowledged, quarantined at the end
    cpu: dict[str, float]  # CPU seconds from ``up`` to ``drained``: hall, database, kiosks, machine
    wall: float  # ``time.time() - time.monotonic()``: turns the hall's timestamps into these times

    @property
    def drain_seconds(self) -> float:
        return math.inf if self.drained is None else self.drained - self.up

    @property
    def submissions(self) -> int:
        return sum(len(bodies) for bodies in self.queued.values())


def _reports(reports: Any, processes: list, kind: str, deadline: float) -> list[tuple[int, Any]]:
    """One ``kind`` report from each process (others are dropped), or as many as came before ``deadline``."""
    found: dict[int, Any] = {}
    while len(found) < len(processes) and time.monotonic() < deadline:
        try:
            got, pid, payload = reports.get(timeout=0.5)
        except queue.Empty:
            if not all(process.is_alive() for process in processes):
                raise RuntimeError("a client process died; its traceback is above") from None
            continue
        if got == kind:
            found[pid] = payload
    return list(found.items())


def _cpu(pids: dict[str, list[int]]) -> dict[str, float]:
    return {party: cpu_seconds(some) for party, some in pids.items()} | {"machine": machine_busy_seconds()}


def reconnect(
    paths: list[Path],
    backlog: int,
    hall: Hall,
    sync: SyncSettings,
    *,
    outage: float,
    clients: int,
    timeout: float = 600.0,
    database_pids: Callable[[], list[int]] = list,
) -> Reconnect:
    """File ``backlog`` submissions over the kiosks at ``paths`` while ``hall`` is stopped, start every kiosk's
    engine at once, start the hall ``outage`` seconds later and wait (at most ``timeout`` seconds) until every
    outbox is empty. The kiosks run as threads of ``clients`` processes."""
    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
    go, stop, reports = context.Event(), context.Event(), context.Queue()
    backlogs = shares(backlog, len(paths))
    processes = []
    for n in range(min(clients, len(paths))):
        mine = range(n, len(paths), clients)
        args = ([paths[i] for i in mine], [backlogs[i] for i in mine], sync, go, stop, reports)
        processes.append(context.Process(target=run_kiosks, args=args, name=f"kiosks-{n}", daemon=True))
    for process in processes:
        process.start()
    try:
        queued = {}
        for _, share in _reports(reports, processes, "ready", time.monotonic() + timeout):
            queued.update(share)
        go.set()
        offline = time.monotonic()
        time.sleep(outage)
        hall_started = time.monotonic()
        probed = hall.start()
        pids = {"hall": hall.pids(), "database": database_pids(), "kiosks": [p.pid for p in processes]}
        before = _cpu(pids)
        emptied = _reports(reports, processes, "drained", probed + timeout)
        later = {"hall": hall.pids(), "database": database_pids(), "kiosks": pids["kiosks"]}
        after = _cpu({party: sorted(set(pids[party]) | set(later[party])) for party in pids})
        stop.set()
        calls, outboxes = [], {}
        for _, (some, theirs) in _reports(reports, processes, "done", time.monotonic() + 60):
            calls += some
            outboxes.update(theirs)
    finally:
        go.set()
        stop.set()
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.terminate()
    return Reconnect(
        queued=queued,
        offline=offline,
        hall_started=hall_started,
        up=min([probed, *(call.end for call in calls if call.answered)]),  # a kiosk may have had the first answer
        drained=max(at for _, at in emptied) if len(emptied) == len(processes) else None,
        calls=sorted(calls, key=lambda call: call.start),
        outboxes=outboxes,
        cpu={party: after[party] - before.get(party, 0.0) for party in after},
        wall=time.time() - time.monotonic(),
    )


@dataclass(frozen=True)
class Audit:
    """The hall's cases against what the kiosks queued."""

    cases: int
    duplicates: int  # serials or submission ids held more than once (each extra copy counts)
    lost: int  # queued serials the hall does not hold
    strangers: int  # serials the hall holds that no kiosk queued
    stored_at: tuple[float, ...] = field(default=(), compare=False, repr=False)  # each case's arrival (Unix time)


def audit(db: str, keys: Path, queued: dict[str, list[dict]]) -> Audit:
    with closing(open_storage(db, keys)) as storage:
        cases = storage.cases()
    serials = Counter(case["serial"] for case in cases)
    ids = Counter(case["submission_id"] for case in cases)
    sent = {body["serial"] for bodies in queued.values() for body in bodies}
    return Audit(
        cases=len(cases),
        duplicates=sum(n - 1 for n in serials.values()) + sum(n - 1 for n in ids.values()),
        lost=len(sent - set(serials)),
        strangers=len(set(serials) - sent),
        stored_at=tuple(datetime.fromisoformat(case["received_at"]).timestamp() for case in cases),
    )


def outage_and_reconnect(
    db: str,
    keys: Path,
    work: Path,
    *,
    kiosks: int,
    backlog: int,
    workers: int,
    outage: float,
    clients: int,
    sync: SyncSettings,
    timeout: float = 600.0,
    database_pids: Callable[[], list[int]] = list,
) -> tuple[Reconnect, Audit]:
    """A fleet of ``kiosks`` enrolled with a new hall at ``db``, an outage while ``backlog`` submissions queue
    up, the reconnect (:func:`reconnect`, waiting at most ``timeout`` seconds), and the audit of the hall's cases."""
    hall = Hall(db, keys, free_port(), workers, work / "hall.log")
    codes = enrolment_codes(db, keys, kiosks)
    hall.start()
    try:
        paths = enrol_fleet(hall, codes, work / "kiosks", sync)
    finally:
        hall.stop()
    try:
        run = reconnect(
            paths,
            backlog,
            hall,
            sync,
            outage=outage,
            clients=clients,
            timeout=timeout,
            database_pids=database_pids,
        )
    finally:
        hall.stop()
    return run, audit(db, keys, run.queued)


def floor(db: str, keys: Path, queued: dict[str, list[dict]], batch: int) -> float:
    """Seconds the hall's own intake takes for ``queued`` in this process, in the kiosks' batches of ``batch``
    (each one transaction, as the hall takes a batch), without HTTP, on the empty hall at ``db`` (seeded as
    ``kiosk hall serve`` seeds one, each station enrolled)."""
    with closing(open_storage(db, keys)) as storage:
        storage.seed_catalog(load_catalog())
        seed_holidays(storage)
        senders = {}
        for station in queued:
            enrolment = storage.enroll(storage.new_enrolment_code(), station, "floor")
            senders[station] = Principal("kiosk", enrolment.kiosk_id, station)
        start = time.perf_counter()
        for station, bodies in queued.items():
            for first in range(0, len(bodies), batch):  # as the hall takes a kiosk's batch: one commit
                chunk = bodies[first : first + batch]
                for body, result in zip(chunk, accept_submissions(storage, senders[station], chunk), strict=True):
                    if result.status != 201:
                        raise RuntimeError(f"the floor's intake refused {body['serial']}: {result.error}")
        return time.perf_counter() - start


# Report


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` 0.5, 0.99) of ``values``; NaN if there are none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


@dataclass(frozen=True)
class Result:
    """One back-end's run, its audit and its floor; times in seconds from the hall's first answer."""

    name: str
    run: Reconnect
    audit: Audit
    floor_seconds: float
    sync: SyncSettings  # the kiosks'

    @property
    def stored(self) -> list[float]:
        """When the hall stored each case."""
        return sorted(at - self.run.wall - self.run.up for at in self.audit.stored_at)

    @property
    def batch_ms(self) -> list[float]:
        return [1000 * (c.end - c.start) for c in self.run.calls if c.path == BATCH_PATH and c.answered]

    @property
    def first_answers(self) -> list[float]:
        """When each kiosk first had an answer from the hall."""
        first: dict[tuple[int, int], float] = {}
        for call in self.run.calls:
            if call.answered:
                first.setdefault((call.process, call.thread), call.end - self.run.up)
        return list(first.values())

    @property
    def failed_while_up(self) -> list[Call]:
        return [c for c in self.run.calls if c.error and c.end >= self.run.up]

    def curve(self, width: int = 50) -> list[str]:
        """Requests per second by when they were sent, from the outage's start to the drain (second 0: the one
        in which the hall first answered), with the cases the hall stored in each second."""
        run = self.run
        end = run.drained if run.drained is not None else max((c.end for c in run.calls), default=run.up)
        first, last = math.floor(run.offline - run.up), math.floor(end - run.up)
        sent, failed = Counter(), Counter()
        for call in run.calls:
            second = math.floor(call.start - run.up)
            sent[second] += 1
            failed[second] += not call.answered
        stored = Counter(math.floor(at) for at in self.stored)
        peak = max(sent[second] for second in range(first, last + 1)) or 1
        lines = ["       s   sent  failed  stored"]
        for second in range(first, last + 1):
            bar = "█" * round(width * sent[second] / peak)
            lines.append(f"  {second:+6d} {sent[second]:6d} {failed[second]:7d} {stored[second]:7d}  {bar}")
        return lines

    def windows(self) -> list[float]:
        """Each kiosk's widest backoff window when the hall came back: it grows with every failed attempt
        (full jitter draws the wait from zero up to it), not with the outage's length."""
        failures = Counter((c.process, c.thread) for c in self.run.calls if c.error and c.end < self.run.up)
        base, cap = self.sync.backoff_base_seconds, self.sync.backoff_cap_seconds
        return [min(cap, base * 2**n) for n in failures.values()]

    def findings(self) -> list[str]:
        run, drain = self.run, self.run.drain_seconds
        waited = [c for c in run.calls if run.hall_started <= c.start < run.up and c.answered]
        stored = self.stored
        by = [stored[max(0, math.ceil(share * len(stored)) - 1)] if stored else math.nan for share in (0.5, 0.95, 1)]
        failed = Counter((c.path, c.error) for c in self.failed_while_up)
        windows = self.windows()
        cores = os.cpu_count() or 1
        used = {party: run.cpu[party] / drain for party in ("hall", "database", "kiosks")}
        busy = run.cpu["machine"] / (drain * cores)
        last_first = max(self.first_answers, default=0.0)
        if failed and drain > 1.5 * by[1]:
            verdict = (
                f"the kiosks' backoff: {sum(failed.values())} requests timed out or failed while the hall was up, "
                "and their kiosks waited out windows grown during the outage before they learnt what it held"
            )
        elif last_first >= 0.8 * drain:
            verdict = f"the kiosks' backoff: the last kiosk first reached the hall at +{last_first:.1f} s"
        elif busy >= 0.85:
            verdict = f"the CPUs ({busy:.0%} busy; most used by the {max(used, key=used.__getitem__)})"
        else:
            verdict = f"the hall's writes, one at a time (CPUs {busy:.0%} busy)"
        return [
            f"hall start-up: {run.up - run.hall_started:.1f} s from its process start to its first answer; "
            f"{len(waited)} kiosk requests waited in its listen queue meanwhile",
            f"backoff windows when the hall came back: median {statistics.median(windows or [0]):.0f} s, widest "
            f"{max(windows or [0]):.0f} s (timeout {self.sync.timeout_seconds:g} s, base "
            f"{self.sync.backoff_base_seconds:g} s, cap {self.sync.backoff_cap_seconds:g} s)",
            f"the hall held 50% / 95% / all of the submissions at +{by[0]:.1f} / +{by[1]:.1f} / +{by[2]:.1f} s "
            f"({0.95 * len(stored) / by[1]:.0f} /s to 95%, floor {run.submissions / self.floor_seconds:.0f} /s); "
            f"the last outbox emptied at +{drain:.1f} s",
            "failed while the hall was up: "
            + (", ".join(f"{n} {path} ({error})" for (path, error), n in failed.most_common()) or "none"),
            "CPU cores used from the first answer to the drain: "
            + ", ".join(f"{party} {n:.2f}" for party, n in used.items())
            + f"; machine {busy:.0%} of {cores}",
            f"bottleneck: {verdict}",
        ]


def report(result: Result) -> None:
    print(f"\n{result.name}: requests per second (second 0: the hall's first answer; before it, the outage)")
    print("\n".join(result.curve()))
    for line in result.findings():
        print(f"  {line}")
    stuck = {s: o for s, o in result.run.outboxes.items() if o[0] or o[2]}
    if stuck:
        print(f"  kiosks with items left (pending, acknowledged, quarantined): {dict(list(stuck.items())[:10])}")


def summary(results: list[Result], kiosks: int) -> int:
    """The table and the goals; the exit status (1 if anything was duplicated or lost)."""

    def row(label: str, cell: Callable[[Result], str]) -> None:
        print(f"  {label:<34}" + "".join(f"{cell(r):>24}" for r in results))

    def ms(r: Result) -> str:
        return f"{percentile(r.batch_ms, 0.5):.0f} / {percentile(r.batch_ms, 0.99):.0f} ms"

    def first(r: Result) -> str:
        return f"{statistics.median(r.first_answers or [math.nan]):.1f} / {max(r.first_answers or [math.nan]):.1f} s"

    def calls(r: Result) -> str:
        return f"{sum(c.answered for c in r.run.calls)} / {sum(not c.answered for c in r.run.calls)}"

    print(f"\nfleet of {kiosks} kiosks reconnecting after an outage:")
    row("", lambda r: r.name)
    row("queued submissions", lambda r: f"{r.run.submissions}")
    row("drain after the hall is up", lambda r: f"{r.run.drain_seconds:.1f} s")
    row("submissions per second", lambda r: f"{r.run.submissions / r.run.drain_seconds:.0f} /s")
    row("batch push latency p50 / p99", ms)
    row("kiosks' first answer p50 / max", first)
    row("requests answered / failed", calls)
    row("cases at the hall", lambda r: f"{r.audit.cases}")
    row("duplicates / lost", lambda r: f"{r.audit.duplicates} / {r.audit.lost}")
    row("floor: hall intake in-process", lambda r: f"{r.floor_seconds:.1f} s")
    row("floor submissions per second", lambda r: f"{r.run.submissions / r.floor_seconds:.0f} /s")
    row("drain / floor", lambda r: f"{r.run.drain_seconds / r.floor_seconds:.2f}x")
    print("goals:")
    for r in results:
        drain, ratio = r.run.drain_seconds, r.run.drain_seconds / r.floor_seconds
        if r.name.startswith("postgresql"):  # the goals are the city hall's; SQLite's figures are shown
            print(f"  {r.name}: {r.run.submissions} drained in ≤ 60 s: {drain:.1f} s, {_met(drain <= 60)}")
            print(f"  {r.name}: within 2x the floor: {ratio:.2f}x, {_met(ratio <= 2)}")
        print(f"  {r.name}: no duplicates, none lost: {_met(r.audit.duplicates == r.audit.lost == 0)}")
    return 0 if all(r.audit.duplicates == r.audit.lost == 0 for r in results) else 1


def _met(met: bool) -> str:
    return "met" if met else "NOT met"


def run_backend(backend: str, args: argparse.Namespace, work: Path) -> Result:
    workers = args.workers or (4 if backend == "postgresql" else 1)
    name = f"{backend} ({workers} worker{'s' if workers > 1 else ''})"
    sync = Settings().sync
    if args.sync_timeout:
        sync = sync.model_copy(update={"timeout_seconds": args.sync_timeout})
    if args.backoff_cap:
        sync = sync.model_copy(update={"backoff_cap_seconds": args.backoff_cap})
    keys = work / "hall.keys"
    cluster = Cluster() if backend == "postgresql" else None
    try:
        if cluster is not None:
            db, floor_db, pids = cluster.new_database(), cluster.new_database(), lambda: postgres_pids(cluster)
        else:
            db, floor_db, pids = str(work / "hall.db"), str(work / "floor.db"), list
        common = {"workers": workers, "outage": args.outage, "clients": args.clients, "sync": sync}
        run, found = outage_and_reconnect(
            db, keys, work, kiosks=args.kiosks, backlog=args.backlog, database_pids=pids, **common
        )
        result = Result(name, run, found, floor(floor_db, keys, run.queued, sync.batch_size), sync)
    finally:
        if cluster is not None:
            cluster.stop()
    report(result)
    return result


def postgres_pids(cluster: Cluster) -> list[int]:
    """The server's postmaster and its backends."""
    postmaster = int((cluster.folder / "data" / "postmaster.pid").read_text().split("\n", 1)[0])
    return [postmaster, *children(postmaster)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", nargs="+", choices=["postgresql", "sqlite"], default=["postgresql", "sqlite"])
    parser.add_argument("--kiosks", type=int, default=500)
    parser.add_argument("--backlog", type=int, default=10_000, help="submissions queued over the whole fleet")
    parser.add_argument("--workers", type=int, help="hall worker processes (default: PostgreSQL 4, SQLite 1)")
    parser.add_argument("--outage", type=float, default=5.0, help="seconds the hall is away after the engines start")
    parser.add_argument("--clients", type=int, default=2, help="processes the kiosks' threads are spread over")
    parser.add_argument("--sync-timeout", type=float, help="the kiosks' request timeout (default: the shipped 10 s)")
    parser.add_argument("--backoff-cap", type=float, help="the kiosks' widest backoff (default: the shipped 300 s)")
    args = parser.parse_args()
    results = []
    for backend in args.backend:
        work = Path(tempfile.mkdtemp(prefix=f"kiosk-fleet-{backend}-"))
        try:
            results.append(run_backend(backend, args, work))
        finally:
            shutil.rmtree(work, ignore_errors=True)
    sys.exit(summary(results, args.kiosks))


if __name__ == "__main__":
    main()
