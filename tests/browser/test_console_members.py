"""The console's members, staff and safety, and statistics screens, as an owner uses them."""

from __future__ import annotations

import uuid

import httpx
import pytest

from tests.browser.conftest import (
    STAMP_PROGRAM,
    check_accessibility,
    create_program,
    enrol,
    screenshot,
)
from tests.browser.test_console_page import DESKTOP, sign_in
from tests.conftest import Merchant, make_merchant

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


@pytest.fixture
def owner(base_url: str) -> Merchant:
    return make_merchant()


def works_at(base_url: str, owner: Merchant, location_id: str) -> None:
    """The merchant's barista now works at one of its programs' shops."""
    response = httpx.patch(
        f"{base_url}/v1/staff/{owner.staff_ids['barista']}",
        json={"location_id": location_id},
        headers={"Authorization": f"Bearer {owner.tokens['owner']}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text


def stamp(base_url: str, token: str, member_id: str, count: int) -> dict:
    response = httpx.post(
        f"{base_url}/v1/members/{member_id}/stamps",
        json={"count": count, "idempotency_key": uuid.uuid4().hex},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def search(page, text: str) -> None:
    page.get_by_label("Email, card number or barcode").fill(text)
    page.get_by_role("button", name="Search").click()


def no_horizontal_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide in a 390 px phone"


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_owner_finds_a_member_by_email_voids_a_stamp_with_a_reason_and_resends_the_card(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    shop = {"id": "counter-1", "name": "Counter", "latitude": 48.85, "longitude": 2.35}
    program = create_program(
        base_url, owner.tokens["owner"], {**STAMP_PROGRAM, "locations": [shop]}
    )
    works_at(base_url, owner, "counter-1")
    address = f"ana-{uuid.uuid4().hex[:8]}@example.com"
    member = enrol(base_url, program["program_id"], address, name="Ana Lima")
    stamp(base_url, owner.tokens["barista"], member["member_id"], 3)
    sign_in(page, owner)

    search(page, address)
    page.get_by_role("heading", name="Ana Lima").wait_for()
    facts = page.locator("#member-facts")
    assert facts.get_by_text("4", exact=True).count() == 1  # the welcome stamp and 3
    ledger = page.locator("#member-ledger")
    ledger.get_by_text("by Barista at counter-1").wait_for()
    screenshot(page, "console-member")
    check_accessibility(page, axe_source, "console-member")

    ledger.get_by_role("button", name="Void Stamps").click()
    dialog = page.get_by_role("dialog")
    assert "3 stamps" in dialog.inner_text()
    screenshot(page, "console-void-dialog")
    check_accessibility(page, axe_source, "console-void-dialog")
    dialog.get_by_label("Reason (kept in the ledger)").fill("Stamped the wrong card")
    dialog.get_by_role("button", name="Void").click()

    ledger.get_by_text("Voided: Stamped the wrong card").wait_for()
    page.get_by_text("now has 1 stamp").wait_for()
    entries = httpx.get(
        f"{base_url}/v1/members/{member['member_id']}/transactions",
        headers=owner.auth("owner"),
        timeout=30,
    ).json()["items"]
    assert [e["reason"] for e in entries if e["type"] == "void"] == ["Stamped the wrong card"]

    page.get_by_role("button", name="Email the card to Ana Lima").click()
    page.get_by_text("The card was emailed to Ana Lima.").wait_for()
    sent = httpx.get(f"{base_url}/dev/mail", timeout=30).json()["items"]
    assert [m["subject"] for m in sent if m["to"] == address] == [
        "Your card for Blue Bean Coffee at Test Café"
    ]


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_a_member_found_by_their_typed_card_number_is_erased_after_a_confirmation_naming_it(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    member = enrol(base_url, program["program_id"], "erase-me@example.com", name="Ana Lima")
    number = member["card_number"]
    typed = f"{number[:4]} {number[4:8]}-{number[8:]}".lower()
    sign_in(page, owner)

    search(page, typed)
    page.get_by_role("heading", name="Ana Lima").wait_for()
    page.get_by_role("button", name="Erase Ana Lima").click()
    dialog = page.get_by_role("dialog")
    text = dialog.inner_text()
    assert "Erase Ana Lima? Their name, email and birthday are deleted" in text
    assert "This cannot be undone." in text
    screenshot(page, "console-erase-dialog")
    check_accessibility(page, axe_source, "console-erase-dialog")
    dialog.get_by_role("button", name="Cancel").click()
    assert (
        httpx.get(
            f"{base_url}/v1/members/{member['member_id']}", headers=owner.auth("owner"), timeout=30
        ).status_code
        == 200
    )
    page.get_by_role("button", name="Erase Ana Lima").click()
    page.get_by_role("dialog").get_by_role("button", name="Erase Ana Lima").click()

    page.get_by_text("Ana Lima was erased.").wait_for()
    gone = httpx.get(
        f"{base_url}/v1/members/{member['member_id']}", headers=owner.auth("owner"), timeout=30
    )
    assert gone.status_code == 404


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_owner_caps_a_barista_and_resets_their_password(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    sign_in(page, owner)

    page.get_by_role("button", name="Edit Barista").click()
    form = page.locator("#staff-edit")
    form.get_by_label("Stamps per day").fill("40")
    form.get_by_role("button", name="Save changes").click()
    page.get_by_text("at most 40 stamps a day").wait_for()
    listed = httpx.get(f"{base_url}/v1/staff", headers=owner.auth("owner"), timeout=30).json()
    [barista] = [s for s in listed["items"] if s["staff_id"] == owner.staff_ids["barista"]]
    assert barista["daily_stamp_cap"] == 40

    form.get_by_role("button", name="Reset password").click()
    dialog = page.get_by_role("dialog")
    assert "signed out on every device" in dialog.inner_text()
    dialog.get_by_role("button", name="Reset password").click()
    new_password = page.locator("#new-password").inner_text()
    screenshot(page, "console-staff-reset")
    check_accessibility(page, axe_source, "console-staff-reset")

    def login(password: str) -> int:
        return httpx.post(
            f"{base_url}/v1/auth/login",
            json={"email": owner.emails["barista"], "password": password},
            timeout=30,
        ).status_code

    assert login(new_password) == 200
    assert login(owner.passwords["barista"]) == 401


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_alerts_list_a_barista_stamping_far_above_usual_and_link_to_their_actions(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    program = create_program(
        base_url,
        owner.tokens["owner"],
        {
            "name": "Big card",
            "kind": "stamps",
            "stamps": {"required": 50, "reward": {"name": "Mug"}},
        },
    )
    member = enrol(base_url, program["program_id"], "busy@example.com", name="Busy Bee")
    for _ in range(2):
        stamp(base_url, owner.tokens["barista"], member["member_id"], 30)
    sign_in(page, owner)

    alerts = page.locator("#alerts")
    alerts.get_by_text("60 stamps today").wait_for()
    alerts.get_by_role("button", name="Actions of Barista").click()
    actions = page.locator("#staff-actions-list")
    actions.get_by_text("gave 30 stamps").first.wait_for()
    assert actions.locator("li").count() == 2
    screenshot(page, "console-alerts")
    check_accessibility(page, axe_source, "console-alerts")
    actions.get_by_role("button", name="Open member").first.click()

    page.get_by_role("heading", name="Busy Bee").wait_for()


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_stats_read_a_chosen_date_range_and_say_why_a_chart_is_empty(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    enrol(base_url, program["program_id"], "one@example.com")
    enrol(base_url, program["program_id"], "two@example.com")
    sign_in(page, owner)
    page.get_by_role("button", name="Stats of Blue Bean Coffee").click()
    page.locator("#chart svg").wait_for()

    page.get_by_label("Show").select_option("enrolments")
    assert page.locator("#stats-total .figure").inner_text() == "2"
    assert page.locator("#chart text.value").all_text_contents() == ["2"]
    page.get_by_label("Show").select_option("rewards_redeemed")
    page.get_by_text("No redemptions yet").wait_for()
    screenshot(page, "console-stats-empty")
    check_accessibility(page, axe_source, "console-stats-empty")

    page.get_by_label("First day").fill("2025-01-01")
    page.get_by_label("Last day").fill("2025-01-10")
    page.get_by_role("button", name="Apply dates").click()
    page.wait_for_function("document.querySelectorAll('#chart rect.bar').length === 10")
    page.get_by_label("Show").select_option("enrolments")
    assert page.locator("#stats-total .figure").inner_text() == "0"
    page.get_by_text("Nobody enrolled between").wait_for()
    totals = page.locator("#stats-totals")
    assert totals.inner_text().count("\n0") >= 8


@pytest.mark.parametrize("page", [PHONE], indirect=True)
def test_members_staff_and_stats_fit_a_390_px_phone(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    member = enrol(base_url, program["program_id"], "a.rather.long.address.for.a.phone@example.com")
    stamp(base_url, owner.tokens["barista"], member["member_id"], 2)
    sign_in(page, owner)

    search(page, "a.rather.long.address.for.a.phone@example.com")
    page.locator("#member-ledger li").first.wait_for()
    no_horizontal_scroll(page)
    check_accessibility(page, axe_source, "console-phone-member")
    page.get_by_role("button", name="Edit Barista").click()
    no_horizontal_scroll(page)
    page.get_by_role("button", name="Stats of Blue Bean Coffee").click()
    page.locator("#chart svg").wait_for()
    no_horizontal_scroll(page)
    screenshot(page, "console-phone")
    check_accessibility(page, axe_source, "console-phone")


def tab_to(page, label_start: str, limit: int = 80) -> None:
    """Press Tab until the focused control's name starts with `label_start`."""
    script = (
        "(document.activeElement.getAttribute('aria-label')"
        " || document.activeElement.textContent).trim()"
    )
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(script).startswith(label_start):
            return
    raise AssertionError(f"no control named {label_start!r} within {limit} tabs")


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_a_member_is_found_and_a_stamp_voided_with_the_keyboard_alone(
    page, base_url: str, owner: Merchant
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    address = f"keys-{uuid.uuid4().hex[:8]}@example.com"
    member = enrol(base_url, program["program_id"], address, name="Kay Board")
    stamp(base_url, owner.tokens["barista"], member["member_id"], 2)
    sign_in(page, owner)

    tab_to(page, "Search")
    page.keyboard.press("Shift+Tab")
    page.keyboard.type(address)
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Kay Board").wait_for()
    tab_to(page, "Erase Kay Board")
    page.keyboard.press("Enter")
    page.get_by_role("dialog").wait_for()
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached")
    tab_to(page, "Void Stamps")
    page.keyboard.press("Enter")
    page.keyboard.type("Wrong card")
    page.keyboard.press("Enter")

    page.locator("#member-ledger").get_by_text("Voided: Wrong card").wait_for()
    assert (
        httpx.get(
            f"{base_url}/v1/members/{member['member_id']}", headers=owner.auth("owner"), timeout=30
        ).json()["balances"]["stamps"]
        == 1
    )


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_an_address_in_two_programs_lists_both_and_a_manager_cannot_erase(
    page, base_url: str, owner: Merchant
) -> None:
    coffee = create_program(base_url, owner.tokens["owner"])
    tea = create_program(
        base_url,
        owner.tokens["owner"],
        {
            "name": "Tea card",
            "kind": "stamps",
            "stamps": {"required": 5, "reward": {"name": "Tea"}},
        },
    )
    address = f"both-{uuid.uuid4().hex[:8]}@example.com"
    enrol(base_url, coffee["program_id"], address, name="Bo Th")
    enrol(base_url, tea["program_id"], address, name="Bo Th")
    sign_in(page, owner, "manager")

    search(page, address.upper())
    page.get_by_text("2 members, one per program").wait_for()
    page.get_by_role("button", name="Open Bo Th in Tea card").click()

    facts = page.locator("#member-facts")
    facts.get_by_text("Tea card").wait_for()
    assert page.get_by_role("button", name="Erase Bo Th").count() == 0
    assert page.get_by_role("button", name="Email the card to Bo Th").is_visible()
