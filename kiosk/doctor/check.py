"""The record every check returns, and what the checks share."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

from config.i18n import _

Level = Literal["ok", "warn", "fail", "note"]
"""``warn``: it works, less well or less safely; ``note``: worth knowing, or not checked and why."""

MB = 2**20


@dataclass(frozen=True, slots=True)
class Check:
    """One answer: ``name`` is a stable key for the fleet, ``detail`` what was found, ``fix`` what to do."""

    name: str
    level: Level
    detail: str
    fix: str = ""

    @property
    def ok(self) -> bool:
        """Only a failure fails: after a warning or a note the kiosk still serves residents."""
        return self.level != "fail"

    def as_dict(self) -> dict[str, object]:
        return {"name": self.name, "ok": self.ok, "level": self.level, "detail": self.detail, "fix": self.fix}


SUBJECTS = {
    "reader": _("读卡器安全模块"),
    "printer": _("打印机状态"),
    "enrolled": _("登记"),
    "hall": _("大厅连接"),
    "tls": _("TLS"),
    "clock": _("时钟"),
    "holidays": _("节假日表"),
    "outbox": _("待上传"),
}


def skipped(names: tuple[str, ...], reason: str) -> Iterator[Check]:
    """Checks that could not be made, each saying why, so a machine's list always has the same names."""
    for name in names:
        yield Check(name, "note", _("{subject}：{reason}", subject=SUBJECTS[name], reason=reason))


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]


def size_text(size: int) -> str:
    return f"{size / 2**30:.1f} GB" if size >= 2**30 else f"{size / MB:.0f} MB"
