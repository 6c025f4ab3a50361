from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devices.base import IdentityCard
from devices.idcard import codec
from devices.idcard.codec import FrameDecoder, Status
from devices.idcard.reader import ReaderLink
from devices.idcard.records import (
    ETHNICITY,
    TEXT_LEN,
    RecordError,
    encode_text,
    id_number_verifies,
    parse_text,
)
from devices.samples import ALL_CARDS, ANNA_2023, CHAN_KAMING, MARTIN_OLD, WANG_XIUYING
from tests.fuzzing import FUZZ


@pytest.mark.parametrize("card", ALL_CARDS, ids=lambda c: c.card_type + "-" + c.name)
def test_every_layout_round_trips(card):
    assert parse_text(encode_text(card)) == card


def test_resident_card_fields_and_long_term_validity():
    card = parse_text(encode_text(WANG_XIUYING))
    assert (card.sex, card.ethnicity, card.valid_to) == ("女", "汉", None)
    assert encode_text(WANG_XIUYING)[204:208].decode("utf-16-le") == "长期"


def test_residence_permit_has_pass_number_and_issue_count():
    card = parse_text(encode_text(CHAN_KAMING))
    assert (card.card_type, card.pass_number, card.issue_count, card.ethnicity) == ("hmt_permit", "H10293847", "02", "")


def test_foreign_cards_keep_inner_spaces_of_the_english_name():
    old = parse_text(encode_text(MARTIN_OLD))
    assert (old.english_name, old.nationality, old.name) == ("MARTIN, PETER JAMES", "CAN", "马丁")
    new = parse_text(encode_text(ANNA_2023))
    assert (new.english_name, new.nationality) == ("SCHMIDT ANNA MARIA", "DEU")


def test_photo_bytes_are_kept_in_memory_with_the_card():
    assert parse_text(encode_text(WANG_XIUYING), b"\x01" * 1024).photo == b"\x01" * 1024


def test_ethnicity_table_has_the_56_groups_and_the_two_special_codes():
    assert len(ETHNICITY) == 58 and ETHNICITY[1] == "汉" and ETHNICITY[56] == "基诺" and ETHNICITY[98]


def test_a_number_failing_its_check_is_a_read_error():
    forged = replace(WANG_XIUYING, id_number="530402194103150026")
    with pytest.raises(RecordError, match="GB 11643"):
        parse_text(encode_text(forged))


@pytest.mark.parametrize(
    ("offset", "value", "reason"),
    [
        (248, "Z", "type flag"),
        (30, "7", "sex code"),
        (36, "19411315", "birth date"),
        (32, "77", "ethnicity"),
        (32, "²1", "ethnicity"),  # digits to isdigit(), not to int(): found by the fuzzing below
        (122, "²", "GB 11643"),
    ],
)
def test_impossible_fields_are_read_errors(offset, value, reason):
    block = bytearray(encode_text(WANG_XIUYING))
    encoded = value.encode("utf-16-le")
    block[offset : offset + len(encoded)] = encoded
    with pytest.raises(RecordError, match=reason):
        parse_text(bytes(block))


def test_wrong_length_and_non_text_bytes_are_read_errors():
    with pytest.raises(RecordError, match="255 bytes"):
        parse_text(bytes(255))
    block = bytearray(encode_text(WANG_XIUYING))
    block[0:2] = b"\x00\xd8"  # a lone surrogate is no UCS-2 character
    with pytest.raises(RecordError, match="UCS-2"):
        parse_text(bytes(block))


# Bad input fuzzed. parse_text documents RecordError for any block no genuine card would hold; the reader's data
# (text length, photo length, the blocks) comes off the serial line, so read_card must raise nothing else either.

_FIELD_TEXT = st.one_of(
    st.text(max_size=40),  # any code point: NUL, lone surrogates, astral characters, superscript digits
    st.text(st.characters(categories=("Nd", "No")), max_size=18),  # digits int() takes and digits it refuses
    st.sampled_from(["长期", "19411315", "00000000", "99991231", "+1941-3-1", "1_941031", "²", "٥٣٠٤٠٢", "\x00"]),
)


def _write(block: bytearray, offset: int, raw: bytes) -> None:
    end = min(offset + len(raw), TEXT_LEN)
    block[offset:end] = raw[: end - offset]


@st.composite
def _damaged_blocks(draw) -> bytes:
    block = bytearray(encode_text(draw(st.sampled_from(ALL_CARDS))))
    for _ in range(draw(st.integers(1, 4))):
        damage = draw(st.sampled_from(["text", "bytes", "flip", "flag"]))
        offset = draw(st.integers(0, TEXT_LEN - 1))
        if damage == "text":  # other text over a field, at an odd offset too: it may straddle UCS-2 units
            _write(block, offset, draw(_FIELD_TEXT).encode("utf-16-le", "surrogatepass"))
        elif damage == "bytes":
            _write(block, offset, draw(st.binary(max_size=40)))
        elif damage == "flip":
            block[offset] ^= 1 << draw(st.integers(0, 7))
        else:
            flag = draw(st.sampled_from([" ", "J", "I", "Y", "\x00", "\ud800", "Z"]))
            _write(block, 248, flag.encode("utf-16-le", "surrogatepass"))
    return bytes(block)


def _parses_or_is_a_read_error(block: bytes, photo: bytes = b"") -> IdentityCard | None:
    try:
        card = parse_text(block, photo)
    except RecordError:
        return None
    assert card.card_type == "foreign_old" or id_number_verifies(card.id_number)
    return card


@settings(FUZZ, max_examples=300)
@given(st.binary(min_size=TEXT_LEN, max_size=TEXT_LEN) | st.binary(max_size=600))
def test_any_bytes_are_a_card_or_a_read_error(block):
    _parses_or_is_a_read_error(block)


@settings(FUZZ, max_examples=400)
@given(_damaged_blocks())
def test_damaged_card_blocks_are_a_card_or_a_read_error(block):
    _parses_or_is_a_read_error(block)


class _Reader:
    """A serial port with a reader behind it that speaks the real frames: select-card succeeds, and read-card
    answers with ``data`` (the text and photo lengths, then the blocks)."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self._answer = bytearray()

    def reset_input_buffer(self) -> None:
        self._answer.clear()

    def write(self, frame: bytes) -> None:
        (request,) = FrameDecoder().feed(frame)
        read = request.as_command() == codec.READ_TEXT_PHOTO
        self._answer += codec.response(Status.SUCCESS, self.data if read else b"")

    def read(self, size: int) -> bytes:
        chunk = bytes(self._answer[:size])
        del self._answer[:size]
        return chunk


@st.composite
def _read_answers(draw) -> bytes:
    text = draw(
        st.sampled_from([encode_text(card) for card in ALL_CARDS]) | _damaged_blocks() | st.binary(max_size=300)
    )
    photo = draw(st.binary(max_size=1100))
    text_len = draw(st.sampled_from([len(text), TEXT_LEN, 0, 0xFFFF]) | st.integers(0, 0xFFFF))
    photo_len = draw(st.sampled_from([len(photo), 1024, 0, 0xFFFF]) | st.integers(0, 0xFFFF))
    data = text_len.to_bytes(2, "big") + photo_len.to_bytes(2, "big") + text + photo
    return data[: draw(st.integers(0, len(data)))] if draw(st.booleans()) else data


@settings(FUZZ, max_examples=200)
@given(_read_answers())
def test_whatever_the_reader_answers_a_read_is_a_card_or_a_read_error(data):
    try:
        card = ReaderLink(_Reader(data)).read_card()
    except RecordError:
        return
    assert isinstance(card, IdentityCard)
