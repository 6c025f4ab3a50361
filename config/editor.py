"""Edit the settings file for the technician: typed and validated before the file is touched, its comments
kept, the old file backed up, the new one written atomically.

    >>> fields = editable_fields(settings)     # what the technician's form shows, each field with its doc
    >>> save_settings(path, {"session": {"idle_timeout_seconds": "300"}})     # the new Settings, or SettingsError
    >>> set_secret(path, "access.technician_pin_hash", hash_secret(pin))      # what ``kiosk pin`` writes

A file that does not exist yet starts as the shipped, commented ``config/kiosk.toml``.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import os
import shutil
import tempfile
import textwrap
import types
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin

import tomlkit
from pydantic import BaseModel, ValidationError
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Table

from config import shipped_settings_path
from config.settings import Settings, SettingsError, StaffMember, _describe

EDITABLE_SECTIONS = ("station", "session", "queue", "devices", "sync", "accessibility")
"""What a technician may change on the screen; ``access`` only through ``kiosk pin``, ``storage`` and ``catalog``
only in the file (moving them strands the kiosk's data)."""

FieldKind = Literal["text", "int", "float", "bool", "choice", "path"]
_TRUE = {"是", "true", "yes", "on", "1"}
_FALSE = {"否", "false", "no", "off", "0"}


class InvalidSetting(SettingsError):
    """A value the settings refuse; ``section`` and ``name`` say which field, for the form to point at."""

    def __init__(self, message: str, section: str, name: str) -> None:
        super().__init__(message)
        self.section = section
        self.name = name


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """One editable setting: where it lives, what it takes, its current value and what it means."""

    section: str
    name: str
    type: FieldKind
    value: Any
    doc: str
    choices: tuple[Any, ...] = ()
    """The allowed values of a ``choice``."""
    optional: bool = False
    """An empty entry means "not set": the key is left out of the file and the default applies."""

    @property
    def text(self) -> str:
        """The value as a text field shows it."""
        if self.value is None:
            return ""
        if isinstance(self.value, bool):
            return "是" if self.value else "否"
        return str(self.value)


def editable_fields(settings: Settings | None = None) -> list[FieldInfo]:
    """The scalar settings of :data:`EDITABLE_SECTIONS`, with their values in ``settings`` (default: defaults)."""
    settings = settings or Settings()
    return [
        _field_info(section, name, getattr(getattr(settings, section), name))
        for section in EDITABLE_SECTIONS
        for name in _section_model(section).model_fields
    ]


def save_settings(path: Path, changes: Mapping[str, Mapping[str, Any]]) -> Settings:
    """Apply ``changes`` ({section: {name: value}}) to the file at ``path`` and save it; return the new settings.

    Values may be typed or text as entered (``"300"``, ``"是"``, ``"80"``); an empty text unsets an optional
    setting. Everything is validated before the file is touched: :class:`InvalidSetting` names the field.
    """
    doc = _read(path)
    for section, values in changes.items():
        if section not in EDITABLE_SECTIONS:
            raise InvalidSetting(f"{path}: [{section}]: not editable here", section, "")
        model = _section_model(section)
        for name in values:
            if name not in model.model_fields:
                raise InvalidSetting(f"{path}: [{section}] {name}: unknown setting", section, name)
        table = _table(doc, section)
        typed = {}
        for name, raw in values.items():
            try:
                typed[name] = _parse(_field_info(section, name, None), raw)
            except ValueError as exc:
                raise InvalidSetting(f"{path}: [{section}] {name}: {exc}", section, name) from None
        try:
            validated = model.model_validate({**table.unwrap(), **typed})
        except ValidationError as exc:
            err = exc.errors()[0]
            raise _invalid({**err, "loc": (section, *err["loc"])}, path, {}) from None
        for name in values:
            _put(table, name, getattr(validated, name))
    return _write(path, doc)


def set_secret(path: Path, key: str, value: str) -> Settings:
    """Write one secret (a hash), ``key`` as ``"section.name"``, e.g. ``"access.technician_pin_hash"``."""
    section, name = key.split(".", 1)
    doc = _read(path)
    _table(doc, section)[name] = value
    return _write(path, doc)


def set_staff_member(path: Path, member: StaffMember) -> Settings:
    """Add ``member`` as an ``[[access.staff]]`` table, or replace the one with the same id."""
    doc = _read(path)
    access = _table(doc, "access")
    entry = tomlkit.table()
    for name, value in member.model_dump().items():
        if value:
            entry[name] = value
    entry.add(tomlkit.nl())  # a blank line before whatever table follows
    staff = access.get("staff")
    if isinstance(staff, AoT):
        for index, table in enumerate(staff):
            if table.get("id") == member.id:
                staff[index] = entry
                break
        else:
            staff.append(entry)
    else:  # absent, or an inline array (the shipped ``staff = []``): become tables, one per member
        others = [dict(m) for m in (staff.unwrap() if staff is not None else []) if m.get("id") != member.id]
        tables = tomlkit.aot()
        for other in others:
            table = tomlkit.item(other)
            table.add(tomlkit.nl())
            tables.append(table)
        tables.append(entry)
        access["staff"] = tables
    return _write(path, doc)


def backup_path(path: Path) -> Path:
    """Where the file was before the last save."""
    return path.with_name(path.name + ".bak")


def _read(path: Path) -> tomlkit.TOMLDocument:
    try:
        text = path.read_text(encoding="utf-8") if path.exists() else shipped_settings_path().read_text("utf-8")
        return tomlkit.parse(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot be read: {exc}") from None
    except TOMLKitError as exc:
        raise SettingsError(f"{path}: not valid TOML: {exc}") from None


def _write(path: Path, doc: tomlkit.TOMLDocument) -> Settings:
    """Validate the whole file as the kiosk will load it, then back up the old file and replace it atomically."""
    data = doc.unwrap()
    if unknown := sorted(set(data) - set(Settings.model_fields)):
        raise InvalidSetting(f"{path}: unknown section [{unknown[0]}]", unknown[0], "")
    try:
        settings = Settings(**data)
    except ValidationError as exc:
        raise _invalid(exc.errors()[0], path, os.environ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    mode = 0o644
    if path.exists():
        shutil.copy2(path, backup_path(path))
        mode = path.stat().st_mode & 0o777
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(tomlkit.dumps(doc))
            file.flush()
            os.fsync(file.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return settings


def _invalid(err: Mapping, path: Path, environ: Mapping[str, str]) -> InvalidSetting:
    loc = [str(part) for part in err["loc"]]
    return InvalidSetting(_describe(err, path, environ), loc[0], loc[1] if len(loc) > 1 else "")


def _table(doc: tomlkit.TOMLDocument, section: str) -> Table:
    if section not in doc:
        doc.add(section, tomlkit.table())
    return doc[section]


def _put(table: Table, name: str, value: Any) -> None:
    if value is None:
        if name in table:
            del table[name]
        return
    table[name] = str(value) if isinstance(value, Path) else value


def _parse(field: FieldInfo, raw: Any) -> Any:
    """Text as typed into a form, turned into what the field takes; the model validates the rest.
    Raises ``ValueError`` for a yes/no that is neither."""
    if not isinstance(raw, str):
        return raw
    text = raw.strip()
    match field.type:
        case "bool":
            if text.lower() in _TRUE:
                return True
            if text.lower() in _FALSE:
                return False
            raise ValueError(f"should be 是 or 否 (got {raw!r})")
        case "choice":
            return next((choice for choice in field.choices if str(choice) == text), text)
        case "path":
            return None if not text and field.optional else text
        case "int" | "float":
            try:
                return int(text) if field.type == "int" else float(text)
            except ValueError:
                return text  # the model says what is wrong with it
    return text


def _section_model(section: str) -> type[BaseModel]:
    return Settings.model_fields[section].annotation


def _field_info(section: str, name: str, value: Any) -> FieldInfo:
    annotation = _section_model(section).model_fields[name].annotation
    args = get_args(annotation)
    optional = get_origin(annotation) in (Union, types.UnionType) and type(None) in args
    if optional:
        annotation = next(arg for arg in args if arg is not type(None))
    kind: FieldKind
    choices: tuple[Any, ...] = ()
    if get_origin(annotation) is Literal:
        kind, choices = "choice", get_args(annotation)
    elif annotation is bool:
        kind = "bool"
    elif annotation is int:
        kind = "int"
    elif annotation is float:
        kind = "float"
    elif annotation is Path:
        kind = "path"
    else:
        kind = "text"
    return FieldInfo(section, name, kind, value, _docs(section).get(name, ""), choices, optional)


@cache
def _docs(section: str) -> dict[str, str]:
    """The docstring under each field of a section's model (pydantic keeps them only in the source)."""
    model = _section_model(section)
    body = ast.parse(textwrap.dedent(inspect.getsource(model))).body[0].body
    docs = {}
    for node, following in itertools.pairwise(body):
        if (
            isinstance(node, ast.AnnAssign)
            and isinstance(node.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[node.target.id] = " ".join(following.value.value.replace("``", "").split())
    return docs
