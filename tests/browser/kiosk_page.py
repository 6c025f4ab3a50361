"""The kiosk's page in a real browser, read the way its canvas was drawn.

The page draws on a canvas (xterm.js), so the text is not in the DOM. This helper feeds every byte the page
receives over its socket to a terminal emulator (pyte) of the same size, which says what the canvas shows and
where; taps go to those cells' pixels on the touch screen.
"""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlparse

import pyte
from playwright.sync_api import Page, WebSocket
from wcwidth import wcswidth


class KioskPage:
    def __init__(self, page: Page) -> None:
        self.page = page
        self.screen: pyte.Screen | None = None
        self.sockets = 0
        page.on("websocket", self._follow)
        page.on("framenavigated", lambda frame: self._forget() if frame == page.main_frame else None)

    def _forget(self) -> None:
        self.screen = None  # a new page: what the last one showed is gone

    def _follow(self, socket: WebSocket) -> None:
        query = parse_qs(urlparse(socket.url).query)
        screen = pyte.Screen(int(query["width"][0]), int(query["height"][0]))
        stream = pyte.ByteStream(screen)
        socket.on("framereceived", lambda payload: stream.feed(payload) if isinstance(payload, bytes) else None)
        self.screen, self.sockets = screen, self.sockets + 1

    @property
    def grid(self) -> tuple[int, int]:
        assert self.screen is not None, "the page has no kiosk session"
        return self.screen.columns, self.screen.lines

    def text(self) -> str:
        return "\n".join(self.screen.display) if self.screen else ""

    def wait_for(self, text: str, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never appeared on the page; it shows:\n{self.text()}")
            self.page.wait_for_timeout(100)  # lets Playwright deliver the socket's frames

    def wait_until_gone(self, text: str, timeout: float = 15) -> None:
        deadline = time.monotonic() + timeout
        while text in self.text():
            if time.monotonic() > deadline:
                raise AssertionError(f"{text!r} is still on the page:\n{self.text()}")
            self.page.wait_for_timeout(100)

    def cell_of(self, text: str, nth: int = 0) -> tuple[int, int]:
        """The (column, row) where the ``nth`` appearance of ``text`` starts."""
        hits = [(row, line) for row, line in enumerate(self.screen.display if self.screen else []) if text in line]
        if len(hits) <= nth:
            raise AssertionError(f"{text!r} is not on the page; it shows:\n{self.text()}")
        row, line = hits[nth]
        return wcswidth(line[: line.index(text)]), row

    def point_of(self, text: str, nth: int = 0) -> tuple[float, float]:
        """The pixel at the middle of ``text`` on the canvas."""
        column, row = self.cell_of(text, nth)
        box = self.page.locator(".xterm-screen").bounding_box()
        assert box is not None
        columns, rows = self.grid
        width, height = box["width"] / columns, box["height"] / rows
        return box["x"] + (column + wcswidth(text) / 2) * width, box["y"] + (row + 0.5) * height

    def tap(self, text: str, nth: int = 0) -> None:
        """Tap ``text`` once it is on the screen, as a person waits to see a button before touching it."""
        self.wait_for(text)
        self.page.touchscreen.tap(*self.point_of(text, nth))
