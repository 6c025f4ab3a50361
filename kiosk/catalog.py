"""The service catalog (事项清单): items with their complete guides, loading, validation and search.

Each item carries every element of a guide (办事指南) so the kiosk can show it and print it as a one-time
notice. The data lives in TOML files (one per department) under ``config/catalog/``, with the pinyin keys its
search needs in ``pinyin.json`` beside them (``kiosk catalog pinyin`` writes it, see :mod:`kiosk.readings`)::

    >>> catalog = load_catalog(default_catalog_path())
    >>> [item.name for item in catalog.search("lnryd")]
    ['老年人优待证办理']
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from config import default_catalog_path
from config.i18n import _
from kiosk.identity import age_on
from kiosk.readings import READINGS_FILE, Readings, work_out, write
from kiosk.search import SearchIndex

__all__ = [
    "AnswerCondition",
    "Catalog",
    "CatalogError",
    "FieldType",
    "FormField",
    "InstantRule",
    "ItemKind",
    "Material",
    "Reuse",
    "ServiceItem",
    "default_catalog_path",
    "load_catalog",
]


log = logging.getLogger(__name__)


class CatalogError(Exception):
    """The catalog data cannot be used; the message names the file and the item or field at fault."""


class ItemKind(StrEnum):
    """The four kinds of item of the 四办 reform."""

    ON_THE_SPOT = "马上办"
    ONLINE = "网上办"
    NEARBY = "就近办"
    ONE_VISIT = "一次办"


class Reuse(StrEnum):
    """The four classes of material reuse: may a material submitted once be offered again?"""

    UNCONDITIONAL = "unconditional"  # 出生证明: reusable without condition
    WITHIN_VALIDITY = "within_validity"  # 卫生许可证: reusable while still valid
    AT_CHOICE = "at_choice"  # 结婚证: reusable without time limit, if the applicant chooses
    NEVER = "never"  # the item's own application form

    @property
    def label(self) -> str:
        return _REUSE_LABELS[self]


_REUSE_LABELS = {
    Reuse.UNCONDITIONAL: _("可复用"),
    Reuse.WITHIN_VALIDITY: _("有效期内可复用"),
    Reuse.AT_CHOICE: _("可选择复用"),
    Reuse.NEVER: _("每次提交"),
}


class FieldType(StrEnum):
    TEXT = "text"
    NUMBER = "number"
    DATE = "date"
    CHOICE = "choice"
    PHONE = "phone"
    ID_NUMBER = "id_number"
    CREDIT_CODE = "credit_code"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


NonEmpty = Annotated[str, Field(min_length=1)]


FieldKey = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class AnswerCondition(_Strict):
    """The answers to one of the item's choice fields for which a material is needed; in TOML,
    ``when = { field = "reason", is = ["损坏", "页面用完"] }``."""

    # "is" on the wire and in the hall's store, as in TOML; the docstrings document the hall's OpenAPI schema.
    model_config = ConfigDict(serialize_by_alias=True, use_attribute_docstrings=True)

    field: FieldKey
    """The key of a choice field of the item's form."""
    is_: tuple[NonEmpty, ...] = Field(alias="is", min_length=1)
    """The options of that field for which the material is needed."""

    def holds(self, values: Mapping[str, str]) -> bool:
        """Whether the answers ``values`` (by field key) call for the material. Until the field is answered they
        may: the resident is told of it, as the guide tells everyone."""
        answer = values.get(self.field, "")
        return not answer or answer in self.is_


class Material(_Strict):
    """One required material (申请材料)."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    name: NonEmpty
    form: NonEmpty = "原件"
    """原件, 复印件, 原件及复印件, 电子证照…"""
    copies: int = Field(default=1, ge=0)
    reuse: Reuse
    note: str = ""
    valid_months: int = Field(default=12, ge=1, le=600)
    """For a material reusable within validity: how long one handed in stays good (on file at the hall)."""
    when: AnswerCondition | None = None
    """Needed only for some answers to one of the item's choice fields (损坏的户口簿: not when the booklet was
    lost), which must name options of that field; absent or null for always. Until the field is answered the
    material is asked for, and the guide lists it with its note whatever the answers."""

    def applies(self, values: Mapping[str, str]) -> bool:
        """Whether the applicant needs this material, given the form's answers so far (by field key)."""
        return self.when is None or self.when.holds(values)


class FormField(_Strict):
    """One field of the item's application form, asked on the apply screen."""

    key: FieldKey
    label: NonEmpty
    type: FieldType
    required: bool = True
    options: tuple[str, ...] = ()
    max_length: int = Field(default=60, ge=1, le=500)
    hint: str = ""

    @model_validator(mode="after")
    def _choice_has_options(self) -> FormField:
        if self.type is FieldType.CHOICE and len(self.options) < 2:
            raise ValueError(f"choice field {self.key!r} needs at least two options")
        if self.type is not FieldType.CHOICE and self.options:
            raise ValueError(f"field {self.key!r} of type {self.type.value} cannot have options")
        return self


class Fee(_Strict):
    amount: NonEmpty
    """"不收费" or the amount with its unit, e.g. "工本费20元/本"."""
    basis: NonEmpty
    """The document that sets the fee, or why there is none."""
    cents: int = Field(default=0, ge=0, le=10_000_000)
    """What a resident pays online for one application, in fen; 0 when nothing is paid at the kiosk (free, or an
    amount the window works out, such as a fee by floor area)."""

    @property
    def free(self) -> bool:
        return self.amount == FREE


FREE = "不收费"


class InstantRule(_Strict):
    """A rule that decides the item at once (秒批秒办), from the applicant's ID number alone."""

    min_age: int = Field(ge=0, le=150)
    approved: NonEmpty
    """What the resident is told when the rule grants the item."""
    refused: NonEmpty
    """What the resident is told when it does not."""


class ServiceItem(_Strict):
    """A service item with its complete guide."""

    code: Annotated[str, Field(pattern=r"^[A-Z]{2}\d{4}$")]
    name: NonEmpty
    department: NonEmpty
    kind: ItemKind
    applicant: Literal["person", "organisation"] = "person"
    """Who files: a person identified by ID number, or an organisation by credit code."""
    who_may_apply: NonEmpty
    legal_basis: tuple[NonEmpty, ...] = Field(min_length=1)
    conditions: tuple[NonEmpty, ...] = Field(min_length=1)
    materials: tuple[Material, ...] = ()
    procedure: tuple[NonEmpty, ...] = Field(min_length=2)
    fee: Fee
    promised_days: int = Field(ge=0)
    """Promised time limit (承诺时限) in working days; 0 means done on the spot."""
    legal_days: int = Field(ge=0)
    """Legal time limit (法定时限) in working days."""
    place: NonEmpty
    hours: NonEmpty
    phone: NonEmpty
    complaint_phone: NonEmpty
    online_url: str = ""
    delivery: tuple[Literal["window", "mail"], ...] = ("window",)
    form: tuple[FormField, ...] = ()
    instant: InstantRule | None = None
    members: tuple[str, ...] = ()
    """For a 一件事 bundle: the codes of the items one submission files together."""
    materials_by_post: bool = False
    """Whether the hall accepts this item's materials by post (邮寄材料), free both ways."""
    queue: Literal["A", "B", "C", "D"] | None = None
    """The queue category a ticket for this item takes, where its department does not say (see kiosk.queue)."""
    repeatable: bool = False
    """Whether one applicant may file this item again while a case of it is open or after an instant grant (a
    certificate asked for twice, a second child); otherwise a repeat is shown the existing serial number."""
    keywords: tuple[str, ...] = ()

    @field_validator("form")
    @classmethod
    def _unique_keys(cls, form: tuple[FormField, ...]) -> tuple[FormField, ...]:
        keys = [f.key for f in form]
        if dup := {k for k in keys if keys.count(k) > 1}:
            raise ValueError(f"form field keys repeat: {', '.join(sorted(dup))}")
        return form

    @model_validator(mode="after")
    def _limits(self) -> ServiceItem:
        if self.promised_days > self.legal_days:
            raise ValueError(f"promised_days {self.promised_days} exceeds legal_days {self.legal_days}")
        if not self.delivery:
            raise ValueError("delivery needs at least one of window, mail")
        return self

    @model_validator(mode="after")
    def _conditions_name_choices(self) -> ServiceItem:
        if problems := condition_problems(self):
            raise ValueError("; ".join(problems))
        return self

    @property
    def is_bundle(self) -> bool:
        return bool(self.members)

    @property
    def time_limit_label(self) -> str:
        return _("当场办结") if self.promised_days == 0 else working_days(self.promised_days)

    def summary(self) -> dict[str, object]:
        """The fields the CLI's ``--json`` prints."""
        return {
            "code": self.code,
            "name": self.name,
            "department": self.department,
            "kind": self.kind.value,
            "time_limit_days": self.promised_days,
            "legal_limit_days": self.legal_days,
            "instant": self.instant is not None,
            "members": list(self.members),
        }

    def materials_for(self, values: Mapping[str, str]) -> tuple[Material, ...]:
        """The materials an applicant with these form answers (by field key) needs, in the guide's order."""
        return tuple(m for m in self.materials if m.applies(values))

    def decide(self, birth_date: date, today: date) -> tuple[bool, str] | None:
        """The instant decision for an applicant born on ``birth_date``, or None if the item has no rule."""
        if self.instant is None:
            return None
        granted = age_on(birth_date, today) >= self.instant.min_age
        return granted, self.instant.approved if granted else self.instant.refused


def condition_problems(item: ServiceItem) -> list[str]:
    """What is wrong with the conditions of ``item``'s materials: each must name a choice field of its form and
    only that field's options."""
    fields = {spec.key: spec for spec in item.form}
    problems = []
    for m in item.materials:
        if m.when is None:
            continue
        spec = fields.get(m.when.field)
        where = f"material {m.name!r}: when.field {m.when.field!r}"
        if spec is None:
            problems.append(f"{where} is not a field of the form ({', '.join(fields) or 'it has none'})")
        elif spec.type is not FieldType.CHOICE:
            problems.append(f"{where} is a {spec.type.value} field, not a choice")
        elif unknown := [value for value in m.when.is_ if value not in spec.options]:
            problems.append(
                f"{where}: {', '.join(map(repr, unknown))} not among its options ({', '.join(spec.options)})"
            )
    return problems


def working_days(n: int) -> str:
    """``5个工作日``; one working day has its own message, for languages that say it differently."""
    return _("1个工作日") if n == 1 else _("{n}个工作日", n=n)


class _CatalogFile(_Strict):
    items: tuple[dict, ...] = Field(default=(), alias="item")


class Catalog:
    """The loaded, validated catalog: lookup by code, departments, and search.

    ``readings`` gives the pinyin keys of names and departments (see :mod:`kiosk.readings`); without it they are
    worked out with pypinyin. ``index`` is the search index of exactly these items, when the caller has it."""

    def __init__(
        self, items: Iterable[ServiceItem], readings: Readings | None = None, index: SearchIndex | None = None
    ) -> None:
        self._items = {item.code: item for item in items}
        self._readings = readings if readings is not None else Readings()
        self._index = index if index is not None else SearchIndex(self._items.values(), self._readings)

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self):
        return iter(self._items.values())

    def __getitem__(self, code: str) -> ServiceItem:
        return self._items[code]

    def get(self, code: str) -> ServiceItem | None:
        return self._items.get(code)

    @property
    def departments(self) -> list[str]:
        keys = self._readings.sort_keys({item.department for item in self._items.values()})
        return sorted(keys, key=keys.__getitem__)

    def in_department(self, department: str) -> list[ServiceItem]:
        return [item for item in self._items.values() if item.department == department]

    def members_of(self, bundle: ServiceItem) -> list[ServiceItem]:
        return [self._items[code] for code in bundle.members if code in self._items]

    def with_changes(self, changes: dict[str, dict | None]) -> Catalog:
        """This catalog with the hall's changes: an item by code replaces or adds, None removes. An item that
        does not validate is skipped and logged, so one bad update never takes the catalog down."""
        if not changes:
            return self
        items = dict(self._items)
        for code, raw in changes.items():
            if raw is None:
                items.pop(code, None)
                continue
            try:
                items[code] = ServiceItem.model_validate(raw)
            except ValidationError as exc:
                log.warning("catalog update for %s skipped: %s", code, exc.error_count())
        now = {item.code: item for item in items.values()}
        changed = [item for code, item in now.items() if self._items.get(code) is not item]
        removed = [code for code in self._items if code not in now]
        return Catalog(now.values(), self._readings, self._index.with_changes(changed, removed))

    def search(self, query: str, limit: int = 50, names: Callable[[str], str] | None = None) -> list[ServiceItem]:
        """Items matching ``query`` by code, Chinese text (simplified or traditional), pinyin initials or full
        pinyin, best first. ``names`` gives an item's name in the visitor's language, which matches too."""
        return self._index.search(query, limit, names)


def load_catalog(path: Path | str | None = None, readings_cache: Path | None = None) -> Catalog:
    """Load and validate every ``*.toml`` file of a catalog folder (or one file), with the pinyin keys stored in
    the folder's ``pinyin.json``; keys it lacks are worked out and kept in ``readings_cache``, if given.

    Raises :class:`CatalogError` naming the file and the item for the first problems found.
    """
    path = Path(path) if path is not None else default_catalog_path()
    items = _load_items(path)
    stored = _readings_path(path)
    try:
        readings = Readings.load(stored, readings_cache)
    except (OSError, ValueError) as exc:
        raise CatalogError(f"{stored}: cannot be read ({exc}); write it again with `kiosk catalog pinyin`") from exc
    return Catalog(items, readings)


def write_readings(path: Path | str | None = None) -> Path:
    """Work out the pinyin keys of a catalog folder's (or file's) names and departments with pypinyin, and write
    them to the folder's ``pinyin.json``, which :func:`load_catalog` reads. Returns its path."""
    path = Path(path) if path is not None else default_catalog_path()
    items = _load_items(path)
    stored = _readings_path(path)
    write(stored, *work_out({item.name for item in items}, {item.department for item in items}))
    return stored


def _readings_path(path: Path) -> Path:
    return (path if path.is_dir() else path.parent) / READINGS_FILE


def _load_items(path: Path) -> list[ServiceItem]:
    files = sorted(path.glob("*.toml")) if path.is_dir() else [path]
    if not files or not all(f.is_file() for f in files):
        raise CatalogError(f"{path}: no catalog files found")
    items: list[ServiceItem] = []
    seen: dict[str, Path] = {}
    problems: list[str] = []
    for file in files:
        for index, raw in enumerate(_read_items(file), start=1):
            where = f"{file.name}: item {index} ({raw.get('code', '?')} {raw.get('name', '')})".rstrip()
            try:
                item = ServiceItem.model_validate(raw)
            except ValidationError as exc:
                problems.extend(f"{where}: {_describe(err)}" for err in exc.errors())
                continue
            if item.code in seen:
                problems.append(f"{where}: duplicate code {item.code}, first defined in {seen[item.code].name}")
                continue
            seen[item.code] = file
            items.append(item)
    by_code = {item.code: item for item in items}
    for item in items:
        for member in item.members:
            if member not in by_code:
                problems.append(f"{seen[item.code].name}: {item.code}: bundle member {member} is not in the catalog")
            elif by_code[member].is_bundle:
                problems.append(f"{seen[item.code].name}: {item.code}: bundle member {member} is itself a bundle")
    if not problems:
        items = [_merged(item, by_code) if item.is_bundle else item for item in items]
        for item in items:
            if item.is_bundle:  # a member's condition must still name the field as the bundle asks it
                where = f"{seen[item.code].name}: {item.code} {item.name} (with its members)"
                problems.extend(f"{where}: {problem}" for problem in condition_problems(item))
    if problems:
        shown = problems[:20]
        more = f"\n… and {len(problems) - 20} more" if len(problems) > 20 else ""
        raise CatalogError("catalog is invalid:\n" + "\n".join(shown) + more)
    return items


def _merged(bundle: ServiceItem, by_code: dict[str, ServiceItem]) -> ServiceItem:
    """A 一件事 bundle asks each material and each form field of its members once. A material two of them list
    under different conditions is needed whatever the answers (one member needs it when the other does not)."""
    members = [by_code[code] for code in bundle.members]
    materials: dict[str, Material] = {}
    for m in (m for item in [bundle, *members] for m in item.materials):
        if m.name in materials and materials[m.name].when != m.when:
            m = m.model_copy(update={"when": None})
        materials[m.name] = m
    form = {f.key: f for item in [bundle, *members] for f in item.form}
    return bundle.model_copy(update={"materials": tuple(materials.values()), "form": tuple(form.values())})


def _read_items(file: Path) -> Sequence[dict]:
    try:
        data = tomllib.loads(file.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise CatalogError(f"{file}: cannot be read: {exc}") from exc
    except (ValueError, RecursionError) as exc:  # tomllib lets int()'s digit limit and deep nesting through
        raise CatalogError(f"{file}: not valid TOML: {exc}") from exc
    try:
        return _CatalogFile.model_validate(data).items
    except ValidationError as exc:
        raise CatalogError(f"{file}: expected only [[item]] tables: {_describe(exc.errors()[0])}") from exc


def _describe(err) -> str:
    loc = ".".join(str(part) for part in err["loc"])
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "enum":
        msg = f"unknown value {err['input']!r} ({msg})"
    return f"{loc}: {msg}" if loc else msg
