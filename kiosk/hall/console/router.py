"""The console's pages: plain HTML forms, no script. Every page but sign-in needs a session; every form posts the
session's CSRF token (sign-in's, a double-submit cookie); a supervisor's pages answer 403 to window staff.

No ``from __future__ import annotations`` here: FastAPI reads the endpoints' annotations at run time.
"""

import hmac
import secrets
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Query, Request
from fastapi.responses import FileResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import ValidationError

from kiosk.catalog import ServiceItem
from kiosk.hall.console.accounts import SignInRefused, session_of, sign_in, sign_out
from kiosk.hall.console.storage import ROLES, ConsoleSession
from kiosk.hall.console.supervision import LEVELS, received_day, supervise
from kiosk.hall.models import STAGES, HolidayDay
from kiosk.hall.storage import CHINA, CLOCK_SKEW_SECONDS, HallError, HallStorage, clock_note, utc_now
from kiosk.workdays import WorkingCalendar

COOKIE = "kiosk_console"
LOGIN_COOKIE = "kiosk_console_login"
PREFIX = "/console"
RECTIFY_DAYS = 15  # working days to follow a bad rating up (好差评: 差评整改反馈)
SILENT_MINUTES = 15  # a kiosk heard from less recently than this is flagged (its heartbeat comes every 5 minutes)
LEVEL_NAMES = {1: "非常不满意", 2: "不满意", 3: "基本满意", 4: "满意", 5: "非常满意"}
OUTCOMES = {"returned": "退回补正", "refused": "不予受理"}
DEVICE_NAMES = {"reader": "读卡器", "printer": "打印机", "scanner": "扫码器", "voice": "语音"}
DEVICE_STATES = {"ok": "正常", "fault": "故障", "off": "未启用"}
KINDS = {"holiday": "放假", "workday": "调休上班", "normal": "取消（按平常日）"}
HEADERS = {
    "Content-Security-Policy": "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none';"
    " base-uri 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}
_HERE = Path(__file__).parent


class SignInNeeded(Exception):
    """No valid session: the browser goes to the sign-in page, and back here after."""

    def __init__(self, then: str) -> None:
        self.then = then


class Forbidden(Exception):
    """Signed in, but not allowed: the page is a supervisor's, or the form did not come from our pages."""

    def __init__(self, why: str = "这一项只有科室负责人可以操作。") -> None:
        self.why = why


def local(moment: str | None) -> str:
    """A stored UTC moment as staff read it: China time to the minute."""
    if not moment:
        return ""
    return datetime.fromisoformat(moment).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")


def install_console(app: FastAPI, storage: HallStorage, silent_minutes: float = SILENT_MINUTES) -> None:
    """Serve the console on ``app`` at ``/console``, outside the API's OpenAPI document."""
    templates = Jinja2Templates(directory=_HERE / "templates")
    templates.env.filters["local"] = local
    templates.env.filters["weekday"] = lambda day: date.fromisoformat(day).weekday()
    templates.env.globals.update(STAGES=STAGES, ROLES=ROLES, OUTCOMES=OUTCOMES, LEVEL_NAMES=LEVEL_NAMES, KINDS=KINDS)
    templates.env.globals.update(DEVICE_NAMES=DEVICE_NAMES, DEVICE_STATES=DEVICE_STATES)

    @app.exception_handler(SignInNeeded)
    def _sign_in(request: Request, exc: SignInNeeded) -> Response:
        return RedirectResponse(f"{PREFIX}/login?then={quote(exc.then)}", status_code=303)

    @app.exception_handler(Forbidden)
    def _forbidden(request: Request, exc: Forbidden) -> Response:
        return page(request, "message.html", None, status=403, title="无权操作", text=exc.why)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Any) -> Response:
        response = await call_next(request)
        if request.url.path.startswith(PREFIX):
            response.headers.update(HEADERS)
        return response

    def page(request: Request, name: str, who: ConsoleSession | None, status: int = 200, **context: Any) -> Response:
        return templates.TemplateResponse(request, name, {"who": who, **context}, status_code=status)

    def cookie(request: Request, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            value,
            path=PREFIX,
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )

    def signed_in(request: Request) -> ConsoleSession:
        who = session_of(storage, request.cookies.get(COOKIE))
        if who is None:
            then = f"{PREFIX}/cases"  # after a form whose session had ended: the form is not sent again
            if request.method == "GET":
                then = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise SignInNeeded(then)
        return who

    Who = Annotated[ConsoleSession, Depends(signed_in)]

    def checked(who: Who, csrf: Annotated[str, Form()] = "") -> ConsoleSession:
        """A form's sender: signed in, and the form came from one of our pages (its CSRF token)."""
        if not hmac.compare_digest(csrf.encode(), who.csrf.encode()):
            raise Forbidden("这个表单已过期，或不是从工作台打开的：请刷新页面后再操作。")
        return who

    Poster = Annotated[ConsoleSession, Depends(checked)]

    def supervisor(who: Poster) -> ConsoleSession:
        if who.role != "supervisor":
            raise Forbidden()
        return who

    Supervisor = Annotated[ConsoleSession, Depends(supervisor)]

    router = APIRouter(prefix=PREFIX, include_in_schema=False)

    @router.get("/console.css")
    def stylesheet() -> FileResponse:
        return FileResponse(_HERE / "templates" / "console.css", media_type="text/css")

    # Signing in and out

    @router.get("")
    @router.get("/")
    def home() -> Response:
        return RedirectResponse(f"{PREFIX}/cases", status_code=303)

    @router.get("/login")
    def login_page(request: Request, then: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        response = page(request, "login.html", None, csrf=token, then=then, error="")
        cookie(request, response, LOGIN_COOKIE, token)
        return response

    @router.post("/login")
    def login(
        request: Request,
        username: Annotated[str, Form(max_length=64)] = "",
        password: Annotated[str, Form(max_length=256)] = "",
        csrf: Annotated[str, Form(max_length=64)] = "",
        then: Annotated[str, Form(max_length=500)] = "",
    ) -> Response:
        expected = request.cookies.get(LOGIN_COOKIE, "")
        if not expected or not hmac.compare_digest(csrf.encode(), expected.encode()):
            return login_page(request, then)  # a stale or forged form: a fresh one, nothing checked
        try:
            signed = sign_in(storage, username, password)
        except SignInRefused as exc:
            return page(request, "login.html", None, status=401, csrf=csrf, then=then, error=str(exc))
        target = then if then.startswith(f"{PREFIX}/") and not then.startswith("//") else f"{PREFIX}/cases"
        response = RedirectResponse(target, status_code=303)
        cookie(request, response, COOKIE, signed.token)
        response.delete_cookie(LOGIN_COOKIE, path=PREFIX, httponly=True, samesite="strict")
        return response

    @router.post("/logout")
    def logout(request: Request, who: Poster) -> Response:
        sign_out(storage, request.cookies.get(COOKIE))
        response = RedirectResponse(f"{PREFIX}/login", status_code=303)
        response.delete_cookie(COOKIE, path=PREFIX, httponly=True, samesite="strict")
        return response

    # Cases

    @router.get("/cases")
    def cases(
        request: Request,
        who: Who,
        serial: Annotated[str, Query(max_length=40)] = "",
        name: Annotated[str, Query(max_length=20)] = "",
        item: Annotated[str, Query(max_length=40)] = "",
        day: Annotated[str, Query(max_length=10)] = "",
    ) -> Response:
        error = ""
        try:
            if day:
                date.fromisoformat(day)
        except ValueError:
            error, day = "日期请按 2026-12-01 的格式填写", ""
        found = storage.find_cases(serial=serial.strip(), applicant=name.strip(), item=item.strip(), day=day)
        query = {"serial": serial, "name": name, "item": item, "day": day}
        return page(request, "cases.html", who, cases=found, query=query, error=error, shown_max=200)

    def case_page(request: Request, who: ConsoleSession, serial: str, status: int = 200, **extra: Any) -> Response:
        case = storage.case(serial)
        if case is None:
            return page(
                request, "message.html", who, status=404, title="没有这件申请", text=f"大厅没有流水号 {serial}。"
            )
        raw = storage.catalog_item(case.item_code) or {}
        materials = [m["name"] for m in raw.get("materials", []) if isinstance(m, dict) and "name" in m]
        listed = [c for c in storage.find_cases(serial=case.serial, limit=20) if c["serial"] == case.serial]
        context = {
            "case": case,
            "applicant": listed[0]["applicant"] if listed else "",
            "history": storage.case_history(serial),
            "materials": materials,
            "done": request.query_params.get("done", ""),
            "error": "",
            **extra,
        }
        return page(request, "case.html", who, status=status, **context)

    @router.get("/cases/{serial}")
    def case(request: Request, who: Who, serial: str) -> Response:
        return case_page(request, who, serial)

    def decided(request: Request, who: ConsoleSession, serial: str, action: Any, done: str) -> Response:
        try:
            action()
        except HallError as exc:
            return case_page(request, who, serial, status=409, error=str(exc))
        return RedirectResponse(f"{PREFIX}/cases/{quote(serial)}?done={done}", status_code=303)

    @router.post("/cases/{serial}/advance")
    def advance(request: Request, who: Poster, serial: str, note: Annotated[str, Form(max_length=200)] = "") -> Any:
        return decided(request, who, serial, lambda: storage.advance(serial, note.strip(), by=who.name), "advanced")

    @router.post("/cases/{serial}/return")
    def return_case(
        request: Request,
        who: Poster,
        serial: str,
        missing: Annotated[list[str], Form()] = [],  # noqa: B006 - FastAPI copies a Form default
        note: Annotated[str, Form(max_length=200)] = "",
    ) -> Any:
        named = [m.strip() for m in missing if m.strip()][:20]
        if not named and not note.strip():
            return case_page(request, who, serial, status=422, error="退回补正时请勾选缺少的材料，或写明要补什么")
        return decided(
            request, who, serial, lambda: storage.return_case(serial, named, note.strip(), by=who.name), "returned"
        )

    @router.post("/cases/{serial}/refuse")
    def refuse(
        request: Request, who: Supervisor, serial: str, reason: Annotated[str, Form(max_length=200)] = ""
    ) -> Any:
        if not reason.strip():
            return case_page(request, who, serial, status=422, error="不予受理须写明理由，申请人会看到它")
        return decided(
            request, who, serial, lambda: storage.refuse_case(serial, reason.strip(), by=who.name), "refused"
        )

    # Time limits

    def calendar() -> WorkingCalendar:
        return WorkingCalendar.from_rows(day.model_dump() for day in storage.holidays())

    @router.get("/supervision")
    def supervision(request: Request, who: Who) -> Response:
        today = utc_now().astimezone(CHINA).date()
        watched = supervise(storage.open_cases(), calendar(), today)
        counts = Counter(w.level for w in watched)
        return page(request, "supervision.html", who, watched=watched, counts=counts, levels=LEVELS, today=today)

    # Ratings

    @router.get("/ratings")
    def ratings(request: Request, who: Who) -> Response:
        rows = storage.evaluations()
        work = calendar()
        for row in rows:
            rated = received_day(row["created_at"])
            row["rectify_by"] = work.add_working_days(rated, RECTIFY_DAYS)[0] if row["level"] <= 2 else None
        today = utc_now().astimezone(CHINA).date()
        return page(
            request,
            "ratings.html",
            who,
            by_item=_tally(
                rows, lambda r: (r["item_code"], r["item_name"]) if r["item_code"] else ("", "（申请未到）")
            ),
            by_station=_tally(rows, lambda r: (r["station_id"], "")),
            bad=[r for r in rows if r["level"] <= 2],
            today=today,
            done=request.query_params.get("done", ""),
            rectify_days=RECTIFY_DAYS,
        )

    @router.post("/ratings/{submission_id}/follow-up")
    def follow_up(
        request: Request, who: Supervisor, submission_id: str, action: Annotated[str, Form(max_length=500)] = ""
    ) -> Response:
        if action.strip():
            storage.follow_up(submission_id, action.strip(), who.name)
        return RedirectResponse(f"{PREFIX}/ratings?done=1#r-{quote(submission_id)}", status_code=303)

    # Fleet

    @router.get("/fleet")
    def fleet(request: Request, who: Who) -> Response:
        now = utc_now()
        silent_since = now - timedelta(minutes=silent_minutes)
        kiosks = storage.fleet()
        for kiosk in kiosks:
            seen = kiosk["last_seen"]
            kiosk["silent"] = seen is None or datetime.fromisoformat(seen) < silent_since
            kiosk["clock"] = clock_note(kiosk["clock_skew_seconds"])
        kiosks.sort(key=lambda k: (not k["silent"], not k["clock"], k["station_id"], k["name"]))
        return page(
            request,
            "fleet.html",
            who,
            kiosks=kiosks,
            silent_minutes=silent_minutes,
            skew_minutes=CLOCK_SKEW_SECONDS / 60,
        )

    # Catalog

    @router.get("/catalog")
    def catalog(request: Request, who: Who) -> Response:
        items = sorted(storage.catalog_changes(0).items, key=lambda item: item.code)
        return page(request, "catalog.html", who, items=items)

    def item_page(request: Request, who: ConsoleSession, code: str, status: int = 200, **extra: Any) -> Response:
        raw = storage.catalog_item(code)
        if raw is None:
            return page(request, "message.html", who, status=404, title="没有这个事项", text=f"目录里没有 {code}。")
        context = {"item": raw, "errors": [], "saved": request.query_params.get("saved", ""), **extra}
        return page(request, "item.html", who, status=status, **context)

    @router.get("/catalog/{code}")
    def item(request: Request, who: Who, code: str) -> Response:
        return item_page(request, who, code)

    @router.post("/catalog/{code}")
    def save_item(
        request: Request,
        who: Supervisor,
        code: str,
        name: Annotated[str, Form(max_length=100)] = "",
        promised_days: Annotated[str, Form(max_length=5)] = "",
        legal_days: Annotated[str, Form(max_length=5)] = "",
        place: Annotated[str, Form(max_length=200)] = "",
        hours: Annotated[str, Form(max_length=200)] = "",
        phone: Annotated[str, Form(max_length=40)] = "",
        keywords: Annotated[str, Form(max_length=300)] = "",
    ) -> Response:
        raw = storage.catalog_item(code)
        if raw is None:
            return item_page(request, who, code)
        edited = {
            **raw,
            "name": name.strip(),
            "promised_days": promised_days.strip(),
            "legal_days": legal_days.strip(),
            "place": place.strip(),
            "hours": hours.strip(),
            "phone": phone.strip(),
            "keywords": [k.strip() for k in keywords.replace("，", ",").split(",") if k.strip()],
        }
        try:
            version = storage.put_catalog_item(ServiceItem.model_validate(edited))
        except ValidationError as exc:
            errors = [f"{'.'.join(map(str, e['loc']))}：{e['msg']}" for e in exc.errors()]
            return item_page(request, who, code, status=422, errors=errors, item=edited)
        return RedirectResponse(f"{PREFIX}/catalog/{quote(code)}?saved={version}", status_code=303)

    # Holidays

    def holidays_page(request: Request, who: ConsoleSession, year: int | None, error: str = "") -> Response:
        days = storage.holidays()
        this_year = utc_now().astimezone(CHINA).year
        years = sorted({int(d.date[:4]) for d in days} | {this_year, this_year + 1})
        shown = year or this_year
        listed = [d for d in days if d.date.startswith(f"{shown}-")]
        status = 422 if error else 200
        return page(request, "holidays.html", who, status=status, days=listed, years=years, year=shown, error=error)

    @router.get("/holidays")
    def holidays(request: Request, who: Who, year: Annotated[int | None, Query(ge=2000, le=2100)] = None) -> Response:
        return holidays_page(request, who, year)

    @router.post("/holidays")
    def change_holiday(
        request: Request,
        who: Supervisor,
        day: Annotated[str, Form(max_length=10)] = "",
        kind: Annotated[str, Form(max_length=10)] = "",
        name: Annotated[str, Form(max_length=40)] = "",
    ) -> Response:
        try:
            change = HolidayDay(date=day, kind=kind, name=name.strip())
        except ValidationError:
            error = f"没有保存：「{day}」不是一个日期，或类别不对。日期按 2027-10-01 填写，类别选放假、调休上班或取消"
            return holidays_page(request, who, None, error)
        storage.import_holidays([change])
        return RedirectResponse(f"{PREFIX}/holidays?year={change.date[:4]}", status_code=303)

    app.include_router(router)


def _tally(rows: list[dict[str, Any]], key: Any) -> list[dict[str, Any]]:
    """Ratings counted per ``key(row)``: total, good (4–5), middling (3), bad (1–2), the share satisfied."""
    groups: dict[Any, Counter[str]] = {}
    for row in rows:
        tally = groups.setdefault(key(row), Counter())
        tally["total"] += 1
        tally["good" if row["level"] >= 4 else "fair" if row["level"] == 3 else "bad"] += 1
    return [
        {"key": k[0], "name": k[1], **t, "satisfied": round(100 * (t["good"] + t["fair"]) / t["total"])}
        for k, t in sorted(groups.items(), key=lambda kv: (-kv[1]["bad"], kv[0]))
    ]
