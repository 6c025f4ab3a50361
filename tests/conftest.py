from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import pytest

from config.settings import Settings
from devices.speaker import RecordingSpeaker
from kiosk.app import KioskApp, make_app
from kiosk.enrolment import enrol as enrol_with
from kiosk.hall.runner import HallServer
from kiosk.services import KioskServices, build_services
from offline_cache import Enrolment, Store
from offline_cache.envelope import HallKeyPair, associated_data, open_sealed
from tests.postgres import Cluster

FIXED_NOW = datetime(2026, 11, 23, 9, 30)  # a Monday


class FakeClock:
    """Monotonic time that moves only when a test says so."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t

    def advance(self, seconds: float) -> None:
        self.t += seconds


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings().simulated(tmp_path / "data")


@pytest.fixture
def hall(tmp_path):
    """The reference hall on a free loopback port, with its own database."""
    server = HallServer(tmp_path / "hall.db")
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def postgres():
    """A throw-away PostgreSQL server for this test process (tests/postgres.py)."""
    cluster = Cluster()
    yield cluster
    cluster.stop()


@pytest.fixture
def postgres_url(postgres) -> str:
    """A new empty database on the throw-away server."""
    return postgres.new_database()


@pytest.fixture(params=["sqlite", "postgresql"])
def any_hall(request, tmp_path):
    """The reference hall on each back-end in turn: a SQLite file, then a new database of the throw-away
    PostgreSQL server (its keys in a file of their own)."""
    if request.param == "postgresql":
        server = HallServer(request.getfixturevalue("postgres_url"), keys=tmp_path / "hall.keys")
    else:
        server = HallServer(tmp_path / "hall.db")
    server.start()
    yield server
    server.stop()
    server.storage.close()


HALL_KEYS = HallKeyPair.generate()  # the test hall's key pair: tests may open what the kiosk sealed
NO_HALL = "http://127.0.0.1:9"  # nothing listens there: an enrolled kiosk whose hall is out of reach


def enrol(store: Store, url: str = NO_HALL, keys: HallKeyPair = HALL_KEYS, station: str = "DEMO01") -> None:
    """Enrol ``store`` with a hall without asking one (the hall's own enrolment is tested in test_hall)."""
    store.enrol(Enrolment(url, f"kiosk-{station}", station, "test-token", keys.public_text, "2026-11-22T08:00:00"))


def opened_payload(store: Store, submission_id: str) -> dict:
    """What the hall reads from a sealed submission: only the hall's private key opens it."""
    body = store.outbox.body(submission_id)
    aad = associated_data(submission_id, body["schema_version"])
    return json.loads(open_sealed(body["envelope"], HALL_KEYS.private, aad))


@pytest.fixture
def services(settings: Settings):
    enrol_store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
    enrol(enrol_store)
    enrol_store.close()
    services = build_services(settings, now=lambda: FIXED_NOW)
    yield services
    services.devices.close()
    services.store.close()


@pytest.fixture
def online_services(settings: Settings, hall):
    """Services of a kiosk enrolled with the loopback ``hall``, retrying quickly when it is away."""
    fast = settings.sync.model_copy(update={"backoff_base_seconds": 0.05, "backoff_cap_seconds": 0.3})
    settings = settings.model_copy(update={"sync": fast})
    store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
    enrol_with(store, settings, hall.url, hall.storage.new_enrolment_code())
    store.close()
    services = build_services(settings, now=lambda: FIXED_NOW)
    yield services
    services.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(services: KioskServices, clock: FakeClock) -> KioskApp:
    return make_app(services, demo=True, clock=clock, speaker=RecordingSpeaker())


async def wait_until(pilot, condition, timeout: float = 10.0) -> None:
    """Let the app run until ``condition()`` holds: device threads answer in their own time."""
    for _ in range(int(timeout / 0.05)):
        if condition():
            await pilot.pause()
            return
        await pilot.pause(0.05)
    raise AssertionError(f"timed out waiting for {condition}")


async def place_card(pilot, card) -> None:
    """Put ``card`` on the simulated reader and wait until the app has read it."""
    pilot.app.services.devices.card_simulator.present(card)
    await wait_until(pilot, lambda: pilot.app.visit.applicant is not None)
