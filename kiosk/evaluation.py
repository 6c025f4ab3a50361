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

BAD_LEVELS = frozenset({2, 1})
"""不满意 and 非常不满意: bad reviews, which the hall must follow up, and which need a reason."""

BAD_REVIEW_REASONS: tuple[str, ...] = (
    _("等候时间太长"),
    _("办理流程复杂"),
    _("材料要求没讲清楚"),
    _("自助机不好用"),
    _("服务态度不好"),
    _("其他原因"),
)
"""The short list a resident picks a bad review's reason from; the hall receives the Simplified text."""
