"""The hall's HTTP API (FastAPI): the sync contract kiosks speak, published at ``/openapi.json``.

The endpoints only check, open envelopes and translate; everything kept goes through :class:`HallStorage`.

    >>> app = create_app(SqliteHallStorage(tmp_path / "hall.db"))

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and they
name dependencies local to :func:`create_app`.
"""

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Body, Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import ValidationError

from kiosk.catalog import ServiceItem
from kiosk.hall.models import (
    Accepted,
    AdvanceIn,
    CasePage,
    CaseView,
    CatalogChanges,
    CatalogVersion,
    Cursor,
    EnrollIn,
    Enrolment,
    EvaluationBatch,
    EvaluationIn,
    EvaluationResult,
    EvaluationResults,
    Fleet,
    Health,
    HeartbeatIn,
    Held,
    LookupIn,
    Problem,
    SubmissionAnswer,
    SubmissionBatch,
    SubmissionIn,
    SubmissionResult,
    SubmissionResults,
    content_hash,
)
from kiosk.hall.rules import instant_grant_holds
from kiosk.hall.storage import (
    CaseFinished,
    EnrolmentRefused,
    HallError,
    HallStorage,
    NotFound,
    Principal,
    Rejected,
)
from offline_cache.envelope import EnvelopeError, associated_data, open_sealed

_STATUS = {EnrolmentRefused: 403, Rejected: 422, NotFound: 404, CaseFinished: 409}
CASES_PAGE = 500

_UNAUTHORISED = {401: {"model": Problem, "description": "no bearer token, or one the hall does not know"}}
_KIOSK = {**_UNAUTHORISED, 403: {"model": Problem, "description": "not a kiosk's token"}}
_STAFF = {**_UNAUTHORISED, 403: {"model": Problem, "description": "not a staff token"}}
_INVALID = {422: {"model": Problem, "description": "refused as invalid: a sentence, or a list of field errors"}}


def _printable(text: str) -> str:
    """``text`` with any lone surrogate escaped: an error message must itself encode as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Validation errors without the values sent (they may be personal, or not even encodable)."""
    return [
        {
            "type": error["type"],
            "loc": [part if isinstance(part, int) else _printable(str(part)) for part in error["loc"]],
            "msg": _printable(error["msg"]),
        }
        for error in errors
    ]


def _errors(exc: ValidationError) -> str:
    """An item's validation failure in one line."""
    text = "; ".join(
        f"{'.'.join(str(part) for part in error['loc']) or 'item'}: {error['msg']}"
        for error in _field_errors(exc.errors())
    )
    return text[:500]


def _raw_id(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return "" if value is None else str(value)


def create_app(storage: HallStorage) -> FastAPI:
    """The hall's API over ``storage``."""
    app = FastAPI(
        title="Kiosk central hall",
        version="1",
        description="The sync API of the government-service kiosks: enrolment, submissions (idempotent per id), "
        "case progress, evaluations, heartbeats and the service catalog. Kiosks and staff authenticate with "
        "`Authorization: Bearer <token>`.",
    )
    bearer = HTTPBearer(auto_error=False, description="a kiosk's token from enrolment, or a staff token")

    @app.exception_handler(RequestValidationError)
    def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse({"detail": _field_errors(list(exc.errors()))}, status_code=422)

    @app.exception_handler(HallError)
    def _refused(request: Request, exc: HallError) -> JSONResponse:
        status = next((code for kind, code in _STATUS.items() if isinstance(exc, kind)), 400)
        return JSONResponse({"detail": str(exc)}, status_code=status)

    def principal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
        if credentials is None:
            raise HTTPException(401, "a bearer token is required", headers={"WWW-Authenticate": "Bearer"})
        found = storage.authenticate(credentials.credentials)
        if found is None:
            raise HTTPException(401, "unknown or revoked token", headers={"WWW-Authenticate": "Bearer"})
        return found

    def kiosk(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "kiosk":
            raise HTTPException(403, "this endpoint is for enrolled kiosks")
        return who

    def staff(who: Annotated[Principal, Depends(principal)]) -> Principal:
        if who.role != "staff":
            raise HTTPException(403, "this endpoint is for the hall's staff")
        return who

    Kiosk = Annotated[Principal, Depends(kiosk)]
    Staff = Annotated[Principal, Depends(staff)]
    Anyone = Annotated[Principal, Depends(principal)]

    def open_payload(submission: SubmissionIn) -> tuple[str, dict[str, Any]]:
        aad = associated_data(submission.id, submission.schema_version)
        try:
            text = open_sealed(submission.envelope, storage.hall_keys.private, aad).decode("utf-8")
        except EnvelopeError as exc:
            raise Rejected(f"envelope: {exc}") from None
        except UnicodeDecodeError:
            raise Rejected("envelope: the payload is not UTF-8 text") from None
        try:
            data = json.loads(text)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict):
            raise Rejected("envelope: the payload is not a JSON object")
        return text, data

    def accept_submission(sender: Principal, item: SubmissionIn | dict[str, Any]) -> SubmissionResult:
        try:
            submission = SubmissionIn.model_validate(item)
        except ValidationError as exc:
            return SubmissionResult(id=_raw_id(item, "id"), status=422, error=_errors(exc))
        try:
            payload, data = open_payload(submission)
            filed_on = datetime.fromisoformat(submission.created_at.upper()).date()
            instant = instant_grant_holds(storage.catalog_item(submission.item_code), data, filed_on)
            created, answer = storage.record_submission(
                sender, submission, payload, content_hash(submission), instant=instant
            )
        except Rejected as exc:
            return SubmissionResult(id=submission.id, status=422, error=str(exc))
        return SubmissionResult(id=submission.id, status=201 if created else 200, answer=answer)

    def accept_evaluation(sender: Principal, item: EvaluationIn | dict[str, Any]) -> EvaluationResult:
        try:
            evaluation = EvaluationIn.model_validate(item)
        except ValidationError as exc:
            return EvaluationResult(id=_raw_id(item, "submission_id"), status=422, error=_errors(exc))
        try:
            created = storage.record_evaluation(sender, evaluation, content_hash(evaluation))
        except Rejected as exc:
            return EvaluationResult(id=evaluation.submission_id, status=422, error=str(exc))
        return EvaluationResult(id=evaluation.submission_id, status=201 if created else 200)

    @app.get("/v1/health", response_model=Health)
    def health() -> Health:
        """Is this the hall? Kiosks check ``service == "kiosk-hall"`` to tell it from a captive portal."""
        return Health(time=datetime.now(UTC).isoformat(timespec="seconds"))

    @app.post("/v1/enroll", status_code=201, response_model=Enrolment, responses={403: {"model": Problem}})
    def enroll(body: EnrollIn) -> Enrolment:
        """Enrol a kiosk with a single-use code from the hall's staff. Enrolling a station again (a kiosk
        re-installed) revokes the station's earlier tokens."""
        return storage.enroll(body.code, body.station_id, body.name)

    @app.put(
        "/v1/submissions/{submission_id}",
        status_code=201,
        response_model=SubmissionAnswer,
        responses={
            200: {"model": SubmissionAnswer, "description": "held already: the first answer, replayed"},
            **_KIOSK,
            **_INVALID,
        },
    )
    def put_submission(submission_id: str, body: SubmissionIn, response: Response, sender: Kiosk) -> Any:
        """Hand over one submission. Idempotent by id: a resend of the same content gets the first answer
        again (200); other content under a used id or serial, or an envelope that does not open, is a 422."""
        if body.id != submission_id:
            return JSONResponse({"detail": "the id in the path differs from the body's id"}, status_code=422)
        result = accept_submission(sender, body)
        if result.status == 422:
            return JSONResponse({"detail": result.error}, status_code=422)
        response.status_code = result.status
        return result.answer

    @app.post("/v1/submissions/batch", response_model=SubmissionResults, responses=_KIOSK)
    def push_submissions(body: SubmissionBatch, sender: Kiosk) -> SubmissionResults:
        """Hand over up to 500 submissions; each is handled as by ``PUT /v1/submissions/{id}``, on its own, and
        answered in the order sent."""
        return SubmissionResults(results=[accept_submission(sender, item) for item in body.items])

    @app.post("/v1/submissions/lookup", response_model=Held, responses=_KIOSK)
    def lookup(body: LookupIn, sender: Kiosk) -> Held:
        """Which of these submission ids the hall holds from this kiosk's station (for reconciling after an
        answer was lost), with the first answer for each."""
        return Held(held=storage.held(sender.station_id, body.ids))

    @app.get("/v1/cases/{serial}", response_model=CaseView, responses={**_UNAUTHORISED, 404: {"model": Problem}})
    def case(serial: str, who: Anyone) -> CaseView:
        """The progress of one case by the serial number on the resident's receipt."""
        found = storage.case(serial)
        if found is None:
            raise NotFound(f"大厅没有流水号为 {serial} 的申请")
        return found

    @app.get("/v1/cases", response_model=CasePage, responses=_KIOSK)
    def cases_since(sender: Kiosk, since: Annotated[Cursor, Query()] = 0) -> CasePage:
        """Cases from this kiosk's station created or moved after change number ``since``, at most 500, in the
        order of change; pass the answer's ``cursor`` as the next ``since``."""
        cursor, cases = storage.cases_since(sender.station_id, since, CASES_PAGE)
        return CasePage(cursor=cursor, cases=cases)

    @app.post(
        "/v1/staff/cases/{serial}/advance",
        response_model=CaseView,
        responses={**_STAFF, 404: {"model": Problem}, 409: {"model": Problem, "description": "at 发证 already"}},
    )
    def advance(serial: str, who: Staff, body: Annotated[AdvanceIn | None, Body()] = None) -> CaseView:
        """Staff: move a case to its next stage (申请 → 受理 → 审核 → 审批 → 发证), with an optional note."""
        return storage.advance(serial, body.note if body else "")

    @app.post("/v1/evaluations/batch", response_model=EvaluationResults, responses=_KIOSK)
    def push_evaluations(body: EvaluationBatch, sender: Kiosk) -> EvaluationResults:
        """Hand over residents' ratings, one per submission (which need not have arrived yet): the same rating
        again is a 200, another rating for a rated submission a 422."""
        return EvaluationResults(results=[accept_evaluation(sender, item) for item in body.items])

    @app.post("/v1/heartbeats", status_code=202, response_model=Accepted, responses=_KIOSK)
    def heartbeat(body: HeartbeatIn, sender: Kiosk) -> Accepted:
        """A kiosk's periodic report: its queue and the state of each device, for the fleet view."""
        storage.record_heartbeat(sender, body)
        return Accepted()

    @app.get("/v1/fleet", response_model=Fleet, responses=_STAFF)
    def fleet(who: Staff) -> Fleet:
        """Staff: every enrolled kiosk, when it was last heard from and its latest heartbeat."""
        return Fleet.model_validate({"kiosks": storage.fleet()})

    @app.get("/v1/catalog", response_model=CatalogChanges, responses=_KIOSK)
    def catalog(sender: Kiosk, since: Annotated[Cursor, Query()] = 0) -> CatalogChanges:
        """The service catalog's changes after version ``since``: items added or changed, codes removed."""
        return storage.catalog_changes(since)

    @app.put("/v1/staff/catalog/items/{code}", response_model=CatalogVersion, responses={**_STAFF, **_INVALID})
    def put_catalog_item(code: str, item: ServiceItem, who: Staff) -> Any:
        """Staff: add or replace a service item; the catalog's version goes up by one."""
        if item.code != code:
            return JSONResponse({"detail": "the code in the path differs from the item's code"}, status_code=422)
        return CatalogVersion(version=storage.put_catalog_item(item))

    @app.delete(
        "/v1/staff/catalog/items/{code}", response_model=CatalogVersion, responses={**_STAFF, 404: {"model": Problem}}
    )
    def remove_catalog_item(code: str, who: Staff) -> CatalogVersion:
        """Staff: remove a service item; the catalog's version goes up by one."""
        return CatalogVersion(version=storage.remove_catalog_item(code))

    return app
