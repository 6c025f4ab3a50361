"""The waiting area's display board: the numbers called and their windows in large digits, the next few, people
waiting per category, and while the hall is out of reach the last line it gave, "截至 HH:MM，正在重新连接"."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Digits, Static

from config.i18n import _
from kiosk.board.hall import BoardPoll, BoardState, Shown
from kiosk.queue import CATEGORIES

CALLS_SHOWN = 3  # windows in large type; more would not fit a waiting-area screen legibly
DIGIT_CHARACTERS = set("0123456789ABCDEF")  # what Digits draws of a ticket code or window label
_NAMES = {category.letter: category.name for category in CATEGORIES}


class BoardScreen(Screen):
    """Passive: :meth:`show` draws each poll the app hands it."""

    def __init__(self, title: str) -> None:
        super().__init__()
        self.title_text = title
        self._state: BoardState | None = None

    def compose(self) -> ComposeResult:
        yield Static(self.title_text, id="board-title")
        yield Vertical(Static(_("暂无叫号"), classes="board-empty"), id="called")
        yield Static(id="next")
        yield Static(id="waiting")
        yield Static(_("正在连接大厅…"), id="board-status")

    async def show(self, poll: BoardPoll) -> None:
        """Draw ``poll``: redraw the line when it changed, and say whether it is live."""
        status = self.query_one("#board-status", Static)
        if poll.online and poll.as_of is not None:
            status.update(_("{time} 更新", time=poll.as_of.strftime("%H:%M:%S")))
        elif poll.as_of is not None:
            status.update(_("截至 {time}，正在重新连接", time=poll.as_of.strftime("%H:%M")))
        else:
            status.update(_("正在连接大厅…（{problem}）", problem=poll.problem))
        status.set_class(not poll.online, "offline")
        if poll.state is None or poll.state == self._state:
            return
        before, self._state = self._state, poll.state
        if before is None or before.called != poll.state.called:
            await self._draw_calls(poll.state.called[:CALLS_SHOWN])
            if before is not None and poll.state.called and poll.state.called[0] not in before.called:
                self.app.bell()  # a new call (or a recall): heads turn to the board
        self.query_one("#next", Static).update(_next_line(poll.state))
        self.query_one("#waiting", Static).update(_waiting_line(poll.state))

    async def _draw_calls(self, called: tuple[Shown, ...]) -> None:
        box = self.query_one("#called", Vertical)
        await box.remove_children()
        if not called:
            await box.mount(Static(_("暂无叫号"), classes="board-empty"))
            return
        rows = []
        for n, ticket in enumerate(called):
            row = Horizontal(
                _large(ticket.code, "call-code"),
                Static(_("请到"), classes="call-words"),
                _large(ticket.window, "call-window"),
                Static(_("号窗口{mark}", mark=_marks(ticket)), classes="call-words"),
                classes="call-row latest" if n == 0 else "call-row",
            )
            rows.append(row)
        await box.mount_all(rows)


def _large(text: str, classes: str) -> Widget:
    """``text`` in large digits when Digits can draw it, else in bold."""
    if set(text) <= DIGIT_CHARACTERS:
        return Digits(text, classes=classes)
    return Static(text, classes=f"{classes} call-text")


def _marks(ticket: Shown) -> str:
    marks = [str(mark) for mark, wanted in ((_("预约"), ticket.appointment), (_("优先"), ticket.priority)) if wanted]
    return f"（{'，'.join(marks)}）" if marks else ""


def _next_line(state: BoardState) -> str:
    if not state.next:
        return _("下一位：无人等候")
    codes = "  ".join(f"{t.code}{_marks(t)}" for t in state.next)
    return _("下一位：{codes}", codes=codes)


def _waiting_line(state: BoardState) -> str:
    parts = [f"{letter} {_NAMES.get(letter, '')} {count}" for letter, count in state.waiting]
    return _("等候人数：{parts}", parts="　".join(parts) or "0")
