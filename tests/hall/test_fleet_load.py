"""A small fleet through the fleet benchmark's harness (benchmarks/fleet.py): kiosks enrolled with a hall served by
``kiosk hall serve`` in its own process, an outage while their backlogs queue up, every engine failing and backing
off with jitter, then the hall back on the same port. Behaviour only: every serial at the hall exactly once and
every outbox empty, on each back-end; the timing is the benchmark's business."""

from __future__ import annotations

from collections import Counter
from contextlib import closing

import pytest

from benchmarks.fleet import Audit, outage_and_reconnect
from config.settings import SyncSettings
from kiosk.hall.backends import open_storage

KIOSKS, EACH = 20, 20
QUICK = SyncSettings(backoff_base_seconds=0.2, backoff_cap_seconds=2.0)  # the outage is short, so are the waits


@pytest.mark.parametrize(("backend", "workers"), [("sqlite", 1), ("postgresql", 2)])
def test_a_fleet_reconnecting_after_an_outage_hands_every_submission_over_exactly_once(
    backend, workers, request, tmp_path
):
    db = request.getfixturevalue("postgres_url") if backend == "postgresql" else str(tmp_path / "hall.db")
    keys = tmp_path / "hall.keys"
    run, audit = outage_and_reconnect(
        db,
        keys,
        tmp_path,
        kiosks=KIOSKS,
        backlog=KIOSKS * EACH,
        workers=workers,
        outage=1.0,
        clients=2,
        sync=QUICK,
        timeout=60.0,
    )

    queued = Counter(body["serial"] for bodies in run.queued.values() for body in bodies)
    assert len(queued) == KIOSKS * EACH and set(queued.values()) == {1}
    with closing(open_storage(db, keys)) as storage:
        held = Counter(case["serial"] for case in storage.cases())
    assert held == queued
    assert audit == Audit(cases=KIOSKS * EACH, duplicates=0, lost=0, strangers=0)
    assert run.drained is not None
    assert run.outboxes == {station: (0, EACH, 0) for station in run.queued}  # pending, acknowledged, quarantined
    assert len(run.outboxes) == KIOSKS
    assert any(not call.answered for call in run.calls), "the engines met the outage"
