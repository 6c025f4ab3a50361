"""The hall's queue room: kiosks hand over their tickets and ask where one stands, staff call the windows, display
boards read the line. The calling rule is :mod:`kiosk.queue_rule`; what is kept, :mod:`kiosk.hall.queue`.

Who may enter: tickets and positions, a kiosk's token; calls and ticket actions, a staff token; the board, a
display board's token (``kiosk hall board-token``: it reads the board and nothing else), or any kiosk's or staff
token, since the board holds nothing personal.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and they
name dependencies local to the functions that add them.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import ValidationError

from kiosk.hall.auth import KIOSK_ONLY, STAFF_ONLY, UNAUTHORISED, Auth
from kiosk.hall.intake import INVALID, MALFORMED, field_errors
from kiosk.hall.models import CalendarDay, Problem, content_hash, link
from kiosk.hall.queue import ticket_key
from kiosk.hall.queue_models import (
    CallAnswer,
    CallIn,
    QueueBoard,
    StaffQueue,
    TicketBatch,
    TicketIn,
    TicketPosition,
    TicketRef,
    TicketResult,
    TicketResults,
    TicketView,
)
from kiosk.hall.storage import HallStorage, NotFound, Principal, Rejected

CODE = r"^[A-Z][0-9]{3,4}$"
STATION = r"^[A-Z0-9]{1,16}$"
SEVERAL_STATIONS = {422: {"model": Problem, "description": "invalid, or several stations issue tickets: name one"}}
ACTION_SUMMARIES = {
    "recall": "Staff: call a called ticket again, to the same window (the board announces it again).",
    "skip": "Staff: the called ticket's holder did not come (过号); it leaves the line.",
    "hold": "Staff: take a waiting or called ticket out of the line for now (暂停), e.g. to fetch a material.",
    "resume": "Staff: put a held ticket back into the line, at its old place (by its issue time).",
}


def queue_router(storage: HallStorage, auth: Auth) -> APIRouter:
    """``POST /v1/tickets/batch``, ``GET /v1/tickets/{day}/{code}``, ``GET /v1/queue``, ``GET /v1/staff/queue``,
    ``POST /v1/staff/queue/call`` and ``POST /v1/staff/queue/tickets/{code}/recall|skip|hold|resume``."""
    router = APIRouter()
    _add_kiosk(router, storage, auth)
    _add_staff(router, storage, auth)
    Board = auth.board

    @router.get("/v1/queue", response_model=QueueBoard, responses={**UNAUTHORISED, **SEVERAL_STATIONS})
    def board(
        who: Board, station: Annotated[str | None, Query(pattern=STATION, description="whose line")] = None
    ) -> QueueBoard:
        """A display board's view of today's line: the ticket at each window (newest call first), the next few by
        the rule, people waiting per category, and a ``changed`` counter that moves with every change."""
        return storage.queue_board(station)

    return router


def _add_kiosk(router: APIRouter, storage: HallStorage, auth: Auth) -> None:
    Kiosk = auth.kiosk

    @router.post("/v1/tickets/batch", response_model=TicketResults, responses={**MALFORMED, **KIOSK_ONLY, **INVALID})
    def push_tickets(body: TicketBatch, sender: Kiosk) -> TicketResults:
        """Hand over queue tickets issued at this kiosk. Idempotent per station, day and code: the same ticket
        again is a 200, other content under a used code a 422."""
        return TicketResults(results=[accept_ticket(storage, sender, item) for item in body.items])

    @router.get(
        "/v1/tickets/{day}/{code}",
        response_model=TicketPosition,
        responses={
            **KIOSK_ONLY,
            **INVALID,
            404: {"model": Problem, "description": "the hall has no such ticket of this kiosk"},
        },
    )
    def position(day: CalendarDay, code: Annotated[str, Path(pattern=CODE)], sender: Kiosk) -> TicketPosition:
        """Where one of this kiosk's tickets stands: its status, its window once called, and while it waits the
        people ahead of it by the calling rule (with the rule's numbers)."""
        found = storage.ticket_position(sender.station_id, day.isoformat(), code)
        if found is None:
            raise NotFound(f"大厅没有 {day} 的排队号 {code}")
        return found


def _add_staff(router: APIRouter, storage: HallStorage, auth: Auth) -> None:
    Staff = auth.staff

    @router.get("/v1/staff/queue", response_model=StaffQueue, responses={**STAFF_ONLY, **SEVERAL_STATIONS})
    def tickets(
        who: Staff, station: Annotated[str | None, Query(pattern=STATION, description="whose line")] = None
    ) -> StaffQueue:
        """Staff: every ticket of today's line, called (newest first), waiting (in call order), held, skipped, done;
        with the calling rule's numbers."""
        return storage.queue_tickets(station)

    @router.post(
        "/v1/staff/queue/call",
        response_model=CallAnswer,
        responses={
            200: {"links": _acting_on("$response.body#/ticket/code")},
            **MALFORMED,
            **STAFF_ONLY,
            **SEVERAL_STATIONS,
        },
    )
    def call(body: CallIn, who: Staff) -> CallAnswer:
        """Staff: a window calls its next ticket. The ticket it had called is done; the next is chosen by the
        calling rule (priority balanced against waiting time), of ``category`` if given. ``ticket`` is null when
        nobody waits."""
        return storage.call_next(body.window, body.category, body.station)

    for action, summary in ACTION_SUMMARIES.items():
        _add_action(router, storage, Staff, action, summary)


def _acting_on(code: str) -> dict[str, Any]:
    """Links to every action on the ticket whose code is at ``code`` (a runtime expression)."""
    return {
        action: link("post", f"/v1/staff/queue/tickets/{{code}}/{action}", code=code) for action in ACTION_SUMMARIES
    }


def _add_action(router: APIRouter, storage: HallStorage, Staff: Any, action: str, summary: str) -> None:
    @router.post(
        f"/v1/staff/queue/tickets/{{code}}/{action}",
        response_model=TicketView,
        name=f"{action}_ticket",
        description=summary,
        responses={
            200: {"links": _acting_on("$request.path.code")},
            **MALFORMED,
            **STAFF_ONLY,
            **SEVERAL_STATIONS,
            404: {"model": Problem, "description": "no such ticket today"},
            409: {"model": Problem, "description": "the ticket's status does not allow it"},
        },
    )
    def act(
        code: Annotated[str, Path(pattern=CODE)], who: Staff, body: Annotated[TicketRef | None, Body()] = None
    ) -> TicketView:
        return storage.ticket_action(action, code, body.station if body else None)  # type: ignore[arg-type]


def accept_ticket(storage: HallStorage, sender: Principal, item: TicketIn | dict[str, Any]) -> TicketResult:
    """Check and file one ticket: 201 stored now, 200 held already, 422 refused (with why)."""
    try:
        ticket = TicketIn.model_validate(item)
    except ValidationError as exc:
        errors = "; ".join(f"{'.'.join(map(str, e['loc'])) or 'item'}: {e['msg']}" for e in field_errors(exc.errors()))
        return TicketResult(id=_raw_key(item), status=422, error=errors[:500])
    key = ticket_key(ticket.day, ticket.category, ticket.number)
    try:
        created = storage.record_ticket(sender, ticket, content_hash(ticket))
    except Rejected as exc:
        return TicketResult(id=key, status=422, error=str(exc))
    return TicketResult(id=key, status=201 if created else 200)


def _raw_key(item: Any) -> str:
    """The key of a ticket that did not validate, as far as it can be read, so the kiosk can tell which it was."""
    try:
        key = ticket_key(str(item["day"]), str(item["category"]), int(item["number"]))
    except (TypeError, KeyError, ValueError, OverflowError):
        return ""
    return key.encode("utf-8", "backslashreplace").decode("utf-8")  # a lone surrogate cannot go out as JSON
