from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Checkbox, Static

from config.i18n import _
from kiosk.application import DELIVERY_LABELS
from kiosk.identity import mask_phone
from kiosk.services import CacheError
from kiosk.staff import CONSENT_TEXT
from screens.base import KioskScreen
from screens.done import DoneScreen
from screens.widgets.paged import Paged


class ReviewScreen(KioskScreen):
    """Everything the resident is about to submit, one last time, then the commit."""

    TITLE = _("核对提交")
    STEP = "review"

    def compose_body(self) -> ComposeResult:
        app = self.visit.application
        join = self.kiosk.translator.join
        materials = join(self.content(m) for m in sorted(app.materials))
        lines = [
            self._("事项：{item}（{code}）", item=app.item.name, code=app.item.code),
            self._("申请人：{name}　{number}", name=app.applicant.masked_name, number=app.applicant.masked_number),
            *(self._("{label}：{value}", label=label, value=value) for label, value in app.answers_for_display()),
            self._("已带材料：{materials}", materials=materials or _("无")),
        ]
        if app.reused:
            reused = join(self.content(m) for m in sorted(app.reused))
            lines.append(self._("已存档复用：{materials}（无需再交）", materials=reused))
        if posted := app.materials_to_post:
            lines.append(
                self._(
                    "邮寄材料：{materials}（提交后打印邮寄单，免费寄出）",
                    materials=join(self.content(m.name) for m in posted),
                )
            )
        lines.append(self._("取件方式：{delivery}", delivery=DELIVERY_LABELS[app.delivery]))
        if app.delivery == "mail":
            lines.append(
                self._("邮寄到：{address}（{phone}）", address=app.mail_address, phone=mask_phone(app.mail_phone))
            )
        lines.append(self._("办理时限：{limit}", limit=app.item.time_limit_label))
        fee = app.item.fee
        lines.append(
            self._("收费：不收费")
            if fee.free
            else self._("收费：{amount}（{basis}）", amount=fee.amount, basis=fee.basis)
        )
        missing = app.missing_materials
        with Paged(self._("上一页"), self._("下一页")), VerticalScroll(id="review"):
            yield Static("\n".join(lines), markup=False)
            if missing:
                yield Static(self._missing_text(), id="missing", markup=False)
            elif decision := app.decision(self.services.today()):
                yield Static(self._("秒批结果：{decision}", decision=decision[1]), id="decision")
        if agent := self.kiosk.staff:
            yield Static(
                self._("代办人：{agent}。请当面向申请人读出以上内容，经本人同意后勾选：", agent=agent.label),
                id="agent-note",
            )
            yield Checkbox(self._(CONSENT_TEXT), id="consent")
        yield Static(id="review-error", classes="error")
        with Horizontal(classes="actions"):
            yield Button(self._("返回修改"), id="back", classes="back")
            if missing:
                yield Button(self._("缺材料，先提交"), id="confirm-pending")
                yield Button(self._("都带了，确认提交"), id="confirm-all", classes="primary")
            else:
                yield Button(self._("确认提交"), id="confirm", classes="primary")

    def _missing_text(self) -> str:
        """Everything still missing, at once (一次性告知), and what filing without it means."""
        app = self.visit.application
        lines = [self._("⚠ 以下材料您还没有勾选：")]
        for material in app.missing_materials:
            lines.append("  · " + self._("{name}（{form}）", name=material.name, form=material.form))
        lines.append(self._("带了请点「都带了，确认提交」；没带也可以先提交，材料待补，回执上会列出，补齐后交到窗口。"))
        if app.item.instant is not None:
            lines.append(self._("材料齐全才能即时办结：先提交的，补齐材料后由窗口办理。"))
        return "\n".join(lines)

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#confirm-all")
    def confirm_all(self) -> None:
        """The resident has every material she needs with her: as if each were ticked."""
        application = self.visit.application
        application.materials = {m.name for m in application.applicable_materials}
        self.confirm()

    @on(Button.Pressed, "#confirm, #confirm-pending")
    def confirm(self) -> None:
        application = self.visit.application
        if agent := self.kiosk.staff:
            if not self.query_one("#consent", Checkbox).value:
                self.query_one("#review-error", Static).update(
                    self._("⚠ 代办须经申请人当面同意：请勾选「{consent}」", consent=CONSENT_TEXT)
                )
                return
            application.file_on_behalf(agent, consent_at=self.services.now())
        else:
            application.agent = application.consent_at = None  # staff signed out meanwhile: the resident files
        for button in self.query(".actions Button").results(Button):
            button.disabled = True
        self.query_one("#review-error", Static).update(self._("正在保存，请稍候…"))
        self.save()

    @work(thread=True, exclusive=True, group="save", exit_on_error=False)
    def save(self) -> None:
        try:
            saved = self.services.submit(self.visit.application)
        except CacheError as exc:
            self.app.call_from_thread(self._failed, self._(exc))
            return
        self.app.call_from_thread(self._saved, saved)

    def job_failed(self, group: str) -> bool:
        # The failure may have come after the commit: a second press could file twice. Staff see today's filings.
        self.query_one("#review-error", Static).update(
            self._("⚠ 保存时出了问题，申请可能已经保存。请不要再次提交，请工作人员在代办台帮您查看今天的提交。")
        )
        self.query_one("#back", Button).disabled = False
        return group == "save"

    def _failed(self, message: str) -> None:
        self.query_one("#review-error", Static).update(f"⚠ {message}")
        for button in self.query(".actions Button").results(Button):
            button.disabled = False

    def _saved(self, saved) -> None:
        self.visit.saved = saved
        self.kiosk.refresh_sync_status()
        self.app.switch_screen(DoneScreen())
