"""Staff-assisted filing (代办): agency staff sign in, and every filing they make records them and the
applicant's consent, given in person.

    >>> agent = staff_by_pin(settings.access.staff, "2468")   # or staff_by_badge(members, scanned_code)
    >>> application.file_on_behalf(agent, consent_at=now)     # after the applicant has confirmed on screen
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from config.i18n import _
from config.settings import StaffMember
from kiosk.pin import verify_secret

CONSENT_TEXT = _("申请人已当面确认并同意代办")


@dataclass(frozen=True, slots=True)
class Agent:
    """A member of staff filing on an applicant's behalf: printed on the receipt, kept with the submission."""

    id: str
    name: str

    @property
    def label(self) -> str:
        return _("{name}（工号 {id}）", name=self.name, id=self.id)


def staff_by_pin(members: Iterable[StaffMember], pin: str) -> Agent | None:
    """The member of staff whose PIN this is. Each check costs one scrypt (~50 ms): call it off the UI thread."""
    return next((Agent(m.id, m.name) for m in members if m.pin_hash and verify_secret(pin, m.pin_hash)), None)


def staff_by_badge(members: Iterable[StaffMember], code: str) -> Agent | None:
    """The member of staff whose badge was scanned."""
    return next((Agent(m.id, m.name) for m in members if m.badge_hash and verify_secret(code, m.badge_hash)), None)
