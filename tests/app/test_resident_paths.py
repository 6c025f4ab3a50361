"""Paths a resident takes that once led nowhere: the priority lane by card, progress of a case filed elsewhere,
notices that cover nothing, a bad review's reason, the card left on the reader, a small screen, elderly mode's
few taps, a silent voice the technician is told of, English without Chinese."""

from __future__ import annotations

from textual.widgets import Button, Static

from config.settings import Settings
from devices.samples import DEMO_CARDS, LI_JIANGUO, WANG_XIUYING, ZHAO_XIAOYU
from devices.speaker import RecordingSpeaker
from kiosk.app import make_app
from kiosk.application import Applicant, Application
from kiosk.enrolment import enrol
from kiosk.evaluation import BAD_REVIEW_REASONS
from kiosk.pin import hash_secret
from kiosk.prompts import PROMPTS
from kiosk.queue import CATEGORIES
from kiosk.services import build_services
from offline_cache import Store
from screens.done import DoneScreen
from screens.evaluate import EvaluateScreen
from screens.progress import ProgressScreen
from screens.technician import TechnicianScreen
from screens.welcome import WelcomeScreen
from screens.widgets.notice_bar import NoticeBar
from tests.app.walk import SIZE, screen_text, settle, tap, type_into, visible_text
from tests.conftest import FIXED_NOW, FakeClock, place_card, wait_until


def filed(services, card=WANG_XIUYING, code: str = "GA0002"):
    application = Application(services.catalog[code], Applicant.from_card(card))
    application.materials = {m.name for m in application.item.materials}
    return services.submit(application)


async def test_a_card_on_the_queue_screen_gives_an_older_resident_the_priority_lane(app, services):
    async with app.run_test(size=SIZE) as pilot:
        await tap(pilot, "#queue")
        await place_card(pilot, WANG_XIUYING)
        assert "优先窗口" in str(app.screen.query_one("#queue-prompt").render())
        await tap(pilot, "#cat-A")
        await settle(pilot)
        assert "优先窗口" in str(app.screen.query_one("#ticket").render())
    (job,) = services.devices.printer_simulator.jobs
    assert "优先窗口" in job.data.decode("gb18030", errors="replace")


def test_people_ahead_are_only_the_tickets_still_waiting(services):
    store, now = services.store, FIXED_NOW
    for _ in range(3):
        store.issue_ticket("A", False, now)
    for number in (1, 2):  # the hall's windows called them, as it last told this kiosk
        store.set_ticket_status(now.date().isoformat(), "A", number, "called")
    ticket, ahead, _printed = services.take_ticket(CATEGORIES[0], False)
    assert (ticket.number, ahead, ahead.from_hall) == (4, 1, False)  # the hall is out of reach: counted here


async def test_progress_asks_the_hall_for_a_case_filed_elsewhere_and_says_when_it_knew_offline(
    online_services, hall, tmp_path
):
    elsewhere = Settings().simulated(tmp_path / "other")
    elsewhere.station.id = "DEMO02"
    store = Store(elsewhere.storage.resolved_data_dir() / "kiosk.db")
    enrol(store, elsewhere, hall.url, hall.storage.new_enrolment_code())
    store.close()
    other = build_services(elsewhere, now=lambda: FIXED_NOW)
    try:
        theirs = filed(other, LI_JIANGUO)
        other.sync.sync_once()
    finally:
        other.close()
    hall.storage.advance(theirs.serial, "窗口受理")

    app = make_app(online_services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        ours = filed(online_services)
        await wait_until(
            pilot,
            lambda: online_services.sync_status().online and online_services.find(ours.serial).case_number,
        )
        await app.push_screen(ProgressScreen(serial=theirs.serial))
        await wait_until(pilot, lambda: "受理（第2步" in screen_text(app))
        assert "本机没有" not in screen_text(app)

        hall.stop()
        online_services.sync.sync_once()  # the kiosk learns that the hall is gone
        await tap(pilot, "#back")
        await app.push_screen(ProgressScreen(serial=ours.serial))
        await wait_until(pilot, lambda: "申请（第1步" in screen_text(app))
        assert "截至" in screen_text(app) and "联网后更新" in screen_text(app)
        await tap(pilot, "#back")
        await app.push_screen(ProgressScreen(serial=theirs.serial))
        await wait_until(pilot, lambda: "连不上政务服务中心" in screen_text(app))


async def test_progress_tells_the_resident_what_to_bring_or_why_the_hall_refused(online_services, hall):
    app = make_app(online_services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        returned, refused = filed(online_services), filed(online_services, LI_JIANGUO)
        await wait_until(pilot, lambda: all(online_services.find(s.serial).case_number for s in (returned, refused)))
        hall.storage.return_case(returned.serial, ["居民户口簿"], "首页和本人页", by="王芳")
        hall.storage.refuse_case(refused.serial, "申请人不在本辖区居住。", by="李明")
        for language, told, why in (
            (
                "zh_Hans",
                "需要补交材料：居民户口簿（首页和本人页）。请带齐后到窗口",
                "不予受理：申请人不在本辖区居住。有疑问",
            ),
            ("en", "居民户口簿（首页和本人页）", "申请人不在本辖区居住"),
        ):
            await tap(pilot, f"#lang-{language}")
            await app.push_screen(ProgressScreen(serial=returned.serial))
            await wait_until(pilot, lambda told=told: told in screen_text(app))
            assert "需要补交" not in screen_text(app) or language == "zh_Hans"  # the hall's words, our sentence
            await tap(pilot, "#back")
            await app.push_screen(ProgressScreen(serial=refused.serial))
            await wait_until(pilot, lambda why=why: why in screen_text(app))
            await tap(pilot, "#back")


async def test_a_notice_is_shown_whole_and_covers_no_button(app, services):
    async with app.run_test(size=SIZE) as pilot:
        for language, refusal in (("zh_Hans", "办理老年人优待证需年满60周岁，您暂不符合条件。"), ("en", "60")):
            await tap(pilot, f"#lang-{language}")
            await place_card(pilot, ZHAO_XIAOYU)  # 31: the senior card is refused
            await type_into(pilot, "#search", "mz0001")
            await pilot.press("enter", "enter")
            await settle(pilot)
            await tap(pilot, "#start")
            await settle(pilot)
            shown = visible_text(app)
            assert refusal in shown
            bar = app.screen.query_one(NoticeBar).region
            assert bar.height and all(not bar.overlaps(button.region) for button in app.screen.query(Button))
            app.end_visit()
            await settle(pilot)
            services.devices.card_simulator.lift()
            await wait_until(pilot, lambda: not app.card_present)
    assert "Senior" in shown and "您暂不" not in shown  # the catalog's refusal, in the visit's language


async def test_a_bad_review_asks_for_a_reason_that_reaches_the_hall(online_services, hall):
    app = make_app(online_services, demo=True, clock=FakeClock())
    async with app.run_test(size=SIZE) as pilot:
        saved = filed(online_services)
        await app.push_screen(EvaluateScreen(saved))
        await settle(pilot)
        await tap(pilot, "#level-2")
        assert app.screen.query_one("#bad-review").display
        assert online_services.store.evaluation_of(saved.id) is None  # not saved without its reason
        await tap(pilot, "#reason-0")
        await settle(pilot)
        assert "感谢您的评价" in screen_text(app)
        await wait_until(pilot, lambda: hall.storage.evaluations())
    (rating,) = hall.storage.evaluations()
    assert rating["level"] == 2 and rating["reason"] == BAD_REVIEW_REASONS[0]


async def test_a_card_left_on_the_reader_is_called_for_on_screen_and_aloud(services, clock):
    speaker = RecordingSpeaker()
    app = make_app(services, demo=True, clock=clock, speaker=speaker)
    async with app.run_test(size=SIZE) as pilot:
        await place_card(pilot, WANG_XIUYING)
        await tap(pilot, "#back")  # the visit ends; the card is still on the reader
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert "请取走您的身份证" in visible_text(app)
        assert speaker.said[-1] == PROMPTS["take_card"]
        services.devices.card_simulator.lift()
        await wait_until(pilot, lambda: "请取走您的身份证" not in visible_text(app))


async def test_the_welcome_screen_fits_80_by_24_with_every_action_in_reach(app):
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        for button in app.screen.query(Button):
            assert button.region.height >= 3 and button.region.bottom <= 24, button.id
        await tap(pilot, "#guides")  # the bottom-right actions work at this size too
        await tap(pilot, "#back")
        await tap(pilot, "#staff")
        await settle(pilot)
        assert app.screen.query("#pin-input")


async def test_elderly_mode_files_an_instant_item_in_four_taps_without_typing(services, clock):
    speaker = RecordingSpeaker()
    app = make_app(services, demo=True, clock=clock, speaker=speaker)
    taps: list[str] = []

    async def count(selector, offset=(0, 0)) -> None:
        taps.append(selector)
        if offset == (0, 0):
            await tap(pilot, selector)
        else:
            await pilot.click(selector, offset=offset)

    def step() -> str:
        return str(app.screen.query_one("#step").render())

    async with app.run_test(size=SIZE) as pilot:
        await tap(pilot, "#elderly")
        await place_card(pilot, DEMO_CARDS[0])
        await settle(pilot)
        assert "第 2 步，共 4 步" in step()
        items = app.screen.query_one("#items")
        await count(items, offset=(4, 2))  # the first of the items older residents come for: 老年人优待证
        await settle(pilot)
        assert "第 2 步，共 4 步" in step()
        await count("#start")
        await settle(pilot)
        assert "第 3 步，共 4 步" in step()
        await count("#next")
        await settle(pilot)
        assert "第 4 步，共 4 步" in step()
        await count("#confirm-all")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen) and "提交完成" in step()
        assert app.visit.saved.masked["instant_granted"]
    assert len(taps) == 4


async def test_a_voice_that_cannot_speak_is_told_on_the_technician_screen(settings, clock):
    settings.accessibility.voice_command = "no-such-espeak-ng"
    settings.access.technician_pin_hash = hash_secret("123456")
    services = build_services(settings, now=lambda: FIXED_NOW)
    app = make_app(services, demo=True, clock=clock)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+t", "ctrl+k", *"123456", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, TechnicianScreen))
        devices = str(app.screen.query_one("#devices", Static).render())
    services.close()
    assert "语音  故障" in devices and "找不到语音程序 no-such-espeak-ng" in devices
