"""The staff console over HTTP on loopback, on both back-ends: signing in, the case's five stages with returns
and refusals, time-limit supervision, ratings and their follow-up, the fleet, the catalog and the holiday table.
What a browser makes of the pages is tests/browser/test_console.py."""

from __future__ import annotations

import html
import re
from datetime import date, datetime, timedelta

import pytest
import requests

from kiosk.hall.console.accounts import LOCKOUT, MAX_FAILURES, add_account
from kiosk.hall.console.supervision import supervise
from kiosk.hall.models import STAGES, HeartbeatIn
from kiosk.hall.storage import CHINA, utc_now
from kiosk.workdays import WorkingCalendar
from tests.hall.test_hall import PERSON, enrol, rows

PASSWORD = "correct horse battery"


class Console:
    """A browser's worth of the console: one cookie jar, the CSRF token of the last page read."""

    def __init__(self, hall) -> None:
        self.hall = hall
        self.http = requests.Session()
        self.csrf = ""
        self.last: requests.Response | None = None

    def get(self, path: str, **params) -> requests.Response:
        answer = self.http.get(self.hall.url + path, params=params, timeout=10)
        if found := re.search(r'name="csrf" value="([^"]+)"', answer.text):
            self.csrf = found[1]
        self.last = answer
        return answer

    def post(self, path: str, data: dict | list | None = None, csrf: str | None = None) -> requests.Response:
        fields = list(data.items()) if isinstance(data, dict) else list(data or [])
        fields.append(("csrf", self.csrf if csrf is None else csrf))
        answer = self.http.post(self.hall.url + path, data=fields, timeout=10)
        if found := re.search(r'name="csrf" value="([^"]+)"', answer.text):
            self.csrf = found[1]
        self.last = answer
        return answer

    def sign_in(self, username: str, password: str = PASSWORD) -> requests.Response:
        self.get("/console/login")
        return self.post("/console/login", {"username": username, "password": password, "then": ""})

    def text(self, answer: requests.Response | None = None) -> str:
        """The page as a person reads it: tags gone, entities decoded, spaces collapsed."""
        page = (answer or self.last).text
        page = re.sub(r"<(style|script)[^>]*>.*?</\1>", "", page, flags=re.S)
        return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture
def accounts(hall):
    add_account(hall.storage, "li.ming", "李明", "supervisor", PASSWORD)
    add_account(hall.storage, "wang.fang", "王芳", "window", PASSWORD)


@pytest.fixture
def supervisor(hall, accounts) -> Console:
    console = Console(hall)
    assert console.sign_in("li.ming").url.endswith("/console/cases")
    return console


@pytest.fixture
def window(hall, accounts) -> Console:
    console = Console(hall)
    assert console.sign_in("wang.fang").url.endswith("/console/cases")
    return console


def file(kiosk, serial: str, name: str = "李建国", item: str = "MZ0001") -> dict:
    payload = {**PERSON, "applicant": {**PERSON["applicant"], "kind": "person", "name": name}}
    answer = kiosk.put(kiosk.submission(serial, payload, item_code=item))
    assert answer.status_code == 201, answer.text
    return answer.json()


def serials(console: Console) -> list[str]:
    return re.findall(r'href="/console/cases/([^"]+)"', console.last.text)


def test_a_page_without_a_session_asks_to_sign_in_and_comes_back_after(hall, accounts):
    console = Console(hall)
    answer = console.get("/console/fleet")
    assert answer.url.startswith(hall.url + "/console/login") and "工作人员登录" in console.text()
    cookie = answer.history[0].headers.get("set-cookie", "") or answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/console" in cookie
    then = re.search(r'name="then" value="([^"]+)"', answer.text)[1]
    signed = console.post("/console/login", {"username": "li.ming", "password": PASSWORD, "then": then})
    assert signed.url == hall.url + "/console/fleet"
    session_cookie = signed.history[0].headers["set-cookie"]
    assert re.search(r"kiosk_console=[^;]+; HttpOnly; Path=/console; SameSite=strict", session_cookie)
    assert signed.headers["content-security-policy"].startswith("default-src 'none'")
    assert "李明（科室负责人）" in console.text()
    assert rows(hall, "SELECT count(*) FROM console_sessions") == [(1,)]
    assert PASSWORD not in str(rows(hall, "SELECT password_hash FROM staff_accounts"))  # only its scrypt hash

    console.post("/console/logout")
    assert console.get("/console/cases").url.startswith(hall.url + "/console/login")
    assert rows(hall, "SELECT count(*) FROM console_sessions") == [(0,)]


def test_wrong_passwords_lock_the_account_and_an_unknown_name_is_told_the_same(hall, accounts):
    console = Console(hall)
    assert "用户名或密码不对" in console.text(console.sign_in("nobody", "whatever it is"))
    for left in range(MAX_FAILURES - 1, 0, -1):
        answer = console.sign_in("wang.fang", "not the password")
        assert answer.status_code == 401 and f"再错 {left} 次将锁定账号" in console.text()
    assert "账号已锁定" in console.text(console.sign_in("wang.fang", "not the password"))
    locked = console.sign_in("wang.fang")  # the right password, too late
    assert locked.status_code == 401 and f"请 {LOCKOUT.seconds // 60} 分钟后再试" in console.text()
    assert console.get("/console/cases").url.startswith(hall.url + "/console/login")
    add_account(hall.storage, "wang.fang", "王芳", "window", PASSWORD)  # an administrator resets it
    assert console.sign_in("wang.fang").url.endswith("/console/cases")


def test_a_form_without_the_session_token_changes_nothing(hall, supervisor):
    kiosk = enrol(hall)
    answer = file(kiosk, "DEMO01-261123-0001-X")
    forged = supervisor.post(f"/console/cases/{answer['serial']}/advance", {"note": "x"}, csrf="forged")
    assert forged.status_code == 403 and "表单已过期" in supervisor.text()
    assert hall.storage.case(answer["serial"]).stage == "申请"
    stale_login = requests.post(
        hall.url + "/console/login", data={"username": "li.ming", "password": PASSWORD, "csrf": "x"}, timeout=10
    )
    assert "kiosk_console=" not in stale_login.headers.get("set-cookie", "")  # no session from a foreign form


def test_cases_are_found_by_serial_masked_name_item_and_day(hall, supervisor):
    kiosk = enrol(hall)
    file(kiosk, "DEMO01-261123-0001-X", "王秀英", "MZ0001")
    file(kiosk, "DEMO01-261123-0002-X", "李建国", "MZ0001")
    file(kiosk, "DEMO01-261124-0003-X", "王五", "GA0002")
    everything = ["DEMO01-261124-0003-X", "DEMO01-261123-0002-X", "DEMO01-261123-0001-X"]
    supervisor.get("/console/cases")
    assert serials(supervisor) == everything  # newest first
    assert "王** " in supervisor.text() and "王*" in supervisor.text() and "王秀英" not in supervisor.last.text
    supervisor.get("/console/cases", serial="demo01-261123")
    assert serials(supervisor) == everything[1:]
    supervisor.get("/console/cases", name="王")
    assert serials(supervisor) == ["DEMO01-261124-0003-X", "DEMO01-261123-0001-X"]
    supervisor.get("/console/cases", name="王*")
    assert serials(supervisor) == ["DEMO01-261124-0003-X"]
    supervisor.get("/console/cases", item="GA0002")
    assert serials(supervisor) == ["DEMO01-261124-0003-X"]
    supervisor.get("/console/cases", item="优待")  # part of MZ0001's name
    assert serials(supervisor) == everything[1:]
    today = utc_now().astimezone(CHINA).date()
    supervisor.get("/console/cases", day=today.isoformat())
    assert serials(supervisor) == everything
    supervisor.get("/console/cases", day=(today - timedelta(days=1)).isoformat())
    assert serials(supervisor) == [] and "没有符合条件的办件" in supervisor.text()
    supervisor.get("/console/cases", day="yesterday")
    assert "日期请按 2026-12-01 的格式填写" in supervisor.text()
    supervisor.get("/console/cases", serial="%")  # a LIKE wildcard is a character like any other
    assert serials(supervisor) == []


def test_a_case_goes_through_its_five_stages_and_each_step_says_who_and_when(hall, window):
    kiosk = enrol(hall)
    serial = file(kiosk, "DEMO01-261123-0001-X")["serial"]
    page = f"/console/cases/{serial}"
    window.get(page)
    for stage in STAGES[1:]:
        assert f"推进到「{stage}」" in window.text()
        window.post(f"{page}/advance", {"note": f"{stage}完成"})
        assert f"已推进到「{stage}」" in window.text()
    assert "/advance" not in window.last.text and "/return" not in window.last.text  # 发证: nothing more to do
    history = [(h["stage"], h["by"], h["note"]) for h in hall.storage.case_history(serial)]
    assert history == [("申请", "", "")] + [(stage, "王芳", f"{stage}完成") for stage in STAGES[1:]]
    assert "王芳" in window.text() and "终端提交" in window.text()
    seen = kiosk.call("GET", f"/v1/cases/{serial}").json()
    assert (seen["stage"], seen["stage_index"], seen["outcome"]) == ("发证", 4, "")
    late = window.post(f"{page}/advance", {"note": "again"})
    assert late.status_code == 409 and "已在最后一步「发证」" in window.text()


def test_a_case_returned_for_materials_tells_the_resident_what_to_bring_and_resumes(hall, window):
    kiosk = enrol(hall)
    serial = file(kiosk, "DEMO01-261123-0001-X")["serial"]
    page = f"/console/cases/{serial}"
    window.get(page)
    materials = re.findall(r'name="missing" value="([^"]+)"', window.last.text)
    assert materials == [m["name"] for m in hall.storage.catalog_item("MZ0001")["materials"]]
    nothing = window.post(f"{page}/return", {"note": ""})
    assert nothing.status_code == 422 and "请勾选缺少的材料" in window.text()
    window.post(f"{page}/return", [("missing", materials[0]), ("missing", materials[-1]), ("note", "照片要白底")])
    told = f"{materials[0]}、{materials[-1]}（照片要白底）"
    assert "已退回补正" in window.text() and f"请补交：{told}" in window.text()
    seen = kiosk.call("GET", f"/v1/cases/{serial}").json()
    assert (seen["stage"], seen["outcome"], seen["outcome_note"]) == ("申请", "returned", told)
    assert "材料已补齐，推进到「受理」" in window.text()
    window.post(f"{page}/advance")
    seen = kiosk.call("GET", f"/v1/cases/{serial}").json()
    assert (seen["stage"], seen["outcome"], seen["outcome_note"]) == ("受理", "", "")


def test_only_a_supervisor_refuses_a_case_and_a_refused_case_is_closed(hall, window, supervisor):
    kiosk = enrol(hall)
    serial = file(kiosk, "DEMO01-261123-0001-X")["serial"]
    page = f"/console/cases/{serial}"
    window.get(page)
    assert "不予受理" not in window.text()
    denied = window.post(f"{page}/refuse", {"reason": "不符合条件"})
    assert denied.status_code == 403 and hall.storage.case(serial).outcome == ""
    supervisor.get(page)
    assert supervisor.post(f"{page}/refuse", {"reason": " "}).status_code == 422
    supervisor.post(f"{page}/refuse", {"reason": "申请人未满 60 周岁"})
    assert "已不予受理" in supervisor.text() and "/advance" not in supervisor.last.text
    seen = kiosk.call("GET", f"/v1/cases/{serial}").json()
    assert (seen["outcome"], seen["outcome_note"]) == ("refused", "申请人未满 60 周岁")
    assert window.post(f"{page}/advance").status_code == 409 and "已不予受理" in window.text()
    assert hall.storage.case_history(serial)[-1] == {
        "stage": "申请",
        "at": hall.storage.case(serial).updated_at,
        "note": "不予受理：申请人未满 60 周岁",
        "by": "李明",
    }


def backdate(hall, serial: str, days: int) -> None:
    """As if the case had reached the hall ``days`` calendar days ago."""
    received = (utc_now() - timedelta(days=days)).isoformat(timespec="seconds")
    sql = "UPDATE submissions SET received_at = ? WHERE serial = ?"
    with hall.storage._write() as db:
        db.execute(sql, [received, serial])


def test_supervision_lists_open_cases_most_urgent_first_and_the_overdue_in_red(hall, window):
    kiosk = enrol(hall)
    assert hall.storage.catalog_item("MZ0003")["promised_days"] == 20  # 最低生活保障申请
    overdue = file(kiosk, "DEMO01-261101-0001-X", item="MZ0003")["serial"]
    fresh = file(kiosk, "DEMO01-261123-0002-X", item="MZ0003")["serial"]
    returned = file(kiosk, "DEMO01-261123-0003-X")["serial"]
    finished = file(kiosk, "DEMO01-261123-0004-X")["serial"]
    backdate(hall, overdue, 40)
    hall.storage.return_case(returned, ["照片"], "", by="王芳")
    for _ in STAGES[1:]:
        hall.storage.advance(finished)
    window.get("/console/supervision")
    listed = serials(window)
    assert listed == [overdue, fresh]  # the returned case's clock is stopped; the finished one has no deadline
    row = re.search(
        rf'<tr class="(level-\d)">\s*<td><strong>(\S+)</strong></td>\s*<td><a href="[^"]*{overdue}', window.last.text
    )
    assert row.groups() == ("level-0", "超时")
    assert "超时 1" in window.text() and "正常 1" in window.text()


def test_the_deadline_counts_working_days_on_the_holiday_table():
    calendar = WorkingCalendar({date(2027, 10, d): "holiday" for d in range(1, 8)} | {date(2027, 9, 26): "workday"})
    received = "2027-09-29T02:00:00+00:00"  # Wednesday 29 September in China
    case = {"received_at": received, "promised_days": 5, "serial": "S"}
    # working days after the 29th: 30 Sep, then 8, 11, 12, 13 Oct (1–7 Oct off, 9–10 a weekend)
    [on_time] = supervise([case], calendar, date(2027, 9, 30))
    assert (on_time.due, on_time.level, on_time.left) == (date(2027, 10, 13), "正常", 4)
    assert supervise([case], calendar, date(2027, 10, 11))[0].level == "提醒"  # 2 of 5 left
    assert supervise([case], calendar, date(2027, 10, 12))[0].level == "预警"
    assert supervise([case], calendar, date(2027, 10, 13))[0].level == "预警"  # due today
    late = supervise([case], calendar, date(2027, 10, 15))[0]
    assert (late.level, late.left) == ("超时", -2)
    unknown = supervise([{**case, "promised_days": None}], calendar, date(2027, 10, 15))[0]
    assert unknown.level == "时限不明"


def test_bad_ratings_are_listed_for_follow_up_and_counted_per_item_and_window(hall, supervisor, window):
    kiosk = enrol(hall)
    serials_filed = [file(kiosk, f"DEMO01-261123-000{n}-X")["serial"] for n in range(1, 4)]
    ids = [rows(hall, f"SELECT id FROM submissions WHERE serial = '{s}'")[0][0] for s in serials_filed]
    ratings = [
        {"submission_id": ids[0], "level": 1, "created_at": "2026-11-23T10:05:00", "reason": "等候时间太长"},
        {"submission_id": ids[1], "level": 5, "created_at": "2026-11-23T10:06:00"},
        {"submission_id": ids[2], "level": 3, "created_at": "2026-11-23T10:07:00"},
    ]
    assert kiosk.call("POST", "/v1/evaluations/batch", json={"items": ratings}).status_code == 200
    window.get("/console/ratings")
    assert "等候时间太长" in window.text() and "非常不满意" in window.text()
    assert "待科室负责人跟进" in window.text() and "保存整改情况" not in window.text()
    assert "MZ0001 老年人优待证办理 3 1 1 1 67%" in window.text()
    assert "DEMO01 3 1 1 1 67%" in window.text()
    assert window.post(f"/console/ratings/{ids[0]}/follow-up", {"action": "x"}).status_code == 403
    supervisor.get("/console/ratings")
    supervisor.post(f"/console/ratings/{ids[0]}/follow-up", {"action": "已回访，增开一个窗口"})
    assert "整改情况已保存" in supervisor.text() and "已回访，增开一个窗口 李明" in supervisor.text()
    [followed] = [r for r in hall.storage.evaluations() if r["submission_id"] == ids[0]]
    assert (followed["followup"], followed["followup_by"]) == ("已回访，增开一个窗口", "李明")


def test_the_fleet_shows_each_kiosk_and_flags_the_silent(hall, window):
    talking = enrol(hall, "HT01")
    enrol(hall, "HT02")  # enrolled, never heard from since
    beat = HeartbeatIn(
        at="2026-11-23T10:00:00",
        version="0.9.1",
        pending=3,
        quarantined=1,
        devices={"printer": {"state": "fault", "detail": "缺纸"}, "reader": {"state": "ok"}},
    )
    assert talking.call("POST", "/v1/heartbeats", json=beat.model_dump()).status_code in (200, 202)
    window.get("/console/fleet")
    text = window.text()
    assert "2 台" in text
    assert text.index("失联（登记后从未联系）") < text.index("在线")  # the silent first
    assert "0.9.1" in text and "打印机：故障（缺纸）" in text and "读卡器：正常" in text
    assert re.search(r"在线 .*? 3 1 ", text)
    quiet_since = (utc_now() - timedelta(minutes=16)).isoformat(timespec="seconds")  # the setting is 15 minutes
    with hall.storage._write() as db:
        db.execute("UPDATE kiosks SET last_seen = ? WHERE station_id = 'HT01'", [quiet_since])
    window.get("/console/fleet")
    shown_since = datetime.fromisoformat(quiet_since).astimezone(CHINA).strftime("%Y-%m-%d %H:%M")
    assert f"失联，自 {shown_since}" in window.text() and "在线" not in window.text()


def test_a_supervisor_edits_an_item_and_the_kiosks_get_it_with_the_next_catalog_pull(hall, supervisor, window):
    kiosk = enrol(hall)
    before = kiosk.call("GET", "/v1/catalog", params={"since": 0}).json()["version"]
    window.get("/console/catalog/MZ0001")
    assert "保存" not in window.text() and "readonly" in window.last.text
    assert window.post("/console/catalog/MZ0001", {"name": "x"}).status_code == 403
    supervisor.get("/console/catalog/MZ0001")
    item = hall.storage.catalog_item("MZ0001")
    form = {k: str(item[k]) for k in ("name", "place", "hours", "phone")}
    refused = supervisor.post("/console/catalog/MZ0001", {**form, "promised_days": "99", "legal_days": "20"})
    assert refused.status_code == 422 and "promised_days 99 exceeds legal_days 20" in supervisor.text()
    supervisor.post(
        "/console/catalog/MZ0001", {**form, "promised_days": "3", "legal_days": "20", "keywords": "优待证，老年证"}
    )
    assert "已保存" in supervisor.text()
    changes = kiosk.call("GET", "/v1/catalog", params={"since": before}).json()
    [changed] = changes["items"]
    assert (changed["code"], changed["promised_days"], changed["keywords"]) == ("MZ0001", 3, ["优待证", "老年证"])
    assert changes["version"] == before + 1


def test_a_supervisor_adds_next_years_holidays_and_the_kiosks_get_them(hall, supervisor, window):
    kiosk = enrol(hall)
    before = kiosk.call("GET", "/v1/holidays", params={"since": 0}).json()["version"]
    assert window.post("/console/holidays", {"day": "2031-10-01", "kind": "holiday"}).status_code == 403
    supervisor.get("/console/holidays", year=2031)
    assert "这一年还没有节假日安排" in supervisor.text()
    supervisor.post("/console/holidays", {"day": "2031-10-01", "kind": "holiday", "name": "国庆节"})
    supervisor.post("/console/holidays", {"day": "2031-09-28", "kind": "workday", "name": "国庆节调休"})
    assert supervisor.last.url.endswith("/console/holidays?year=2031")
    assert "2031-09-28 日 调休上班 国庆节调休 2031-10-01 三 放假 国庆节" in supervisor.text()
    bad = supervisor.post("/console/holidays", {"day": "2031-02-30", "kind": "holiday"})
    assert bad.status_code == 422 and "不是一个日期" in supervisor.text()
    pulled = kiosk.call("GET", "/v1/holidays", params={"since": before}).json()
    assert {(d["date"], d["kind"]) for d in pulled["days"]} == {("2031-10-01", "holiday"), ("2031-09-28", "workday")}


def test_the_console_is_not_part_of_the_api_contract(hall):
    paths = requests.get(hall.url + "/openapi.json", timeout=10).json()["paths"]
    assert not [path for path in paths if path.startswith("/console")]
