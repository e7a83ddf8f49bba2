"""The owner console: programs, the stats chart and staff accounts."""

from __future__ import annotations

import json

import pytest

from tests.browser.conftest import check_accessibility, create_program, enrol, screenshot
from tests.conftest import Merchant, make_merchant

DESKTOP = {"viewport": {"width": 1200, "height": 900}}


@pytest.fixture
def owner(base_url: str) -> Merchant:
    return make_merchant()


def sign_in(page, merchant: Merchant, role: str = "owner") -> None:
    page.goto("/admin")
    page.locator("#login").get_by_label("Email").fill(merchant.emails[role])
    page.get_by_label("Password").fill(merchant.passwords[role])
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("heading", name="Owner console").wait_for()


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_owner_creates_a_program_and_it_appears_on_its_join_page(
    page, owner: Merchant, axe_source: str
) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()
    document = {
        "name": "Tea Time",
        "kind": "points",
        "points": {
            "per_unit": "10",
            "currency": "EUR",
            "catalog": [{"id": "tea", "name": "Pot of tea", "cost": 100}],
        },
        "design": {"background_color": "#14532D", "foreground_color": "#FFFFFF"},
    }
    page.get_by_text("Advanced: the program as JSON").click()
    page.get_by_label("Every field").fill(json.dumps(document, indent=2))
    screenshot(page, "console-editor")
    check_accessibility(page, axe_source, "console-editor")

    page.get_by_role("button", name="Save").click()
    page.locator("#programs").get_by_text("Tea Time").wait_for()
    page.get_by_role("link", name="Open its join page").click()

    page.get_by_role("heading", name="Tea Time").wait_for()
    page.get_by_text("Pot of tea: 100 points.").wait_for()


def test_a_refused_program_shows_the_api_message_beside_the_field(page, owner: Merchant) -> None:
    sign_in(page, owner)
    page.get_by_role("button", name="New program").click()

    page.get_by_text("Advanced: the program as JSON").click()
    page.get_by_label("Every field").fill('{"name": "No kind"}')
    page.get_by_role("button", name="Save").click()

    page.locator("#f-kind-error").get_by_text("Kind of card is required.").wait_for()


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_stats_chart_draws_a_bar_per_day(
    page, base_url: str, owner: Merchant, axe_source: str
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    for n in range(3):
        enrol(base_url, program["program_id"], f"stats{n}@example.com")
    sign_in(page, owner)

    page.get_by_role("button", name="Stats of Blue Bean Coffee").click()
    page.locator("#chart svg").wait_for()
    page.get_by_label("Show").select_option("enrolments")

    assert page.locator("#chart rect.bar").count() == 30
    heights = page.eval_on_selector_all(
        "#chart rect.bar", "bars => bars.map(b => Number(b.getAttribute('height')))"
    )
    assert max(heights) > 0
    assert "3 in all" in page.locator("#chart svg").get_attribute("aria-label")
    screenshot(page, "console-stats")
    check_accessibility(page, axe_source, "console-stats")


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_redemption_rate_is_rewards_redeemed_per_reward_unlocked(
    page, base_url: str, owner: Merchant
) -> None:
    import uuid

    import httpx

    program = create_program(base_url, owner.tokens["owner"])
    member = enrol(base_url, program["program_id"], "rate@example.com")
    staff = {"Authorization": f"Bearer {owner.tokens['barista']}"}
    required = program["stamps"]["required"]
    stamped = httpx.post(
        f"{base_url}/v1/members/{member['member_id']}/stamps",
        json={"count": 2 * required, "idempotency_key": uuid.uuid4().hex},
        headers=staff,
        timeout=30,
    ).json()
    httpx.post(
        f"{base_url}/v1/members/{member['member_id']}/redemptions",
        json={
            "reward_id": stamped["rewards_unlocked"][0]["reward_id"],
            "idempotency_key": uuid.uuid4().hex,
        },
        headers=staff,
        timeout=30,
    ).raise_for_status()
    sign_in(page, owner)

    page.get_by_role("button", name="Stats of Blue Bean Coffee").click()
    page.locator("#chart svg").wait_for()
    page.get_by_label("Show").select_option("redemption_rate")

    assert "50% over the period" in page.locator("#chart svg").get_attribute("aria-label")


def test_the_owner_adds_a_barista_who_can_then_sign_in_and_revokes_them(
    page, owner: Merchant
) -> None:
    sign_in(page, owner)
    form = page.locator("#staff-form")
    form.get_by_label("Name").fill("Sam Steamer")
    form.get_by_label("Email").fill("sam@example.com")
    page.get_by_role("button", name="Add", exact=True).click()
    created = page.locator("#staff-created").filter(has_text="password")
    created.wait_for()
    page.get_by_role("cell", name="Sam Steamer", exact=True).wait_for()

    page.get_by_role("button", name="Revoke Sam Steamer").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke Sam Steamer").click()

    page.get_by_role("cell", name="Sam Steamer", exact=True).wait_for(state="detached")


def test_a_barista_is_sent_to_the_counter(page, owner: Merchant) -> None:
    page.goto("/admin")
    page.locator("#login").get_by_label("Email").fill(owner.emails["barista"])
    page.get_by_label("Password").fill(owner.passwords["barista"])

    page.get_by_role("button", name="Sign in").click()

    page.get_by_text("baristas use /staff").wait_for()
