"""The program's locations and its purchase limit: pure rules, no I/O."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from chalicelib.domain.currencies import default_max_purchase
from chalicelib.domain.ledger import check_purchase_size
from chalicelib.domain.program import Program, slug
from chalicelib.domain.roles import Role
from chalicelib.errors import ManagerRequired


def points(currency: str = "EUR", **rules: object) -> Program:
    return Program.model_validate(
        {
            "name": "Points",
            "kind": "points",
            "points": {"per_unit": "1", "currency": currency, **rules},
        }
    )


def stamps(**sections: object) -> Program:
    return Program.model_validate(
        {
            "name": "Stamps",
            "kind": "stamps",
            "stamps": {"required": 8, "reward": {"name": "Free coffee"}},
            **sections,
        }
    )


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Café de la Gare", "cafe-de-la-gare"),
        ("  Rue  d'Alésia #2 ", "rue-d-alesia-2"),
        ("東京", "location"),
    ],
)
def test_a_location_id_is_made_from_its_name(name, expected):
    assert slug(name) == expected


def test_locations_with_the_same_name_get_ids_that_differ_from_the_given_ones():
    same = {"name": "Gare", "latitude": 1, "longitude": 2}

    program = stamps(locations=[same, {**same, "id": "gare-2"}, same])

    assert [place.id for place in program.locations] == ["gare", "gare-2", "gare-3"]
    assert program.location("gare-3") is not None
    assert program.location("gare-4") is None


def test_a_new_program_is_active_and_a_status_is_one_of_two():
    assert stamps().status == "active"
    assert stamps(status="closed").status == "closed"
    with pytest.raises(ValidationError):
        stamps(status="paused")


@pytest.mark.parametrize(
    ("currency", "limit"),
    [("EUR", "200"), ("USD", "200"), ("JPY", "30000"), ("KRW", "300000"), ("KWD", "200")],
)
def test_the_default_limit_is_about_200_euros_worth_in_the_currency(currency, limit):
    assert default_max_purchase(currency) == Decimal(limit)
    assert points(currency).points is not None
    assert points(currency).points.purchase_limit == Decimal(limit)


def test_a_barista_s_purchase_above_the_limit_needs_a_manager():
    program = points(max_purchase="25.50")

    check_purchase_size(Decimal("25.50"), program, Role.barista)
    with pytest.raises(ManagerRequired) as refused:
        check_purchase_size(Decimal("25.51"), program, Role.barista)

    assert refused.value.code == "manager_required"
    assert refused.value.http_status == 403
    assert "25.50 EUR" in refused.value.message


@pytest.mark.parametrize("role", [Role.manager, Role.owner])
def test_a_manager_or_owner_records_any_purchase(role):
    check_purchase_size(Decimal("99999"), points(), role)


def test_a_stamp_card_has_no_purchase_limit():
    check_purchase_size(Decimal("99999"), stamps(), Role.barista)
