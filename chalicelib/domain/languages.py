"""The languages the service speaks, and which of them a customer gets.

Adding a language: its tag here, then its catalogue (docs/languages.md). A program's
`language` and the keys of its `translations` are among these, so that every text
on its pass and pages (the service's own words too) exists in that language.
"""

from __future__ import annotations

from collections.abc import Iterable

# ISO 639-1 primary tags (BCP 47 without region): the catalogues in chalicelib/locales.
LANGUAGES: tuple[str, ...] = ("en", "fr", "de", "es", "it", "nl", "pt")
DEFAULT = "en"


def primary(tag: str) -> str:
    """The primary language of a BCP 47 tag, lower case: "pt-BR" -> "pt"."""
    return tag.strip().replace("_", "-").split("-", 1)[0].lower()


def check(tag: str) -> str:
    """A tag the service speaks, as its primary language; ValueError otherwise."""
    language = primary(tag)
    if language not in LANGUAGES:
        raise ValueError(f"language {tag!r} is not one the service speaks: {', '.join(LANGUAGES)}")
    return language


def preferred(header: str | None) -> list[str]:
    """The languages of an Accept-Language header, most wanted first (RFC 9110 12.5.4).

    Malformed parts are skipped, as are those with q=0; equal weights keep their order.
    """
    ranked: list[tuple[float, int, str]] = []
    for index, part in enumerate((header or "").split(",")):
        tag, _, params = part.strip().partition(";")
        weight = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = -1.0
        if tag.strip() and weight > 0:
            ranked.append((-weight, index, tag.strip()))
    return [tag for _, _, tag in sorted(ranked)]


def pick(wanted: Iterable[str], offered: Iterable[str], fallback: str) -> str:
    """The first of `wanted` (tags, most wanted first) that is `offered`, else `fallback`.

    "*" takes the fallback; a regional tag matches its language ("de-CH" -> "de").
    """
    available = set(offered)
    for tag in wanted:
        if tag == "*":
            return fallback
        language = primary(tag)
        if language in available:
            return language
    return fallback


def ordered(default: str) -> list[str]:
    """Every language the service speaks, `default` first (the order files are written in)."""
    return [default, *(language for language in LANGUAGES if language != default)]
