"""The counter on a busy morning: a phone's width, the keyboard, good news in the success
colour, a redemption asked and confirmed, the locale's decimal comma, and a manager
approving a large purchase on the spot."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import check_accessibility, create_program, enrol, screenshot
from tests.browser.test_counter_page import find_by_code, sign_in
from tests.conftest import Merchant, make_merchant

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
FRENCH_PHONE = {**PHONE, "locale": "fr-FR"}
POINTS_PROGRAM = {
    "name": "Blue Bean Points",
    "kind": "points",
    "points": {
        "per_unit": "10",
        "currency": "EUR",
        "catalog": [{"id": "cookie", "name": "Cookie", "cost": 30}],
    },
}
OK_GREEN = "rgb(6, 95, 70)"  # common.css --ok
ERROR_RED = "rgb(153, 27, 27)"  # common.css --bad


@pytest.fixture
def points_shop(base_url: str) -> tuple[Merchant, dict]:
    merchant = make_merchant()
    return merchant, create_program(base_url, merchant.tokens["owner"], POINTS_PROGRAM)


@pytest.fixture
def stamp_shop(base_url: str) -> tuple[Merchant, dict]:
    merchant = make_merchant()
    return merchant, create_program(base_url, merchant.tokens["owner"])


def transactions(base_url: str, merchant: Merchant, member_id: str) -> list[dict]:
    response = httpx.get(
        f"{base_url}/v1/members/{member_id}/transactions",
        headers=merchant.auth("owner"),
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def no_sideways_scroll(page) -> None:
    width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1], f"the page is {width[0]} px wide in a {width[1]} px window"


def open_card(page, base_url: str, shop, email: str, role="barista", **member) -> dict:
    merchant, program = shop
    enrolled = enrol(base_url, program["program_id"], email, **member)
    sign_in(page, merchant, role)
    find_by_code(page, enrolled["barcode"])
    page.locator("#balance").filter(
        has_text="/" if program["kind"] == "stamps" else "points"
    ).wait_for()
    return enrolled


# --- a phone ---------------------------------------------------------------------------


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_on_a_phone_the_card_scrolls_into_view_and_nothing_scrolls_sideways(
    page, base_url: str, points_shop, axe_source: str
) -> None:
    merchant, program = points_shop
    enrolled = enrol(
        base_url,
        program["program_id"],
        "a.very.long.address.for.a.narrow.phone@example.com",
        name="Maximilienne-Éléonore de la Tour-Beaufort",
    )
    sign_in(page, merchant, "barista")
    no_sideways_scroll(page)
    check_accessibility(page, axe_source, "counter-phone-signed-in")

    find_by_code(page, enrolled["barcode"])

    page.wait_for_function(
        "(() => { const top = document.getElementById('member').getBoundingClientRect().top;"
        " return scrollY > 0 && top >= -1 && top < innerHeight / 2; })()"
    )
    assert page.evaluate("document.activeElement.id") == "member-name"
    no_sideways_scroll(page)
    screenshot(page, "counter-phone-member")
    check_accessibility(page, axe_source, "counter-phone-member")


@pytest.mark.parametrize("page", [PHONE], indirect=True)
@pytest.mark.parametrize("shop", ["points_shop", "stamp_shop"])
def test_every_control_has_a_label_and_is_reached_with_the_tab_key(
    page, base_url: str, shop: str, request: pytest.FixtureRequest
) -> None:
    open_card(page, base_url, request.getfixturevalue(shop), "keys@example.com")
    controls = page.evaluate(
        """() => {
          const visible = (e) => e.getClientRects().length > 0 && !e.disabled;
          const all = [...document.querySelectorAll('button, input, select, textarea, a[href]')]
            .filter(visible).filter((e) => e.getAttribute('tabindex') !== '-1');
          all.forEach((e, i) => e.setAttribute('data-kb', String(i)));
          return all.map((e) => ({
            kb: e.dataset.kb,
            name: e.labels?.length ? e.labels[0].textContent
              : (e.getAttribute('aria-label') || e.textContent),
            input: e.tagName === 'INPUT',
          }));
        }"""
    )
    assert all(c["name"].strip() for c in controls), controls
    assert all(c["input"] is False or c["name"] for c in controls)

    page.evaluate("document.activeElement.blur()")
    reached = set()
    for _ in range(len(controls) + 5):
        page.keyboard.press("Tab")
        reached.add(page.evaluate("document.activeElement?.dataset?.kb ?? null"))

    missed = [c["name"] for c in controls if c["kb"] not in reached]
    assert missed == [], f"not reached by Tab: {missed}"


# --- good news, in the success colour ------------------------------------------------------


def test_a_reward_unlocked_is_good_news_not_an_error(page, base_url: str, stamp_shop) -> None:
    open_card(page, base_url, stamp_shop, "unlock@example.com", name="Una Lock")

    page.get_by_label("Stamps", exact=True).fill("7")
    page.get_by_role("button", name="Add stamps").click()

    note = page.locator("#action-note")
    note.get_by_text("Reward unlocked for Una Lock: Free flat white").wait_for()
    assert note.get_attribute("role") == "status"
    assert note.evaluate("e => getComputedStyle(e).color") == OK_GREEN
    assert page.locator("#action-error").inner_text() == ""


def test_a_refusal_still_shows_in_the_error_colour(page, base_url: str, points_shop) -> None:
    open_card(page, base_url, points_shop, "refused@example.com")

    page.get_by_label("Amount paid").fill("4.567")
    page.get_by_role("button", name="Add purchase").click()

    error = page.locator("#action-error")
    error.get_by_text("Enter the amount paid").wait_for()
    assert error.evaluate("e => getComputedStyle(e).color") == ERROR_RED
    assert page.locator("#action-note").is_hidden()


# --- redeeming -----------------------------------------------------------------------------


def test_redeeming_asks_first_and_a_cancel_redeems_nothing(page, base_url: str, stamp_shop) -> None:
    merchant, _ = stamp_shop
    member = open_card(page, base_url, stamp_shop, "cancel@example.com", name="Cass Cancel")
    page.get_by_label("Stamps", exact=True).fill("7")
    page.get_by_role("button", name="Add stamps").click()
    page.get_by_role("button", name="Redeem Free flat white").wait_for()

    page.get_by_role("button", name="Redeem Free flat white").click()
    dialog = page.get_by_role("dialog", name="Redeem this reward?")
    dialog.get_by_text("Redeem Free flat white for Cass Cancel?").wait_for()
    dialog.get_by_role("button", name="Cancel").click()

    dialog.wait_for(state="hidden")
    assert page.get_by_role("button", name="Redeem Free flat white").is_visible()
    types = [t["type"] for t in transactions(base_url, merchant, member["member_id"])]
    assert "redemption" not in types


def test_a_confirmed_redemption_says_it_was_redeemed(
    page, base_url: str, stamp_shop, axe_source: str
) -> None:
    merchant, _ = stamp_shop
    member = open_card(page, base_url, stamp_shop, "redeem@example.com", name="Rita Redeem")
    page.get_by_label("Stamps", exact=True).fill("7")
    page.get_by_role("button", name="Add stamps").click()
    page.get_by_role("button", name="Redeem Free flat white").click()
    dialog = page.get_by_role("dialog", name="Redeem this reward?")
    dialog.wait_for()
    check_accessibility(page, axe_source, "counter-redeem-confirm")

    dialog.get_by_role("button", name="Yes, redeem").click()

    page.locator("#action-note").get_by_text("Free flat white redeemed for Rita Redeem").wait_for()
    page.locator("#rewards").get_by_text("None yet.").wait_for()
    recent = page.locator("#recent li").first
    recent.get_by_text("done").wait_for()
    assert recent.inner_text().startswith("Rita Redeem · Redeem Free flat white")
    types = [t["type"] for t in transactions(base_url, merchant, member["member_id"])]
    assert types.count("redemption") == 1


# --- the locale's decimal comma ------------------------------------------------------------


@pytest.mark.parametrize("page", [FRENCH_PHONE], indirect=True)
def test_a_french_counter_takes_4_virgule_50(page, base_url: str, points_shop) -> None:
    merchant, _ = points_shop
    member = open_card(page, base_url, points_shop, "virgule@example.com", name="Vic Virgule")
    assert page.get_by_role("button", name="Decimal comma").inner_text() == ","

    page.get_by_label("Amount paid").fill("4,50")
    page.get_by_role("button", name="Add purchase").click()

    page.get_by_text("45 points", exact=True).wait_for()
    assert "Purchase 4,50 EUR" in page.locator("#recent li").first.inner_text()
    [purchase] = [
        t for t in transactions(base_url, merchant, member["member_id"]) if t["type"] == "purchase"
    ]
    assert purchase["points"] == 45


@pytest.mark.parametrize("page", [FRENCH_PHONE], indirect=True)
def test_the_keypad_types_the_comma_and_the_amount_is_read(
    page, base_url: str, points_shop
) -> None:
    open_card(page, base_url, points_shop, "keypad@example.com")
    for key in ("1", "2", "Decimal comma", "5"):
        page.get_by_role("button", name=key, exact=True).click()
    assert page.get_by_label("Amount paid").input_value() == "12,5"

    page.get_by_role("button", name="Add purchase").click()

    page.get_by_text("125 points", exact=True).wait_for()


# --- a manager approves a large purchase ------------------------------------------------------


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_a_large_purchase_asks_for_a_manager_who_approves_it_on_the_spot(
    page, base_url: str, points_shop, axe_source: str
) -> None:
    merchant, _ = points_shop
    member = open_card(page, base_url, points_shop, "big@example.com", name="Bea Big")

    page.get_by_label("Amount paid").fill("250")
    page.get_by_role("button", name="Add purchase").click()
    dialog = page.get_by_role("dialog", name="A manager must approve")
    dialog.wait_for()
    no_sideways_scroll(page)
    screenshot(page, "counter-manager-approval")
    check_accessibility(page, axe_source, "counter-manager-approval")
    dialog.get_by_label("Manager's email").fill(merchant.emails["manager"])
    dialog.get_by_label("Manager's password").fill("not-the-password")
    dialog.get_by_role("button", name="Approve and record").click()
    dialog.get_by_text("The email or password is wrong").wait_for()
    dialog.get_by_label("Manager's password").fill(merchant.passwords["manager"])
    dialog.get_by_role("button", name="Approve and record").click()

    dialog.wait_for(state="hidden")
    page.get_by_text("2500 points", exact=True).wait_for()
    recent = page.locator("#recent li").first
    recent.get_by_text("done").wait_for()
    assert recent.inner_text().startswith("Bea Big · Purchase 250 EUR")
    [purchase] = [
        t for t in transactions(base_url, merchant, member["member_id"]) if t["type"] == "purchase"
    ]
    assert purchase["staff_id"] == merchant.staff_ids["manager"]
    # The manager's token was for that purchase only: the next large one asks again.
    assert merchant.emails["manager"] not in page.evaluate(
        "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"
    )
    page.get_by_label("Amount paid").fill("300")
    page.get_by_role("button", name="Add purchase").click()
    dialog.wait_for()


def test_a_cancelled_approval_records_nothing_and_says_so(page, base_url: str, points_shop) -> None:
    merchant, _ = points_shop
    member = open_card(page, base_url, points_shop, "nobig@example.com", name="Ned Nobig")

    page.get_by_label("Amount paid").fill("999")
    page.get_by_role("button", name="Add purchase").click()
    dialog = page.get_by_role("dialog", name="A manager must approve")
    dialog.get_by_role("button", name="Cancel").click()

    dialog.wait_for(state="hidden")
    page.locator("#recent li").first.get_by_text("no manager approved it").wait_for()
    assert "Ned Nobig" in page.locator("#recent li").first.inner_text()
    assert [t["type"] for t in transactions(base_url, merchant, member["member_id"])] == []
