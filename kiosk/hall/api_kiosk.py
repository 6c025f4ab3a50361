"""The hall's kiosk room: what enrolled kiosks hand over (submissions, ratings, heartbeats) and pull (their
cases' progress, the service catalog, the holiday table). Kiosk tokens only.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and they
name dependencies local to the functions that add them.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response
from fastapi.responses import JSONResponse
from starlette.convertors import Convertor, register_url_convertor

from kiosk.hall.auth import KIOSK_ONLY, Auth
from kiosk.hall.intake import INVALID, MALFORMED, accept_evaluation, accept_submission, accept_submissions
from kiosk.hall.models import (
    UUID,
    Accepted,
    CasePage,
    CatalogChanges,
    Cursor,
    EvaluationBatch,
    EvaluationResults,
    HeartbeatIn,
    Held,
    HolidayChanges,
    LookupIn,
    Problem,
    SubmissionAnswer,
    SubmissionBatch,
    SubmissionIn,
    SubmissionResults,
    link,
)
from kiosk.hall.storage import HallStorage

CASES_PAGE = 500


class _UuidTextConvertor(Convertor[str]):
    """A path segment that is a UUID, kept as the text sent. It routes only UUIDs to ``PUT /v1/submissions/{id}``,
    so that ``/v1/submissions/batch`` and ``/lookup`` are resources of their own: a PUT there is a 405 naming POST,
    not a submission whose id is "batch"."""

    regex = UUID

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


register_url_convertor("uuid_text", _UuidTextConvertor())


def _answered(answer: str) -> dict[str, Any]:
    """Where a submission's answer (at ``answer``, a runtime expression) leads: its case, its payment order, and
    what staff do with them."""
    serial, submission_id = f"{answer}/serial", f"{answer}/id"
    return {
        "case": link("get", "/v1/cases/{serial}", serial=serial),
        "payment": link("get", "/v1/payments/{submission_id}", submission_id=submission_id),
        "advance": link("post", "/v1/staff/cases/{serial}/advance", serial=serial),
        "materials_received": link("post", "/v1/staff/cases/{serial}/materials-received", serial=serial),
        "paid": link("post", "/v1/staff/payments/{submission_id}/paid", submission_id=submission_id),
    }


def kiosk_router(storage: HallStorage, auth: Auth) -> APIRouter:
    """``PUT /v1/submissions/{id}``, ``POST /v1/submissions/batch`` and ``/lookup``, ``GET /v1/cases``,
    ``POST /v1/evaluations/batch``, ``POST /v1/heartbeats``, ``GET /v1/catalog`` and ``GET /v1/holidays``."""
    router = APIRouter()
    _add_submissions(router, storage, auth)
    _add_reports(router, storage, auth)
    return router


def _add_submissions(router: APIRouter, storage: HallStorage, auth: Auth) -> None:
    """Submissions: one, a batch, and the lookup for reconciling."""
    Kiosk = auth.kiosk

    @router.put(
        "/v1/submissions/{submission_id:uuid_text}",
        status_code=201,
        response_model=SubmissionAnswer,
        responses={
            201: {"links": _answered("$response.body#")},
            200: {
                "model": SubmissionAnswer,
                "description": "held already: the first answer, replayed",
                "links": _answered("$response.body#"),
            },
            **MALFORMED,
            **KIOSK_ONLY,
            404: {"model": Problem, "description": "the path does not end in a UUID: there is no such resource"},
            **INVALID,
        },
    )
    def put_submission(
        submission_id: Annotated[str, Path(pattern=f"^{UUID}$", description="the body's id")],
        body: SubmissionIn,
        response: Response,
        sender: Kiosk,
    ) -> Any:
        """Hand over one submission. Idempotent by id: a resend of the same content gets the first answer
        again (200); other content under a used id or serial, or an envelope that does not open, is a 422."""
        if body.id != submission_id:
            return JSONResponse({"detail": "the id in the path differs from the body's id"}, status_code=422)
        result = accept_submission(storage, sender, body)
        if result.status == 422:
            return JSONResponse({"detail": result.error}, status_code=422)
        response.status_code = result.status
        return result.answer

    @router.post(
        "/v1/submissions/batch",
        response_model=SubmissionResults,
        responses={200: {"links": _answered("$response.body#/results/0/answer")}, **MALFORMED, **KIOSK_ONLY},
    )
    def push_submissions(body: SubmissionBatch, sender: Kiosk) -> SubmissionResults:
        """Hand over up to 500 submissions; each is handled as by ``PUT /v1/submissions/{id}``, on its own, and
        answered in the order sent."""
        return SubmissionResults(results=accept_submissions(storage, sender, body.items))

    @router.post("/v1/submissions/lookup", response_model=Held, responses={**MALFORMED, **KIOSK_ONLY})
    def lookup(body: LookupIn, sender: Kiosk) -> Held:
        """Which of these submission ids the hall holds from this kiosk's station (for reconciling after an
        answer was lost), with the first answer for each."""
        return Held(held=storage.held(sender.station_id, body.ids))


def _add_reports(router: APIRouter, storage: HallStorage, auth: Auth) -> None:
    """The rest of a kiosk's sync: its cases' progress, ratings, heartbeats, the catalog and the holiday table."""
    Kiosk = auth.kiosk

    @router.get("/v1/cases", response_model=CasePage, responses=KIOSK_ONLY)
    def cases_since(sender: Kiosk, since: Annotated[Cursor, Query()] = 0) -> CasePage:
        """Cases from this kiosk's station created or moved after change number ``since``, at most 500, in the
        order of change; pass the answer's ``cursor`` as the next ``since``."""
        cursor, cases = storage.cases_since(sender.station_id, since, CASES_PAGE)
        return CasePage(cursor=cursor, cases=cases)

    @router.post("/v1/evaluations/batch", response_model=EvaluationResults, responses={**MALFORMED, **KIOSK_ONLY})
    def push_evaluations(body: EvaluationBatch, sender: Kiosk) -> EvaluationResults:
        """Hand over residents' ratings, one per submission (which need not have arrived yet): the same rating
        again is a 200, another rating for a rated submission a 422."""
        with storage.transaction():
            return EvaluationResults(results=[accept_evaluation(storage, sender, item) for item in body.items])

    @router.post("/v1/heartbeats", status_code=202, response_model=Accepted, responses={**MALFORMED, **KIOSK_ONLY})
    def heartbeat(body: HeartbeatIn, sender: Kiosk) -> Accepted:
        """A kiosk's periodic report: its queue and the state of each device, for the fleet view; with
        ``sent_at``, the hall also notes how far the kiosk's clock is from its own."""
        storage.record_heartbeat(sender, body)
        return Accepted()

    @router.get("/v1/catalog", response_model=CatalogChanges, responses=KIOSK_ONLY)
    def catalog(sender: Kiosk, since: Annotated[Cursor, Query()] = 0) -> CatalogChanges:
        """The service catalog's changes after version ``since``: items added or changed, codes removed."""
        return storage.catalog_changes(since)

    @router.get("/v1/holidays", response_model=HolidayChanges, responses=KIOSK_ONLY)
    def holidays(sender: Kiosk, since: Annotated[Cursor, Query()] = 0) -> HolidayChanges:
        """The holiday table's changes after version ``since``: public holidays and adjusted working weekends
        added or changed, and days taken out again (kind ``normal``), in date order."""
        return storage.holiday_changes(since)
