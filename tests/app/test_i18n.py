"""The three languages: the catalogs are complete and current, and every screen speaks the visit's language."""

from __future__ import annotations

import opencc
import pytest

from config.i18n import LANGUAGES, OPENCC_CONFIG, Translator, _, has_chinese, translator
from config.settings import Settings, StaffMember
from devices.samples import DEMO_CARDS
from kiosk.catalog import load_catalog
from kiosk.identity import IdentityError, check_id_number
from kiosk.pin import hash_secret
from kiosk.translations import check
from screens.catalog import CatalogScreen
from screens.done import DoneScreen
from screens.guide import GuideScreen
from screens.idle_warning import IdleWarning
from screens.staff_desk import StaffDesk
from screens.technician import TechnicianScreen
from screens.welcome import WelcomeScreen
from tests.app.walk import DATA, SIZE, settle, visible_text
from tests.conftest import place_card, wait_until

WANG = DEMO_CARDS[0]


def test_the_catalogs_are_complete_current_and_keep_every_field():
    assert check() == []


def test_a_phrase_is_its_simplified_text_and_says_itself_in_each_language():
    phrase = _("请填写{label}", label="联系电话")
    assert phrase == "请填写联系电话" and isinstance(phrase, str)
    assert translator("zh_Hans")(phrase) == "请填写联系电话"
    assert translator("en")(phrase) == "Please fill in: Phone number"  # the label is the catalog's, translated too
    assert translator("zh_Hant")(phrase) == "請填寫聯繫電話"


def test_an_error_is_told_in_the_visit_language():
    with pytest.raises(IdentityError) as caught:
        check_id_number("36042619910102009X")
    assert str(caught.value) == "身份证号码校验位不符，请逐位核对后重新输入"
    assert translator("en")(caught.value) == (
        "The ID card number's check digit does not match; check each digit and enter it again"
    )


def test_traditional_falls_back_to_opencc_and_english_notes_what_it_lacks():
    assert Translator("zh_Hant")("请把身份证放在读卡区") == "請把身份證放在讀卡區"
    english = Translator("en", {"确定": "OK"})
    assert english("确定") == "OK"
    assert english("没有译文的话") == "没有译文的话"
    assert english.missing == {"没有译文的话"}
    assert english("DEMO01-261122-0001-D") == "DEMO01-261122-0001-D" and len(english.missing) == 1


def test_lists_are_joined_as_each_language_writes_them():
    assert translator("zh_Hans").join(["甲", "乙"]) == "甲、乙"
    assert translator("en").join(["A", "B"]) == "A, B"


def test_the_catalog_is_found_by_traditional_characters_and_english_names():
    catalog = load_catalog()
    assert catalog.search("戶口遷移")[0].code == catalog.search("户口迁移")[0].code
    english = translator("en").content
    found = catalog.search("senior citizen", names=english)
    assert [item.code for item in found][:1] == ["MZ0001"]
    assert english(found[0].name) == "Senior citizen card application"


async def tour(pilot, language: str) -> list[tuple[str, str]]:
    """Every screen a resident, a member of staff and a technician can reach in ``language``, each as it looks."""
    seen: list[tuple[str, str]] = []
    app = pilot.app
    await pilot.click(f"#lang-{language}")

    async def look(name: str) -> None:
        await settle(pilot)
        seen.append((name, visible_text(app)))

    await look("welcome")
    await pilot.click("#staff")
    await look("staff PIN")
    await pilot.press(*"2468", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, StaffDesk))
    await look("staff desk")
    await pilot.click("#next-applicant")
    await look("identify: card")
    await pilot.click("#mode-person")
    await pilot.click("#person-ok")
    await look("identify: typed number")
    await pilot.click("#mode-organisation")
    await look("identify: organisation")
    await place_card(pilot, WANG)
    await look("catalog")
    await pilot.click("#search")
    await pilot.press(*"lnryd", "enter", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, GuideScreen))
    await look("guide")
    await pilot.click("#start")
    await settle(pilot)
    await pilot.click("#f-phone")
    await pilot.press(*"138")
    await pilot.click("#next")
    await look("apply, with errors")
    await pilot.click("#f-phone")
    await pilot.press(*"00001234")
    await pilot.click("#next")
    await look("review, a material missing")
    await pilot.click("#back")
    await settle(pilot)
    for box in app.screen.query(".material"):
        await pilot.click(box)
    await pilot.click("#next")
    await pilot.click("#confirm")
    await look("review, consent missing")
    await pilot.click("#consent")
    await pilot.click("#confirm")
    await wait_until(pilot, lambda: isinstance(app.screen, DoneScreen))
    await look("done")
    serial = app.visit.saved.serial
    await pilot.click("#rate")
    await look("evaluate")
    await pilot.click("#level-4")
    await look("evaluate, rated")
    app.sign_out_staff()  # which ends the visit, its language with it
    await settle(pilot)
    await pilot.click(f"#lang-{language}")
    await pilot.click("#queue")
    await wait_until(pilot, lambda: bool(app.screen.query("#cat-A")))  # the queue screen loads on first use
    await pilot.click("#cat-A")
    await look("queue ticket")
    await pilot.click("#back")  # "done, back home": the next visitor starts in Simplified Chinese
    await settle(pilot)
    await pilot.click(f"#lang-{language}")
    await pilot.click("#progress")
    await pilot.click("#serial-input")
    await pilot.press(*serial, "enter")
    await look("progress")
    await pilot.click("#back")
    await pilot.click("#guides")
    await look("guides")
    app.clock.advance(app.idle_timeout() - 5)
    app.check_inactivity()
    await wait_until(pilot, lambda: isinstance(app.screen, IdleWarning))
    await look("idle warning")
    await pilot.click("#keep")
    await pilot.press("f1")
    await look("demo keys")
    await pilot.press("escape", "f8")
    await pilot.press(*"123456", "enter")
    await wait_until(pilot, lambda: isinstance(app.screen, TechnicianScreen))
    await look("technician: devices")
    await pilot.click("#test-paper")
    await look("technician: paper")
    await pilot.click("#tab-sync")
    await look("technician: upload")
    return seen


@pytest.fixture
def settings(settings: Settings) -> Settings:
    staff = StaffMember(id="D001", name="李代办", pin_hash=hash_secret("2468"))
    access = settings.access.model_copy(update={"staff": [staff], "technician_pin_hash": hash_secret("123456")})
    return settings.model_copy(update={"access": access})


async def test_every_screen_in_english_has_no_untranslated_text(app):
    english = translator("en")
    async with app.run_test(size=SIZE) as pilot:
        seen = await tour(pilot, "en")
    assert english.missing == set()
    for name, text in seen:
        for data in DATA:
            text = text.replace(data, "")
        left = [line.strip() for line in text.splitlines() if has_chinese(line)]
        assert not left, f"{name}: Chinese on an English screen: {left}"


async def test_every_screen_in_traditional_chinese_has_no_simplified_text(app):
    to_traditional = opencc.OpenCC(OPENCC_CONFIG)
    async with app.run_test(size=SIZE) as pilot:
        seen = await tour(pilot, "zh_Hant")
    for name, text in seen:
        text = text.replace(LANGUAGES["zh_Hans"], "")
        simplified = [line.strip() for line in text.splitlines() if to_traditional.convert(line) != line]
        assert not simplified, f"{name}: simplified characters on a traditional screen: {simplified}"


async def test_the_language_lasts_for_the_visit_only(app, clock):
    async with app.run_test(size=SIZE) as pilot:
        await pilot.click("#lang-en")
        await settle(pilot)
        assert "Hello, please choose" in visible_text(app)
        assert "✔ English" in visible_text(app)
        await pilot.click("#apply")
        await place_card(pilot, WANG)
        assert isinstance(app.screen, CatalogScreen)
        assert "Civil Affairs Bureau" in visible_text(app)

        app.clock.advance(app.idle_timeout() + 1)  # the privacy wipe also forgets the language
        app.check_inactivity()
        await settle(pilot)
        assert isinstance(app.screen, WelcomeScreen)
        assert app.visit.language == "zh_Hans"
        assert "您好，请选择要办理的业务" in visible_text(app)
        assert "✔ 简体中文" in visible_text(app)
