"""The card number under the QR code: what a barista types when the camera fails.

Twelve symbols of Crockford's base32 (digits and letters without I, L, O and U,
so nothing reads as something else): eleven carry 55 random bits, the twelfth is a
check symbol. Shown in groups of four ("79ZH 5JF4 P1EB"); read back in either case,
with or without spaces or dashes, and with O taken as 0 and I or L as 1.

The check symbol is Damm's algorithm over the field of 32 elements: the quasigroup
x * y = 2x + y is totally anti-symmetric, so every single mistyped symbol and every
swap of two neighbouring symbols is refused before any lookup.
"""

from __future__ import annotations

import re

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
LENGTH = 12
RANDOM_BITS = 55  # eleven symbols of 5 bits
RANDOM_BYTES = 7
GROUP = 4

_VALUES = {symbol: value for value, symbol in enumerate(ALPHABET)}
# Crockford's decoding of the letters left out: they read as the digits they resemble.
_LOOK_ALIKES = str.maketrans({"O": "0", "I": "1", "L": "1"})
_SEPARATORS = re.compile(r"[\s-]+")
# x^5 + x^2 + 1, irreducible: GF(2)[x] modulo it is the field of 32 elements.
_MODULUS = 0b100101


def _twice(value: int) -> int:
    """2 * value in GF(32): a shift, reduced by the modulus when it overflows 5 bits."""
    value <<= 1
    return value ^ _MODULUS if value & 0b100000 else value


def _interim(values: list[int]) -> int:
    """Damm's running value: r * d = 2r + d (in GF(32), + is XOR)."""
    interim = 0
    for value in values:
        interim = _twice(interim) ^ value
    return interim


def generate(random: bytes) -> str:
    """A new card number from at least RANDOM_BYTES random bytes (their top 55 bits).

    Raises ValueError for fewer bytes: the number would be guessable.
    """
    if len(random) < RANDOM_BYTES:
        raise ValueError(f"a card number needs {RANDOM_BYTES} random bytes, not {len(random)}")
    bits = int.from_bytes(random[:RANDOM_BYTES]) >> (8 * RANDOM_BYTES - RANDOM_BITS)
    values = [(bits >> (5 * shift)) & 31 for shift in reversed(range(LENGTH - 1))]
    # The check symbol makes the running value end at 0: r * c = 0 for c = 2r.
    values.append(_twice(_interim(values)))
    return "".join(ALPHABET[value] for value in values)


def parse(text: str) -> str | None:
    """The card number `text` spells as typed, or None if it is not a valid one."""
    compact = _SEPARATORS.sub("", text).upper().translate(_LOOK_ALIKES)
    if len(compact) != LENGTH or any(symbol not in _VALUES for symbol in compact):
        return None
    if _interim([_VALUES[symbol] for symbol in compact]) != 0:
        return None
    return compact


def display(number: str) -> str:
    """The number in groups of four, as the pass shows it."""
    return " ".join(number[at : at + GROUP] for at in range(0, len(number), GROUP))
