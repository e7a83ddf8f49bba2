"""The enrolment page: a customer joins from their phone and gets their wallet buttons."""

from __future__ import annotations

import io

import httpx
import pytest
from PIL import Image

from tests.browser.conftest import (
    STAMP_PROGRAM,
    check_accessibility,
    create_program,
    enrol,
    screenshot,
)
from tests.conftest import make_merchant

IPHONE = {
    "viewport": {"width": 390, "height": 844},
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1",
    "is_mobile": True,
    "has_touch": True,
}
ANDROID = {
    "viewport": {"width": 412, "height": 915},
    "user_agent": "Mozilla/5.0 (Linux; Android 15; Pixel 9) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/156.0.0.0 Mobile Safari/537.36",
    "is_mobile": True,
}


@pytest.fixture
def program(base_url: str) -> dict:
    merchant = make_merchant()
    return create_program(base_url, merchant.tokens["owner"])


def fill_and_join(page, email: str) -> None:
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Email", exact=True).fill(email)
    page.get_by_label("Birthday").fill("12-09")
    page.get_by_label("I accept the program's terms").check()
    page.get_by_role("button", name="Join").click()


@pytest.mark.parametrize("page", [IPHONE], indirect=True)
def test_a_customer_on_an_iphone_joins_and_gets_a_working_apple_pass_first(
    page, base_url: str, program: dict, axe_source: str, tmp_path
) -> None:
    page.goto(f"/join/{program['program_id']}")
    page.get_by_text("Collect 8 stamps and get: Free flat white.").wait_for()
    screenshot(page, "join-form")
    check_accessibility(page, axe_source, "join-form")

    fill_and_join(page, "grace@example.com")

    wallets = page.locator("#wallets a")
    wallets.first.wait_for()
    assert wallets.all_inner_texts() == ["Add to Apple Wallet", "Save to Google Wallet"]
    apple = page.locator("#apple-wallet").get_attribute("href")
    google = page.locator("#google-wallet").get_attribute("href")
    # The link is on PUBLIC_BASE_URL (the suite's placeholder); the same path on the test port.
    link = httpx.URL(apple)
    download = httpx.get(f"{base_url}{link.raw_path.decode()}", timeout=30)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/vnd.apple.pkpass"
    assert download.content[:2] == b"PK"
    assert _verifies(download.content, tmp_path)
    assert google.startswith("https://pay.google.com/gp/v/save/")
    screenshot(page, "join-done")
    check_accessibility(page, axe_source, "join-done")


@pytest.mark.parametrize("page", [ANDROID], indirect=True)
def test_an_android_phone_sees_the_google_button_first(page, program: dict) -> None:
    page.goto(f"/join/{program['program_id']}")

    fill_and_join(page, "android@example.com")

    page.locator("#wallets a").first.wait_for()
    assert page.locator("#wallets a").all_inner_texts() == [
        "Save to Google Wallet",
        "Add to Apple Wallet",
    ]


def test_a_desktop_sees_both_buttons(page, program: dict) -> None:
    page.goto(f"/join/{program['program_id']}")

    fill_and_join(page, "desk@example.com")

    page.locator("#wallets a").first.wait_for()
    assert len(page.locator("#wallets a").all()) == 2


def test_the_api_error_message_is_shown_to_the_customer(page, program: dict) -> None:
    page.goto(f"/join/{program['program_id']}")

    fill_and_join(page, "not-an-email")

    error = page.get_by_role("alert")
    error.filter(has_text="email").wait_for()
    assert page.locator("#done").is_hidden()


def test_joining_without_accepting_the_terms_is_refused_on_the_page(page, program: dict) -> None:
    page.goto(f"/join/{program['program_id']}")
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Email", exact=True).fill("grace@example.com")

    page.get_by_role("button", name="Join").click()

    assert "accept the program's terms" in page.get_by_role("alert").inner_text()


def test_an_address_already_enrolled_is_told_the_card_went_by_email(
    page, base_url: str, program: dict
) -> None:
    enrol(base_url, program["program_id"], "known@example.com")
    page.goto(f"/join/{program['program_id']}")

    fill_and_join(page, "Known@Example.com")

    done = page.locator("#already")
    done.wait_for()
    assert "sent your card to that address" in done.inner_text()
    assert page.locator("#wallets a").count() == 0
    assert page.locator("#done").is_hidden()


def test_the_birthday_is_asked_only_where_the_program_has_a_birthday_treat(
    page, base_url: str
) -> None:
    token = make_merchant().tokens["owner"]
    without = create_program(base_url, token, {**STAMP_PROGRAM, "birthday": None})
    page.goto(f"/join/{without['program_id']}")

    page.get_by_text("Collect 8 stamps").wait_for()
    birthday_fields = page.get_by_label("Birthday").count()
    page.get_by_label("Name", exact=True).fill("Grace Hopper")
    page.get_by_label("Email", exact=True).fill("nobirthday@example.com")
    page.get_by_label("I accept the program's terms").check()
    page.get_by_role("button", name="Join").click()
    page.locator("#wallets a").first.wait_for()

    assert birthday_fields == 0


def test_the_birthday_question_names_the_treat(page, program: dict) -> None:
    page.goto(f"/join/{program['program_id']}")

    label = page.locator("label[for=birthday]")

    assert label.is_visible()
    assert "Birthday muffin" in label.inner_text()


def test_an_unknown_program_is_a_404_page(base_url: str) -> None:
    response = httpx.get(f"{base_url}/join/nope", timeout=30)

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_the_poster_is_a_printable_png(base_url: str, program: dict) -> None:
    from tests.browser.conftest import OUTPUT

    response = httpx.get(f"{base_url}/join/{program['program_id']}/poster.png", timeout=30)

    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    assert image.size == (1240, 1754)
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / "poster.png").write_bytes(response.content)


def _verifies(pkpass: bytes, folder) -> bool:
    """openssl checks the pass's signature against the chain that signed it."""
    import os
    import shutil
    from pathlib import Path

    from tests.apple_samples import unzip, verify

    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command")
    root = Path(os.environ["APPLE_CERTS_DIR"]) / "root.pem"
    return verify(unzip(pkpass, folder), root).returncode == 0


@pytest.mark.parametrize("page", [{**IPHONE, "locale": "de-DE"}], indirect=True)
def test_a_german_phone_gets_the_page_in_german_and_can_switch_to_spanish(
    page, program: dict, axe_source: str
) -> None:
    page.goto(f"/join/{program['program_id']}")
    page.get_by_text("Sammeln Sie 8 Stempel und erhalten Sie: Free flat white.").wait_for()
    german_title = page.get_by_role("heading", level=2).first.inner_text()
    check_accessibility(page, axe_source, "join-german")

    page.get_by_role("link", name="Español").click()
    page.get_by_text("Reúne 8 sellos y consigue: Free flat white.").wait_for()
    page.get_by_label("Nombre", exact=True).fill("Ana")
    page.get_by_label("Correo electrónico", exact=True).fill("ana@example.com")
    page.get_by_role("button", name="Unirme").click()
    refusal = page.locator("#error").inner_text()
    page.get_by_label("Acepto las condiciones del programa").check()
    page.get_by_role("button", name="Unirme").click()
    page.locator("#wallets a").first.wait_for()

    assert german_title == "So funktioniert es"
    assert page.locator("html").get_attribute("lang") == "es"
    assert refusal == "Acepta las condiciones del programa para unirte."
    assert page.locator("#wallets a").all_inner_texts() == [
        "Añadir a Apple Wallet",
        "Guardar en Google Wallet",
    ]
    screenshot(page, "join-spanish-done")
