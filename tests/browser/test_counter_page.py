"""The counter: a barista finds a member and stamps their card, online and offline."""

from __future__ import annotations

import httpx
import pytest

from chalicelib.domain import card_number
from tests.browser.conftest import (
    STAMP_PROGRAM,
    check_accessibility,
    create_program,
    enrol,
    screenshot,
)
from tests.conftest import Merchant, make_merchant

TABLET = {"viewport": {"width": 800, "height": 1100}}


@pytest.fixture
def shop(base_url: str) -> tuple[Merchant, dict]:
    merchant = make_merchant()
    return merchant, create_program(base_url, merchant.tokens["owner"])


def sign_in(page, merchant: Merchant, role: str) -> None:
    page.goto("/staff")
    page.get_by_label("Email", exact=True).fill(merchant.emails[role])
    page.get_by_label("Password").fill(merchant.passwords[role])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Counter").wait_for()


def find_by_code(page, barcode: str) -> None:
    page.get_by_label("Code on the pass").fill(barcode)
    page.get_by_role("button", name="Find").click()


def at_the_counter(page, base_url: str, shop, email: str, **member) -> tuple[Merchant, dict]:
    """A barista signed in with a newly enrolled member's card open (1 stamp: the welcome)."""
    merchant, program = shop
    enrolled = enrol(base_url, program["program_id"], email, **member)
    sign_in(page, merchant, "barista")
    find_by_code(page, enrolled["barcode"])
    page.get_by_text("1 / 8 stamps").wait_for()
    return merchant, enrolled


def stamp_transactions(base_url: str, merchant: Merchant, member_id: str) -> list[dict]:
    response = httpx.get(
        f"{base_url}/v1/members/{member_id}/transactions",
        headers=merchant.auth("owner"),
        timeout=30,
    )
    assert response.status_code == 200
    return [t for t in response.json()["items"] if t["type"] == "stamp"]


@pytest.mark.parametrize("page", [TABLET], indirect=True)
def test_a_barista_types_a_code_and_stamps_the_card(
    page, base_url: str, shop: tuple[Merchant, dict], axe_source: str
) -> None:
    merchant, program = shop
    member = enrol(base_url, program["program_id"], "typed@example.com")
    sign_in(page, merchant, "barista")
    screenshot(page, "counter-signed-in")
    check_accessibility(page, axe_source, "counter-signed-in")

    find_by_code(page, member["barcode"])
    page.get_by_text("1 / 8 stamps").wait_for()
    page.get_by_role("button", name="+1 stamp").click()

    page.get_by_text("2 / 8 stamps").wait_for()
    assert len(stamp_transactions(base_url, merchant, member["member_id"])) == 1
    screenshot(page, "counter-member")
    check_accessibility(page, axe_source, "counter-member")


def test_a_barista_types_the_card_number_the_pass_shows(page, base_url: str, shop) -> None:
    merchant, program = shop
    member = enrol(base_url, program["program_id"], "number@example.com", name="Nia Number")
    sign_in(page, merchant, "barista")

    find_by_code(page, card_number.display(member["card_number"]).lower())

    page.get_by_role("heading", name="Nia Number · Blue Bean Coffee").wait_for()
    page.get_by_text("1 / 8 stamps").wait_for()


def test_a_mistyped_card_number_shows_the_api_message(page, base_url: str, shop) -> None:
    merchant, program = shop
    member = enrol(base_url, program["program_id"], "typo@example.com")
    number = member["card_number"]
    sign_in(page, merchant, "barista")

    find_by_code(page, ("1" if number[0] != "1" else "2") + number[1:])

    page.get_by_text("This is not a card number", exact=False).wait_for()
    assert page.locator("#member").is_hidden()


def test_a_barista_finds_a_member_by_email(page, base_url: str, shop) -> None:
    merchant, program = shop
    enrol(base_url, program["program_id"], "lookup@example.com", name="Lin Lookup")
    sign_in(page, merchant, "barista")

    page.get_by_label("Customer's email").fill("lookup@example.com")
    page.get_by_role("button", name="Look up").click()

    page.get_by_role("heading", name="Lin Lookup · Blue Bean Coffee").wait_for()


def test_a_wrong_code_shows_the_api_message(page, shop) -> None:
    merchant, _ = shop
    sign_in(page, merchant, "barista")

    find_by_code(page, "forged-code")

    page.wait_for_function("document.getElementById('find-error').textContent.length > 0")
    assert page.locator("#member").is_hidden()


def test_a_stamp_tapped_offline_is_queued_and_recorded_once_when_back_online(
    page, base_url: str, shop
) -> None:
    merchant, member = at_the_counter(page, base_url, shop, "offline@example.com")

    page.context.set_offline(True)
    page.get_by_role("button", name="+1 stamp").click()
    page.get_by_role("status").filter(has_text="queued, will retry").wait_for()
    screenshot(page, "counter-offline")
    queued = stamp_transactions(base_url, merchant, member["member_id"])
    page.context.set_offline(False)

    page.get_by_text("2 / 8 stamps").wait_for(timeout=20_000)
    page.locator(".state-done").first.wait_for()
    assert queued == []
    assert [t["stamps"] for t in stamp_transactions(base_url, merchant, member["member_id"])] == [1]
    assert page.evaluate("localStorage.getItem('loyalty.counter.queue')") == "[]"


def test_an_action_whose_answer_was_lost_is_retried_with_the_same_key(
    page, base_url: str, shop
) -> None:
    merchant, member = at_the_counter(page, base_url, shop, "lost@example.com")
    # The first POST reaches the server, then its answer is lost on the way back.
    lost = []

    def lose_first_answer(route) -> None:
        if not lost:
            lost.append(route.fetch())
            route.abort("connectionreset")
        else:
            route.continue_()

    page.route("**/stamps", lose_first_answer)

    page.get_by_role("button", name="+1 stamp").click()

    page.get_by_text("2 / 8 stamps").wait_for(timeout=20_000)
    assert lost and lost[0].status == 200
    assert [t["stamps"] for t in stamp_transactions(base_url, merchant, member["member_id"])] == [1]


def test_a_manager_undoes_a_stamp(page, base_url: str, shop) -> None:
    merchant, program = shop
    member = enrol(base_url, program["program_id"], "undo@example.com")
    sign_in(page, merchant, "manager")
    find_by_code(page, member["barcode"])
    page.get_by_role("button", name="+1 stamp").click()
    page.get_by_text("2 / 8 stamps").wait_for()

    page.get_by_role("button", name="Undo").click()

    page.locator("#recent").get_by_text("Undo +1 stamp").wait_for()
    page.locator("#recent .state-done").first.wait_for()
    page.reload()
    find_by_code(page, member["barcode"])
    page.get_by_text("1 / 8 stamps").wait_for()


def test_a_barista_sees_no_undo(page, base_url: str, shop) -> None:
    merchant, program = shop
    member = enrol(base_url, program["program_id"], "noundo@example.com")
    sign_in(page, merchant, "barista")
    find_by_code(page, member["barcode"])

    page.get_by_role("button", name="+1 stamp").click()

    page.get_by_text("2 / 8 stamps").wait_for()
    assert page.get_by_role("button", name="Undo").count() == 0


def test_a_scan_limit_refusal_is_shown_at_once_and_does_not_hold_up_the_next_member(
    page, base_url: str
) -> None:
    merchant = make_merchant()
    limited = {**STAMP_PROGRAM, "limits": {"cooldown_seconds": 30}}
    program = create_program(base_url, merchant.tokens["owner"], limited)
    first = enrol(base_url, program["program_id"], "cooldown@example.com", name="Cool Down")
    second = enrol(base_url, program["program_id"], "next@example.com", name="Nex Tone")
    sign_in(page, merchant, "barista")
    find_by_code(page, first["barcode"])
    page.get_by_role("button", name="+1 stamp").click()
    page.get_by_text("2 / 8 stamps").wait_for()

    page.get_by_role("button", name="+1 stamp").click()

    # Refused by the server within its 30 s cooldown: said at once, never queued.
    page.locator("#action-error").get_by_text("scanned moments ago").wait_for(timeout=3_000)
    page.locator("#recent .state-failed").first.wait_for(timeout=3_000)
    assert page.get_by_text("queued, will retry").count() == 0
    assert page.evaluate("localStorage.getItem('loyalty.counter.queue')") == "[]"

    find_by_code(page, second["barcode"])
    page.get_by_role("heading", name="Nex Tone · Blue Bean Coffee").wait_for()
    page.get_by_role("button", name="+1 stamp").click()

    page.get_by_text("2 / 8 stamps").wait_for(timeout=3_000)
    assert len(stamp_transactions(base_url, merchant, first["member_id"])) == 1
    assert len(stamp_transactions(base_url, merchant, second["member_id"])) == 1
    recent = page.locator("#recent li")
    assert "Nex Tone" in recent.nth(0).inner_text()
    assert "Cool Down" in recent.nth(1).inner_text()


def test_a_429_that_is_not_a_scan_limit_is_retried_with_the_same_key(
    page, base_url: str, shop
) -> None:
    merchant, member = at_the_counter(page, base_url, shop, "busy@example.com")
    # A throttle in front of the API that never reached the ledger: worth another try.
    throttled = []

    def throttle_first(route) -> None:
        if not throttled:
            throttled.append(route.request.post_data_json["idempotency_key"])
            route.fulfill(
                status=429,
                json={"error": {"code": "too_many_requests", "message": "Slow down."}},
            )
        else:
            throttled.append(route.request.post_data_json["idempotency_key"])
            route.continue_()

    page.route("**/stamps", throttle_first)

    page.get_by_role("button", name="+1 stamp").click()

    page.get_by_text("2 / 8 stamps").wait_for(timeout=20_000)
    assert len(throttled) == 2 and throttled[0] == throttled[1]
    assert [t["stamps"] for t in stamp_transactions(base_url, merchant, member["member_id"])] == [1]


def test_signing_out_drops_the_actions_still_queued(page, base_url: str, shop) -> None:
    merchant, member = at_the_counter(page, base_url, shop, "signout@example.com")
    page.context.set_offline(True)
    page.get_by_role("button", name="+1 stamp").click()
    page.get_by_role("status").filter(has_text="queued, will retry").wait_for()

    page.get_by_role("button", name="Sign out").click()
    page.context.set_offline(False)
    sign_in(page, merchant, "barista")

    assert page.evaluate("localStorage.getItem('loyalty.counter.queue')") in (None, "[]")
    assert page.locator("#recent li").count() == 0
    page.wait_for_timeout(2_500)  # longer than the first retry's delay
    assert stamp_transactions(base_url, merchant, member["member_id"]) == []


def test_the_counter_keeps_its_token_for_the_tab_only(page, shop) -> None:
    merchant, _ = shop

    sign_in(page, merchant, "barista")
    page.get_by_role("button", name="Sign out").wait_for()

    stored = page.evaluate("JSON.stringify(Object.entries(localStorage))")
    assert "token" not in stored
    assert "token" in page.evaluate("sessionStorage.getItem('loyalty.counter.session')")
    page.reload()
    page.get_by_role("button", name="Sign out").wait_for()


def test_recent_actions_name_the_customer_and_what_was_given(page, base_url: str, shop) -> None:
    at_the_counter(page, base_url, shop, "given@example.com", name="Gina Given")

    page.get_by_label("Stamps", exact=True).fill("7")
    page.get_by_role("button", name="Add stamps").click()

    # The card filled and started again: the balance is back to 0, yet 7 were given.
    page.get_by_text("0 / 8 stamps").wait_for()
    recent = page.locator("#recent li").first
    recent.get_by_text("done").wait_for()
    assert recent.inner_text().startswith("Gina Given · +7 stamps · done: 7 stamps given")
    assert "Free flat white unlocked" in recent.inner_text()
