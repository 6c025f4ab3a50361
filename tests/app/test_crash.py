"""A failure in our own code is survivable: logged without personal data, the visit wiped, a calm notice in the
visit's language, the UI started again; a failed job never leaves its screen waiting, and nothing committed is
lost."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
from textual.widgets import Static

from config.faults import VARIABLE
from devices.samples import WANG_XIUYING
from kiosk.app import CRASH_EXIT, make_app
from kiosk.application import Applicant, Visit
from kiosk.failures import CRASH_NOTE, log_failure
from kiosk.services import build_services
from screens.crash_notice import CrashNotice
from screens.done import DoneScreen
from screens.review import ReviewScreen
from screens.welcome import WelcomeScreen
from tests.app.walk import SIZE, fill_form, open_form, screen_text, settle, tap
from tests.conftest import FIXED_NOW, FakeClock, wait_until


@pytest.fixture
def crash_log(caplog):
    caplog.set_level(logging.ERROR)
    return caplog


def logged(caplog) -> str:
    return "\n".join(record.getMessage() for record in caplog.records)


def test_the_log_keeps_the_traceback_and_nothing_of_the_person(crash_log):
    card = WANG_XIUYING

    def look_up(record: dict) -> str:
        return record[card.name]

    try:
        try:
            look_up({})
        except KeyError as exc:
            raise ValueError(f"bad number {card.id_number} for {card.name}") from exc
    except ValueError as error:
        log_failure(logging.getLogger("kiosk.app"), "unhandled exception", error)
    text = logged(crash_log)
    assert "Traceback (most recent call last)" in text and "in look_up" in text and "which led to" in text
    assert "KeyError" in text and "ValueError: bad number" in text
    assert "王秀英" not in text and WANG_XIUYING.id_number not in text and "1941" not in text


async def test_a_failing_handler_stops_the_ui_with_the_visit_wiped_and_the_next_start_says_so(
    app, services, settings, crash_log, monkeypatch
):
    monkeypatch.setenv(VARIABLE, "welcome")
    async with app.run_test(size=SIZE) as pilot:
        await tap(pilot, "#lang-en")
        app.visit.applicant = Applicant.from_card(WANG_XIUYING)  # someone is in the middle of a visit
        app.screen.query_one("#apply").press()  # not Pilot's click, which waits for the stopped screen forever
        for _ in range(200):
            if app.return_code is not None:
                break
            await asyncio.sleep(0.01)
        assert app.return_code == CRASH_EXIT
    assert app.visit == Visit()
    assert "InjectedFault" in logged(crash_log) and "in start_apply" in logged(crash_log)
    assert WANG_XIUYING.name not in logged(crash_log)
    assert (services.data_dir / CRASH_NOTE).is_file()

    monkeypatch.delenv(VARIABLE)
    again = build_services(settings, now=lambda: FIXED_NOW)
    restarted = make_app(again, demo=True, clock=FakeClock())
    try:
        async with restarted.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert isinstance(restarted.screen, CrashNotice)
            assert "The system ran into a problem" in screen_text(restarted)  # the language of the visit cut short
            await tap(pilot, "#home")
            await settle(pilot)
            assert isinstance(restarted.screen, WelcomeScreen) and restarted.visit == Visit()
    finally:
        again.close()
    assert not (services.data_dir / CRASH_NOTE).exists()  # told once


async def _to_review(pilot, services, code: str = "MZ0001") -> None:
    item = services.catalog[code]
    await open_form(pilot, item)
    await fill_form(pilot, item)
    await tap(pilot, "#next")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


async def test_a_save_that_fails_after_the_commit_keeps_the_submission_and_says_not_to_file_again(
    app, services, crash_log, monkeypatch
):
    async with app.run_test(size=SIZE) as pilot:
        await _to_review(pilot, services)
        monkeypatch.setenv(VARIABLE, "save")
        await tap(pilot, "#confirm")
        await settle(pilot)
        assert app.is_running and isinstance(app.screen, ReviewScreen)
        assert "请不要再次提交" in screen_text(app)
        assert app.screen.query_one("#confirm").disabled and not app.screen.query_one("#back").disabled
        (kept,) = services.filed_today()  # on the staff desk's list, waiting for the hall, its receipt reprintable
        assert services.sync_status().pending == 1
        monkeypatch.delenv(VARIABLE)
        assert services.reprint_receipt(kept.serial).printed
    assert "ReviewScreen: job 'save' failed" in logged(crash_log)


async def test_a_print_job_that_fails_says_what_to_do_and_the_receipt_can_be_reprinted(
    app, services, crash_log, monkeypatch
):
    async with app.run_test(size=SIZE) as pilot:
        await _to_review(pilot, services)
        monkeypatch.setenv(VARIABLE, "print")
        await tap(pilot, "#confirm")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        state = str(app.screen.query_one("#print-state", Static).render())
        assert "回执未能打印" in state and "正在打印" not in state
        monkeypatch.delenv(VARIABLE)
        assert services.reprint_receipt(app.visit.saved.serial).printed
    assert "DoneScreen: job 'print' failed" in logged(crash_log)


async def test_a_failing_device_test_is_told_on_the_technician_screen(app, services, crash_log, monkeypatch):
    from kiosk.pin import hash_secret
    from screens.technician import TechnicianScreen

    services.settings.access.technician_pin_hash = hash_secret("123456")
    monkeypatch.setenv(VARIABLE, "device-test")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t", "ctrl+k", *"123456", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TechnicianScreen))
        await tap(pilot, "#test-paper")
        await settle(pilot)
        assert "出了程序错误" in str(app.screen.query_one("#device-result", Static).render())
        assert app.is_running
    assert "TechnicianScreen: job 'device-test' failed" in logged(crash_log)


async def test_a_failing_sync_cycle_is_shown_and_sync_resumes_when_it_passes(hall, monkeypatch, tmp_path):
    from config.settings import Settings
    from kiosk.application import Applicant, Application
    from kiosk.enrolment import enrol
    from offline_cache import Store

    settings = Settings().simulated(tmp_path / "data")
    settings.sync.backoff_base_seconds, settings.sync.backoff_cap_seconds = 0.05, 0.2
    store = Store(settings.storage.resolved_data_dir() / "kiosk.db")
    enrol(store, settings, hall.url, hall.storage.new_enrolment_code())
    store.close()
    services = build_services(settings, now=lambda: FIXED_NOW)
    monkeypatch.setenv(VARIABLE, "sync")
    try:
        application = Application(services.catalog["MZ0001"], Applicant.from_card(WANG_XIUYING))
        application.materials = {m.name for m in application.item.materials}
        saved = services.submit(application)
        seen = []
        services.sync.on_status = seen.append
        services.sync.start()
        deadline = time.monotonic() + 10
        while not any("同步出错" in status.last_error for status in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert any("同步出错" in status.last_error for status in seen)
        monkeypatch.delenv(VARIABLE)
        while services.find(saved.serial).state != "acknowledged" and time.monotonic() < deadline:
            time.sleep(0.05)
        assert services.find(saved.serial).state == "acknowledged"
    finally:
        services.close()
