"""Search over the service catalog: by item code, Chinese text (simplified or traditional), pinyin initials or
full pinyin, and the item's name in the visitor's language.

    >>> index = SearchIndex(catalog_items, readings)
    >>> [item.code for item in index.search("lnryd")]
    ['MZ0001']

An item matches in tiers, each with its score: its code is the query (100) or starts with it (90); its name starts
with it (80) or holds it (70); its name in the visitor's language holds it (65, only when no other tier matches);
its pinyin initials start with it (60), its full pinyin does (55); its initials hold it (50), its full pinyin does
(45, for three letters or more); its name, department, keywords or who may apply hold it (30). Results go by score,
then code.

Every keystroke searches, and a catalog may hold 10,000 items, so a search must be cheap; and a kiosk builds the
index at each start, so building it must be cheap too. Items are numbered in code order. The search walks the tiers
from the best down, takes each tier's items in code order and stops once it has ``limit`` of them. Codes and names
are looked up by bisection in sorted lists. For the other tiers each item's string (its name, its initials joined
by newlines, and so on) is joined into one string per tier, in code order, which ``str.find`` scans at C speed
from one match to the next; the pinyin prefix tiers scan only the items with a key starting with the query's first
letter. Scans that cannot match are skipped: ASCII a name or the text does not hold, and pairs of letters no full
pinyin spelling holds (initials typed as letters, mostly; see :attr:`Readings.pairs`). Lists of the items holding
each character would make a search cheaper still, but building them costs a Python operation per character of
every item: about a second for 10,000 items, where joining strings costs milliseconds.

A hall's changes to the catalog are indexed on their own, beside the index of the catalog they change (whose items
they replace or remove are hidden), so an update costs what the changed items cost.
"""

from __future__ import annotations

import heapq
import operator
import sys
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import accumulate, compress, repeat
from typing import TYPE_CHECKING

from config.i18n import to_simplified
from kiosk.readings import Keys, Readings

if TYPE_CHECKING:
    from kiosk.catalog import ServiceItem

Names = Callable[[str], str]

CODE, CODE_PREFIX, NAME_PREFIX, NAME, OWN_LANGUAGE = 100, 90, 80, 70, 65
INITIALS_PREFIX, SPELLED_PREFIX, INITIALS, SPELLED, TEXT = 60, 55, 50, 45, 30
TIERS = (CODE, CODE_PREFIX, NAME_PREFIX, NAME, OWN_LANGUAGE, INITIALS_PREFIX, SPELLED_PREFIX, INITIALS, SPELLED, TEXT)
"""The scores, best first: the order a search walks them in."""
PINYIN = frozenset({INITIALS_PREFIX, SPELLED_PREFIX, INITIALS, SPELLED})
"""The tiers a query of ASCII letters alone is tried in."""

OWN_LANGUAGE_KEPT = 4
"""``names`` callbacks whose names an index keeps: one per language, and a spare."""


class SearchIndex:
    """The catalog's items with the keys they are found by, worked out once when the catalog is loaded.

    ``readings`` gives the pinyin keys of item names (see :mod:`kiosk.readings`); without it every name's keys are
    worked out with pypinyin."""

    def __init__(self, items: Iterable[ServiceItem], readings: Readings | None = None) -> None:
        self._readings = readings if readings is not None else Readings()
        self._parts: tuple[_Part, ...] = (_Part(items, self._readings),)
        self._hidden: frozenset[tuple[int, int]] = frozenset()

    def with_changes(self, changed: Iterable[ServiceItem], removed: Iterable[str]) -> SearchIndex:
        """This index with ``changed`` items replacing those of their codes (or added) and the ``removed`` codes
        gone. Only changed items are indexed anew (these, and any this index had changed), in an index of their
        own; the index of the items they change is shared, and this index left as it is."""
        changed = list(changed)
        gone = {item.code for item in changed} | set(removed)
        base, *extra = self._parts
        kept = [item for part in extra for item in part.items if item.code not in gone]
        index = object.__new__(SearchIndex)
        index._readings = self._readings
        index._parts = (base, _Part([*kept, *changed], self._readings)) if kept or changed else (base,)
        index._hidden = self._hidden | {(0, number) for number in base.numbers_of(gone)}
        return index

    def search(self, query: str, limit: int = 50, names: Names | None = None) -> list[ServiceItem]:
        """Items matching ``query`` by code, Chinese text (simplified or traditional), pinyin initials or full
        pinyin, best first. ``names`` gives an item's name in the visitor's language, which matches too; it is
        taken to give the same name each time it is passed again (a translator's ``content``), since the names
        it gives are indexed once."""
        if limit < 0:  # as a slice takes it: all but the last -limit
            return self.search(query, sys.maxsize, names)[:limit]
        q = to_simplified("".join(query.split()).lower())
        if not q or limit == 0:
            return []
        words = " ".join(query.lower().split())
        letters = q.isascii() and q.isalpha()
        found: list[ServiceItem] = []
        seen = set(self._hidden)
        parts = self._parts
        for tier in TIERS:
            if (tier in PINYIN and not letters) or (tier == SPELLED and len(q) < 3):
                continue
            if tier == OWN_LANGUAGE and names is None:
                continue
            if len(parts) == 1:
                matching: Iterator[tuple[int, int]] = zip(repeat(0), parts[0].matching(tier, q, words, names))
            else:
                streams = [part.by_code_order(p, part.matching(tier, q, words, names)) for p, part in enumerate(parts)]
                matching = ((p, number) for _, p, number in heapq.merge(*streams))
            for key in matching:
                if key in seen:
                    continue
                p, number = key
                if tier == OWN_LANGUAGE and parts[p].matches_below(number, q, letters):
                    continue  # its name in the visitor's language counts only for an item nothing else finds
                seen.add(key)
                found.append(parts[p].items[number])
                if len(found) == limit:
                    return found
        return found


class _Part:
    """Items numbered in code order, with what each tier searches."""

    def __init__(self, items: Iterable[ServiceItem], readings: Readings) -> None:
        # Built a whole column at a time (map, join, sort: loops in C), for a kiosk builds this at each start.
        self.items = items = sorted(items, key=operator.attrgetter("code"))
        codes, names, departments, keywords, who = zip(*map(_FIELDS, items), strict=True) if items else ((),) * 5
        self.codes = list(map(str.lower, codes))
        self.names = names = list(names)
        keys = readings.keys(names)
        self.initials = initials = list(map(operator.itemgetter(0), keys))
        self.spelled = spelled = list(map(operator.itemgetter(1), keys))
        # What the last tier searches. A query holds no white space, so it is found in this text just where it is
        # found in one of its parts.
        self.text = list(map(" ".join, zip(names, departments, map(" ".join, keywords), who, strict=True)))
        self.by_code = _Sorted(self.codes)
        self.by_name = _Sorted(names)
        self.name_column = _Column(names)
        self.initials_column = _Column(initials)
        self.spelled_column = _Column(spelled)
        self.text_column = _Column(self.text)
        # Names and the text are Chinese but for a few ASCII characters: a query of others is not in them.
        self.name_ascii = _ascii(self.name_column)
        self.text_ascii = _ascii(self.text_column)
        self.spelled_pairs = readings.pairs
        self._by_first_letter: dict[str, tuple[_Column, _Column]] = {}
        # A name holding a newline may have keys holding one, which the joined keys cannot tell from two keys.
        odd = compress(range(len(names)), map(operator.contains, names, repeat("\n")))
        self.key_lists: dict[int, Keys] = {number: readings.key_lists(names[number]) for number in odd}
        self._own: dict[Names, _Column] = {}

    def by_code_order(self, p: int, numbers: Iterable[int]) -> Iterator[tuple[str, int, int]]:
        """``numbers`` keyed for merging with another part's: by code, then part ``p``."""
        items = self.items
        return ((items[i].code, p, i) for i in numbers)

    def numbers_of(self, codes: Iterable[str]) -> list[int]:
        return [i for code in codes for i in self.by_code.starting(code.lower()) if self.items[i].code == code]

    def matching(self, tier: int, q: str, words: str, names: Names | None) -> Iterable[int]:
        """The numbers of the items matching ``tier``, in order (``names`` only for the visitor's language)."""
        if tier == CODE:
            return [i for i in self.by_code.starting(q) if self.codes[i] == q]
        if tier == CODE_PREFIX:
            return self.by_code.starting(q)
        if tier == NAME_PREFIX:
            return self.by_name.starting(q)
        if tier == NAME:
            return self.name_column.holding(q) if _may_hold(self.name_ascii, q) else ()
        if tier == OWN_LANGUAGE:
            assert names is not None
            return self._own_language(names).holding(words)
        if tier in (INITIALS_PREFIX, SPELLED_PREFIX):
            side = 0 if tier == INITIALS_PREFIX else 1
            found = self._first_letter(q[0])[side].holding(q, at_key_start=True)
            return (i for i in found if i not in self.key_lists or _any_starts(self.key_lists[i][side], q))
        if tier == INITIALS:
            return self.initials_column.holding(q)
        if tier == SPELLED:
            if not all(map(self.spelled_pairs.__contains__, map(operator.add, q, q[1:]))):
                return ()  # initials typed as letters, mostly: the scan of every spelling is the costliest
            return self.spelled_column.holding(q)
        return self.text_column.holding(q) if _may_hold(self.text_ascii, q) else ()

    def matches_below(self, number: int, q: str, letters: bool) -> bool:
        """Whether item ``number`` matches a tier scored below the visitor's language (by pinyin, or its text)."""
        if letters:
            initials, spelled = self.key_lists.get(number) or (
                self.initials[number].split("\n"),
                self.spelled[number].split("\n"),
            )
            if _any_starts(initials, q) or _any_starts(spelled, q) or q in self.initials[number]:
                return True
            if len(q) >= 3 and q in self.spelled[number]:
                return True
        return q in self.text[number]

    def _first_letter(self, letter: str) -> tuple[_Column, _Column]:
        """The initials and the full pinyin of the items with a key starting with ``letter``: what the prefix
        tiers scan, a fraction of all. Worked out at the first search starting with the letter, then kept."""
        try:
            return self._by_first_letter[letter]
        except KeyError:
            pass
        # Each initial starts a full pinyin spelling too, so the initials tell which items these are.
        numbers = list(self.initials_column.holding(letter, at_key_start=True))
        columns = _Column(_pick(self.initials, numbers), numbers), _Column(_pick(self.spelled, numbers), numbers)
        self._by_first_letter[letter] = columns
        return columns

    def _own_language(self, names: Names) -> _Column:
        """The items' names as ``names`` gives them, lowered: worked out at a language's first search, then kept."""
        try:
            return self._own[names]
        except KeyError:
            pass
        except TypeError:  # a callback that cannot be a key: its names serve this search only
            return _Column([names(name).lower() for name in self.names])
        column = self._own[names] = _Column([names(name).lower() for name in self.names])
        for stale in list(self._own)[:-OWN_LANGUAGE_KEPT]:
            self._own.pop(stale, None)
        return column


_FIELDS = operator.attrgetter("code", "name", "department", "keywords", "who_may_apply")


def _pick(strings: list[str], numbers: list[int]) -> list[str]:
    return list(map(strings.__getitem__, numbers))


def _ascii(column: _Column) -> frozenset[str]:
    return frozenset(column.text.encode("ascii", "ignore").decode())


def _may_hold(ascii: frozenset[str], q: str) -> bool:
    """Whether text with only these ASCII characters may hold ``q``."""
    return not q.isascii() or ascii.issuperset(q)


def _any_starts(keys: Sequence[str], q: str) -> bool:
    return any(key.startswith(q) for key in keys)


class _Column:
    """One string per item, joined by newlines in item order: ``str.find`` goes from one item holding a pattern
    to the next at C speed. A pattern without a newline never spans two items' strings."""

    __slots__ = ("numbers", "starts", "text")

    def __init__(self, strings: Sequence[str], numbers: Sequence[int] | None = None) -> None:
        self.text = "\n" + "\n".join(strings)
        # Where each item's string starts in the text, and one more past the end.
        self.starts = list(accumulate(map((1).__add__, map(len, strings)), initial=1))
        self.numbers = numbers

    def holding(self, pattern: str, at_key_start: bool = False) -> Iterator[int]:
        """The numbers of the items whose string holds ``pattern`` (``at_key_start``: just after a newline, or at
        its start), each once, in order."""
        text, starts, numbers = self.text, self.starts, self.numbers
        lead = 1 if at_key_start else 0
        needle = "\n" + pattern if at_key_start else pattern
        at = text.find(needle)
        while at >= 0:
            i = bisect_right(starts, at + lead) - 1
            yield i if numbers is None else numbers[i]
            at = text.find(needle, starts[i + 1] - lead)


class _Sorted:
    """Strings in sorted order, each with the number of its item: those starting with a prefix are one run."""

    __slots__ = ("keys", "numbers")

    def __init__(self, strings: list[str]) -> None:
        self.numbers = sorted(range(len(strings)), key=strings.__getitem__)
        self.keys = list(map(strings.__getitem__, self.numbers))

    def starting(self, prefix: str) -> list[int]:
        """The numbers of the items whose string starts with ``prefix``, in order."""
        start = bisect_left(self.keys, prefix)
        stop = bisect_left(self.keys, _after(prefix), start) if prefix.strip("\U0010ffff") else len(self.keys)
        found = self.numbers[start:stop]
        return found if len(found) < 2 else sorted(found)


def _after(prefix: str) -> str:
    """The first string after every string starting with ``prefix`` (which is not all U+10FFFF)."""
    prefix = prefix.rstrip("\U0010ffff")
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)
