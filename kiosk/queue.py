"""Queue tickets (取号): a letter per service category and a counter per category and day."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from devices.document import PrintDocument, Qr, Rule, Text


@dataclass(frozen=True, slots=True)
class QueueCategory:
    letter: str
    name: str
    covers: str


CATEGORIES: tuple[QueueCategory, ...] = (
    QueueCategory("A", "综合受理", "户籍、民政、卫健等个人事项"),
    QueueCategory("B", "社保医保", "社会保险、医疗保障、公积金"),
    QueueCategory("C", "企业开办", "营业执照、许可证、企业变更"),
    QueueCategory("D", "不动产登记", "过户、抵押、证书补换"),
)


@dataclass(frozen=True, slots=True)
class QueueTicket:
    category: QueueCategory
    number: int
    issued_at: datetime

    @property
    def code(self) -> str:
        return f"{self.category.letter}{self.number:03d}"

    def document(self, station_name: str) -> PrintDocument:
        return PrintDocument(
            name=f"ticket-{self.code}",
            blocks=(
                Text(station_name, align="center"),
                Text("排 队 号", align="center"),
                Text(self.code, align="center", large=True, bold=True),
                Text(f"{self.category.name}（{self.category.covers}）", align="center"),
                Rule(),
                Qr(f"TICKET:{self.issued_at:%Y%m%d}:{self.code}"),
                Text(f"取号时间：{self.issued_at:%Y-%m-%d %H:%M}", align="center"),
                Text("请留意叫号屏和广播，过号请重新取号。", align="center"),
            ),
        )
