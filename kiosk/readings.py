"""Pinyin keys of the catalog's text, stored with the catalog so a kiosk never loads pypinyin's dictionary to start.

An item is found by the pinyin initials and the full pinyin of its name (every reading of a polyphone), and the
departments are listed in pinyin order. Both depend on the text alone, so ``kiosk catalog pinyin`` works them out
once for a catalog folder into ``pinyin.json`` beside its TOML files (a test checks the shipped one is up to date).
Text that file lacks, such as the name of an item the hall changed or added, is worked out with pypinyin when first
needed and kept in a cache file in the kiosk's data folder, so a restart does not work it out again.

    >>> readings = Readings.load(default_catalog_path() / READINGS_FILE, cache=data_dir / CACHE_FILE)
    >>> readings.keys(["结婚登记"])
    [('jhdj', 'jiehundeji\njiehundengji')]

A name's keys are kept joined by newlines, initials apart from full pinyin: the form the search index scans. A
name holding a newline (whose keys may then hold one) is also kept as lists, see :meth:`Readings.key_lists`.
"""

from __future__ import annotations

import json
import logging
import operator
import os
import re
import threading
from collections.abc import Iterable
from itertools import chain, compress, islice, product, repeat
from pathlib import Path

log = logging.getLogger(__name__)

READINGS_FILE = "pinyin.json"
"""The stored keys of a catalog folder, beside its TOML files."""
CACHE_FILE = "pinyin-cache.json"
"""The keys a kiosk worked out itself, in its data folder."""
PARTS = ("names", "departments", "pairs")
"""What a ``pinyin.json`` holds, see :func:`stored_text`."""
CACHE_LIMIT = 5_000
"""Names and departments the cache keeps: past it, it starts again (old names of changed items pile up)."""

Keys = tuple[tuple[str, ...], tuple[str, ...]]
"""A name's pinyin initials and full pinyin spellings, one of each per combination of readings."""
Joined = tuple[str, str]
"""A name's initials and its full pinyin spellings, each joined by newlines."""


def name_keys(text: str) -> Keys:
    """Pinyin initials and full pinyin spellings of ``text``, every reading of a polyphone included (at most three
    readings a character and 64 combinations a name, so a long name of polyphones stays cheap). Loads pypinyin."""
    from pypinyin import Style, pinyin

    readings = pinyin(text, style=Style.NORMAL, heteronym=True, errors=lambda s: list(s.lower()))
    options = [sorted(set(r))[:3] for r in readings]
    initials: set[str] = set()
    spelled: set[str] = set()
    for combo in islice(product(*options), 64):
        initials.add("".join(s[0] for s in combo if s))
        spelled.add("".join(combo))
    return tuple(sorted(initials)), tuple(sorted(spelled))


def sort_key(text: str) -> str:
    """``text`` in full pinyin, each character read as it most likely is there: what departments are sorted by.
    Loads pypinyin."""
    from pypinyin import Style, pinyin

    return "".join(r[0] for r in pinyin(text, style=Style.NORMAL))


def work_out(names: Iterable[str], departments: Iterable[str]) -> tuple[dict[str, Keys], dict[str, str]]:
    """The keys of these item names and the sort keys of these departments, worked out with pypinyin."""
    return {name: name_keys(name) for name in names}, {d: sort_key(d) for d in departments}


class Readings:
    """Item names' keys and departments' sort keys: stored ones, and ones worked out for text they lack (kept in
    ``cache`` if given). Safe to share between threads: the sync thread builds a changed catalog with it while
    the screens search the current one."""

    def __init__(
        self, names: dict[str, Keys] | None = None, departments: dict[str, str] | None = None, cache: Path | None = None
    ) -> None:
        self._joined: dict[str, Joined] = {}
        self._lists: dict[str, Keys] = {}
        self._departments = dict(departments or {})
        self.pairs: set[str] = set()
        """Every two ASCII letters side by side in a full pinyin spelling of a name it holds. Most pairs never
        are (``zx``, ``bz``: pinyin syllables end in a vowel, n or ng), so a search for initials typed as letters
        learns at once that no spelling holds them. It only grows, so it holds an index's pairs at any time."""
        self._add(names or {})
        self._cache = cache
        self._cached: tuple[dict[str, Keys], dict[str, str]] = ({}, {})
        self._lock = threading.Lock()

    @classmethod
    def load(cls, stored: Path | None, cache: Path | None = None) -> Readings:
        """The keys of a ``pinyin.json`` (none if ``stored`` is None or absent), with those of ``cache`` too.
        Raises ``OSError`` or ``ValueError`` if ``stored`` cannot be read; a cache that cannot is ignored."""
        readings = cls(cache=cache)
        if stored is not None and stored.is_file():
            readings._read(stored)
        if cache is not None and cache.is_file():
            try:
                names, departments = readings._read(cache)
                readings._cached = {name: readings.key_lists(name) for name in names}, departments
            except (OSError, ValueError) as exc:  # a cache is worth no more than working its keys out again
                log.warning("pinyin cache %s ignored: %s", cache, exc)
        return readings

    def keys(self, names: Iterable[str]) -> list[Joined]:
        """The keys of each name, joined; those not known yet are worked out (and cached)."""
        names = list(names)
        known = self._joined
        if not all(map(known.__contains__, names)):
            with self._lock:
                new = {name: name_keys(name) for name in dict.fromkeys(names) if name not in known}
                if new:
                    self._add(new)
                    self._keep(new, {})
        return list(map(known.__getitem__, names))

    def key_lists(self, name: str) -> Keys:
        """The keys of a name :meth:`keys` has given, as lists: its joined keys split, unless the name holds a
        newline (then a key may too)."""
        if name in self._lists:
            return self._lists[name]
        initials, spelled = self._joined[name]
        return tuple(initials.split("\n")), tuple(spelled.split("\n"))

    def sort_keys(self, departments: Iterable[str]) -> dict[str, str]:
        """The sort key of each department; those not known yet are worked out (and cached)."""
        departments = list(departments)
        known = self._departments
        if not all(map(known.__contains__, departments)):
            with self._lock:
                new = {d: sort_key(d) for d in dict.fromkeys(departments) if d not in known}
                if new:
                    known.update(new)
                    self._keep({}, new)
        return {d: known[d] for d in departments}

    def _add(self, names: dict[str, Keys]) -> None:
        for name, (initials, spelled) in names.items():
            self._joined[name] = ("\n".join(initials), "\n".join(spelled))
            if "\n" in name:
                self._lists[name] = (tuple(initials), tuple(spelled))
        self.pairs |= letter_pairs(s for _, spelled in names.values() for s in spelled)

    def _read(self, path: Path) -> tuple[dict[str, list], dict[str, str]]:
        """Take in the keys of a file; returns them as it holds them. A kiosk reads 10,000 names at each start,
        so the checks are done a whole column at a time."""
        data = json.loads(path.read_text(encoding="utf-8"))
        names, departments, pairs = (data.get(part) if isinstance(data, dict) else None for part in PARTS)
        if not isinstance(names, dict) or not isinstance(departments, dict) or not isinstance(pairs, str):
            raise ValueError("not a pinyin.json: it needs names, departments and pairs")
        try:
            odd = {name: names.pop(name) for name in list(compress(names, map(operator.contains, names, repeat("\n"))))}
            keys = list(chain.from_iterable(names.values()))
            if set(map(len, names.values())) - {2} or set(map(type, keys)) - {str}:
                raise ValueError("a name needs two strings of keys")
            if set(map(type, departments.values())) - {str}:
                raise ValueError("a department needs one string")
            self._add({name: (tuple(initials), tuple(spelled)) for name, (initials, spelled) in odd.items()})
        except (TypeError, ValueError) as exc:
            raise ValueError(f"not a pinyin.json: {exc}") from None
        self._joined.update(zip(names, map(tuple, names.values()), strict=True))
        self._departments.update(departments)
        self.pairs.update(pairs.split())
        return names | odd, departments

    def _keep(self, names: dict[str, Keys], departments: dict[str, str]) -> None:
        if self._cache is None:
            return
        kept_names, kept_departments = self._cached
        if len(kept_names) + len(kept_departments) + len(names) + len(departments) > CACHE_LIMIT:
            kept_names, kept_departments = self._cached = ({}, {})
        kept_names.update(names)
        kept_departments.update(departments)
        try:
            write(self._cache, kept_names, kept_departments)
        except OSError as exc:  # the kiosk works on without it: the keys are worked out again after a restart
            log.warning("pinyin cache %s not written: %s", self._cache, exc)


_PAIR = re.compile("(?=([a-z]{2}))")


def letter_pairs(spelled: Iterable[str]) -> set[str]:
    """Every two ASCII letters side by side in these full pinyin spellings."""
    return set(_PAIR.findall("\n".join(spelled)))


def stored_text(names: dict[str, Keys], departments: dict[str, str]) -> str:
    """The text of a ``pinyin.json``: one name or department a line, sorted, so a change reads well in a diff. A
    name's keys are two strings, initials and full pinyin, each joined by newlines (two lists for a name holding a
    newline); ``pairs`` are :attr:`Readings.pairs` of these names."""

    def stored(name: str, keys: Keys) -> list:
        return [list(k) for k in keys] if "\n" in name else ["\n".join(k) for k in keys]

    def section(entries: Iterable[tuple[str, object]]) -> str:
        lines = [f"{json.dumps(k, ensure_ascii=False)}: {json.dumps(v, ensure_ascii=False)}" for k, v in entries]
        return "{\n" + ",\n".join(lines) + "\n}"

    pairs = " ".join(sorted(letter_pairs(s for _, spelled in names.values() for s in spelled)))
    named = section((name, stored(name, keys)) for name, keys in sorted(names.items()))
    departed = section(sorted(departments.items()))
    return f'{{"names": {named},\n"departments": {departed},\n"pairs": {json.dumps(pairs)}}}\n'


def write(path: Path, names: dict[str, Keys], departments: dict[str, str]) -> None:
    """Write a ``pinyin.json`` (or a cache) whole, through a temporary file, so a reader never sees half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(stored_text(names, departments), encoding="utf-8")
    temporary.replace(path)
