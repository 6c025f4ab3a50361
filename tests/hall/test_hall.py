"""The reference hall against a real uvicorn server on a loopback port, spoken to with requests, on each back-end."""

from __future__ import annotations

import argparse
import contextlib
import json
import re
import signal
import sqlite3
import subprocess
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime

import psycopg
import pytest
import requests

from kiosk.cli import hall as hall_cli
from kiosk.hall.models import STAGES, HeartbeatIn
from kiosk.hall.runner import HallServer
from kiosk.hall.storage import HallError, Principal
from offline_cache.envelope import HallKeyPair, associated_data, seal

PERSON = {"applicant": {"name": "李建国", "number": "53040219580701013X"}, "values": {"phone": "13800001234"}}


@dataclass
class Kiosk:
    """An enrolled kiosk as a test drives it."""

    hall: HallServer
    kiosk_id: str
    token: str
    public_key: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return requests.request(method, self.hall.url + path, headers=self.headers, timeout=10, **kwargs)

    def submission(self, serial: str, payload: object = PERSON, **changes) -> dict:
        id_ = changes.pop("id", None) or str(uuid.uuid4())
        plaintext = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
        body = {
            "id": id_,
            "serial": serial,
            "item_code": "MZ0001",
            "created_at": "2026-11-23T10:00:00",
            "schema_version": 1,
            "envelope": seal(plaintext, self.public_key, associated_data(id_, 1)),
        }
        return body | changes

    def put(self, body: dict) -> requests.Response:
        return self.call("PUT", f"/v1/submissions/{body['id']}", json=body)


def enrol(hall: HallServer, station: str = "DEMO01", code: str | None = None) -> Kiosk:
    code = code or hall.storage.new_enrolment_code()
    answer = requests.post(
        hall.url + "/v1/enroll", json={"code": code, "station_id": station, "name": "幸福村代办点"}, timeout=10
    )
    assert answer.status_code == 201, answer.text
    data = answer.json()
    return Kiosk(hall, data["kiosk_id"], data["token"], data["hall_public_key"])


def rows(hall: HallServer, sql: str) -> list[tuple]:
    """Look into the hall's database, as its operator could."""
    database = hall.database_options[1]
    if database.startswith("postgresql://"):
        with psycopg.connect(database) as db:
            return db.execute(sql).fetchall()
    with contextlib.closing(sqlite3.connect(database)) as db:
        return db.execute(sql).fetchall()


@pytest.fixture
def kiosk(hall) -> Kiosk:
    return enrol(hall)


@pytest.fixture
def staff(hall) -> dict[str, str]:
    return {"Authorization": f"Bearer {hall.storage.new_staff_token()}"}


def test_health_says_it_is_the_hall(hall):
    answer = requests.get(hall.url + "/v1/health", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    data = answer.json()
    assert (data["service"], data["status"], data["api"]) == ("kiosk-hall", "ok", 1)
    assert datetime.fromisoformat(data["time"]).utcoffset().total_seconds() == 0


def test_an_enrolment_code_is_spent_once_and_accepted_in_any_spelling(hall):
    code = hall.storage.new_enrolment_code()
    assert re.fullmatch(r"[2-9A-HJKMNP-Z]{4}-[2-9A-HJKMNP-Z]{4}", code)
    kiosk = enrol(hall, code=code.replace("-", "").lower())
    assert kiosk.public_key == hall.storage.hall_keys.public_text
    again = requests.post(hall.url + "/v1/enroll", json={"code": code, "station_id": "OTHER1", "name": "x"}, timeout=10)
    assert again.status_code == 403
    assert again.json() == {"detail": "enrolment code unknown or already used"}
    unknown = requests.post(
        hall.url + "/v1/enroll", json={"code": "2222-2222", "station_id": "OTHER1", "name": "x"}, timeout=10
    )
    assert unknown.status_code == 403
    bad_station = requests.post(
        hall.url + "/v1/enroll",
        json={"code": hall.storage.new_enrolment_code(), "station_id": "demo-01", "name": "x"},
        timeout=10,
    )
    assert bad_station.status_code == 422


def test_enrolling_a_station_again_revokes_its_old_token(hall, staff):
    old = enrol(hall, "HT01")
    new = enrol(hall, "HT01")
    assert new.kiosk_id != old.kiosk_id
    assert old.call("GET", "/v1/cases").status_code == 401
    assert new.call("GET", "/v1/cases").status_code == 200
    fleet = requests.get(hall.url + "/v1/fleet", headers=staff, timeout=10).json()["kiosks"]
    assert [k["kiosk_id"] for k in fleet] == [new.kiosk_id]


def test_tokens_are_checked_and_roles_kept_apart(hall, kiosk, staff):
    assert requests.get(hall.url + "/v1/cases", timeout=10).status_code == 401
    bad = requests.get(hall.url + "/v1/cases", headers={"Authorization": "Bearer nonsense"}, timeout=10)
    assert bad.status_code == 401 and bad.json()["detail"]
    assert requests.get(hall.url + "/v1/cases", headers={"Authorization": "Basic abc"}, timeout=10).status_code == 401
    assert kiosk.call("GET", "/v1/fleet").status_code == 403
    assert kiosk.call("POST", "/v1/staff/cases/X/advance").status_code == 403
    assert kiosk.call("DELETE", "/v1/staff/catalog/items/MZ0001").status_code == 403
    beat = {"at": "2026-11-23T10:00:00+00:00", "version": "1", "pending": 0, "devices": {}}
    assert requests.post(hall.url + "/v1/heartbeats", json=beat, headers=staff, timeout=10).status_code == 403
    stored = rows(hall, "SELECT token_hash FROM tokens")
    assert kiosk.token not in {row[0] for row in stored}  # only hashes are kept


def test_a_submission_is_answered_once_and_the_answer_replayed(hall, kiosk):
    body = kiosk.submission("DEMO01-261123-0001-X")
    first = kiosk.put(body)
    assert first.status_code == 201
    answer = first.json()
    assert re.fullmatch(r"SL\d{4}\d{6}", answer["case_number"])
    assert (answer["id"], answer["serial"], answer["stage"]) == (body["id"], body["serial"], "申请")
    again = kiosk.put(body)
    assert again.status_code == 200 and again.json() == answer
    [(payload, sender)] = rows(hall, "SELECT payload, kiosk_id FROM submissions")
    assert json.loads(payload) == PERSON and sender == kiosk.kiosk_id

    other = kiosk.put(body | {"item_code": "MZ0002"})
    assert other.status_code == 422
    assert other.json() == {"detail": "submission id already used with different content"}
    assert kiosk.put(kiosk.submission("DEMO01-261123-0001-X")).status_code == 422  # serial taken by another id


def test_submissions_that_do_not_open_or_do_not_match_are_refused(kiosk):
    foreign = kiosk.submission("DEMO01-261123-0002-X")
    foreign["envelope"] = seal(b"{}", HallKeyPair.generate().public_text, associated_data(foreign["id"], 1))
    tampered = kiosk.submission("DEMO01-261123-0003-X")
    tampered["envelope"]["ciphertext"] = tampered["envelope"]["ciphertext"][::-1]
    moved = kiosk.submission("DEMO01-261123-0004-X")
    moved["schema_version"] = 2  # the envelope is bound to its id and schema version
    not_an_object = kiosk.submission("DEMO01-261123-0005-X", payload=b"[1, 2]")
    not_json = kiosk.submission("DEMO01-261123-0006-X", payload=b"\xff\xfe")
    for body in (foreign, tampered, moved, not_an_object, not_json):
        answer = kiosk.put(body)
        assert answer.status_code == 422, body["serial"]
        assert isinstance(answer.json()["detail"], str)
    body = kiosk.submission("DEMO01-261123-0007-X")
    mismatch = kiosk.call("PUT", f"/v1/submissions/{uuid.uuid4()}", json=body)
    assert mismatch.status_code == 422
    assert kiosk.hall.storage.cases() == []


def test_a_batch_answers_item_by_item_and_a_bad_item_blocks_nothing(hall, kiosk):
    good = kiosk.submission("DEMO01-261123-0001-X")
    later = kiosk.submission("DEMO01-261123-0002-X")
    no_envelope = {k: v for k, v in kiosk.submission("DEMO01-261123-0003-X").items() if k != "envelope"}
    wrong_types = kiosk.submission("DEMO01-261123-0004-X") | {"schema_version": "one", "serial": 7}
    undecryptable = kiosk.submission("DEMO01-261123-0005-X")
    undecryptable["envelope"]["nonce"] = "AAAA"
    items = [good, good, no_envelope, wrong_types, undecryptable, later]
    answer = kiosk.call("POST", "/v1/submissions/batch", json={"items": items})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["id"] for r in results] == [item["id"] for item in items]
    assert [r["status"] for r in results] == [201, 200, 422, 422, 422, 201]
    assert results[0]["answer"] == results[1]["answer"] and results[0]["error"] is None
    assert "envelope" in results[2]["error"] and results[2]["answer"] is None
    assert "schema_version" in results[3]["error"]
    assert sorted(c["serial"] for c in hall.storage.cases()) == [good["serial"], later["serial"]]
    assert kiosk.call("POST", "/v1/submissions/batch", json={"items": []}).status_code == 422
    assert kiosk.call("POST", "/v1/submissions/batch", json={"items": [good] * 501}).status_code == 422


def test_a_batch_is_answered_as_its_items_one_by_one_would_be_and_a_resend_spends_no_case_number(hall, kiosk):
    held = kiosk.submission("DEMO01-261123-0001-X")
    assert kiosk.put(held).status_code == 201
    new = [kiosk.submission(f"DEMO01-261123-{n:04d}-X") for n in range(2, 6)]
    changed = new[0] | {"item_code": "MZ0002"}  # the id of an earlier item in the batch, with other content
    serial_again = kiosk.submission(new[1]["serial"])  # another id under an earlier item's serial
    held_serial = kiosk.submission(held["serial"])  # another id under a serial the hall holds
    items = [new[0], held, changed, new[1], serial_again, held_serial, new[0], new[2], new[3], new[2]]
    results = kiosk.call("POST", "/v1/submissions/batch", json={"items": items}).json()["results"]
    assert [r["status"] for r in results] == [201, 200, 422, 201, 422, 422, 200, 201, 201, 200]
    assert results[2]["error"] == "submission id already used with different content"
    assert "already used by another submission" in results[4]["error"] and results[5]["error"] == results[4][
        "error"
    ].replace(new[1]["serial"], held["serial"])
    assert results[6]["answer"] == results[0]["answer"] and results[9]["answer"] == results[7]["answer"]
    again = kiosk.call("POST", "/v1/submissions/batch", json={"items": items}).json()["results"]
    assert [r["status"] for r in again] == [200, 200, 422, 200, 422, 422, 200, 200, 200, 200]
    assert [r["answer"] for r in again if r["answer"]] == [r["answer"] for r in results if r["answer"]]
    numbers = sorted(int(case["case_number"][-6:]) for case in hall.storage.cases())
    assert numbers == list(range(numbers[0], numbers[0] + 5))  # five cases, numbered without a gap


def test_concurrent_pushes_of_one_submission_make_one_case(hall, kiosk):
    body = kiosk.submission("DEMO01-261123-0001-X")
    start = threading.Barrier(8)
    answers: list[requests.Response] = []

    def push() -> None:
        start.wait()
        answers.append(kiosk.put(body))

    threads = [threading.Thread(target=push) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.text for a in answers}) == 1
    assert len(hall.storage.cases()) == 1


def test_lookup_shows_a_kiosk_only_what_its_station_sent(kiosk, hall):
    neighbour = enrol(hall, "CUN02")
    mine = kiosk.submission("DEMO01-261123-0001-X")
    theirs = neighbour.submission("CUN02-261123-0001-X")
    answer = kiosk.put(mine).json()
    neighbour.put(theirs)
    held = kiosk.call("POST", "/v1/submissions/lookup", json={"ids": [mine["id"], theirs["id"], "unknown"]})
    assert held.status_code == 200 and held.json() == {"held": {mine["id"]: answer}}
    assert kiosk.call("POST", "/v1/submissions/lookup", json={"ids": ["x"] * 1001}).status_code == 422


def test_case_changes_come_in_order_after_a_cursor(hall, kiosk, staff):
    neighbour = enrol(hall, "CUN02")
    neighbour.put(neighbour.submission("CUN02-261123-0001-X"))
    serials = [f"DEMO01-261123-000{n}-X" for n in (1, 2, 3)]
    for serial in serials:
        kiosk.put(kiosk.submission(serial))
    page = kiosk.call("GET", "/v1/cases", params={"since": 0}).json()
    assert [c["serial"] for c in page["cases"]] == serials
    cursor = page["cursor"]
    assert kiosk.call("GET", "/v1/cases", params={"since": cursor}).json() == {"cursor": cursor, "cases": []}
    requests.post(hall.url + f"/v1/staff/cases/{serials[0]}/advance", headers=staff, timeout=10)
    page = kiosk.call("GET", "/v1/cases", params={"since": cursor}).json()
    assert [(c["serial"], c["stage"]) for c in page["cases"]] == [(serials[0], "受理")]
    assert page["cursor"] > cursor
    assert kiosk.call("GET", "/v1/cases", params={"since": -1}).status_code == 422
    assert kiosk.call("GET", "/v1/cases", params={"since": 10**30}).status_code == 422


def test_staff_advance_a_case_through_its_five_stages(hall, kiosk, staff):
    serial = "DEMO01-261123-0001-X"
    kiosk.put(kiosk.submission(serial))
    url = hall.url + f"/v1/staff/cases/{serial}/advance"
    for stage in STAGES[1:]:
        answer = requests.post(url, json={"note": f"到{stage}"}, headers=staff, timeout=10)
        assert answer.status_code == 200 and answer.json()["stage"] == stage
    finished = requests.post(url, headers=staff, timeout=10)
    assert finished.status_code == 409 and "发证" in finished.json()["detail"]
    unknown = requests.post(hall.url + "/v1/staff/cases/NOPE/advance", headers=staff, timeout=10)
    assert unknown.status_code == 404

    case = kiosk.call("GET", f"/v1/cases/{serial}").json()
    assert requests.get(hall.url + f"/v1/cases/{serial}", headers=staff, timeout=10).json() == case
    assert (case["stage"], case["stage_index"], case["item_name"]) == ("发证", 4, "老年人优待证办理")
    assert (case["kiosk_id"], case["station_id"]) == (kiosk.kiosk_id, "DEMO01")
    assert [h["stage"] for h in case["history"]] == list(STAGES)
    assert [h["note"] for h in case["history"]] == ["", "到受理", "到审核", "到审批", "到发证"]
    assert kiosk.call("GET", "/v1/cases/DEMO01-000000-0000-X").status_code == 404


def test_evaluations_are_idempotent_per_submission(kiosk):
    first = {"submission_id": str(uuid.uuid4()), "level": 5, "created_at": "2026-11-23T10:05:00"}
    other = {"submission_id": str(uuid.uuid4()), "level": 2, "created_at": "2026-11-23T10:06:00"}
    items = [first, first, first | {"level": 1}, {"submission_id": "x", "level": 9}, other]
    results = kiosk.call("POST", "/v1/evaluations/batch", json={"items": items}).json()["results"]
    assert [r["status"] for r in results] == [201, 200, 422, 422, 201]
    assert [r["id"] for r in results] == [i["submission_id"] for i in items]
    again = kiosk.call("POST", "/v1/evaluations/batch", json={"items": [first, other]}).json()["results"]
    assert [r["status"] for r in again] == [200, 200]


def test_heartbeats_reach_the_fleet_view(hall, kiosk, staff):
    beat = {
        "at": "2026-11-23T02:00:00+00:00",
        "version": "1",
        "pending": 3,
        "oldest_pending_age_s": 12.5,
        "devices": {"printer": {"state": "ok", "detail": "sim"}, "reader": {"state": "fault", "detail": "无应答"}},
    }
    answer = kiosk.call("POST", "/v1/heartbeats", json=beat)
    assert answer.status_code == 202 and answer.json() == {"ok": True}
    [seen] = requests.get(hall.url + "/v1/fleet", headers=staff, timeout=10).json()["kiosks"]
    assert (seen["kiosk_id"], seen["station_id"], seen["name"]) == (kiosk.kiosk_id, "DEMO01", "幸福村代办点")
    assert seen["last_seen"] is not None and seen["enrolled_at"]
    assert seen["heartbeat"]["devices"]["reader"] == {"state": "fault", "detail": "无应答"}
    assert seen["heartbeat"]["pending"] == 3
    assert kiosk.call("POST", "/v1/heartbeats", json=beat | {"pending": -1}).status_code == 422
    nan = json.dumps(beat).replace("12.5", "NaN")
    assert kiosk.call("POST", "/v1/heartbeats", data=nan).status_code == 422

    sender = Principal("kiosk", kiosk.kiosk_id, "DEMO01")
    for n in range(105):
        hall.storage.record_heartbeat(sender, HeartbeatIn(at="2026-11-23T02:00:00+00:00", version="1", pending=n))
    assert rows(hall, "SELECT COUNT(*) FROM heartbeats") == [(100,)]
    assert hall.storage.fleet()[0]["heartbeat"]["pending"] == 104


def test_the_catalog_is_pulled_by_version(hall, kiosk, staff):
    full = kiosk.call("GET", "/v1/catalog", params={"since": 0}).json()
    assert full["version"] == 1 and full["removed"] == []
    assert "MZ0001" in {item["code"] for item in full["items"]}
    assert kiosk.call("GET", "/v1/catalog", params={"since": 1}).json() == {"version": 1, "items": [], "removed": []}

    item = hall.storage.catalog_item("MZ0001") | {"name": "老年人优待证办理（新版）"}
    url = hall.url + "/v1/staff/catalog/items/MZ0001"
    assert requests.put(url, json=item, headers=staff, timeout=10).json() == {"version": 2}
    changed = kiosk.call("GET", "/v1/catalog", params={"since": 1}).json()
    assert changed["version"] == 2 and [i["name"] for i in changed["items"]] == ["老年人优待证办理（新版）"]
    wrong_code = requests.put(hall.url + "/v1/staff/catalog/items/MZ0002", json=item, headers=staff, timeout=10)
    assert wrong_code.status_code == 422
    invalid = requests.put(url, json=item | {"promised_days": 99}, headers=staff, timeout=10)
    assert invalid.status_code == 422

    kiosk.put(kiosk.submission("DEMO01-261123-0001-X"))
    assert requests.delete(url, headers=staff, timeout=10).json() == {"version": 3}
    assert kiosk.call("GET", "/v1/catalog", params={"since": 2}).json() == {
        "version": 3,
        "items": [],
        "removed": ["MZ0001"],
    }
    assert kiosk.call("GET", "/v1/cases/DEMO01-261123-0001-X").json()["item_name"] == ""
    assert requests.delete(url, headers=staff, timeout=10).status_code == 404


def test_malformed_requests_get_json_errors_never_a_server_error(hall, kiosk):
    enroll = hall.url + "/v1/enroll"
    not_json = requests.post(enroll, data=b"{not json", headers={"Content-Type": "application/json"}, timeout=10)
    assert not_json.status_code == 422 and "detail" in not_json.json()
    surrogate = b'{"code": "X", "station_id": "A1", "name": "\\ud800"}'
    answer = requests.post(enroll, data=surrogate, headers={"Content-Type": "application/json"}, timeout=10)
    assert answer.status_code == 422
    assert requests.get(hall.url + "/v1/nowhere", timeout=10).json() == {"detail": "Not Found"}
    batch = kiosk.call("POST", "/v1/submissions/batch", json={"items": [{"id": {"x": 1}}]})
    assert batch.json()["results"][0]["status"] == 422


def test_the_hall_stops_and_starts_again_on_the_same_port(hall, kiosk, tmp_path):
    body = kiosk.submission("DEMO01-261123-0001-X")
    answer = kiosk.put(body).json()
    port = hall.port
    hall.stop()
    assert not hall.running
    with pytest.raises(requests.ConnectionError):
        requests.get(hall.url + "/v1/health", timeout=2)
    hall.start()
    assert hall.port == port and hall.url == f"http://127.0.0.1:{port}"
    assert kiosk.put(body).json() == answer  # same data, same answer
    rival = HallServer(tmp_path / "rival.db", port=port)
    with pytest.raises(HallError, match="cannot listen"):
        rival.start()
    rival.storage.close()


# The command line


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="kiosk")
    hall_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_cli_codes_and_tokens(tmp_path, capsys):
    db = str(tmp_path / "new" / "hall.db")
    assert run(["hall", "enroll-code", "--db", db]) == 0
    code = capsys.readouterr().out.strip()
    assert re.fullmatch(r"[2-9A-Z]{4}-[2-9A-Z]{4}", code)
    assert run(["hall", "staff-token", "--db", db]) == 0
    token = capsys.readouterr().out.strip()
    assert len(token) >= 40
    with pytest.raises(SystemExit):
        run(["hall", "cases"])  # --db is required


def test_cli_cases_advance_and_fleet(hall, kiosk, capsys):
    serial = "DEMO01-261123-0001-X"
    body = kiosk.submission(serial)
    kiosk.put(body)
    db = hall.database_options  # the CLI opens the database beside the running hall
    assert run(["hall", "cases", *db, "--json"]) == 0
    [case] = json.loads(capsys.readouterr().out)
    assert {"serial", "item", "stage", "kiosk", "case_number", "received_at", "submission_id"} <= set(case)
    assert (case["serial"], case["item"], case["stage"], case["kiosk"]) == (serial, "MZ0001", "申请", "DEMO01")
    assert case["submission_id"] == body["id"]
    assert run(["hall", "cases", *db]) == 0
    assert serial in capsys.readouterr().out

    assert run(["hall", "advance", serial, *db, "--note", "窗口已受理"]) == 0
    assert "受理" in capsys.readouterr().out
    assert kiosk.call("GET", f"/v1/cases/{serial}").json()["history"][-1]["note"] == "窗口已受理"
    for _ in STAGES[2:]:
        assert run(["hall", "advance", serial, *db]) == 0
    assert run(["hall", "advance", serial, *db]) == 2
    assert run(["hall", "advance", "NOPE", *db]) == 1
    capsys.readouterr()

    kiosk.call("POST", "/v1/heartbeats", json={"at": "2026-11-23T02:00:00Z", "version": "1", "pending": 0})
    assert run(["hall", "fleet", *db, "--json"]) == 0
    [seen] = json.loads(capsys.readouterr().out)
    assert seen["station_id"] == "DEMO01" and seen["heartbeat"]["pending"] == 0
    assert run(["hall", "fleet", *db]) == 0
    assert "DEMO01" in capsys.readouterr().out


def test_cli_serve_refuses_a_port_in_use(hall, tmp_path, capsys):
    assert run(["hall", "serve", "--db", str(tmp_path / "other.db"), "--port", str(hall.port)]) == 2
    assert str(hall.port) in capsys.readouterr().err


SERVE = """
import argparse, sys
from kiosk.cli import hall as cli
parser = argparse.ArgumentParser()
cli.register(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.handler(args))
"""


def test_cli_serve_listens_until_interrupted(tmp_path):
    argv = [sys.executable, "-c", SERVE, "hall", "serve", "--db", str(tmp_path / "hall.db"), "--port", "0"]
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+", line).group(0)
        assert requests.get(url + "/v1/health", timeout=10).json()["service"] == "kiosk-hall"
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
