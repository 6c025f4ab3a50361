"""The hall's room for what residents were promised beyond the case: materials on file (材料复用), payment orders
(收费), materials by post (邮寄材料) and appointments (预约), for kiosks and for staff; and the reference hall's
payment page.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time, and they
name dependencies local to :func:`resident_router`.
"""

import html
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query
from fastapi.responses import HTMLResponse

from kiosk.catalog import Reuse, ServiceItem
from kiosk.hall.auth import KIOSK_ONLY, STAFF_ONLY, UNAUTHORISED, Auth
from kiosk.hall.intake import INVALID, MALFORMED
from kiosk.hall.models import CalendarDay, CaseView, Problem
from kiosk.hall.resident_models import (
    AppointmentIn,
    AppointmentIssued,
    CheckInBatch,
    CheckInResult,
    CheckInResults,
    OnFile,
    OnFileQuery,
    PaymentView,
    Received,
)
from kiosk.hall.storage import CHINA, HallStorage, NotFound, Rejected

_NOT_FOUND = {404: {"model": Problem}}


def resident_router(storage: HallStorage, auth: Auth) -> APIRouter:
    router = APIRouter()
    _kiosk_routes(router, storage, auth)
    _staff_routes(router, storage, auth)
    _payment_page(router, storage)
    return router


def _kiosk_routes(router: APIRouter, storage: HallStorage, auth: Auth) -> None:
    Kiosk, Anyone = auth.kiosk, auth.anyone

    @router.post(
        "/v1/materials/on-file",
        response_model=OnFile,
        responses={**MALFORMED, **KIOSK_ONLY, 404: {"model": Problem, "description": "no such item"}, **INVALID},
    )
    def on_file(body: OnFileQuery, sender: Kiosk) -> OnFile:
        """Which of an item's materials the hall holds for the applicant and may reuse today: unconditionally
        reusable ones always, those reusable within validity while valid (with the last day), those reusable at
        the applicant's choice; never an item's own application form. A POST so the number stays out of URLs."""
        raw = storage.catalog_item(body.item_code)
        if raw is None:
            raise NotFound(f"目录中没有事项 {body.item_code}")
        names = [m.name for m in ServiceItem.model_validate(raw).materials if m.reuse is not Reuse.NEVER]
        return OnFile(materials=storage.materials_on_file(body.number, names, _today()))

    @router.post("/v1/appointments/checkins", response_model=CheckInResults, responses={**MALFORMED, **KIOSK_ONLY})
    def check_ins(body: CheckInBatch, sender: Kiosk) -> CheckInResults:
        """Appointments checked in at this kiosk: the first check-in of a code wins; a resend is a 200."""
        return CheckInResults(
            results=[
                CheckInResult(
                    id=item.appointment_id, status=storage.check_in(sender, item.appointment_id, item.at, item.ticket)
                )
                for item in body.items
            ]
        )

    @router.get("/v1/payments/{submission_id}", response_model=PaymentView, responses={**UNAUTHORISED, **_NOT_FOUND})
    def payment(submission_id: str, who: Anyone) -> PaymentView:
        """The payment order the hall opened for a submission with a fee (待缴费 / 已缴费)."""
        found = storage.payment(submission_id)
        if found is None:
            raise NotFound(f"没有编号为 {submission_id} 的缴费单")
        return found


def _staff_routes(router: APIRouter, storage: HallStorage, auth: Auth) -> None:
    Staff = auth.staff

    @router.post(
        "/v1/staff/appointments",
        status_code=201,
        response_model=AppointmentIssued,
        responses={**MALFORMED, **STAFF_ONLY, **INVALID},
    )
    def book(body: AppointmentIn, who: Staff) -> AppointmentIssued:
        """Staff: book a slot for an item; the answer's ``code`` is what its QR holds, signed by the hall."""
        if storage.catalog_item(body.item_code) is None:
            raise Rejected(f"目录中没有事项 {body.item_code}")
        if body.start >= body.end:
            raise Rejected("the window's start must come before its end")
        return storage.book_appointment(body.item_code, body.day, body.start, body.end, body.holder)

    @router.get("/v1/staff/appointments", response_model=list[dict[str, Any]], responses=STAFF_ONLY)
    def appointments(who: Staff, day: Annotated[CalendarDay | None, Query()] = None) -> list[dict[str, Any]]:
        """Staff: the appointments (of ``day``), with when and where each was checked in."""
        return storage.appointments(day)

    @router.post(
        "/v1/staff/cases/{serial}/materials-received",
        response_model=CaseView,
        responses={**MALFORMED, **STAFF_ONLY, **_NOT_FOUND},
    )
    def materials_received(serial: str, who: Staff, body: Annotated[Received | None, Body()] = None) -> CaseView:
        """Staff: the materials the applicant posted have arrived (材料寄送中 → 材料已收到)."""
        return storage.materials_received(serial, body.note if body else "")

    @router.post(
        "/v1/staff/payments/{submission_id}/paid", response_model=PaymentView, responses={**STAFF_ONLY, **_NOT_FOUND}
    )
    def paid(submission_id: str, who: Staff) -> PaymentView:
        """Staff: the fee was paid at a window."""
        return storage.mark_paid(submission_id)


def _payment_page(router: APIRouter, storage: HallStorage) -> None:
    """The page a receipt's payment QR opens. A city's hall sends the resident to its payment platform; the
    reference hall shows the order and a button that pays it, so the whole loop can be tried."""

    @router.get("/pay/{submission_id}", response_class=HTMLResponse, include_in_schema=False)
    def page(submission_id: str) -> HTMLResponse:
        return HTMLResponse(_page(storage.payment(submission_id), submission_id))

    @router.post("/pay/{submission_id}", response_class=HTMLResponse, include_in_schema=False)
    def pay(submission_id: str) -> HTMLResponse:
        try:
            found = storage.mark_paid(submission_id)
        except NotFound:
            found = None
        return HTMLResponse(_page(found, submission_id))


def _page(payment: PaymentView | None, submission_id: str) -> str:
    if payment is None:
        body = "<p>还没有这张缴费单：申请送达政务服务中心后即可缴费，请稍后再试。</p>"
    elif payment.state == "paid":
        body = f"<p>流水号 {html.escape(payment.serial)}：<b>已缴费</b> {payment.cents / 100:.2f} 元。</p>"
    else:
        body = (
            f"<p>{html.escape(payment.item_name)}（流水号 {html.escape(payment.serial)}）</p>"
            f"<p>应缴 <b>{payment.cents / 100:.2f} 元</b>（待缴费）</p>"
            f'<form method="post" action="/pay/{html.escape(submission_id)}">'
            '<button type="submit">确认支付（参考大厅的演示支付）</button></form>'
        )
    return f'<!doctype html><html lang="zh"><meta charset="utf-8"><title>缴费</title><body>{body}</body></html>'


def _today() -> date:
    return datetime.now(CHINA).date()
