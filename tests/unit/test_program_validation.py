"""The program document (API.md "Documents"): what an owner may and may not send."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from chalicelib.domain.program import Program
from chalicelib.errors import Invalid
from chalicelib.services.programs import invalid_from

STAMP_CARD = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "tiers": [
        {"name": "Regular", "threshold": 20, "multiplier": "1"},
        {"name": "Gold", "threshold": 100, "multiplier": "1.5"},
    ],
    "tier_window_days": 365,
    "expiry": {"mode": "inactivity_days", "days": 180},
    "reward_valid_days": 30,
    "welcome": {"stamps": 1},
    "birthday": {"reward": {"name": "Birthday cake"}, "valid_days": 14},
    "limits": {"cooldown_seconds": 60, "max_per_day": 5},
    "design": {
        "background_color": "#3B2A20",
        "foreground_color": "rgb(255, 255, 255)",
        "label_color": "#c8a27a",
        "logo_text": "Test Café",
    },
}

POINTS_CARD = {
    "name": "Bean points",
    "kind": "points",
    "points": {
        "per_unit": "1.25",
        "currency": "EUR",
        "catalog": [
            {"id": "espresso", "name": "Espresso", "cost": 50},
            {"id": "beans-250g", "name": "Beans 250 g", "cost": 400},
        ],
    },
    "tiers": [{"name": "Silver", "threshold": 500, "multiplier": "1.25"}],
    "expiry": {"mode": "after_days", "days": 365},
    "welcome": {"points": 25},
    "birthday": {"reward": {"name": "Free pastry"}},
    "limits": {"cooldown_seconds": 0},
    "design": {"background_color": "#000000", "logo_text": "Beans"},
}


def changed(base: dict, path: str, value: object) -> dict:
    """A deep copy of `base` with the dotted `path` set to `value` (or removed for ...)."""
    document = copy.deepcopy(base)
    *parents, last = path.split(".")
    target = document
    for part in parents:
        target = target[int(part)] if isinstance(target, list) else target[part]
    if value is ...:
        del target[last]
    elif isinstance(target, list):
        target[int(last)] = value
    else:
        target[last] = value
    return document


def refusal(document: dict) -> Invalid:
    """The 422 the API would answer for `document`; fails the test if it is accepted."""
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(document)
    return invalid_from(caught.value, model=Program)


# --- accepted ----------------------------------------------------------------


@pytest.mark.parametrize("document", [STAMP_CARD, POINTS_CARD], ids=["stamps", "points"])
def test_the_full_example_shapes_of_api_md_are_accepted(document):
    program = Program.model_validate(document)

    stored = program.document()

    for section, value in document.items():
        if section != "birthday":
            assert stored[section] == value
    assert stored["birthday"]["reward"] == document["birthday"]["reward"]


@pytest.mark.parametrize(
    "expiry",
    [
        {"mode": "never"},
        {"mode": "after_days", "days": 30},
        {"mode": "inactivity_days", "days": 3650},
        {"mode": "end_of_month"},
        {"mode": "end_of_year"},
    ],
)
def test_every_expiry_mode_is_accepted_with_its_own_shape(expiry):
    program = Program.model_validate(changed(STAMP_CARD, "expiry", expiry))

    assert program.document()["expiry"] == expiry


def test_only_the_kinds_own_section_is_required():
    minimal = {"name": "Card", "kind": "stamps", "stamps": {"required": 1, "reward": {"name": "A"}}}

    program = Program.model_validate(minimal)

    assert program.document()["stamps"]["required"] == 1
    assert "expiry" not in program.document()


@pytest.mark.parametrize("required", [1, 50])
def test_a_card_of_one_to_fifty_stamps_is_accepted(required):
    program = Program.model_validate(changed(STAMP_CARD, "stamps.required", required))

    assert program.stamps is not None
    assert program.stamps.required == required


def test_a_birthday_reward_is_valid_for_thirty_days_unless_told_otherwise():
    program = Program.model_validate(POINTS_CARD)

    assert program.birthday is not None
    assert program.birthday.valid_days == 30


def test_names_of_one_and_of_a_hundred_characters_are_accepted():
    short = Program.model_validate(changed(STAMP_CARD, "name", "A"))
    long = Program.model_validate(changed(STAMP_CARD, "name", "a" * 100))

    assert short.name == "A"
    assert long.name == "a" * 100


# --- refused -----------------------------------------------------------------

REFUSED = {
    "stamps program without stamps": (changed(STAMP_CARD, "stamps", ...), "stamps"),
    "points program without points": (changed(POINTS_CARD, "points", ...), "points"),
    "required 0": (changed(STAMP_CARD, "stamps.required", 0), "stamps.required"),
    "required 51": (changed(STAMP_CARD, "stamps.required", 51), "stamps.required"),
    "required as a string": (changed(STAMP_CARD, "stamps.required", "10"), "stamps.required"),
    "required as a float": (changed(STAMP_CARD, "stamps.required", 1.5), "stamps.required"),
    "required as a boolean": (changed(STAMP_CARD, "stamps.required", True), "stamps.required"),
    "unknown currency": (changed(POINTS_CARD, "points.currency", "EUX"), "points"),
    "lowercase currency": (changed(POINTS_CARD, "points.currency", "eur"), "points.currency"),
    "per_unit not a number": (changed(POINTS_CARD, "points.per_unit", "abc"), "points.per_unit"),
    "per_unit negative": (changed(POINTS_CARD, "points.per_unit", "-1"), "points.per_unit"),
    "per_unit exponent": (changed(POINTS_CARD, "points.per_unit", "1e3"), "points.per_unit"),
    "per_unit zero": (changed(POINTS_CARD, "points.per_unit", "0"), "points"),
    "per_unit zero point zero": (changed(POINTS_CARD, "points.per_unit", "0.00"), "points"),
    "per_unit as a JSON zero": (changed(POINTS_CARD, "points.per_unit", 0), "points.per_unit"),
    "per_unit as a float": (changed(POINTS_CARD, "points.per_unit", 1.5), "points.per_unit"),
    "per_unit in other digits": (changed(POINTS_CARD, "points.per_unit", "١"), "points.per_unit"),
    "multiplier below 1": (changed(STAMP_CARD, "tiers.1.multiplier", "0.5"), "tiers.1"),
    "multiplier above 10": (changed(STAMP_CARD, "tiers.1.multiplier", "11"), "tiers.1"),
    "duplicate tier thresholds": (
        changed(STAMP_CARD, "tiers.1.threshold", STAMP_CARD["tiers"][0]["threshold"]),
        "tiers",
    ),
    "after_days without days": (changed(STAMP_CARD, "expiry", {"mode": "after_days"}), "expiry"),
    "never with days": (changed(STAMP_CARD, "expiry", {"mode": "never", "days": 30}), "expiry"),
    "welcome with both": (changed(STAMP_CARD, "welcome", {"stamps": 1, "points": 5}), "welcome"),
    "welcome stamps on a points program": (
        changed(POINTS_CARD, "welcome", {"stamps": 1}),
        "welcome",
    ),
    "colour by name": (
        changed(STAMP_CARD, "design.background_color", "red"),
        "design.background_color",
    ),
    "colour of five hex digits": (
        changed(STAMP_CARD, "design.label_color", "#12345"),
        "design.label_color",
    ),
    "rgb colour out of range": (
        changed(STAMP_CARD, "design.foreground_color", "rgb(256, 0, 0)"),
        "design.foreground_color",
    ),
    "empty name": (changed(STAMP_CARD, "name", ""), "name"),
    "blank name": (changed(STAMP_CARD, "name", "   "), "name"),
    "name of 101 characters": (changed(STAMP_CARD, "name", "a" * 101), "name"),
    "unknown extra field": (changed(STAMP_CARD, "colour", "#000000"), "colour"),
    "unknown field in a section": (changed(STAMP_CARD, "stamps.reward.price", 3), "stamps.reward"),
}


@pytest.mark.parametrize(("document", "field"), REFUSED.values(), ids=REFUSED.keys())
def test_an_invalid_program_is_refused_naming_the_field(document, field):
    error = refusal(document)

    assert error.http_status == 422
    assert error.code == "invalid"
    assert error.field is not None
    assert error.field.startswith(field)
    assert error.errors[0] == (error.field, error.message)


def test_the_refusal_says_in_words_what_the_field_is_called_and_what_it_takes():
    error = refusal(changed(STAMP_CARD, "stamps.required", 51))

    assert error.field == "stamps.required"
    assert error.message == "Stamps to fill a card must be at most 50."


def test_a_rule_of_the_program_speaks_for_itself_without_pydantic_prefix():
    error = refusal(changed(STAMP_CARD, "expiry", {"mode": "after_days"}))

    assert error.field == "expiry"
    assert error.message == "Expiry after_days needs a number of days."


def test_every_refused_field_is_listed_not_only_the_first():
    document = changed(STAMP_CARD, "stamps.required", 0)
    document = changed(document, "design.background_color", "red")
    document = changed(document, "name", "")

    error = refusal(document)

    assert dict(error.errors) == {
        "name": "Program name cannot be empty.",
        "stamps.required": "Stamps to fill a card must be at least 1.",
        "design.background_color": (
            "Background colour is not in the expected form (for example #7C2D12)."
        ),
    }


def test_a_field_inside_a_list_says_which_entry():
    document = {
        **POINTS_CARD,
        "points": {
            **POINTS_CARD["points"],
            "catalog": [
                {"id": "a", "name": "Tea", "cost": 5},
                {"id": "b", "name": "Cake", "cost": 0},
            ],
        },
    }

    error = refusal(document)

    assert error.field == "points.catalog.1.cost"
    assert error.message == "Catalog, number 2: Cost in points must be at least 1."


def test_a_misspelt_field_is_named_as_sent():
    error = refusal(changed(STAMP_CARD, "colour", "#000000"))

    assert error.field == "colour"
    assert error.message == 'There is no setting "colour" here: check its spelling.'


def test_a_prefix_is_put_before_the_field_path():
    with pytest.raises(ValidationError) as caught:
        Program.model_validate(changed(STAMP_CARD, "stamps.required", 0))

    error = invalid_from(caught.value, prefix="program", model=Program)

    assert error.field == "program.stamps.required"
    assert error.message == "Stamps to fill a card must be at least 1."
