"""Google Wallet class and object bodies, field by field."""

from __future__ import annotations

import os

import pytest

from chalicelib import ids
from chalicelib.domain import card_number
from chalicelib.domain.ledger import Reward
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.wallet.google.objects import hex_colour, loyalty_class, loyalty_object

ISSUER = "3388000000000000001"

STAMP_CARD = {
    "name": "Coffee Card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "design": {"background_color": "rgb(60, 65, 76)", "foreground_color": "#FFFFFF"},
}

POINTS_PROGRAM = {
    "name": "Bean Points",
    "kind": "points",
    "points": {"per_unit": "1", "currency": "EUR", "catalog": []},
    "tiers": [
        {"name": "Gold", "threshold": 500, "multiplier": "1.5"},
        {"name": "Silver", "threshold": 100, "multiplier": "1.2"},
    ],
    "design": {"background_color": "#1A2B3C"},
}


def plain(body):
    """The body without its LocalizedStrings (test_languages.py checks those)."""
    if isinstance(body, dict):
        return {k: plain(v) for k, v in body.items() if not k.startswith("localized")}
    if isinstance(body, list):
        return [plain(v) for v in body]
    return body


def member(**changes):
    view = {
        "member_id": ids.new_id(),
        "program_id": ids.new_id(),
        "name": "Ada Lovelace",
        "card_number": card_number.generate(os.urandom(card_number.RANDOM_BYTES)),
        "balances": {"stamps": 7, "points": 0},
        "tier": None,
        "rewards": [],
        "updated_at": "2026-11-25T08:00:00Z",
    }
    view.update(changes)
    return view


def snapshot(view: dict, erased: bool = False) -> Member:
    """The member the builder takes, with what `view` shows."""
    return Member(
        member_id=view["member_id"],
        program_id=view["program_id"],
        name=view["name"],
        card_number=view["card_number"],
        stamps=view["balances"]["stamps"],
        points=view["balances"]["points"],
        tier=view["tier"],
        rewards=tuple(
            Reward(
                r["reward_id"],
                r["name"],
                "stamps",
                ids.new_id(),
                "2026-11-01T08:00:00Z",
                r["expires_at"],
            )
            for r in view["rewards"]
        ),
        erased=erased,
    )


def rules(document: dict) -> Program:
    return Program.model_validate(document)


def test_a_stamp_card_class_has_the_program_name_logo_colour_and_callback():
    program_id = ids.new_id()

    body = loyalty_class(
        ISSUER,
        program_id,
        rules(STAMP_CARD),
        "Café Blue",
        "https://loyalty.example/v1/programs/p/images/logo.png",
        "https://loyalty.example/google/callbacks",
    )

    assert plain(body) == {
        "id": f"{ISSUER}.{program_id}",
        "issuerName": "Café Blue",
        "programName": "Coffee Card",
        "programLogo": {
            "sourceUri": {"uri": "https://loyalty.example/v1/programs/p/images/logo.png"}
        },
        "accountNameLabel": "Member",
        "accountIdLabel": "Member ID",
        "reviewStatus": "UNDER_REVIEW",
        "callbackOptions": {"url": "https://loyalty.example/google/callbacks"},
        "hexBackgroundColor": "#3c414c",
        # Empty, not absent: the class is patched, and a patch keeps what it leaves out.
        "merchantLocations": [],
    }


def test_a_class_lists_the_program_s_shops_as_merchant_locations():
    shops = [
        {"id": "bastille", "name": "Bastille", "latitude": 48.8532, "longitude": 2.3692},
        {"name": "Marais", "latitude": -33.5, "longitude": 151, "relevant_text": "Near"},
    ]

    body = loyalty_class(
        ISSUER,
        ids.new_id(),
        rules({**STAMP_CARD, "locations": shops}),
        "Café Blue",
        "https://l/x.png",
        "https://c",
    )

    assert body["merchantLocations"] == [
        {"latitude": 48.8532, "longitude": 2.3692},
        {"latitude": -33.5, "longitude": 151.0},
    ]
    assert "locations" not in body  # Google's deprecated LatLongPoint list


def test_a_points_class_with_tiers_labels_the_tier_and_lists_the_tiers_in_order():
    program_id = ids.new_id()

    body = loyalty_class(
        ISSUER, program_id, rules(POINTS_PROGRAM), "Café Blue", "https://l/x.png", "https://c"
    )

    assert body["hexBackgroundColor"] == "#1a2b3c"
    assert body["rewardsTierLabel"] == "Tier"
    assert "rewardsTier" not in body
    assert plain(body["textModulesData"]) == [
        {"id": "tiers", "header": "Tiers", "body": "Silver from 100 points, Gold from 500 points"}
    ]


def test_a_class_without_a_design_has_no_colour():
    program = {key: value for key, value in STAMP_CARD.items() if key != "design"}

    body = loyalty_class(
        ISSUER, ids.new_id(), rules(program), "Café Blue", "https://l/x.png", "https://c"
    )

    assert "hexBackgroundColor" not in body
    assert "textModulesData" not in body


@pytest.mark.parametrize(
    ("colour", "expected"),
    [("rgb(0, 0, 0)", "#000000"), ("rgb(255,255,255)", "#ffffff"), ("#ABCDEF", "#abcdef")],
)
def test_a_design_colour_becomes_lower_case_hex(colour, expected):
    assert hex_colour(colour) == expected


@pytest.mark.parametrize("colour", ["rgb(256, 0, 0)", "red", "#12345", "rgb(1, 2)"])
def test_a_malformed_colour_is_refused(colour):
    with pytest.raises(ValueError):
        hex_colour(colour)


def test_a_stamp_card_object_shows_stamps_out_of_required_and_the_rewards_ready():
    view = member(
        balances={"stamps": 7, "points": 0},
        rewards=[
            {"reward_id": "r-1", "name": "Free coffee", "expires_at": "2026-12-31T23:59:59Z"},
            {"reward_id": "r_2", "name": "Free cake", "expires_at": None},
        ],
    )

    body = plain(loyalty_object(ISSUER, snapshot(view), "QR-VALUE", 10))

    assert body == {
        "id": f"{ISSUER}.{view['member_id']}",
        "classId": f"{ISSUER}.{view['program_id']}",
        "state": "ACTIVE",
        "accountId": view["member_id"],
        "accountName": "Ada Lovelace",
        "loyaltyPoints": {"label": "Stamps", "balance": {"string": "7 / 10"}},
        "secondaryLoyaltyPoints": {"label": "Rewards ready", "balance": {"int": 2}},
        "barcode": {
            "type": "QR_CODE",
            "value": "QR-VALUE",
            "alternateText": card_number.display(view["card_number"]),
        },
        "textModulesData": [
            {"id": "reward-r-1", "header": "Free coffee", "body": "Valid until Dec 31, 2026"},
            {"id": "reward-r_2", "header": "Free cake", "body": "Ready"},
        ],
    }


def test_an_object_without_a_card_number_shows_no_text_under_the_qr_code():
    view = member(card_number=None)

    body = loyalty_object(ISSUER, snapshot(view), "QR-VALUE", 10)

    assert body["barcode"] == {"type": "QR_CODE", "value": "QR-VALUE"}


def test_a_points_object_shows_points_as_an_integer_and_the_tier():
    view = member(balances={"stamps": 0, "points": 1250}, tier="Gold")

    body = plain(loyalty_object(ISSUER, snapshot(view), "QR-VALUE", None))

    assert body["loyaltyPoints"] == {"label": "Points", "balance": {"int": 1250}}
    assert body["secondaryLoyaltyPoints"] == {"label": "Rewards ready", "balance": {"int": 0}}
    assert body["textModulesData"] == [{"id": "tier", "header": "Tier", "body": "Gold"}]


def test_an_object_shows_at_most_ten_text_modules():
    rewards = [{"reward_id": f"r{n}", "name": f"Reward {n}", "expires_at": None} for n in range(15)]
    view = member(tier="Gold", rewards=rewards)

    body = loyalty_object(ISSUER, snapshot(view), "QR-VALUE", 10)

    assert len(body["textModulesData"]) == 10
    assert body["textModulesData"][0]["id"] == "tier"
    assert body["secondaryLoyaltyPoints"]["balance"] == {"int": 15}


def test_an_erased_member_pass_is_inactive_and_clears_the_name():
    view = member(
        tier="Gold",
        rewards=[{"reward_id": "r1", "name": "Free coffee", "expires_at": None}],
    )

    body = loyalty_object(ISSUER, snapshot(view, erased=True), "QR-VALUE", 10)

    assert body["state"] == "INACTIVE"
    # An explicit null: PATCH keeps fields that are absent, so absence would keep the name.
    assert body["accountName"] is None
    assert "Ada" not in str(body)
    assert body["textModulesData"] == []


def test_ids_from_base64url_are_accepted():
    view = member(member_id="a-b_C9" + "x" * 16, program_id="P_q-1")

    body = loyalty_object(ISSUER, snapshot(view), "QR-VALUE", 10)

    assert body["id"] == f"{ISSUER}.a-b_C9{'x' * 16}"
    assert body["classId"] == f"{ISSUER}.P_q-1"


@pytest.mark.parametrize("bad_id", ["a/b", "a b", "ä", "a+b", ""])
def test_an_id_with_a_character_google_refuses_is_refused(bad_id):
    with pytest.raises(ValueError):
        loyalty_object(ISSUER, snapshot(member(member_id=bad_id, program_id="program")), "QR", 10)
    with pytest.raises(ValueError):
        loyalty_class(ISSUER, bad_id, rules(STAMP_CARD), "Café", "https://l/x.png", "https://c")


def test_an_issuer_id_that_is_not_a_number_is_refused():
    with pytest.raises(ValueError):
        loyalty_class(
            "issuer.1", "program", rules(STAMP_CARD), "Café", "https://l/x.png", "https://c"
        )
