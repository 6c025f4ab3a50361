"""The request and response bodies of what the hall does for residents beyond the case: materials on file
(材料复用), payment orders (收费), materials by post (邮寄材料) and appointments (预约)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from kiosk.hall.models import CalendarDay, IsoDateTime, Text

ItemCode = Annotated[str, Field(pattern=r"^[A-Z]{2}\d{4}$", description="a service item's code")]
Clock = Annotated[str, Field(pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="HH:MM")]


class OnFileQuery(BaseModel):
    """Which of an item's materials the hall holds for an applicant: asked with the number the kiosk has just
    read, over the kiosk's own channel, and never answered with more than names, classes and dates."""

    number: Annotated[Text, Field(min_length=6, max_length=32)]
    """The applicant's ID number or credit code."""
    item_code: ItemCode


class MaterialOnFile(BaseModel):
    material: str
    reuse: Literal["unconditional", "within_validity", "at_choice"]
    valid_until: date | None = None
    """For a material reusable within validity: the last day it may be reused."""
    serial: str
    """The submission it came with."""


class OnFile(BaseModel):
    materials: list[MaterialOnFile]


class PaymentView(BaseModel):
    """A payment order the hall opened for a submission with a fee."""

    submission_id: str
    serial: str
    item_name: str
    cents: int
    state: Literal["pending", "paid"]
    paid_at: str | None = None


class AppointmentIn(BaseModel):
    item_code: ItemCode
    day: CalendarDay
    start: Clock
    end: Clock
    holder: Annotated[Text, Field(max_length=40)] = ""
    """The holder's name, as staff took it; the code carries it masked."""


class AppointmentIssued(BaseModel):
    id: str
    item_code: str
    day: date
    start: str
    end: str
    holder: str
    """Masked."""
    code: str
    """What the QR holds: the appointment signed by the hall's Ed25519 key (see ``kiosk/appointments.py``)."""


class CheckIn(BaseModel):
    appointment_id: Annotated[Text, Field(min_length=1, max_length=64)]
    at: IsoDateTime
    ticket: Annotated[Text, Field(max_length=16)] = ""


class CheckInBatch(BaseModel):
    items: list[CheckIn] = Field(min_length=1, max_length=500)


class CheckInResult(BaseModel):
    id: str
    status: Literal[201, 200, 404]
    """201 recorded now, 200 known already (a resend, or used at another kiosk first), 404 no such appointment."""


class CheckInResults(BaseModel):
    results: list[CheckInResult]


class Received(BaseModel):
    note: Annotated[Text, Field(max_length=200)] = ""
