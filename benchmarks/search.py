"""Search on a 10,000-item catalog: the time of one search (a keystroke), and the time to build the index.

    uv run python -m benchmarks.search [--quick]

The catalog is the shipped one and 9,945 items more, named the way item names are (a subject such as 住房公积金
or 食品经营, a task such as 变更登记 or 许可证核发, sometimes a qualifier such as （跨省）) in thirty departments, with
codes like the shipped ones. The queries are what a resident types: a code or the start of one, Chinese words, pinyin
initials, full pinyin, one letter, traditional characters, English words, and nonsense; each search is given the
names of the query's language, as the catalog screen gives them.

Search: p99 of the queries on 10,000 items, against the same queries on the shipped 55-item catalog, so the ratio
shows what the catalog's size adds. Build: the index of 10,000 items from stored pinyin keys (read from a
``pinyin.json``, as a kiosk starts), against the index as it was built before (every name's keys worked out with
pypinyin, already imported), in the same run.

:class:`LinearScan` is that earlier index, kept as the reference the tests check the new one against: it scores
every item on every search.
"""

from __future__ import annotations

import argparse
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from benchmarks.figures import Figure
from config.i18n import Translator, to_simplified, translator
from kiosk.catalog import ServiceItem, load_catalog
from kiosk.readings import READINGS_FILE, Keys, Readings, write
from kiosk.search import SearchIndex

SIZE = 10_000


# The earlier index, as it was: every item scored on every search.


def reading_keys(text: str) -> tuple[set[str], set[str]]:
    """Pinyin initials and full pinyin spellings of ``text``, every reading of a polyphone included."""
    from pypinyin import Style, pinyin

    readings = pinyin(text, style=Style.NORMAL, heteronym=True, errors=lambda s: list(s.lower()))
    options = [sorted(set(r))[:3] for r in readings]
    initials: set[str] = set()
    spelled: set[str] = set()
    for combo in itertools.islice(itertools.product(*options), 64):
        initials.add("".join(s[0] for s in combo if s))
        spelled.add("".join(combo))
    return initials, spelled


class _Indexed:
    __slots__ = ("initials", "item", "spelled", "text")

    def __init__(self, item: ServiceItem, keys: Callable[[str], tuple[Iterable[str], Iterable[str]]]) -> None:
        self.item = item
        self.initials, self.spelled = keys(item.name)
        self.text = " ".join([item.name, item.department, *item.keywords, item.who_may_apply])


class LinearScan:
    """The earlier search index: ``keys`` gives a name's pinyin keys (by default worked out with pypinyin)."""

    def __init__(
        self, items: Iterable[ServiceItem], keys: Callable[[str], tuple[Iterable[str], Iterable[str]]] = reading_keys
    ) -> None:
        self._entries = [_Indexed(item, keys) for item in items]

    def search(self, query: str, limit: int = 50, names: Callable[[str], str] | None = None) -> list[ServiceItem]:
        return [item for _, item in self.scored(query, names)[:limit]]

    def scored(self, query: str, names: Callable[[str], str] | None = None) -> list[tuple[int, ServiceItem]]:
        """Every matching item with its score, best first."""
        q = to_simplified("".join(query.split()).lower())
        if not q:
            return []
        words = " ".join(query.lower().split())
        scored: list[tuple[int, str, ServiceItem]] = []
        for entry in self._entries:
            score = _score(entry, q)
            if not score and names is not None and words in names(entry.item.name).lower():
                score = 65
            if score:
                scored.append((score, entry.item.code, entry.item))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [(score, item) for score, _, item in scored]


def _score(entry: _Indexed, q: str) -> int:
    item = entry.item
    code = item.code.lower()
    if q == code:
        return 100
    if code.startswith(q):
        return 90
    if item.name.startswith(q):
        return 80
    if q in item.name:
        return 70
    if q.isascii() and q.isalpha():
        if any(i.startswith(q) for i in entry.initials):
            return 60
        if any(s.startswith(q) for s in entry.spelled):
            return 55
        if any(q in i for i in entry.initials):
            return 50
        if len(q) >= 3 and any(q in s for s in entry.spelled):
            return 45
    if q in entry.text:
        return 30
    return 0


# A catalog of any size, named the way item names are.

SUBJECTS = [
    ("老年人优待证", "senior citizen card"), ("高龄", "advanced age"), ("残疾人", "disabled persons"),
    ("新生儿", "newborn"), ("城乡居民养老保险", "residents' pension insurance"),
    ("城乡居民医疗保险", "residents' medical insurance"), ("职工养老保险", "employees' pension insurance"),
    ("失业保险", "unemployment insurance"), ("工伤保险", "work injury insurance"), ("生育保险", "maternity insurance"),
    ("个体工商户", "individual business"), ("企业", "enterprise"), ("农民专业合作社", "farmers' cooperative"),
    ("退役军人", "veterans"), ("住房公积金", "housing provident fund"), ("机动车", "motor vehicle"),
    ("驾驶证", "driving licence"), ("建设工程", "construction project"), ("建筑施工企业", "construction company"),
    ("食品经营", "food business"), ("食品生产", "food production"), ("药品零售", "pharmacy"),
    ("医疗机构", "medical institution"), ("医师执业", "physician practice"), ("护士执业", "nurse practice"),
    ("民办学校", "private school"), ("幼儿园", "kindergarten"), ("教师资格", "teacher qualification"),
    ("道路运输", "road transport"), ("出租汽车", "taxi"), ("网约车", "ride-hailing car"),
    ("种子生产经营", "seed business"), ("林木采伐", "timber felling"), ("取水", "water abstraction"),
    ("排污", "pollutant discharge"), ("危险化学品经营", "hazardous chemicals business"),
    ("烟花爆竹经营", "fireworks business"), ("娱乐场所", "entertainment venue"), ("旅行社", "travel agency"),
    ("律师执业", "lawyer practice"), ("法律援助", "legal aid"), ("对外贸易经营者", "foreign trade operator"),
    ("社会团体", "social organisation"), ("民办非企业单位", "private non-enterprise unit"),
    ("宗教活动场所", "religious venue"), ("就业创业证", "employment certificate"),
    ("高校毕业生", "university graduates"), ("最低生活保障", "minimum living allowance"),
    ("特困人员", "persons in extreme poverty"), ("临时救助", "temporary assistance"),
    ("独生子女父母", "parents of an only child"), ("居住证", "residence permit"), ("户口", "household register"),
    ("居民身份证", "resident ID card"), ("社会保障卡", "social security card"), ("不动产", "real estate"),
    ("二手房", "second-hand housing"), ("异地就医", "medical treatment elsewhere"),
    ("门诊慢特病", "chronic disease outpatient"), ("特种设备", "special equipment"),
    ("计量器具", "measuring instruments"), ("户外广告", "outdoor advertising"), ("占道经营", "street vending"),
    ("城市道路挖掘", "road excavation"), ("公共场所卫生", "public place hygiene"),
    ("放射诊疗", "radiological diagnosis"), ("殡葬", "funeral"), ("婚姻", "marriage"), ("收养", "adoption"),
    ("慈善组织", "charity"), ("志愿服务", "volunteer service"), ("农村宅基地", "rural homestead"),
    ("农机", "farm machinery"), ("渔业船舶", "fishing vessel"), ("动物防疫", "animal epidemic prevention"),
    ("生猪屠宰", "pig slaughter"), ("兽药经营", "veterinary drugs business"), ("农药经营", "pesticide business"),
    ("文物保护", "cultural relics"), ("网吧", "internet cafe"), ("出版物零售", "publication retail"),
    ("电影放映", "film screening"), ("体育经营", "sports business"), ("气象", "meteorology"),
    ("消防", "fire safety"), ("人防工程", "civil air defence works"), ("地名", "place name"),
    ("统计", "statistics"), ("档案", "archives"), ("发票", "invoice"), ("契税", "deed tax"),
    ("个人所得税", "individual income tax"), ("长期护理保险", "long-term care insurance"),
]  # fmt: skip
TASKS = [
    ("登记", "registration"), ("变更登记", "change of registration"), ("注销登记", "deregistration"),
    ("设立登记", "establishment registration"), ("备案", "filing"), ("许可", "permit"),
    ("许可证核发", "permit issuance"), ("许可证延续", "permit renewal"), ("许可证补办", "permit replacement"),
    ("资格认定", "qualification recognition"), ("资格确认", "eligibility confirmation"),
    ("证明开具", "certificate issuance"), ("补贴申领", "subsidy claim"), ("津贴申领", "allowance claim"),
    ("待遇申领", "benefit claim"), ("待遇认定", "benefit determination"), ("信息查询", "information enquiry"),
    ("证书补领", "certificate replacement"), ("证书换领", "certificate renewal"), ("年度报告", "annual report"),
    ("关系转移接续", "transfer"), ("审批", "approval"), ("申请", "application"), ("办理", "handling"),
    ("核准", "authorisation"), ("验收", "acceptance inspection"), ("复核", "review"),
    ("奖励扶助", "reward and support"), ("救助申请", "assistance application"), ("参保登记", "insurance enrolment"),
]  # fmt: skip
QUALIFIERS = [
    ("", ""), ("", ""), ("", ""), ("", ""), ("（个人）", " (individual)"), ("（单位）", " (organisation)"),
    ("（首次）", " (first time)"), ("（变更）", " (change)"), ("（延续）", " (renewal)"),
    ("（市内）", " (in the city)"), ("（跨省）", " (across provinces)"), ("（遗失）", " (lost)"),
    ("（有效期满）", " (expired)"), ("（告知承诺制）", " (by commitment)"),
]  # fmt: skip
DEPARTMENTS = [
    ("民政局", "MZ"), ("公安局（户籍）", "GA"), ("人力资源和社会保障局", "RS"), ("市场监督管理局", "SJ"),
    ("卫生健康委员会", "WJ"), ("医疗保障局", "YB"), ("教育局", "JY"), ("住房公积金管理中心", "GJ"),
    ("不动产登记中心", "BD"), ("交通运输局", "JT"), ("自然资源局", "ZR"), ("住房和城乡建设局", "ZJ"),
    ("税务局", "SW"), ("退役军人事务局", "TY"), ("残疾人联合会", "CL"), ("农业农村局", "NY"),
    ("林业和草原局", "LC"), ("水务局", "SL"), ("生态环境局", "HB"), ("应急管理局", "AJ"),
    ("文化和旅游局", "WL"), ("司法局", "SF"), ("商务局", "SS"), ("统计局", "TJ"), ("消防救援大队", "XF"),
    ("气象局", "QX"), ("档案馆", "DA"), ("城市管理局", "CG"), ("发展和改革局", "FG"), ("科学技术局", "KJ"),
]  # fmt: skip
WHERE = ["本区户籍的", "在本市居住的", "在本区登记的", "本市范围内的", "持本区居住证的", "在本区经营的", ""]
WHO = [
    "居民",
    "企业",
    "个体工商户",
    "老年人",
    "参保人员",
    "经营者",
    "申请人",
    "用人单位",
    "职工",
    "监护人",
    "法定代表人",
]
CLAUSES = ["可委托他人代办", "须本人到场", "可网上申请", "材料齐全的当场办结", "由单位统一申请", "可由家属代办"]


def generated_catalog(size: int = SIZE, seed: int = 1) -> tuple[list[ServiceItem], dict[str, str]]:
    """The shipped items and generated ones up to ``size``, and every item's English name by its Chinese one."""
    rng = random.Random(seed)
    shipped = list(load_catalog())
    english = translator("en")
    names = {item.name: english.content(item.name) for item in shipped}
    template = next(item for item in shipped if not item.is_bundle)
    words = sorted({word for item in shipped for word in item.keywords} | {s for s, _ in SUBJECTS})
    numbers = {prefix: 1000 for _, prefix in DEPARTMENTS}
    combos = [(s, t, q) for s in SUBJECTS for t in TASKS for q in QUALIFIERS]
    rng.shuffle(combos)
    items = list(shipped)
    for (subject, subject_en), (task, task_en), (qualifier, qualifier_en) in combos:
        if len(items) >= size:
            break
        name = subject + task + qualifier
        if name in names:
            continue
        names[name] = f"{subject_en} {task_en}{qualifier_en}".capitalize()
        department, prefix = rng.choice(DEPARTMENTS)
        numbers[prefix] += 1
        who = rng.choice(WHERE) + rng.choice(WHO)
        if rng.random() < 0.5:
            who += "；" + rng.choice(CLAUSES)
        update = {
            "code": f"{prefix}{numbers[prefix]:04d}",
            "name": name,
            "department": department,
            "who_may_apply": who,
            "keywords": tuple(rng.sample(words, rng.randint(2, 5))),
            "instant": None,
        }
        items.append(template.model_copy(update=update))
    return items, names


def queries(items: list[ServiceItem], english: dict[str, str], keys: dict[str, Keys], count: int, seed: int = 2):
    """``count`` queries of each kind: (kind, text, language)."""
    from opencc import OpenCC

    traditional = OpenCC("s2tw").convert
    rng = random.Random(seed)

    def name() -> str:
        return rng.choice(items).name

    def piece(text: str, shortest: int = 1, longest: int = 4) -> str:
        length = rng.randint(shortest, min(longest, len(text)))
        start = rng.randrange(len(text) - length + 1)
        return text[start : start + length]

    kinds: dict[str, Callable[[], tuple[str, str]]] = {
        "code": lambda: (rng.choice(items).code.lower(), "zh_Hans"),
        "code start": lambda: (rng.choice(items).code[: rng.randint(1, 5)].lower(), "zh_Hans"),
        "Chinese": lambda: (piece(name(), 1, 4), "zh_Hans"),
        "initials": lambda: (rng.choice(keys[name()][0])[: rng.randint(2, 6)], "zh_Hans"),
        "full pinyin": lambda: (rng.choice(keys[name()][1])[: rng.randint(3, 12)], "zh_Hans"),
        "one letter": lambda: (rng.choice("abcdefghijklmnopqrstuvwxyz"), "zh_Hans"),
        "traditional": lambda: (traditional(piece(name(), 2, 4)), "zh_Hant"),
        "English": lambda: (piece(english[name()].lower().split(), 1, 2), "en"),
        "nonsense": lambda: (rng.choice(["zzqx", "没有这种事项", "qqq", "xz9", "办证zzz", "abcdefg"]), "zh_Hans"),
    }
    found = []
    for kind, make in kinds.items():
        for _ in range(count):
            text, language = make()
            found.append((kind, " ".join(text) if isinstance(text, list) else text, language))
    return found


def speakers(english: dict[str, str]) -> dict[str, Callable[[str], str]]:
    """Each language's ``names`` callback, as the catalog screen passes it: a translator's ``content``."""
    return {
        "zh_Hans": translator("zh_Hans").content,
        "zh_Hant": translator("zh_Hant").content,
        "en": Translator("en", content=english).content,
    }


# Measuring


def search_times(index, asked: list[tuple[str, str, str]], names: dict[str, Callable[[str], str]], rounds: int):
    """Seconds of each search, every query ``rounds`` times; each language's names indexed before timing."""
    for callback in names.values():
        index.search("预热", names=callback)
    times = []
    for _ in range(rounds):
        for _, text, language in asked:
            start = time.perf_counter()
            index.search(text, names=names[language])
            times.append(time.perf_counter() - start)
    return times


def p99(times: list[float]) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[98]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.2f} ms"


def measure(quick: bool) -> dict[str, object]:
    items, english = generated_catalog()
    reading_keys("预热")  # pypinyin imported before the earlier build is timed
    start = time.perf_counter()
    earlier = LinearScan(items)
    earlier_build = time.perf_counter() - start
    keys = {e.item.name: (tuple(sorted(e.initials)), tuple(sorted(e.spelled))) for e in earlier._entries}
    loads, builds = [], []
    with tempfile.TemporaryDirectory() as folder:
        stored = Path(folder) / READINGS_FILE
        write(stored, keys, {})
        for _ in range(3 if quick else 7):
            start = time.perf_counter()
            readings = Readings.load(stored)
            loaded = time.perf_counter()
            SearchIndex(items, readings)
            loads.append(loaded - start)
            builds.append(time.perf_counter() - start)
    index = SearchIndex(items, readings)
    asked = queries(items, english, keys, 10 if quick else 40)
    names = speakers(english)
    rounds = 2 if quick else 5
    first = {}
    for language in names:  # a language's first search indexes its names; later ones find them indexed
        fresh = SearchIndex(items, readings)
        start = time.perf_counter()
        fresh.search("预热", names=names[language])
        first[language] = time.perf_counter() - start
    return {
        "size": len(items),
        "large": search_times(index, asked, names, rounds),
        "shipped": search_times(load_catalog(), asked, names, rounds),
        "earlier": search_times(earlier, asked[:: 10 if quick else 4], names, 1),
        "load": statistics.median(loads),
        "build": statistics.median(builds),
        "earlier_build": earlier_build,
        "first": first,
    }


def figures(quick: bool) -> list[Figure]:
    m = measure(quick)
    large, shipped, earlier = m["large"], m["shipped"], m["earlier"]
    first = ", ".join(f"{language} {ms(seconds)}" for language, seconds in m["first"].items())
    search_note = (
        f"{len(large)} searches; median {ms(statistics.median(large))} (shipped {ms(statistics.median(shipped))}); "
        f"the earlier scan on the same items: median {ms(statistics.median(earlier))}, p99 {ms(p99(earlier))}; "
        f"a language's first search also indexes its names: {first}"
    )
    build_note = f"median of reading pinyin.json ({ms(m['load'])}) and building; pypinyin's import is not counted"
    return [
        Figure(
            f"search p99, {m['size']:,} items", p99(large) * 1000, p99(shipped) * 1000, "ms",
            "the same queries on the shipped 55-item catalog", "p99 ≤ 5 ms", p99(large) <= 0.005, search_note,
        ),
        Figure(
            f"index build, {m['size']:,} items, stored keys", m["build"] * 1000, m["earlier_build"] * 1000, "ms",
            "the earlier build, keys by pypinyin", "≤ 150 ms", m["build"] <= 0.150, build_note,
        ),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer queries and rounds: a few seconds")
    args = parser.parse_args()
    for figure in figures(args.quick):
        print(
            f"{figure.what}: {figure.value:.2f} {figure.unit}, baseline {figure.baseline:.2f} {figure.unit} "
            f"({figure.baseline_name}), ×{figure.ratio:.2f}; goal {figure.goal}: {'met' if figure.met else 'NOT met'}"
        )
        print(f"    {figure.note}")


if __name__ == "__main__":
    main()
