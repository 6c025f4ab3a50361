"""The hall's request and response bodies: the sync API's contract, as published in ``/openapi.json``.

Strings that the hall stores are :data:`Text` (valid Unicode, so a lone surrogate is a 422, not a failed write),
and every number has bounds that SQLite can hold. What the document calls a number, an integer, a boolean or a date
is exactly that: pydantic's lax mode would take ``false`` for 0, ``"5"`` for 5 and ``0`` for 1970-01-01, so those
fields are marked :data:`JsonNumber`, or typed :data:`Flag` and :data:`CalendarDay`.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from kiosk.catalog import ServiceItem

STAGES = ("申请", "受理", "审核", "审批", "发证")
"""The five stages of a case, in order."""

API_VERSION = 1
SERVICE = "kiosk-hall"


def _unicode(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


def _iso_datetime(value: str) -> str:
    try:
        datetime.fromisoformat(value.upper())  # RFC 3339 allows a lower-case "t" and "z"
    except ValueError:
        raise ValueError("must be an ISO 8601 date and time") from None
    return value


def _json_number(value: Any) -> Any:
    # bool is a subclass of int, so JSON's true and false would pass as 1 and 0.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a JSON number")
    return value


def _iso_day(value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value):
        raise ValueError("must be a date, YYYY-MM-DD")
    return value


Text = Annotated[str, AfterValidator(_unicode)]
JsonNumber = BeforeValidator(_json_number)
"""The last mark of an int or float field: only a JSON number will do (3 or 3.0 for an integer), never ``true`` or
``"3"``. Last, so that the field's bounds stay in the published schema as its minimum and maximum."""
Flag = Annotated[bool, Field(strict=True)]
"""``true`` or ``false``, never 1 or ``"yes"``."""
CalendarDay = Annotated[date, BeforeValidator(_iso_day)]
"""A day as ``YYYY-MM-DD`` (in a body, a query or a path), never a Unix time or a date and time."""
IsoDateTime = Annotated[
    str,
    Field(
        min_length=10,
        max_length=64,
        description="ISO 8601 date and time: RFC 3339, or the same without its offset for a kiosk's local time "
        "(2026-11-23T10:00:00), which kiosks send",
    ),
    Field(json_schema_extra={"format": "date-time"}),
    AfterValidator(_iso_datetime),
]
UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
"""A UUID in its usual text form, without anchors (for a route's path as for a field's pattern)."""
SubmissionId = Annotated[str, Field(pattern=f"^{UUID}$"), Field(description="the submission's UUID, made by the kiosk")]
Serial = Annotated[Text, Field(min_length=1, max_length=40, description="the kiosk's serial number (流水号)")]
Cursor = Annotated[int, Field(ge=0, le=2**62)]


def link(method: str, path: str, **parameters: str) -> dict[str, Any]:
    """An OpenAPI link, for a route's ``responses``: the operation at ``method`` ``path`` takes each of its
    ``parameters`` from this exchange, by a runtime expression::

        >>> link("get", "/v1/cases/{serial}", serial="$response.body#/serial")
    """
    pointer = path.replace("~", "~0").replace("/", "~1")
    return {"operationRef": f"#/paths/{pointer}/{method}", "parameters": parameters}


def content_hash(body: BaseModel) -> str:
    """SHA-256 of a body's canonical JSON: what "the same content" means for an idempotent resend."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


class Problem(BaseModel):
    """An error: what went wrong, in a sentence (or, for a malformed body, the list of field errors)."""

    detail: str | list[dict[str, Any]]


class Health(BaseModel):
    service: Literal["kiosk-hall"] = SERVICE
    """Always ``kiosk-hall``: how a kiosk tells the hall from a captive portal."""
    status: Literal["ok"] = "ok"
    api: int = API_VERSION
    time: str
    """The hall's clock, ISO 8601 in UTC."""


class EnrollIn(BaseModel):
    code: Annotated[Text, Field(min_length=1, max_length=32, description="a single-use code, e.g. K7QH-M2XD")]
    station_id: Annotated[str, Field(pattern=r"^[A-Z0-9]{1,16}$")]
    name: Annotated[Text, Field(min_length=1, max_length=100)]


class Enrolment(BaseModel):
    kiosk_id: str
    token: str
    """The kiosk's bearer token; the hall keeps only its hash, so it cannot be shown again."""
    hall_public_key: str
    """The hall's X25519 public key, 32 raw bytes in base64: the kiosk seals submissions to it."""
    hall_signing_key: str
    """The hall's Ed25519 public key, 32 raw bytes in base64: the kiosk verifies appointment codes with it."""


class SubmissionIn(BaseModel):
    """A submission as the kiosk sends it: the serial and item in clear, the applicant's data sealed."""

    id: SubmissionId
    serial: Serial
    item_code: Annotated[Text, Field(min_length=1, max_length=16)]
    created_at: IsoDateTime
    schema_version: Annotated[int, Field(ge=0, le=1_000_000), JsonNumber]
    envelope: dict[str, Any]
    """The applicant's data as a JSON object, sealed to the hall's key (see offline_cache.envelope)."""


class SubmissionAnswer(BaseModel):
    """The hall's receipt for a submission; a resend of the same submission gets exactly this again."""

    id: str
    serial: str
    case_number: str
    stage: str
    received_at: str


class SubmissionBatch(BaseModel):
    items: list[Annotated[SubmissionIn | dict[str, Any], Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=500
    )
    """Each item is checked on its own: a malformed one gets its own 422 and never blocks the others."""


class SubmissionResult(BaseModel):
    id: str
    status: Literal[201, 200, 422]
    """201 stored now, 200 held already (the first answer again), 422 refused as invalid."""
    answer: SubmissionAnswer | None = None
    error: str | None = None


class SubmissionResults(BaseModel):
    results: list[SubmissionResult]
    """One per item, in the order sent."""


class LookupIn(BaseModel):
    ids: list[Annotated[Text, Field(max_length=64)]] = Field(max_length=1000)


class Held(BaseModel):
    held: dict[str, SubmissionAnswer]
    """The first answer for each id that the hall holds and that this kiosk's station sent."""


class HistoryEntry(BaseModel):
    stage: str
    at: str
    note: str


class CaseView(BaseModel):
    """A case as kiosks and staff see it: progress only, no personal data."""

    serial: str
    case_number: str
    item_code: str
    item_name: str
    """From the hall's catalog; empty if the item is not (or no longer) in it."""
    stage: str
    stage_index: Annotated[int, Field(ge=0, le=len(STAGES) - 1)]
    kiosk_id: str
    station_id: str
    received_at: str
    updated_at: str
    payment_state: Literal["", "pending", "paid"] = ""
    """The payment order of a submission with a fee: 待缴费 (pending) or 已缴费 (paid); empty for none."""
    materials_state: Literal["", "awaiting", "received"] = ""
    """Materials the applicant posts (邮寄材料): 材料寄送中 (awaiting) until the hall has them."""
    outcome: Literal["", "returned", "refused"] = ""
    """``returned``: sent back for missing materials (退回补正), the clock stopped until they come; ``refused``:
    不予受理, the case closed. Empty while the case goes its normal way."""
    outcome_note: str = ""
    """The missing materials (``户口簿、照片（白底）``), or the reason for the refusal, as the resident is told."""
    history: list[HistoryEntry]


class CasePage(BaseModel):
    cursor: int
    """The change counter of the last case here (or ``since`` if none): the next call's ``since``."""
    cases: list[CaseView]


class AdvanceIn(BaseModel):
    note: Annotated[Text, Field(max_length=200)] = ""


class EvaluationIn(BaseModel):
    """A resident's rating (好差评) of a submission; the submission may reach the hall later than its rating."""

    submission_id: Annotated[Text, Field(min_length=1, max_length=64)]
    level: Annotated[int, Field(ge=1, le=5), JsonNumber]
    created_at: IsoDateTime
    reason: Annotated[Text, Field(min_length=1, max_length=40)] | None = None
    """Why the service was rated 不满意 or 非常不满意, from the kiosk's short list; the hall follows it up."""


class EvaluationBatch(BaseModel):
    items: list[Annotated[EvaluationIn | dict[str, Any], Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=500
    )


class EvaluationResult(BaseModel):
    id: str
    """The submission id the rating is for."""
    status: Literal[201, 200, 422]
    error: str | None = None


class EvaluationResults(BaseModel):
    results: list[EvaluationResult]


class DeviceState(BaseModel):
    state: Annotated[Text, Field(max_length=32)]
    detail: Annotated[Text, Field(max_length=500)] = ""


class HeartbeatIn(BaseModel):
    at: IsoDateTime
    version: Annotated[Text, Field(max_length=40)]
    pending: Annotated[int, Field(ge=0, le=2**53), JsonNumber]
    quarantined: Annotated[int, Field(ge=0, le=2**53), JsonNumber] = 0
    """Items the hall refused as invalid, held at the kiosk for a technician."""
    oldest_pending_age_s: Annotated[float, Field(ge=0, allow_inf_nan=False), JsonNumber] | None = None
    devices: dict[Annotated[Text, Field(max_length=32)], DeviceState] = Field(default_factory=dict, max_length=50)
    sent_at: IsoDateTime | None = None
    """When the kiosk sent this heartbeat, by its own clock (without an offset: China time). ``at`` is when it was
    made, which may be long before, offline. The hall compares it with its own clock to flag a kiosk whose clock is
    wrong; kiosks before this field leave it out."""


class Heartbeat(HeartbeatIn):
    received_at: str


class Accepted(BaseModel):
    ok: Literal[True] = True


class KioskView(BaseModel):
    kiosk_id: str
    station_id: str
    name: str
    enrolled_at: str
    last_seen: str | None
    """The last heartbeat or push; None if the kiosk has sent nothing since it enrolled."""
    heartbeat: Heartbeat | None
    clock_skew_seconds: int | None = None
    """How far the kiosk's clock was ahead of the hall's at its latest heartbeat (negative: behind), measured
    against the moment the hall received it, so the network's delay counts as the kiosk being that much behind;
    None if that heartbeat did not say when it was sent (or there is none)."""


class Fleet(BaseModel):
    kiosks: list[KioskView]


class CatalogChanges(BaseModel):
    version: int
    """The catalog's version now; a kiosk passes it as ``since`` next time."""
    items: list[ServiceItem]
    """Items added or changed after ``since``."""
    removed: list[str]
    """Codes of items removed after ``since``."""


class CatalogVersion(BaseModel):
    version: int


def iso_date(value: str) -> str:
    """A validator: ``value`` if it is a date, ``YYYY-MM-DD``."""
    try:
        date.fromisoformat(value)
    except ValueError:
        raise ValueError("must be a date, YYYY-MM-DD") from None
    return value


IsoDate = Annotated[
    str, Field(pattern=r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$", json_schema_extra={"format": "date"}), AfterValidator(iso_date)
]


class HolidayDay(BaseModel):
    """A day of the holiday table: a public holiday (``holiday``, whatever its weekday), a weekend day worked in
    exchange (``workday``, 调休上班), or a day taken out of the table again (``normal``: an ordinary day)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    date: IsoDate
    kind: Literal["holiday", "workday", "normal"]
    name: Annotated[Text, Field(max_length=40)] = ""
    """The holiday, e.g. 国庆节; for an adjusted working day, the holiday it makes up for."""


class HolidayChanges(BaseModel):
    """The holiday table's changes after a version, for kiosks to count working days by."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    version: int
    """The holiday table's version now; a kiosk passes it as ``since`` next time."""
    days: list[HolidayDay]
    """Days added, changed or taken out (kind ``normal``) after ``since``, in date order."""
