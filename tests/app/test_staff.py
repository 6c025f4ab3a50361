"""Staff-assisted filing (代办): sign-in, consent, the agent on the submission and the receipt, the desk."""

from __future__ import annotations

import pytest

from config.settings import Settings, StaffMember
from devices.samples import DEMO_CARDS
from kiosk.app import make_app
from kiosk.pin import hash_secret
from screens.done import DoneScreen
from screens.review import ReviewScreen
from screens.staff_desk import StaffDesk
from screens.welcome import WelcomeScreen
from tests.app.walk import SIZE, screen_text, settle
from tests.conftest import FakeClock, opened_payload, place_card, wait_until

WANG, LI = DEMO_CARDS[0], DEMO_CARDS[1]
CONSENT = "申请人已当面确认并同意代办"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    member = StaffMember(id="D001", name="李代办", pin_hash=hash_secret("2468"), badge_hash=hash_secret("STAFF-D001"))
    return settings.model_copy(update={"access": settings.access.model_copy(update={"staff": [member]})})


async def sign_in(pilot, pin: str = "2468") -> None:
    await pilot.click("#staff")
    await pilot.press(*pin, "enter")
    await settle(pilot)


async def file_for(pilot, card, query: str = "lnryd") -> None:
    """From the staff desk: identify ``card``, pick the item, fill in the form, reach the review screen."""
    await pilot.click("#next-applicant")
    await place_card(pilot, card)
    await pilot.click("#search")
    await pilot.press(*query, "enter", "enter")
    await settle(pilot)
    await pilot.click("#start")
    await settle(pilot)
    await pilot.click("#f-phone")
    await pilot.press(*"13800001234")
    await pilot.click("#next")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


async def test_staff_files_for_two_applicants_with_consent_recorded_and_printed(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await sign_in(pilot)
        assert isinstance(app.screen, StaffDesk)
        assert "李代办（工号 D001）" in screen_text(app)  # the banner says who is in

        await file_for(pilot, WANG)
        await pilot.click("#confirm-all")  # not yet: the applicant has not agreed
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "代办须经申请人当面同意" in screen_text(app)
        await pilot.click("#consent")
        await pilot.click("#confirm-all")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        first = app.visit.saved
        await wait_until(pilot, lambda: services.devices.printer_simulator.jobs)

        await pilot.click("#home")  # back to the desk's welcome, still signed in
        await settle(pilot)
        assert app.staff is not None
        await pilot.click("#staff")
        await settle(pilot)
        await file_for(pilot, LI)
        await pilot.click("#consent")
        await pilot.click("#confirm-pending")  # he files with his photo to follow: 材料待补
        await settle(pilot)
        second = app.visit.saved

        await pilot.click("#home")
        await pilot.click("#staff")
        await settle(pilot)
        await wait_until(pilot, lambda: first.serial in screen_text(app) or app.screen.query_one("#filed").row_count)
        table = app.screen.query_one("#filed")
        assert table.row_count == 2
        rows = [table.get_row_at(i) for i in range(2)]
        assert [r[1] for r in rows] == [second.serial, first.serial]
        assert {r[3] for r in rows} == {"王**", "李**"} and {r[4] for r in rows} == {"李代办"}

        await pilot.click("#reprint")
        await wait_until(pilot, lambda: len(services.devices.printer_simulator.jobs) == 3)

    stored = services.store.find_by_serial(first.serial)
    assert stored.masked["agent"] == {"id": "D001", "name": "李代办", "consent": CONSENT}
    sealed = opened_payload(services.store, first.id)
    assert sealed["agent"]["id"] == "D001" and sealed["agent"]["consent_at"]
    receipt = services.devices.printer_simulator.jobs[0].data.decode("gb18030", errors="replace")
    assert "代办人：李代办（工号 D001）" in receipt and CONSENT in receipt
    reprint = services.devices.printer_simulator.jobs[2].data.decode("gb18030", errors="replace")
    assert second.serial in reprint and "代办人" in reprint


async def test_a_scanned_staff_badge_signs_in_and_idle_signs_out(app, services, clock):
    async with app.run_test(size=SIZE) as pilot:
        services.devices.scanner_simulator.scan("STAFF-D001")
        await wait_until(pilot, lambda: app.staff is not None)
        await settle(pilot)
        assert isinstance(app.screen, StaffDesk)
        session = services.settings.session
        clock.advance(session.idle_timeout_seconds + 1)
        await wait_until(pilot, lambda: app.staff is None)
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert "代办模式" not in screen_text(app)


async def test_a_resident_filing_alone_records_no_agent(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#apply")
        await place_card(pilot, WANG)
        await pilot.click("#search")
        await pilot.press(*"lnryd", "enter", "enter")
        await settle(pilot)
        await pilot.click("#start")
        await settle(pilot)
        await pilot.click("#f-phone")
        await pilot.press(*"13800001234")
        await pilot.click("#next")
        await settle(pilot)
        assert not app.screen.query("#consent")
        await pilot.click("#confirm-all")
        await settle(pilot)
        assert "agent" not in services.store.find_by_serial(app.visit.saved.serial).masked


async def test_wrong_staff_pins_lock_the_sign_in_and_pulling_the_plug_does_not_unlock_it(app, services, clock):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#staff")
        for _ in range(4):
            await pilot.press(*"1111", "enter")
            await settle(pilot)
            clock.advance(1)  # a wrong PIN waits a second before the next is checked
        assert "还可以再试 1 次" in screen_text(app)
        await pilot.press(*"1111", "enter")
        await settle(pilot)
        await pilot.press(*"2468", "enter")  # right, but locked
        await settle(pilot)
        assert "锁定" in screen_text(app)
        assert app.staff is None
    restarted = make_app(services, demo=True, clock=FakeClock())  # the kiosk started again, its memory gone
    async with restarted.run_test(size=SIZE) as pilot:
        await pilot.click("#staff")
        await pilot.press(*"2468", "enter")
        await settle(pilot)
        assert "锁定" in screen_text(restarted)
        assert restarted.staff is None
