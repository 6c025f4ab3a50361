"""Taking in what kiosks hand over: submissions and ratings, checked one by one, and validation errors told
without the values sent.

A submission's sealed envelope is opened here with the hall's private key, and an instant grant (秒批) is
decided again by :mod:`kiosk.hall.rules` before :class:`HallStorage` records it: the hall trusts the rules, not
the kiosk's word.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from kiosk.catalog import ServiceItem
from kiosk.hall.models import (
    EvaluationIn,
    EvaluationResult,
    Problem,
    SubmissionAnswer,
    SubmissionIn,
    SubmissionResult,
    content_hash,
)
from kiosk.hall.resident import services_of
from kiosk.hall.rules import instant_grant_holds
from kiosk.hall.storage import HallStorage, NewCase, Principal, Rejected
from offline_cache.envelope import EnvelopeError, associated_data, open_sealed

INVALID = {422: {"model": Problem, "description": "refused as invalid: a sentence, or a list of field errors"}}
MALFORMED = {
    400: {
        "model": Problem,
        "description": "the body cannot be read at all (not UTF-8, or JSON nested too deep); JSON that does not "
        "parse is a 422",
    }
}
"""The answer of every route that reads a body, before it looks at it: FastAPI's own."""


def _printable(text: str) -> str:
    """``text`` with any lone surrogate escaped: an error message must itself encode as UTF-8."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def field_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
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
        for error in field_errors(exc.errors())
    )
    return text[:500]


def _raw_id(item: Any, key: str) -> str:
    value = item.get(key) if isinstance(item, dict) else None
    return "" if value is None else str(value)


def open_payload(storage: HallStorage, submission: SubmissionIn) -> tuple[str, dict[str, Any]]:
    """The submission's sealed payload, opened: its text and its JSON object. :class:`Rejected` if it does not
    open, or is not a JSON object in UTF-8."""
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


def accept_submission(storage: HallStorage, sender: Principal, item: SubmissionIn | dict[str, Any]) -> SubmissionResult:
    """Check, open and record one submission: 201 stored now, 200 held already, 422 refused (with why)."""
    return accept_submissions(storage, sender, [item])[0]


def accept_submissions(
    storage: HallStorage, sender: Principal, items: list[SubmissionIn | dict[str, Any]]
) -> list[SubmissionResult]:
    """Each of ``items`` as :func:`accept_submission` takes it, answered in order: checked and opened first, then
    recorded together (the write lock is held for the database's work alone, not the cryptography)."""
    catalog: dict[str, tuple[dict[str, Any] | None, ServiceItem | None]] = {}  # each item code's, read once
    opened = [_open(storage, item, catalog) for item in items]
    cases = [item for item in opened if isinstance(item, NewCase)]
    recorded = iter(storage.record_submissions(sender, cases) if cases else [])
    return [_result(item.submission, next(recorded)) if isinstance(item, NewCase) else item for item in opened]


def _open(
    storage: HallStorage,
    item: SubmissionIn | dict[str, Any],
    catalog: dict[str, tuple[dict[str, Any] | None, ServiceItem | None]],
) -> NewCase | SubmissionResult:
    try:
        submission = SubmissionIn.model_validate(item)
    except ValidationError as exc:
        return SubmissionResult(id=_raw_id(item, "id"), status=422, error=_errors(exc))
    try:
        payload, data = open_payload(storage, submission)
    except Rejected as exc:
        return SubmissionResult(id=submission.id, status=422, error=str(exc))
    filed_on = datetime.fromisoformat(submission.created_at.upper()).date()
    if submission.item_code not in catalog:
        raw = storage.catalog_item(submission.item_code)
        catalog[submission.item_code] = raw, _item(raw)
    raw_item, service_item = catalog[submission.item_code]
    return NewCase(
        submission,
        payload,
        content_hash(submission),
        instant=instant_grant_holds(raw_item, data, filed_on),
        owed=services_of(service_item, data, filed_on),
        number=_number(data),
    )


def _result(submission: SubmissionIn, recorded: tuple[bool, SubmissionAnswer] | Rejected) -> SubmissionResult:
    if isinstance(recorded, Rejected):
        return SubmissionResult(id=submission.id, status=422, error=str(recorded))
    created, answer = recorded
    return SubmissionResult(id=submission.id, status=201 if created else 200, answer=answer)


def _item(raw: dict[str, Any] | None) -> ServiceItem | None:
    try:
        return ServiceItem.model_validate(raw) if raw is not None else None
    except ValidationError:
        return None


def _number(payload: dict[str, Any]) -> str:
    applicant = payload.get("applicant")
    return str(applicant.get("number", "")) if isinstance(applicant, dict) else ""


def accept_evaluation(storage: HallStorage, sender: Principal, item: EvaluationIn | dict[str, Any]) -> EvaluationResult:
    """Check and record one rating: 201 stored now, 200 held already, 422 refused (with why)."""
    try:
        evaluation = EvaluationIn.model_validate(item)
    except ValidationError as exc:
        return EvaluationResult(id=_raw_id(item, "submission_id"), status=422, error=_errors(exc))
    try:
        created = storage.record_evaluation(sender, evaluation, content_hash(evaluation))
    except Rejected as exc:
        return EvaluationResult(id=evaluation.submission_id, status=422, error=str(exc))
    return EvaluationResult(id=evaluation.submission_id, status=201 if created else 200)
