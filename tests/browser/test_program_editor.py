"""The program editor as forms, with a live preview from the service's own pass builders."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import check_accessibility, create_program, screenshot
from tests.browser.test_console_page import sign_in
from tests.conftest import Merchant, make_merchant

DESKTOP = {"viewport": {"width": 1200, "height": 900}}
PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def owner(base_url: str) -> Merchant:
    return make_merchant()


def programs_of(base_url: str, merchant: Merchant) -> list[dict]:
    response = httpx.get(
        f"{base_url}/v1/programs",
        headers={"Authorization": f"Bearer {merchant.tokens['owner']}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def preview_ready(page) -> None:
    page.locator("#preview-apple-front").wait_for()
    page.wait_for_function(
        "!document.getElementById('preview-status').textContent.includes('Updating')"
    )


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the phone's 390 (0: no horizontal scroll).

    Against 390, not window.innerWidth: a phone's browser widens its layout viewport
    to fit wider content (zooming out), so innerWidth grows with the overflow.
    """
    return page.evaluate(
        "Math.max(document.documentElement.scrollWidth, document.body.scrollWidth,"
        " window.innerWidth) - 390"
    )


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_ten_coffees_the_eleventh_free_is_created_through_the_form_alone(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()
    quick = page.locator("#quick-start")

    quick.get_by_label("Program name").fill("Corner Café coffee card")
    quick.get_by_label("Kind of card").select_option("stamps")
    quick.get_by_label("Stamps to fill a card").fill("10")
    quick.get_by_label("Reward name").fill("11th coffee free")
    quick.get_by_label("Background colour", exact=True).fill("#14532D")
    preview_ready(page)
    screenshot(page, "editor-ten-coffees")
    check_accessibility(page, axe_source, "editor-ten-coffees")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Open its join page").wait_for()

    (program,) = programs_of(base_url, owner)
    assert program["name"] == "Corner Café coffee card"
    assert program["kind"] == "stamps"
    assert program["stamps"] == {"required": 10, "reward": {"name": "11th coffee free"}}
    assert program["design"]["background_color"] == "#14532D"


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_preview_follows_the_colour_and_the_card_as_the_owner_types(
    page, owner: Merchant
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()
    page.locator("#quick-start").get_by_label("Program name").fill("Colour test")
    preview_ready(page)
    front = page.locator("#preview-apple-front")
    before = front.evaluate("n => getComputedStyle(n).backgroundColor")
    strip = page.locator("#preview-apple-front .ap-strip").get_attribute("style")

    page.locator("#quick-start").get_by_label("Background colour", exact=True).fill("#1E3A8A")
    page.wait_for_function(
        "getComputedStyle(document.getElementById('preview-apple-front')).backgroundColor"
        " === 'rgb(30, 58, 138)'"
    )
    page.locator("#quick-start").get_by_label("Stamps to fill a card").fill("6")
    page.locator("#preview-apple-front").get_by_text("3 / 6").wait_for()

    assert before != "rgb(30, 58, 138)"
    assert page.locator("#preview-apple-front .ap-strip").get_attribute("style") != strip
    google = page.locator("#preview-google-card")
    assert google.evaluate("n => getComputedStyle(n).backgroundColor") == "rgb(30, 58, 138)"
    assert google.get_by_text("Colour test").is_visible()
    assert page.locator("#preview-apple-back").get_by_text("How to earn").is_visible()
    screenshot(page, "editor-preview-colour")


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_an_invalid_value_is_explained_in_words_beside_its_field_and_nothing_is_created(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()
    page.locator("#quick-start").get_by_label("Program name").fill("Too many stamps")

    page.locator("#quick-start").get_by_label("Stamps to fill a card").fill("60")
    page.get_by_role("button", name="Save").click()

    beside = page.locator("#f-stamps-required-error")
    beside.get_by_text("Stamps to fill a card must be at most 50.").wait_for()
    field = page.locator("#f-stamps-required")
    assert field.get_attribute("aria-invalid") == "true"
    assert "f-stamps-required-error" in field.get_attribute("aria-describedby")
    assert "Input should" not in page.locator("#editor").inner_text()
    screenshot(page, "editor-invalid-field")
    check_accessibility(page, axe_source, "editor-invalid-field")
    assert programs_of(base_url, owner) == []


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_sections_of_the_full_form_come_from_the_schema_and_save_as_a_patch(
    page, base_url: str, owner: Merchant
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    sign_in(page, owner)
    page.get_by_role("button", name=f"Edit {program['name']}").click()
    preview_ready(page)

    page.locator("summary", has_text="Tiers").click()
    page.get_by_role("button", name="Add to tiers").click()
    page.get_by_label("Tier name").fill("Gold")
    page.get_by_label("Reached at").fill("20")
    page.locator("summary", has_text="Scan limits").click()
    page.get_by_label("Use scan limits").check()
    page.get_by_label("Most per day").fill("3")
    page.locator("#f-welcome-on").uncheck()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Open its join page").wait_for()

    (stored,) = programs_of(base_url, owner)
    assert stored["tiers"] == [{"name": "Gold", "threshold": 20, "multiplier": "1"}]
    assert stored["limits"] == {"cooldown_seconds": 0, "max_per_day": 3}
    assert "welcome" not in stored
    assert stored["birthday"] == program["birthday"]
    assert stored["version"] == program["version"] + 1


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_json_view_is_still_there_for_the_advanced_owner(
    page, base_url: str, owner: Merchant
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()

    page.get_by_text("Advanced: the program as JSON").click()
    page.get_by_label("Every field").fill(
        '{"name": "Tea Time", "kind": "points", "points": {"per_unit": "10", "currency": "EUR"}}'
    )
    assert page.locator("#quick-start").get_by_label("Program name").input_value() == "Tea Time"
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Open its join page").wait_for()

    (program,) = programs_of(base_url, owner)
    assert program["points"] == {"per_unit": "10", "currency": "EUR", "catalog": []}


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_the_console_and_its_editor_fit_a_390_px_phone_and_pass_axe(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    create_program(base_url, owner.tokens["owner"])
    sign_in(page, owner)
    page.locator("#staff tr").first.wait_for()
    assert horizontal_overflow(page) <= 0
    screenshot(page, "console-phone")
    check_accessibility(page, axe_source, "console-phone")

    page.get_by_role("button", name="New program").click()
    preview_ready(page)
    for section in page.locator("#program-sections details").all():
        section.evaluate("d => { d.open = true; }")
    page.locator("#advanced").evaluate("d => { d.open = true; }")

    assert horizontal_overflow(page) <= 0
    screenshot(page, "editor-phone")
    check_accessibility(page, axe_source, "editor-phone")


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_every_control_of_the_editor_is_labelled_and_reachable_by_keyboard(
    page, owner: Merchant
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()
    preview_ready(page)
    for section in page.locator("#program-sections details").all():
        section.evaluate("d => { d.open = true; }")

    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('#editor input, #editor select, #editor textarea')]
             .filter(n => !n.labels?.length && !n.getAttribute('aria-label'))
             .map(n => n.id || n.outerHTML)"""
    )
    page.locator("#quick-start").get_by_label("Program name").focus()
    reached = set()
    for _ in range(80):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement.id"))
    controls = page.evaluate(
        """() => [...document.querySelectorAll('#program-form input, #program-form select')]
             .filter(n => !n.disabled && n.offsetParent !== null).map(n => n.id)"""
    )

    assert unlabelled == []
    assert set(controls) - reached == set()


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_only_the_fields_that_apply_are_shown_and_a_choice_brings_what_it_needs(
    page, base_url: str, owner: Merchant
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()
    page.locator("summary", has_text="Expiry").click()
    page.get_by_label("Use expiry").check()
    assert page.get_by_label("Days", exact=True).count() == 0

    page.get_by_label("Balances expire").select_option(label="Inactivity days")
    page.get_by_label("Days", exact=True).fill("90")
    page.locator("summary", has_text="Welcome gift").click()
    page.get_by_label("Use welcome gift").check()
    assert page.get_by_label("Welcome points").count() == 0
    page.get_by_label("Welcome stamps").fill("2")
    page.get_by_role("button", name="Save").click()
    page.get_by_role("link", name="Open its join page").wait_for()

    (program,) = programs_of(base_url, owner)
    assert program["expiry"] == {"mode": "inactivity_days", "days": 90}
    assert program["welcome"] == {"stamps": 2}
