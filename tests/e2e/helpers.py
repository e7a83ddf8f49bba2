"""Small HTTP helpers shared by the end-to-end tests."""

from __future__ import annotations

import uuid

STAMP_CARD = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "design": {"background_color": "#3B2A20", "logo_text": "Test Café"},
}

POINTS_CARD = {
    "name": "Points",
    "kind": "points",
    "points": {
        "per_unit": "1",
        "currency": "EUR",
        "catalog": [{"id": "espresso", "name": "Espresso", "cost": 50}],
    },
}


def key() -> str:
    return uuid.uuid4().hex


def create_program(client, merchant, document=STAMP_CARD) -> dict:
    response = client.post("/v1/programs", json=document, headers=merchant.auth("owner"))
    assert response.status_code == 201, response.text
    return response.json()


def location(location_id: str, latitude: float = 48.8566, longitude: float = 2.3522) -> dict:
    return {
        "id": location_id,
        "name": f"Shop {location_id}",
        "latitude": latitude,
        "longitude": longitude,
    }


def program_with_locations(client, merchant, *location_ids: str, document=STAMP_CARD) -> dict:
    """A program of the merchant with these shops: staff may then work at them."""
    return create_program(
        client, merchant, {**document, "locations": [location(i) for i in location_ids]}
    )


def enrol(client, program_id: str, email: str | None = None, **extra) -> dict:
    body = {
        "name": "Ada",
        "email": email or f"{uuid.uuid4().hex[:10]}@example.com",
        "consent": {"terms": True},
        **extra,
    }
    response = client.post(f"/v1/programs/{program_id}/enrollments", json=body)
    assert response.status_code in (200, 201), response.text
    return response.json()


def stamp(
    client, merchant, member_id: str, count: int = 1, idem: str | None = None, role="barista"
):
    return client.post(
        f"/v1/members/{member_id}/stamps",
        json={"count": count, "idempotency_key": idem or key()},
        headers=merchant.auth(role),
    )


def ledger(client, merchant, member_id: str) -> list[dict]:
    items, cursor = [], None
    while True:
        params = {"limit": 100, **({"cursor": cursor} if cursor else {})}
        response = client.get(
            f"/v1/members/{member_id}/transactions", params=params, headers=merchant.auth("barista")
        )
        assert response.status_code == 200, response.text
        items += response.json()["items"]
        cursor = response.json()["next_cursor"]
        if not cursor:
            return items
