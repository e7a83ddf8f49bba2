"""Bad input over HTTP: a 4xx in API.md's error shape, never a 5xx, and nothing written."""

from __future__ import annotations

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

STAMP_CARD = {
    "name": "Coffee card",
    "kind": "stamps",
    "stamps": {"required": 10, "reward": {"name": "Free coffee"}},
    "tiers": [{"name": "Gold", "threshold": 50, "multiplier": "1.5"}],
    "expiry": {"mode": "end_of_year"},
    "design": {"background_color": "#3B2A20", "logo_text": "Test Café"},
}

POINTS_CARD = {
    "name": "Bean points",
    "kind": "points",
    "points": {"per_unit": "1", "currency": "EUR"},
}

ENROLMENT = {"name": "Ada", "email": "ada@example.com", "consent": {"terms": True}}


def changed(base: dict, path: str, value: object) -> dict:
    """A deep copy of `base` with the dotted `path` set to `value` (removed for ...)."""
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


def post_raw(client, path, content, headers, content_type="application/json"):
    return client.post(path, content=content, headers={**headers, "Content-Type": content_type})


def create_program(client, merchant, document=STAMP_CARD) -> dict:
    response = client.post("/v1/programs", json=document, headers=merchant.auth("owner"))
    assert response.status_code == 201, response.text
    return response.json()


def programs_of(client, merchant) -> list[dict]:
    response = client.get("/v1/programs", headers=merchant.auth("manager"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


def enrolments(program_id: str) -> str:
    return f"/v1/programs/{program_id}/enrollments"


def assert_error(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    error = response.json()["error"]
    # A 422 also names the refused field and lists every refusal (a form shows each).
    extra = {"field", "errors"} if status == 422 else set()
    assert {"code", "message"} <= set(error) <= {"code", "message"} | extra
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def assert_no_member_was_enrolled(client, program_id, body=ENROLMENT):
    """Enrolling the valid body now makes a new member (201), so none existed before."""
    response = client.post(enrolments(program_id), json=body)
    assert response.status_code == 201, response.text


# --- bodies that are not a JSON object ---------------------------------------

NOT_AN_OBJECT = {
    "malformed JSON": (b'{"name": "Coffee card", ', "application/json", 400, "malformed_json"),
    "invalid UTF-8": (b'{"name": "\xff"}', "application/json", 400, "malformed_json"),
    "a JSON array": (b'[{"name": "Coffee card"}]', "application/json", 400, None),
    "a JSON string": (b'"Coffee card"', "application/json", 400, None),
    "a JSON null": (b"null", "application/json", 400, None),
    "over 64 KiB": (
        json.dumps({"name": "a" * (65 * 1024)}).encode(),
        "application/json",
        413,
        "payload_too_large",
    ),
    "plain text": (json.dumps(STAMP_CARD).encode(), "text/plain", 415, "unsupported_media_type"),
    "a form": (b"name=Coffee+card", "application/x-www-form-urlencoded", 415, None),
}


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"), NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys()
)
def test_a_program_body_that_is_not_a_json_object_is_refused_and_nothing_is_created(
    client, merchant, content, content_type, status, code
):
    response = post_raw(client, "/v1/programs", content, merchant.auth("owner"), content_type)

    assert_error(response, status, code)
    assert programs_of(client, merchant) == []


@pytest.mark.parametrize(
    ("content", "content_type", "status", "code"), NOT_AN_OBJECT.values(), ids=NOT_AN_OBJECT.keys()
)
def test_an_enrolment_body_that_is_not_a_json_object_is_refused_and_nobody_is_enrolled(
    client, merchant, content, content_type, status, code
):
    program = create_program(client, merchant)
    if content_type == "text/plain":
        content = json.dumps(ENROLMENT).encode()

    response = post_raw(client, enrolments(program["program_id"]), content, {}, content_type)

    assert_error(response, status, code)
    assert_no_member_was_enrolled(client, program["program_id"])


# --- JSON objects with one invalid field ---------------------------------------

INVALID_PROGRAMS = {
    "no kind": (changed(STAMP_CARD, "kind", ...), "kind"),
    "unknown kind": (changed(STAMP_CARD, "kind", "coupons"), "kind"),
    "no stamps section": (changed(STAMP_CARD, "stamps", ...), "stamps"),
    "no points section": (changed(POINTS_CARD, "points", ...), "points"),
    "required 0": (changed(STAMP_CARD, "stamps.required", 0), "stamps.required"),
    "required 51": (changed(STAMP_CARD, "stamps.required", 51), "stamps.required"),
    "required as a string": (changed(STAMP_CARD, "stamps.required", "10"), "stamps.required"),
    "required as a float": (changed(STAMP_CARD, "stamps.required", 1.5), "stamps.required"),
    "required as true": (changed(STAMP_CARD, "stamps.required", True), "stamps.required"),
    "unknown currency": (changed(POINTS_CARD, "points.currency", "EUX"), "points"),
    "lowercase currency": (changed(POINTS_CARD, "points.currency", "eur"), "points.currency"),
    "per_unit abc": (changed(POINTS_CARD, "points.per_unit", "abc"), "points.per_unit"),
    "per_unit -1": (changed(POINTS_CARD, "points.per_unit", "-1"), "points.per_unit"),
    "per_unit 1e3": (changed(POINTS_CARD, "points.per_unit", "1e3"), "points.per_unit"),
    "per_unit 0": (changed(POINTS_CARD, "points.per_unit", "0"), "points"),
    "per_unit a float": (changed(POINTS_CARD, "points.per_unit", 1.5), "points.per_unit"),
    "multiplier 0.5": (changed(STAMP_CARD, "tiers.0.multiplier", "0.5"), "tiers.0"),
    "multiplier 11": (changed(STAMP_CARD, "tiers.0.multiplier", "11"), "tiers.0"),
    "duplicate thresholds": (
        changed(STAMP_CARD, "tiers", [*STAMP_CARD["tiers"], {"name": "Other", "threshold": 50}]),
        "tiers",
    ),
    "after_days without days": (changed(STAMP_CARD, "expiry", {"mode": "after_days"}), "expiry"),
    "never with days": (changed(STAMP_CARD, "expiry", {"mode": "never", "days": 3}), "expiry"),
    "welcome with both": (changed(STAMP_CARD, "welcome", {"stamps": 1, "points": 1}), "welcome"),
    "welcome stamps on points": (changed(POINTS_CARD, "welcome", {"stamps": 1}), "welcome"),
    "colour red": (changed(STAMP_CARD, "design.background_color", "red"), "design"),
    "colour #12345": (changed(STAMP_CARD, "design.background_color", "#12345"), "design"),
    "empty name": (changed(STAMP_CARD, "name", ""), "name"),
    "name of 101": (changed(STAMP_CARD, "name", "a" * 101), "name"),
    "unknown field": (changed(STAMP_CARD, "theme", "dark"), "theme"),
}


@pytest.mark.parametrize(("document", "field"), INVALID_PROGRAMS.values(), ids=INVALID_PROGRAMS)
def test_an_invalid_program_field_is_422_naming_it_and_nothing_is_created(
    client, merchant, document, field
):
    response = client.post("/v1/programs", json=document, headers=merchant.auth("owner"))

    error = assert_error(response, 422, "invalid")
    assert error["field"].startswith(field), error
    # Words a café owner reads, not pydantic's ("stamps.required: Input should be ...").
    assert "Input should" not in error["message"] and error["message"][0].isupper(), error
    assert error["errors"][0] == {"field": error["field"], "message": error["message"]}
    assert programs_of(client, merchant) == []


INVALID_ENROLMENTS = {
    "no name": (changed(ENROLMENT, "name", ...), "name"),
    "blank name": (changed(ENROLMENT, "name", "  "), "name"),
    "name of 201": (changed(ENROLMENT, "name", "a" * 201), "name"),
    "name as a number": (changed(ENROLMENT, "name", 42), "name"),
    "no email": (changed(ENROLMENT, "email", ...), "email"),
    "email without @": (changed(ENROLMENT, "email", "ada.example.com"), "email"),
    "email without domain": (changed(ENROLMENT, "email", "ada@"), "email"),
    "birthday 02-30": ({**ENROLMENT, "birthday": "02-30"}, "birthday"),
    "birthday 13-01": ({**ENROLMENT, "birthday": "13-01"}, "birthday"),
    "birthday 2-1": ({**ENROLMENT, "birthday": "2-1"}, "birthday"),
    "birthday 1990-02-29": ({**ENROLMENT, "birthday": "1990-02-29"}, "birthday"),
    "birthday 1899-12-31": ({**ENROLMENT, "birthday": "1899-12-31"}, "birthday"),
    "birthday in the future": ({**ENROLMENT, "birthday": "2999-01-01"}, "birthday"),
    "no consent": (changed(ENROLMENT, "consent", ...), "consent"),
    "terms false": (changed(ENROLMENT, "consent", {"terms": False}), "consent.terms"),
    "terms missing": (changed(ENROLMENT, "consent", {"marketing": True}), "consent.terms"),
    "marketing as a string": (
        changed(ENROLMENT, "consent", {"terms": True, "marketing": "yes"}),
        "consent.marketing",
    ),
    "unknown field": ({**ENROLMENT, "phone": "+33 1 23 45 67 89"}, "phone"),
}


@pytest.mark.parametrize(
    ("document", "field"), INVALID_ENROLMENTS.values(), ids=INVALID_ENROLMENTS.keys()
)
def test_an_invalid_enrolment_field_is_422_naming_it_and_nobody_is_enrolled(
    client, merchant, document, field
):
    program = create_program(client, merchant)

    response = client.post(enrolments(program["program_id"]), json=document)

    error = assert_error(response, 422, "invalid")
    assert error["field"].startswith(field), error
    assert_no_member_was_enrolled(client, program["program_id"])


def test_an_empty_program_body_is_422_and_nothing_is_created(client, merchant):
    response = post_raw(client, "/v1/programs", b"", merchant.auth("owner"))

    assert_error(response, 422, "invalid")
    assert programs_of(client, merchant) == []


def test_enrolling_in_a_program_that_does_not_exist_is_404(client, merchant):
    response = client.post(enrolments("no-such-program"), json=ENROLMENT)

    assert_error(response, 404, "not_found")


# --- PATCH /v1/programs/{id} ---------------------------------------------------


def patch(client, merchant, program_id, body):
    return client.patch(f"/v1/programs/{program_id}", json=body, headers=merchant.auth("owner"))


def stored(client, program_id) -> dict:
    response = client.get(f"/v1/programs/{program_id}")
    assert response.status_code == 200, response.text
    return response.json()


def test_a_patch_that_changes_the_kind_is_422_and_changes_nothing(client, merchant):
    program = create_program(client, merchant)

    response = patch(
        client, merchant, program["program_id"], {"kind": "points", **POINTS_CARD, "stamps": None}
    )

    error = assert_error(response, 422, "invalid")
    assert error["field"] == "kind"
    assert error["message"] == "A program's kind cannot change."
    assert stored(client, program["program_id"]) == program


def test_a_patch_that_makes_the_program_invalid_is_422_and_changes_nothing(client, merchant):
    program = create_program(client, merchant)

    response = patch(client, merchant, program["program_id"], {"stamps": {"required": 51}})

    error = assert_error(response, 422, "invalid")
    assert error["field"] == "stamps.required"
    assert error["message"] == "Stamps to fill a card must be at most 50."
    assert stored(client, program["program_id"]) == program


def test_a_design_merge_patch_changes_only_the_design_and_bumps_the_version(client, merchant):
    program = create_program(client, merchant)

    response = patch(
        client, merchant, program["program_id"], {"design": {"background_color": "#000000"}}
    )

    assert response.status_code == 200, response.text
    after = response.json()
    assert after["design"] == {"background_color": "#000000", "logo_text": "Test Café"}
    assert after["version"] == program["version"] + 1
    # A design change shows on the passes: the answer names the job that updates them.
    assert after.pop("pass_updates")["members"] == 0
    unchanged = {"design", "version", "updated_at"}
    assert {k: v for k, v in after.items() if k not in unchanged} == {
        k: v for k, v in program.items() if k not in unchanged
    }
    assert stored(client, program["program_id"]) == after


def test_a_patch_of_null_tiers_removes_the_tiers(client, merchant):
    program = create_program(client, merchant)
    assert program["tiers"]

    response = patch(client, merchant, program["program_id"], {"tiers": None})

    assert response.status_code == 200, response.text
    assert response.json().get("tiers", []) == []
    assert stored(client, program["program_id"]).get("tiers", []) == []
    assert response.json()["version"] == program["version"] + 1


@pytest.mark.parametrize(
    ("content", "code"),
    [(b'{"design": ', "malformed_json"), (b"[]", None)],
    ids=["malformed", "array"],
)
def test_a_patch_that_is_not_a_json_object_is_400_and_changes_nothing(
    client, merchant, content, code
):
    program = create_program(client, merchant)

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        content=content,
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    assert_error(response, 400, code)
    assert stored(client, program["program_id"]) == program


# --- no input is ever a 5xx ------------------------------------------------------

JSON_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**20), max_value=10**20)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
PROGRAM_FIELDS = [*STAMP_CARD, *POINTS_CARD, "welcome", "birthday", "limits", "tier_window_days"]
PROGRAM_PATHS = [
    "name",
    "kind",
    "stamps",
    "stamps.required",
    "stamps.reward",
    "stamps.reward.name",
    "tiers",
    "tiers.0",
    "tiers.0.threshold",
    "tiers.0.multiplier",
    "expiry",
    "expiry.mode",
    "design",
    "design.background_color",
    "design.logo_text",
    "welcome",
    "birthday",
    "limits",
    "reward_valid_days",
]
ENROLMENT_FIELDS = ["name", "email", "birthday", "consent"]
ENROLMENT_PATHS = ["name", "email", "birthday", "consent", "consent.terms", "consent.marketing"]


def random_objects(fields: list[str]) -> st.SearchStrategy[dict]:
    """JSON objects with keys the model knows (and others) and values of any JSON type."""
    return st.dictionaries(st.sampled_from(fields) | st.text(max_size=10), JSON_VALUES, max_size=6)


def one_field_changed(base: dict, paths: list[str]) -> st.SearchStrategy[dict]:
    """The valid document with one field set to any JSON value: reaches the deeper rules."""
    return st.builds(
        lambda path, value: changed(base, path, value), st.sampled_from(paths), JSON_VALUES
    )


RANDOM = settings(
    max_examples=30,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def post_json(client, path, document, headers):
    # ensure_ascii: lone surrogates travel as \\ud800 escapes, as any client may send them.
    return post_raw(client, path, json.dumps(document).encode(), headers)


@RANDOM
@given(
    document=random_objects(PROGRAM_FIELDS)
    | one_field_changed(STAMP_CARD, PROGRAM_PATHS)
    | one_field_changed(POINTS_CARD, ["points", "points.per_unit", "points.currency", "welcome"])
)
def test_no_program_body_is_ever_a_server_error(client, merchant, document):
    response = post_json(client, "/v1/programs", document, merchant.auth("owner"))

    assert response.status_code < 500, response.text


@RANDOM
@given(document=random_objects(ENROLMENT_FIELDS) | one_field_changed(ENROLMENT, ENROLMENT_PATHS))
def test_no_enrolment_body_is_ever_a_server_error(client, merchant, document):
    program_id = program_for(client, merchant)

    response = post_json(client, enrolments(program_id), document, {})

    assert response.status_code < 500, response.text


@RANDOM
@given(patch_body=random_objects(PROGRAM_FIELDS) | one_field_changed({}, PROGRAM_FIELDS))
def test_no_program_patch_is_ever_a_server_error(client, merchant, patch_body):
    program_id = program_for(client, merchant)

    response = client.patch(
        f"/v1/programs/{program_id}",
        content=json.dumps(patch_body).encode(),
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    assert response.status_code < 500, response.text


_programs: dict[str, str] = {}


def program_for(client, merchant) -> str:
    """One program per merchant (per test), made on the first example."""
    if merchant.merchant_id not in _programs:
        _programs[merchant.merchant_id] = create_program(client, merchant)["program_id"]
    return _programs[merchant.merchant_id]
