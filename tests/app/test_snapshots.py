"""One SVG snapshot per main screen at the kiosk's documented size, 100 x 35.

Review a changed snapshot in snapshot_report.html before accepting it with --snapshot-update.
"""

from __future__ import annotations

import pytest
from textual.widgets import Input

from devices.samples import DEMO_CARDS as SAMPLE_CARDS
from devices.speaker import RecordingSpeaker
from kiosk.app import make_app
from tests.conftest import place_card

SIZE = (100, 35)


@pytest.fixture
def kiosk(services, clock):
    return make_app(services, demo=False, clock=clock, speaker=RecordingSpeaker())


async def _settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def _still(pilot) -> None:
    """Settle, rest the pointer on the title bar and wait out a pressed button's 0.2 s flash, so the picture does
    not depend on machine load (Textual finds the widget under a resting pointer one refresh after a screen
    change: the button last clicked may or may not be drawn hovered), with text cursors held on."""
    await _settle(pilot)
    await pilot.hover(offset=(0, 0))
    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False  # a blinking cursor is caught on or off by chance: hold it on
    await pilot.pause()
    for _ in range(40):
        if not pilot.app.screen.query(".-active"):
            break
        await pilot.pause(0.05)


async def _to_guide(pilot) -> None:
    await place_card(pilot, SAMPLE_CARDS[0])
    await pilot.click("#search")
    await pilot.press(*"lnryd", "enter", "enter")
    await _settle(pilot)


async def _to_review(pilot) -> None:
    await _to_guide(pilot)
    await pilot.click("#start")
    await _settle(pilot)
    await pilot.click("#f-phone")
    await pilot.press(*"13800001234")
    for box in pilot.app.screen.query(".material"):
        await pilot.click(box)
    await pilot.click("#next")
    await _settle(pilot)


async def _to_done(pilot) -> None:
    await _to_review(pilot)
    await pilot.click("#confirm")
    await _settle(pilot)


async def _to_evaluate(pilot) -> None:
    await _to_done(pilot)
    await pilot.click("#rate")
    await _settle(pilot)


async def _to_identify(pilot) -> None:
    await _settle(pilot)
    await pilot.click("#apply")
    await pilot.click("#mode-person")


async def _to_catalog(pilot) -> None:
    await place_card(pilot, SAMPLE_CARDS[1])
    await pilot.click("#search")
    await pilot.press(*"hk")
    await _settle(pilot)


async def _to_apply(pilot) -> None:
    await _to_guide(pilot)
    await pilot.click("#start")
    await _settle(pilot)


async def _to_queue(pilot) -> None:
    await _settle(pilot)
    await pilot.click("#queue")
    await pilot.click("#cat-B")
    await _settle(pilot)


async def _idle(pilot) -> None:
    await _settle(pilot)


@pytest.mark.parametrize(
    "steps",
    [_idle, _to_identify, _to_catalog, _to_guide, _to_apply, _to_review, _to_done, _to_evaluate, _to_queue],
    ids=lambda f: f.__name__.removeprefix("_to_").removeprefix("_"),
)
def test_screen(snap_compare, kiosk, steps):
    async def run_before(pilot) -> None:
        await steps(pilot)
        await _still(pilot)

    assert snap_compare(kiosk, terminal_size=SIZE, run_before=run_before)


async def _elderly(pilot) -> None:
    await _settle(pilot)
    await pilot.click("#elderly")


async def _high_contrast(pilot) -> None:
    await _settle(pilot)
    await pilot.click("#contrast")


@pytest.mark.parametrize("theme", [_elderly, _high_contrast], ids=["elderly", "high_contrast"])
@pytest.mark.parametrize(
    "steps", [_idle, _to_identify, _to_catalog, _to_review], ids=["welcome", "identify", "catalog", "review"]
)
def test_screen_in_theme(snap_compare, kiosk, theme, steps):
    async def run_before(pilot) -> None:
        await theme(pilot)
        await steps(pilot)
        await _still(pilot)

    assert snap_compare(kiosk, terminal_size=SIZE, run_before=run_before)


@pytest.mark.parametrize("language", ["en", "zh_Hant"])
@pytest.mark.parametrize(
    "steps", [_idle, _to_catalog, _to_guide, _to_review], ids=["welcome", "catalog", "guide", "review"]
)
def test_screen_in_language(snap_compare, kiosk, language, steps):
    async def run_before(pilot) -> None:
        await _settle(pilot)
        await pilot.click(f"#lang-{language}")
        await steps(pilot)
        await _still(pilot)

    assert snap_compare(kiosk, terminal_size=SIZE, run_before=run_before)
