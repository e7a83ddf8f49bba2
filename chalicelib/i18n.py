"""The service's own words in the customer's language, and dates and money per locale.

The words live in gettext catalogues, `chalicelib/locales/<lang>/LC_MESSAGES/messages.po`
(docs/languages.md: extracting, translating, adding a language). A process reads the
compiled `messages.mo` that `make messages` writes beside each (git-ignored; `make
run`, `test` and `package` depend on it); where it is missing or older than its .po
(a test run straight from a checkout), the .po is compiled in memory instead: Babel's
reader costs some 120 ms of imports, too much for a Lambda's cold start but nothing
for a developer. Either way once per language and process.

Dates and amounts are formatted by Babel with the CLDR data of the language (the
package keeps only the languages of domain.languages: deploy/slim.py).
"""

from __future__ import annotations

import gettext
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import IO

from chalicelib.domain import languages

LOCALES = Path(__file__).resolve().parent / "locales"
DOMAIN = "messages"


@dataclass(frozen=True)
class Words:
    """One language's words: gettext's two calls (what the extractor looks for) and formats."""

    language: str
    translations: gettext.NullTranslations

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def date(self, day: date) -> str:
        """A day as the language writes it in a sentence: "31 déc. 2026", "Dec 31, 2026"."""
        return _date(self.language, day)

    def money(self, amount: Decimal | int | str, currency: str) -> str:
        """An amount with its currency as the language writes it: "1,00 €", "€1.00"."""
        return _money(self.language, str(amount), currency)

    def number(self, value: Decimal | int | str) -> str:
        """A number (a rate such as "1.5") with the language's decimal sign."""
        return _number(self.language, str(value))

    def catalogue(self) -> dict[str, str]:
        """Every translated message, by its English id (for the pages' scripts)."""
        return dict(_entries(self.language))


# Babel's formatting costs tens of microseconds a call, and a pass says the same
# dates and rates in every language for every member: cached by what is formatted.
@lru_cache(maxsize=4096)
def _date(language: str, day: date) -> str:
    from babel.dates import format_date

    return format_date(day, "medium", locale=language)


@lru_cache(maxsize=1024)
def _money(language: str, amount: str, currency: str) -> str:
    from babel.numbers import format_currency

    return format_currency(Decimal(amount), currency, locale=language)


@lru_cache(maxsize=1024)
def _number(language: str, value: str) -> str:
    from babel.numbers import format_decimal

    return format_decimal(Decimal(value), locale=language)


def words(language: str) -> Words:
    """The words of `language`, one the service speaks (else the default's)."""
    if language not in languages.LANGUAGES:
        language = languages.DEFAULT
    return _words(language)


@lru_cache(maxsize=len(languages.LANGUAGES))
def _words(language: str) -> Words:
    return Words(language, gettext.GNUTranslations(io.BytesIO(_compiled(language))))


def _compiled(language: str) -> bytes:
    folder = LOCALES / language / "LC_MESSAGES"
    source, compiled = folder / f"{DOMAIN}.po", folder / f"{DOMAIN}.mo"
    # ">=": deploy/slim.py writes every file of the package with one date.
    if compiled.is_file() and (
        not source.is_file() or compiled.stat().st_mtime >= source.stat().st_mtime
    ):
        return compiled.read_bytes()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with source.open("rb") as file:
        catalog = read_po(file, locale=language, domain=DOMAIN)
    out = io.BytesIO()
    write_mo(out, catalog)
    return out.getvalue()


@lru_cache(maxsize=len(languages.LANGUAGES))
def _entries(language: str) -> tuple[tuple[str, str], ...]:
    # GNUTranslations keeps its table private; a plural's key is (msgid, index).
    table: dict[object, str] = getattr(words(language).translations, "_catalog", {})
    return tuple(
        sorted((key, value) for key, value in table.items() if isinstance(key, str) and key)
    )


# A page's words: `{{_:English text}}` in a static page, replaced by its translation,
# HTML-escaped; extract_page finds them for the catalogues (babel.cfg).
MARKER = re.compile(r"\{\{_:(.+?)\}\}")


def translated(page: str, said: Words) -> str:
    """`page` with every `{{_:text}}` in the words' language."""
    return MARKER.sub(lambda match: html.escape(said.gettext(match.group(1)), quote=True), page)


def extract_page(
    fileobj: IO[bytes], keywords: object, comment_tags: object, options: object
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extractor for the pages' `{{_:text}}` markers (babel.cfg names it)."""
    for number, line in enumerate(fileobj.read().decode("utf-8").splitlines(), start=1):
        for match in MARKER.finditer(line):
            yield number, "gettext", match.group(1), []
