"""A kiosk's store enrolled with the loopback hall through a fault proxy, for the sync and fault tests."""

from __future__ import annotations

import pytest

from config.settings import Settings
from kiosk.enrolment import enrol
from offline_cache import Store
from tests.cache.faultproxy import FaultProxy


@pytest.fixture
def proxy(hall):
    with FaultProxy(hall.port) as proxy:
        yield proxy


@pytest.fixture
def store(tmp_path, hall, proxy):
    store = Store(tmp_path / "kiosk.db")
    enrol(store, Settings(), proxy.url, hall.storage.new_enrolment_code())
    yield store
    store.close()
