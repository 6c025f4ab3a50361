"""The kiosk's languages: Simplified Chinese (the source), traditional Chinese and English.

Interface text is written in Simplified Chinese where it is used and marked with :func:`_`, which returns a
:class:`Phrase`: the Simplified text itself (so logs, the CLI and printed paper read as before) that also keeps
its message id and values, so a screen can say it in the visitor's language. ``kiosk i18n update`` extracts the
marked text with Babel into gettext catalogs under ``config/locale/`` (domain ``kiosk``); the service catalog's
own text (item names, materials, form labels, guides) has a second domain, ``content``.

A traditional-Chinese entry missing from a catalog is converted from the Simplified text with OpenCC; an English
entry missing falls back to the Simplified text and is noted in :attr:`Translator.missing`.

>>> tr = translator("en")
>>> tr(_("请填写{label}", label="联系电话"))
'Please fill in: Phone number'
>>> tr.content("民政局")
'Civil Affairs Bureau'
>>> translator("zh_Hant")("身份证")
'身份證'
"""

from __future__ import annotations

import string
import threading
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from config import CONFIG_DIR

__all__ = [
    "LANGUAGES",
    "LOCALE_DIR",
    "OPENCC_CONFIG",
    "SOURCE_LANGUAGE",
    "Phrase",
    "Translator",
    "_",
    "has_chinese",
    "placeholders",
    "po_path",
    "to_simplified",
    "translator",
]

SOURCE_LANGUAGE = "zh_Hans"
LANGUAGES: dict[str, str] = {"zh_Hans": "简体中文", "zh_Hant": "繁體中文", "en": "English"}
"""Each language by its name in itself: the language buttons show these whatever the session's language is."""
LOCALE_DIR = CONFIG_DIR / "locale"
OPENCC_CONFIG = "s2tw"
"""Simplified to traditional characters in the standard forms of Taiwan (為, 裡, 著), characters only: phrases
such as 信息 or 打印 stay as written, which residents of Hong Kong and Macao read as readily."""


class Phrase(str):
    """Interface text in Simplified Chinese that remembers its message id and values.

    It is a ``str`` (the formatted Simplified text), so code that is not a screen never needs to know about it.
    """

    msgid: str
    values: dict[str, Any]

    def __new__(cls, msgid: str, /, **values: Any) -> Phrase:
        self = super().__new__(cls, msgid.format(**values) if values else msgid)
        self.msgid = msgid
        self.values = values
        return self


def _(msgid: str, /, **values: Any) -> Phrase:
    """Mark interface text for translation; ``{name}`` fields are filled from ``values``."""
    return Phrase(msgid, **values)


def placeholders(text: str) -> set[str]:
    """The ``{name}`` fields of a message, for checking that a translation keeps every one."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def po_path(language: str, domain: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{domain}.po"


class Translator:
    """Says interface text and catalog content in one language. Safe to call from any thread.

    ``translator(language)`` gives the shared one for a language; the constructor is for tests.
    """

    def __init__(
        self,
        language: str,
        interface: Mapping[str, str] | None = None,
        content: Mapping[str, str] | None = None,
    ) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"unknown language {language!r} (known: {', '.join(LANGUAGES)})")
        self.language = language
        self._interface = dict(interface or {})
        self._content = dict(content or {})
        self._converted: dict[str, str] = {}
        self._lock = threading.Lock()
        self._opencc = None
        self.missing: set[str] = set()
        """Interface message ids asked for that this language's catalog lacks (English only: traditional
        Chinese converts them)."""

    def __call__(self, text: str | BaseException, /, **values: Any) -> str:
        """``text`` in this language: a :class:`Phrase`, a message id, or an exception whose message is one.

        Values that are phrases (or exceptions) are translated too; other text values are taken as catalog
        content.
        """
        if isinstance(text, BaseException):
            text = text.args[0] if text.args and isinstance(text.args[0], str) else str(text)
        if isinstance(text, Phrase):
            msgid, values = text.msgid, {**text.values, **values}
        else:
            msgid = text
        said = self._say(msgid, self._interface, note_missing=True)
        if not values:
            return said
        return said.format(**{name: self._value(value) for name, value in values.items()})

    def join(self, texts: Iterable[str]) -> str:
        """Items of a list as this language writes them: ``甲、乙`` or ``A, B``."""
        # Translators: the separator between the items of a list, as in 甲、乙、丙.
        return self(_("、")).join(texts)

    def content(self, text: str) -> str:
        """Text of the service catalog (an item's name, a material, a form label) in this language."""
        return self._say(text, self._content, note_missing=False)

    def _value(self, value: Any) -> Any:
        if isinstance(value, Phrase | BaseException):
            return self(value)
        if isinstance(value, str):
            return self.content(value)
        return value

    def _say(self, text: str, catalog: Mapping[str, str], note_missing: bool) -> str:
        if self.language == SOURCE_LANGUAGE or not text:
            return text
        if found := catalog.get(text):
            return found
        if self.language == "zh_Hant":
            return self._traditional(text)
        if note_missing and has_chinese(text):
            with self._lock:
                self.missing.add(text)
        return text

    def _traditional(self, text: str) -> str:
        with self._lock:
            if (known := self._converted.get(text)) is not None:
                return known
            if self._opencc is None:
                import opencc  # loads its dictionaries: only when a traditional session first needs them

                self._opencc = opencc.OpenCC(OPENCC_CONFIG)
            if len(self._converted) >= 10_000:  # values such as names and serial numbers pass through here too
                self._converted.clear()
            converted = self._converted[text] = self._opencc.convert(_encodable(text))
            return converted


def to_simplified(text: str) -> str:
    """``text`` in simplified characters (what a traditional-Chinese input method types, made searchable)."""
    return _simplifier().convert(_encodable(text)) if has_chinese(text) else text


def _encodable(text: str) -> str:
    """``text`` with any lone surrogate (what a garbled scan or paste can leave) as U+FFFD: OpenCC takes UTF-8."""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


@cache
def _simplifier():
    import opencc

    return opencc.OpenCC("t2s")


def has_chinese(text: str) -> bool:
    """Whether ``text`` holds a Chinese character: text without one reads the same in every language here."""
    return any("\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff" for ch in text)


def read_translations(path: Path) -> dict[str, str]:
    """The translated, non-fuzzy entries of one ``.po`` file; an absent file has none."""
    if not path.is_file():
        return {}
    from babel.messages.pofile import read_po  # when a visitor first chooses another language, not at start

    with path.open("rb") as file:
        catalog = read_po(file, ignore_obsolete=True)
    return {
        message.id: message.string
        for message in catalog
        if message.id and isinstance(message.id, str) and message.string and not message.fuzzy
    }


@cache
def translator(language: str) -> Translator:
    """The shared translator of ``language`` (one of :data:`LANGUAGES`), its catalogs read once."""
    if language == SOURCE_LANGUAGE:
        return Translator(language)
    return Translator(
        language, read_translations(po_path(language, "kiosk")), read_translations(po_path(language, "content"))
    )
