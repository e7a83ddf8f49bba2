"""The console's program list: an owner closes enrolment, reopens it, and duplicates."""

from __future__ import annotations

import httpx
import pytest

from tests.browser.conftest import STAMP_PROGRAM, check_accessibility, create_program
from tests.browser.test_console_page import DESKTOP, sign_in
from tests.conftest import Merchant, make_merchant


def join_page(base_url: str, program_id: str) -> str:
    return httpx.get(f"{base_url}/join/{program_id}", timeout=30).text


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_owner_closes_reopens_and_duplicates_a_program_from_the_list(
    page, base_url: str, axe_source: str
) -> None:
    owner = make_merchant()
    program = create_program(base_url, owner.tokens["owner"])
    sign_in(page, owner)
    programs = page.locator("#programs")
    programs.get_by_text("Blue Bean Coffee").wait_for()
    check_accessibility(page, axe_source, "console-program-list")

    page.get_by_role("button", name="Close enrolment of Blue Bean Coffee").click()

    programs.get_by_text("closed to new members").wait_for()
    assert "This program is closed" in join_page(base_url, program["program_id"])

    page.get_by_role("button", name="Reopen enrolment of Blue Bean Coffee").click()
    page.get_by_role("button", name="Close enrolment of Blue Bean Coffee").wait_for()
    assert "This program is closed" not in join_page(base_url, program["program_id"])

    page.get_by_role("button", name="Duplicate Blue Bean Coffee").click()
    programs.get_by_text("Blue Bean Coffee (copy)").wait_for()
    listed = httpx.get(f"{base_url}/v1/programs", headers=owner.auth("owner"), timeout=30).json()[
        "items"
    ]
    assert sorted(p["name"] for p in listed) == ["Blue Bean Coffee", "Blue Bean Coffee (copy)"]


def test_a_manager_sees_no_life_cycle_buttons(page, base_url: str) -> None:
    merchant: Merchant = make_merchant()
    create_program(base_url, merchant.tokens["owner"])

    sign_in(page, merchant, "manager")
    page.locator("#programs").get_by_text("Blue Bean Coffee").wait_for()

    assert page.get_by_role("button", name="Duplicate").count() == 0
    assert page.get_by_role("button", name="Close enrolment").count() == 0


def test_a_barista_is_added_at_one_of_the_programs_locations_and_no_other(
    page, base_url: str
) -> None:
    owner = make_merchant()
    shop = {"id": "bastille", "name": "Bastille", "latitude": 48.85, "longitude": 2.37}
    create_program(base_url, owner.tokens["owner"], {**STAMP_PROGRAM, "locations": [shop]})
    sign_in(page, owner)
    page.locator("#programs").get_by_text("Blue Bean Coffee").wait_for()
    form = page.locator("#staff-form")
    offered = page.evaluate(
        "[...document.querySelectorAll('#location-ids option')].map(o => o.value)"
    )
    assert offered == ["bastille"]

    form.get_by_label("Name").fill("Lost Barista")
    form.get_by_label("Email").fill("lost@example.com")
    form.get_by_label("Location").fill("nowhere")
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator("#staff-error").get_by_text("not a location of any of your programs").wait_for()

    form.get_by_label("Location").fill("bastille")
    page.get_by_role("button", name="Add", exact=True).click()
    page.locator("#staff-created").filter(has_text="password").wait_for()
    staff = httpx.get(f"{base_url}/v1/staff", headers=owner.auth("owner"), timeout=30).json()
    assert [s["location_id"] for s in staff["items"] if s["name"] == "Lost Barista"] == ["bastille"]
