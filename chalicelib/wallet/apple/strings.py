"""A pass's translations: `<lang>.lproj/pass.strings`, one per language it speaks.

https://developer.apple.com/documentation/walletpasses/creating-the-source-for-a-pass
Wallet looks each localisable text of pass.json up as a key in the strings file of
the phone's language and shows what it maps to, or the text itself when the key is
not there. So pass.json is written in the program's default language, and each
language's file maps those texts to its own: a phone in a language the pass lacks
still reads the default. Every folder holds every text (the default's too, mapped
to itself): when no folder matches the phone's languages, Wallet takes one at
random (Apple's developer forums, thread 757013), so none may be partial.

Pure: documents in, bytes out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from typing import Any

# The texts Wallet localises: https://developer.apple.com/documentation/walletpasses/passfieldcontent
# (label, value when a string, changeMessage) and the pass's description.
_FIELD_TEXTS = ("label", "value", "changeMessage")
_SECTIONS = ("headerFields", "primaryFields", "secondaryFields", "auxiliaryFields", "backFields")
# Fields whose value is data, not words: the member's own name, the program's link.
_DATA_FIELDS = frozenset({("member", "value"), ("program", "value")})


def escape(text: str) -> str:
    """`text` as a quoted .strings literal's inside: backslash, quote, and the
    control characters a line may not hold, escaped as C does."""
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def strings_file(pairs: Iterable[tuple[str, str]]) -> bytes:
    """The file: one `"key" = "value";` line per pair, in UTF-8.

    UTF-8, as passkit-generator writes and reads it; Wallet reads UTF-8 and UTF-16
    strings files alike.
    """
    return "".join(f'"{escape(key)}" = "{escape(value)}";\n' for key, value in pairs).encode()


def texts(document: Mapping[str, Any]) -> list[str]:
    """The localisable texts of a pass.json, in document order (the same places for
    every language, as one layout function writes them)."""
    found = [document["description"]] if "description" in document else []
    style = document.get("storeCard", {})
    for section in _SECTIONS:
        for field in style.get(section, []):
            for name in _FIELD_TEXTS:
                value = field.get(name)
                if isinstance(value, str) and (field.get("key"), name) not in _DATA_FIELDS:
                    found.append(value)
    return found


def translations(
    default: Sequence[str], localised: Mapping[str, Sequence[str]]
) -> dict[str, list[tuple[str, str]]]:
    """Each language's pairs: a text of the default pass.json (`default`, from `texts`)
    and the text at the same place of the same card laid out in that language.

    Only texts that some language words differently are kept: the rest (numbers,
    names, what nobody translated) Wallet shows as they are. Raises ValueError when
    a language's layout differs from the default's. Two places with one default text
    and different translations keep the first (Wallet has one key per text).
    """
    pairs: dict[str, dict[str, str]] = {}
    for language, values in localised.items():
        if len(values) != len(default):
            raise ValueError(f"the {language} pass is laid out differently")
        seen: dict[str, str] = {}
        for key, value in zip(default, values, strict=True):
            seen.setdefault(key, value)
        pairs[language] = seen
    worded = {key for seen in pairs.values() for key, value in seen.items() if key != value}
    return {
        language: [(key, value) for key, value in seen.items() if key in worded]
        for language, seen in pairs.items()
    }


@lru_cache(maxsize=1024)
def files(
    default: tuple[str, ...], localised: tuple[tuple[str, tuple[str, ...]], ...]
) -> tuple[tuple[str, bytes], ...]:
    """Every language's (file name, pass.strings), by language.

    Cached: the members of a program in the same state (balance, tier, rewards, dates)
    share their texts, so the files are made once, and the same bytes objects come
    back (the package's entry cache then finds them by identity).
    """
    pairs = translations(default, dict(localised))
    return tuple((file_name(language), strings_file(pairs[language])) for language in sorted(pairs))


def file_name(language: str) -> str:
    return f"{language}.lproj/pass.strings"
