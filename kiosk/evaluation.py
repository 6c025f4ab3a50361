"""好差评: the national five-level evaluation of every transaction."""

from __future__ import annotations

from dataclasses import dataclass

from config.i18n import _


@dataclass(frozen=True, slots=True)
class Level:
    stars: int
    label: str


LEVELS: tuple[Level, ...] = (
    Level(5, _("非常满意")),
    Level(4, _("满意")),
    Level(3, _("基本满意")),
    Level(2, _("不满意")),
    Level(1, _("非常不满意")),
)
