"""The search index against the scan it replaced (benchmarks/search.py keeps it): the same items in the same order
for any query, on a generated catalog of a few thousand items; and the stored pinyin keys that spare a kiosk
pypinyin at start."""

from __future__ import annotations

import json
import string
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opencc import OpenCC

import kiosk.readings
from benchmarks.search import LinearScan, generated_catalog
from config import default_catalog_path
from config.i18n import Translator, translator
from kiosk.catalog import Catalog, CatalogError, load_catalog
from kiosk.cli import main
from kiosk.readings import CACHE_FILE, READINGS_FILE, Readings, name_keys, sort_key, stored_text, work_out, write

SIZE = 3_000
ODD_NAMES = ["CT检查预约", "B超 检查", "ABC证明开具", "行长\n任命备案", "重庆e行", "80周岁以上长寿补贴", "乐乐培训"]
"""Names with Latin letters, a space, a newline, polyphones: what the joined keys must still tell apart."""


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """A catalog of ``SIZE`` items with stored keys read from a pinyin.json, the scan it replaced over the same
    items (its keys worked out with pypinyin, as before), and the English names."""
    items, english = generated_catalog(SIZE - len(ODD_NAMES), seed=7)
    template = items[-1]
    items += [template.model_copy(update={"code": f"ZZ{n:04d}", "name": name}) for n, name in enumerate(ODD_NAMES, 1)]
    stored = tmp_path_factory.mktemp("catalog") / READINGS_FILE
    write(stored, *work_out({item.name for item in items}, {item.department for item in items}))
    readings = Readings.load(stored)
    return Catalog(items, readings), LinearScan(items), english, readings


NAMES = {
    "none": None,
    "zh_Hans": translator("zh_Hans").content,
    "zh_Hant": translator("zh_Hant").content,
}
_traditional = OpenCC("s2tw").convert


@st.composite
def queries(draw, items, english, readings):
    """What a resident types: a code or part of one, Chinese, initials, full pinyin, a letter, traditional
    characters, English, or anything at all, in any case and with stray spaces."""
    item = draw(st.sampled_from(items))
    initials, spelled = readings.key_lists(item.name)
    own = [english.get(item.name, item.name), _traditional(item.name)]
    text = draw(st.sampled_from([item.code, item.name, item.department, item.who_may_apply, *item.keywords, *own]))
    text = draw(st.sampled_from([text, *initials, *spelled]))
    start = draw(st.integers(0, max(0, len(text) - 1)))
    piece = text[start : start + draw(st.integers(1, 12))]
    query = draw(
        st.one_of(
            st.just(piece),
            st.just(piece.upper()),
            st.just(" ".join(piece)),
            st.sampled_from(string.ascii_lowercase),
            st.text(max_size=6),
            st.text(alphabet="abcdefghijklmnopqrstuvwxyz 长行乐證户口", max_size=8),
        )
    )
    return query


def check(catalog: Catalog, reference: LinearScan, query: str, names, limit: int) -> None:
    expected = [item.code for item in reference.search(query, limit, names)]
    assert [item.code for item in catalog.search(query, limit, names)] == expected, query


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_the_index_finds_what_the_scan_found_in_its_order(generated, data):
    catalog, reference, english, readings = generated
    items = list(catalog)
    query = data.draw(queries(items, english, readings))
    language = data.draw(st.sampled_from([*NAMES, "en"]))
    names = Translator("en", content=english).content if language == "en" else NAMES[language]
    check(catalog, reference, query, names, data.draw(st.sampled_from([50, 1, 7, 0, 500, -3])))


def test_every_kind_of_query_is_checked(generated):
    catalog, reference, english, _ = generated
    names = Translator("en", content=english).content
    queries = ["mz0001", "MZ", "m", "gjj", "lnryd", "laonian", "jijin", "zhengming", "a", "i", "z", "户口", "证"]
    queries += ["戶口遷移", "優待證", "senior citizen", "licence", "Fishing  vessel", "没有这种事项", "zzqx", "60"]
    queries += ["ct", "b超", "e行", "hangzhang", "xingchang", "lele", "yueyue", "80zs", "ABC", " "]
    for query in queries:
        for limit in (50, 5):
            check(catalog, reference, query, names, limit)
            check(catalog, reference, query, None, limit)


def test_the_halls_changes_search_as_a_catalog_of_the_changed_items_would(generated):
    catalog, _, english, _ = generated
    items = list(catalog)
    renamed = items[10].model_dump(mode="json") | {"name": "老年人优待证换领（长期）"}
    added = items[20].model_dump(mode="json") | {"code": "AA0001", "name": "银行长期贷款贴息"}
    moved = items[30].model_dump(mode="json") | {"code": "ZZ9999"}  # the hall gave it another code
    changes = {items[10].code: renamed, "AA0001": added, items[30].code: moved, items[40].code: None}
    changed = catalog.with_changes(changes)
    again = changed.with_changes({"AA0001": None, items[50].code: None, "AA0002": added | {"code": "AA0002"}})
    names = Translator("en", content=english).content
    for updated in (changed, again):
        reference = LinearScan(list(updated))
        for query in ["lnryd", "yhcq", "changqi", "老年", "银行", "aa", "zz", "z", "贷款", items[40].name, "senior"]:
            check(updated, reference, query, names, 50)
            check(updated, reference, query, None, 3)


def test_changing_a_few_items_works_out_the_keys_of_those_alone():
    asked: list[str] = []

    class Counting(Readings):
        def keys(self, names):
            names = list(names)
            asked.extend(names)
            return super().keys(names)

    catalog = load_catalog()
    counting = Counting.load(default_catalog_path() / READINGS_FILE)
    catalog = Catalog(catalog, counting)
    asked.clear()
    renamed = catalog["MZ0001"].model_dump(mode="json") | {"name": "老年人优待证换领"}
    changed = catalog.with_changes({"MZ0001": renamed, "BD0001": None})
    assert asked == ["老年人优待证换领"]
    assert changed.search("lnrydzhl")[0].code == "MZ0001"


def test_the_stored_keys_are_those_of_the_shipped_catalog():
    items = list(load_catalog())
    worked_out = work_out({item.name for item in items}, {item.department for item in items})
    stored = default_catalog_path() / READINGS_FILE
    assert stored.read_text(encoding="utf-8") == stored_text(*worked_out), "run: uv run kiosk catalog pinyin"


def test_departments_are_in_pinyin_order():
    departments = load_catalog().departments
    assert departments == sorted(departments, key=sort_key)


def test_the_shipped_catalog_loads_and_searches_without_pypinyin():
    script = """
import sys
from config.i18n import translator
from kiosk.catalog import load_catalog
catalog = load_catalog()
assert catalog.search("lnryd")[0].code == "MZ0001"
assert catalog.search("laonianren")[0].code == "MZ0001"
assert catalog.search("戶口遷移") and catalog.search("mz00")
assert catalog.search("senior citizen", names=translator("en").content)[0].code == "MZ0001"
assert len(catalog.departments) >= 8
assert "pypinyin" not in sys.modules, "pypinyin was imported"
"""
    subprocess.run([sys.executable, "-c", script], check=True, cwd=Path(__file__).parents[2])


def test_keys_worked_out_for_the_halls_items_are_kept_for_the_next_start(tmp_path, monkeypatch):
    cache = tmp_path / CACHE_FILE
    catalog = load_catalog(readings_cache=cache)
    added = catalog["MZ0002"].model_dump(mode="json") | {"code": "MZ0099", "name": "高龄老人慰问金申领"}
    assert catalog.with_changes({"MZ0099": added}).search("gllrwwj")[0].code == "MZ0099"
    assert cache.is_file()

    def no_pypinyin(text):
        raise AssertionError(f"keys of {text} worked out again")

    monkeypatch.setattr(kiosk.readings, "name_keys", no_pypinyin)
    restarted = load_catalog(readings_cache=cache)
    assert restarted.with_changes({"MZ0099": added}).search("gllrwwj")[0].code == "MZ0099"


def test_a_broken_cache_is_worked_out_again_and_a_broken_pinyin_json_is_reported(tmp_path):
    cache = tmp_path / CACHE_FILE
    cache.write_text("{not json", encoding="utf-8")
    assert load_catalog(readings_cache=cache).search("lnryd")[0].code == "MZ0001"
    folder = tmp_path / "catalog"
    folder.mkdir()
    (folder / "minzheng.toml").write_text((default_catalog_path() / "minzheng.toml").read_text("utf-8"), "utf-8")
    (folder / READINGS_FILE).write_text(json.dumps({"names": {"老年人优待证办理": "lnryd"}}), encoding="utf-8")
    with pytest.raises(CatalogError, match="kiosk catalog pinyin"):
        load_catalog(folder)


def test_the_pinyin_command_writes_what_load_catalog_reads(tmp_path, capsys):
    (tmp_path / "minzheng.toml").write_text((default_catalog_path() / "minzheng.toml").read_text("utf-8"), "utf-8")
    assert main(["catalog", "pinyin", str(tmp_path)]) == 0
    assert READINGS_FILE in capsys.readouterr().out
    readings = Readings.load(tmp_path / READINGS_FILE)
    assert readings.keys(["结婚登记"]) == [("jhdj", "jiehundeji\njiehundengji")]
    assert readings.key_lists("老年人优待证办理") == name_keys("老年人优待证办理")


SHIPPED, TRADITIONAL = load_catalog(), Translator("zh_Hant")
ANY_TEXT = st.text(st.characters(blacklist_categories=()) | st.sampled_from("户口戶證\ud800\udfff"), max_size=12)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_any_query_even_with_a_lone_surrogate_searches_and_shows_in_traditional(query):
    """A garbled scan or paste can leave a lone surrogate; OpenCC, which takes UTF-8, raised on one."""
    assert isinstance(SHIPPED.search(query), list)
    assert isinstance(TRADITIONAL.content(query + "户口"), str)
