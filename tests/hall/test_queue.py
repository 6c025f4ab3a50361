"""Queue calling at a real hall on loopback: tickets in from kiosks, windows calling by the rule, recall, skip,
hold and resume, the board and who may read it, a kiosk's ticket position, and the staff's command line."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import requests

from kiosk.cli import main
from kiosk.hall.models import content_hash
from kiosk.hall.queue import hall_now
from kiosk.hall.queue_models import TicketIn
from kiosk.hall.storage import Principal
from kiosk.queue_rule import QueueRule

OPEN = datetime(2026, 11, 23, 9, 30)
DAY = OPEN.date().isoformat()


@pytest.fixture
def clock(hall):
    """The hall's queue clock, at 9:45 on the tickets' day until a test moves it."""
    now = {"at": OPEN + timedelta(minutes=15)}
    hall.storage.queue_clock = lambda: now["at"]
    return now


class Caller:
    """Speaks to the hall with one token."""

    def __init__(self, hall, token: str) -> None:
        self.hall, self.headers = hall, {"Authorization": f"Bearer {token}"}

    def __call__(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.hall.url + path, headers=self.headers, timeout=10, **kwargs)

    def push(self, *tickets: dict) -> list[dict]:
        answer = self("POST", "/v1/tickets/batch", json={"items": list(tickets)})
        assert answer.status_code == 200, answer.text
        return answer.json()["results"]

    def call(self, window: str, category: str | None = None, **body) -> dict:
        answer = self("POST", "/v1/staff/queue/call", json={"window": window, "category": category, **body})
        assert answer.status_code == 200, answer.text
        return answer.json()

    def act(self, code: str, action: str, **body) -> requests.Response:
        return self("POST", f"/v1/staff/queue/tickets/{code}/{action}", json=body or None)


def enrol(hall, station: str) -> Caller:
    answer = requests.post(
        hall.url + "/v1/enroll",
        json={"code": hall.storage.new_enrolment_code(), "station_id": station, "name": "大厅取号机"},
        timeout=10,
    )
    return Caller(hall, answer.json()["token"])


@pytest.fixture
def kiosk(hall) -> Caller:
    return enrol(hall, "HT01")


@pytest.fixture
def staff(hall) -> Caller:
    return Caller(hall, hall.storage.new_staff_token())


def ticket(number: int, minutes: float, priority: bool = False, category: str = "A", appointment: str = "") -> dict:
    issued = OPEN + timedelta(minutes=minutes)
    return {
        "day": issued.date().isoformat(),
        "category": category,
        "number": number,
        "priority": priority,
        "issued_at": issued.isoformat(timespec="seconds"),
        "appointment": appointment,
    }


def code(answer: dict | None) -> str | None:
    return answer and answer["code"]


def test_a_ticket_is_filed_once_per_station_day_and_code(hall, kiosk):
    a1, a2 = ticket(1, 0), ticket(2, 1, priority=True, appointment="APT-7")
    assert [(r["id"], r["status"]) for r in kiosk.push(a1, a2)] == [(f"{DAY}/A001", 201), (f"{DAY}/A002", 201)]
    assert [r["status"] for r in kiosk.push(a1, a2)] == [200, 200]  # a resend: nothing filed twice
    changed = kiosk.push(a1 | {"priority": True})
    assert changed[0]["status"] == 422 and "different content" in changed[0]["error"]
    malformed = kiosk.push(ticket(3, 2) | {"issued_at": "2026-11-24T09:00:00"}, {"category": "A"}, ticket(4, 3))
    assert [(r["id"], r["status"]) for r in malformed] == [(f"{DAY}/A003", 422), ("", 422), (f"{DAY}/A004", 201)]
    assert [r["status"] for r in enrol(hall, "HT02").push(a1)] == [201]  # another kiosk's A001 is its own
    assert kiosk("POST", "/v1/tickets/batch", json={"items": []}).status_code == 422


def test_a_window_calls_by_the_rule_and_its_next_call_finishes_the_last(kiosk, staff, clock):
    kiosk.push(ticket(1, 0), ticket(1, 5, category="B"), ticket(2, 10, priority=True))
    first = staff.call("5", "A")
    assert (code(first["ticket"]), first["ticket"]["window"], first["finished"], first["waiting"]) == (
        "A002",  # priority, issued at 9:40: counts as 9:25, before A001's 9:30
        "5",
        None,
        1,
    )
    second = staff.call("5", "A")
    assert (code(second["ticket"]), code(second["finished"]), second["finished"]["status"]) == ("A001", "A002", "done")
    nobody = staff.call("5", "A")
    assert (nobody["ticket"], code(nobody["finished"]), nobody["waiting"]) == (None, "A001", 0)
    assert code(staff.call("6")["ticket"]) == "B001"  # no category: any


def test_after_max_wait_nobody_overtakes(hall, kiosk, staff, clock):
    kiosk.push(ticket(1, 0), ticket(2, 10, priority=True))
    hall.storage.set_queue_rule(QueueRule(priority_head_start=15, max_wait=20))
    clock["at"] = OPEN + timedelta(minutes=19)
    order = [t["code"] for t in staff("GET", "/v1/staff/queue").json()["tickets"]]
    assert order == ["A002", "A001"]
    clock["at"] = OPEN + timedelta(minutes=20)  # A001 has waited 20 minutes
    assert code(staff.call("5")["ticket"]) == "A001"
    assert staff("GET", "/v1/staff/queue").json()["rule"] == {"priority_head_start": 15, "max_wait": 20}


def test_recall_skip_hold_and_resume(kiosk, staff, clock):
    kiosk.push(ticket(1, 0), ticket(2, 1), ticket(3, 2))
    assert code(staff.call("5")["ticket"]) == "A001"
    recalled = staff.act("A001", "recall").json()
    assert (recalled["status"], recalled["window"], recalled["calls"]) == ("called", "5", 2)

    held = staff.act("A001", "hold").json()
    assert held["status"] == "held"
    assert (code(staff.call("5")["ticket"]), staff.call("6")["finished"]) == ("A002", None)  # A001 held: not done
    assert staff.act("A001", "resume").json()["status"] == "waiting"
    assert code(staff.call("6")["ticket"]) == "A001"  # back at its old place: before A003

    assert staff.act("A002", "skip").json()["status"] == "skipped"  # called at 5 and did not come
    assert staff.call("5")["finished"] is None  # nothing at window 5 to finish
    conflicts = [staff.act("A002", "resume"), staff.act("A002", "recall"), staff.act("A001", "resume")]
    assert [r.status_code for r in conflicts] == [409, 409, 409]
    assert "过号" in conflicts[0].json()["detail"]
    assert staff.act("A009", "hold").status_code == 404
    assert staff.act("A001", "hold", station="HT09").status_code == 404
    assert staff.act("a1", "hold").status_code == 422


def test_the_board_shows_windows_the_next_few_and_who_waits_and_counts_changes(hall, kiosk, staff, clock):
    kiosk.push(*[ticket(n, n) for n in range(1, 8)], ticket(1, 3, category="C", appointment="APT-1"))
    board_token = {"Authorization": f"Bearer {hall.storage.new_board_token()}"}

    def board() -> dict:
        answer = requests.get(hall.url + "/v1/queue", headers=board_token, timeout=10)
        assert answer.status_code == 200, answer.text
        return answer.json()

    before = board()
    assert (before["station"], before["day"], before["called"]) == ("HT01", DAY, [])
    assert [t["code"] for t in before["next"]] == ["A001", "A002", "A003", "C001", "A004"]
    assert before["next"][3]["appointment"] is True
    assert before["waiting"] == [{"category": "A", "waiting": 7}, {"category": "C", "waiting": 1}]

    staff.call("5", "A")
    staff.call("3", "C")
    after = board()
    assert [(t["code"], t["window"]) for t in after["called"]] == [("C001", "3"), ("A001", "5")]  # newest first
    assert after["changed"] > before["changed"]
    staff.act("A001", "recall")
    recalled = board()
    assert recalled["changed"] > after["changed"]
    assert [(t["code"], t["calls"]) for t in recalled["called"]] == [("A001", 2), ("C001", 1)]
    assert board()["changed"] == recalled["changed"]  # nothing changed, nothing moves


def test_who_may_read_the_board_and_only_the_board(hall, kiosk, staff, clock):
    board_token = {"Authorization": f"Bearer {hall.storage.new_board_token()}"}
    for headers in (board_token, kiosk.headers, staff.headers):
        assert requests.get(hall.url + "/v1/queue", headers=headers, timeout=10).status_code == 200
    assert requests.get(hall.url + "/v1/queue", timeout=10).status_code == 401
    for path in ("/v1/cases/DEMO01-261123-0001-X", "/v1/staff/queue", "/v1/fleet"):
        assert requests.get(hall.url + path, headers=board_token, timeout=10).status_code == 401
    assert staff("POST", "/v1/tickets/batch", json={"items": [ticket(1, 0)]}).status_code == 403
    assert kiosk("POST", "/v1/staff/queue/call", json={"window": "5"}).status_code == 403


def test_with_several_stations_issuing_the_station_must_be_named(hall, kiosk, staff, clock):
    kiosk.push(ticket(1, 0))
    enrol(hall, "HT02").push(ticket(1, 1), ticket(2, 2))
    refused = staff("POST", "/v1/staff/queue/call", json={"window": "5"})
    assert refused.status_code == 422 and "HT01, HT02" in refused.json()["detail"]
    assert staff("GET", "/v1/queue").status_code == 422
    assert code(staff.call("5", station="HT02")["ticket"]) == "A001"
    assert staff("GET", "/v1/queue", params={"station": "HT02"}).json()["called"][0]["window"] == "5"
    assert staff.act("A001", "recall", station="HT02").json()["calls"] == 2


def test_a_kiosk_asks_where_its_ticket_stands(hall, kiosk, staff, clock):
    kiosk.push(ticket(1, 0), ticket(2, 1), ticket(3, 8, priority=True), ticket(1, 2, category="B"))
    position = kiosk("GET", f"/v1/tickets/{DAY}/A003").json()
    assert (position["status"], position["ahead"], position["window"]) == ("waiting", 0, "")
    assert position["rule"] == {"priority_head_start": 15, "max_wait": 30}
    assert kiosk("GET", f"/v1/tickets/{DAY}/A002").json()["ahead"] == 2  # A001 and the priority A003
    staff.call("4")
    called = kiosk("GET", f"/v1/tickets/{DAY}/A003").json()
    assert (called["status"], called["window"], called["ahead"]) == ("called", "4", None)
    assert kiosk("GET", f"/v1/tickets/{DAY}/A009").status_code == 404
    assert enrol(hall, "HT02")("GET", f"/v1/tickets/{DAY}/A001").status_code == 404  # not its ticket
    assert kiosk("GET", f"/v1/tickets/{DAY}/A1").status_code == 422
    assert kiosk("GET", "/v1/tickets/2026-13-01/A001").status_code == 422


def test_the_staff_command_line(hall, capsys):
    """The commands open the hall's file beside the running server and work on the hall's today."""
    today = hall_now().replace(hour=0, minute=0, second=0, microsecond=0)
    for n in (1, 2, 3):
        issued = today + timedelta(seconds=n)
        made = TicketIn(day=issued.date().isoformat(), category="A", number=n, issued_at=issued.isoformat())
        hall.storage.record_ticket(Principal("kiosk", "k-1", "HT01"), made, content_hash(made))
    db = hall.database_options

    def run(*argv: str) -> tuple[int, str]:
        status = main(["hall", *argv, *db])
        captured = capsys.readouterr()
        return status, captured.out + captured.err

    assert run("call", "5") == (0, "请 A001 到 5 号窗口（还有 2 人等候）\n")
    assert run("call", "5", "A")[1].startswith("A001 已办完\n请 A002 到 5 号窗口")
    assert run("recall", "A002") == (0, "A002：已叫号，5 号窗口\n")
    assert run("hold", "A003") == (0, "A003：暂停\n")
    assert run("call", "6", "A") == (1, "没有人在等候（A 类）\n")
    assert run("resume", "A003") == (0, "A003：等候\n")
    assert run("skip", "A003")[0] == 2  # not called: nothing to skip
    assert run("skip", "A009")[0] == 1
    assert run("skip", "nope")[0] == 2
    status, out = run("queue")
    assert status == 0 and "   5 号窗口  A002  叫过 2 次" in out and "等候 1：A003" in out and "已办完 1" in out
    rule = run("queue-rule", "--head-start", "10", "--max-wait", "40")
    assert rule == (0, "叫号规则：优先号提前 10 分钟；等满 40 分钟后不再被插队\n")
    assert hall.storage.queue_rule() == QueueRule(10, 40)
    assert run("queue-rule", "--max-wait", "9999")[0] == 2
    status, token = run("board-token")
    assert status == 0 and hall.storage.is_board_token(token.strip())
