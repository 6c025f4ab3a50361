"""The 256-byte text block of a second-generation card, in its four layouts, to and from :class:`IdentityCard`.

UCS-2 little-endian, each field padded with spaces on the right. The type flag at offset 248 decides the
layout: a space for the resident card, ``J`` for the Hong Kong / Macao / Taiwan residence permit, ``I`` for the
old foreign permanent resident card, ``Y`` for its 2023 version. Only trailing spaces are trimmed: foreign
names have spaces inside.
"""

from __future__ import annotations

from datetime import date

from devices.base import IdentityCard

TEXT_LEN = 256
LONG_TERM = "长期"

SEX = {"0": "未知", "1": "男", "2": "女", "9": "未说明"}
ETHNICITY = dict(
    enumerate(
        "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 水 东乡 纳西 "
        "景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 乌孜别克 俄罗斯 鄂温克 德昂 "
        "保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺".split(),
        start=1,
    )
)
ETHNICITY |= {97: "其他", 98: "外国血统中国籍人士"}

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECKS = "10X98765432"


class RecordError(ValueError):
    """The text block cannot be a valid card: the reader read garbage or the card is not genuine."""


def id_check_character(first17: str) -> str:
    """The GB 11643 (ISO 7064 MOD 11-2) check character of the first 17 digits of an ID number."""
    return _ID_CHECKS[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def id_number_verifies(number: str) -> bool:
    # ASCII first: isdigit() alone passes digits such as "²" that int() refuses.
    first17 = number[:17]
    return len(number) == 18 and first17.isascii() and first17.isdigit() and id_check_character(first17) == number[17]


# (offset, length) of each field, by layout.
_RESIDENT = {
    "name": (0, 30),
    "sex": (30, 2),
    "ethnicity": (32, 4),
    "birth": (36, 16),
    "address": (52, 70),
    "number": (122, 36),
    "issuer": (158, 30),
    "from": (188, 16),
    "to": (204, 16),
    "pass_number": (220, 18),
    "issue_count": (238, 4),
}
_FOREIGN_2023 = {
    "name": (0, 30),
    "sex": (30, 2),
    "birth": (36, 16),
    "english_name": (52, 70),
    "number": (122, 36),
    "issuer": (158, 30),
    "from": (188, 16),
    "to": (204, 16),
    "nationality": (242, 6),
}
_FOREIGN_OLD = {
    "english_name": (0, 120),
    "sex": (120, 2),
    "number": (122, 30),
    "nationality": (152, 6),
    "name": (158, 30),
    "from": (188, 16),
    "to": (204, 16),
    "birth": (220, 16),
    "version": (236, 4),
    "issuer": (240, 8),
}
_LAYOUTS = {
    " ": ("resident", _RESIDENT),
    "J": ("hmt_permit", _RESIDENT),
    "I": ("foreign_old", _FOREIGN_OLD),
    "Y": ("foreign_2023", _FOREIGN_2023),
}
_FLAGS = {card_type: flag for flag, (card_type, _) in _LAYOUTS.items()}


def _field(block: bytes, place: tuple[int, int]) -> str:
    offset, length = place
    try:
        return block[offset : offset + length].decode("utf-16-le").rstrip(" \x00")
    except UnicodeDecodeError:
        raise RecordError(f"bytes {offset}-{offset + length} are not UCS-2 text") from None


def _date(text: str, what: str) -> date:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        raise RecordError(f"{what} {text!r} is not a date YYYYMMDD") from None


def parse_text(block: bytes, photo: bytes = b"") -> IdentityCard:
    """Decode a text block. Raises :class:`RecordError` for a block no genuine card would hold."""
    if len(block) != TEXT_LEN:
        raise RecordError(f"text block is {len(block)} bytes, expected {TEXT_LEN}")
    flag = _field(block, (248, 2)) or " "
    if flag not in _LAYOUTS:
        raise RecordError(f"unknown card type flag {flag!r}")
    card_type, layout = _LAYOUTS[flag]
    raw = {key: _field(block, place) for key, place in layout.items()}
    sex = SEX.get(raw["sex"])
    if sex is None:
        raise RecordError(f"unknown sex code {raw['sex']!r}")
    ethnicity = ""
    if raw.get("ethnicity"):
        if not (raw["ethnicity"].isascii() and raw["ethnicity"].isdigit()) or int(raw["ethnicity"]) not in ETHNICITY:
            raise RecordError(f"unknown ethnicity code {raw['ethnicity']!r}")
        ethnicity = ETHNICITY[int(raw["ethnicity"])]
    number = raw["number"]
    if card_type != "foreign_old" and not id_number_verifies(number):
        raise RecordError("ID number fails its GB 11643 check")
    return IdentityCard(
        name=raw["name"],
        sex=sex,
        ethnicity=ethnicity,
        birth_date=_date(raw["birth"], "birth date"),
        address=raw.get("address", ""),
        id_number=number,
        issuer=raw["issuer"],
        valid_from=_date(raw["from"], "valid-from date"),
        valid_to=None if raw["to"] == LONG_TERM else _date(raw["to"], "valid-to date"),
        card_type=card_type,
        pass_number=raw.get("pass_number", "") if card_type == "hmt_permit" else "",
        issue_count=raw.get("issue_count", "") if card_type == "hmt_permit" else "",
        english_name=raw.get("english_name", ""),
        nationality=raw.get("nationality", ""),
        photo=photo,
    )


def encode_text(card: IdentityCard) -> bytes:
    """The text block a reader would return for ``card`` (used by the simulator and the tests)."""
    flag = _FLAGS[card.card_type]
    layout = _LAYOUTS[flag][1]
    sex_code = {v: k for k, v in SEX.items()}[card.sex]
    ethnic_code = {v: k for k, v in ETHNICITY.items()}.get(card.ethnicity)
    values = {
        "name": card.name,
        "sex": sex_code,
        "ethnicity": f"{ethnic_code:02d}" if ethnic_code else "",
        "birth": f"{card.birth_date:%Y%m%d}",
        "address": card.address,
        "number": card.id_number,
        "issuer": card.issuer,
        "from": f"{card.valid_from:%Y%m%d}",
        "to": LONG_TERM if card.valid_to is None else f"{card.valid_to:%Y%m%d}",
        "pass_number": card.pass_number,
        "issue_count": card.issue_count,
        "english_name": card.english_name,
        "nationality": card.nationality,
        "version": "01",
    }
    block = bytearray(" ".encode("utf-16-le") * (TEXT_LEN // 2))
    for key, (offset, length) in layout.items():
        encoded = values[key].encode("utf-16-le")
        if len(encoded) > length:
            raise ValueError(f"{key} {values[key]!r} does not fit in {length} bytes")
        block[offset : offset + len(encoded)] = encoded
    block[248:250] = flag.encode("utf-16-le")
    return bytes(block)
