"""Names shown to people (members, staff, programs, rewards, tiers, the pass's logo text):
printable, in their own direction, and visible."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from chalicelib.domain.program import Program
from chalicelib.web.schemas import EnrolmentIn, StaffIn, StaffPatch

POINTS = {
    "name": "Bean points",
    "kind": "points",
    "points": {
        "per_unit": "1",
        "currency": "EUR",
        "catalog": [{"id": "espresso", "name": "Espresso", "cost": 50}],
    },
    "tiers": [{"name": "Gold", "threshold": 100, "multiplier": "1.5"}],
    "birthday": {"reward": {"name": "Birthday cake"}},
    "design": {"logo_text": "Test Café"},
}
STAMPS = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
}


def _program(path: tuple, base: dict):
    def build(name: str) -> None:
        document = copy.deepcopy(base)
        target = document
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = name
        Program.model_validate(document)

    return build


def _body(model, **rest):
    def build(name: str) -> None:
        model.model_validate({**rest, "name": name})

    return build


NAME_FIELDS = {
    "program": _program(("name",), POINTS),
    "stamp reward": _program(("stamps", "reward", "name"), STAMPS),
    "catalog item": _program(("points", "catalog", 0, "name"), POINTS),
    "tier": _program(("tiers", 0, "name"), POINTS),
    "birthday reward": _program(("birthday", "reward", "name"), POINTS),
    "logo text": _program(("design", "logo_text"), POINTS),
    "member": _body(EnrolmentIn, email="ada@example.com", consent={"terms": True}),
    "staff": _body(StaffIn, email="sam@example.com", role="barista"),
    "staff patch": _body(StaffPatch),
}

REFUSED = {
    "NUL": "Ada\x00",
    "newline": "Ada\nBob",
    "tab": "Ada\tBob",
    "escape sequence": "\x1b[31mAda",
    "DEL": "Ada\x7f",
    "C1 control": "Ada\x85Bob",
    "right-to-left override": "Ada\u202eevil",
    "left-to-right embedding": "\u202aAda",
    "isolate": "\u2066Ada\u2069",
    "zero-width spaces only": "\u200b\u200b",
    "joiners only": "\u200c\u200d",
    "byte order mark only": "\ufeff",
    "Hangul filler only": "\u3164",
    "braille blank only": "\u2800\u2800",
    "combining mark only": "\u034f",
    "word joiner and space": "\u2060 \u2060",
}

ACCEPTED = {
    "plain": "Ada",
    "accents": "Zoë Café",
    "CJK": "李小龙",
    "Arabic": "محمد",
    "emoji with a joiner": "👩\u200d🍳 Chef",
    "apostrophe and hyphen": "O'Brien-Smith",
}


@pytest.mark.parametrize("field", NAME_FIELDS.values(), ids=NAME_FIELDS.keys())
@pytest.mark.parametrize("name", REFUSED.values(), ids=REFUSED.keys())
def test_a_name_with_control_bidi_or_only_invisible_characters_is_refused(field, name):
    with pytest.raises(ValidationError):
        field(name)


@pytest.mark.parametrize("field", NAME_FIELDS.values(), ids=NAME_FIELDS.keys())
@pytest.mark.parametrize("name", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_names_in_any_script_are_accepted(field, name):
    field(name)


def test_the_refusal_says_why():
    with pytest.raises(ValidationError, match="control"):
        NAME_FIELDS["member"]("Ada\x00")
    with pytest.raises(ValidationError, match="visible"):
        NAME_FIELDS["member"]("\u200b")
