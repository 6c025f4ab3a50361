"""The catalogs of the kiosk's languages kept in step with the code (``kiosk i18n update | check``).

``update`` extracts with Babel every interface text marked ``_(…)`` in the packages into ``kiosk.pot`` and the
shipped service catalog's text into ``content.pot``, merges both into each language's ``.po`` (keeping every
translation made) and fills the traditional-Chinese interface entries still empty with OpenCC's conversion,
each marked with the comment ``opencc`` for a reviewer. ``check`` reports what is missing or stale and exits 1
if anything is; the tests run the same check.
"""

from __future__ import annotations

import copy
import io
from collections.abc import Iterator
from datetime import datetime
from functools import cache
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from config import CONFIG_DIR
from config.i18n import LANGUAGES, LOCALE_DIR, OPENCC_CONFIG, SOURCE_LANGUAGE, has_chinese, placeholders, po_path
from kiosk.catalog import ServiceItem, load_catalog

ROOT = CONFIG_DIR.parent
PACKAGES = ("config", "devices", "kiosk", "offline_cache", "screens")
TRANSLATED = tuple(language for language in LANGUAGES if language != SOURCE_LANGUAGE)
# English must translate every interface text; traditional Chinese is converted where a reviewer has not.
REQUIRED = {("en", "kiosk"), ("en", "content"), ("zh_Hant", "kiosk")}
OPENCC_NOTE = "opencc"
_FIXED_DATE = datetime(2026, 12, 1)  # headers that do not change with every run keep the diffs to real changes


def interface_template() -> Catalog:
    """Every interface text marked ``_("…")`` in the packages, with the files it appears in."""
    template = _new_catalog("kiosk")
    for package in PACKAGES:
        found = extract_from_dir(ROOT / package, method_map=[("**.py", "python")], keywords={"_": None})
        for filename, _lineno, message, comments, context in found:
            template.add(message, locations=[(f"{package}/{filename}", None)], auto_comments=comments, context=context)
    return template


def content_template() -> Catalog:
    """The shipped service catalog's own text: names, guides, materials, form labels and choices."""
    template = _new_catalog("content")
    for item in load_catalog():
        for text in content_texts(item):
            if has_chinese(text):  # "10%" or a URL reads the same in every language
                template.add(text, locations=[(item.code, None)])
    return template


def content_texts(item: ServiceItem) -> Iterator[str]:
    yield from (item.name, item.department, item.kind.value, item.who_may_apply)
    yield from (*item.legal_basis, *item.conditions, *item.procedure)
    yield from (item.fee.amount, item.fee.basis, item.place, item.hours)
    for material in item.materials:
        yield from (material.name, material.form, material.note)
    for field in item.form:
        yield from (field.label, field.hint, *field.options)
    if item.instant is not None:
        yield from (item.instant.approved, item.instant.refused)


def update() -> list[Path]:
    """Rewrite the templates and every language's catalogs; return the files that changed."""
    changed: list[Path] = []
    for domain, template in (("kiosk", interface_template()), ("content", content_template())):
        changed += _write(LOCALE_DIR / f"{domain}.pot", template)
        for language in TRANSLATED:
            if (language, domain) not in REQUIRED and not po_path(language, domain).exists():
                continue  # converted at run time; a reviewer may start this file when a text needs a human
            catalog = _read(po_path(language, domain)) or _new_catalog(domain, language)
            # A copy: the merge takes the template's entries themselves, which the conversion below fills in.
            catalog.update(copy.deepcopy(template), no_fuzzy_matching=True, update_creation_date=False)
            catalog.obsolete.clear()
            if language == "zh_Hant":
                _convert_missing(catalog)
            changed += _write(po_path(language, domain), catalog)
    return changed


def check() -> list[str]:
    """Every problem of the catalogs: stale templates, missing translations, placeholders that differ."""
    problems: list[str] = []
    for domain, template in (("kiosk", interface_template()), ("content", content_template())):
        ids = {m.id for m in template if m.id}
        shipped = _read(LOCALE_DIR / f"{domain}.pot")
        if shipped is None or {m.id for m in shipped if m.id} != ids:
            problems.append(f"config/locale/{domain}.pot is out of date: run `uv run kiosk i18n update`")
        for language in TRANSLATED:
            catalog = _read(po_path(language, domain))
            if catalog is None:
                if (language, domain) in REQUIRED:
                    problems.append(f"{po_path(language, domain).relative_to(ROOT)} is missing")
                continue
            translated = {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}
            where = po_path(language, domain).relative_to(ROOT)
            if (language, domain) in REQUIRED and (untranslated := sorted(ids - translated.keys())):
                shown = ", ".join(repr(u) for u in untranslated[:5])
                problems.append(f"{where}: {len(untranslated)} untranslated, e.g. {shown}")
            for msgid, msgstr in translated.items():
                if placeholders(msgid) != placeholders(msgstr):
                    problems.append(f"{where}: {msgstr!r} does not keep the fields of {msgid!r}")
                if language == "en" and has_chinese(msgstr):
                    problems.append(f"{where}: the English for {msgid!r} is still Chinese: {msgstr!r}")
                if language == "zh_Hant" and _converter().convert(msgstr) != msgstr:
                    problems.append(f"{where}: {msgstr!r} still has simplified characters")
    return problems


def _convert_missing(catalog: Catalog) -> None:
    for message in catalog:
        if message.id and not message.string:
            message.string = _converter().convert(message.id)
            message.auto_comments = [*message.auto_comments, OPENCC_NOTE]


@cache
def _converter():
    import opencc

    return opencc.OpenCC(OPENCC_CONFIG)


def _new_catalog(domain: str, language: str | None = None) -> Catalog:
    return Catalog(
        locale=language,
        domain=domain,
        project="kiosk",
        version="1",
        copyright_holder="kiosk",
        charset="utf-8",
        creation_date=_FIXED_DATE,
        revision_date=_FIXED_DATE,
        fuzzy=False,
    )


def _read(path: Path) -> Catalog | None:
    if not path.is_file():
        return None
    with path.open("rb") as file:
        return read_po(file)


def _write(path: Path, catalog: Catalog) -> list[Path]:
    out = io.BytesIO()
    write_po(out, catalog, width=0, include_lineno=False, sort_output=True, ignore_obsolete=True)
    data = out.getvalue()
    if path.is_file() and path.read_bytes() == data:
        return []
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return [path]
