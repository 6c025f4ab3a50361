"""Materials needed only for some answers (``when = { field = ..., is = [...] }``): a resident who lost her
household booklet is not told to bring the damaged one, on screen, on the receipt or to the hall; a condition that
names no choice of the form does not load; and over every item and every answer of the shipped catalog, what is
missing is exactly what the answers call for and was not ticked."""

from __future__ import annotations

import pytest
import requests
from pydantic import ValidationError
from textual.widgets import Checkbox

from devices.document import Text
from devices.samples import WANG_XIUYING
from kiosk.application import Applicant, Application
from kiosk.catalog import CatalogError, FieldType, ServiceItem, load_catalog
from kiosk.paper import application_receipt
from screens.done import DoneScreen
from screens.review import ReviewScreen
from tests.app.walk import SIZE, answer, choose, open_form, settle, tap
from tests.conftest import FIXED_NOW, opened_payload

CATALOG = load_catalog()
DAMAGED = "损坏的户口簿"
GA0005_OTHERS = ["申请人居民身份证", "户口簿补领（换领）申请表"]
VALID = {
    FieldType.TEXT: "示例内容",
    FieldType.NUMBER: "3",
    FieldType.DATE: "2024-03-05",
    FieldType.PHONE: "13800001234",
    FieldType.ID_NUMBER: "44011320141005001X",
    FieldType.CREDIT_CODE: "91310115MA1K3BTP2B",
}

# The conditions the shipped catalog states, by item and material: the answers for which each is needed.
SHIPPED = {
    ("BD0001", "存在利害关系的证明材料（如买卖意向合同、诉讼材料）"): ("query_purpose", ("利害关系人查询",)),
    ("GA0003", "损坏的居民身份证"): ("reason", ("损坏",)),
    ("GA0004", "迁入地居民户口簿或户主同意入户的书面意见"): ("move_reason", ("投靠直系亲属", "就业落户", "其他")),
    ("GA0004", "不动产权证书或购房合同"): ("move_reason", ("购房迁入",)),
    ("GA0004", "亲属关系证明（结婚证、出生医学证明等）"): ("move_reason", ("投靠直系亲属",)),
    ("GA0005", DAMAGED): ("reason", ("损坏", "页面用完")),
    ("GA0007", "相关佐证材料（如原户籍资料、档案记载）"): ("proof_type", ("曾用名证明", "其他户籍证明")),
    ("JY0001", "监护人居住证"): ("residence_type", ("随迁子女（持居住证）",)),
    ("MZ0003", "二级以上医院疾病诊断证明"): ("reason", ("因病",)),
    ("RS0004", "原社会保障卡"): ("reason", ("损坏", "芯片失效", "信息变更", "换领新版卡")),
    ("SJ0002", "新经营场所使用证明"): ("change_item", ("经营场所",)),
    ("SJ0006", "损毁的营业执照"): ("reason", ("损毁", "换发新版")),
    ("WJ0002", "原出生医学证明"): ("reason", ("损毁换发", "登记项目错误换发")),
    ("WJ0002", "新生儿户口簿（如已落户）"): ("reason", ("登记项目错误换发",)),
    ("YB0001", "出生医学证明"): ("insured_type", ("新生儿",)),
}


def answers_for(item: ServiceItem, **chosen: str) -> dict[str, str]:
    """A valid answer to every field: a choice's first option unless ``chosen`` names another."""
    return {
        spec.key: chosen.get(spec.key) or (spec.options[0] if spec.type is FieldType.CHOICE else VALID[spec.type])
        for spec in item.form
    }


def application(item: ServiceItem, ticked=(), **chosen: str) -> Application:
    filing = Application(item, Applicant.from_card(WANG_XIUYING))
    assert filing.set_values(answers_for(item, **chosen), FIXED_NOW.date()) == {}
    filing.materials = set(ticked)
    return filing


def printed_text(services, saved) -> str:
    station = services.settings.station
    document = application_receipt(saved, station.name, station.hotline)
    return "\n".join(block.text for block in document.blocks if isinstance(block, Text))


# The household booklet (GA0005), by hand


def test_a_lost_booklet_is_not_asked_for_and_a_damaged_one_is():
    item = CATALOG["GA0005"]
    lost, damaged, full = (application(item, reason=r) for r in ("遗失", "损坏", "页面用完"))
    assert [m.name for m in lost.missing_materials] == GA0005_OTHERS
    assert [m.name for m in damaged.missing_materials] == ["申请人居民身份证", DAMAGED, "户口簿补领（换领）申请表"]
    assert DAMAGED in [m.name for m in full.missing_materials]  # 页面用完: the full booklet is handed back
    unanswered = Application(item, Applicant.from_card(WANG_XIUYING))
    assert [m.name for m in unanswered.applicable_materials] == [m.name for m in item.materials]


def test_a_lost_booklet_with_the_rest_brought_is_complete():
    item = CATALOG["GA0005"]
    lost = application(item, ticked=GA0005_OTHERS, reason="遗失")
    assert lost.missing_materials == [] and lost.outstanding_materials == []
    assert application(item, ticked=GA0005_OTHERS, reason="损坏").missing_materials[0].name == DAMAGED


def test_the_receipt_of_a_lost_booklet_does_not_ask_for_the_damaged_one(services):
    filing = application(services.catalog["GA0005"], reason="遗失")
    saved = services.submit(filing)
    assert saved.masked["missing_materials"] == GA0005_OTHERS
    assert opened_payload(services.store, saved.id)["missing_materials"] == GA0005_OTHERS  # the hall's copy
    receipt = printed_text(services, saved)
    assert f"待补材料：{'、'.join(GA0005_OTHERS)}" in receipt and DAMAGED not in receipt


def test_the_receipt_of_a_damaged_booklet_asks_for_it_when_not_ticked(services):
    saved = services.submit(application(services.catalog["GA0005"], reason="损坏"))
    assert DAMAGED in saved.masked["missing_materials"]
    assert DAMAGED in next(line for line in printed_text(services, saved).splitlines() if "待补材料" in line)


async def test_a_resident_who_lost_her_booklet_walks_to_review_without_being_asked_for_it(app, services):
    item = services.catalog["GA0005"]
    reason = item.form[0]
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot, item)
        (box,) = [b for b in app.screen.query(".material").results(Checkbox) if b.name == DAMAGED]
        assert box.display  # not yet answered: every material of the guide is listed
        await choose(pilot, "#f-reason", reason.options.index("损坏"))
        await pilot.pause()
        assert box.display
        await tap(pilot, box)  # ticked, then the answer changes: a booklet she no longer has does not count
        await choose(pilot, "#f-reason", reason.options.index("遗失"))
        await pilot.pause()
        assert not box.display
        for spec in item.form[1:]:
            await answer(pilot, spec)
        await tap(pilot, "#next")
        await settle(pilot)
        assert isinstance(app.screen, ReviewScreen)
        missing = str(app.screen.query_one("#missing").render())
        assert all(name in missing for name in GA0005_OTHERS) and DAMAGED not in missing
        assert "已带材料：无" in str(app.screen.query_one("#review Static").render())
        await tap(pilot, "#confirm-all")  # 都带了: every material she needs
        await settle(pilot)
        assert isinstance(app.screen, DoneScreen)
        saved = app.visit.saved
        (job,) = services.devices.printer_simulator.jobs
    assert saved.masked["materials"] == sorted(GA0005_OTHERS) and saved.masked["missing_materials"] == []
    assert DAMAGED not in job.data.decode("gb18030", errors="replace")


# Every item, every answer


def test_the_shipped_catalog_states_the_conditions_its_notes_describe():
    stated = {
        (item.code, m.name): (m.when.field, m.when.is_)
        for item in CATALOG
        if not item.is_bundle
        for m in item.materials
        if m.when is not None
    }
    assert stated == SHIPPED
    for (code, _), (key, needed) in SHIPPED.items():
        options = next(spec.options for spec in CATALOG[code].form if spec.key == key)
        assert set(needed) < set(options), code  # some answer does without it, or the condition says nothing


def scenarios(item: ServiceItem) -> list[dict[str, str]]:
    """Each option of each choice field a condition names (the rest at their first option); the first options
    alone for an item without conditions."""
    keys = {m.when.field for m in item.materials if m.when is not None}
    choices = [spec for spec in item.form if spec.key in keys]
    return [{spec.key: option} for spec in choices for option in spec.options] or [{}]


@pytest.mark.parametrize("code", [item.code for item in CATALOG])
def test_what_is_missing_is_what_the_answers_call_for_and_was_not_ticked(code):
    item = CATALOG[code]
    names = [m.name for m in item.materials]
    for chosen in scenarios(item):
        answers = answers_for(item, **chosen)
        needed = [
            m.name for m in item.materials if m.when is None or answers[m.when.field] in m.when.is_
        ]  # stated here from the catalog's data, not by the code under test
        for ticked in ([], names[::2], names[1::2], needed):
            filing = application(item, ticked, **chosen)
            expected = [name for name in needed if name not in ticked]
            assert [m.name for m in filing.missing_materials] == expected, (chosen, ticked)
            submission = filing.to_submission(FIXED_NOW, FIXED_NOW.date(), False)
            assert submission.masked["missing_materials"] == expected
            assert submission.payload["missing_materials"] == expected
            if item.instant is not None:  # decided at once exactly when nothing the answers call for is missing
                assert (filing.decision(FIXED_NOW.date()) is not None) == (not expected)


def test_a_material_two_members_of_a_bundle_list_under_different_conditions_is_always_needed():
    by_newborn = next(m for m in CATALOG["YB0001"].materials if m.name == "出生医学证明")
    in_bundle = next(m for m in CATALOG["YJ0001"].materials if m.name == "出生医学证明")
    assert by_newborn.when is not None and in_bundle.when is None  # 出生登记 (GA0001) needs it whatever the answer


def test_conditions_survive_the_halls_store_and_pull():
    for item in CATALOG:
        assert ServiceItem.model_validate_json(item.model_dump_json()) == item
        assert ServiceItem.model_validate(item.model_dump(mode="json")) == item
    dumped = CATALOG["GA0005"].model_dump(mode="json")
    (when,) = [m["when"] for m in dumped["materials"] if m["when"]]
    assert when == {"field": "reason", "is": ["损坏", "页面用完"]}  # as the TOML writes it


# Conditions that cannot hold do not load

ITEM = """
[[item]]
code = "{code}"
name = "{name}"
department = "测试局"
kind = "马上办"
who_may_apply = "本市居民"
legal_basis = ["《测试条例》第一条"]
conditions = ["本市户籍"]
procedure = ["申请", "受理"]
fee = {{ amount = "不收费", basis = "无收费依据" }}
promised_days = 1
legal_days = 5
place = "一楼"
hours = "工作日"
phone = "0877-1"
complaint_phone = "12345"
members = [{members}]
form = [
  {{ key = "reason", label = "申请原因", type = "choice", options = [{options}] }},
  {{ key = "phone", label = "联系电话", type = "phone" }},
]
materials = [
  {{ name = "居民身份证", reuse = "unconditional" }},
  {{ name = "{material}", reuse = "never"{when} }},
]
"""


def item_toml(
    code="MZ0098", name="测试补领事项", options='"遗失", "损坏"', material="损坏的证件", when="", members=""
) -> str:
    return ITEM.format(
        code=code,
        name=name,
        options=options,
        material=material,
        when=f", when = {when}" if when else "",
        members=members,
    )


def test_a_well_formed_condition_loads(tmp_path):
    (tmp_path / "test.toml").write_text(item_toml(when='{ field = "reason", is = ["损坏"] }'), encoding="utf-8")
    (item,) = load_catalog(tmp_path / "test.toml")
    assert item.materials[1].when.field == "reason" and item.materials[1].when.is_ == ("损坏",)
    assert item.materials[0].when is None


@pytest.mark.parametrize(
    ("when", "told"),
    [
        ('{ field = "cause", is = ["损坏"] }', "material '损坏的证件': when.field 'cause' is not a field of the form"),
        ('{ field = "phone", is = ["损坏"] }', "material '损坏的证件': when.field 'phone' is a phone field, not a"),
        (
            '{ field = "reason", is = ["损坏", "被盗"] }',
            "when.field 'reason': '被盗' not among its options (遗失, 损坏)",
        ),
        ('{ field = "reason", is = [] }', "materials.1.when.is: Tuple should have at least 1 item"),
        ('{ field = "reason", in = ["损坏"] }', "materials.1.when.in: Extra inputs are not permitted"),
    ],
)
def test_a_condition_naming_no_choice_of_the_form_is_refused_by_item_material_and_field(tmp_path, when, told):
    (tmp_path / "test.toml").write_text(item_toml(when=when), encoding="utf-8")
    with pytest.raises(CatalogError) as caught:
        load_catalog(tmp_path / "test.toml")
    assert "test.toml: item 1 (MZ0098 测试补领事项)" in str(caught.value) and told in str(caught.value)


def test_the_hall_refuses_such_an_item_too():
    item = CATALOG["GA0005"].model_dump(mode="json")
    for material in item["materials"]:
        if material["when"]:
            material["when"]["is"] = ["被盗"]
    with pytest.raises(ValidationError, match="'被盗' not among its options"):
        ServiceItem.model_validate(item)


def test_a_bundle_that_asks_a_members_field_with_other_options_does_not_load(tmp_path):
    # The bundle's form is its members' forms merged, a later member's field in place of an earlier's.
    catalog = (
        item_toml(when='{ field = "reason", is = ["损坏"] }')
        + item_toml(code="MZ0097", name="另一事项", options='"丢失", "被盗"', material="另一材料")
        + item_toml(code="YJ0098", name="测试一件事", material="联办申请表", members='"MZ0098", "MZ0097"')
    )
    (tmp_path / "test.toml").write_text(catalog, encoding="utf-8")
    with pytest.raises(CatalogError, match=r"YJ0098 测试一件事 \(with its members\): material '损坏的证件'"):
        load_catalog(tmp_path)


def test_a_bundle_keeps_a_condition_its_members_share(tmp_path):
    when = '{ field = "reason", is = ["损坏"] }'
    catalog = (
        item_toml(when=when)
        + item_toml(code="MZ0097", name="另一事项", when=when)
        + item_toml(code="YJ0098", name="测试一件事", material="联办申请表", members='"MZ0098", "MZ0097"')
    )
    (tmp_path / "test.toml").write_text(catalog, encoding="utf-8")
    bundle = load_catalog(tmp_path)["YJ0098"]
    assert [m.name for m in bundle.materials_for({"reason": "遗失"})] == ["居民身份证", "联办申请表"]


# The hall, whose staff edit items


def test_the_hall_takes_a_condition_from_staff_documents_it_and_serves_it_to_kiosks(hall):
    staff = {"Authorization": f"Bearer {hall.storage.new_staff_token()}"}
    kiosk = {"Authorization": f"Bearer {hall.storage.enroll(hall.storage.new_enrolment_code(), 'T1', 't').token}"}
    url = hall.url + "/v1/staff/catalog/items/GA0005"
    item = hall.storage.catalog_item("GA0005")
    (condition,) = [m["when"] for m in item["materials"] if m.get("when")]
    assert condition == {"field": "reason", "is": ["损坏", "页面用完"]}

    item["materials"][1]["when"] = {"field": "reason", "is": ["损坏"]}
    assert requests.put(url, json=item, headers=staff, timeout=10).status_code == 200
    pulled = requests.get(hall.url + "/v1/catalog", params={"since": 1}, headers=kiosk, timeout=10).json()
    assert CATALOG.with_changes({"GA0005": pulled["items"][0]})["GA0005"].materials[1].when.is_ == ("损坏",)

    item["materials"][1]["when"] = {"field": "phone", "is": ["损坏"]}
    refused = requests.put(url, json=item, headers=staff, timeout=10)
    assert refused.status_code == 422 and "not a choice" in refused.text

    schemas = requests.get(hall.url + "/openapi.json", timeout=10).json()["components"]["schemas"]
    assert "when" in schemas["Material"]["properties"] and schemas["Material"]["properties"]["when"]["description"]
    assert schemas["AnswerCondition"]["required"] == ["field", "is"]
