from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from config.settings import Settings, StorageSettings
from kiosk.app import KioskApp, make_app
from kiosk.services import KioskServices, build_services

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
    return Settings().model_copy(update={"storage": StorageSettings(data_dir=tmp_path / "data")})


@pytest.fixture
def services(settings: Settings):
    services = build_services(settings, now=lambda: FIXED_NOW)
    yield services
    services.store.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def app(services: KioskServices, clock: FakeClock) -> KioskApp:
    return make_app(services, demo=True, clock=clock)
