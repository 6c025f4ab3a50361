"""Identifiers of applicants: resident ID numbers (GB 11643) and unified social credit codes (GB 32100).

>>> check_id_number("440308199901101512").birth_date
datetime.date(1999, 1, 10)
>>> mask_id_number("440308199901101512")
'4403**********1512'
>>> mask_name("张三丰")
'张**'
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date

from config.i18n import _
from devices.idcard.records import id_check_character  # the reader checks cards with the same rule

_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


class IdentityError(ValueError):
    """A typed or read identifier is not valid; the message tells the resident what is wrong."""


@dataclass(frozen=True, slots=True)
class IdNumber:
    """A checked 18-character resident ID number and what it tells."""

    value: str
    birth_date: date
    sex: str  # 男 or 女

    def age_on(self, day: date) -> int:
        return age_on(self.birth_date, day)


def age_on(birth_date: date, day: date) -> int:
    """Completed years of a person born on ``birth_date`` on ``day``."""
    return day.year - birth_date.year - ((day.month, day.day) < (birth_date.month, birth_date.day))


def check_id_number(text: str, today: date | None = None) -> IdNumber:
    """Validate a resident ID number; raise :class:`IdentityError` with a resident-facing reason.

    The division code is not checked against a list: numbers keep the code in force when they were
    issued, and codes change every year.
    """
    value = "".join(text.split()).upper()
    if len(value) != 18:
        raise IdentityError(_("身份证号码应为18位，您输入了{n}位", n=len(value)))
    # ASCII first: isdigit() also passes "²", which int() refuses, and "٣", which it reads as 3.
    if not value.isascii() or not value[:17].isdigit() or not (value[17].isdigit() or value[17] == "X"):
        raise IdentityError(_("身份证号码前17位应为数字，最后一位为数字或X"))
    try:
        birth = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise IdentityError(_("身份证号码中的出生日期不存在，请核对第7至14位")) from None
    if birth.year < 1880 or birth > (today or date.today()):
        raise IdentityError(_("身份证号码中的出生日期不合理，请核对第7至14位"))
    if id_check_character(value[:17]) != value[17]:
        raise IdentityError(_("身份证号码校验位不符，请逐位核对后重新输入"))
    return IdNumber(value=value, birth_date=birth, sex="男" if int(value[16]) % 2 else "女")


@dataclass(frozen=True, slots=True)
class CreditCode:
    """A unified social credit code; ``verified`` is False for an early pilot code whose check fails."""

    value: str
    verified: bool


def credit_check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters."""
    total = sum(_CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31]


def check_credit_code(text: str) -> CreditCode:
    """Validate a unified social credit code.

    A code of the right form whose check character does not verify is returned with ``verified=False``:
    early pilot codes like that are legal, so staff may override rather than be blocked.
    """
    value = "".join(text.split()).upper()
    if len(value) != 18:
        raise IdentityError(_("统一社会信用代码应为18位，您输入了{n}位", n=len(value)))
    if bad := sorted({c for c in value if c not in _CREDIT_ALPHABET}):
        raise IdentityError(_("统一社会信用代码不能包含字符 {bad}（不使用 I、O、Z、S、V）", bad=" ".join(bad)))
    if not value[2:8].isdigit():
        raise IdentityError(_("统一社会信用代码第3至8位应为行政区划代码（数字）"))
    return CreditCode(value=value, verified=credit_check_character(value[:17]) == value[17])


def mask_id_number(value: str) -> str:
    """Keep the first four and last four characters: ``4403**********1512``."""
    if len(value) <= 8:
        return "*" * len(value)
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_address(address: str) -> str:
    """An address as kept in clear and printed: the district, not the door (``云南省玉溪市红塔区****12号``)."""
    address = address.strip()
    if len(address) <= 8:
        return address[:2] + "*" * max(0, len(address) - 2)
    for mark in ("区", "县", "市"):
        cut = address.find(mark, 0, 14)
        if cut != -1:
            return address[: cut + 1] + "****" + address[-3:]
    return address[:6] + "****" + address[-3:]


def mask_name(name: str) -> str:
    """Keep the first character of a Chinese name, the first word of a foreign one: ``张*``."""
    name = name.strip()
    if not name:
        return ""
    if " " in name:
        first, rest = name.split(" ", 1)
        return first + " " + "".join("*" if c != " " else " " for c in rest)
    return name[0] + "*" * (len(name) - 1)


def mask_phone(phone: str) -> str:
    """``138****5678`` for an 11-digit mobile number; other numbers keep their last four."""
    digits = phone.strip()
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 4, 0) + digits[-4:]


def applicant_key(number: str, secret: bytes) -> str:
    """A slow, keyed hash of an applicant's number (ID number or credit code), by which this kiosk finds the same
    applicant's earlier filing without keeping the number. scrypt with the kiosk's own secret: ID numbers are
    few enough to be guessed, so each guess must cost an attacker who has the disk tens of milliseconds."""
    digest = hashlib.scrypt(number.upper().encode(), salt=secret, n=2**14, r=8, p=1, dklen=16)
    return digest.hex()
