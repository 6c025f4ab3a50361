"""What the hall does for residents beyond the case, as every storage back-end must keep it: the materials an
applicant has handed in (bound to their number, by reuse class and validity), payment orders, materials coming by
post, and appointments with their signed codes.

:func:`services_of` works out from a submission what the hall owes it; each back-end stores that idempotently,
so a resend files nothing twice.
"""

from __future__ import annotations

import hashlib
import hmac
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from kiosk.catalog import Reuse, ServiceItem
from kiosk.hall.models import CaseView
from kiosk.hall.resident_models import AppointmentIssued, MaterialOnFile, PaymentView

if TYPE_CHECKING:
    from kiosk.hall.storage import Principal


@dataclass(frozen=True, slots=True)
class Filing:
    """A material to keep on file for an applicant."""

    material: str
    reuse: Reuse
    valid_until: date | None


@dataclass(frozen=True, slots=True)
class Owed:
    """What the hall owes a submission beyond its case."""

    filings: tuple[Filing, ...]
    fee_cents: int
    by_post: tuple[str, ...]
    reused: tuple[str, ...]


NO_SERVICES = Owed((), 0, (), ())
REUSE_NOTE = "复用已存档材料："  # the case history's note of the materials reused, which follow it


def services_of(item: ServiceItem | None, payload: dict[str, Any], filed_on: date) -> Owed:
    """The materials to keep on file (those handed in, never a per-application form), the fee to collect and the
    materials to expect by post, for a submission of ``item`` with ``payload`` (as the kiosk sealed it)."""
    if item is None:
        return NO_SERVICES
    brought = set(_names(payload.get("materials")))
    filings = tuple(
        Filing(
            m.name,
            m.reuse,
            filed_on + timedelta(days=30 * m.valid_months) if m.reuse is Reuse.WITHIN_VALIDITY else None,
        )
        for m in item.materials
        if m.name in brought and m.reuse is not Reuse.NEVER
    )
    by_post = tuple(_names(payload.get("materials_by_post")))
    return Owed(filings, item.fee.cents, by_post, tuple(_names(payload.get("reused_materials"))))


def _names(value: Any) -> list[str]:
    return [str(name) for name in value] if isinstance(value, list) else []


def holder_key(secret: bytes, number: str) -> str:
    """The applicant's number as the materials table keys it: keyed, so the table alone names nobody."""
    return hmac.new(secret, number.strip().upper().encode(), hashlib.sha256).hexdigest()


class ResidentServices(ABC):
    """The part of :class:`~kiosk.hall.storage.HallStorage` that serves residents beyond the case."""

    @property
    @abstractmethod
    def signing_public_key(self) -> str:
        """The hall's Ed25519 public key (base64): kiosks verify appointment codes with it."""

    @abstractmethod
    def materials_on_file(self, number: str, names: list[str], today: date) -> list[MaterialOnFile]:
        """Those of ``names`` the hall holds for ``number`` and may be reused ``today``."""

    @abstractmethod
    def payment(self, submission_id: str) -> PaymentView | None: ...

    @abstractmethod
    def mark_paid(self, submission_id: str) -> PaymentView:
        """Record the payment (:class:`NotFound` if there is no order); the case's change number moves on."""

    @abstractmethod
    def materials_received(self, serial: str, note: str = "") -> CaseView:
        """Staff: the materials posted for a case have arrived (:class:`NotFound` if none were awaited)."""

    @abstractmethod
    def book_appointment(self, item_code: str, day: date, start: str, end: str, holder: str) -> AppointmentIssued:
        """Book a slot and sign its code."""

    @abstractmethod
    def check_in(self, sender: Principal, appointment_id: str, at: str, ticket: str) -> int:
        """Record a check-in: 201 now, 200 known already (first check-in wins), 404 no such appointment."""

    @abstractmethod
    def appointments(self, day: date | None = None) -> list[dict[str, Any]]:
        """Appointments (of ``day``), with their check-in: for staff and the command line."""
