"""The resident's path, clicked through as a finger would, and the privacy wipe."""

from __future__ import annotations

from datetime import date

from textual.widgets import Input, Static

from devices.samples import DEMO_CARDS as SAMPLE_CARDS
from kiosk.serial_number import SerialNumber
from screens.apply import ApplyScreen
from screens.catalog import CatalogScreen
from screens.done import DoneScreen
from screens.evaluate import EvaluateScreen
from screens.guide import GuideScreen
from screens.identify import IdentifyScreen
from screens.progress import ProgressScreen
from screens.review import ReviewScreen
from screens.welcome import WelcomeScreen
from tests.app.walk import SIZE, screen_text, settle, tap
from tests.conftest import opened_payload, place_card, wait_until

WANG = SAMPLE_CARDS[0]  # 85 years old
ZHAO = SAMPLE_CARDS[2]  # 31 years old


async def start_application(pilot, card, query: str) -> None:
    """Place ``card``, search ``query``, open the first result and press 我要办理."""
    await place_card(pilot, card)
    await pilot.click("#search")
    await pilot.press(*query, "enter", "enter")
    await pilot.click("#start")
    await settle(pilot)


async def test_resident_path_from_card_to_rating_is_stored(app, services):
    async with app.run_test(size=SIZE) as pilot:
        assert isinstance(app.screen, WelcomeScreen)
        await pilot.click("#apply")
        assert isinstance(app.screen, IdentifyScreen)

        await place_card(pilot, WANG)  # over the pseudo-terminal, through the real driver
        assert isinstance(app.screen, CatalogScreen)
        assert "王**" in screen_text(app)
        assert any("已读取：王**" in str(n.message) for n in app._notifications)

        await pilot.click("#search")
        await pilot.press(*"lnryd", "enter", "enter")
        await settle(pilot)
        assert isinstance(app.screen, GuideScreen)
        assert app.screen.item.code == "MZ0001"

        await pilot.click("#start")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        await pilot.click("#f-phone")
        await pilot.press(*"13800001234")
        for box in app.screen.query(".material"):
            await tap(pilot, box)
        await pilot.click("#next")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        assert "138****1234" in screen_text(app)
        assert "即时批准" in screen_text(app)

        await pilot.click("#confirm")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        serial = app.visit.saved.serial
        assert serial.startswith("DEMO01-261123-0001-")
        assert serial in screen_text(app)
        await wait_until(pilot, lambda: "回执已打印" in screen_text(app))  # the printer answers in its own time

        await pilot.click("#rate")
        assert isinstance(app.screen, EvaluateScreen)
        await pilot.click("#level-3")
        await settle(pilot)
        assert "感谢您的评价" in screen_text(app)
        await pilot.click("#skip")
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.saved is None

    saved = services.store.find_by_serial(serial)
    assert saved.item_code == "MZ0001" and saved.state == "pending"
    assert saved.masked["applicant"] == "王**"
    assert opened_payload(services.store, saved.id)["applicant"]["number"] == WANG.id_number
    assert opened_payload(services.store, saved.id)["values"] == {"phone": "13800001234"}
    assert services.store.evaluation_of(saved.id) == 3
    (job,) = services.devices.printer_simulator.jobs  # the bytes the printer received, in Chinese mode
    receipt = job.data.decode("gb18030", errors="replace")
    assert serial in receipt and "王**" in receipt and WANG.name not in receipt
    assert job.printed and job.picture.is_file()


async def test_form_errors_are_shown_next_to_the_field(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await start_application(pilot, WANG, "mz0001")
        await pilot.click("#f-phone")
        await pilot.press(*"12345")
        await pilot.click("#next")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        assert "11位手机号" in str(app.screen.query_one("#e-phone", Static).render())


async def test_too_young_for_the_senior_card_is_told_at_once(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await start_application(pilot, ZHAO, "lnryd")
        assert isinstance(app.screen, GuideScreen)
        assert any("需年满60周岁" in str(n.message) for n in app._notifications)


async def test_typed_id_number_is_checked(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#apply")
        await pilot.click("#mode-person")
        await pilot.click("#person-name")
        await pilot.press(*"张三", "enter")
        await pilot.press(*"36042619910102009X", "enter")
        assert isinstance(app.screen, IdentifyScreen)
        assert "校验位不符" in str(app.screen.query_one("#person-error", Static).render())

        app.screen.query_one("#person-number", Input).value = ""
        await pilot.click("#person-number")
        await pilot.press(*"360426199101010071", "enter")
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        assert app.visit.applicant.masked_number == "3604**********0071"


async def test_organisation_files_with_credit_code_and_sees_only_its_items(app):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#apply")
        await pilot.click("#mode-organisation")
        await pilot.click("#org-name")
        await pilot.press(*"红塔区示例餐饮有限公司", "enter")
        await pilot.press(*"91110000600037341L", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, CatalogScreen))  # a loaded machine takes its time
        listed = app.screen.query_one("#items").options
        assert listed and all(app.services.catalog[o.id].applicant == "organisation" for o in listed)


async def test_reader_fault_offers_the_typed_path(app):
    from devices import ReaderFault

    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#apply")
        app._device_event(ReaderFault("串口无应答"))
        await settle(pilot)
        assert app.screen.query_one("#id-panes").current == "person"
        assert "读卡器暂时无法读卡" in screen_text(app)


async def test_idle_wipe_leaves_nothing_of_the_last_resident(app, services, clock):
    async with app.run_test(size=SIZE) as pilot:
        await start_application(pilot, WANG, "lnryd")
        await pilot.click("#f-phone")
        await pilot.press(*"13800001234")

        session = services.settings.session
        clock.advance(session.idle_timeout_seconds - session.idle_warning_seconds + 1)
        app.check_inactivity()
        await pilot.pause()
        assert "还在办理吗" in screen_text(app)

        clock.advance(session.idle_warning_seconds)
        app.check_inactivity()
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert len(app.screen_stack) == 1
        assert app.visit.applicant is None and app.visit.application is None
        text = screen_text(app)
        assert "王" not in text and "1380000" not in text
        # Nothing of her is left on screen; only a call to take the card she left on the reader.
        assert [n.message for n in app._notifications] == ["请取走您的身份证。"]

        await pilot.click("#apply")  # the next person starts with empty fields
        await pilot.click("#mode-person")
        assert app.screen.query_one("#person-name", Input).value == ""


async def test_a_touch_during_the_warning_keeps_the_visit(app, services, clock):
    async with app.run_test(size=SIZE) as pilot:
        await place_card(pilot, WANG)
        session = services.settings.session
        clock.advance(session.idle_timeout_seconds - 5)
        app.check_inactivity()
        await pilot.pause()
        await pilot.click("#keep")
        clock.advance(10)
        app.check_inactivity()
        await pilot.pause()
        assert isinstance(app.screen, CatalogScreen)
        assert app.visit.applicant is not None


async def test_scanned_serial_opens_its_progress_and_garbled_scan_says_so(app, services):
    scanner = services.devices.scanner_simulator  # a serial scanner on a pty, read by the real driver
    async with app.run_test(size=SIZE) as pilot:
        scanner.send_raw(b"]Q1\xff\xfe#@!\r\n")
        await wait_until(pilot, lambda: any("没能识别" in str(n.message) for n in app._notifications))
        assert isinstance(app.screen, WelcomeScreen)

        scanner.scan(str(SerialNumber.issue("DEMO01", date(2026, 11, 23), 1)))
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))
        await settle(pilot)
        assert "本机没有这个流水号的记录" in screen_text(app)


async def test_no_command_palette_and_no_quit_key_for_residents(services, clock):
    from kiosk.app import make_app

    app = make_app(services, demo=False, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q", "ctrl+c", "ctrl+p")
        await pilot.pause()
        assert app.is_running
        assert isinstance(app.screen, WelcomeScreen)


async def test_paper_out_keeps_the_submission_and_the_serial_on_screen(app, services):
    printer = services.devices.printer_simulator
    printer.paper = "out"
    async with app.run_test(size=SIZE) as pilot:
        await start_application(pilot, WANG, "lnryd")
        await pilot.click("#f-phone")
        await pilot.press(*"13800001234")
        await pilot.click("#next")
        await settle(pilot)
        await pilot.click("#confirm-all")  # not ticked one by one: "都带了" ticks them all
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        serial = app.visit.saved.serial
        text = screen_text(app)
        assert serial in text and "申请已保存" in text
        assert "回执未能打印" in text and "工作人员" in text and "缺纸" in text
        assert services.store.find_by_serial(serial) is not None
        assert printer.jobs == []

        printer.paper = "ok"  # staff change the paper and reprint from the saved, masked receipt
        assert services.reprint_receipt(serial).printed
    (job,) = printer.jobs
    assert serial.encode() in job.data and "王**".encode("gb18030") in job.data


async def scanner_burst(pilot, code: str) -> None:
    """Keys as a wedge scanner types them: all at once, ending in Enter (Pilot.press waits between keys)."""
    from textual import events

    for char in code:
        pilot.app._driver.send_message(events.Key(char if char.isalnum() else "minus", char))
    pilot.app._driver.send_message(events.Key("enter", "\r"))
    await settle(pilot)


async def _wedge_app(services, clock):
    from kiosk.app import make_app

    services.settings.devices.wedge_scanner = True
    return make_app(services, demo=True, clock=clock)


async def test_wedge_scan_opens_progress_and_never_lands_in_a_field(services, clock):
    app = await _wedge_app(services, clock)
    serial = str(SerialNumber.issue("DEMO01", date(2026, 11, 23), 1))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#apply")
        await pilot.click("#mode-person")
        await pilot.click("#person-name")
        await scanner_burst(pilot, serial)
        assert app.screen.query_one("#person-name", Input).value == ""

        await pilot.click("#back")
        await scanner_burst(pilot, serial)
        await wait_until(pilot, lambda: isinstance(app.screen, ProgressScreen))


async def test_with_a_wedge_scanner_a_person_still_types_every_key_in_order(services, clock):
    app = await _wedge_app(services, clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#apply")
        await pilot.click("#mode-person")
        await pilot.click("#person-number")
        for key in "360426199101010071":
            await pilot.press(key)
            await pilot.pause(0.06)  # people type slower than a scanner
        await wait_until(pilot, lambda: len(app.screen.query_one("#person-number", Input).value) == 18)
        assert app.screen.query_one("#person-number", Input).value == "360426199101010071"


async def test_a_garbled_scan_on_the_progress_screen_is_called_unreadable(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#progress")
        services.devices.scanner_simulator.send_raw(b"\xff\xfe#@!\r\n")
        await wait_until(pilot, lambda: "无法识别" in screen_text(app))
        assert app.screen.query_one("#serial-input", Input).value == ""
