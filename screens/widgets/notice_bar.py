"""The kiosk's notifications, in a bar of their own under the status bar.

Textual's toasts float over the screen: they cover the buttons at the bottom, and where a toast's text crosses
the edge of a widget beneath it, a wide (Chinese) character can be lost. The bar takes its own rows instead, so
nothing is covered and every character is drawn.
"""

from __future__ import annotations

from collections.abc import Iterable

from textual.app import ComposeResult
from textual.containers import Vertical
from textual.notifications import Notification
from textual.widgets import Static

_MARK = {"information": "ℹ", "warning": "⚠", "error": "⚠"}


class NoticeBar(Vertical):
    """Shows the notifications that have not yet expired, newest last; hidden when there are none."""

    def compose(self) -> ComposeResult:
        yield from ()

    def show(self, notices: Iterable[Notification]) -> None:
        self.remove_children()
        lines = [
            Static(
                f"{_MARK[n.severity]} {n.title} · {n.message}" if n.title else f"{_MARK[n.severity]} {n.message}",
                classes=f"notice -{n.severity}",
                markup=False,
            )
            for n in notices
        ]
        self.mount_all(lines[-3:])  # the newest few: older news has been read or overtaken
        self.display = bool(lines)
