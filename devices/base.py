"""The three device interfaces, the records they produce and the events they emit.

A back-end runs its own thread (or none, for the demo ones) and reports through the ``on_event`` callback
given to ``start``; the app turns each event into a Textual message. Callbacks may come from any thread.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Literal

from config.i18n import _
from devices.document import PrintDocument


class DeviceError(Exception):
    """A device cannot do what was asked; the message tells a technician what to check."""


class PrinterError(DeviceError):
    """The receipt did not print (paper out, offline, cable). The submission is safe regardless.

    Raised as such only when nothing of the job reached the printer; see :class:`PrintInterrupted`."""


class PrintInterrupted(PrinterError):
    """The connection was lost while the job was going out (or the printer did not confirm it afterwards): part
    of it, or all of it, may be on paper. The next copy must say it is one (补打), since this one cannot."""


PaperState = Literal["ok", "near_end", "out", "unknown"]


@dataclass(frozen=True, slots=True)
class PrinterStatus:
    online: bool | None
    """None when the connection cannot report status (``file://``) or the printer did not answer."""
    paper: PaperState

    @property
    def text(self) -> str:
        if self.online is None and self.paper == "unknown":
            return _("状态未知（此连接方式不能读取状态）")
        if self.online is False:
            return _("打印机离线（检查盖子、电源和连线）")
        return {
            "ok": _("正常"),
            "near_end": _("纸将用完，请尽快换纸"),
            "out": _("缺纸，请换纸"),
            "unknown": _("纸张状态未知"),
        }[self.paper]


CardType = Literal["resident", "hmt_permit", "foreign_old", "foreign_2023"]


@dataclass(frozen=True, slots=True)
class IdentityCard:
    """What a second-generation ID card holds. ``valid_to`` is None for a long-term (长期) card.

    ``card_type``: resident card, Hong Kong / Macao / Taiwan residence permit (with ``pass_number`` and
    ``issue_count``), or foreign permanent resident card, old or 2023 (with ``english_name`` and
    ``nationality``). The raw WLT photo stays in memory for the session only and is never written anywhere.
    """

    name: str
    sex: str
    ethnicity: str
    birth_date: date
    address: str
    id_number: str
    issuer: str
    valid_from: date
    valid_to: date | None
    card_type: CardType = "resident"
    pass_number: str = ""
    issue_count: str = ""
    english_name: str = ""
    nationality: str = ""
    photo: bytes = field(default=b"", repr=False)
    portrait: bytes = field(default=b"", repr=False)
    """The photo as a 102 × 126 BMP, when a licensed decoder is configured; empty otherwise."""


@dataclass(frozen=True, slots=True)
class ReaderConnected:
    """The card reader answers; ``description`` says which one (port, model)."""

    description: str


@dataclass(frozen=True, slots=True)
class CardPlaced:
    """A card was placed and read."""

    card: IdentityCard


@dataclass(frozen=True, slots=True)
class CardReadFailed:
    """A card was found but could not be read or is not genuine; ``reason`` is for the resident."""

    reason: str


@dataclass(frozen=True, slots=True)
class CardRemoved:
    """The card was lifted off the reader."""


@dataclass(frozen=True, slots=True)
class ReaderFault:
    """The reader cannot read: ``reason`` is for the technician, the screen offers the typed path."""

    reason: str


@dataclass(frozen=True, slots=True)
class CodeScanned:
    """A code was scanned: a serial number, a ticket or an appointment code."""

    code: str


@dataclass(frozen=True, slots=True)
class ScannerConnected:
    """The scanner's port is open; ``description`` says which (port, speed)."""

    description: str


@dataclass(frozen=True, slots=True)
class ScannerFault:
    """The scanner cannot be read: ``reason`` is for the technician; residents can still type their code."""

    reason: str


DeviceEvent = (
    ReaderConnected
    | CardPlaced
    | CardReadFailed
    | CardRemoved
    | ReaderFault
    | CodeScanned
    | ScannerConnected
    | ScannerFault
)
EventCallback = Callable[[DeviceEvent], None]


class CardReader(ABC):
    """An ID-card reader. Emits ReaderConnected, CardPlaced, CardReadFailed, CardRemoved and ReaderFault."""

    @abstractmethod
    def start(self, on_event: EventCallback) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class Scanner(ABC):
    """A queue-ticket / QR scanner. Emits CodeScanned."""

    @abstractmethod
    def start(self, on_event: EventCallback) -> None: ...

    @abstractmethod
    def stop(self) -> None: ...


class ReceiptPrinter(ABC):
    """A receipt printer. Blocking: call it from a worker thread, never from the UI thread."""

    @abstractmethod
    def print_document(self, document: PrintDocument) -> str:
        """Print ``document``; return where it went. Raise :class:`PrinterError` when it did not print."""

    @abstractmethod
    def status(self) -> PrinterStatus:
        """Ask the printer whether it is on line and has paper. Raise :class:`PrinterError` when it cannot be
        reached; a connection that cannot report answers ``PrinterStatus(None, "unknown")``."""
