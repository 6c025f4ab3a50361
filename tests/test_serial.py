from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.serial import SerialNumber, SerialNumberError, check_character

ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def test_serial_round_trips_through_typing_variants():
    serial = SerialNumber.issue("HT01", date(2026, 11, 22), 7)
    assert str(serial) == "HT01-261122-0007-K"
    for typed in ["HT01-261122-0007-K", "ht01 261122 0007 k", "HT012611220007K"]:
        assert SerialNumber.parse(typed) == serial


@pytest.mark.parametrize(
    ("text", "reason"),
    [("HT01-261122-0007-A", "校验"), ("HT01-261322-0007-K", "日期"), ("12345", "格式"), ("HT01-261122-0000-Q", "校验")],
)
def test_mistyped_serials_are_refused_with_a_reason(text, reason):
    with pytest.raises(SerialNumberError, match=reason):
        SerialNumber.parse(text)


@given(st.text(alphabet=ALNUM, min_size=8, max_size=20), st.data())
def test_check_character_catches_one_wrong_character(body, data):
    position = data.draw(st.integers(0, len(body) - 1))
    replacement = data.draw(st.sampled_from(ALNUM).filter(lambda c: c != body[position]))
    changed = body[:position] + replacement + body[position + 1 :]
    assert check_character(changed) != check_character(body)


@given(st.text(alphabet=ALNUM, min_size=8, max_size=20), st.data())
def test_check_character_catches_swapped_neighbours(body, data):
    position = data.draw(st.integers(0, len(body) - 2))
    if body[position] == body[position + 1]:
        return
    swapped = body[:position] + body[position + 1] + body[position] + body[position + 2 :]
    assert check_character(swapped) != check_character(body)
