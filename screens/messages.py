"""Messages the app posts to the current screen when a device or the store has news."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

from kiosk.application import Applicant
from kiosk.services import SyncStatus


@dataclass
class CardRead(Message):
    """An ID card was read; ``applicant`` holds what the card says."""

    applicant: Applicant


@dataclass
class CardUnreadable(Message):
    """A card was placed but could not be read; ``text`` tells the resident what to do."""

    text: str


@dataclass
class ReaderStatus(Message):
    """The reader's state changed: ``text`` is for the resident, ``detail`` for the technician."""

    ok: bool
    text: str
    detail: str


@dataclass
class ScanReceived(Message):
    """The scanner read a code."""

    code: str


@dataclass
class SyncStatusChanged(Message):
    """The sync engine's news: whether the hall is reachable, what waits on this machine, the last error."""

    status: SyncStatus


@dataclass
class EndVisit(Message):
    """The resident is done (or walked away): wipe the visit and go back to the welcome screen."""
