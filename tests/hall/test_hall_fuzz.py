"""Fuzz the hall's API from its own OpenAPI document (schemathesis, in process): no input makes it fail."""

from __future__ import annotations

import uuid

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from kiosk.catalog import load_catalog
from kiosk.hall.app import create_app
from kiosk.hall.models import SubmissionIn, content_hash
from kiosk.hall.sqlite_storage import SqliteHallStorage
from kiosk.hall.storage import Principal


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    storage = SqliteHallStorage(tmp_path_factory.mktemp("fuzz") / "hall.db")
    storage.seed_catalog(load_catalog())
    yield storage
    storage.close()


@pytest.fixture(scope="module")
def tokens(storage) -> dict[str, str]:
    """A kiosk with one case on record, and a member of staff."""
    enrolment = storage.enroll(storage.new_enrolment_code(), "FUZZ01", "fuzz")
    submission = SubmissionIn(
        id=str(uuid.uuid4()),
        serial="FUZZ01-261123-0001-X",
        item_code="MZ0001",
        created_at="2026-11-23T10:00:00",
        schema_version=1,
        envelope={},
    )
    storage.record_submission(
        Principal("kiosk", enrolment.kiosk_id, "FUZZ01"), submission, "{}", content_hash(submission)
    )
    return {"kiosk": enrolment.token, "staff": storage.new_staff_token()}


@pytest.fixture(scope="module")
def hall_api(storage):
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(storage))


schema = schemathesis.pytest.from_fixture("hall_api")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_input_makes_the_hall_fail(case, tokens):
    staff_only = case.path.startswith("/v1/staff/") or case.path == "/v1/fleet"
    token = tokens["staff" if staff_only else "kiosk"]
    case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=[not_a_server_error])
