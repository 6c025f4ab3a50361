"""The hall's tests run on both back-ends: each test that takes ``hall`` runs once on a SQLite file and once on
a new database of the throw-away PostgreSQL server (tests/postgres.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def hall(any_hall):
    return any_hall
