"""Queue tickets (取号): a letter per service category, a counter per category and day, a priority lane.

Priority tickets (the elderly, by the age on their ID card) are served ahead of the normal ones, so a new
priority ticket waits only behind other priority tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from config.i18n import _


@dataclass(frozen=True, slots=True)
class QueueCategory:
    letter: str
    name: str
    covers: str


CATEGORIES: tuple[QueueCategory, ...] = (
    QueueCategory("A", _("综合受理"), _("户籍、民政、卫健等个人事项")),
    QueueCategory("B", _("社保医保"), _("社会保险、医疗保障、公积金")),
    QueueCategory("C", _("企业开办"), _("营业执照、许可证、企业变更")),
    QueueCategory("D", _("不动产登记"), _("过户、抵押、证书补换")),
)


@dataclass(frozen=True, slots=True)
class QueueTicket:
    category: QueueCategory
    number: int
    issued_at: datetime
    priority: bool = False

    @property
    def code(self) -> str:
        return f"{self.category.letter}{self.number:03d}"

    @property
    def qr_data(self) -> str:
        return f"TICKET:{self.issued_at:%Y%m%d}:{self.code}"


def parse_ticket_code(text: str) -> tuple[date, str, int] | None:
    """The day, category letter and number of a scanned ticket QR, or None if it is not one of ours."""
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] != "TICKET" or len(parts[2]) != 4:
        return None
    letter, digits = parts[2][0], parts[2][1:]
    if letter not in {c.letter for c in CATEGORIES} or not digits.isdigit():
        return None
    try:
        day = datetime.strptime(parts[1], "%Y%m%d").date()
    except ValueError:
        return None
    return day, letter, int(digits)
