from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from kiosk.services import CacheError
from kiosk.session import DELIVERY_LABELS
from kiosk.staff import CONSENT_TEXT
from screens.base import KioskScreen
from screens.done import DoneScreen


class ReviewScreen(KioskScreen):
    """Everything the resident is about to submit, one last time, then the commit."""

    TITLE = "核对提交"
    STEP = "review"

    def compose_body(self) -> ComposeResult:
        app = self.visit.application
        lines = [
            f"事项：{app.item.name}（{app.item.code}）",
            f"申请人：{app.applicant.masked_name}　{app.applicant.masked_number}",
            *(f"{label}：{value}" for label, value in app.answers_for_display()),
            "已带材料：" + ("、".join(sorted(app.materials)) or "无"),
            f"取件方式：{DELIVERY_LABELS[app.delivery]}",
            f"办理时限：{app.item.time_limit_label}",
        ]
        with VerticalScroll(id="review"):
            yield Static("\n".join(lines), markup=False)
            if decision := app.decision(self.services.today()):
                yield Static(f"秒批结果：{decision[1]}", id="decision")
        if agent := self.app.staff:
            yield Static(f"代办人：{agent.label}。请当面向申请人读出以上内容，经本人同意后勾选：", id="agent-note")
            yield Checkbox(CONSENT_TEXT, id="consent")
        yield Static(id="review-error", classes="error")
        with Horizontal(classes="actions"):
            yield Button("返回修改", id="back", classes="back")
            yield Button("确认提交", id="confirm", classes="primary")

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#confirm")
    def confirm(self) -> None:
        application = self.visit.application
        if agent := self.app.staff:
            if not self.query_one("#consent", Checkbox).value:
                self.query_one("#review-error", Static).update(f"⚠ 代办须经申请人当面同意：请勾选「{CONSENT_TEXT}」")
                return
            application.file_on_behalf(agent, consent_at=self.services.now())
        else:
            application.agent = application.consent_at = None  # staff signed out meanwhile: the resident files
        self.query_one("#confirm", Button).disabled = True
        self.query_one("#review-error", Static).update("正在保存，请稍候…")
        self.save()

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save(self) -> None:
        try:
            saved = self.services.submit(self.visit.application)
        except CacheError as exc:
            self.app.call_from_thread(self._failed, str(exc))
            return
        self.app.call_from_thread(self._saved, saved)

    def _failed(self, message: str) -> None:
        self.query_one("#review-error", Static).update(f"⚠ {message}")
        self.query_one("#confirm", Button).disabled = False

    def _saved(self, saved) -> None:
        self.visit.saved = saved
        self.app.refresh_sync_status()
        self.app.switch_screen(DoneScreen())
