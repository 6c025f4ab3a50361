from dataclasses import replace

import pytest

from devices.idcard.records import ETHNICITY, RecordError, encode_text, parse_text
from devices.samples import ALL_CARDS, ANNA_2023, CHAN_KAMING, MARTIN_OLD, WANG_XIUYING


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
    [(248, "Z", "type flag"), (30, "7", "sex code"), (36, "19411315", "birth date"), (32, "77", "ethnicity")],
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
