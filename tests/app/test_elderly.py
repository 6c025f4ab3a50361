"""Elderly mode (长辈模式) as a resident meets it: one button, bigger and high contrast, spoken, more time."""

from __future__ import annotations

import pytest

from devices.samples import DEMO_CARDS
from devices.speaker import RecordingSpeaker
from kiosk.app import make_app
from kiosk.prompts import PROMPTS
from screens.catalog import CatalogScreen
from screens.identify import IdentifyScreen
from screens.idle_warning import IdleWarning
from screens.welcome import WelcomeScreen
from tests.app.walk import SIZE, settle
from tests.conftest import place_card, wait_until


@pytest.fixture
def speaker() -> RecordingSpeaker:
    return RecordingSpeaker()


@pytest.fixture
def app(services, clock, speaker):
    return make_app(services, demo=False, clock=clock, speaker=speaker)


async def test_one_button_switches_the_session_to_elderly_mode_with_steps_and_voice(app, speaker):
    async with app.run_test(size=SIZE) as pilot:
        assert not app.has_class("elderly")
        await pilot.click("#elderly")
        await settle(pilot)
        assert app.has_class("elderly") and app.has_class("high-contrast")
        assert speaker.said == [PROMPTS["welcome"]]
        assert not app.screen.query_one("#guides").display  # fewer choices
        assert app.screen.query_one("#apply").outer_size.height >= 7

        await pilot.click("#apply")
        await settle(pilot)
        assert isinstance(app.screen, IdentifyScreen)
        assert speaker.said[-1] == PROMPTS["identify"]
        assert "第 1 步，共 4 步 · 识别身份" in str(app.screen.query_one("#step").render())

        await place_card(pilot, DEMO_CARDS[0])
        await settle(pilot)
        assert isinstance(app.screen, CatalogScreen)
        items = app.screen.query_one("#items")
        assert items.option_count == 6 and "长辈常办" in str(items.border_title)
        assert speaker.said[-1] == PROMPTS["catalog"]


async def test_elderly_mode_in_english_speaks_and_counts_steps_in_english(app, speaker):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#lang-en")
        await pilot.click("#elderly")
        await pilot.click("#apply")
        await settle(pilot)
        assert speaker.said == [
            "Hello, Elderly mode is on. Please tap what you would like to do.",
            "Please place your ID card on the card reader.",
        ]
        assert speaker.languages == ["en", "en"]
        assert "Step 1 of 4 · Show your ID" in str(app.screen.query_one("#step").render())


async def test_elderly_mode_waits_longer_warns_aloud_then_still_wipes(app, services, clock, speaker):
    normal = services.settings.session.idle_timeout_seconds
    longer = services.settings.accessibility.elderly_idle_timeout_seconds
    warning = services.settings.session.idle_warning_seconds
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#elderly")
        await pilot.click("#apply")
        await settle(pilot)
        clock.advance(normal + 1)
        await pilot.pause(1.2)
        assert isinstance(app.screen, IdentifyScreen)  # a normal session would be gone by now

        clock.advance(longer - normal - warning + 1)
        await wait_until(pilot, lambda: isinstance(app.screen, IdleWarning))
        assert PROMPTS["idle_warning"] in speaker.said
        clock.advance(warning)
        await wait_until(pilot, lambda: isinstance(app.screen, WelcomeScreen))
        assert speaker.said[-1] == PROMPTS["wiped"]
        assert not app.has_class("elderly") and not app.has_class("high-contrast")
        assert not app.visit.elderly
        assert app.screen.query_one("#staff").outer_size.height == 3  # the welcome screen is restyled too


async def test_high_contrast_alone_is_a_session_choice_and_says_nothing(app, speaker):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#contrast")
        await settle(pilot)
        assert app.has_class("high-contrast") and not app.has_class("elderly")
        assert app.screen.query_one("#guides").display  # every choice still there
        assert speaker.said == []
        await pilot.pause(0.3)  # a button ignores a second press while it still shows the first
        await pilot.click("#contrast")
        await settle(pilot)
        assert not app.has_class("high-contrast")
