"""Text that people see: names on passes, pages, receipts and exports, and lines in our logs.

A name is shown on a phone's lock screen, a barista's screen and a spreadsheet:
control characters (a newline, an escape sequence) break or forge what is around
it, bidirectional overrides make "Ada" display as something else (CVE-2021-42574,
"Trojan Source"), and a name of zero-width characters shows as nothing at all.
"""

from __future__ import annotations

import unicodedata

from pydantic import AfterValidator, StringConstraints

# Embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069). The plain marks
# (U+200E, U+200F, U+061C) are kept: right-to-left names use them legitimately.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters and symbols that render as blank space: Hangul fillers, the braille blank,
# the Mongolian vowel separator.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")
# Format characters (zero-width spaces and joiners, BOM), separators, marks with
# nothing to combine with, unassigned and private-use code points.
_INVISIBLE_CATEGORIES = frozenset({"Cf", "Zs", "Zl", "Zp", "Mn", "Me", "Cn", "Co"})


def _is_control(char: str) -> bool:
    return unicodedata.category(char) == "Cc" or char in BIDI_CONTROLS


def _is_visible(char: str) -> bool:
    return char not in _BLANK_GLYPHS and unicodedata.category(char) not in _INVISIBLE_CATEGORIES


def check_name(value: str) -> str:
    """A name as given, or ValueError: no control characters or bidirectional
    overrides, and at least one visible character (unless empty, where allowed)."""
    if any(_is_control(char) for char in value):
        raise ValueError("a name cannot hold control characters or bidirectional overrides")
    if value and not any(_is_visible(char) for char in value):
        raise ValueError("a name needs at least one visible character")
    return value


def name_rules(max_length: int = 100, min_length: int = 1) -> StringConstraints:
    """A name's trimming and length, `min_length`..`max_length`; every name field is
    `Annotated[str, name_rules(...), CHECKED_NAME]` (a static alias the type checker reads)."""
    return StringConstraints(strip_whitespace=True, min_length=min_length, max_length=max_length)


# After the trimming and length of name_rules, as pydantic applies metadata in order.
CHECKED_NAME = AfterValidator(check_name)


def printable(text: str) -> str:
    """`text` without control characters or bidirectional overrides (for a log line)."""
    return "".join(char for char in text if not _is_control(char))
