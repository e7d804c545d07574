import pytest
from django.core.exceptions import ValidationError

from mofan.core.identity import (
    id_number_check_digit,
    uscc_check_char,
    validate_id_number,
    validate_phone,
    validate_uscc,
)
from mofan.core.masking import mask_id_number, mask_phone, mask_values


def make_id(first17: str) -> str:
    return first17 + id_number_check_digit(first17)


def test_id_number_check_digit_known_value() -> None:
    # GB 11643 worked example: 11010519491231002X
    assert id_number_check_digit("11010519491231002") == "X"
    assert validate_id_number("11010519491231002x") == "11010519491231002X"


@pytest.mark.parametrize(
    "value",
    ["", "123", "110105194912310021", "11010519491331002X", "01010519491231002X", "11010530000101001X"],
)
def test_id_number_refuses_bad_values(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_id_number(value)


def test_uscc_checksum() -> None:
    first17 = "91350100M000100Y4"
    code = first17 + uscc_check_char(first17)
    assert validate_uscc(code) == code
    wrong = first17 + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError):
        validate_uscc(wrong)


@pytest.mark.parametrize("value,expected", [("13812341234", "13812341234"), ("+86 138 1234 1234", "13812341234"),
                                            ("0471-6612345", "0471-6612345")])
def test_phone_accepts(value: str, expected: str) -> None:
    assert validate_phone(value) == expected


@pytest.mark.parametrize("value", ["1381234123", "12812341234", "abc", "4716612345"])
def test_phone_refuses(value: str) -> None:
    with pytest.raises(ValidationError):
        validate_phone(value)


def test_masking() -> None:
    assert mask_phone("13812341234") == "138****1234"
    assert mask_id_number("11010519491231002X") == "1101**********002X"
    assert mask_values({"phone": "13812341234", "name": "张三", "password": "x"}) == {
        "phone": "138****1234", "name": "张三", "password": "******"}
