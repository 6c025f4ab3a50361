from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from config import faults
from config.i18n import Translator, _
from kiosk.application import Applicant, Application
from kiosk.catalog import ServiceItem
from kiosk.paper import guide_sections
from kiosk.services import NOTICE_FAILED, CacheError, PrintOutcome, StoredSubmission
from screens.apply import ApplyScreen
from screens.base import KioskScreen
from screens.identify import IdentifyScreen
from screens.progress import ProgressScreen
from screens.widgets.paged import Paged


def guide_text(item: ServiceItem, members: list[ServiceItem], tr: Translator) -> str:
    lines: list[str] = []
    for heading, body in guide_sections(item, members, tr):
        lines += ([tr(_("【{heading}】", heading=heading))] if heading else []) + body + [""]
    return "\n".join(lines).rstrip()


class GuideScreen(KioskScreen):
    """The complete guide of one item, with the way to apply for it."""

    TITLE = _("办事指南")
    STEP = "guide"

    def __init__(self, item: ServiceItem) -> None:
        super().__init__()
        self.item = item

    def compose_body(self) -> ComposeResult:
        yield Static(self.content(self.item.name), id="item-name")
        with Paged(self._("上一页"), self._("下一页")), VerticalScroll(id="guide"):
            members = self.services.catalog.members_of(self.item)
            yield Static(guide_text(self.item, members, self.kiosk.translator), markup=False)
        with Horizontal(classes="actions"):
            yield Button(self._("返回"), id="back", classes="back")
            yield Button(self._("打印告知单"), id="notice")
            yield Button(self._("我要办理"), id="start", classes="primary")

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#notice")
    def notice(self) -> None:
        self.query_one("#notice", Button).disabled = True
        self.print_notice()

    @work(thread=True, exclusive=True, group="print", exit_on_error=False)
    def print_notice(self) -> None:
        outcome = self.services.print_notice(self.item)
        self.app.call_from_thread(self._printed, outcome)

    def _printed(self, outcome: PrintOutcome) -> None:
        self.query_one("#notice", Button).disabled = False
        if outcome.printed:
            self.notify(self._("一次性告知单已打印，请取走"), timeout=6)
        else:
            self.notify(self._(outcome.message), title=self._("未能打印"), severity="warning", timeout=12)

    def job_failed(self, group: str) -> bool:
        if group == "print":
            self._printed(PrintOutcome(False, NOTICE_FAILED))
            return True
        return False

    @on(Button.Pressed, "#start")
    def start(self) -> None:
        faults.inject("apply")
        if self.visit.applicant is None:
            self.app.push_screen(IdentifyScreen(), self._identified)
        else:
            self._apply(self.visit.applicant)

    def _identified(self, applicant: Applicant | None) -> None:
        if applicant is not None:
            self.visit.applicant = applicant
            self._apply(applicant)

    def _apply(self, applicant: Applicant) -> None:
        application = Application(self.item, applicant)
        if reason := application.blocked_reason(self.services.today()):
            self.notify(self._(reason), title=self._("暂不能办理"), severity="warning", timeout=12)
            return
        self.query_one("#start", Button).disabled = True
        self.look_for_repeat(application)

    @work(thread=True, exclusive=True, group="repeat", exit_on_error=False)
    def look_for_repeat(self, application: Application) -> None:
        """A second filing of an open (or instantly granted) case is shown the first one instead."""
        try:
            existing = self.services.existing_case(application)
        except CacheError:
            existing = None  # the store will say what is wrong when the application is saved
        self.app.call_from_thread(self._start_or_show, application, existing)

    def _start_or_show(self, application: Application, existing: StoredSubmission | None) -> None:
        self.query_one("#start", Button).disabled = False
        if existing is None:
            self.visit.application = application
            self.app.push_screen(ApplyScreen())
            return
        self.notify(
            self._(
                "您已经申请过这个事项，流水号 {serial}，不用再次申请。下面是它的办理进度。",
                serial=existing.serial,
            ),
            title=self._("已有申请"),
            timeout=15,
        )
        self.app.push_screen(ProgressScreen(serial=existing.serial))
