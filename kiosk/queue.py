"""Queue tickets (取号): a letter per service category, a counter per category and day, a priority lane.

Priority tickets (the elderly, by the age on their ID card) get a head start over the normal ones, balanced
against waiting time: the calling rule is :mod:`kiosk.queue_rule`, and the hall's windows call by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from config.i18n import Phrase, _

if TYPE_CHECKING:
    from kiosk.catalog import ServiceItem


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


# Which windows serve which departments, by the first letters of an item's code; an item may say otherwise.
_CATEGORY_OF_DEPARTMENT = {
    **dict.fromkeys(("GA", "MZ", "WJ", "JY"), "A"),
    **dict.fromkeys(("RS", "YB", "GJ"), "B"),
    "SJ": "C",
    "BD": "D",
}


def category_for(item: ServiceItem) -> QueueCategory:
    """The queue category whose windows handle ``item``: its own ``queue`` if it names one, else its
    department's, else 综合受理."""
    letter = item.queue or _CATEGORY_OF_DEPARTMENT.get(item.code[:2], "A")
    return next(category for category in CATEGORIES if category.letter == letter)


@dataclass(frozen=True, slots=True)
class QueueTicket:
    category: QueueCategory
    number: int
    issued_at: datetime
    priority: bool = False
    appointment: str = ""  # the id of the appointment this ticket checks in (printed and shown as 预约)

    @property
    def code(self) -> str:
        return f"{self.category.letter}{self.number:03d}"

    @property
    def qr_data(self) -> str:
        return f"TICKET:{self.issued_at:%Y%m%d}:{self.code}"


class PeopleAhead(int):
    """How many wait ahead of a ticket, remembering who counted: the hall, whose windows call the line, or this
    kiosk from its own record while the hall is out of reach (an estimate: it does not see the calls)."""

    from_hall: bool

    def __new__(cls, count: int, from_hall: bool) -> PeopleAhead:
        self = super().__new__(cls, count)
        self.from_hall = from_hall
        return self

    def text(self) -> Phrase:
        """For the resident, saying which count it is."""
        if self.from_hall:
            return _("前面还有 {ahead} 人", ahead=int(self))
        return _("前面约有 {ahead} 人（本机统计，暂未连上大厅）", ahead=int(self))


def parse_ticket_code(text: str) -> tuple[date, str, int] | None:
    """The day, category letter and number of a scanned ticket QR, or None if it is not one of ours."""
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] != "TICKET" or len(parts[2]) != 4:
        return None
    letter, digits = parts[2][0], parts[2][1:]
    if letter not in {c.letter for c in CATEGORIES} or not (digits.isascii() and digits.isdigit()):
        return None
    try:
        day = datetime.strptime(parts[1], "%Y%m%d").date()
    except ValueError:
        return None
    return day, letter, int(digits)
