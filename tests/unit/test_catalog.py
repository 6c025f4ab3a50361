import json
from datetime import date
from pathlib import Path

import pytest

from kiosk.catalog import CatalogError, ItemKind, Reuse, load_catalog
from kiosk.cli import main

ITEM = """
[[item]]
code = "{code}"
name = "测试事项{code}"
department = "测试局"
kind = "马上办"
who_may_apply = "本市居民"
legal_basis = ["《测试条例》第一条"]
conditions = ["本市户籍"]
materials = [{{ name = "居民身份证", reuse = "unconditional" }}]
procedure = ["申请", "受理"]
fee = {{ amount = "不收费", basis = "无收费依据" }}
promised_days = 1
legal_days = 5
place = "一楼"
hours = "工作日"
phone = "0877-1"
complaint_phone = "12345"
form = [{{ key = "phone", label = "联系电话", type = "{field_type}" }}]
"""


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_shipped_catalog_is_large_and_complete(catalog):
    assert len(catalog) >= 40
    assert len(catalog.departments) >= 8
    assert {item.kind for item in catalog} == set(ItemKind)
    assert {m.reuse for item in catalog for m in item.materials} == set(Reuse)
    assert any(item.is_bundle for item in catalog)
    assert all(item.complaint_phone and item.fee.basis and item.legal_basis for item in catalog)


def test_pinyin_initials_find_the_senior_card(catalog):
    assert catalog.search("lnryd")[0].name == "老年人优待证办理"


def test_search_by_code_and_chinese(catalog):
    assert catalog.search("mz0001")[0].code == "MZ0001"
    assert all("户口" in item.name or "户口" in " ".join(item.keywords) for item in catalog.search("户口")[:1])
    assert catalog.search("没有这种事项zzz") == []


def test_senior_card_decides_at_once_by_age(catalog):
    item = catalog["MZ0001"]
    assert item.decide(date(1960, 1, 1), date(2026, 11, 22))[0] is True
    assert item.decide(date(1970, 1, 1), date(2026, 11, 22))[0] is False


def test_over_80_allowance_is_an_instant_item(catalog):
    over_80 = [item for item in catalog if item.instant and item.instant.min_age == 80]
    assert over_80
    assert over_80[0].decide(date(1946, 11, 22), date(2026, 11, 22))[0] is True
    assert over_80[0].decide(date(1946, 11, 23), date(2026, 11, 22))[0] is False


def test_bundle_asks_each_member_material_once(catalog):
    bundle = next(item for item in catalog if item.is_bundle)
    names = [m.name for m in bundle.materials]
    assert len(names) == len(set(names))
    for member in catalog.members_of(bundle):
        assert {m.name for m in member.materials} <= set(names)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_duplicate_codes_are_reported_with_file_and_item(tmp_path):
    path = _write(tmp_path, ITEM.format(code="TS0001", field_type="phone") * 2)
    with pytest.raises(CatalogError, match=r"catalog.toml: item 2 \(TS0001.*duplicate code TS0001"):
        load_catalog(path)


def test_unknown_field_type_is_reported(tmp_path):
    path = _write(tmp_path, ITEM.format(code="TS0001", field_type="signature"))
    with pytest.raises(CatalogError, match=r"form\.0\.type: unknown value 'signature'"):
        load_catalog(path)


def test_missing_guide_element_is_reported(tmp_path):
    path = _write(tmp_path, ITEM.format(code="TS0001", field_type="phone").replace('complaint_phone = "12345"\n', ""))
    with pytest.raises(CatalogError, match="complaint_phone: Field required"):
        load_catalog(path)


def test_cli_json_lists_item_objects(capsys):
    assert main(["catalog", "search", "lnryd", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found[0]["code"] == "MZ0001"
    assert {"code", "name", "department", "kind", "time_limit_days"} <= set(found[0])


def test_cli_search_without_result_exits_1(capsys):
    assert main(["catalog", "search", "zzzzqqq"]) == 1
    assert "没有找到" in capsys.readouterr().err


def test_cli_validate_reports_problems_and_exits_2(tmp_path, capsys):
    path = _write(tmp_path, ITEM.format(code="TS0001", field_type="signature"))
    assert main(["catalog", "validate", str(path)]) == 2
    assert "signature" in capsys.readouterr().err
    assert main(["catalog", "validate", str(Path("config/catalog"))]) == 0


def test_the_halls_catalog_changes_replace_add_and_remove_and_a_bad_one_is_skipped(catalog):
    renamed = catalog["MZ0001"].model_dump(mode="json") | {"name": "老年人优待证办理（新版）"}
    added = catalog["MZ0002"].model_dump(mode="json") | {"code": "MZ0099", "name": "高龄老人慰问金申领"}
    broken = catalog["GA0003"].model_dump(mode="json") | {"kind": "不存在的类型"}
    changed = catalog.with_changes({"MZ0001": renamed, "MZ0099": added, "BD0001": None, "GA0003": broken})
    assert changed["MZ0001"].name == "老年人优待证办理（新版）"
    assert changed.search("gllrwwj")[0].code == "MZ0099"  # searchable by pinyin at once
    assert "BD0001" not in {item.code for item in changed}
    assert changed["GA0003"] == catalog["GA0003"]  # an invalid update never replaces a good item
    assert len(changed) == len(catalog)
    assert catalog.with_changes({}) is catalog
