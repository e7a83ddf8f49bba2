"""Staff abuse controls: per-account daily stamp and points caps, and alerts on unusual stamping."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from tests.e2e.helpers import POINTS_CARD, create_program, enrol, stamp
from tests.e2e.ledger_helpers import paris_today

BIG_CARD = {
    "name": "Big card",
    "kind": "stamps",
    "stamps": {"required": 50, "reward": {"name": "Coffee"}},
}


def new_barista(client, merchant, **extra) -> dict:
    """A barista account made by the manager, with a token of its own."""
    response = client.post(
        "/v1/staff",
        json={
            "email": f"barista-{uuid.uuid4().hex[:12]}@example.com",
            "name": "Bo",
            "role": "barista",
            **extra,
        },
        headers=merchant.auth("manager"),
    )
    assert response.status_code == 201, response.text
    token = client.post(
        f"/v1/staff/{response.json()['staff_id']}/tokens", json={}, headers=merchant.auth("manager")
    ).json()["token"]
    return {**response.json(), "headers": {"Authorization": f"Bearer {token}"}}


def stamp_as(client, headers, member_id, count):
    return client.post(
        f"/v1/members/{member_id}/stamps",
        json={"count": count, "idempotency_key": uuid.uuid4().hex},
        headers=headers,
    )


def test_a_barista_over_their_daily_cap_is_refused_with_retry_after(client, merchant):
    barista = new_barista(client, merchant, daily_stamp_cap=5)
    program = create_program(client, merchant, BIG_CARD)
    member = enrol(client, program["program_id"])["member_id"]

    within = stamp_as(client, barista["headers"], member, 4)
    over = stamp_as(client, barista["headers"], member, 2)
    last = stamp_as(client, barista["headers"], member, 1)

    assert barista["daily_stamp_cap"] == 5
    assert within.status_code == 200
    assert over.status_code == 429
    assert over.json()["error"]["code"] == "scan_limit"
    assert 1 <= int(over.headers["Retry-After"]) <= 25 * 3600
    assert last.status_code == 200
    assert last.json()["member"]["balances"]["stamps"] == 5


def test_a_manager_lifts_a_cap_and_the_barista_can_stamp_again(client, merchant):
    barista = new_barista(client, merchant, daily_stamp_cap=1)
    program = create_program(client, merchant, BIG_CARD)
    member = enrol(client, program["program_id"])["member_id"]
    stamp_as(client, barista["headers"], member, 1)

    changed = client.patch(
        f"/v1/staff/{barista['staff_id']}",
        json={"daily_stamp_cap": None},
        headers=merchant.auth("manager"),
    )
    again = stamp_as(client, barista["headers"], member, 3)

    assert changed.status_code == 200
    assert changed.json()["daily_stamp_cap"] is None
    assert again.status_code == 200


def test_a_barista_cannot_change_a_cap(client, merchant):
    response = client.patch(
        f"/v1/staff/{merchant.staff_ids['barista']}",
        json={"daily_stamp_cap": 1000},
        headers=merchant.auth("barista"),
    )

    assert response.status_code == 403


def test_stamping_far_above_the_usual_raises_an_alert(client, merchant):
    from chalicelib.store.models import StaffDayItem

    heavy = new_barista(client, merchant)
    steady = new_barista(client, merchant)
    today = date.fromisoformat(paris_today())
    for days_ago in range(1, 8):
        day = (today - timedelta(days=days_ago)).isoformat()
        for account in (heavy, steady):
            StaffDayItem(
                account["staff_id"], day, merchant_id=merchant.merchant_id, stamps=8, scans=8
            ).save()
    program = create_program(client, merchant, BIG_CARD)
    member = enrol(client, program["program_id"])["member_id"]
    stamp_as(client, heavy["headers"], member, 40)
    stamp_as(client, steady["headers"], member, 9)

    response = client.get("/v1/alerts", headers=merchant.auth("manager"))

    assert response.status_code == 200
    alerts = response.json()["items"]
    assert [a["staff_id"] for a in alerts] == [heavy["staff_id"]]
    assert alerts[0]["today"]["stamps"] == 40
    assert alerts[0]["usual_stamps"] == 8
    assert alerts[0]["ratio"] == 5


def test_alerts_are_for_managers(client, merchant):
    response = client.get("/v1/alerts", headers=merchant.auth("barista"))

    assert response.status_code == 403


def test_alerts_never_show_another_merchants_staff(client, merchant, other_merchant):
    program = create_program(client, merchant, BIG_CARD)
    member = enrol(client, program["program_id"])["member_id"]
    stamp(client, merchant, member, count=100)

    response = client.get("/v1/alerts", headers=other_merchant.auth("manager"))

    assert response.status_code == 200
    assert response.json()["items"] == []


def test_a_first_request_of_the_day_above_the_stamp_cap_is_refused(client, merchant):
    barista = new_barista(client, merchant, daily_stamp_cap=3)
    program = create_program(client, merchant, BIG_CARD)
    member = enrol(client, program["program_id"])["member_id"]

    first = stamp_as(client, barista["headers"], member, 50)
    card = client.get(f"/v1/members/{member}", headers=merchant.auth("manager"))

    assert first.status_code == 429
    assert first.json()["error"]["code"] == "scan_limit"
    assert card.json()["balances"]["stamps"] == 0


def buy_as(client, headers, member_id, amount):
    return client.post(
        f"/v1/members/{member_id}/purchases",
        json={"amount": {"amount": amount, "currency": "EUR"}, "idempotency_key": uuid.uuid4().hex},
        headers=headers,
    )


def test_a_barista_over_their_daily_points_cap_is_refused(client, merchant):
    barista = new_barista(client, merchant, daily_points_cap=20)
    program = create_program(client, merchant, POINTS_CARD)
    member = enrol(client, program["program_id"])["member_id"]

    first = buy_as(client, barista["headers"], member, "50.00")
    within = buy_as(client, barista["headers"], member, "15.00")
    over = buy_as(client, barista["headers"], member, "6.00")
    last = buy_as(client, barista["headers"], member, "5.00")

    assert barista["daily_points_cap"] == 20
    assert first.status_code == 429
    assert "stamps and points" in first.json()["error"]["message"]
    assert within.status_code == 200
    assert over.status_code == 429
    assert last.status_code == 200
    assert last.json()["member"]["balances"]["points"] == 20


def test_a_manager_sets_and_removes_a_points_cap(client, merchant):
    barista = new_barista(client, merchant)

    capped = client.patch(
        f"/v1/staff/{barista['staff_id']}",
        json={"daily_points_cap": 500},
        headers=merchant.auth("manager"),
    )
    lifted = client.patch(
        f"/v1/staff/{barista['staff_id']}",
        json={"daily_points_cap": None},
        headers=merchant.auth("manager"),
    )

    assert capped.status_code == 200
    assert capped.json()["daily_points_cap"] == 500
    assert lifted.json()["daily_points_cap"] is None
