"""The rules a window would apply, applied at the kiosk: missing materials told at once and filed as 材料待补,
no second case of the same item while one is open, an instant grant that reaches the hall granted."""

from __future__ import annotations

from devices.samples import LI_JIANGUO, WANG_XIUYING
from kiosk.app import make_app
from kiosk.application import Applicant, Application
from kiosk.catalog import load_catalog
from kiosk.hall.rules import instant_grant_holds
from screens.done import DoneScreen
from screens.progress import ProgressScreen
from screens.review import ReviewScreen
from tests.app.walk import SIZE, answer, open_form, screen_text, settle, tap, type_into
from tests.conftest import FIXED_NOW, opened_payload, place_card, wait_until


async def _review_without_materials(pilot, item) -> None:
    await open_form(pilot, item)
    for spec in item.form:
        await answer(pilot, spec)
    await tap(pilot, "#next")
    await settle(pilot)
    assert isinstance(pilot.app.screen, ReviewScreen)


async def test_missing_materials_are_told_at_once_and_filed_as_to_follow(app, services):
    item = services.catalog["GA0002"]  # three materials, none ticked
    async with app.run_test(size=SIZE) as pilot:
        await _review_without_materials(pilot, item)
        told = str(app.screen.query_one("#missing").render())
        assert all(material.name in told for material in item.materials)  # every one, in one go
        assert not app.screen.query("#confirm")  # no silent acceptance: the resident chooses
        await tap(pilot, "#confirm-pending")
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        assert "材料待补" in screen_text(app)
        saved = app.visit.saved
        (job,) = services.devices.printer_simulator.jobs
    names = [material.name for material in item.materials]
    assert saved.masked["missing_materials"] == names
    assert opened_payload(services.store, saved.id)["missing_materials"] == names  # for the hall, sealed
    receipt = job.data.decode("gb18030", errors="replace")
    assert "待补材料" in receipt and all(name in receipt for name in names)


async def test_an_instant_item_is_granted_only_with_every_material(app, services):
    item = services.catalog["MZ0001"]
    async with app.run_test(size=SIZE) as pilot:
        await _review_without_materials(pilot, item)
        assert "材料齐全才能即时办结" in screen_text(app) and not app.screen.query("#decision")
        await tap(pilot, "#confirm-pending")
        await settle(pilot)
        pending = app.visit.saved
    assert pending.masked["instant_granted"] is False and pending.stage == "申请"
    assert opened_payload(services.store, pending.id)["instant_approved"] is None


async def test_the_same_applicant_is_shown_the_open_case_instead_of_a_second_one(app, services):
    open_item, repeatable = services.catalog["GA0002"], services.catalog["GA0007"]
    assert not open_item.repeatable and repeatable.repeatable
    applicant = Applicant.from_card(WANG_XIUYING)
    for item in (open_item, repeatable):
        application = Application(item, applicant)
        application.set_values({}, services.today())
        services.submit(application)
    first = next(saved for saved in services.filed_today() if saved.item_code == open_item.code)
    async with app.run_test(size=SIZE) as pilot:
        await place_card(pilot, WANG_XIUYING)
        await type_into(pilot, "#search", "ga0002")
        await pilot.press("enter", "enter")
        await settle(pilot)
        await tap(pilot, "#start")
        await settle(pilot)
        assert isinstance(app.screen, ProgressScreen)
        assert first.serial in screen_text(app)
        assert any(first.serial in str(n.message) for n in app._notifications)

    assert services.existing_case(Application(repeatable, applicant)) is None  # a certificate, asked for again
    assert services.existing_case(Application(open_item, Applicant.from_card(LI_JIANGUO))) is None  # another


async def test_an_instant_grant_reaches_the_hall_granted_and_its_progress_shows_the_last_stage(online_services, hall):
    app = make_app(online_services, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        application = Application(online_services.catalog["MZ0001"], Applicant.from_card(WANG_XIUYING))
        application.materials = {m.name for m in application.item.materials}
        saved = online_services.submit(application)
        await wait_until(pilot, lambda: online_services.find(saved.serial).state == "acknowledged")
        case = hall.storage.case(saved.serial)
        assert case.stage == "发证" and [h.stage for h in case.history] == ["申请", "受理", "审核", "审批", "发证"]
        await app.push_screen(ProgressScreen(serial=saved.serial))
        await settle(pilot)
        assert "发证（第5步，共5步）" in screen_text(app)


def test_the_hall_grants_at_once_only_what_its_own_rule_grants():
    senior, allowance = (load_catalog()[code].model_dump(mode="json") for code in ("MZ0001", "MZ0002"))
    day = FIXED_NOW.date()

    def claim(card, missing=()) -> dict:
        return {"instant_approved": True, "applicant": {"number": card.id_number}, "missing_materials": list(missing)}

    assert instant_grant_holds(senior, claim(LI_JIANGUO), day)  # 68: a senior card
    assert not instant_grant_holds(allowance, claim(LI_JIANGUO), day)  # not yet 80: a forged grant is a case
    assert not instant_grant_holds(senior, claim(LI_JIANGUO, ["近期一寸免冠彩色照片"]), day)
    assert not instant_grant_holds(None, claim(WANG_XIUYING), day)  # an item the hall does not know
    assert not instant_grant_holds(senior, {**claim(WANG_XIUYING), "instant_approved": None}, day)
