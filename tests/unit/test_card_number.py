"""The card number printed under the QR code: short, typeable, and checked."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import card_number

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
randomness = st.binary(min_size=card_number.RANDOM_BYTES, max_size=card_number.RANDOM_BYTES)


@given(randomness)
def test_a_card_number_is_twelve_symbols_without_look_alikes(random):
    number = card_number.generate(random)

    assert re.fullmatch(f"[{ALPHABET}]{{12}}", number)
    assert not set(number) & set("ILOU")


@given(randomness)
def test_a_generated_card_number_reads_back_as_itself(random):
    number = card_number.generate(random)

    assert card_number.parse(number) == number


@given(randomness, randomness)
def test_two_draws_that_differ_in_their_random_bits_give_two_numbers(first, second):
    bits = card_number.RANDOM_BITS
    top = 8 * card_number.RANDOM_BYTES - bits

    numbers = card_number.generate(first), card_number.generate(second)

    differ = int.from_bytes(first) >> top != int.from_bytes(second) >> top
    assert (numbers[0] != numbers[1]) == differ


def test_a_card_number_carries_at_least_forty_random_bits():
    assert card_number.RANDOM_BITS >= 40
    assert 32 ** (card_number.LENGTH - 1) >= 2**card_number.RANDOM_BITS


def test_too_few_random_bytes_are_refused():
    with pytest.raises(ValueError):
        card_number.generate(bytes(card_number.RANDOM_BYTES - 1))


@given(randomness)
def test_a_number_is_shown_in_groups_of_four_and_read_back_that_way(random):
    number = card_number.generate(random)

    shown = card_number.display(number)

    assert re.fullmatch(r"\S{4} \S{4} \S{4}", shown)
    assert shown.replace(" ", "") == number
    assert card_number.parse(shown) == number


@given(randomness, st.sampled_from(["-", " ", "  ", "\t"]))
def test_a_number_typed_in_lower_case_with_any_separators_is_read(random, separator):
    number = card_number.generate(random)
    typed = separator.join([number[:4], number[4:8], number[8:]]).lower()

    assert card_number.parse(f" {typed} ") == number


def test_look_alike_letters_are_read_as_the_digits_they_resemble():
    number = card_number.generate(bytes(card_number.RANDOM_BYTES))  # all zeros: 0000...
    assert number.startswith("0000")

    typed = "O" + "o" + number[2:]

    assert card_number.parse(typed) == number


@given(randomness)
def test_i_and_l_are_read_as_one(random):
    number = card_number.generate(random)
    if "1" not in number:
        return
    at = number.index("1")

    assert card_number.parse(number[:at] + "I" + number[at + 1 :]) == number
    assert card_number.parse(number[:at] + "l" + number[at + 1 :]) == number


@given(randomness, st.integers(min_value=0, max_value=11), st.sampled_from(ALPHABET))
def test_any_one_mistyped_character_is_refused(random, position, replacement):
    number = card_number.generate(random)
    if number[position] == replacement:
        return
    typo = number[:position] + replacement + number[position + 1 :]

    assert card_number.parse(typo) is None


@given(randomness, st.integers(min_value=0, max_value=10))
def test_any_two_neighbours_swapped_are_refused(random, position):
    number = card_number.generate(random)
    first, second = number[position], number[position + 1]
    if first == second:
        return
    swapped = number[:position] + second + first + number[position + 2 :]

    assert card_number.parse(swapped) is None


@pytest.mark.parametrize(
    "text",
    ["", "   ", "ABC", "0000000000000", "00000000000U", "0000*0000000", "0000_0000000", "é" * 12],
)
def test_what_is_not_a_card_number_is_refused(text):
    assert card_number.parse(text) is None


def test_a_pasted_barcode_is_not_a_card_number():
    assert card_number.parse("LY1ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJ") is None
