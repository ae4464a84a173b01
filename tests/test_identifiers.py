"""Phone numbers and member numbers as people type them."""

from __future__ import annotations

import pytest

from setia.domain.errors import InvalidMemberNumber, InvalidPhone
from setia.services.identifiers import check_member_number, member_number_for, normalize_phone


@pytest.mark.parametrize("typed", ["0812-3456-7890", "+62 812 3456 7890", "6281234567890", "(0812) 3456 7890"])
def test_every_common_form_is_one_number(typed):
    assert normalize_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["", "12", "0812", "abc", "+1 202"])
def test_not_a_phone_number(typed):
    with pytest.raises(InvalidPhone):
        normalize_phone(typed)


def test_a_mistyped_digit_or_a_swap_of_neighbours_is_always_refused():
    for sequence in range(1, 2000):
        number = member_number_for(sequence)
        assert check_member_number(number) == number
        typos = {number[:i] + digit + number[i + 1:] for i in range(len(number)) for digit in "0123456789"}
        swaps = {number[:i] + number[i + 1] + number[i] + number[i + 2:] for i in range(len(number) - 1)}
        for typo in (typos | swaps) - {number}:
            with pytest.raises(InvalidMemberNumber):
                check_member_number(typo)
