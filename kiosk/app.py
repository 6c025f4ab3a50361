"""The Textual app: the one place that wires services and devices to the screens."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from textual import events, work
from textual.app import App, ScreenStackError
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.message import Message
from textual.timer import Timer
from textual.worker import Worker, WorkerState

from config.i18n import LANGUAGES, Translator, _, to_simplified, translator
from devices import (
    CardPlaced,
    CardReadFailed,
    CardRemoved,
    CodeScanned,
    DeviceEvent,
    ReaderConnected,
    ReaderFault,
    ScannerConnected,
    ScannerFault,
)
from devices.samples import DEMO_CARDS
from devices.scanner.framing import WedgeDetector
from devices.speaker import Speaker
from kiosk.application import Applicant, Visit
from kiosk.demo import DEMO_STAFF
from kiosk.failures import log_failure, note_crash, take_crash_note
from kiosk.identity import age_on
from kiosk.pin import PinGate
from kiosk.prompts import PROMPTS
from kiosk.services import KioskServices
from kiosk.staff import Agent
from kiosk.technician import technician_check
from screens.crash_notice import CrashNotice
from screens.demo_help import DemoHelp
from screens.idle_warning import IdleWarning
from screens.messages import CardRead, CardUnreadable, EndVisit, ReaderStatus, ScanReceived, SyncStatusChanged
from screens.pin_prompt import PinPrompt
from screens.staff_desk import StaffDesk
from screens.technician import TechnicianScreen
from screens.welcome import WelcomeScreen
from screens.widgets.notice_bar import NoticeBar

if TYPE_CHECKING:
    from kiosk.hall.runner import HallServer  # the demo's hall; a kiosk in service never loads the server

log = logging.getLogger(__name__)
CRASH_EXIT = 70  # EX_SOFTWARE: the UI stopped on a failure of our own and is to be started again
SCREENS = Path(__file__).parent.parent / "screens"
STYLESHEETS = [SCREENS / "kiosk.tcss", SCREENS / "technician.tcss", SCREENS / "elderly.tcss"]


class _ToScreen(Message):
    """Carries a message from a device thread to whichever screen is current when it arrives."""

    def __init__(self, inner: Message) -> None:
        super().__init__()
        self.inner = inner


class _CardTaken(Message):
    """The card left on the reader was lifted off it (or another placed in its stead)."""


class KioskApp(App, inherit_bindings=False):
    """The kiosk. Residents get no command palette and no quit key; the demo adds its F-keys."""

    CSS_PATH = STYLESHEETS
    # The technician's chord: Ctrl+T then Ctrl+K within two seconds, then a PIN. A touch screen cannot type it.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+t", "chord_start", show=False, priority=True),
        Binding("ctrl+k", "chord_end", show=False, priority=True),
    ]
    CHORD_SECONDS = 2.0
    ENABLE_COMMAND_PALETTE = False
    TITLE = "政务服务自助终端"

    def __init__(
        self,
        services: KioskServices,
        demo: bool = False,
        clock: Callable[[], float] = time.monotonic,
        demo_hall: HallServer | None = None,
        speaker: Speaker | None = None,
    ):
        super().__init__()
        self.speaker = speaker or services.devices.speaker
        self.services = services
        self.demo = demo
        self.demo_hall = demo_hall  # the demo's local hall, which demo keys stop, start and move cases in
        self.visit = Visit()
        self.sync_status = SyncStatusChanged(services.sync_status())
        self.reader_state = ReaderStatus(False, _("正在连接读卡器…"), "starting")
        self.demo_note = (
            _(
                "演示模式 · 数据在 {data_dir}，回执图片在其 receipts 文件夹 · 按 F1 查看演示按键",
                data_dir=str(services.data_dir),
            )
            if demo
            else ""
        )
        self.clock = clock
        self.staff: Agent | None = None  # agency staff signed in: they file for several applicants in a row
        access = services.settings.access
        self.staff_gate = PinGate(access.max_tries, access.lockout_seconds, clock)
        self.technician_gate = PinGate(access.max_tries, access.lockout_seconds, clock)
        self._chord_started: float | None = None
        self._last_activity = clock()
        self.wedge = WedgeDetector() if services.settings.devices.wedge_scanner else None
        self._replayed: set[int] = set()  # keys the wedge detector held back, handed on as typing
        self.crashed = False
        self.card_present = False  # as the reader last said, from its thread
        self._card_reminder: str | None = None
        self._disable_notifications = True  # no toasts: see show_notices
        self._notice_timer: Timer | None = None

    @property
    def translator(self) -> Translator:
        """The visit's language: Simplified Chinese unless the resident chose another on the welcome screen."""
        return translator(self.visit.language)

    def _(self, text: str | BaseException, /, **values) -> str:
        return self.translator(text, **values)

    def say(self, prompt: str) -> None:
        """Speak a fixed prompt in the visit's language (the speaker is silent when voice is off)."""
        self.speaker.say(self._(prompt), self.visit.language)

    def set_language(self, language: str) -> None:
        """The interface language for the rest of this visit; the next visitor starts in Simplified Chinese."""
        self.visit.language = language

    def get_default_screen(self) -> WelcomeScreen:
        return WelcomeScreen()

    def on_mount(self) -> None:
        self.services.devices.start(self._device_event)
        self.services.sync.on_status = lambda status: self.post_message(_ToScreen(SyncStatusChanged(status)))
        self.services.sync.start()
        self.set_interval(1, self.check_inactivity)
        if self.wedge is not None:
            self.set_interval(0.02, self._release_held_keys)
        if self.demo:
            for key, action, _what in self._demo_keys():
                self.bind(key, action, show=False)
        self.apply_theme()
        self.load_languages()
        if (language := take_crash_note(self.services.data_dir)) is not None:
            self.set_language(language if language in LANGUAGES else self.visit.language)
            self.push_screen(CrashNotice(), lambda _: self.end_visit())

    # A failure of our own ----------------------------------------------------------------------------------

    # Notifications ----------------------------------------------------------------------------------------

    def _refresh_notifications(self) -> None:
        """Textual calls this whenever a notification comes or goes: show them in the screen's notice bar, never
        as toasts over its buttons."""
        self.show_notices()

    def show_notices(self) -> None:
        """Show the notifications still current on the current screen, and again when the next one expires."""
        notices = list(self._notifications)  # iterating drops the expired ones
        with contextlib.suppress(NoMatches, ScreenStackError):
            self.screen.query_one(NoticeBar).show(notices)
        if self._notice_timer is not None:
            self._notice_timer.stop()
        if notices:
            self._notice_timer = self.set_timer(min(n.time_left for n in notices) + 0.05, self.show_notices)

    def _handle_exception(self, error: Exception) -> None:
        """Any exception nothing else caught, in a handler, a callback or a worker: :meth:`crash`."""
        self.crash(error)

    def crash(self, error: BaseException, what: str = "unhandled exception") -> None:
        """Log the failure (nothing personal in it), forget the visit and stop the UI with :data:`CRASH_EXIT`;
        ``kiosk run`` starts it again, which tells the next person, in this visit's language, what happened.

        Textual would print the traceback with its local variables on the screen; a kiosk shows neither. A
        handler that raised has stopped its widget's message loop, so the UI is not trusted to go on."""
        if self.crashed:
            log.error("another failure while stopping: %s", type(error).__qualname__)
            return
        self.crashed = True
        log_failure(log, what, error)
        note_crash(self.services.data_dir, self.visit.language)
        self.visit = Visit()
        self.staff = None
        self._return_code = CRASH_EXIT
        self._close_messages_no_wait()

    def job_failed(self, where: str, worker: Worker) -> None:
        """A background job failed with an exception nobody expected: the technician finds it in the log."""
        log_failure(log, f"{where}: job {worker.group!r} failed", worker.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:  # the app's own jobs: a language preload, a status count, the demo
            self.job_failed(type(self).__name__, event.worker)

    # Elderly mode and the high-contrast theme ------------------------------------------------------------

    def apply_theme(self) -> None:
        elderly = self.visit.elderly
        self.set_class(elderly, "elderly")
        contrast = elderly or self.visit.high_contrast or self.services.settings.accessibility.high_contrast
        self.set_class(contrast, "high-contrast")
        self.refresh_css(animate=False)  # every screen in the stack, not only the current one

    def enter_elderly_mode(self) -> None:
        """长辈模式 for this session: larger targets, high contrast, step by step, spoken, more time."""
        self.visit.elderly = True
        self.apply_theme()

    def toggle_high_contrast(self) -> None:
        self.visit.high_contrast = not self.visit.high_contrast
        self.apply_theme()

    def idle_timeout(self) -> int:
        settings = self.services.settings
        if self.visit.elderly:
            return settings.accessibility.elderly_idle_timeout_seconds
        return settings.session.idle_timeout_seconds

    def on_unmount(self) -> None:
        self.services.sync.stop()
        self.services.devices.close()

    # Devices → screens -----------------------------------------------------------------------------------

    def _device_event(self, event: DeviceEvent) -> None:
        """Called by device back-ends, from any thread."""
        match event:
            case CardPlaced(card):
                self.card_present = True
                self.post_message(_CardTaken())  # whoever left a card has taken it: this is the next one
                self.post_message(_ToScreen(CardRead(Applicant.from_card(card))))
            case CardReadFailed(reason):
                self.post_message(
                    _ToScreen(
                        CardUnreadable(_("没能读取这张卡：{reason}。请把卡平放重试，或手动输入号码。", reason=reason))
                    )
                )
            case CardRemoved():
                # Lifting the card does not end the visit: the resident may still be filling in the form.
                self.card_present = False
                self.post_message(_CardTaken())
            case ReaderConnected(description):
                log.info("card reader connected: %s", description)
                self.post_message(_ToScreen(ReaderStatus(True, _("读卡器已就绪"), description)))
            case ReaderFault(reason):
                log.warning("card reader fault: %s", reason)
                self.post_message(_ToScreen(ReaderStatus(False, _("读卡器暂时无法读卡，请手动输入身份证号码"), reason)))
            case CodeScanned(code):
                self.post_message(_ToScreen(ScanReceived(code)))
            case ScannerConnected(description):
                log.info("scanner connected: %s", description)
            case ScannerFault(reason):
                log.warning("scanner fault: %s", reason)

    def on__to_screen(self, message: _ToScreen) -> None:
        inner = message.inner
        if isinstance(inner, ReaderStatus):
            self.reader_state = inner
        if isinstance(inner, SyncStatusChanged):
            self.sync_status = inner
        if isinstance(inner, CardRead | ScanReceived):
            self._last_activity = self.clock()
        if self.screen_stack:  # a device may still speak while the app shuts down
            self.screen.post_message(inner)

    @work(thread=True, exclusive=True, group="languages", exit_on_error=False)
    def load_languages(self) -> None:
        """Read the catalogs and OpenCC's dictionaries now (~0.15 s), not when a resident presses 繁體中文."""
        for language in LANGUAGES:
            translator(language).content("中")
        to_simplified("中")

    @work(thread=True, exclusive=True, group="status", exit_on_error=False)
    def refresh_sync_status(self) -> None:
        """Count again what waits on this machine (the sync engine reports after each of its cycles)."""
        self.post_message(_ToScreen(SyncStatusChanged(self.services.sync_status())))

    # The visit and the privacy wipe ----------------------------------------------------------------------

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key | events.MouseDown):
            self._last_activity = self.clock()
        if self.wedge is not None and isinstance(event, events.Key) and id(event) not in self._replayed:
            decision = self.wedge.key(event.character if event.is_printable else None, event.key, event.time)
            if decision.scan is not None:
                self.screen.post_message(ScanReceived(decision.scan))
                return
            if decision.hold or decision.release:
                self._replay(decision.release)
                return
        self._replayed.discard(id(event))
        await super().on_event(event)

    def _release_held_keys(self) -> None:
        self._replay(self.wedge.flush(time.monotonic()).release)

    def _replay(self, keys: tuple[tuple[str | None, str], ...]) -> None:
        for character, key in keys:
            replayed = events.Key(key, character)
            self._replayed.add(id(replayed))
            self.post_message(replayed)

    def check_inactivity(self) -> None:
        """Warn, then wipe the visit and sign staff out, when nobody has touched the kiosk for the configured time."""
        at_rest = len(self.screen_stack) == 1 and not isinstance(self.screen, IdleWarning)
        if at_rest and self.visit == Visit() and self.staff is None:
            return
        session = self.services.settings.session
        idle = self.clock() - self._last_activity
        left = self.idle_timeout() - idle
        if left <= 0:
            self.staff = None
            if self.visit.elderly:
                self.say(PROMPTS["wiped"])
            self.end_visit()
        elif left <= session.idle_warning_seconds:
            if isinstance(self.screen, IdleWarning):
                self.screen.seconds_left = int(left + 0.999)
            else:
                if self.visit.elderly:
                    self.say(PROMPTS["idle_warning"])
                self.push_screen(IdleWarning(int(left + 0.999)), self._kept)

    def _kept(self, _: bool | None) -> None:
        self._last_activity = self.clock()

    def on_end_visit(self, _: EndVisit) -> None:
        self.end_visit()

    def end_visit(self, keep_language: bool = False) -> None:
        """Forget the visitor: every screen they saw is closed, and the next person starts afresh (in the same
        language if ``keep_language``). A card left on the reader is called for, on screen and aloud."""
        card_left = self.card_present and self.visit.applicant is not None and self.visit.applicant.source == "card"
        language = self.visit.language
        self.visit = Visit(language=self.visit.language) if keep_language else Visit()
        self.apply_theme()
        self.clear_notifications()
        while len(self.screen_stack) > 1:
            self.pop_screen()
        self._last_activity = self.clock()
        self.refresh_sync_status()
        if card_left:
            self._remind_card(language)

    def _remind_card(self, language: str) -> None:
        reminder = translator(language)(PROMPTS["take_card"])
        self.speaker.say(reminder, language)
        self.notify(reminder, severity="warning", timeout=30)
        self._card_reminder = reminder

    def on__card_taken(self, _: _CardTaken) -> None:
        """The card left on the reader was taken: its reminder has done its job."""
        if self._card_reminder is None:
            return
        for notification in list(self._notifications):
            if notification.message == self._card_reminder:
                del self._notifications[notification]
        self._card_reminder = None
        self.show_notices()

    # Technician mode -------------------------------------------------------------------------------------

    def action_chord_start(self) -> None:
        self._chord_started = self.clock()

    def action_chord_end(self) -> None:
        started, self._chord_started = self._chord_started, None
        if started is not None and self.clock() - started <= self.CHORD_SECONDS:
            self.open_technician_mode()

    def open_technician_mode(self) -> None:
        if isinstance(self.screen, TechnicianScreen | PinPrompt):
            return
        access = self.services.settings.access
        if not access.technician_pin_hash:
            self.notify(self._("未设置技术员密码：请在本机运行 kiosk pin technician"), severity="warning", timeout=10)
            return

        def opened(ok: bool | None) -> None:
            if ok:
                log.info("technician mode opened")
                self.end_visit(keep_language=True)  # a session of its own, in the standard look
                self.push_screen(TechnicianScreen())

        check = technician_check(access, self.technician_gate)
        self.push_screen(PinPrompt(_("技术员登录：请输入技术员密码"), check), opened)

    # Staff-assisted filing ------------------------------------------------------------------------------

    def sign_in_staff(self) -> None:
        """Ask for a staff PIN (a scanned staff badge signs in too, from the welcome screen)."""
        found: list[Agent] = []

        def check(pin: str) -> str | None:  # run by the prompt off the UI thread: scrypt takes a moment
            def matches() -> bool:
                if agent := self.services.staff_by_pin(pin):
                    found.append(agent)
                return agent is not None

            return self.staff_gate.attempt(matches)

        def done(ok: bool | None) -> None:
            if ok and found:
                self.staff_signed_in(found[-1])

        self.push_screen(PinPrompt(_("工作人员登录：请输入代办员密码"), check), done)

    def staff_signed_in(self, agent: Agent) -> None:
        log.info("staff %s signed in", agent.id)
        self.staff = agent
        self._last_activity = self.clock()
        self.notify(self._("{agent} 已登录代办", agent=agent.label), timeout=5)
        self.push_screen(StaffDesk())

    def sign_out_staff(self) -> None:
        if self.staff is not None:
            log.info("staff %s signed out", self.staff.id)
        self.staff = None
        self.end_visit()

    # Demo keys ------------------------------------------------------------------------------------------

    def _demo_keys(self) -> list[tuple[str, str, str]]:
        today = self.services.today()
        keys = [("f1", "demo_help", _("显示本帮助"))]
        for n, card in enumerate(DEMO_CARDS):
            age = age_on(card.birth_date, today)
            keys.append(
                (f"f{n + 2}", f"demo_card({n})", _("放上样例身份证：{name}（{age}岁）", name=card.name, age=age))
            )
        n = len(DEMO_CARDS) + 2
        keys += [
            (f"f{n}", "demo_lift", _("拿走身份证")),
            (f"f{n + 1}", "demo_scan", _("扫描最近一张回执的二维码")),
            (f"f{n + 2}", "demo_scan_garbled", _("扫描一个无法识别的码")),
            (f"f{n + 3}", "demo_technician", _("技术员模式（同 Ctrl+T、Ctrl+K；演示密码 123456）")),
            (f"f{n + 4}", "demo_toggle_hall", _("停止 / 重新启动本地大厅（看离线与补传）")),
            (f"f{n + 5}", "demo_advance_case", _("大厅工作人员把最近一件推进到下一步")),
            (f"f{n + 6}", "demo_staff_badge", _("扫描代办员工牌（李代办；或点「工作人员代办」输入密码 2468）")),
            ("ctrl+q", "quit", _("退出演示（正式运行时没有退出键）")),
        ]
        return keys

    def action_demo_help(self) -> None:
        if not isinstance(self.screen, DemoHelp):
            keys = [(key.upper(), self._(what)) for key, _action, what in self._demo_keys()]
            self.push_screen(DemoHelp(keys, self._("数据和回执文件夹：{path}", path=str(self.services.data_dir))))

    def action_demo_card(self, index: int) -> None:
        if simulator := self.services.devices.card_simulator:
            simulator.present(DEMO_CARDS[index])

    def action_demo_lift(self) -> None:
        if simulator := self.services.devices.card_simulator:
            simulator.lift()

    def action_demo_scan(self) -> None:
        if simulator := self.services.devices.scanner_simulator:
            last = self.visit.saved.serial if self.visit.saved else self.services.store.last_serial()
            simulator.scan(last or "DEMO01-261122-0001-D")

    def action_demo_scan_garbled(self) -> None:
        if simulator := self.services.devices.scanner_simulator:
            simulator.send_raw(b"]Q1\xff\xfe#@!\r\n")

    def action_demo_technician(self) -> None:
        self.open_technician_mode()

    def action_demo_staff_badge(self) -> None:
        if simulator := self.services.devices.scanner_simulator:
            simulator.scan(DEMO_STAFF[3])

    @work(thread=True, exclusive=True, group="demo-hall", exit_on_error=False)
    def action_demo_toggle_hall(self) -> None:
        hall = self.demo_hall
        if hall is None:
            return
        if hall.running:
            hall.stop()
            self.call_from_thread(self.notify, self._("本地大厅已停止：新的申请会保存在本机，等大厅恢复后自动补传"))
        else:
            hall.start()
            self.call_from_thread(self.notify, self._("本地大厅已重新启动：本机会在下次探测时自动补传"))

    @work(thread=True, exclusive=True, group="demo-hall", exit_on_error=False)
    def action_demo_advance_case(self) -> None:
        serial = self.services.store.last_serial()
        if self.demo_hall is None or serial is None:
            return
        try:
            case = self.demo_hall.storage.advance(serial, "演示：工作人员办理")
        except Exception as exc:  # not yet received, or already at the last stage: say so, keep the demo going
            self.call_from_thread(
                self.notify,
                self._("大厅未能推进 {serial}：{problem}", serial=serial, problem=str(exc)),
                severity="warning",
            )
            return
        self.call_from_thread(
            self.notify,
            self._("大厅已将 {serial} 推进到「{stage}」，本机稍后同步进度", serial=serial, stage=_(case.stage)),
        )


def make_app(
    services: KioskServices,
    demo: bool = False,
    clock: Callable[[], float] = time.monotonic,
    demo_hall: HallServer | None = None,
    speaker: Speaker | None = None,
) -> KioskApp:
    """The one factory for the CLI and the tests."""
    return KioskApp(services, demo=demo, clock=clock, demo_hall=demo_hall, speaker=speaker)
