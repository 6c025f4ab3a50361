"""Shown when the kiosk has started again after a failure of its own: calm words in the language of the visit
that was cut short, and nothing of that visit."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from config.i18n import _
from kiosk.prompts import PROMPTS
from screens.base import KioskScreen

SHOWN_SECONDS = 20


class CrashNotice(KioskScreen):
    """Dismisses itself after :data:`SHOWN_SECONDS`, or when touched."""

    TITLE = _("请稍候")

    def compose_body(self) -> ComposeResult:
        with Vertical(id="crash"):
            yield Static(self._("系统暂时出现问题，请稍候，或请工作人员帮助"), id="crash-title")
            yield Static(
                self._(
                    "本机已重新启动，刚才填写的内容已清除。已经提交的申请都保存着，凭流水号可以查询。"
                    "如需帮助，请找身边的工作人员或拨打 {hotline}。",
                    hotline=self.services.settings.station.hotline,
                ),
                id="crash-text",
            )
        with Horizontal(classes="actions"):
            yield Button(self._("返回首页"), id="home", classes="primary")

    def on_mount(self) -> None:
        self.kiosk.say(PROMPTS["restarted"])
        self.set_timer(SHOWN_SECONDS, self.home)

    @on(Button.Pressed, "#home")
    def home(self) -> None:
        if self.is_current:
            self.dismiss()
