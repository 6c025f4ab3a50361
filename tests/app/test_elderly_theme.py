"""Elderly mode and the high-contrast theme are classes on the App; the kiosk's stylesheets do the rest."""

from __future__ import annotations

from pathlib import Path

from textual.app import App, ComposeResult
from textual.color import Color
from textual.screen import Screen
from textual.widgets import Button, Static

from kiosk.catalog import load_catalog
from kiosk.elderly import ELDERLY_ITEMS, STEPS, elderly_items, step_of
from screens.widgets.step_indicator import StepIndicator

SCREENS = Path(__file__).parent.parent.parent / "screens"
STYLESHEETS = [SCREENS / "kiosk.tcss", SCREENS / "elderly.tcss"]  # as the kiosk loads them, in this order
BLACK = Color(0, 0, 0)
WHITE = Color(255, 255, 255)
YELLOW = Color(255, 255, 0)


class ThemeApp(App):
    """Just the kiosk's stylesheets and a few of the widgets they style."""

    CSS_PATH = STYLESHEETS

    def compose(self) -> ComposeResult:
        yield StepIndicator(id="step")
        yield Button("返回", id="back", classes="back")
        yield Button("确认提交", id="confirm", classes="primary")
        yield Static("请凭流水号查询进度", classes="hint")


async def test_elderly_mode_makes_targets_larger_and_shows_the_step():
    app = ThemeApp()
    async with app.run_test(size=(100, 35)) as pilot:
        back, step, hint = app.query_one("#back"), app.query_one(StepIndicator), app.query_one(".hint")
        assert back.outer_size.height == 3
        assert not step.display and hint.display

        app.set_class(True, "elderly")
        step.set_step(3, 4, "第 3 步，共 4 步 · 填写信息")
        await pilot.pause()
        assert back.outer_size.height >= 7
        assert back.styles.text_style.bold
        assert step.display and not hint.display
        assert "第 3 步，共 4 步 · 填写信息" in str(step.render())

        app.set_class(False, "elderly")
        await pilot.pause()
        assert back.outer_size.height == 3
        assert not step.display


async def test_high_contrast_applies_alone_and_leaves_sizes_alone():
    app = ThemeApp()
    async with app.run_test(size=(100, 35)) as pilot:
        back, confirm = app.query_one("#back", Button), app.query_one("#confirm", Button)
        assert app.screen.styles.background != BLACK

        app.set_class(True, "high-contrast")
        await pilot.pause()
        assert app.screen.styles.background == BLACK
        assert app.screen.styles.color == WHITE
        assert (back.styles.background, back.styles.color) == (BLACK, WHITE)
        assert (confirm.styles.background, confirm.styles.color) == (YELLOW, BLACK)
        assert back.has_focus and back.styles.border.top == ("double", YELLOW)
        assert confirm.styles.border.top == ("heavy", YELLOW)
        assert back.outer_size.height == 3
        assert not app.query_one(StepIndicator).display  # the step belongs to elderly mode, not to the theme

        confirm.focus()  # focus is told by the frame's shape, not by colour alone
        await pilot.pause()
        assert (back.styles.border.top, confirm.styles.border.top) == (("heavy", WHITE), ("double", WHITE))

        app.set_class(True, "elderly")
        await pilot.pause()
        assert back.outer_size.height >= 7 and app.screen.styles.background == BLACK

        app.set_class(False, "high-contrast", "elderly")
        await pilot.pause()
        assert app.screen.styles.background != BLACK
        assert back.styles.border.top[0] != "heavy"


class Page(Screen):
    def compose(self) -> ComposeResult:
        yield Button("下一步", classes="primary")


async def test_refresh_css_restyles_the_screens_below_the_current_one():
    """Textual restyles only the current screen when an App class changes, and not the others when they come
    back: the kiosk calls ``refresh_css`` after switching a mode so that the whole stack follows."""
    app = ThemeApp()
    async with app.run_test(size=(100, 35)) as pilot:
        below = app.screen
        await app.push_screen(Page())
        app.set_class(True, "elderly")
        app.set_class(True, "high-contrast")
        app.refresh_css(animate=False)
        await app.pop_screen()
        await pilot.pause()
        assert app.screen is below
        assert below.styles.background == BLACK
        assert app.query_one("#back").outer_size.height >= 7


def test_elderly_items_are_in_the_shipped_catalog():
    catalog = load_catalog()
    assert len(ELDERLY_ITEMS) == len(set(ELDERLY_ITEMS)) == 6
    assert [item.code for item in elderly_items(catalog)] == list(ELDERLY_ITEMS)
    assert all(item.applicant == "person" for item in elderly_items(catalog))


def test_a_withdrawn_elderly_item_is_left_out():
    catalog = load_catalog().with_changes({"MZ0002": None})
    assert "MZ0002" not in [item.code for item in elderly_items(catalog)]


def test_steps_of_the_application_screens():
    assert step_of("identify") == (1, 4, "识别身份")
    assert step_of("catalog") == step_of("guide") == (2, 4, "选择事项")
    assert step_of("apply") == (3, 4, "填写信息")
    assert step_of("review") == (4, 4, "核对提交")
    assert step_of("done")[:2] == (4, 4)
    assert step_of("welcome") is None and step_of("queue") is None
    assert len(STEPS) == 4
