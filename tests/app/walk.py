"""How a finger files an item: the resident's whole path, driven through Pilot, for any item of any catalog.

The walk reaches every widget as a person would: it scrolls a field into view, taps it, types, and picks a
choice from the drop-down list. Answers come from the field's type, so an item the hall adds tomorrow is
walked the same way as the shipped ones.
"""

from __future__ import annotations

import contextlib
import html
import re
from collections.abc import Awaitable, Callable

from textual import events
from textual.keys import _character_to_key
from textual.widget import Widget
from textual.widgets import Checkbox, Input, RadioButton, RadioSet, Static
from textual.worker import WorkerFailed

from config.i18n import LANGUAGES
from devices.samples import DEMO_CARDS
from kiosk.catalog import FieldType, FormField, ServiceItem
from screens.apply import ApplyScreen
from screens.done import DoneScreen
from screens.guide import GuideScreen
from screens.number_entry import NumberEntry
from screens.review import ReviewScreen
from tests.conftest import place_card

SIZE = (100, 35)  # the kiosk's screen, in cells
ELDER = DEMO_CARDS[0]  # 85: every instant rule of the catalog grants her
Look = Callable[[str], Awaitable[None]]
ORGANISATION = ("红塔区示例餐饮有限公司", "91110000600037341L")

# What a screen shows in Chinese whatever the language: data, not interface text. The language buttons name each
# language in itself; the station's name is a setting; names of people are theirs.
DATA = [*LANGUAGES.values(), "政务服务自助终端", "王秀英", "李建国", "赵晓雨", "王**", "李代办"]

VALID = {
    FieldType.TEXT: "示例内容填写",
    FieldType.NUMBER: "12",
    FieldType.DATE: "2024-03-05",
    FieldType.PHONE: "13800001234",
    FieldType.ID_NUMBER: "44011320141005001X",
    FieldType.CREDIT_CODE: "91310115MA1K3BTP2B",
}

# One answer of each type that its check refuses, and a piece of the message the resident then reads.
INVALID = {
    FieldType.TEXT: ("", "请填写"),
    FieldType.NUMBER: ("12a", "只能填数字"),
    FieldType.DATE: ("2024-13-05", "年-月-日"),
    FieldType.PHONE: ("12345", "11位手机号"),
    FieldType.ID_NUMBER: ("36042619910102009X", "校验位"),
    FieldType.CREDIT_CODE: ("9111000060003734", "18位"),
    FieldType.CHOICE: (None, "请选择"),
}


def visible_text(app) -> str:
    """What the terminal shows at this moment, read off the screenshot a user would see."""
    svg = app.export_screenshot()
    spans = re.findall(r'<text class="([^"]*)"[^>]*>([^<]*)</text>', svg)
    text = "".join(span for style, span in spans if not style.endswith("-title"))  # not the window's title
    return html.unescape(text).replace("\xa0", " ")


def screen_text(app) -> str:
    """Everything visible on the current screen, as text."""
    return "\n".join(str(w.render()) for w in app.screen.query(Static))


async def settle(pilot) -> None:
    await pilot.pause()
    with contextlib.suppress(WorkerFailed):  # a job that failed is the app's to handle; the test looks at what it did
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def tap(pilot, target: str | Widget) -> None:
    """Scroll ``target`` into view, as a finger would, and tap it."""
    widget = pilot.app.screen.query_one(target) if isinstance(target, str) else target
    widget.scroll_visible(animate=False, immediate=True)
    await pilot.pause()
    await pilot.click(widget)


async def type_into(pilot, selector: str, text: str) -> None:
    """Tap a field and type ``text`` into it."""
    await tap(pilot, selector)
    await type_text(pilot, text)


async def type_text(pilot, text: str) -> None:
    """Key events for ``text``, at the pace of a quick typist: the app takes them in order, and the walk waits
    once for all of them rather than after each (``Pilot.press`` waits ~70 ms a key for the process to idle)."""
    for char in text:
        event = events.Key(char if char.isalnum() else _character_to_key(char), char)
        event.set_sender(pilot.app)
        pilot.app._driver.send_message(event)
    await pilot.pause()


def valid_answer(spec: FormField) -> str:
    return VALID[spec.type][: spec.max_length]


async def choose(pilot, selector: str, index: int = 0) -> None:
    """Tap option ``index`` of a choice; it must then be the one chosen."""
    choice = pilot.app.screen.query_one(selector, RadioSet)
    option = list(choice.query(RadioButton))[index]
    await tap(pilot, option)
    assert choice.pressed_button is option, f"{selector}: option {index} did not take"


async def answer(pilot, spec: FormField, text: str | None = None) -> None:
    """Answer one field: the given text, or a valid answer by its type. Where elderly mode offers its large
    keypad, the answer is tapped in on it."""
    selector = f"#f-{spec.key}"
    if spec.type is FieldType.CHOICE:
        await choose(pilot, selector)
        return
    text = valid_answer(spec) if text is None else text
    if pilot.app.screen.query(f"#pad-{spec.key}"):
        await tap(pilot, f"#pad-{spec.key}")
        assert isinstance(pilot.app.screen, NumberEntry)
        for key in text:
            await tap(pilot, f"#key-{key}")
        await tap(pilot, "#key-ok")
        assert (typed := pilot.app.screen.query_one(selector, Input).value) == text, typed
    else:
        await type_into(pilot, selector, text)


async def fill_form(pilot, item: ServiceItem) -> None:
    """A valid answer in every field, every material the answers call for ticked (the others are not shown)."""
    for spec in item.form:
        await answer(pilot, spec)
    for box in pilot.app.screen.query(".material").results(Checkbox):
        if box.display and not box.value:
            await tap(pilot, box)


async def identify(pilot, item: ServiceItem) -> None:
    """A person places the elderly sample card; an organisation types its name and credit code."""
    if item.applicant == "person":
        await place_card(pilot, ELDER)
        return
    await tap(pilot, "#apply")
    await tap(pilot, "#mode-organisation")
    await type_into(pilot, "#org-name", ORGANISATION[0])
    await pilot.press("enter")
    await type_text(pilot, ORGANISATION[1])
    await pilot.press("enter")
    await settle(pilot)
    assert pilot.app.visit.applicant is not None, screen_text(pilot.app)


async def _no_look(name: str) -> None:
    pass


async def open_form(pilot, item: ServiceItem, look: Look = _no_look) -> None:
    """Identify, search the item's code, open its guide and press 我要办理."""
    await identify(pilot, item)
    await look("catalog")
    await type_into(pilot, "#search", item.code.lower())
    await pilot.press("enter", "enter")
    await settle(pilot)
    assert isinstance(pilot.app.screen, GuideScreen), screen_text(pilot.app)
    assert pilot.app.screen.item.code == item.code
    await look("guide")
    await tap(pilot, "#start")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ApplyScreen), [str(n.message) for n in pilot.app._notifications]


async def file_item(pilot, item: ServiceItem, look: Look = _no_look) -> str:
    """The whole walk to the done screen; returns the serial number shown. ``look(name)`` is called on each
    screen on the way, for a test to read it."""
    await open_form(pilot, item, look)
    await look("apply")
    await fill_form(pilot, item)
    await tap(pilot, "#next")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen), screen_text(pilot.app)
    await look("review")
    await tap(pilot, "#confirm")
    await settle(pilot)
    assert isinstance(pilot.app.screen, DoneScreen), screen_text(pilot.app)
    await look("done")
    serial = pilot.app.visit.saved.serial
    assert serial in screen_text(pilot.app)
    return serial
