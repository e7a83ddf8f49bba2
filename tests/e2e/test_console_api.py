"""What the console's member and staff screens need: password resets, the card by email,
a ledger that names who did what and why, and an account's own actions."""

from __future__ import annotations

import uuid

from tests.e2e.helpers import create_program, enrol, key, ledger, program_with_locations, stamp
from tests.e2e.test_staff_controls import new_barista


def sign_in(client, email: str, password: str):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def mail_to(client, address: str) -> list[dict]:
    return [m for m in client.get("/dev/mail").json()["items"] if m["to"] == address]


# --- POST /v1/staff/{id}/password -------------------------------------------------------


def test_a_reset_password_signs_in_once_shown_and_the_old_one_and_old_tokens_stop(client, merchant):
    barista = new_barista(client, merchant)
    old_password = barista["password"]

    reset = client.post(
        f"/v1/staff/{barista['staff_id']}/password", headers=merchant.auth("manager")
    )

    assert reset.status_code == 200, reset.text
    new_password = reset.json()["password"]
    assert new_password != old_password
    assert reset.json()["staff_id"] == barista["staff_id"]
    assert sign_in(client, barista["email"], new_password).status_code == 200
    assert sign_in(client, barista["email"], old_password).status_code == 401
    # The token the barista held before the reset is revoked.
    assert client.get("/v1/programs", headers=barista["headers"]).status_code == 401
    listed = client.get("/v1/staff", params={"limit": 100}, headers=merchant.auth("owner"))
    assert all("password" not in s for s in listed.json()["items"])


def test_a_manager_resets_baristas_only_and_an_owner_anyone_but_themselves(client, merchant):
    manager, owner = merchant.auth("manager"), merchant.auth("owner")

    by_manager = client.post(f"/v1/staff/{merchant.staff_ids['owner']}/password", headers=manager)
    own = client.post(f"/v1/staff/{merchant.staff_ids['manager']}/password", headers=manager)
    by_barista = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/password", headers=merchant.auth("barista")
    )
    owns_own = client.post(f"/v1/staff/{merchant.staff_ids['owner']}/password", headers=owner)
    by_owner = client.post(f"/v1/staff/{merchant.staff_ids['manager']}/password", headers=owner)

    assert by_manager.status_code == 403
    assert own.status_code == 403
    assert by_barista.status_code == 403
    assert owns_own.status_code == 403
    assert by_owner.status_code == 200


def test_a_tablet_token_cannot_reset_a_password(client, merchant):
    tablet = client.post(
        f"/v1/staff/{merchant.staff_ids['manager']}/tokens",
        json={"ttl_seconds": 600},
        headers=merchant.auth("owner"),
    ).json()["token"]

    refused = client.post(
        f"/v1/staff/{merchant.staff_ids['barista']}/password",
        headers={"Authorization": f"Bearer {tablet}"},
    )

    assert refused.status_code == 403


def test_another_merchants_staff_password_is_not_found_and_unchanged(
    client, merchant, other_merchant
):
    theirs = other_merchant.staff_ids["barista"]

    refused = client.post(f"/v1/staff/{theirs}/password", headers=merchant.auth("owner"))

    assert refused.status_code == 404
    still = sign_in(client, other_merchant.emails["barista"], other_merchant.passwords["barista"])
    assert still.status_code == 200


def test_resets_are_limited_per_caller(client, merchant):
    barista = new_barista(client, merchant)
    path = f"/v1/staff/{barista['staff_id']}/password"

    answers = [client.post(path, headers=merchant.auth("manager")) for _ in range(11)]

    assert [a.status_code for a in answers[:10]] == [200] * 10
    assert answers[10].status_code == 429
    assert answers[10].json()["error"]["code"] == "too_many_password_resets"
    assert int(answers[10].headers["Retry-After"]) >= 1


# --- POST /v1/members/{id}/card-email -----------------------------------------------------


def test_staff_email_a_member_their_card_with_both_wallet_links(client, merchant):
    program = create_program(client, merchant)
    address = f"card-{uuid.uuid4().hex[:10]}@example.com"
    member_id = enrol(client, program["program_id"], address)["member_id"]

    sent = client.post(f"/v1/members/{member_id}/card-email", headers=merchant.auth("barista"))

    assert sent.status_code == 200, sent.text
    assert sent.json()["status"] == "sent"
    [mail] = mail_to(client, address)
    assert mail["subject"].startswith("Your card for Coffee card")
    assert "Add to Apple Wallet: " in mail["text"]
    assert member_id not in mail["subject"]


def test_the_card_email_shares_the_enrolments_daily_limit_per_address(client, merchant):
    program = create_program(client, merchant)
    address = f"limit-{uuid.uuid4().hex[:10]}@example.com"
    member_id = enrol(client, program["program_id"], address)["member_id"]
    path = f"/v1/members/{member_id}/card-email"

    answers = [client.post(path, headers=merchant.auth("barista")) for _ in range(4)]

    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[3].json()["error"]["code"] == "too_many_card_emails"
    assert len(mail_to(client, address)) == 3


def test_no_card_email_for_an_erased_member_nor_another_merchants(client, merchant, other_merchant):
    program = create_program(client, merchant)
    address = f"gone-{uuid.uuid4().hex[:10]}@example.com"
    member_id = enrol(client, program["program_id"], address)["member_id"]
    theirs = enrol(client, create_program(client, other_merchant)["program_id"])["member_id"]
    client.delete(f"/v1/members/{member_id}", headers=merchant.auth("owner"))

    erased = client.post(f"/v1/members/{member_id}/card-email", headers=merchant.auth("owner"))
    foreign = client.post(f"/v1/members/{theirs}/card-email", headers=merchant.auth("owner"))

    assert erased.status_code == 404
    assert foreign.status_code == 404
    assert mail_to(client, address) == []


# --- the ledger: who, where, why ------------------------------------------------------------


def test_the_ledger_names_the_staff_member_and_keeps_a_voids_reason(client, merchant):
    program = program_with_locations(client, merchant, "counter-1")
    moved = client.patch(
        f"/v1/staff/{merchant.staff_ids['barista']}",
        json={"location_id": "counter-1"},
        headers=merchant.auth("owner"),
    )
    assert moved.status_code == 200, moved.text
    member_id = enrol(client, program["program_id"])["member_id"]
    mistake = stamp(client, merchant, member_id, 2).json()["transaction"]["transaction_id"]

    voided = client.post(
        f"/v1/transactions/{mistake}/void",
        json={"reason": "Stamped the wrong card", "idempotency_key": key()},
        headers=merchant.auth("manager"),
    )

    assert voided.status_code == 200, voided.text
    assert voided.json()["transaction"]["reason"] == "Stamped the wrong card"
    entries = {e["type"]: e for e in ledger(client, merchant, member_id)}
    assert entries["stamp"]["staff_name"] == "Barista"
    assert entries["stamp"]["location_id"] == "counter-1"
    assert entries["stamp"]["voided"] is True
    assert entries["void"]["staff_name"] == "Manager"
    assert entries["void"]["reason"] == "Stamped the wrong card"
    assert entries["void"]["member_id"] == member_id


def test_a_closed_accounts_entries_keep_its_name(client, merchant):
    barista = new_barista(client, merchant)
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]
    client.post(
        f"/v1/members/{member_id}/stamps",
        json={"count": 1, "idempotency_key": key()},
        headers=barista["headers"],
    )

    client.delete(f"/v1/staff/{barista['staff_id']}", headers=merchant.auth("manager"))

    [entry] = [e for e in ledger(client, merchant, member_id) if e["type"] == "stamp"]
    assert entry["staff_name"] == "Bo"


# --- GET /v1/staff/{id}/transactions -----------------------------------------------------------


def test_an_accounts_actions_list_what_it_did_newest_first_across_members(client, merchant):
    barista = new_barista(client, merchant)
    program = create_program(client, merchant)
    first, second = (enrol(client, program["program_id"])["member_id"] for _ in range(2))
    for member_id, count in ((first, 1), (second, 2), (first, 3)):
        client.post(
            f"/v1/members/{member_id}/stamps",
            json={"count": count, "idempotency_key": key()},
            headers=barista["headers"],
        )
    stamp(client, merchant, first, 4)  # the merchant's other barista: not listed

    listed = client.get(
        f"/v1/staff/{barista['staff_id']}/transactions",
        params={"limit": 2},
        headers=merchant.auth("manager"),
    )
    rest = client.get(
        f"/v1/staff/{barista['staff_id']}/transactions",
        params={"limit": 2, "cursor": listed.json()["next_cursor"]},
        headers=merchant.auth("manager"),
    )

    assert listed.status_code == 200, listed.text
    items = listed.json()["items"] + rest.json()["items"]
    assert [(i["member_id"], i["stamps_added"]) for i in items] == [
        (first, 3),
        (second, 2),
        (first, 1),
    ]
    assert {i["staff_name"] for i in items} == {"Bo"}


def test_an_accounts_actions_are_for_managers_of_the_same_merchant(
    client, merchant, other_merchant
):
    barista_id = merchant.staff_ids["barista"]

    by_barista = client.get(
        f"/v1/staff/{barista_id}/transactions", headers=merchant.auth("barista")
    )
    by_other = client.get(
        f"/v1/staff/{barista_id}/transactions", headers=other_merchant.auth("owner")
    )

    assert by_barista.status_code == 403
    assert by_other.status_code == 404


# --- PATCH /v1/staff/{id} role -----------------------------------------------------------------


def test_an_owner_makes_a_barista_a_manager_and_their_token_acts_as_one_at_once(client, merchant):
    barista = new_barista(client, merchant)
    assert client.get("/v1/staff", headers=barista["headers"]).status_code == 403

    promoted = client.patch(
        f"/v1/staff/{barista['staff_id']}", json={"role": "manager"}, headers=merchant.auth("owner")
    )

    assert promoted.status_code == 200, promoted.text
    assert promoted.json()["role"] == "manager"
    assert client.get("/v1/staff", headers=barista["headers"]).status_code == 200


def test_a_manager_cannot_promote_a_barista_nor_change_their_own_role(client, merchant):
    manager = merchant.auth("manager")

    promote = client.patch(
        f"/v1/staff/{merchant.staff_ids['barista']}", json={"role": "manager"}, headers=manager
    )
    own = client.patch(
        f"/v1/staff/{merchant.staff_ids['manager']}", json={"role": "barista"}, headers=manager
    )
    nobody = client.patch(
        f"/v1/staff/{merchant.staff_ids['barista']}", json={"role": "chef"}, headers=manager
    )

    assert promote.status_code == 403
    assert own.status_code == 403
    assert nobody.status_code in (400, 422)
    listed = client.get("/v1/staff", params={"limit": 100}, headers=manager).json()["items"]
    roles = {s["staff_id"]: s["role"] for s in listed}
    assert roles[merchant.staff_ids["barista"]] == "barista"
    assert roles[merchant.staff_ids["manager"]] == "manager"


def test_a_void_reason_with_control_characters_is_refused_and_nothing_is_voided(client, merchant):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"])["member_id"]
    mistake = stamp(client, merchant, member_id, 1).json()["transaction"]["transaction_id"]

    refused = client.post(
        f"/v1/transactions/{mistake}/void",
        json={"reason": "oops\u202e", "idempotency_key": key()},
        headers=merchant.auth("manager"),
    )

    assert refused.status_code == 422
    assert not any(e["voided"] for e in ledger(client, merchant, member_id))
