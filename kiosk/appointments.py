"""Appointments (预约): a slot for an item, booked at the hall, checked in at a kiosk by scanning its code.

The code is the QR the hall issues: ``APPT1.<payload>.<signature>``, both parts base64url without padding. The
payload is JSON — the appointment's id, item, day, time window and a masked holder — and the signature is the
hall's Ed25519 signature over the payload's bytes. A kiosk verifies it offline with the hall's signing key from
enrolment, so nobody can make or alter a code, and checks the day and the window against its own clock.

    >>> code = sign(appointment, hall_signing_key)                       # at the hall
    >>> verify(code, enrolment.hall_signing_key, now)                    # at the kiosk: Appointment, or
    AppointmentRefused('这是 12月2日 的预约，不是今天。请在预约当天来签到。')
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime, time, timedelta

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from config.i18n import _

PREFIX = "APPT1"
EARLY = timedelta(minutes=30)
"""How long before its window an appointment may check in."""
LATE = timedelta(minutes=15)
"""How long after its window closes an appointment may still check in."""


class AppointmentRefused(Exception):
    """The scanned code cannot check in; the message tells the resident why and what to do."""


@dataclass(frozen=True, slots=True)
class Appointment:
    id: str
    item_code: str
    day: date
    start: time
    end: time
    holder: str
    """The holder's masked name (``王**``): enough for staff to greet them, nothing more on the code."""

    def as_payload(self) -> bytes:
        data = asdict(self) | {"day": self.day.isoformat(), "start": f"{self.start:%H:%M}", "end": f"{self.end:%H:%M}"}
        return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()

    @property
    def window(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M}"


def new_signing_key() -> tuple[str, str]:
    """A fresh Ed25519 key pair as base64 text: (private, public)."""
    key = Ed25519PrivateKey.generate()
    return _b64(key.private_bytes_raw()), _b64(key.public_key().public_bytes_raw())


def public_text(private_text: str) -> str:
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_text))
    return _b64(key.public_key().public_bytes_raw())


def sign(appointment: Appointment, private_text: str) -> str:
    """The code the hall prints as a QR for ``appointment``."""
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private_text))
    payload = appointment.as_payload()
    return f"{PREFIX}.{_b64url(payload)}.{_b64url(key.sign(payload))}"


def is_appointment_code(text: str) -> bool:
    return text.strip().startswith(PREFIX + ".")


def verify(code: str, public_key: str, now: datetime) -> Appointment:
    """The appointment a scanned code holds, if the hall signed it and it may check in at ``now``.

    Raises :class:`AppointmentRefused` for a code that is not the hall's (forged or altered), for another day,
    and for one too early or too late for its window. Whether it was used already is the caller's to know."""
    try:
        prefix, payload_text, signature_text = code.strip().split(".")
        if prefix != PREFIX:
            raise ValueError(prefix)
        payload, signature = _unb64url(payload_text), _unb64url(signature_text)
        Ed25519PublicKey.from_public_bytes(base64.b64decode(public_key)).verify(signature, payload)
        data = json.loads(payload)
        appointment = Appointment(
            id=str(data["id"]),
            item_code=str(data["item_code"]),
            day=date.fromisoformat(data["day"]),
            start=time.fromisoformat(data["start"]),
            end=time.fromisoformat(data["end"]),
            holder=str(data["holder"]),
        )
        if appointment.start.tzinfo is not None or appointment.end.tzinfo is not None:
            raise ValueError("the window is in the hall's local time, without an offset")
    except (ValueError, KeyError, TypeError, binascii.Error, InvalidSignature):
        raise AppointmentRefused(
            _("这个预约码无法核验，可能不是政务服务中心签发的，或已被改动。请到咨询台询问。")
        ) from None
    if appointment.day != now.date():
        raise AppointmentRefused(
            _(
                "这是 {month}月{day}日 的预约，不是今天。请在预约当天来签到。",
                month=appointment.day.month,
                day=appointment.day.day,
            )
        )
    opens = datetime.combine(appointment.day, appointment.start) - EARLY
    closes = datetime.combine(appointment.day, appointment.end) + LATE
    if now < opens:
        raise AppointmentRefused(
            _(
                "预约时间是 {window}，请在 {opens} 以后再来扫码签到。",
                window=appointment.window,
                opens=opens.strftime("%H:%M"),
            )
        )
    if now > closes:
        raise AppointmentRefused(
            _("预约时间 {window} 已经过了。请到咨询台，或直接取号办理。", window=appointment.window)
        )
    return appointment


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
