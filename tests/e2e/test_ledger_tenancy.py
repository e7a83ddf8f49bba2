"""Who may change a card: another merchant's token finds nothing, roles are enforced,
and an expired or revoked token is refused. Every refusal writes nothing."""

from __future__ import annotations

import time

import jwt
import pytest

from tests.e2e.helpers import STAMP_CARD, create_program, enrol, key, stamp
from tests.e2e.ledger_helpers import member, paris_today, points_card, snapshot

UNKNOWN_ID = "AAAAAAAAAAAAAAAAAAAAAA"  # the shape of an id, naming nothing


@pytest.fixture
def ours(client, merchant):
    """A stamp-card member with a reward and a stamp, and a points member with points."""
    stamps = create_program(client, merchant, STAMP_CARD)
    card_member = enrol(client, stamps["program_id"])["member_id"]
    unlocked = stamp(client, merchant, card_member, count=10).json()
    last = stamp(client, merchant, card_member, count=2).json()["transaction"]
    points = create_program(client, merchant, points_card())
    points_member = enrol(client, points["program_id"])["member_id"]
    client.post(
        f"/v1/members/{points_member}/purchases",
        json={"amount": {"amount": "80.00", "currency": "EUR"}, "idempotency_key": key()},
        headers=merchant.auth("barista"),
    )
    return {
        "program_id": stamps["program_id"],
        "member_id": card_member,
        "reward_id": unlocked["rewards_unlocked"][0]["reward_id"],
        "transaction_id": last["transaction_id"],
        "points_member_id": points_member,
    }


def requests_on(ids: dict, member_id: str | None = None, transaction_id: str | None = None):
    """Every ledger route, aimed at the given member and transaction."""
    member_id = member_id or ids["member_id"]
    points_member_id = member_id if member_id == UNKNOWN_ID else ids["points_member_id"]
    transaction_id = transaction_id or ids["transaction_id"]
    program_id = member_id if member_id == UNKNOWN_ID else ids["program_id"]
    today = paris_today()
    return {
        "stamps": ("POST", f"/v1/members/{member_id}/stamps", {"count": 1}),
        "purchases": (
            "POST",
            f"/v1/members/{points_member_id}/purchases",
            {"amount": {"amount": "5.00", "currency": "EUR"}},
        ),
        "reward redemption": (
            "POST",
            f"/v1/members/{member_id}/redemptions",
            {"reward_id": ids["reward_id"]},
        ),
        "catalog redemption": (
            "POST",
            f"/v1/members/{points_member_id}/redemptions",
            {"catalog_item_id": "espresso"},
        ),
        "transactions": ("GET", f"/v1/members/{member_id}/transactions", None),
        "void": ("POST", f"/v1/transactions/{transaction_id}/void", {}),
        "stats": ("GET", f"/v1/programs/{program_id}/stats?from={today}&to={today}", None),
        "erase": ("DELETE", f"/v1/members/{member_id}", None),
    }


ROUTES = [
    "stamps",
    "purchases",
    "reward redemption",
    "catalog redemption",
    "transactions",
    "void",
    "stats",
    "erase",
]


def send(client, merchant, role: str, request, idem: str):
    method, url, body = request
    if body is not None and method == "POST":
        body = {**body, "idempotency_key": idem}
    return client.request(method, url, json=body, headers=merchant.auth(role))


def state(client, merchant, ids: dict) -> dict:
    return {
        "card": snapshot(client, merchant, ids["member_id"]),
        "points": snapshot(client, merchant, ids["points_member_id"]),
    }


# --- another merchant's ids ----------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("role", ["owner", "barista"])
def test_another_merchant_finds_no_ledger_route_on_our_ids_and_writes_nothing(
    client, merchant, other_merchant, ours, route, role
):
    before = state(client, merchant, ours)
    idem = key()

    response = send(client, other_merchant, role, requests_on(ours)[route], idem)
    unknown = send(
        client, other_merchant, role, requests_on(ours, UNKNOWN_ID, UNKNOWN_ID)[route], key()
    )

    if role == "barista" and route in ("void", "stats", "erase"):
        assert response.status_code == 403, response.text
    else:
        assert response.status_code == 404, response.text
        assert response.json() == unknown.json()
    assert state(client, merchant, ours) == before
    assert member(client, merchant, ours["member_id"])["name"] == "Ada"


def test_our_idempotency_key_replays_nothing_for_another_merchant(
    client, merchant, other_merchant, ours
):
    idem = key()
    ours_first = stamp(client, merchant, ours["member_id"], count=1, idem=idem)
    before = state(client, merchant, ours)

    response = stamp(client, other_merchant, ours["member_id"], count=1, idem=idem)

    assert ours_first.status_code == 200, ours_first.text
    assert response.status_code == 404, response.text
    assert state(client, merchant, ours) == before


# --- roles -----------------------------------------------------------------------------


def test_a_barista_cannot_void_and_nothing_changes(client, merchant, ours):
    before = state(client, merchant, ours)

    response = client.post(
        f"/v1/transactions/{ours['transaction_id']}/void",
        json={},
        headers=merchant.auth("barista"),
    )

    assert response.status_code == 403, response.text
    assert response.json()["error"]["code"] == "forbidden"
    assert state(client, merchant, ours) == before


def test_a_barista_cannot_erase_a_member(client, merchant, ours):
    response = client.delete(f"/v1/members/{ours['member_id']}", headers=merchant.auth("barista"))

    assert response.status_code == 403, response.text
    assert member(client, merchant, ours["member_id"])["name"] == "Ada"


# --- tokens ------------------------------------------------------------------------


def expired_token(merchant, account: str = "barista") -> str:
    """A token the service itself signed for a real account, an hour past its expiry."""
    from chalicelib.config import settings
    from chalicelib.secrets import secrets

    now = int(time.time())
    claims = {
        "sub": merchant.staff_ids[account],
        "mid": merchant.merchant_id,
        "role": account,
        "loc": None,
        "iat": now - 7200,
        "exp": now - 3600,
        "jti": key(),
        "aud": settings().jwt_audience,
        "iss": settings().jwt_issuer,
    }
    return jwt.encode(claims, secrets().jwt_private_key, algorithm="ES256")


def test_an_expired_token_cannot_stamp(client, merchant, ours):
    before = state(client, merchant, ours)

    response = client.post(
        f"/v1/members/{ours['member_id']}/stamps",
        json={"count": 1, "idempotency_key": key()},
        headers={"Authorization": f"Bearer {expired_token(merchant)}"},
    )

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert state(client, merchant, ours) == before


def entries_as_manager(client, merchant, member_id: str) -> list[dict]:
    response = client.get(
        f"/v1/members/{member_id}/transactions",
        params={"limit": 100},
        headers=merchant.auth("manager"),
    )
    assert response.status_code == 200, response.text
    return response.json()["items"]


def test_a_revoked_token_cannot_stamp(client, merchant, ours):
    deleted = client.delete(
        f"/v1/staff/{merchant.staff_ids['barista']}", headers=merchant.auth("owner")
    )
    assert deleted.status_code == 204, deleted.text
    before = entries_as_manager(client, merchant, ours["member_id"])

    response = stamp(client, merchant, ours["member_id"])

    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "unauthorized"
    assert entries_as_manager(client, merchant, ours["member_id"]) == before


def test_a_revoked_token_cannot_replay_a_stamp_it_made(client, merchant, ours):
    idem = key()
    assert stamp(client, merchant, ours["member_id"], idem=idem).status_code == 200
    deleted = client.delete(
        f"/v1/staff/{merchant.staff_ids['barista']}", headers=merchant.auth("owner")
    )
    assert deleted.status_code == 204, deleted.text

    response = stamp(client, merchant, ours["member_id"], idem=idem)

    assert response.status_code == 401, response.text
