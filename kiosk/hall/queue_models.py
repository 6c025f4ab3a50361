"""The queue's request and response bodies, as published in ``/openapi.json`` (:mod:`kiosk.hall.api_queue`).

A ticket is known by its station (the kiosk that issued it), its day and its code (``A003``: category letter and
number); a kiosk's tickets never collide with another's, and nothing here is personal.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, model_validator

from kiosk.hall.models import Flag, IsoDateTime, JsonNumber, Text, iso_date

Day = Annotated[str, Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="a day, YYYY-MM-DD"), AfterValidator(iso_date)]
Category = Annotated[str, Field(pattern=r"^[A-Z]$", description="the category letter, e.g. A")]
Code = Annotated[str, Field(pattern=r"^[A-Z][0-9]{3,4}$", description="a ticket's code: category and number, A003")]
Window = Annotated[str, Field(pattern=r"^[0-9A-Z]{1,4}$", description="a window's number or short label, 5 or B2")]
StationId = Annotated[str, Field(pattern=r"^[A-Z0-9]{1,16}$", description="the station (kiosk) that issues tickets")]
Status = Literal["waiting", "called", "held", "skipped", "done"]
Action = Literal["recall", "skip", "hold", "resume"]


class QueueRuleView(BaseModel):
    """The calling rule's two numbers (see :mod:`kiosk.queue_rule`), in minutes."""

    priority_head_start: Annotated[int, Field(ge=0, le=240)]
    """A priority ticket counts as if issued this much earlier."""
    max_wait: Annotated[int, Field(ge=0, le=600)]
    """Once a ticket has waited this long, nobody who came after it is called before it."""


class TicketIn(BaseModel):
    """A queue ticket as the kiosk that issued it sends it; the hall files it under the kiosk's station."""

    day: Day
    category: Category
    number: Annotated[int, Field(ge=1, le=9999), JsonNumber]
    priority: Flag = False
    """The priority lane (an older resident, by the age on the ID card)."""
    issued_at: IsoDateTime
    """The kiosk's local time of issue; its date is ``day``."""
    appointment: Annotated[Text, Field(max_length=64)] = ""
    """The appointment this ticket checks in, if any (its id); empty for a walk-in."""

    @model_validator(mode="after")
    def _issued_on_its_day(self) -> TicketIn:
        if datetime.fromisoformat(self.issued_at.upper()).date().isoformat() != self.day:
            raise ValueError("issued_at is not on the ticket's day")
        return self


class TicketBatch(BaseModel):
    items: list[Annotated[TicketIn | dict[str, Any], Field(union_mode="left_to_right")]] = Field(
        min_length=1, max_length=500
    )
    """Each ticket is checked on its own: a malformed one gets its own 422 and never blocks the others."""


class TicketResult(BaseModel):
    id: str
    """The ticket as ``DAY/CODE``, e.g. ``2026-11-23/A001``."""
    status: Literal[201, 200, 422]
    """201 stored now, 200 held already (the same ticket again), 422 refused as invalid."""
    error: str | None = None


class TicketResults(BaseModel):
    results: list[TicketResult]
    """One per item, in the order sent."""


class TicketView(BaseModel):
    """One ticket and where it stands."""

    code: str
    category: str
    number: int
    priority: bool
    appointment: str
    """The appointment it checks in (its id), or empty."""
    issued_at: str
    status: Status
    """waiting; called (to ``window``); held (out of the line until resumed, at its old place); skipped (did not
    come when called); done (the window called the next one)."""
    window: str
    """The window it is, or was last, called to; empty if never called."""
    calls: int
    """How many times it was called (1, then one more per recall)."""
    called_at: str | None


class TicketPosition(BaseModel):
    """A kiosk's ticket as the hall sees it: its status and, while it waits, the people ahead by the rule."""

    code: str
    day: str
    status: Status
    window: str
    ahead: int | None
    """Tickets of its category to be called before it, now; None unless it is waiting."""
    rule: QueueRuleView


class CallIn(BaseModel):
    window: Window
    category: Category | None = None
    """Call only this category; any category if absent."""
    station: StationId | None = None
    """Whose tickets: may be left out while a single station issues tickets today."""


class TicketRef(BaseModel):
    station: StationId | None = None
    """Whose ticket: may be left out while a single station issues tickets today."""


class CallAnswer(BaseModel):
    station: str
    ticket: TicketView | None
    """The ticket called now; None when nobody (of the category) waits."""
    finished: TicketView | None
    """The ticket this window had called before, now done."""
    waiting: int
    """Tickets still waiting (of the category, if one was asked for)."""


class BoardTicket(BaseModel):
    """A ticket as the waiting area's board shows it."""

    code: str
    category: str
    priority: bool
    appointment: bool
    """It checks in an appointment (shown as 预约)."""
    window: str
    called_at: str | None
    calls: int


class CategoryWaiting(BaseModel):
    category: str
    waiting: int


class QueueBoard(BaseModel):
    """What a display board shows of one station's line today."""

    station: str
    """Empty when no station has issued tickets today."""
    day: str
    changed: int
    """Goes up with every change to this line (a ticket issued, called, recalled, skipped, held, resumed): a board
    redraws, and announces a new call, when it moves."""
    called: list[BoardTicket]
    """The ticket at each window, the newest call first."""
    next: list[BoardTicket]
    """The next few to be called, by the rule, any category."""
    waiting: list[CategoryWaiting]
    """People waiting per category, by letter, for every category with tickets today."""


class StaffQueue(BaseModel):
    """One station's tickets today for the staff: called (newest first), waiting (in call order), held, skipped,
    done."""

    station: str
    day: str
    rule: QueueRuleView
    tickets: list[TicketView]
