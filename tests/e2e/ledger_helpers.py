"""Helpers for the ledger's end-to-end tests, beside helpers.py (which they reuse)."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from tests.e2e.helpers import key, ledger

BIG_CARD = {
    "name": "Big card",
    "kind": "stamps",
    "stamps": {"required": 50, "reward": {"name": "Free cake"}},
}

JPY_CARD = {
    "name": "Yen points",
    "kind": "points",
    "points": {"per_unit": "1", "currency": "JPY"},
}


def card(**sections) -> dict:
    """A ten-stamp card with extra program sections (limits, welcome, tiers...)."""
    return {
        "name": "Coffee card",
        "kind": "stamps",
        "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
        **sections,
    }


def points_card(**sections) -> dict:
    """One point per euro, an espresso for 50 points, plus extra sections."""
    return {
        "name": "Points",
        "kind": "points",
        "points": {
            "per_unit": "1",
            "currency": "EUR",
            "catalog": [{"id": "espresso", "name": "Espresso", "cost": 50}],
        },
        **sections,
    }


def purchase(
    client, merchant, member_id: str, amount: str, currency="EUR", idem=None, role="barista"
):
    return client.post(
        f"/v1/members/{member_id}/purchases",
        json={"amount": {"amount": amount, "currency": currency}, "idempotency_key": idem or key()},
        headers=merchant.auth(role),
    )


def redeem(client, merchant, member_id: str, idem=None, **what):
    return client.post(
        f"/v1/members/{member_id}/redemptions",
        json={**what, "idempotency_key": idem or key()},
        headers=merchant.auth("barista"),
    )


def void(client, merchant, transaction_id: str, role="manager", **body):
    return client.post(
        f"/v1/transactions/{transaction_id}/void", json=body, headers=merchant.auth(role)
    )


def member(client, merchant, member_id: str) -> dict:
    response = client.get(f"/v1/members/{member_id}", headers=merchant.auth("barista"))
    assert response.status_code == 200, response.text
    return response.json()


def snapshot(client, merchant, member_id: str) -> dict:
    """What a refused request must leave unchanged: balances, tier, rewards and the ledger."""
    view = member(client, merchant, member_id)
    entries = ledger(client, merchant, member_id)
    return {
        "balances": view["balances"],
        "tier": view["tier"],
        "rewards": view["rewards"],
        "ledger": [(e["transaction_id"], e["voided"]) for e in entries],
    }


def send_until_settled(send, attempts: int = 30):
    """Send until the answer is not `409 conflict` (the service's "retry with the same key").

    Returns every answer, the last one settled; a 5xx stops at once.
    """
    answers = []
    for _ in range(attempts):
        response = send()
        answers.append(response)
        if response.status_code >= 500:
            return answers
        if response.status_code != 409 or response.json()["error"]["code"] != "conflict":
            return answers
        time.sleep(0.02)
    return answers


def paris_today() -> str:
    """Today in the `merchant` fixture's time zone (Europe/Paris)."""
    return datetime.now(ZoneInfo("Europe/Paris")).date().isoformat()


def seconds_to_paris_midnight() -> float:
    """Seconds until the merchant's next day begins (timestamps: DST-safe)."""
    zone = ZoneInfo("Europe/Paris")
    now = datetime.now(zone)
    midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=zone)
    return midnight.timestamp() - now.timestamp()
