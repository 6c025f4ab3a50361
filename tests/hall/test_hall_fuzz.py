"""The hall does what its OpenAPI document says: schemathesis (in process) runs every check it has on every
operation, with the token each operation asks for, then follows the document's links through runs of calls (a
submission, its case, its payment, staff moving it on; a window calling a ticket, then holding or skipping it).
Two tests on a served hall ask what schemathesis does not see (an empty ``Allow``) or rarely tries.

The seeds are fixed, so a run sends the same requests every time. What JSON Schema cannot say is done here as a
real client does it, for the cases meant to be valid: a kiosk seals each submission to the hall's key, bound to its
id, names it by that id in the path, and never reuses an id or serial for other content; staff put a catalog item
under its own code. Two operations may still refuse a schema-valid body with a 422, for rules across fields or
against the hall's records that no schema states (see ``BEYOND_THE_SCHEMA``).
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import datetime

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, seed, settings
from schemathesis import GenerationMode
from schemathesis.config import SchemathesisConfig

from kiosk.catalog import load_catalog
from kiosk.hall.app import create_app
from kiosk.hall.models import content_hash
from kiosk.hall.queue_models import TicketIn
from kiosk.hall.runner import HallServer
from kiosk.hall.sqlite_storage import SqliteHallStorage
from kiosk.hall.storage import Principal
from offline_cache.envelope import associated_data, seal

pytestmark = pytest.mark.xdist_group("hall-fuzz")
"""One worker takes the whole module, in its order: the runs of calls start from the hall the operations' test
left (module-scoped), so they are the same runs each time."""
SEED = 20261123
NOW = datetime(2026, 11, 23, 9, 45)
"""The queue's clock: the hall's today and how long tickets have waited, the same on every run."""
STAFF_PATHS = re.compile(r"^/v1/(staff/|fleet$)")
PAYLOAD = json.dumps({"applicant": {"name": "测试", "number": "110101194001010014"}}, ensure_ascii=False).encode()
SUBMISSION = {"id", "serial", "item_code", "created_at", "schema_version", "envelope"}
"""The fields of a submission (an item of a batch may be any object)."""
ACCEPTED = ["2xx", "3xx", "401", "403", "404", "409", "429", "5xx"]
"""What schemathesis expects for a schema-valid request, by default."""
BEYOND_THE_SCHEMA = {
    # The item must be in the catalog, and the window's start come before its end.
    ("POST", "/v1/staff/appointments"),
    # The item's code must be the path's, promised days at most legal days, a choice field needs options, form
    # keys must differ, delivery must name a way, a material's condition must name a choice field of the form and
    # its options (kiosk.catalog.ServiceItem's own rules).
    ("PUT", "/v1/staff/catalog/items/{code}"),
}
"""Operations where a schema-valid body may be refused with a 422, for the rules noted."""


@pytest.fixture(scope="module")
def storage(tmp_path_factory):
    storage = SqliteHallStorage(tmp_path_factory.mktemp("fuzz") / "hall.db")
    storage.seed_catalog(load_catalog())
    storage.queue_clock = lambda: NOW
    yield storage
    storage.close()


@pytest.fixture(scope="module")
def tokens(storage) -> dict[str, str]:
    """A kiosk with tickets waiting today (more than the runs call), and a member of staff."""
    enrolment = storage.enroll(storage.new_enrolment_code(), "FUZZ01", "fuzz")
    kiosk = Principal("kiosk", enrolment.kiosk_id, "FUZZ01")
    for number in range(1, 121):
        ticket = TicketIn(day=NOW.date().isoformat(), category="A", number=number, issued_at="2026-11-23T09:00:00")
        storage.record_ticket(kiosk, ticket, content_hash(ticket))
    return {"kiosk": enrolment.token, "staff": storage.new_staff_token()}


@pytest.fixture(scope="module")
def hall_api(storage, tokens):
    """The hall's document as schemathesis reads it, every check on, each request with the token it asks for."""
    operations = [
        {
            "include-method": method,
            "include-path": path,
            "checks": {"positive_data_acceptance": {"expected-statuses": [*ACCEPTED, "422"]}},
        }
        for method, path in sorted(BEYOND_THE_SCHEMA)
    ]
    # Runs of calls follow the document's own links (none guessed), from answers that mean something: they send
    # only valid requests.
    phases = {"stateful": {"generation": {"mode": "positive"}, "inference": {"algorithms": []}}}
    config = SchemathesisConfig.from_dict(
        {"seed": SEED, "checks": {"enabled": True}, "operations": operations, "phases": phases}
    )
    api = schemathesis.openapi.from_asgi("/openapi.json", create_app(storage), config=config)
    api.hook("map_case")(as_clients_send_it(storage.hall_keys.public_text))

    @api.auth(refresh_interval=None)
    class Bearer:
        """The token each operation asks for: staff's under /v1/staff/ and for the fleet, a kiosk's elsewhere."""

        def get(self, case, context):
            return tokens["staff" if STAFF_PATHS.match(case.operation.path) else "kiosk"]

        def set(self, case, token, context):
            case.headers = case.headers or {}
            case.headers["Authorization"] = f"Bearer {token}"

    return api


def as_clients_send_it(hall_public_key: str):
    """A ``map_case`` hook for the cases meant to be valid: the submissions of ``PUT /v1/submissions/{id}`` and
    ``POST /v1/submissions/batch`` become what a kiosk sends, and ``PUT /v1/staff/catalog/items/{code}`` names the
    item's own code. Invalid cases are left as generated."""
    sealed: dict[str, dict] = {}  # a resend carries the envelope sealed the first time, as a kiosk's outbox does

    def as_a_kiosk_sends_it(submission: dict) -> dict:
        # Named by its content, so that other content never comes under a used id or serial.
        content = {key: value for key, value in submission.items() if key not in ("id", "serial", "envelope")}
        submission_id = str(uuid.uuid5(uuid.NAMESPACE_URL, json.dumps(content, sort_keys=True)))
        if submission_id not in sealed:
            aad = associated_data(submission_id, int(submission["schema_version"]))  # 3.0 is the integer 3
            sealed[submission_id] = seal(PAYLOAD, hall_public_key, aad)
        return submission | {
            "id": submission_id,
            "serial": f"FUZZ01-{submission_id[:13]}",
            "envelope": sealed[submission_id],
        }

    def hook(context, case):
        if case.meta is None or case.meta.generation.mode is not GenerationMode.POSITIVE:
            return case
        if case.operation.label == "PUT /v1/submissions/{submission_id}":
            case.body = as_a_kiosk_sends_it(case.body)
            case.path_parameters = case.path_parameters | {"submission_id": case.body["id"]}
        elif case.operation.label == "POST /v1/submissions/batch":
            items = [as_a_kiosk_sends_it(item) if SUBMISSION <= item.keys() else item for item in case.body["items"]]
            # Submissions first (their order is theirs): the document's links follow the first item's answer.
            items.sort(key=lambda item: not SUBMISSION <= item.keys())
            case.body = case.body | {"items": items}
        elif case.operation.label == "PUT /v1/staff/catalog/items/{code}":
            case.path_parameters = case.path_parameters | {"code": case.body["code"]}
        return case

    return hook


PATH_SAMPLES = {"serial": "FUZZ01-1", "submission_id": str(uuid.UUID(int=1)), "code": "A001", "day": "2026-11-23"}
"""A value of each path parameter, in the form its route takes."""
FUZZ = settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))


schema = schemathesis.pytest.from_fixture("hall_api")


@schema.parametrize()
@FUZZ
def test_every_operation_does_what_the_document_says(case):
    case.call_and_validate()


def test_runs_of_calls_along_the_documents_links_do_what_it_says(hall_api):
    Calls = seed(SEED)(hall_api.as_state_machine())
    Calls.run(settings=settings(FUZZ, max_examples=50, stateful_step_count=8))


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A hall on a loopback port, for what schemathesis does not see or rarely tries."""
    hall = HallServer(tmp_path_factory.mktemp("served") / "hall.db")
    hall.start()
    yield hall
    hall.stop()
    hall.storage.close()


def test_a_405_names_every_method_the_document_has_at_that_path(served):
    # Schemathesis takes an Allow header with nothing in it for one that lists the methods.
    paths = requests.get(served.url + "/openapi.json", timeout=10).json()["paths"]
    for template, operations in paths.items():
        answer = requests.options(served.url + template.format(**PATH_SAMPLES), timeout=10)
        assert answer.status_code == 405, template
        assert set(answer.headers["Allow"].split(", ")) == {method.upper() for method in operations}, template
    # Only a UUID names a submission: a PUT to the batch is no submission called "batch".
    batch = requests.put(served.url + "/v1/submissions/batch", json={}, timeout=10)
    assert (batch.status_code, batch.headers["Allow"]) == (405, "POST")
    assert requests.put(served.url + "/v1/submissions/batch2", json={}, timeout=10).status_code == 404


def test_a_query_parameter_given_twice_is_refused_not_taken_at_its_last_value(served):
    storage = served.storage
    token = storage.enroll(storage.new_enrolment_code(), "FUZZ02", "fuzz").token
    answer = requests.get(
        served.url + "/v1/holidays",
        params=[("since", "5"), ("since", "0")],
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert answer.status_code == 422
    assert [error["loc"] for error in answer.json()["detail"]] == [["query", "since"]]
