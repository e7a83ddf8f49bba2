"""Staff accounts: who creates whom, the list, tablet tokens and deletion."""

from __future__ import annotations

import json
import time
import uuid
from datetime import datetime

import jwt
import pytest

from tests.e2e.helpers import program_with_locations


def new_email(label: str = "staff") -> str:
    return f"{label}-{uuid.uuid4().hex[:12]}@example.com"


def create_staff(client, merchant, by: str = "owner", **fields):
    body = {"email": new_email(), "name": "Sam", "role": "barista", **fields}
    return client.post("/v1/staff", json=body, headers=merchant.auth(by))


def listed_ids(client, merchant, by: str = "owner") -> set[str]:
    """Every staff id GET /v1/staff shows, page after page."""
    seen: set[str] = set()
    cursor = None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/staff", params=params, headers=merchant.auth(by))
        assert page.status_code == 200, page.text
        seen |= {s["staff_id"] for s in page.json()["items"]}
        cursor = page.json()["next_cursor"]
        if cursor is None:
            return seen


def login(client, email: str, password: str):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def member_search_status(client, token: str) -> int:
    """The status a barista route answers this token with."""
    return client.get(
        "/v1/members", params={"email": "nobody@example.com"}, headers=bearer(token)
    ).status_code


# --- creating accounts ---------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "manager", "barista"])
def test_an_owner_creates_an_account_of_any_role(client, merchant, role):
    email = new_email(role)
    program_with_locations(client, merchant, "bar-2")

    response = create_staff(
        client, merchant, email=email, name="Robin", role=role, location_id="bar-2"
    )

    assert response.status_code == 201, response.text
    created = response.json()
    assert created["role"] == role
    assert created["email"] == email
    assert created["name"] == "Robin"
    assert created["location_id"] == "bar-2"
    assert created["merchant_id"] == merchant.merchant_id
    assert created["password"]
    assert created["staff_id"] in listed_ids(client, merchant)


def test_a_manager_creates_a_barista(client, merchant):
    response = create_staff(client, merchant, by="manager", role="barista")

    assert response.status_code == 201
    assert response.json()["role"] == "barista"
    assert response.json()["staff_id"] in listed_ids(client, merchant)


@pytest.mark.parametrize("role", ["manager", "owner"])
def test_a_manager_cannot_create_a_manager_or_an_owner(client, merchant, role):
    email = new_email(role)

    response = create_staff(client, merchant, by="manager", email=email, role=role)

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert listed_ids(client, merchant) == set(merchant.staff_ids.values())
    # The email was not claimed either: the owner can still use it.
    assert create_staff(client, merchant, email=email, role=role).status_code == 201


def test_a_barista_can_neither_create_nor_list_accounts(client, merchant):
    created = create_staff(client, merchant, by="barista", role="barista")
    listed = client.get("/v1/staff", headers=merchant.auth("barista"))

    assert created.status_code == 403
    assert listed.status_code == 403
    assert listed_ids(client, merchant) == set(merchant.staff_ids.values())


def test_a_new_account_signs_in_with_the_password_it_was_given(client, merchant):
    program_with_locations(client, merchant, "till-3")
    created = create_staff(client, merchant, role="barista", location_id="till-3").json()

    response = login(client, created["email"], created["password"])

    assert response.status_code == 200
    assert response.json()["staff"] == {
        key: created[key]
        for key in (
            "staff_id",
            "merchant_id",
            "email",
            "name",
            "role",
            "location_id",
            "daily_stamp_cap",
            "daily_points_cap",
        )
    }
    assert member_search_status(client, response.json()["token"]) == 200


def test_an_email_already_in_use_is_a_conflict(client, merchant):
    email = new_email()
    first = create_staff(client, merchant, email=email)

    again = create_staff(client, merchant, email=email.upper(), role="manager")

    assert first.status_code == 201
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "already_exists"
    assert listed_ids(client, merchant) == {*merchant.staff_ids.values(), first.json()["staff_id"]}


def test_an_email_of_another_merchants_account_is_given_like_a_free_one(
    client, merchant, other_merchant
):
    # Emails are unique per merchant: a refusal here would tell one merchant who
    # works for another.
    taken = create_staff(client, other_merchant, email=merchant.emails["barista"])
    free = create_staff(client, other_merchant, email=new_email())

    assert (taken.status_code, free.status_code) == (201, 201)
    assert taken.json().keys() == free.json().keys()
    assert taken.json()["merchant_id"] == other_merchant.merchant_id
    assert listed_ids(client, other_merchant) == {
        *other_merchant.staff_ids.values(),
        taken.json()["staff_id"],
        free.json()["staff_id"],
    }


def test_a_person_with_accounts_at_two_merchants_signs_in_to_each_with_its_password(
    client, merchant, other_merchant
):
    email = new_email("two-cafes")
    here = create_staff(client, merchant, email=email).json()
    there = create_staff(client, other_merchant, email=email.upper(), role="manager").json()

    first = login(client, email, here["password"])
    second = login(client, email, there["password"])
    wrong = login(client, email, "not-" + here["password"])

    assert first.status_code == 200
    assert first.json()["staff"]["staff_id"] == here["staff_id"]
    assert first.json()["staff"]["merchant_id"] == merchant.merchant_id
    assert second.status_code == 200
    assert second.json()["staff"]["staff_id"] == there["staff_id"]
    assert second.json()["staff"]["merchant_id"] == other_merchant.merchant_id
    assert wrong.status_code == 401
    assert wrong.json()["error"]["code"] == "invalid_credentials"


def test_deleting_one_merchants_account_leaves_the_others_sign_in(client, merchant, other_merchant):
    email = new_email("two-cafes")
    here = create_staff(client, merchant, email=email).json()
    there = create_staff(client, other_merchant, email=email).json()

    deleted = client.delete(f"/v1/staff/{here['staff_id']}", headers=merchant.auth("owner"))

    assert deleted.status_code == 204
    assert login(client, email, here["password"]).status_code == 401
    assert login(client, email, there["password"]).status_code == 200


@pytest.mark.parametrize(
    ("content", "status"),
    [
        pytest.param({"name": "Sam", "role": "barista"}, 422, id="missing email"),
        pytest.param(
            {"email": "not-an-email", "name": "Sam", "role": "barista"}, 422, id="bad email"
        ),
        pytest.param({"email": "{email}", "name": "Sam", "role": "admin"}, 422, id="unknown role"),
        pytest.param({"email": "{email}", "name": "", "role": "barista"}, 422, id="empty name"),
        pytest.param({"email": "{email}", "name": "Sam", "role": 3}, 422, id="role as a number"),
        pytest.param(
            {"email": "{email}", "name": "Sam", "role": "barista", "location_id": "a/b"},
            422,
            id="bad location",
        ),
        pytest.param(
            {"email": "{email}", "name": "Sam", "role": "barista", "is_admin": True},
            422,
            id="extra field",
        ),
        pytest.param(b'{"email": "{email}", "name": "Sam", "role": ', 400, id="not json"),
        pytest.param(b"\xff\xfe{}", 400, id="not utf-8"),
        pytest.param(b'[{"email": "{email}", "name": "Sam", "role": "barista"}]', 400, id="a list"),
        pytest.param(b'"barista"', 400, id="a string"),
        pytest.param(b"null", 400, id="null"),
        pytest.param(b"", 422, id="empty body"),
    ],
)
def test_a_bad_body_is_refused_and_creates_nothing(client, merchant, content, status):
    email = new_email()
    if isinstance(content, dict):
        raw = json.dumps(content).replace("{email}", email).encode()
    else:
        raw = content.replace(b"{email}", email.encode())

    response = client.post(
        "/v1/staff",
        content=raw,
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"]
    assert listed_ids(client, merchant) == set(merchant.staff_ids.values())


def test_a_body_that_is_not_sent_as_json_is_refused_and_creates_nothing(client, merchant):
    response = client.post(
        "/v1/staff",
        content=f"email={new_email()}&name=Sam&role=barista",
        headers={**merchant.auth("owner"), "Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 415
    assert response.json()["error"]["code"] == "unsupported_media_type"
    assert listed_ids(client, merchant) == set(merchant.staff_ids.values())


def test_an_oversized_body_is_refused_and_creates_nothing(client, merchant):
    body = {"email": new_email(), "name": "Sam " + "x" * 70_000, "role": "barista"}

    response = client.post("/v1/staff", json=body, headers=merchant.auth("owner"))

    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert listed_ids(client, merchant) == set(merchant.staff_ids.values())


# --- the list ------------------------------------------------------------------


def test_the_list_shows_each_account_without_its_password(client, merchant):
    response = client.get("/v1/staff", headers=merchant.auth("owner"))

    assert response.status_code == 200
    by_role = {s["role"]: s for s in response.json()["items"]}
    assert by_role["barista"] == {
        "staff_id": merchant.staff_ids["barista"],
        "merchant_id": merchant.merchant_id,
        "email": merchant.emails["barista"],
        "name": "Barista",
        "role": "barista",
        "location_id": None,
        "daily_stamp_cap": None,
        "daily_points_cap": None,
    }
    assert "password" not in response.text


def test_the_list_pages_through_every_account_of_the_merchant(client, merchant, other_merchant):
    extra = {create_staff(client, merchant).json()["staff_id"] for _ in range(2)}
    expected = {*merchant.staff_ids.values(), *extra}
    seen: list[str] = []
    cursor = None

    for _ in range(20):
        params = {"limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/v1/staff", params=params, headers=merchant.auth("manager"))
        assert page.status_code == 200
        assert len(page.json()["items"]) <= 1
        assert all(s["merchant_id"] == merchant.merchant_id for s in page.json()["items"])
        seen += [s["staff_id"] for s in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break

    assert cursor is None, "the list never ended"
    assert sorted(seen) == sorted(expected)


def test_a_tampered_cursor_is_refused(client, merchant):
    first = client.get("/v1/staff", params={"limit": 1}, headers=merchant.auth("owner"))
    cursor = first.json()["next_cursor"]
    tampered = cursor[:5] + ("A" if cursor[5] != "A" else "B") + cursor[6:]

    response = client.get(
        "/v1/staff", params={"limit": 1, "cursor": tampered}, headers=merchant.auth("owner")
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("cursor", ["=", "x", "not a cursor", "AAAA" * 20])
def test_a_cursor_the_service_never_gave_out_is_refused(client, merchant, cursor):
    response = client.get("/v1/staff", params={"cursor": cursor}, headers=merchant.auth("owner"))

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_request"


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten"])
def test_a_limit_out_of_range_is_refused(client, merchant, limit):
    response = client.get("/v1/staff", params={"limit": limit}, headers=merchant.auth("owner"))

    assert response.status_code == 422


# --- tablet tokens -------------------------------------------------------------


def test_a_token_issued_for_an_account_works_for_that_account(client, merchant):
    barista_id = merchant.staff_ids["barista"]
    started = int(time.time())

    response = client.post(
        f"/v1/staff/{barista_id}/tokens",
        json={"ttl_seconds": 600},
        headers=merchant.auth("manager"),
    )

    assert response.status_code == 201, response.text
    token = response.json()["token"]
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["sub"] == barista_id
    assert claims["mid"] == merchant.merchant_id
    expires = datetime.fromisoformat(response.json()["expires_at"].replace("Z", "+00:00"))
    assert started + 600 <= expires.timestamp() <= time.time() + 600
    assert member_search_status(client, token) == 200


def long_token(merchant, role: str, seconds: int = 24 * 3600) -> str:
    """A token of `role` lasting `seconds`, as a sign-in would give one with a longer shift."""
    from chalicelib.services import auth
    from chalicelib.store.models import StaffItem

    return auth.issue_token(StaffItem.get(merchant.staff_ids[role]), ttl_seconds=seconds)[0]


def test_a_token_issued_without_a_body_lasts_the_default_time(client, merchant):
    response = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/tokens",
        headers=bearer(long_token(merchant, "owner")),
    )

    assert response.status_code == 201
    expires = datetime.fromisoformat(response.json()["expires_at"].replace("Z", "+00:00"))
    assert 11 * 3600 < expires.timestamp() - time.time() <= 12 * 3600


@pytest.mark.parametrize("ttl", [0, 59, 24 * 3600 + 1, "600", 600.5])
def test_a_token_lifetime_out_of_range_is_refused(client, merchant, ttl):
    response = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/tokens",
        json={"ttl_seconds": ttl},
        headers=merchant.auth("owner"),
    )

    assert response.status_code == 422


@pytest.mark.parametrize("target", ["owner", "manager"])
def test_a_manager_cannot_issue_a_token_for_a_manager_or_an_owner(client, merchant, target):
    other = create_staff(client, merchant, role=target).json()

    response = client.post(
        f"/v1/staff/{other['staff_id']}/tokens", headers=merchant.auth("manager")
    )

    assert response.status_code == 403


def test_a_barista_cannot_issue_tokens(client, merchant):
    response = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/tokens", headers=merchant.auth("barista")
    )

    assert response.status_code == 403


def test_a_token_never_outlives_the_token_that_issued_it(client, merchant):
    minter = long_token(merchant, "manager", seconds=600)
    minter_expires = jwt.decode(minter, options={"verify_signature": False})["exp"]

    response = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/tokens",
        json={"ttl_seconds": 24 * 3600},
        headers=bearer(minter),
    )

    assert response.status_code == 201
    claims = jwt.decode(response.json()["token"], options={"verify_signature": False})
    assert claims["exp"] <= minter_expires
    expires = datetime.fromisoformat(response.json()["expires_at"].replace("Z", "+00:00"))
    assert expires.timestamp() == claims["exp"]


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_nobody_issues_a_token_for_their_own_account(client, merchant, role):
    response = client.post(
        f"/v1/staff/{merchant.staff_ids[role]}/tokens",
        json={"ttl_seconds": 24 * 3600},
        headers=merchant.auth(role),
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


def test_an_owner_cannot_issue_a_token_for_another_owner(client, merchant):
    other = create_staff(client, merchant, role="owner").json()

    response = client.post(f"/v1/staff/{other['staff_id']}/tokens", headers=merchant.auth("owner"))

    assert response.status_code == 403


def test_an_issued_token_cannot_issue_tokens(client, merchant):
    manager_tablet = client.post(
        f"/v1/staff/{merchant.staff_ids['manager']}/tokens", headers=merchant.auth("owner")
    ).json()["token"]

    response = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/tokens",
        json={"ttl_seconds": 24 * 3600},
        headers=bearer(manager_tablet),
    )

    assert response.status_code == 403
    assert member_search_status(client, manager_tablet) == 200


@pytest.mark.parametrize(
    "change",
    [
        pytest.param({"daily_stamp_cap": 10_000}, id="stamp cap"),
        pytest.param({"daily_stamp_cap": None}, id="stamp cap removed"),
        pytest.param({"daily_points_cap": None}, id="points cap removed"),
        pytest.param({"location_id": "counter-9"}, id="location"),
    ],
)
@pytest.mark.parametrize("role", ["owner", "manager"])
def test_nobody_changes_their_own_cap_or_location(client, merchant, role, change):
    response = client.patch(
        f"/v1/staff/{merchant.staff_ids[role]}", json=change, headers=merchant.auth(role)
    )
    listed = client.get("/v1/staff", params={"limit": 100}, headers=merchant.auth("owner"))

    assert response.status_code == 403
    mine = next(s for s in listed.json()["items"] if s["staff_id"] == merchant.staff_ids[role])
    assert mine["location_id"] is None
    assert mine["daily_stamp_cap"] is None


def test_an_account_may_rename_itself(client, merchant):
    response = client.patch(
        f"/v1/staff/{merchant.staff_ids['manager']}",
        json={"name": "Mo"},
        headers=merchant.auth("manager"),
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Mo"


def test_a_token_for_an_unknown_account_is_not_found(client, merchant):
    response = client.post(
        "/v1/staff/AAAAAAAAAAAAAAAAAAAAAA/tokens", headers=merchant.auth("owner")
    )

    assert response.status_code == 404


# --- deleting accounts ---------------------------------------------------------


def test_a_deleted_account_can_no_longer_sign_in_and_its_tokens_are_refused(client, merchant):
    created = create_staff(client, merchant, role="barista").json()
    login_token = login(client, created["email"], created["password"]).json()["token"]
    tablet_token = client.post(
        f"/v1/staff/{created['staff_id']}/tokens", headers=merchant.auth("owner")
    ).json()["token"]

    deleted = client.delete(f"/v1/staff/{created['staff_id']}", headers=merchant.auth("manager"))

    assert deleted.status_code == 204
    assert deleted.content == b""
    refused = login(client, created["email"], created["password"])
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "invalid_credentials"
    assert member_search_status(client, login_token) == 401
    assert member_search_status(client, tablet_token) == 401
    assert created["staff_id"] not in listed_ids(client, merchant)


def test_deleting_an_account_twice_is_not_found(client, merchant):
    staff_id = create_staff(client, merchant).json()["staff_id"]
    client.delete(f"/v1/staff/{staff_id}", headers=merchant.auth("owner"))

    again = client.delete(f"/v1/staff/{staff_id}", headers=merchant.auth("owner"))
    token = client.post(f"/v1/staff/{staff_id}/tokens", headers=merchant.auth("owner"))

    assert again.status_code == 404
    assert token.status_code == 404


def test_a_deleted_accounts_email_can_be_given_to_a_new_account(client, merchant):
    old = create_staff(client, merchant).json()
    client.delete(f"/v1/staff/{old['staff_id']}", headers=merchant.auth("owner"))

    new = create_staff(client, merchant, email=old["email"])

    assert new.status_code == 201
    assert new.json()["staff_id"] != old["staff_id"]
    assert login(client, old["email"], new.json()["password"]).status_code == 200


def test_a_manager_cannot_delete_an_owner(client, merchant):
    owner_id = merchant.staff_ids["owner"]

    response = client.delete(f"/v1/staff/{owner_id}", headers=merchant.auth("manager"))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert owner_id in listed_ids(client, merchant)
    assert client.get("/v1/staff", headers=merchant.auth("owner")).status_code == 200


def test_a_manager_cannot_delete_another_manager(client, merchant):
    staff_id = create_staff(client, merchant, role="manager").json()["staff_id"]

    response = client.delete(f"/v1/staff/{staff_id}", headers=merchant.auth("manager"))

    assert response.status_code == 403
    assert staff_id in listed_ids(client, merchant)


def test_a_barista_cannot_delete_an_account(client, merchant):
    staff_id = create_staff(client, merchant).json()["staff_id"]

    response = client.delete(f"/v1/staff/{staff_id}", headers=merchant.auth("barista"))

    assert response.status_code == 403
    assert staff_id in listed_ids(client, merchant)


def test_an_owner_cannot_delete_their_own_account(client, merchant):
    response = client.delete(
        f"/v1/staff/{merchant.staff_ids['owner']}", headers=merchant.auth("owner")
    )

    assert response.status_code == 403
    assert client.get("/v1/staff", headers=merchant.auth("owner")).status_code == 200


def test_an_owner_deletes_another_owner(client, merchant):
    second = create_staff(client, merchant, role="owner").json()

    response = client.delete(f"/v1/staff/{second['staff_id']}", headers=merchant.auth("owner"))

    assert response.status_code == 204
    assert second["staff_id"] not in listed_ids(client, merchant)


def as_made_before_per_merchant_emails(staff: dict) -> None:
    """Give an account the global email claim accounts held before claims were per merchant."""
    from chalicelib.services import auth
    from chalicelib.store.models import UniqueItem

    UniqueItem(auth.staff_email_key(staff["merchant_id"], staff["email"])).delete()
    UniqueItem(auth.legacy_staff_email_key(staff["email"]), owner_id=staff["staff_id"]).save()


def test_an_email_held_by_an_older_account_of_the_merchant_is_still_a_conflict(
    client, merchant, other_merchant
):
    older = create_staff(client, merchant).json()
    as_made_before_per_merchant_emails(older)

    again = create_staff(client, merchant, email=older["email"])
    elsewhere = create_staff(client, other_merchant, email=older["email"])

    assert again.status_code == 409
    assert elsewhere.status_code == 201
    assert login(client, older["email"], older["password"]).status_code == 200


def test_deleting_an_older_account_frees_its_email(client, merchant):
    older = create_staff(client, merchant).json()
    as_made_before_per_merchant_emails(older)

    deleted = client.delete(f"/v1/staff/{older['staff_id']}", headers=merchant.auth("owner"))
    again = create_staff(client, merchant, email=older["email"])

    assert deleted.status_code == 204
    assert again.status_code == 201
