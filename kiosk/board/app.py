"""The display board's Textual app: owns the polling thread (starts it on mount, closes it on unmount) and hands
each poll to the board's screen as a message.

    >>> make_board_app(HallBoard(url, token, station), poll_seconds=2.0).run()
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import ClassVar

from textual.app import App
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.message import Message

from config.i18n import _
from kiosk.board.hall import BoardPoll, BoardPoller, Source
from screens.board import BoardScreen

STYLESHEET = Path(__file__).parent.parent.parent / "screens" / "board.tcss"


class BoardApp(App, inherit_bindings=False):
    """The board: no command palette; Ctrl+Q closes it (it runs unattended, a technician starts and stops it)."""

    CSS_PATH = STYLESHEET
    BINDINGS: ClassVar[list[BindingType]] = [Binding("ctrl+q", "quit", show=False)]
    ENABLE_COMMAND_PALETTE = False

    class Polled(Message):
        """The poller's news, posted from its thread."""

        def __init__(self, poll: BoardPoll) -> None:
            super().__init__()
            self.poll = poll

    def __init__(self, source: Source, poll_seconds: float, title: str, clock: Callable[[], datetime]) -> None:
        super().__init__()
        self.board = BoardScreen(title)
        self._poller = BoardPoller(source, lambda poll: self.post_message(self.Polled(poll)), poll_seconds, clock)

    async def on_mount(self) -> None:
        await self.push_screen(self.board)  # composed before the first poll can arrive to be drawn on it
        self._poller.start()

    def on_unmount(self) -> None:
        self._poller.close()

    async def on_board_app_polled(self, message: Polled) -> None:
        try:
            await self.board.show(message.poll)
        except NoMatches:
            if self.is_running:
                raise
            # else a poll that reached the board while the app shut down: its widgets were going away


def make_board_app(
    source: Source,
    poll_seconds: float = 2.0,
    title: str = "",
    clock: Callable[[], datetime] = datetime.now,
) -> BoardApp:
    """The board reading ``source`` every ``poll_seconds``; the one factory of the CLI and the tests."""
    return BoardApp(source, poll_seconds, title or _("叫号信息 · 请留意您的号码"), clock)
