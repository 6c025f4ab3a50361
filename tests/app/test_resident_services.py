"""What the seeds promise a resident, at the kiosk against a real hall on loopback: materials already on file are
not asked for again, a fee is shown and paid by QR, a mailed result shows its address, materials go by post with
a slip, and an appointment checks in by its signed code — or is told why not."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from datetime import date, datetime

import pytest
import requests
from textual.widgets import Checkbox

from devices.samples import LI_JIANGUO, WANG_XIUYING, ZHAO_XIAOYU
from kiosk import appointments
from kiosk.app import make_app
from kiosk.application import Applicant, Application
from screens.done import DoneScreen
from screens.progress import ProgressScreen
from screens.queue import QueueScreen
from screens.review import ReviewScreen
from tests.app.walk import SIZE, answer, open_form, screen_text, settle, tap
from tests.conftest import FakeClock, wait_until


def filed(services, card, code: str, materials: list[str] | None = None, **choices):
    application = Application(services.catalog[code], Applicant.from_card(card))
    application.materials = set(materials if materials is not None else (m.name for m in application.item.materials))
    for key, value in choices.items():
        setattr(application, key, value)
    return services.submit(application)


def hall_payload(hall, submission_id: str) -> dict:
    with contextlib.closing(sqlite3.connect(hall.storage.path)) as db:
        (text,) = db.execute("SELECT payload FROM submissions WHERE id = ?", [submission_id]).fetchone()
    return json.loads(text)


def printed_text(services) -> list[str]:
    return [job.data.decode("gb18030", errors="replace") for job in services.devices.printer_simulator.jobs]


async def _form(pilot, item) -> None:
    await open_form(pilot, item)
    for spec in item.form:
        await answer(pilot, spec)


async def test_materials_on_file_are_marked_by_class_and_the_reuse_goes_with_the_submission(online_services, hall):
    services = online_services
    item = services.catalog["GJ0002"]  # an ID card, a lease (within validity), a bank card (at choice), the form
    filed(services, WANG_XIUYING, "GJ0002")  # the walk identifies with her card
    services.sync.sync_once()
    app = make_app(services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await _form(pilot, item)
        await wait_until(pilot, lambda: "已标出" in screen_text(app))
        boxes = {box.name: box for box in app.screen.query(".material").results(Checkbox)}
        card, lease, bank, form = (boxes[m.name] for m in item.materials)
        assert card.disabled and card.value and "已存档，无需再交" in str(card.label)
        assert lease.disabled and "有效期至" in str(lease.label)
        assert not bank.disabled and not bank.value and "勾选即复用存档" in str(bank.label)
        assert not form.disabled and "已存档" not in str(form.label)  # a per-application form, every time
        await tap(pilot, bank)
        await tap(pilot, form)
        await tap(pilot, "#next")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen) and "已存档复用" in screen_text(app)
        await tap(pilot, "#confirm")
        await settle(pilot)
        saved = app.visit.saved
    assert services.sync.sync_once().pending == 0
    payload = hall_payload(hall, saved.id)  # what the hall received: the kiosk erased its sealed copy
    assert payload["reused_materials"] == sorted([card.name, lease.name, bank.name])
    assert payload["materials"] == [form.name] and payload["missing_materials"] == []
    assert any("已存档复用" in text for text in printed_text(services))


async def test_offline_the_screen_says_reuse_is_unavailable_and_assumes_nothing(services, clock):
    app = make_app(services, demo=True, clock=clock)  # enrolled with a hall that never answers
    async with app.run_test(size=SIZE) as pilot:
        await _form(pilot, services.catalog["GJ0002"])
        await wait_until(pilot, lambda: "查不到已存档的材料" in screen_text(app))
        assert not any(box.disabled or box.value for box in app.screen.query(".material").results(Checkbox))


async def test_a_fee_is_shown_paid_by_its_qr_and_the_state_comes_back(online_services, hall):
    services = online_services
    item = services.catalog["GA0002"]
    app = make_app(services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await _form(pilot, item)
        for box in app.screen.query(".material").results(Checkbox):
            await tap(pilot, box)
        await tap(pilot, "#next")
        await settle(pilot)
        assert "收费：工本费20元/证" in screen_text(app)
        await tap(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        saved = app.visit.saved
        assert app.screen.query_one("#pay-qr").data == f"{hall.url}/pay/{saved.id}"
        assert "待缴费" in screen_text(app)
        await wait_until(pilot, lambda: services.find(saved.serial).state == "acknowledged")
        assert "已缴费" in requests.post(f"{hall.url}/pay/{saved.id}", timeout=10).text
        services.sync.sync_once()
        await app.push_screen(ProgressScreen(serial=saved.serial))
        await wait_until(pilot, lambda: "已缴费" in screen_text(app))
    (receipt,) = printed_text(services)
    assert "收费：工本费20元/证" in receipt and "扫码缴费" in receipt


async def test_a_free_item_says_so(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await _form(pilot, services.catalog["MZ0001"])
        await tap(pilot, "#next")
        await settle(pilot)
        assert "收费：不收费" in screen_text(app)


async def test_a_mailed_result_shows_its_address_and_the_receipt_keeps_it_masked(app, services):
    item = services.catalog["RS0004"]
    async with app.run_test(size=SIZE) as pilot:
        await _form(pilot, item)
        for box in app.screen.query(".material").results(Checkbox):
            if box.display:  # a lost card is not handed back
                await tap(pilot, box)
        await tap(pilot, app.screen.query_one("#delivery").query("RadioButton")[1])
        await tap(pilot, "#next")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen), screen_text(app)
        assert WANG_XIUYING.address in screen_text(app)  # the resident checks where it goes
        await tap(pilot, "#confirm")
        await settle(pilot)
    (receipt,) = printed_text(services)
    assert "邮寄到：云南省玉溪市红塔区****12号" in receipt and WANG_XIUYING.address not in receipt


async def test_materials_by_post_print_a_slip_and_wait_until_the_hall_has_them(online_services, hall):
    services = online_services
    item = services.catalog["YB0003"]
    app = make_app(services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await _form(pilot, item)
        await tap(pilot, app.screen.query_one("#post-materials").query("RadioButton")[1])
        await tap(pilot, "#next")
        await settle(pilot)
        assert "邮寄材料" in screen_text(app) and not app.screen.query("#missing")
        await tap(pilot, "#confirm")
        await settle(pilot)
        saved = app.visit.saved
        await wait_until(pilot, lambda: len(services.devices.printer_simulator.jobs) == 2)
        await wait_until(pilot, lambda: services.find(saved.serial).state == "acknowledged")
        services.sync.sync_once()
        await app.push_screen(ProgressScreen(serial=saved.serial))
        await wait_until(pilot, lambda: "邮寄材料：寄送中" in screen_text(app))
        hall.storage.materials_received(saved.serial)
        services.sync.sync_once()
        await tap(pilot, "#lookup")
        await wait_until(pilot, lambda: "邮寄材料：已收到" in screen_text(app))
    _receipt, slip = printed_text(services)
    assert "材 料 邮 寄 单" in slip and services.settings.station.materials_address in slip
    assert saved.serial in slip and all(m.name in slip for m in item.materials)


NOW = datetime(2026, 11, 23, 9, 30)  # the services' clock in these tests (tests/conftest.py FIXED_NOW)


def _book(hall, day: date | None = None, start: str = "09:00", end: str = "10:00") -> str:
    return hall.storage.book_appointment("MZ0001", day or NOW.date(), start, end, "王秀英").code


def _altered(code: str) -> str:
    prefix, payload, signature = code.split(".")
    return ".".join([prefix, payload[:-4] + ("AAAA" if not payload.endswith("AAAA") else "BBBB"), signature])


async def test_an_appointment_checks_in_once_with_a_priority_ticket_and_the_hall_is_told(online_services, hall):
    services = online_services
    code = _book(hall)
    app = make_app(services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        services.devices.scanner_simulator.scan(code)
        await wait_until(pilot, lambda: isinstance(app.screen, QueueScreen) and "预约签到成功" in screen_text(app))
        assert "预约，优先窗口" in screen_text(app)
        services.devices.scanner_simulator.scan(code)  # the same code again, on the queue screen
        await wait_until(pilot, lambda: "已经在 09:30 签到过了" in screen_text(app))
        await wait_until(pilot, lambda: hall.storage.appointments()[0]["checked_in_at"])
    (ticket,) = printed_text(services)
    assert "预约" in ticket


@pytest.mark.parametrize(
    ("make", "told"),
    [
        (lambda hall: _altered(_book(hall)), "无法核验"),
        (
            lambda hall: appointments.sign(
                appointments.Appointment("x", "MZ0001", NOW.date(), NOW.time(), NOW.time(), "王**"),
                appointments.new_signing_key()[0],
            ),
            "无法核验",
        ),
        (lambda hall: _book(hall, day=date(2026, 11, 24)), "11月24日 的预约"),
        (lambda hall: _book(hall, start="11:00", end="12:00"), "在 10:30 以后再来"),
        (lambda hall: _book(hall, start="07:00", end="08:00"), "已经过了"),
    ],
    ids=["altered", "forged", "other-day", "early", "late"],
)
async def test_a_bad_appointment_code_is_told_and_gets_no_ticket(online_services, hall, make, told):
    services = online_services
    app = make_app(services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        await tap(pilot, "#queue")
        services.devices.scanner_simulator.scan(make(hall))
        await wait_until(pilot, lambda: told in screen_text(app))
    assert services.devices.printer_simulator.jobs == []


async def test_a_kiosk_enrolled_before_codes_were_signed_says_to_check_in_at_the_desk(services, clock):
    app = make_app(services, demo=True, clock=clock)  # the test enrolment carries no signing key
    async with app.run_test(size=SIZE) as pilot:
        await tap(pilot, "#queue")
        services.devices.scanner_simulator.scan("APPT1.e30.AA")
        await wait_until(pilot, lambda: "请到咨询台签到" in screen_text(app))


def test_the_hall_keeps_one_applicants_materials_apart_from_anothers(online_services, hall):
    filed(online_services, LI_JIANGUO, "GJ0002")
    online_services.sync.sync_once()
    other = Application(online_services.catalog["GJ0002"], Applicant.from_card(ZHAO_XIAOYU))
    assert online_services.materials_on_file(other) == []
