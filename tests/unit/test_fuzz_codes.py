"""Bad input fuzzed: the codes a resident types or scans, each parser against its documented refusal.

``SerialNumber.parse`` raises SerialNumberError, ``parse_ticket_code`` returns None, ``appointments.verify`` raises
AppointmentRefused, ``check_id_number`` and ``check_credit_code`` raise IdentityError; nothing else may escape.
Inputs are any text, and valid codes damaged the ways typing and scanning damage them.
"""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import example, given, settings
from hypothesis import strategies as st

from kiosk.appointments import Appointment, AppointmentRefused, is_appointment_code, public_text, sign, verify
from kiosk.identity import CreditCode, IdentityError, IdNumber, check_credit_code, check_id_number
from kiosk.queue import CATEGORIES, parse_ticket_code
from kiosk.serial_number import SerialNumber, SerialNumberError
from tests.fuzzing import FUZZ, JSON

TODAY = date(2026, 11, 23)
LONG_LINE = 10_000
"""About the longest line a slip makes: long enough to be absurd, short enough to stay quick."""

ODD_CHARACTERS = st.sampled_from(
    ["\x00", "\ud800", "\udfff", "²", "٣", "０", "Ａ", "ß", "ﬀ", "İ", "\u200b", "\ufeff", "-", " ", ":", ".", "=", "\n"]
)
"""Characters that trip parsers: NUL, lone surrogates, digits int() refuses or takes, full-width and case-changing
letters, invisible ones, and the separators the codes use."""
ANY_CHARACTER = ODD_CHARACTERS | st.characters()
ODD_DIGITS = st.sampled_from(["²", "¹", "①", "٣", "۳", "०", "０", "𝟘"])
"""Digits that are not ASCII: str.isdigit() passes them all, int() takes some and refuses others."""


@st.composite
def damaged(draw, valid: str) -> str:
    """``valid`` after one to three slips: cut short, a character changed, added, dropped or swapped with its
    neighbour, a digit that is not ASCII, the case changed, or the whole repeated into a very long line."""
    text = valid
    for _ in range(draw(st.integers(1, 3))):
        at = draw(st.integers(0, len(text)))
        slip = draw(st.sampled_from(["cut", "change", "add", "drop", "swap", "digit", "case", "repeat", "pad"]))
        digits = [i for i, c in enumerate(text) if c in "0123456789"]
        if slip == "digit" and digits:
            at = draw(st.sampled_from(digits))
            text = text[:at] + draw(ODD_DIGITS) + text[at + 1 :]
        elif slip == "cut":
            text = text[:at]
        elif slip == "change" and at < len(text):
            text = text[:at] + draw(ANY_CHARACTER) + text[at + 1 :]
        elif slip == "add":
            text = text[:at] + draw(ANY_CHARACTER) + text[at:]
        elif slip == "drop":
            text = text[:at] + text[at + 1 :]
        elif slip == "swap" and at + 1 < len(text):
            text = text[:at] + text[at + 1] + text[at] + text[at + 2 :]
        elif slip == "case":
            text = text.swapcase()
        elif slip == "repeat" and len(text) < LONG_LINE:
            text = text * draw(st.integers(2, LONG_LINE // max(len(text), 1) + 2))
        elif slip == "pad":
            text = draw(st.text(ANY_CHARACTER, max_size=4)) + text + draw(st.text(ANY_CHARACTER, max_size=4))
    return text


def any_text_or(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """Completely random text, a valid code as it is, or (twice as often) a damaged one."""
    kinds = [st.text(max_size=60), st.text(ANY_CHARACTER, max_size=60), valid, valid.flatmap(damaged)]
    return st.sampled_from([*kinds, kinds[-1]]).flatmap(lambda strategy: strategy)


# Serial numbers


_serials = st.builds(
    SerialNumber.issue,
    st.text("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789", min_size=2, max_size=8),
    st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    st.integers(1, 9999),
).map(str)


@settings(FUZZ, max_examples=400)
@given(any_text_or(_serials))
def test_serial_number_text_is_a_serial_or_a_serial_number_error(text):
    try:
        serial = SerialNumber.parse(text)
    except SerialNumberError:
        return
    assert SerialNumber.parse(str(serial)) == serial


# Queue tickets


_tickets = st.builds(
    "TICKET:{:%Y%m%d}:{}{:03d}".format,
    st.dates(date(2000, 1, 1), date(2099, 12, 31)),
    st.sampled_from([category.letter for category in CATEGORIES]),
    st.integers(0, 999),
)


@settings(FUZZ, max_examples=400)
@given(any_text_or(_tickets))
@example("TICKET:20261123:A00²")  # found by this test: isdigit() passed it, int() refused it
def test_ticket_text_is_a_ticket_or_none(text):
    parsed = parse_ticket_code(text)
    if parsed is not None:
        day, letter, number = parsed
        assert isinstance(day, date) and letter in {c.letter for c in CATEGORIES} and 0 <= number <= 999


# Identifiers


_id_numbers = st.sampled_from(["530402194103150025", "53040219580701013X", "440308199901101512", "11010519491231002X"])
_credit_codes = st.sampled_from(["91530402MA6K1234X8", "91350100M000100Y43", "12100000400000624D"])


@settings(FUZZ, max_examples=400)
@given(any_text_or(_id_numbers))
@example("²30402194103150025")  # found by this test: a ValueError from int()
@example("٥30402194103150025")  # found by this test: passed as valid, with an Arabic-Indic digit in the number
def test_id_number_text_is_an_id_number_or_an_identity_error(text):
    try:
        checked = check_id_number(text, TODAY)
    except IdentityError:
        return
    assert isinstance(checked, IdNumber) and checked.value.isascii() and len(checked.value) == 18


@settings(FUZZ, max_examples=300)
@given(any_text_or(_credit_codes))
def test_credit_code_text_is_a_credit_code_or_an_identity_error(text):
    try:
        checked = check_credit_code(text)
    except IdentityError:
        return
    assert isinstance(checked, CreditCode) and len(checked.value) == 18


# Appointments

# Fixed keys (Ed25519 signs deterministically), so every run sees the same codes.
HALL_PRIVATE = base64.b64encode(bytes(range(32))).decode()
HALL_PUBLIC = public_text(HALL_PRIVATE)
OTHER_PRIVATE = base64.b64encode(bytes(range(32, 64))).decode()
NOW = datetime(2026, 11, 23, 10, 0)
BOOKED = Appointment("ap-1", "MZ0001", NOW.date(), time(9, 30), time(10, 30), "王**")


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _signed(payload: bytes, private: str = HALL_PRIVATE) -> str:
    """A code over any payload bytes, signed as the hall signs: what a hall of another version might issue."""
    key = Ed25519PrivateKey.from_private_bytes(base64.b64decode(private))
    return f"APPT1.{_b64url(payload)}.{_b64url(key.sign(payload))}"


_TIMES = st.sampled_from(["09:30", "9:30", "09:30:00.5", "09:30+08:00", "09:30Z", "24:00", "", "T09", "09"])
_DAYS = st.sampled_from(["2026-11-23", "20261123", "2026-W48-1", "0001-01-01", "9999-12-31", "2026-02-30"])


@st.composite
def _hall_payloads(draw) -> bytes:
    """JSON the hall's key signed: each real field kept, changed to text of its kind or to any JSON, or left out;
    now and then any JSON document instead."""
    fields = json.loads(BOOKED.as_payload())
    typed = {"day": _DAYS, "start": _TIMES, "end": _TIMES}
    for key in sorted(fields):
        change = draw(st.sampled_from(["keep", "keep", "typed", "json", "drop"]))
        if change == "drop":
            del fields[key]
        elif change == "typed":
            fields[key] = draw(typed.get(key, st.text(ANY_CHARACTER, max_size=20)))
        elif change == "json":
            fields[key] = draw(JSON)
    document = draw(st.just(fields) | JSON) if draw(st.integers(0, 9)) == 0 else fields
    return json.dumps(document, ensure_ascii=draw(st.booleans())).encode("utf-8", "surrogatepass")


_appointment_codes = st.one_of(
    st.just(sign(BOOKED, HALL_PRIVATE)),
    st.just(sign(BOOKED, HALL_PRIVATE)).flatmap(damaged),
    st.just(sign(BOOKED, OTHER_PRIVATE)),  # a forger's key
    _hall_payloads().map(lambda payload: _signed(payload, OTHER_PRIVATE)),
    st.lists(st.text(ANY_CHARACTER, max_size=90), max_size=4).map(lambda parts: ".".join(["APPT1", *parts])),
    st.binary(max_size=120).map(lambda raw: f"APPT1.{_b64url(raw)}.{base64.b64encode(raw).decode()}"),
)


@settings(FUZZ, max_examples=250)
@given(any_text_or(_appointment_codes))
def test_appointment_text_is_an_appointment_or_a_refusal(text):
    assert isinstance(is_appointment_code(text), bool)
    try:
        appointment = verify(text, HALL_PUBLIC, NOW)
    except AppointmentRefused as refusal:
        assert str(refusal)
        return
    assert isinstance(appointment, Appointment) and appointment.day == NOW.date()


@settings(FUZZ, max_examples=200)
@given(_hall_payloads())
@example(BOOKED.as_payload().replace(b'"09:30"', b'"09:30+08:00"'))  # found by this test: a TypeError comparing
def test_whatever_the_hall_signed_is_an_appointment_or_a_refusal(payload):
    try:
        appointment = verify(_signed(payload), HALL_PUBLIC, NOW)
    except AppointmentRefused as refusal:
        assert str(refusal)
        return
    assert isinstance(appointment, Appointment) and appointment.day == NOW.date()
