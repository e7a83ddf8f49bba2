"""Passes and pages speak the customer's language (issue 16, languages).

A French café's program: its pass.json is French, and every language the service
speaks has its `<lang>.lproj/pass.strings`; the join page follows the browser's
Accept-Language or the switcher's `?lang=`; the card email is in the language the
member enrolled in.
"""

from __future__ import annotations

import io
import json
import re
import uuid
import zipfile

import httpx

from chalicelib import ids
from chalicelib.domain.languages import LANGUAGES
from tests.e2e.helpers import create_program, stamp
from tests.e2e.test_google_wallet import ISSUER, deliver_all, google  # noqa: F401 - the fixture
from tests.peers.conftest import google_peer  # noqa: F401 - the fixture

FRENCH_CARD = {
    "name": "Carte café",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Café offert"}},
    "reward_valid_days": 30,
    "language": "fr",
    "translations": {
        "en": {"name": "Coffee card", "reward": "Free coffee"},
        "de": {"name": "Kaffeekarte", "reward": "Gratis Kaffee"},
    },
}

# A `"key" = "value";` line of a .strings file; its escapes are JSON's (\\ \" \n \t).
LINE = re.compile(r'^"((?:[^"\\]|\\.)*)" = "((?:[^"\\]|\\.)*)";$')


def strings_of(data: bytes) -> dict[str, str]:
    pairs = {}
    for line in data.decode("utf-8").splitlines():
        match = LINE.match(line)
        assert match, line
        pairs[json.loads(f'"{match[1]}"')] = json.loads(f'"{match[2]}"')
    return pairs


def enrol(client, program_id: str, email: str | None = None, headers=None, **extra):
    body = {
        "name": "Ada",
        "email": email or f"ada.{uuid.uuid4().hex[:10]}@example.com",
        "consent": {"terms": True},
        **extra,
    }
    return client.post(f"/v1/programs/{program_id}/enrollments", json=body, headers=headers)


def pass_files(client, enrolment: dict) -> dict[str, bytes]:
    # The link names PUBLIC_BASE_URL; the app under test listens on another port.
    link = httpx.URL(enrolment["passes"]["apple_url"]).raw_path.decode()
    response = client.get(link)
    assert response.status_code == 200, response.text
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_a_french_program_s_pass_is_french_with_its_translations_in_every_language(
    client, merchant
):
    program = create_program(client, merchant, FRENCH_CARD)
    enrolment = enrol(client, program["program_id"]).json()
    stamp(client, merchant, enrolment["member_id"], count=10)

    files = pass_files(client, enrolment)

    document = json.loads(files["pass.json"])
    fields = {
        f["key"]: f
        for section in document["storeCard"].values()
        for f in section
        if isinstance(f, dict)
    }
    assert fields["balance"]["label"] == "TAMPONS"
    assert fields["reward"]["value"] == "Café offert"
    french = strings_of(files["fr.lproj/pass.strings"])
    english = strings_of(files["en.lproj/pass.strings"])
    german = strings_of(files["de.lproj/pass.strings"])
    assert french["Café offert"] == "Café offert"
    assert french["TAMPONS"] == "TAMPONS"
    assert english["TAMPONS"] == "STAMPS"
    assert english["Café offert"] == "Free coffee"
    assert english["Vous avez %@ tampons"] == "You have %@ stamps"
    assert german["TAMPONS"] == "STEMPEL"
    assert german["Café offert"] == "Gratis Kaffee"
    # Spanish has no program translation: the service's words, the café's own name.
    spanish = strings_of(files["es.lproj/pass.strings"])
    assert spanish["TAMPONS"] == "SELLOS"
    assert spanish.get("Café offert", "Café offert") == "Café offert"
    # The reward ready and its date: per language, from the member's own state.
    [ready] = [v for k, v in english.items() if k.startswith("Café offert, à utiliser")]
    assert re.fullmatch(r"Free coffee, use by [A-Z][a-z]{2} \d{1,2}, \d{4}", ready)
    manifest = json.loads(files["manifest.json"])
    assert {f"{language}.lproj/pass.strings" for language in LANGUAGES} <= set(manifest)
    assert set(manifest) == set(files) - {"manifest.json", "signature"}


def test_the_join_page_speaks_the_browser_s_language_and_offers_the_others(client, merchant):
    program = create_program(client, merchant, FRENCH_CARD)
    path = f"/join/{program['program_id']}"

    german = client.get(path, headers={"Accept-Language": "de-CH, de;q=0.9, en;q=0.5"})
    spanish = client.get(f"{path}?lang=es", headers={"Accept-Language": "de"})
    unknown = client.get(path, headers={"Accept-Language": "ja, zh;q=0.8"})

    assert german.status_code == 200
    assert '<html lang="de">' in german.text
    assert "Holen Sie sich Ihre Karte" in german.text
    assert "<h1>Kaffeekarte</h1>" in german.text
    assert "Sammeln Sie 10 Stempel und erhalten Sie: Gratis Kaffee." in german.text
    assert german.headers["content-language"] == "de"
    assert "Accept-Language" in german.headers["vary"]
    # The switcher links every language, each named in itself.
    for language, name in (("en", "English"), ("fr", "Français"), ("es", "Español")):
        assert f'href="?lang={language}"' in german.text
        assert name in german.text
    assert '<html lang="es">' in spanish.text
    assert "Consigue tu tarjeta" in spanish.text
    # Spanish has no translation of the program: its name stays the café's French one.
    assert "<h1>Carte café</h1>" in spanish.text
    # No language the service speaks: the program's own.
    assert '<html lang="fr">' in unknown.text
    assert "Obtenez votre carte" in unknown.text
    # The page's scripts get their words in the page's language.
    block = re.search(r'<script type="application/json" id="messages">(.*?)</script>', german.text)
    assert block is not None
    messages = json.loads(block[1])
    assert messages["language"] == "de"
    assert messages["messages"]["Add to Apple Wallet"] == "Zu Apple Wallet hinzufügen"


def test_a_missing_program_s_page_is_in_the_browser_s_language(base_url):
    # Not `client`: its contract check reads every 404 as the API's JSON error.
    response = httpx.get(
        f"{base_url}/join/{ids.new_id()}", headers={"Accept-Language": "it"}, timeout=30
    )

    assert response.status_code == 404
    assert "Programma inesistente" in response.text


def test_the_card_email_is_in_the_language_the_member_enrolled_in(client, merchant):
    program = create_program(client, merchant, FRENCH_CARD)
    address = f"ana.{uuid.uuid4().hex[:10]}@example.com"
    assert enrol(client, program["program_id"], address, language="es").status_code == 201

    # Asked again from an English browser: the answer in English, the email in Spanish.
    again = enrol(client, program["program_id"], address, headers={"Accept-Language": "en-GB"})
    mails = [m for m in client.get("/dev/mail").json()["items"] if m["to"] == address]

    assert again.status_code == 200
    assert again.json()["message"].startswith("You already have a card with this address")
    [mail] = mails
    # make_merchant's café is "Test Café".
    assert mail["subject"] == "Tu tarjeta de Carte café en Test Café"
    assert mail["text"].startswith("Hola, Ada:")
    assert "Añadir a Apple Wallet: " in mail["text"]
    assert "Guardar en Google Wallet: " in mail["text"]


def test_the_already_enrolled_answer_follows_the_request_s_language(client, merchant):
    program = create_program(client, merchant, FRENCH_CARD)
    address = f"jan.{uuid.uuid4().hex[:10]}@example.com"
    enrol(client, program["program_id"], address, headers={"Accept-Language": "nl"})

    again = enrol(client, program["program_id"], address, headers={"Accept-Language": "nl"})
    [mail] = [m for m in client.get("/dev/mail").json()["items"] if m["to"] == address]

    assert again.json()["message"] == (
        "Je hebt al een kaart met dit adres: we hebben je kaart naar dat adres gestuurd."
    )
    assert mail["subject"].startswith("Je kaart voor Carte café bij ")


def test_translations_the_program_cannot_hold_are_refused_and_nothing_is_written(client, merchant):
    before = client.get("/v1/programs", headers=merchant.auth("owner")).json()
    bad = [
        {**FRENCH_CARD, "language": "ja"},
        {**FRENCH_CARD, "translations": {"xx": {"name": "?"}}},
        {**FRENCH_CARD, "translations": {"en": {"catalog": {"espresso": "Espresso"}}}},
        {**FRENCH_CARD, "translations": {"en": {"tiers": {"Gold": "Gold"}}}},
        {**FRENCH_CARD, "translations": {"en": {"name": "x" * 101}}},
        {**FRENCH_CARD, "translations": {"en": {"colour": "blue"}}},
    ]

    answers = [
        client.post("/v1/programs", json=document, headers=merchant.auth("owner"))
        for document in bad
    ]

    assert [answer.status_code for answer in answers] == [422] * len(bad)
    assert all(answer.json()["error"]["code"] == "invalid" for answer in answers)
    assert "ja" in answers[0].json()["error"]["message"]
    assert "espresso" in answers[2].json()["error"]["message"]
    after = client.get("/v1/programs", headers=merchant.auth("owner")).json()
    assert after == before


def test_a_program_keeps_its_language_and_translations(client, merchant):
    program = create_program(client, merchant, {**FRENCH_CARD, "language": "fr-FR"})

    read = client.get(f"/v1/programs/{program['program_id']}").json()

    assert read["language"] == "fr"
    assert read["translations"]["en"] == {
        "name": "Coffee card",
        "reward": "Free coffee",
        "catalog": {},
        "tiers": {},
    }


def test_the_pages_scripts_get_the_words_of_a_language(client):
    french = client.get("/i18n/fr")
    regional = client.get("/i18n/pt-BR")
    unknown = client.get("/i18n/tlh")

    assert french.status_code == 200
    assert french.json()["language"] == "fr"
    assert french.json()["messages"]["Join"] == "Rejoindre"
    assert regional.json()["language"] == "pt"
    assert unknown.json()["language"] == "en"


def test_google_keeps_the_program_s_texts_in_every_language(client, merchant, google):  # noqa: F811
    program = create_program(
        client,
        merchant,
        {**FRENCH_CARD, "stamps": {"required": 2, "reward": {"name": "Café offert"}}},
    )
    member = enrol(client, program["program_id"]).json()
    deliver_all()
    stamp(client, merchant, member["member_id"], count=2)
    deliver_all()

    stored_class = google.classes[f"{ISSUER}.{program['program_id']}"]
    stored = google.objects[f"{ISSUER}.{member['member_id']}"]
    [message] = [
        r.body["message"]
        for r in google.api_requests()
        if member["member_id"] in r.path and r.path.endswith("/addMessage")
    ]

    name = stored_class["localizedProgramName"]
    assert name["defaultValue"] == {"language": "fr", "value": "Carte café"}
    assert {"language": "en", "value": "Coffee card"} in name["translatedValues"]
    label = stored["loyaltyPoints"]["localizedLabel"]
    assert label["defaultValue"] == {"language": "fr", "value": "Tampons"}
    assert {"language": "de", "value": "Stempel"} in label["translatedValues"]
    assert message["header"] == "Récompense prête"
    assert message["body"] == "Café offert vous attend."
    assert {"language": "de", "value": "Gratis Kaffee wartet auf Sie."} in message["localizedBody"][
        "translatedValues"
    ]
