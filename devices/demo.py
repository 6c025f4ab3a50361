"""Demo back-ends: sample cards and codes presented by the demo keys, receipts written as text files.

They implement the same interfaces as the wire-level drivers, so the app cannot tell them apart.
"""

from __future__ import annotations

import os
import tempfile
import threading
from datetime import date, datetime
from pathlib import Path

from devices.base import (
    CardPlaced,
    CardReader,
    CardRemoved,
    EventCallback,
    IdentityCard,
    PrinterError,
    ReaderConnected,
    ReceiptPrinter,
    Scanner,
    ScanReceived,
)
from devices.document import PrintDocument, render_text

# Fictional residents of 红塔区 (division 530402) whose numbers pass the GB 11643 check.
SAMPLE_CARDS: tuple[IdentityCard, ...] = (
    IdentityCard(
        name="王秀英",
        sex="女",
        ethnicity="汉",
        birth_date=date(1941, 3, 15),
        address="云南省玉溪市红塔区玉兴街道北门社区北门街12号",
        id_number="530402194103150025",
        issuer="玉溪市公安局红塔分局",
        valid_from=date(2010, 5, 6),
        valid_to=None,
    ),
    IdentityCard(
        name="李建国",
        sex="男",
        ethnicity="彝",
        birth_date=date(1958, 7, 1),
        address="云南省玉溪市红塔区大营街街道大营街社区振兴路8号",
        id_number="53040219580701013X",
        issuer="玉溪市公安局红塔分局",
        valid_from=date(2018, 9, 3),
        valid_to=date(2038, 9, 3),
    ),
    IdentityCard(
        name="赵晓雨",
        sex="女",
        ethnicity="汉",
        birth_date=date(1995, 9, 20),
        address="云南省玉溪市红塔区凤凰路街道东风社区南苑小区3栋2单元501号",
        id_number="530402199509200240",
        issuer="玉溪市公安局红塔分局",
        valid_from=date(2021, 4, 12),
        valid_to=date(2031, 4, 12),
    ),
)


class DemoCardReader(CardReader):
    """A reader whose card is placed and lifted by :meth:`present` and :meth:`lift` (the demo keys)."""

    def __init__(self) -> None:
        self._on_event: EventCallback | None = None

    def start(self, on_event: EventCallback) -> None:
        self._on_event = on_event
        on_event(ReaderConnected("演示读卡器（样例身份证）"))

    def stop(self) -> None:
        self._on_event = None

    def present(self, card: IdentityCard) -> None:
        if self._on_event:
            self._on_event(CardPlaced(card))

    def lift(self) -> None:
        if self._on_event:
            self._on_event(CardRemoved())


class DemoScanner(Scanner):
    """A scanner whose codes are typed in by :meth:`scan` (the demo key)."""

    def __init__(self) -> None:
        self._on_event: EventCallback | None = None

    def start(self, on_event: EventCallback) -> None:
        self._on_event = on_event

    def stop(self) -> None:
        self._on_event = None

    def scan(self, code: str) -> None:
        if self._on_event:
            self._on_event(ScanReceived(code))


class TextFilePrinter(ReceiptPrinter):
    """Writes each document as a UTF-8 text file in ``folder``, 32 columns wide like 58 mm paper."""

    def __init__(self, folder: Path, columns: int = 32) -> None:
        self.folder = folder
        self.columns = columns
        self._lock = threading.Lock()

    def print_document(self, document: PrintDocument) -> str:
        text = render_text(document, self.columns)
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        target = self.folder / f"{stamp}-{document.name}.txt"
        with self._lock:
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
                fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".part")
                with os.fdopen(fd, "w", encoding="utf-8") as out:
                    out.write(text)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(tmp, target)
            except OSError as exc:
                raise PrinterError(f"演示打印机无法写入 {self.folder}：{exc.strerror}") from exc
        return str(target)
