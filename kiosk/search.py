"""Search over the service catalog: by item code, Chinese text (simplified or traditional), pinyin initials or
full pinyin, and the item's name in the visitor's language.

    >>> index = SearchIndex(items)
    >>> [item.code for item in index.search("lnryd")]
    ['MZ0001']
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from pypinyin import Style, pinyin

from config.i18n import to_simplified

if TYPE_CHECKING:
    from kiosk.catalog import ServiceItem


def _reading_keys(text: str) -> tuple[set[str], set[str]]:
    """Pinyin initials and full pinyin spellings of ``text``, every reading of a polyphone included."""
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

    def __init__(self, item: ServiceItem) -> None:
        self.item = item
        self.initials, self.spelled = _reading_keys(item.name)
        self.text = " ".join([item.name, item.department, *item.keywords, item.who_may_apply])


class SearchIndex:
    """The catalog's items with the keys they are found by, worked out once when the catalog is loaded."""

    def __init__(self, items: Iterable[ServiceItem]) -> None:
        self._entries = [_Indexed(item) for item in items]

    def search(self, query: str, limit: int = 50, names: Callable[[str], str] | None = None) -> list[ServiceItem]:
        """Items matching ``query`` by code, Chinese text (simplified or traditional), pinyin initials or full
        pinyin, best first. ``names`` gives an item's name in the visitor's language, which matches too."""
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
        return [item for _, _, item in scored[:limit]]


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
