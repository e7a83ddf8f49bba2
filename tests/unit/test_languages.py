"""Languages: the pass's strings files, the catalogues, the browser's languages, and
dates and money per locale (the e2e side is tests/e2e/test_languages.py)."""

from __future__ import annotations

import gettext
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from pydantic import ValidationError

from chalicelib import i18n, ids
from chalicelib.domain import languages
from chalicelib.domain.ledger import Reward
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.wallet.apple import strings
from chalicelib.wallet.apple.model import PassIdentity, pass_content, pass_json
from chalicelib.wallet.google.objects import loyalty_class, loyalty_object

ROOT = Path(__file__).resolve().parents[2]
LOCALES = ROOT / "chalicelib" / "locales"
LINE = re.compile(r'^"((?:[^"\\]|\\.)*)" = "((?:[^"\\]|\\.)*)";$')

FRENCH = Program.model_validate(
    {
        "name": "Carte café",
        "kind": "stamps",
        "stamps": {"required": 10, "reward": {"name": "Café offert"}},
        "tiers": [{"name": "Or", "threshold": 50}],
        "language": "fr",
        "translations": {
            "en": {"name": "Coffee card", "reward": "Free coffee", "tiers": {"Or": "Gold"}}
        },
    }
)
IDENTITY = PassIdentity(
    pass_type_identifier="pass.org.example.loyalty",
    team_identifier="TEAM123456",
    web_service_url="https://loyalty.example.org/apple",
    authentication_token="a-token-of-at-least-16-characters",
    program_url="https://loyalty.example.org/v1/programs/p1",
    barcode="LY1ABCDEFGHIJKLMNOPQRSTUVWXYZ",
)


def member(**changes: object) -> Member:
    fields: dict = {
        "member_id": ids.new_id(),
        "program_id": ids.new_id(),
        "name": 'Zoë "Zed" Ødegård',
        "card_number": "79ZH5JF4P1EB",
        "stamps": 3,
        "points": 0,
        "tier": "Or",
        "rewards": (),
    }
    return Member(**{**fields, **changes})


def read_strings(data: bytes) -> list[tuple[str, str]]:
    """A .strings file read back: its escapes are JSON's, so JSON decodes them."""
    pairs = []
    for line in data.decode("utf-8").splitlines():
        match = LINE.match(line)
        assert match, line
        pairs.append((json.loads(f'"{match[1]}"'), json.loads(f'"{match[2]}"')))
    return pairs


# --- pass.strings ------------------------------------------------------------


def test_pass_strings_escape_quotes_backslashes_and_newlines_and_keep_other_scripts():
    pairs = [
        ('Say "hi"', "Dites « salut »"),
        ("C:\\path", "back\\slash"),
        ("Line 1\nLine 2\r\n", "Ligne 1\nLigne 2\tfin"),
        ("コーヒー", "قهوة مجانية"),
        ("Кофе", "咖啡 ☕"),
    ]

    data = strings.strings_file(pairs)

    assert read_strings(data) == pairs
    assert data.decode("utf-8").count("\n") == len(pairs)  # one line a pair
    assert b'"Say \\"hi\\"" = ' in data
    assert "コーヒー".encode() in data  # UTF-8, not escaped


def test_a_french_pass_maps_its_french_texts_to_each_language():
    shown = member(
        rewards=(Reward("r1", "Café offert", "stamps", "t1", "2026-11-01", "2026-12-31T22:59:59Z"),)
    )
    cards = {
        language: pass_content(shown, FRENCH, "Café Bleu", IDENTITY, None, i18n.words(language))
        for language in languages.ordered("fr")
    }
    texts = {language: strings.texts(pass_json(card)) for language, card in cards.items()}

    pairs = strings.translations(texts["fr"], texts)

    english, french = dict(pairs["en"]), dict(pairs["fr"])
    assert english["TAMPONS"] == "STAMPS"
    assert english["Café offert"] == "Free coffee"
    assert english["Or"] == "Gold"
    assert english["Café offert, à utiliser avant le 31 déc. 2026"] == (
        "Free coffee, use by Dec 31, 2026"
    )
    assert dict(pairs["de"])["TAMPONS"] == "STEMPEL"
    assert french["TAMPONS"] == "TAMPONS"
    # Data, not words: the balance and the member's name are nobody's translation.
    assert "3 / 10" not in english
    assert not any("Zoë" in key for key in english)
    assert [key for key, _ in pairs["en"]] == [key for key, _ in pairs["fr"]]


def test_an_erased_member_s_pass_has_the_same_texts_in_every_language_file():
    cards = [
        pass_content(member(erased=True), FRENCH, "Café Bleu", IDENTITY, None, i18n.words(lang))
        for lang in languages.ordered("fr")
    ]
    default, *others = (tuple(strings.texts(pass_json(card))) for card in cards)

    files = dict(
        strings.files(default, tuple(zip(languages.ordered("fr")[1:], others, strict=True)))
    )

    assert set(files) == {f"{lang}.lproj/pass.strings" for lang in languages.LANGUAGES} - {
        "fr.lproj/pass.strings"
    }
    keys = {tuple(k for k, _ in read_strings(data)) for data in files.values()}
    assert len(keys) == 1  # Wallet may pick any folder: none may lack a key


# --- the program's own texts ---------------------------------------------------


def test_a_program_s_texts_fall_back_to_its_default_language():
    assert FRENCH.name_in("en") == "Coffee card"
    assert FRENCH.name_in("de") == "Carte café"
    assert FRENCH.reward_in("en") == "Free coffee"
    assert FRENCH.tier_in("Or", "en") == "Gold"
    assert FRENCH.tier_in("Or", "it") == "Or"
    assert FRENCH.reward_named("Birthday cake", "en") == "Birthday cake"


@pytest.mark.parametrize(
    ("change", "said"),
    [
        ({"language": "tlh"}, "not one the service speaks"),
        ({"translations": {"ja": {"name": "コーヒー"}}}, "not one the service speaks"),
        ({"translations": {"en": {"catalog": {"latte": "Latte"}}}}, "no catalog item latte"),
        ({"translations": {"en": {"tiers": {"Gold": "Gold"}}}}, "no tier Gold"),
        ({"translations": {"en": {"name": "A\u202eB"}}}, "control characters"),
        ({"translations": {"en": {"name": "ok"}, "en-GB": {"name": "ok"}}}, "repeats"),
    ],
)
def test_translations_the_program_cannot_hold_are_refused(change, said):
    document = {**FRENCH.document(), **change}

    with pytest.raises(ValidationError, match=said):
        Program.model_validate(document)


def test_a_points_program_has_no_reward_to_translate_but_its_catalog_items():
    document = {
        "name": "Points",
        "kind": "points",
        "points": {
            "per_unit": "1",
            "currency": "EUR",
            "catalog": [{"id": "latte", "name": "Latte", "cost": 9}],
        },
        "translations": {"fr": {"catalog": {"latte": "Café au lait"}}},
    }

    program = Program.model_validate(document)

    assert program.item_in(program.points.catalog[0], "fr") == "Café au lait"
    with pytest.raises(ValidationError, match="only a stamps program"):
        Program.model_validate({**document, "translations": {"fr": {"reward": "Cadeau"}}})


# --- the browser's languages ---------------------------------------------------


def test_accept_language_is_ranked_by_weight_and_matched_on_the_language():
    header = "de-CH;q=0.8, fr;q=0.9, ja, en;q=0, *;q=0.1, bad;q=x"

    wanted = languages.preferred(header)

    assert wanted == ["ja", "fr", "de-CH", "*"]
    assert languages.pick(wanted, languages.LANGUAGES, "it") == "fr"
    assert languages.pick(["ja", "*"], languages.LANGUAGES, "it") == "it"
    assert languages.pick([], languages.LANGUAGES, "nl") == "nl"
    assert languages.preferred(None) == []


# --- dates and money -------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "day", "money", "rate"),
    [
        ("en", "Dec 31, 2026", "€1.50", "1.5"),
        ("fr", "31 déc. 2026", "1,50\u00a0€", "1,5"),
        ("de", "31.12.2026", "1,50\u00a0€", "1,5"),
        ("es", "31 dic 2026", "1,50\u00a0€", "1,5"),
        ("it", "31 dic 2026", "1,50\u00a0€", "1,5"),
        ("nl", "31 dec 2026", "€\u00a01,50", "1,5"),
        ("pt", "31 de dez. de 2026", "€\u00a01,50", "1,5"),
    ],
)
def test_dates_and_money_are_written_as_each_language_writes_them(language, day, money, rate):
    said = i18n.words(language)

    assert said.date(date(2026, 12, 31)) == day
    assert said.money("1.5", "EUR") == money
    assert said.number("1.5") == rate


def test_a_points_pass_says_its_rate_and_its_expiring_points_in_the_member_s_words():
    beans = Program.model_validate(
        {"name": "Grains", "kind": "points", "points": {"per_unit": "1.5", "currency": "EUR"}}
    )
    shown = member(tier=None, points=120)

    german = pass_content(
        shown, beans, "Café", IDENTITY, (120, date(2026, 12, 31)), i18n.words("de")
    )

    assert german.how_to_earn == "1,5 Punkte pro 1,00\u00a0€ Umsatz."
    assert german.expiry_notice == "120 Punkte verfallen am 31.12.2026"


# --- Google ----------------------------------------------------------------------


def translated(value: dict) -> dict[str, str]:
    assert set(value) == {"defaultValue", "translatedValues"}
    said = {value["defaultValue"]["language"]: value["defaultValue"]["value"]}
    said.update({t["language"]: t["value"] for t in value["translatedValues"]})
    assert set(said) == set(languages.LANGUAGES)
    return said


def test_google_class_and_object_texts_carry_every_language():
    reward = Reward("r1", "Café offert", "stamps", "t1", "2026-11-01", "2026-12-31T22:59:59Z")
    shown = member(rewards=(reward,))

    program_class = loyalty_class("3388", "p1", FRENCH, "Café Bleu", "https://l", "https://c")
    card = loyalty_object("3388", shown, "QR", 10, FRENCH)

    assert program_class["programName"] == "Carte café"
    assert program_class["localizedProgramName"]["defaultValue"] == {
        "language": "fr",
        "value": "Carte café",
    }
    assert translated(program_class["localizedProgramName"])["en"] == "Coffee card"
    assert translated(program_class["localizedAccountNameLabel"])["de"] == "Mitglied"
    assert (
        translated(program_class["textModulesData"][0]["localizedBody"])["en"]
        == "Gold from 50 stamps"
    )
    assert translated(card["loyaltyPoints"]["localizedLabel"])["es"] == "Sellos"
    assert translated(card["secondaryLoyaltyPoints"]["localizedLabel"])["it"] == "Premi pronti"
    tier, ready = card["textModulesData"]
    assert translated(tier["localizedBody"]) == {
        **{lang: "Or" for lang in languages.LANGUAGES},
        "en": "Gold",
    }
    assert translated(ready["localizedHeader"])["en"] == "Free coffee"
    assert translated(ready["localizedBody"])["fr"] == "Valable jusqu'au 31 déc. 2026"
    assert (ready["header"], ready["body"]) == ("Café offert", "Valable jusqu'au 31 déc. 2026")


# --- the catalogues --------------------------------------------------------------


def _catalogue(language: str):
    with (LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as file:
        return read_po(file, locale=language)


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"\{\w+\}|%@", text))


def test_the_catalogues_hold_every_word_the_code_and_pages_use():
    with (ROOT / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)
    keywords = {"t": None, "gettext": None, "ngettext": (1, 2)}
    used = {
        message if isinstance(message, str) else message[0]
        for _, _, message, _, _ in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
    }

    for language in languages.LANGUAGES:
        held = {m.id if isinstance(m.id, str) else m.id[0] for m in _catalogue(language) if m.id}
        assert used - held == set(), f"{language}: run `make messages-extract`"


@pytest.mark.parametrize("language", [lang for lang in languages.LANGUAGES if lang != "en"])
def test_every_word_is_translated_with_the_same_placeholders(language):
    for message in _catalogue(language):
        if not message.id:
            continue
        ids_ = [message.id] if isinstance(message.id, str) else list(message.id)
        said = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(said), f"{language}: {ids_[0]!r} is not translated"
        assert not message.fuzzy, f"{language}: {ids_[0]!r} is fuzzy"
        for text in said:
            assert _placeholders(text) == _placeholders(ids_[-1]), (language, ids_[0], text)


def test_a_checkout_without_compiled_catalogues_compiles_them_from_the_po(tmp_path, monkeypatch):
    folder = tmp_path / "fr" / "LC_MESSAGES"
    folder.mkdir(parents=True)
    shutil.copy(LOCALES / "fr" / "LC_MESSAGES" / "messages.po", folder)
    monkeypatch.setattr(i18n, "LOCALES", tmp_path)

    compiled = i18n._compiled("fr")

    assert not (folder / "messages.mo").exists()
    said = i18n.Words("fr", gettext.GNUTranslations(io.BytesIO(compiled)))
    assert said.gettext("Join") == "Rejoindre"
    assert (
        said.ngettext("EVERY {count} STAMP", "EVERY {count} STAMPS", 10)
        == "TOUS LES {count} TAMPONS"
    )
