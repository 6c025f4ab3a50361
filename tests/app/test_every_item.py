"""Every item files, the way a resident files it, with its receipt at the printer: each item of the shipped
catalog, an item the hall adds at run time, and a spread of items in each language and in elderly mode."""

from __future__ import annotations

import opencc
import pytest
import requests

from config import default_catalog_path
from config.i18n import LANGUAGES, OPENCC_CONFIG, has_chinese, translator
from kiosk.catalog import Catalog, FieldType, ServiceItem, load_catalog
from screens.apply import ApplyScreen
from tests.app.walk import (
    DATA,
    INVALID,
    ORGANISATION,
    SIZE,
    VALID,
    answer,
    file_item,
    open_form,
    screen_text,
    settle,
    tap,
    valid_answer,
    visible_text,
)
from tests.conftest import opened_payload, wait_until

CATALOG = load_catalog(default_catalog_path())


def spread(catalog: Catalog) -> list[str]:
    """Every bundle, then an item of each department and of each field type not yet covered."""
    chosen = [item for item in catalog if item.is_bundle]
    for department in catalog.departments:
        if not any(item.department == department for item in chosen):
            chosen.append(catalog.in_department(department)[0])
    for kind in FieldType:
        if not any(spec.type is kind for item in chosen for spec in item.form):
            chosen.append(next(item for item in catalog if any(spec.type is kind for spec in item.form)))
    return [item.code for item in chosen]


SPREAD = spread(CATALOG)


def test_the_spread_covers_every_department_field_type_and_bundle():
    items = [CATALOG[code] for code in SPREAD]
    assert {item.department for item in items} == set(CATALOG.departments)
    assert {spec.type for item in items for spec in item.form} == set(FieldType)
    assert {item.code for item in CATALOG if item.is_bundle} <= set(SPREAD)


def printed(services, serial: str) -> None:
    (job,) = services.devices.printer_simulator.jobs
    assert serial.encode() in job.data and job.printed


@pytest.mark.parametrize("code", [item.code for item in CATALOG])
async def test_every_shipped_item_files_to_a_printed_receipt(app, services, code):
    item = services.catalog[code]
    async with app.run_test(size=SIZE) as pilot:
        serial = await file_item(pilot, item)
    saved = services.store.find_by_serial(serial)
    assert saved.item_code == code and saved.masked["missing_materials"] == []
    payload = opened_payload(services.store, saved.id)
    assert set(payload["values"]) == {spec.key for spec in item.form}
    assert all(payload["values"][spec.key] for spec in item.form)
    printed(services, serial)


# An item as a hall's staff would add it: one field of every type, for a person.
ADDED = {
    "code": "MZ0099",
    "name": "困难群众临时生活补助（试点）",
    "department": "民政局",
    "kind": "就近办",
    "who_may_apply": "本区户籍的困难群众",
    "legal_basis": ["《社会救助暂行办法》"],
    "conditions": ["家庭人均收入低于当地最低生活保障标准"],
    "materials": [{"name": "收入证明", "form": "原件", "reuse": "within_validity"}],
    "procedure": ["申请", "审核", "发放"],
    "fee": {"amount": "不收费", "basis": "社会救助不收费"},
    "promised_days": 5,
    "legal_days": 10,
    "place": "区政务服务中心",
    "hours": "工作日",
    "phone": "0877-2021234",
    "complaint_phone": "12345",
    "form": [
        {"key": "reason", "label": "困难原因", "type": "text"},
        {"key": "members", "label": "家庭人口", "type": "number"},
        {"key": "since", "label": "困难发生日期", "type": "date"},
        {"key": "kind", "label": "补助类别", "type": "choice", "options": ["生活补助", "医疗补助", "教育补助"]},
        {"key": "phone", "label": "联系电话", "type": "phone"},
        {"key": "spouse", "label": "配偶身份证号", "type": "id_number"},
        {"key": "employer", "label": "工作单位信用代码", "type": "credit_code", "required": False},
    ],
}


async def test_an_item_the_hall_adds_files_like_the_shipped_ones(hall, online_services):
    from kiosk.app import make_app

    staff = {"Authorization": f"Bearer {hall.storage.new_staff_token()}"}
    answer_ = requests.put(f"{hall.url}/v1/staff/catalog/items/MZ0099", json=ADDED, headers=staff, timeout=10)
    assert answer_.status_code == 200, answer_.text
    app = make_app(online_services, demo=True)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "MZ0099" in {item.code for item in online_services.catalog})
        serial = await file_item(pilot, online_services.catalog["MZ0099"])
        await wait_until(pilot, lambda: online_services.find(serial).state == "acknowledged")
    printed(online_services, serial)
    (case,) = hall.storage.cases()
    assert case["serial"] == serial and case["item_name"] == ADDED["name"]


TO_TRADITIONAL = opencc.OpenCC(OPENCC_CONFIG)


def foreign_text(language: str, text: str) -> list[str]:
    """Lines of ``text`` not in ``language``: Chinese on an English screen (data aside), simplified characters
    on a traditional one."""
    if language == "en":
        for data in [*DATA, ORGANISATION[0], VALID[FieldType.TEXT]]:  # what the resident typed is data too
            text = text.replace(data, "")
        return [line.strip() for line in text.splitlines() if has_chinese(line)]
    text = text.replace(LANGUAGES["zh_Hans"], "")
    return [line.strip() for line in text.splitlines() if TO_TRADITIONAL.convert(line) != line]


@pytest.mark.parametrize("mode", ["zh_Hant", "en", "elderly"])
@pytest.mark.parametrize("code", SPREAD)
async def test_the_walk_in_each_language_and_in_elderly_mode(app, services, mode, code):
    item = services.catalog[code]
    seen: list[tuple[str, str]] = []

    async def look(name: str) -> None:
        seen.append((name, visible_text(app)))

    async with app.run_test(size=SIZE) as pilot:
        await tap(pilot, "#elderly" if mode == "elderly" else f"#lang-{mode}")
        await settle(pilot)
        serial = await file_item(pilot, item, look=look)
        if mode == "elderly":
            assert app.has_class("elderly") and "第 4 步，共 4 步" in str(app.screen.query_one("#step").render())
    printed(services, serial)
    if mode != "elderly":
        assert translator(mode).missing == set()
        for name, text in seen:
            assert not foreign_text(mode, text), f"{name}: {foreign_text(mode, text)}"


def _item_with(kind: FieldType) -> ServiceItem:
    return next(item for item in CATALOG if any(spec.type is kind and spec.required for spec in item.form))


@pytest.mark.parametrize("kind", list(FieldType))
async def test_a_bad_answer_of_every_field_type_is_told_next_to_its_field(app, services, kind):
    item = _item_with(kind)
    bad, message = INVALID[kind]
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot, item)
        target = next(spec for spec in item.form if spec.type is kind and spec.required)
        for spec in item.form:
            if spec is not target:
                await answer(pilot, spec)
            elif bad is not None:  # a choice left unchosen is its bad answer
                await answer(pilot, spec, bad)
        await tap(pilot, "#next")
        await settle(pilot)
        assert isinstance(app.screen, ApplyScreen)
        shown = str(app.screen.query_one(f"#e-{target.key}").render())
        assert message in shown, shown
        assert all(not str(app.screen.query_one(f"#e-{s.key}").render()) for s in item.form if s is not target)

        field = app.screen.query_one(f"#f-{target.key}")
        if kind is FieldType.CHOICE:
            await answer(pilot, target)
        else:
            field.value = ""
            await answer(pilot, target, valid_answer(target))
        await tap(pilot, "#next")
        await settle(pilot)
        assert not isinstance(app.screen, ApplyScreen), screen_text(app)
