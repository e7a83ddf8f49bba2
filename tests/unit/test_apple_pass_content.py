"""What a member's Apple pass shows, decided from the member, the program and the merchant."""

from __future__ import annotations

from datetime import date

from chalicelib import ids
from chalicelib.domain.ledger import Reward
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.wallet.apple.model import PassIdentity, pass_content

IDENTITY = PassIdentity(
    pass_type_identifier="pass.org.example.loyalty",
    team_identifier="TEAM123456",
    web_service_url="https://loyalty.example.org/apple",
    authentication_token="a-token-of-at-least-16-characters",
    program_url="https://loyalty.example.org/v1/programs/p1",
    barcode="LY1ABCDEFGHIJKLMNOPQRSTUVWXYZ",
)
COFFEE = Program.model_validate(
    {
        "name": "Coffee card",
        "kind": "stamps",
        "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
        "design": {"background_color": "#1E3A5F"},
    }
)
BEANS = Program.model_validate(
    {"name": "Bean points", "kind": "points", "points": {"per_unit": "2", "currency": "EUR"}}
)


def ada(**changes: object) -> Member:
    fields: dict = {
        "member_id": ids.new_id(),
        "program_id": ids.new_id(),
        "name": "Ada Lovelace",
        "card_number": "79ZH5JF4P1EB",
        "stamps": 7,
        "points": 0,
        "tier": None,
        "rewards": (),
    }
    return Member(**{**fields, **changes})


def test_a_stamp_card_shows_the_member_s_stamps_out_of_the_program_s_required():
    member = ada()

    content = pass_content(member, COFFEE, "Café Blue", IDENTITY, None)

    assert content.serial_number == member.member_id
    assert (content.kind, content.stamps, content.stamps_required) == ("stamps", 7, 10)
    assert content.reward_name == "Free coffee"
    assert content.how_to_earn == "One stamp per visit. 10 stamps earn a Free coffee."
    assert content.member_name == "Ada Lovelace"
    assert content.card_number == "79ZH 5JF4 P1EB"
    assert content.background_color == "#1E3A5F"
    assert content.description == "Café Blue: Coffee card"


def test_a_points_card_says_how_points_are_earned_and_has_no_stamp_reward():
    content = pass_content(ada(stamps=0, points=120), BEANS, "Café Blue", IDENTITY, None)

    assert (content.kind, content.points, content.stamps_required) == ("points", 120, None)
    assert content.reward_name is None
    assert content.how_to_earn == "2 points for every €1.00 spent."


def test_the_rewards_ready_and_the_expiry_notice_are_the_ones_given():
    reward = Reward("r1", "Free coffee", "stamps", ids.new_id(), "2026-11-01T08:00:00.000000Z")
    member = ada(rewards=(reward,))

    content = pass_content(member, COFFEE, "Café Blue", IDENTITY, (120, date(2026, 12, 31)))

    assert content.rewards == (("r1", "Free coffee", None),)
    assert content.expiry_notice == "120 points expire on Dec 31, 2026"


def test_without_a_logo_text_the_merchant_s_name_is_shown_and_an_erased_member_s_pass_is_void():
    content = pass_content(ada(erased=True), BEANS, "Café Blue", IDENTITY, None)

    assert content.logo_text == "Café Blue"
    assert content.voided is True
