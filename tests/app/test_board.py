"""The waiting area's display board against a real hall on loopback: the numbers called and their windows in large
digits, the next few and who waits, and the last line kept on screen while the hall is away."""

from __future__ import annotations

import re
from datetime import datetime

from rich.style import Style
from textual.renderables.digits import Digits as DigitGlyphs
from textual.widgets import Digits, Static

from kiosk.board.app import make_board_app
from kiosk.board.hall import HallBoard
from kiosk.cli import main
from kiosk.demo import demo_board, demo_settings, start_demo_hall
from kiosk.hall.models import content_hash
from kiosk.hall.queue_models import TicketIn
from kiosk.hall.storage import Principal
from tests.app.walk import SIZE
from tests.conftest import wait_until

NOW = datetime(2026, 11, 23, 10, 0)
BOARD_CLOCK = datetime(2026, 11, 23, 10, 7)


def issue(hall, number: int, minute: int, category: str = "A", appointment: str = "") -> None:
    made = TicketIn(
        day="2026-11-23",
        category=category,
        number=number,
        issued_at=f"2026-11-23T09:{minute:02d}:00",
        appointment=appointment,
    )
    hall.storage.record_ticket(Principal("kiosk", "k-1", "HT01"), made, content_hash(made))


def a_morning(hall) -> None:
    """Five tickets, A001 at window 5 and then A002 at window 12."""
    hall.storage.queue_clock = lambda: NOW
    for n in range(1, 5):
        issue(hall, n, n, appointment="APT-3" if n == 3 else "")
    issue(hall, 1, 6, category="B")
    hall.storage.call_next("5", "A")
    hall.storage.call_next("12", "A")


def board_for(hall, token: str | None = None):
    source = HallBoard(hall.url, token or hall.storage.new_board_token())
    return make_board_app(source, poll_seconds=0.05, clock=lambda: BOARD_CLOCK)


def called(app) -> list[tuple[str, ...]]:
    """The rows of large type, newest call first: (ticket, window)."""
    return [tuple(d.value for d in row.query(Digits)) for row in app.screen.query(".call-row")]


def text(app, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def screen_lines(app) -> list[str]:
    """The screenshot's text line by line, as someone in the waiting area sees it."""
    svg = app.export_screenshot()
    lines: dict[int, list[tuple[float, str]]] = {}
    for x, line, span in re.findall(
        r'<text class="[^"]*" x="([\d.]+)" y="[\d.]+"[^>]*line-(\d+)\)">([^<]*)</text>', svg
    ):
        lines.setdefault(int(line), []).append((float(x), span))
    unescape = {"&#160;": " ", "&amp;": "&", "&lt;": "<", "&gt;": ">"}
    joined = []
    for n in sorted(lines):
        line = "".join(span for _x, span in sorted(lines[n]))
        for entity, character in unescape.items():
            line = line.replace(entity, character)
        joined.append(line)
    return joined


def glyphs(value: str, bold: bool) -> list[str]:
    """``value`` as Digits draws it: three rows."""
    rows = "".join(segment.text for segment in DigitGlyphs(value).render(Style(bold=bold))).split("\n")
    return [row.rstrip() for row in rows[:3]]


async def test_the_board_shows_the_numbers_called_and_their_windows_in_large_type(hall):
    a_morning(hall)
    app = board_for(hall)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: called(app) == [("A002", "12"), ("A001", "5")])
        assert "A003（预约）  A004" in text(app, "#next")
        assert "A 综合受理 2" in text(app, "#waiting") and "B 社保医保 1" in text(app, "#waiting")
        assert text(app, "#board-status") == "10:07:00 更新"
        lines = screen_lines(app)
        for number, window, bold in (("A002", "12", True), ("A001", "5", False)):  # the newest call in bold
            rows = list(zip(glyphs(number, bold), glyphs(window, bold), strict=True))
            start = next(i for i, line in enumerate(lines) if rows[0][0] in line)
            for offset, (number_row, window_row) in enumerate(rows):
                line = lines[start + offset]
                assert number_row in line and window_row in line, (number, offset, line)
        assert any("请到" in line and "号窗口" in line for line in lines)


async def test_a_new_call_comes_to_the_top_and_the_last_line_stays_while_the_hall_is_away(hall):
    a_morning(hall)
    app = board_for(hall)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: called(app)[:1] == [("A002", "12")])
        hall.storage.call_next("5", "A")  # A001 done; the appointment's A003 to window 5
        await wait_until(pilot, lambda: called(app) == [("A003", "5"), ("A002", "12")])
        assert "A004" in text(app, "#next")

        hall.stop()
        await wait_until(pilot, lambda: "正在重新连接" in text(app, "#board-status"))
        assert text(app, "#board-status") == "截至 10:07，正在重新连接"
        assert app.screen.query_one("#board-status").has_class("offline")
        assert called(app) == [("A003", "5"), ("A002", "12")]  # the last line the hall gave, still shown
        assert "A004" in text(app, "#next")

        hall.storage.call_next("7")  # the windows work on while the board cannot see
        hall.start()
        await wait_until(pilot, lambda: called(app)[:1] == [("A004", "7")])
        assert not app.screen.query_one("#board-status").has_class("offline")


async def test_a_token_the_hall_does_not_know_is_said_on_the_board(hall):
    a_morning(hall)
    app = board_for(hall, token="not-a-board-token")
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "看板令牌" in text(app, "#board-status"))
        assert called(app) == []
        assert "暂无叫号" in "\n".join(screen_lines(app))


def test_the_demo_tells_a_board_where_its_hall_is(tmp_path, capsys):
    settings = demo_settings(tmp_path)
    hall = start_demo_hall(settings, tmp_path)
    try:
        found = demo_board(tmp_path)
        assert found is not None and found["hall"] == hall.url and found["station"] == "DEMO01"
        assert HallBoard(found["hall"], found["token"], found["station"]).fetch().station == "DEMO01"
    finally:
        hall.stop()
        hall.storage.close()
    hall = start_demo_hall(settings, tmp_path)  # the demo again on the same folder: the same token still reads
    try:
        assert demo_board(tmp_path)["token"] == found["token"]
    finally:
        hall.stop()
        hall.storage.close()
    (tmp_path / "board.toml").write_text("", encoding="utf-8")
    no_settings = ["--config", str(tmp_path / "board.toml")]  # no [board] settings
    assert main([*no_settings, "board", "--demo-dir", str(tmp_path / "nowhere")]) == 2
    assert "kiosk demo" in capsys.readouterr().err
    assert main([*no_settings, "board", "--station", "HT01"]) == 2  # no hall, no token
    assert "--hall" in capsys.readouterr().err
