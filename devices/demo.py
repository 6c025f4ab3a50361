"""Demo back-ends: sample codes scanned by the demo keys, receipts written as text files.

They implement the same interfaces as the wire-level drivers, so the app cannot tell them apart.
"""

from __future__ import annotations

import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path

from devices.base import EventCallback, PrinterError, ReceiptPrinter, Scanner, ScanReceived
from devices.document import PrintDocument, render_text


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
