"""好差评: the national five-level evaluation of every transaction."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Level:
    stars: int
    label: str


LEVELS: tuple[Level, ...] = (
    Level(5, "非常满意"),
    Level(4, "满意"),
    Level(3, "基本满意"),
    Level(2, "不满意"),
    Level(1, "非常不满意"),
)
