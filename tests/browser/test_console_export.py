"""The owner console's CSV exports: every page of the list, one file."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pytest

from tests.browser.conftest import create_program
from tests.browser.test_console_page import DESKTOP, sign_in
from tests.conftest import make_merchant

HEADER = [
    "name",
    "email",
    "stamps",
    "points",
    "tier",
    "rewards",
    "created_at",
    "marketing_consent",
]


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_members_csv_pages_through_every_member(page, base_url: str) -> None:
    owner = make_merchant()
    program = create_program(base_url, owner.tokens["owner"])
    program_id = program["program_id"]
    # 101 members: more than one page of 100, so the console must follow the cursor.
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for i in range(101):
            name = 'Smith, "Jo"' if i == 0 else f"Member {i}"
            response = client.post(
                f"/v1/programs/{program_id}/enrollments",
                json={"name": name, "email": f"csv{i}@example.com", "consent": {"terms": True}},
            )
            assert response.status_code == 201, response.text
            if i == 1:
                gone = response.json()["member_id"]
        erased = client.delete(f"/v1/members/{gone}", headers=owner.auth("owner"))
        assert erased.status_code == 204
    sign_in(page, owner)

    with page.expect_download() as info:
        page.get_by_role("button", name="Members CSV of Blue Bean Coffee").click()

    download = info.value
    assert download.suggested_filename == f"members-{program_id}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == HEADER
    assert len(rows) == 1 + 101
    by_email = {row[1]: row for row in rows[1:]}
    assert by_email["csv0@example.com"][:4] == ['Smith, "Jo"', "csv0@example.com", "1", "0"]
    assert "csv1@example.com" not in by_email
    assert ["", "", "1", "0"] in [row[:4] for row in rows[1:]]
    page.get_by_text("101 exported").wait_for()


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_members_csv_says_who_may_receive_offers(page, base_url: str) -> None:
    owner = make_merchant()
    program_id = create_program(base_url, owner.tokens["owner"])["program_id"]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for email, marketing in (("offers@example.com", True), ("quiet@example.com", False)):
            response = client.post(
                f"/v1/programs/{program_id}/enrollments",
                json={
                    "name": "M",
                    "email": email,
                    "consent": {"terms": True, "marketing": marketing},
                },
            )
            assert response.status_code == 201, response.text
    sign_in(page, owner)

    with page.expect_download() as info:
        page.get_by_role("button", name="Members CSV of Blue Bean Coffee").click()

    text = Path(info.value.path()).read_text(encoding="utf-8")
    rows = [dict(zip(HEADER, row, strict=True)) for row in list(csv.reader(io.StringIO(text)))[1:]]
    consent = {row["email"]: row["marketing_consent"] for row in rows}
    assert consent == {"offers@example.com": "true", "quiet@example.com": "false"}


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_ledger_csv_pages_through_a_members_ledger(page, base_url: str) -> None:
    owner = make_merchant()
    program_id = create_program(base_url, owner.tokens["owner"])["program_id"]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        response = client.post(
            f"/v1/programs/{program_id}/enrollments",
            json={"name": "Led Ger", "email": "ledger@example.com", "consent": {"terms": True}},
        )
        member_id = response.json()["member_id"]
        # The welcome entry and 100 stamps: two pages of 100.
        for i in range(100):
            stamped = client.post(
                f"/v1/members/{member_id}/stamps",
                json={"count": 1, "idempotency_key": f"k{i}"},
                headers=owner.auth("barista"),
            )
            assert stamped.status_code == 200, stamped.text
    sign_in(page, owner)

    page.get_by_label("Member's email or id").fill("ledger@example.com")
    with page.expect_download() as info:
        page.get_by_role("button", name="Ledger CSV").click()

    download = info.value
    assert download.suggested_filename == f"ledger-{member_id}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0][:4] == ["member_id", "program_id", "transaction_id", "type"]
    assert len(rows) == 1 + 101
    assert sorted(row[3] for row in rows[1:]) == ["stamp"] * 100 + ["welcome"]
    page.get_by_text("101 entries exported").wait_for()


def _download_ledger(page, email: str) -> list[dict]:
    page.get_by_label("Member's email or id").fill(email)
    with page.expect_download() as info:
        page.get_by_role("button", name="Ledger CSV").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_ledger_csv_shows_what_was_given_by_whom_and_what_a_void_reversed(
    page, base_url: str
) -> None:
    owner = make_merchant()
    program_id = create_program(base_url, owner.tokens["owner"])["program_id"]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        member_id = client.post(
            f"/v1/programs/{program_id}/enrollments",
            json={"name": "Full Card", "email": "full@example.com", "consent": {"terms": True}},
        ).json()["member_id"]

        def post(path: str, role: str, body: dict) -> dict:
            response = client.post(path, json=body, headers=owner.auth(role))
            assert response.status_code == 200, response.text
            return response.json()

        # The welcome stamp and 8 more fill the 8-stamp card: the balance stays at 1.
        filled = post(
            f"/v1/members/{member_id}/stamps", "barista", {"count": 8, "idempotency_key": "a"}
        )
        reward_id = filled["rewards_unlocked"][0]["reward_id"]
        post(
            f"/v1/members/{member_id}/redemptions",
            "barista",
            {"reward_id": reward_id, "idempotency_key": "b"},
        )
        mistake = post(
            f"/v1/members/{member_id}/stamps", "barista", {"count": 1, "idempotency_key": "c"}
        )["transaction"]["transaction_id"]
        post(f"/v1/transactions/{mistake}/void", "manager", {})
    sign_in(page, owner)

    rows = _download_ledger(page, "full@example.com")

    by_type = {}
    for row in rows:
        by_type.setdefault(row["type"], []).append(row)
    [full, one] = sorted(by_type["stamp"], key=lambda r: r["stamps_added"], reverse=True)
    assert (full["stamps"], full["stamps_added"], full["rewards_unlocked"]) == (
        "0",
        "8",
        "Free flat white",
    )
    assert full["staff_name"] == "Barista"
    [redemption] = by_type["redemption"]
    assert redemption["reward_redeemed"] == "Free flat white"
    [undo] = by_type["void"]
    assert undo["voids"] == one["transaction_id"] == mistake
    assert (undo["staff_name"], undo["stamps_added"], one["voided"]) == ("Manager", "0", "true")
    [gift] = by_type["welcome"]
    assert (gift["stamps_added"], gift["staff_name"]) == ("1", "")


FORMULAS = ("=", "+", "-", "@")


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_a_formula_after_a_semicolon_or_a_tab_is_neutralised_in_every_reading(
    page, base_url: str
) -> None:
    owner = make_merchant()
    program = create_program(base_url, owner.tokens["owner"])
    # A tab cannot reach a name (names refuse control characters), but a CSV read
    # with tabs as its separator must still show no formula.
    names = ["x;=2+5", "Semi; @SUM(A1)", "Pipe|+1", "Plain, -3", "=HYPERLINK(1)"]
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for i, name in enumerate(names):
            response = client.post(
                f"/v1/programs/{program['program_id']}/enrollments",
                json={"name": name, "email": f"f{i}@example.com", "consent": {"terms": True}},
            )
            assert response.status_code == 201, response.text
    sign_in(page, owner)

    with page.expect_download() as info:
        page.get_by_role("button", name="Members CSV of Blue Bean Coffee").click()

    text = Path(info.value.path()).read_text(encoding="utf-8")
    # As a spreadsheet reads it with each separator it may pick (a French Excel: ;).
    for delimiter in (",", ";", "\t", "|"):
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            for field in row:
                assert not field.lstrip(" \t\r").startswith(FORMULAS), (delimiter, field)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["name"].replace("'", "") for row in rows) == sorted(names)
