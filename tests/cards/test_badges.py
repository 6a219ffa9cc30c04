"""A badge as people type it and readers print it: every CSN it may stand for."""

import pytest
from django.core.exceptions import ValidationError

from campuscard.cards.badges import csn_readings

SEVEN = "04A23B1C5D8000"


@pytest.mark.parametrize("typed", ["04A23B1C5D8000", "04:a2:3b:1c:5d:80:00",
                                   "04 A2 3B 1C 5D 80 00", "04-a2-3b-1c-5d-80-00"])
def test_hex_in_any_case_and_with_separators(typed):
    assert SEVEN in csn_readings(typed)


def test_the_reversed_byte_order_is_read_too():
    assert SEVEN in csn_readings("00:80:5D:1C:3B:A2:04")
    assert csn_readings("A1B2C3D4") == {"A1B2C3D4", "D4C3B2A1"}


def test_decimal_in_both_byte_orders():
    assert SEVEN in csn_readings(str(int(SEVEN, 16)))
    assert "1D7C5B3A" in csn_readings(str(0x3A5B7C1D))  # a reader printing it little-endian
    assert "3A5B7C1D" in csn_readings(f"{0x3A5B7C1D:010d}")  # zero-padded to 10 digits


def test_a_number_that_is_hex_and_decimal_stands_for_both():
    readings = csn_readings("12345678")
    assert {"12345678", "78563412", f"{12345678:08X}"} <= readings


@pytest.mark.parametrize("typed", ["", "   ", "xyz", "04A23B", "04A23B1C5D80", "12AB",
                                   "04:A2:3B:1C:5D:80:0G", "9" * 30, "04A23B1C;DROP"])
def test_malformed_input_is_refused_with_a_message(typed):
    with pytest.raises(ValidationError) as refused:
        csn_readings(typed)
    assert "is not a chip serial number" in refused.value.messages[0]
