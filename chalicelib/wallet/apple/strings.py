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

from collections.abc import Iterable, Mapping
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
    """The localisable texts of a pass.json, in document order."""
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
    default: Mapping[str, Any], localised: Mapping[str, Mapping[str, Any]]
) -> dict[str, list[tuple[str, str]]]:
    """Each language's pairs: a text of `default` (pass.json) and the same place in
    that language's document (the same card laid out in its words).

    Raises ValueError when a document's layout differs from the default's. Two
    places with one default text and different translations keep the first
    (Wallet has one key per text).
    """
    keys = texts(default)
    pairs: dict[str, list[tuple[str, str]]] = {}
    for language, document in localised.items():
        values = texts(document)
        if len(values) != len(keys):
            raise ValueError(f"the {language} pass is laid out differently")
        seen: dict[str, str] = {}
        for key, value in zip(keys, values, strict=True):
            seen.setdefault(key, value)
        pairs[language] = list(seen.items())
    return pairs


def file_name(language: str) -> str:
    return f"{language}.lproj/pass.strings"
