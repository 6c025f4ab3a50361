"""What the hall does for residents beyond the case, over its real API on loopback: materials on file by reuse
class, payment orders and the payment page, materials by post, appointments and their signed codes."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
import requests

from kiosk import appointments
from kiosk.appointments import AppointmentRefused
from kiosk.cli import main
from tests.hall.test_hall import Kiosk, enrol

WANG = "530402194103150025"


@pytest.fixture
def kiosk(hall) -> Kiosk:
    return enrol(hall)


@pytest.fixture
def staff(hall) -> dict[str, str]:
    return {"Authorization": f"Bearer {hall.storage.new_staff_token()}"}


def send(kiosk: Kiosk, serial: str, item: str, payload: dict) -> dict:
    body = kiosk.submission(serial, payload, item_code=item)
    answer = kiosk.put(body)
    assert answer.status_code == 201, answer.text
    return body


def on_file(kiosk: Kiosk, number: str, item: str) -> list[dict]:
    answer = kiosk.call("POST", "/v1/materials/on-file", json={"number": number, "item_code": item})
    assert answer.status_code == 200, answer.text
    return answer.json()["materials"]


def test_materials_handed_in_are_on_file_by_reuse_class_and_never_the_form(kiosk):
    # MZ0005 (结婚登记): 户口簿 unconditional, 合影照片 within validity, 离婚证 at choice, 申请书 never
    item = kiosk.hall.storage.catalog_item("MZ0005")
    names = [m["name"] for m in item["materials"]]
    payload = {"applicant": {"number": WANG}, "materials": names, "values": {}}
    body = send(kiosk, "DEMO01-261123-0001-1", "MZ0005", payload)
    assert kiosk.put(body).status_code == 200  # a resend files nothing twice
    found = on_file(kiosk, WANG, "MZ0005")
    by_name = {f["material"]: f for f in found}
    classes = {m["name"]: m["reuse"] for m in item["materials"]}
    assert set(by_name) == {name for name, reuse in classes.items() if reuse != "never"}
    for name, record in by_name.items():
        assert record["reuse"] == classes[name]
        assert (record["valid_until"] is not None) == (classes[name] == "within_validity")
    assert on_file(kiosk, "360426199101010071", "MZ0005") == []  # nobody else's


def test_a_material_past_its_validity_is_not_offered(kiosk):
    storage = kiosk.hall.storage
    assert on_file(kiosk, WANG, "MZ0001") == []  # asked before anything was filed at this hall
    item = storage.catalog_item("MZ0001")
    photo = next(m["name"] for m in item["materials"] if m["reuse"] == "within_validity")
    send(kiosk, "DEMO01-261123-0002-1", "MZ0001", {"applicant": {"number": WANG}, "materials": [photo]})
    assert [f["material"] for f in on_file(kiosk, WANG, "MZ0001")] == [photo]
    assert storage.materials_on_file(WANG, [photo], date(2099, 1, 1)) == []


def test_a_fee_opens_a_payment_order_the_page_pays_and_the_case_shows(kiosk, staff):
    body = send(kiosk, "DEMO01-261123-0003-1", "GA0002", {"applicant": {"number": WANG}, "materials": []})
    order = kiosk.call("GET", f"/v1/payments/{body['id']}").json()
    assert order["cents"] == 2000 and order["state"] == "pending"
    assert kiosk.call("GET", "/v1/cases/DEMO01-261123-0003-1").json()["payment_state"] == "pending"
    page = requests.get(f"{kiosk.hall.url}/pay/{body['id']}", timeout=10)
    assert "20.00 元" in page.text and "待缴费" in page.text
    paid = requests.post(f"{kiosk.hall.url}/pay/{body['id']}", timeout=10)
    assert "已缴费" in paid.text
    case = kiosk.call("GET", "/v1/cases/DEMO01-261123-0003-1").json()
    assert case["payment_state"] == "paid" and case["history"][-1]["note"] == "已缴费"
    free = send(kiosk, "DEMO01-261123-0004-1", "MZ0001", {"applicant": {"number": WANG}, "materials": []})
    assert kiosk.call("GET", f"/v1/payments/{free['id']}").status_code == 404


def test_posted_materials_wait_until_staff_receive_them(kiosk, staff):
    send(kiosk, "DEMO01-261123-0005-1", "YB0003", {"applicant": {"number": WANG}, "materials_by_post": ["病历"]})
    assert kiosk.call("GET", "/v1/cases/DEMO01-261123-0005-1").json()["materials_state"] == "awaiting"
    url = f"{kiosk.hall.url}/v1/staff/cases/DEMO01-261123-0005-1/materials-received"
    assert requests.post(url, headers=staff, timeout=10).json()["materials_state"] == "received"
    missing = requests.post(f"{kiosk.hall.url}/v1/staff/cases/DEMO01-261123-0004-9/materials-received", headers=staff)
    assert missing.status_code == 404


def test_an_appointment_code_is_signed_by_the_hall_and_checks_in_once(kiosk, staff, hall):
    answer = requests.post(
        f"{hall.url}/v1/staff/appointments",
        json={"item_code": "MZ0001", "day": "2026-11-23", "start": "09:00", "end": "10:00", "holder": "王秀英"},
        headers=staff,
        timeout=10,
    )
    assert answer.status_code == 201, answer.text
    issued = answer.json()
    assert issued["holder"] == "王**" and "王秀英" not in issued["code"]
    key = requests.post(
        f"{hall.url}/v1/enroll",
        json={"code": hall.storage.new_enrolment_code(), "station_id": "OTHER1", "name": "x"},
        timeout=10,
    ).json()["hall_signing_key"]
    found = appointments.verify(issued["code"], key, datetime(2026, 11, 23, 9, 40))
    assert (found.item_code, found.start, found.end) == ("MZ0001", time(9), time(10))
    checkin = {"appointment_id": issued["id"], "at": "2026-11-23T09:40:00"}
    first = kiosk.call("POST", "/v1/appointments/checkins", json={"items": [checkin]}).json()["results"]
    again = kiosk.call("POST", "/v1/appointments/checkins", json={"items": [checkin]}).json()["results"]
    unknown = {"appointment_id": "nope", "at": "2026-11-23T09:40:00"}
    stray = kiosk.call("POST", "/v1/appointments/checkins", json={"items": [unknown]}).json()["results"]
    assert [first[0]["status"], again[0]["status"], stray[0]["status"]] == [201, 200, 404]
    (listed,) = hall.storage.appointments(date(2026, 11, 23))
    assert listed["checked_in_at"] == "2026-11-23T09:40:00"


def test_a_code_signed_by_another_key_or_altered_is_refused():
    private, public = appointments.new_signing_key()
    other, _ = appointments.new_signing_key()
    slot = appointments.Appointment("a1", "MZ0001", date(2026, 11, 23), time(9), time(10), "王**")
    at = datetime(2026, 11, 23, 9, 30)
    forged = appointments.sign(slot, other)
    prefix, payload, signature = appointments.sign(slot, private).split(".")
    altered = ".".join([prefix, payload[:-4] + ("AAAA" if not payload.endswith("AAAA") else "BBBB"), signature])
    for code in (forged, altered, "APPT1.garbage", "APPT1..", "hello"):
        with pytest.raises(AppointmentRefused, match="无法核验"):
            appointments.verify(code, public, at)


def test_staff_book_from_the_command_line(hall, capsys):
    hall.stop()
    db = hall.database_options
    code = main(["hall", "appointment", "MZ0001", "2026-11-23", "09:00-10:00", "--holder", "王秀英", *db])
    printed = capsys.readouterr().out
    assert code == 0 and "王**" in printed and printed.strip().splitlines()[-1].startswith("APPT1.")
    assert main(["hall", "appointment", "MZ0001", "2026-11-23", "9-10", *db]) == 2
