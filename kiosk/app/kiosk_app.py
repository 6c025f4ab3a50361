"""The kiosk's Textual app: the visit, the devices' news for the screens, the privacy wipe, crashes and notices.

Staff sign-in and the technician's mode are :mod:`kiosk.app.access`; the demo's keys are :mod:`kiosk.app.demo`.
"""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from textual import events, work
from textual.app import App, ScreenStackError
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
from devices.scanner.framing import WedgeDetector
from devices.speaker import Speaker
from kiosk.app.access import StaffAndTechnician
from kiosk.app.demo import DemoKeys
from kiosk.application import Applicant, Visit
from kiosk.demo import demo_keys
from kiosk.failures import log_failure, note_crash, take_crash_note
from kiosk.pin import PinGate
from kiosk.prompts import PROMPTS
from kiosk.services import KioskServices
from kiosk.staff import Agent
from screens.crash_notice import CrashNotice
from screens.idle_warning import IdleWarning
from screens.messages import CardRead, CardUnreadable, EndVisit, ReaderStatus, ScanReceived, SyncStatusChanged
from screens.welcome import WelcomeScreen
from screens.widgets.notice_bar import NoticeBar

if TYPE_CHECKING:
    from kiosk.demo import DemoHall

log = logging.getLogger(__name__)
CRASH_EXIT = 70  # EX_SOFTWARE: the UI stopped on a failure of our own and is to be started again
SCREENS = Path(__file__).parent.parent.parent / "screens"
STYLESHEETS = [SCREENS / "kiosk.tcss", SCREENS / "technician.tcss", SCREENS / "elderly.tcss"]


class _ToScreen(Message):
    """Carries a message from a device thread to whichever screen is current when it arrives."""

    def __init__(self, inner: Message) -> None:
        super().__init__()
        self.inner = inner


class _CardTaken(Message):
    """The card left on the reader was lifted off it (or another placed in its stead)."""


class KioskApp(StaffAndTechnician, DemoKeys, App, inherit_bindings=False):
    """The kiosk. Residents get no command palette and no quit key; the demo adds its F-keys."""

    CSS_PATH = STYLESHEETS
    BINDINGS = StaffAndTechnician.CHORD_BINDINGS  # and nothing of App's own: no quit key, no palette key
    ENABLE_COMMAND_PALETTE = False
    TITLE = "政务服务自助终端"

    def __init__(
        self,
        services: KioskServices,
        demo: bool = False,
        clock: Callable[[], float] = time.monotonic,
        demo_hall: DemoHall | None = None,
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
        self.staff_gate = PinGate(access.max_tries, access.lockout_seconds, clock, services.pin_record("staff"))
        self.technician_gate = PinGate(
            access.max_tries, access.lockout_seconds, clock, services.pin_record("technician")
        )
        self._last_activity = clock()
        self.wedge = WedgeDetector() if services.settings.devices.wedge_scanner else None
        self._replayed: set[int] = set()  # keys the wedge detector held back, handed on as typing
        self.crashed = False
        self._forget_finished_workers()
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
        self.services.devices.start(self._device_event)  # threads that open their ports and wait: cheap
        self.set_interval(1, self.check_inactivity)
        if self.wedge is not None:
            self.set_interval(0.02, self._release_held_keys)
        if self.demo:
            for key in demo_keys(self.services.today()):
                self.bind(key.key, key.action, show=False)
        self.apply_theme()
        if (language := take_crash_note(self.services.data_dir)) is not None:
            self.set_language(language if language in LANGUAGES else self.visit.language)
            self.push_screen(CrashNotice(), lambda _: self.end_visit())
        # The sync's thread (it loads the HTTP client), the translation catalogs and the demo's hall after the first
        # frame: the welcome screen waits for none of them, and their work would otherwise take turns with drawing it.
        self.call_after_refresh(self._start_background)

    def _start_background(self) -> None:
        self.services.sync.on_status = lambda status: self.post_message(_ToScreen(SyncStatusChanged(status)))
        self.services.sync.start()
        self.load_languages()
        if self.demo_hall is not None:
            self.start_demo_hall()

    @work(thread=True, exclusive=True, group="demo-hall", exit_on_error=False)
    def start_demo_hall(self) -> None:
        """The demo's hall, and this kiosk enrolled with it; then the sync goes to it at once."""
        self.demo_hall.start()
        self.services.sync.wake()

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

    # A failure of our own ----------------------------------------------------------------------------------

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

    def _forget_finished_workers(self) -> None:
        """A finished worker lets go of its job (the method, its screen, its arguments). Textual leaves each worker
        marked active in the contexts its thread's callbacks ran in, and timers started there keep those contexts,
        so a job's screen (a resident's typed answers, their application, a PIN) outlived the visit's wipe."""
        manager = self.workers
        remove = manager._remove_worker  # Textual's callback for a worker's task being done

        def forget(worker: Worker) -> None:
            remove(worker)
            worker._work = None  # the method bound to its screen, with its arguments

        manager._remove_worker = forget

    def job_failed(self, where: str, worker: Worker) -> None:
        """A background job failed with an exception nobody expected: the technician finds it in the log."""
        log_failure(log, f"{where}: job {worker.group!r} failed", worker.error)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is WorkerState.ERROR:  # the app's own jobs: a language preload, a status count, the demo
            self.job_failed(type(self).__name__, event.worker)

    # Elderly mode and the high-contrast theme ------------------------------------------------------------

    def apply_theme(self) -> None:
        elderly = self.visit.elderly
        contrast = elderly or self.visit.high_contrast or self.services.settings.accessibility.high_contrast
        if (self.has_class("elderly"), self.has_class("high-contrast")) == (elderly, contrast):
            return  # as it is (the standard look at start): not the whole stylesheet parsed again
        self.set_class(elderly, "elderly")
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
        """Read the translation catalogs now, not when a resident presses English. Not OpenCC's phrase dictionary
        for traditional characters (45 MB, 0.1 s): what the catalogs lack (a name, an item the hall added) is
        converted with it, loaded on the first such text of the first traditional visit."""
        for language in LANGUAGES:
            translator(language)
        to_simplified("中")  # the search's traditional-to-simplified table is small (3 MB)

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


def make_app(
    services: KioskServices,
    demo: bool = False,
    clock: Callable[[], float] = time.monotonic,
    demo_hall: DemoHall | None = None,
    speaker: Speaker | None = None,
) -> KioskApp:
    """The one factory for the CLI and the tests."""
    return KioskApp(services, demo=demo, clock=clock, demo_hall=demo_hall, speaker=speaker)
