from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.containers import Grid, Horizontal, Vertical
from textual.widgets import Button, Static

from config.i18n import _
from kiosk.evaluation import BAD_LEVELS, BAD_REVIEW_REASONS, LEVELS
from kiosk.services import AlreadyRated, CacheError, StoredSubmission
from screens.base import KioskScreen


class EvaluateScreen(KioskScreen):
    """好差评: five levels, all alike in size, colour and order, none preselected; skipping is fine."""

    TITLE = _("服务评价")
    STEP = "evaluate"
    AUTO_FOCUS = None  # a focused level would stand out from the others

    def __init__(self, saved: StoredSubmission) -> None:
        super().__init__()
        self.saved = saved
        self.stars = 0

    def compose_body(self) -> ComposeResult:
        with Vertical(id="evaluate"):
            yield Static(self._("请为本次办理的服务评价（{item}）", item=self.saved.item_name), id="evaluate-title")
            with Horizontal(id="levels"):
                for level in LEVELS:
                    label = self._(level.label)
                    yield Button(f"{label}\n{'★' * level.stars}", id=f"level-{level.stars}", classes="level")
            with Vertical(id="bad-review"):
                yield Static(id="reason-prompt")
                with Grid(id="reasons"):
                    for n, reason in enumerate(BAD_REVIEW_REASONS):
                        yield Button(self._(reason), id=f"reason-{n}", classes="reason", name=reason)
            yield Static(id="evaluate-state")
        with Horizontal(classes="actions"):
            yield Button(self._("不评价，返回首页"), id="skip", classes="back")

    @on(Button.Pressed, ".level")
    def rate(self, event: Button.Pressed) -> None:
        self.stars = int(event.button.id.removeprefix("level-"))
        if self.stars in BAD_LEVELS:  # the 好差评 rules ask a bad review for its reason, for the follow-up
            level = next(level for level in LEVELS if level.stars == self.stars)
            self.query_one("#levels").display = False  # chosen: the reasons take its place
            self.query_one("#reason-prompt", Static).update(
                self._("您选择了「{level}」。很抱歉让您不满意，请点一项主要原因，我们会跟进改进：", level=level.label)
            )
            self.query_one("#bad-review").display = True
            return
        self.save(self.stars, "")

    @on(Button.Pressed, ".reason")
    def give_reason(self, event: Button.Pressed) -> None:
        self.save(self.stars, event.button.name)

    def save(self, stars: int, reason: str) -> None:
        for button in self.query(".level, .reason").results(Button):
            button.disabled = True
        self._save(stars, reason)

    @work(thread=True, exclusive=True, group="rate", exit_on_error=False)
    def _save(self, stars: int, reason: str) -> None:
        try:
            self.services.rate(self.saved, stars, reason)
        except AlreadyRated as exc:
            self.app.call_from_thread(self._finish, self._(exc))
        except CacheError as exc:
            self.app.call_from_thread(self._finish, self._("评价未能保存：{problem}", problem=exc))
        else:
            self.app.call_from_thread(self._finish, self._("感谢您的评价！"))

    def job_failed(self, group: str) -> bool:
        self._finish(
            self._(
                "评价暂时未能保存，请到窗口或拨打 {hotline} 评价，谢谢您。",
                hotline=self.services.settings.station.hotline,
            )
        )
        return group == "rate"

    def _finish(self, text: str) -> None:
        self.query_one("#evaluate-state", Static).update(text)
        self.query_one("#skip", Button).label = self._("返回首页")
        self.set_timer(3, self.go_home)

    @on(Button.Pressed, "#skip")
    def skip(self) -> None:
        self.go_home()
