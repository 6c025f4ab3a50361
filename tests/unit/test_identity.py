from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.application import check_field
from kiosk.catalog import FieldType, FormField
from kiosk.identity import (
    IdentityError,
    check_credit_code,
    check_id_number,
    credit_check_character,
    id_check_character,
    mask_id_number,
    mask_name,
    mask_phone,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize(
    ("number", "birth", "sex"),
    [
        ("360426199101010071", date(1991, 1, 1), "男"),
        ("44011320141005001X", date(2014, 10, 5), "男"),
        ("440308199901101512", date(1999, 1, 10), "男"),
        ("810000199408230021", date(1994, 8, 23), "女"),
        ("830000199201300022", date(1992, 1, 30), "女"),
    ],
)
def test_published_id_numbers_pass_with_birth_date_and_sex(number, birth, sex):
    checked = check_id_number(number, TODAY)
    assert (checked.birth_date, checked.sex) == (birth, sex)


def test_lowercase_x_and_spaces_are_accepted():
    assert check_id_number(" 44011320141005001x ", TODAY).value == "44011320141005001X"


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("36042619910102009X", "校验位"),
        ("360426199113010079", "出生日期不存在"),
        ("36042619910101007", "18位"),
        ("3604261991010100A1", "数字"),
        ("360426203001010071", "不合理"),
    ],
)
def test_invalid_id_numbers_say_what_is_wrong(number, reason):
    with pytest.raises(IdentityError, match=reason):
        check_id_number(number, TODAY)


def test_age_counts_completed_years():
    number = check_id_number("440308199901101512", TODAY)
    assert number.age_on(date(2026, 1, 9)) == 26
    assert number.age_on(date(2026, 1, 10)) == 27


@given(st.text(alphabet="0123456789", min_size=17, max_size=17), st.integers(0, 16), st.integers(1, 9))
def test_any_single_digit_change_is_caught(body, position, delta):
    number = body + id_check_character(body)
    changed = list(number)
    changed[position] = str((int(changed[position]) + delta) % 10)
    assert id_check_character("".join(changed[:17])) != number[17]


@pytest.mark.parametrize("code", ["91110000600037341L", "121200004013590816", "91310115MA1K3BTP2B"])
def test_published_credit_codes_verify(code):
    assert check_credit_code(code).verified


def test_pilot_credit_code_with_failing_check_is_kept_but_flagged():
    checked = check_credit_code("91110000600037341A")
    assert not checked.verified
    assert credit_check_character("91110000600037341") == "L"


@pytest.mark.parametrize(("code", "reason"), [("91110000600037341", "18位"), ("9111000060003734IO", "I")])
def test_malformed_credit_codes_are_refused(code, reason):
    with pytest.raises(IdentityError, match=reason):
        check_credit_code(code)


def test_masks_for_screen_and_paper():
    assert mask_id_number("440308199901101512") == "4403**********1512"
    assert mask_name("张三") == "张*"
    assert mask_name("John Michael Smith") == "John ******* *****"
    assert mask_phone("13800001234") == "138****1234"


@given(text=st.text(max_size=80), kind=st.sampled_from(list(FieldType)), required=st.booleans())
def test_any_answer_to_any_field_type_is_kept_or_told_never_raised(text, kind, required):
    options = ("男", "女") if kind is FieldType.CHOICE else ()
    spec = FormField(key="answer", label="回答", type=kind, required=required, options=options)
    value, error = check_field(spec, text, date(2026, 11, 23))
    assert isinstance(value, str)
    assert error is None or (isinstance(error, str) and error)
    if error is None and value:
        assert len(value) <= spec.max_length
