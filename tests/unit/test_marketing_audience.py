"""Offers reach only the members who consented to them."""

from __future__ import annotations

from chalicelib.services.members import marketing_audience
from chalicelib.store.models import MemberItem


def member(member_id: str, marketing: bool, erased: bool = False) -> MemberItem:
    return MemberItem(
        member_id,
        merchant_id="m",
        program_id="p",
        marketing_consent=marketing,
        erased=erased,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )


def test_offers_go_only_to_members_who_consented():
    members = [member("yes", True), member("no", False), member("also", True)]

    assert [m.member_id for m in marketing_audience(members)] == ["yes", "also"]


def test_an_erased_member_gets_no_offer_whatever_was_stored():
    assert marketing_audience([member("gone", True, erased=True)]) == []
