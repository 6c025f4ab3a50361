"""What the hall keeps: the :class:`HallStorage` interface and what every back-end shares.

The API calls only :class:`HallStorage`, so a back-end (:mod:`kiosk.hall.sqlite_storage` today, PostgreSQL
beside it later) can be replaced without touching it. Here are the interface, the errors the API translates to
status codes, :class:`Principal`, and the constants and helpers every back-end needs; nothing specific to one
database. What sync relies on — one case per submission id, one submission per serial number, one rating per
submission, a code spent once — is a database constraint in every back-end, never a check followed by an insert.
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

from kiosk.catalog import ServiceItem
from kiosk.hall.console.storage import ConsoleStorage
from kiosk.hall.models import (
    CaseView,
    CatalogChanges,
    Enrolment,
    EvaluationIn,
    HeartbeatIn,
    HolidayChanges,
    HolidayDay,
    SubmissionAnswer,
    SubmissionIn,
)
from kiosk.hall.queue import QueueStorage
from kiosk.hall.resident import NO_SERVICES, Owed, ResidentServices
from offline_cache.envelope import HallKeyPair

CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: read aloud or typed without mistakes
CODE_LENGTH = 8
HEARTBEATS_KEPT = 100
CLOCK_SKEW_SECONDS = 5 * 60
"""A kiosk whose clock is further than this from the hall's is flagged (a dead clock battery, most often): far more
than a heartbeat's delay on the network, far less than what upsets the case's dates."""
INSTANT_NOTE = "即时办结（秒批，大厅已按规则复核）"
CHINA = timezone(timedelta(hours=8), "CST")  # case numbers count by the year in China


@dataclass(frozen=True, slots=True)
class NewCase:
    """A submission the hall has opened and decided, ready to record."""

    submission: SubmissionIn
    payload: str  # the sealed payload, opened
    content_hash: str
    instant: bool = False
    owed: Owed = NO_SERVICES
    number: str = ""  # the applicant's ID number: materials on file are kept under it (keyed)


class HallError(Exception):
    """The hall refuses what was asked; the message says why."""


class EnrolmentRefused(HallError):
    """The enrolment code is unknown or spent."""


class Rejected(HallError):
    """An item the hall refuses as invalid: its content, never the connection, is at fault."""


class NotFound(HallError):
    """No such case or catalog item."""


class CaseFinished(HallError):
    """The case is at its last stage already."""


class QueueConflict(HallError):
    """The ticket's status does not allow what was asked (recall a ticket nobody called, resume one not held)."""


@dataclass(frozen=True, slots=True)
class Principal:
    """Who a bearer token belongs to: a kiosk (with its station), a member of staff, or a display board."""

    role: Literal["kiosk", "staff", "board"]
    kiosk_id: str = ""
    station_id: str = ""


@dataclass(frozen=True, slots=True)
class HolidayImport:
    """What an import did to the holiday table; ``version`` is the table's version after it."""

    version: int
    added: int
    changed: int
    removed: int
    unchanged: int


def normalise_code(code: str) -> str:
    """An enrolment code as stored: ``k7qh-m2xd`` and ``K7QHM2XD`` are the same code."""
    return code.replace("-", "").replace(" ", "").strip().upper()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def utc_now() -> datetime:
    return datetime.now(UTC)


def iso_seconds(moment: datetime) -> str:
    """A moment as the hall writes it in answers and listings: ISO 8601 to the second."""
    return moment.isoformat(timespec="seconds")


def clock_skew(sent_at: str | None, received: datetime) -> int | None:
    """Seconds the kiosk's clock ran ahead of the hall's (negative: behind): its ``sent_at`` (without an offset, China
    time) against ``received``, when the hall had the request. None without ``sent_at``."""
    if sent_at is None:
        return None
    sent = datetime.fromisoformat(sent_at.upper())  # as validated: RFC 3339 allows a lower-case "t" and "z"
    return round(((sent if sent.tzinfo else sent.replace(tzinfo=CHINA)) - received).total_seconds())


def clock_off(skew: int | None) -> bool:
    """Whether a kiosk's clock, ``skew`` seconds from the hall's, is to be flagged."""
    return skew is not None and abs(skew) > CLOCK_SKEW_SECONDS


def clock_note(skew: int | None) -> str:
    """How far off a kiosk's clock is, as staff read it (时钟偏差 3 小时 12 分（终端偏快）); empty within the bound."""
    if skew is None or not clock_off(skew):
        return ""
    hours, minutes = divmod(abs(skew) // 60, 60)
    days, hours = divmod(hours, 24)
    units = [(days, "天"), (hours, "小时"), (minutes, "分")]
    first = next(i for i, (amount, _) in enumerate(units) if amount)  # over five minutes: one of them is not 0
    shown = " ".join(f"{amount} {unit}" for amount, unit in units[first : first + 2] if amount)
    return f"时钟偏差 {shown}（终端{'偏快' if skew > 0 else '偏慢'}）"


class HallStorage(ResidentServices, QueueStorage, ConsoleStorage):
    """Everything the hall keeps. Listings for people and command lines (:meth:`cases`, :meth:`fleet`) are
    plain JSON-ready dicts; single records are the API's models."""

    @property
    @abstractmethod
    def hall_keys(self) -> HallKeyPair:
        """The hall's key pair, made on first use of the storage."""

    @abstractmethod
    def close(self) -> None: ...

    @abstractmethod
    def transaction(self) -> AbstractContextManager[None]:
        """Everything stored inside is one transaction, committed at the end: a batch's items each on their own
        (a conflict undoes that item alone) but with one commit and one turn at the write lock."""

    # Enrolment and tokens

    @abstractmethod
    def new_enrolment_code(self) -> str:
        """A new single-use code, formatted for reading aloud (``K7QH-M2XD``)."""

    @abstractmethod
    def new_staff_token(self) -> str: ...

    @abstractmethod
    def enroll(self, code: str, station_id: str, name: str) -> Enrolment:
        """Spend ``code`` and enrol a kiosk; earlier enrolments of the station are revoked.
        :class:`EnrolmentRefused` if the code is unknown or spent."""

    @abstractmethod
    def authenticate(self, token: str) -> Principal | None:
        """Whose token this is; None if unknown or revoked."""

    # Submissions and cases

    @abstractmethod
    def record_submissions(
        self, sender: Principal, cases: list[NewCase]
    ) -> list[tuple[bool, SubmissionAnswer] | Rejected]:
        """Store each submission with its opened payload and open its case at 申请, or, when ``instant`` (the hall
        has re-decided the grant), close it at once at the last stage: ``(True, answer)``. The same submission
        again: ``(False, first answer)``. :class:`Rejected` if its id or serial is taken by other content. What
        each stored or repeated case brings (:class:`~kiosk.hall.resident.Owed`) is filed once however often it
        comes. Answered in order; one transaction and one turn at the write lock for the whole batch."""

    def record_submission(
        self, sender: Principal, submission: SubmissionIn, payload: str, content_hash: str, instant: bool = False
    ) -> tuple[bool, SubmissionAnswer]:
        """:meth:`record_submissions` for one submission that brings nothing beyond its case; raises
        :class:`Rejected`."""
        (result,) = self.record_submissions(sender, [NewCase(submission, payload, content_hash, instant)])
        if isinstance(result, Rejected):
            raise result
        return result

    @abstractmethod
    def held(self, station_id: str, ids: list[str]) -> dict[str, SubmissionAnswer]:
        """The first answers for those of ``ids`` that the hall holds from ``station_id``."""

    @abstractmethod
    def case(self, serial: str) -> CaseView | None: ...

    @abstractmethod
    def cases_since(self, station_id: str, since: int, limit: int = 500) -> tuple[int, list[CaseView]]:
        """Cases from ``station_id`` changed after change number ``since``, oldest change first, with the
        cursor for the next call."""

    @abstractmethod
    def advance(self, serial: str, note: str = "", by: str = "") -> CaseView:
        """Move a case to its next stage (resuming it if it was returned for materials), recording ``by`` as who
        did. :class:`NotFound`, or :class:`CaseFinished` at the last stage or refused."""

    @abstractmethod
    def cases(self) -> list[dict[str, Any]]:
        """Every case, newest first: ``serial``, ``case_number``, ``item``, ``item_name``, ``stage``, ``kiosk``
        (the station), ``kiosk_id``, ``received_at``, ``updated_at``, ``submission_id``, ``applicant`` (masked),
        ``outcome`` and ``outcome_note``."""

    # Evaluations, heartbeats, fleet

    @abstractmethod
    def record_evaluation(self, sender: Principal, evaluation: EvaluationIn, content_hash: str) -> bool:
        """True if stored now, False if held already; :class:`Rejected` if the submission has another rating."""

    @abstractmethod
    def evaluations(self) -> list[dict[str, Any]]:
        """Every rating, newest first: ``submission_id``, ``serial``, ``item_code`` and ``item_name`` (empty until
        the submission arrives), ``level``, ``reason``, ``created_at``, ``kiosk_id``, ``station_id``, and what was
        done about it: ``followup``, ``followup_by``, ``followup_at`` (empty until then)."""

    @abstractmethod
    def record_heartbeat(self, sender: Principal, heartbeat: HeartbeatIn) -> None: ...

    @abstractmethod
    def fleet(self) -> list[dict[str, Any]]:
        """The enrolled kiosks as :class:`KioskView` dicts, with their latest heartbeat."""

    # Catalog

    @abstractmethod
    def seed_catalog(self, items: Iterable[ServiceItem]) -> bool:
        """Fill the catalog the first time; False (and nothing changed) if it was seeded before."""

    @abstractmethod
    def catalog_changes(self, since: int) -> CatalogChanges: ...

    @abstractmethod
    def catalog_item(self, code: str) -> dict[str, Any] | None:
        """An item as JSON, or None if the catalog does not hold it."""

    @abstractmethod
    def put_catalog_item(self, item: ServiceItem | dict[str, Any]) -> int:
        """Add or replace an item; returns the catalog's new version."""

    @abstractmethod
    def remove_catalog_item(self, code: str) -> int:
        """Remove an item (:class:`NotFound` if absent); returns the catalog's new version."""

    # Holiday table

    @abstractmethod
    def seed_holidays(self, days: Iterable[HolidayDay]) -> bool:
        """Fill the holiday table the first time; False (and nothing changed) if it was seeded before. A day the
        staff imported before the seeding stays theirs."""

    @abstractmethod
    def holiday_changes(self, since: int) -> HolidayChanges:
        """Days changed after version ``since``, a day taken out of the table as kind ``normal``."""

    @abstractmethod
    def holidays(self, year: int | None = None) -> list[HolidayDay]:
        """The days in the table (holidays and adjusted working days), in date order; of ``year`` only if given."""

    @abstractmethod
    def import_holidays(self, days: Iterable[HolidayDay]) -> HolidayImport:
        """Replace each of ``days`` in one change (kind ``normal`` takes a day out); days not listed stay as they
        are, and the version moves only if something changed."""
