import random
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.serial_number import SerialNumber, SerialNumberError, check_character

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


def test_check_character_matches_the_iso_7064_example():
    assert check_character("A12425GABC1234002") == "M"  # a published GRid


def test_check_character_catches_nearly_every_swap_of_neighbours():
    rng = random.Random(7)
    caught = total = 0
    for _ in range(5000):
        body = "DEMO01" + "".join(rng.choice("0123456789") for _ in range(10))
        i = rng.randrange(len(body) - 1)
        if body[i] == body[i + 1]:
            continue
        swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
        total += 1
        caught += check_character(swapped) != check_character(body)
    assert caught / total > 0.99
