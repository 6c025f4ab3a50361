from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Static

from kiosk.catalog import ServiceItem
from kiosk.session import DELIVERY_LABELS, Applicant, Application
from screens.apply import ApplyScreen
from screens.base import KioskScreen
from screens.identify import IdentifyScreen


def guide_text(item: ServiceItem, members: list[ServiceItem]) -> str:
    """Every element of the item's guide (办事指南), as console markup-free text."""
    who = "个人" if item.applicant == "person" else "单位"
    lines = [
        f"事项编码　{item.code}　　办理类型　{item.kind.value}　　申请主体　{who}",
        f"实施部门　{item.department}",
    ]
    if members:
        lines.append("一件事包含　" + "、".join(m.name for m in members))
    lines += ["", "【申请对象】", item.who_may_apply, "", "【受理条件】"]
    lines += [f"{n}. {c}" for n, c in enumerate(item.conditions, 1)]
    lines += ["", "【申请材料】"]
    lines += [
        f"{n}. {m.name}（{m.form}{f' {m.copies}份' if m.copies > 1 else ''}，{m.reuse.label}）"
        + (f" {m.note}" if m.note else "")
        for n, m in enumerate(item.materials, 1)
    ] or ["无需提交材料"]
    lines += [
        "",
        "【办理流程】",
        " → ".join(item.procedure),
        "",
        "【办理时限】",
        f"承诺时限：{item.time_limit_label}　　法定时限：{item.legal_days}个工作日",
        "",
        "【收费】",
        f"{item.fee.amount}（依据：{item.fee.basis}）",
        "",
        "【设定依据】",
        *item.legal_basis,
        "",
        "【办理地点与时间】",
        item.place,
        item.hours,
        "",
        "【结果领取】",
        "、".join(DELIVERY_LABELS[d] for d in item.delivery),
        "",
        "【咨询与投诉】",
        f"咨询电话：{item.phone}　　投诉电话：{item.complaint_phone}",
    ]
    if item.online_url:
        lines += ["", f"网上办理：{item.online_url}"]
    return "\n".join(lines)


class GuideScreen(KioskScreen):
    """The complete guide of one item, with the way to apply for it."""

    TITLE = "办事指南"

    def __init__(self, item: ServiceItem) -> None:
        super().__init__()
        self.item = item

    def compose_body(self) -> ComposeResult:
        yield Static(self.item.name, id="item-name")
        with VerticalScroll(id="guide"):
            yield Static(guide_text(self.item, self.services.catalog.members_of(self.item)), markup=False)
        with Horizontal(classes="actions"):
            yield Button("返回", id="back", classes="back")
            yield Button("我要办理", id="start", classes="primary")

    @on(Button.Pressed, "#back")
    def back(self) -> None:
        self.dismiss()

    @on(Button.Pressed, "#start")
    def start(self) -> None:
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
            self.notify(reason, title="暂不能办理", severity="warning", timeout=12)
            return
        self.visit.application = application
        self.app.push_screen(ApplyScreen())
