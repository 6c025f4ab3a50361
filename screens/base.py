"""What every kiosk screen shares: the status bar, the visit, the services, its language and a way home."""

from __future__ import annotations

from typing import cast

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static
from textual.worker import Worker, WorkerState

from kiosk.application import Visit
from kiosk.elderly import step_of
from kiosk.prompts import PROMPTS
from kiosk.services import KioskServices
from screens.messages import EndVisit, SyncStatusChanged
from screens.shell import KioskShell
from screens.widgets.notice_bar import NoticeBar
from screens.widgets.status_bar import StatusBar
from screens.widgets.step_indicator import StepIndicator


class Translated:
    """Says its text in the visit's language: ``self._("…")`` for interface text (extracted by Babel like any
    ``_("…")``) and ``self.content(…)`` for the service catalog's own text. ``self.kiosk`` is the app, as far
    as a screen may ask of it."""

    @property
    def kiosk(self) -> KioskShell:
        return cast(KioskShell, self.app)

    def _(self, text: str | BaseException, /, **values) -> str:
        return self.kiosk.translator(text, **values)

    def content(self, text: str) -> str:
        return self.kiosk.translator.content(text)


class KioskScreen(Translated, Screen):
    """A full screen of the kiosk. Subclasses set ``TITLE`` and compose their body in ``compose_body``;
    ``STEP`` names the screen for elderly mode's spoken prompt and its "第 2 步，共 4 步"."""

    TITLE = ""
    STEP = ""

    @property
    def services(self) -> KioskServices:
        return self.kiosk.services

    @property
    def visit(self) -> Visit:
        return self.kiosk.visit

    def compose(self) -> ComposeResult:
        yield StatusBar(
            self.content(self.services.settings.station.name),
            self._(self.TITLE),
            self.kiosk.translator,
            self.services.now,
        )
        yield Static(id="staff-banner", markup=False)
        yield StepIndicator(id="step")
        yield NoticeBar(id="notices")
        yield from self.compose_body()

    def compose_body(self) -> ComposeResult:
        yield from ()

    def on_screen_resume(self) -> None:
        status = self.kiosk.sync_status
        self.on_sync_status_changed(status)
        self.kiosk.show_notices()
        self.show_staff()
        if self.visit.elderly:
            self.guide_elderly()

    def guide_elderly(self) -> None:
        """Elderly mode: say what to do here, and show which step of the application this is."""
        if prompt := PROMPTS.get(self.STEP):
            self.kiosk.say(prompt)
        indicator = self.query_one(StepIndicator)
        step = step_of(self.STEP)
        indicator.display = step is not None  # the welcome, queue and progress screens are not steps
        if step is not None:
            current, total, name = step
            indicator.set_step(
                current,
                total,
                self._("第 {current} 步，共 {total} 步 · {name}", current=current, total=total, name=name),
            )

    def show_staff(self) -> None:
        """The banner that says who is filing on the applicant's behalf, on every screen while staff is in."""
        banner = self.query_one("#staff-banner", Static)
        agent = self.kiosk.staff
        banner.display = agent is not None
        if agent is not None:
            banner.update(self._("代办模式 · 工作人员 {agent} 正在为申请人代办", agent=agent.label))

    def on_sync_status_changed(self, message: SyncStatusChanged) -> None:
        self.query_one(StatusBar).status = message.status

    def update_text(self, selector: str, text: str) -> None:
        """Set the text of the Static at ``selector``. On the UI thread: a worker calls it through
        ``self.app.call_from_thread``, never touching a widget itself."""
        self.query_one(selector, Static).update(text)

    def go_home(self) -> None:
        self.post_message(EndVisit())

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state is not WorkerState.ERROR:
            return
        if self.job_failed(event.worker.group):
            self.kiosk.job_failed(type(self).__name__, event.worker)
        else:
            self.kiosk.crash(event.worker.error, f"{type(self).__name__}: job {event.worker.group!r} failed")

    def job_failed(self, group: str) -> bool:
        """A job of this screen (a worker of ``group``) failed with an exception nobody expected. Tell the person
        what to do and make the screen usable again, and return True; the default, False, makes
        the failure a crash, since nothing here knows what state it left behind."""
        return False
