"""The edge of the API: what reaches a view, and how every refusal looks, on every route."""

from __future__ import annotations

import json
import re
import socket
import uuid

import httpx
import pytest

from chalicelib import ids
from tests.e2e.helpers import STAMP_CARD, create_program, enrol

PASS_TYPE = "pass.dev.walletloyalty"
DEEP = b"[" * 1000 + b"]" * 1000  # about 2 KB: enough to exhaust Python's recursion limit


def post_enrolment(client, program: dict, body: bytes, content_type: str | None):
    """An enrolment sent as these bytes, with this Content-Type (or none)."""
    headers = {"Content-Type": content_type} if content_type else {}
    return client.post(
        f"/v1/programs/{program['program_id']}/enrollments", content=body, headers=headers
    )


def sample(name: str) -> str:
    """A well-formed value for a path parameter, naming nothing that exists."""
    return {
        "device_id": uuid.uuid4().hex,
        "pass_type": PASS_TYPE,
        "pass_file": f"{ids.new_id()}.pkpass",
        "image_file": "logo.png",
        "asset": "api.js",
    }.get(name, ids.new_id())


def url_of(path: str, **override: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: override.get(m[1]) or sample(m[1]), path)


def routes():
    import app  # noqa: F401 - registers every route
    from chalicelib.web.routing import ROUTES

    return ROUTES


def json_routes():
    return [(spec.method, spec.path) for spec in routes() if spec.body is not None]


def routes_with_ids():
    # The join page answers its HTML page instead (tested below).
    return [
        (spec.method, spec.path, name)
        for spec in routes()
        for name in re.findall(r"{(\w+)}", spec.path)
        if spec.path != "/join/{program_id}"
    ]


def assert_error(response: httpx.Response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    # A 422 also names the refused field and lists every refusal (a form shows each).
    extra = {"field", "errors"} if status == 422 else set()
    assert {"code", "message"} <= set(error) <= {"code", "message"} | extra and error["message"]
    if code is not None:
        assert error["code"] == code
    return error


def members_with_email(client, merchant, email: str) -> list[dict]:
    response = client.get("/v1/members", params={"email": email}, headers=merchant.auth("barista"))
    assert response.status_code == 200, response.text
    return response.json()["items"]


# --- item 2: nesting depth ------------------------------------------------------


@pytest.mark.parametrize(("method", "path"), json_routes())
def test_deeply_nested_json_is_a_400_on_every_json_route(client, merchant, method, path):
    response = client.request(
        method,
        url_of(path),
        content=DEEP,
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    assert_error(response, 400, "malformed_json")


def test_deeply_nested_json_inside_an_object_is_a_400_and_nobody_is_enrolled(client, merchant):
    program = create_program(client, merchant)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    body = b'{"name": "Ada", "email": "%s", "consent": {"terms": true}, "x": %s}' % (
        email.encode(),
        DEEP,
    )

    response = post_enrolment(client, program, body, "application/json")

    assert_error(response, 400, "malformed_json")
    assert members_with_email(client, merchant, email) == []


def test_json_nested_thirty_two_deep_is_still_read(client, merchant):
    program = create_program(client, merchant)
    nested = "[" * 31 + "]" * 31  # the body object is the 32nd level

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        content=b'{"x": %s}' % nested.encode(),
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    # Read, then refused by the program's own rules (no field "x"), not by the parser.
    assert_error(response, 422, "invalid")


def test_a_deeply_nested_google_callback_is_refused_not_a_server_error(client):
    response = client.post("/google/callbacks", content=DEEP)

    assert_error(response, 401, "unauthorized")


def test_a_google_callback_nested_deep_inside_its_signed_message_is_refused(client):
    body = b'{"protocolVersion": "ECv2SigningOnly", "signedMessage": "%s"}' % DEEP

    response = client.post("/google/callbacks", content=body)

    assert_error(response, 401, "unauthorized")


# --- item 3: exact content types ------------------------------------------------

REFUSED_TYPES = [
    "text/plain;charset=json",
    "text/plain",
    "text/json",
    "application/x-www-form-urlencoded; json",
    "multipart/form-data; boundary=json",
    "application/jsonx",
    None,  # a fetch() of a Blob without a type sends none, and needs no preflight either
]


@pytest.mark.parametrize("content_type", REFUSED_TYPES)
def test_an_enrolment_not_sent_as_json_is_415_and_nobody_is_enrolled(
    client, merchant, content_type
):
    program = create_program(client, merchant)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    body = b'{"name": "Ada", "email": "%s", "consent": {"terms": true}}' % email.encode()

    response = post_enrolment(client, program, body, content_type)

    assert_error(response, 415, "unsupported_media_type")
    assert members_with_email(client, merchant, email) == []


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON;charset=UTF-8",
        "application/vnd.loyalty+json",
    ],
)
def test_json_media_types_are_accepted(client, merchant, content_type):
    program = create_program(client, merchant)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    body = b'{"name": "Ada", "email": "%s", "consent": {"terms": true}}' % email.encode()

    response = post_enrolment(client, program, body, content_type)

    assert response.status_code == 201, response.text
    assert len(members_with_email(client, merchant, email)) == 1


def test_a_merge_patch_is_accepted_as_json(client, merchant):
    program = create_program(client, merchant)

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        content=b'{"name": "Tea card"}',
        headers={**merchant.auth("owner"), "Content-Type": "application/merge-patch+json"},
    )

    assert response.status_code == 200, response.text
    assert response.json()["name"] == "Tea card"


# --- item 8: path ids -----------------------------------------------------------

OURS = {"program_id", "member_id", "transaction_id", "staff_id", "job_id", "serial"}
TOO_LONG = "A" * 3000  # over DynamoDB's 2,048-byte hash key limit


def bad_values(name: str) -> list[str]:
    values = [TOO_LONG, "A" * 21 + "!"]  # too long; a character no id has
    if name in OURS:
        values.append("A" * 21)  # one character short of ids.new_id's 22
    return values


@pytest.mark.parametrize(("method", "path", "name"), routes_with_ids())
def test_a_malformed_path_id_is_404_on_every_route(client, merchant, method, path, name):
    for bad in bad_values(name):
        response = client.request(
            method,
            url_of(path, **{name: bad}),
            content=b"{}",
            headers={**merchant.auth("owner"), "Content-Type": "application/json"},
        )

        assert response.status_code == 404, (bad[:30], response.text)
        if method != "HEAD":
            assert_error(response, 404, "not_found")


def test_a_malformed_program_id_shows_the_join_pages_missing_page(base_url):
    response = httpx.get(f"{base_url}/join/{TOO_LONG}")

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")


def test_a_well_formed_unknown_member_is_still_404(client, merchant):
    response = client.get(f"/v1/members/{ids.new_id()}", headers=merchant.auth("barista"))

    assert_error(response, 404, "not_found")


# --- item 10: NaN, Infinity, 1e400 ------------------------------------------------

NON_NUMBERS = {
    "NaN": b'{"welcome": NaN}',
    "Infinity": b'{"welcome": Infinity}',
    "-Infinity": b'{"welcome": -Infinity}',
    "1e400": b'{"welcome": 1e400}',
    "nested 1e400": b'{"welcome": {"points": 1e400}}',
    "-1e400": b'{"limits": {"cooldown_seconds": -1e400}}',
}

WELCOMING_CARD = {**STAMP_CARD, "welcome": {"stamps": 2}}


@pytest.mark.parametrize("body", NON_NUMBERS.values(), ids=NON_NUMBERS.keys())
def test_a_program_patch_with_a_non_number_is_400_and_keeps_the_welcome_gift(
    client, merchant, body
):
    program = create_program(client, merchant, WELCOMING_CARD)

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        content=body,
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    assert_error(response, 400, "malformed_json")
    after = client.get(f"/v1/programs/{program['program_id']}").json()
    assert after["welcome"] == {"stamps": 2}
    assert after["version"] == program["version"]


def test_an_enrolment_with_nan_is_400_and_nobody_is_enrolled(client, merchant):
    program = create_program(client, merchant)
    email = f"{uuid.uuid4().hex[:10]}@example.com"
    body = b'{"name": "Ada", "email": "%s", "consent": {"terms": true}, "n": NaN}' % (
        email.encode()
    )

    response = post_enrolment(client, program, body, "application/json")

    assert_error(response, 400, "malformed_json")
    assert members_with_email(client, merchant, email) == []


# --- item 10: every error in the contract's shape, nosniff on JSON ---------------


def test_a_known_path_with_another_method_is_405_in_the_contracts_shape(client, merchant):
    response = client.put("/v1/programs", json={}, headers=merchant.auth("owner"))

    assert_error(response, 405, "method_not_allowed")
    assert set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_body_over_the_local_servers_limit_is_413_in_the_contracts_shape(client, merchant):
    response = client.post(
        "/v1/programs",
        content=b"{" + b" " * (11 * 1024 * 1024) + b"}",
        headers={**merchant.auth("owner"), "Content-Type": "application/json"},
    )

    assert_error(response, 413, "payload_too_large")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_a_request_the_local_server_cannot_read_is_400_in_the_contracts_shape(base_url):
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(b"GET /v1/health HTTP/1.1\r\nHost: x\r\nno colon here\r\n\r\n")
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")

    assert head.split(b"\r\n")[0].split(b" ")[1] == b"400", head
    assert b"x-content-type-options: nosniff" in head.lower()
    assert json.loads(body)["error"]["code"] == "bad_request"


def test_json_answers_carry_nosniff(client, merchant):
    program = create_program(client, merchant)
    member = enrol(client, program["program_id"])

    answers = [
        client.get(f"/v1/programs/{program['program_id']}"),
        client.get(f"/v1/members/{member['member_id']}", headers=merchant.auth("barista")),
        client.get(f"/v1/members/{ids.new_id()}", headers=merchant.auth("barista")),
        client.get("/v1/members/" + ids.new_id()),
        client.get("/no/such/route"),
        client.post("/v1/programs", content=b"{", headers=merchant.auth("owner")),
    ]

    for response in answers:
        assert response.headers["content-type"].startswith("application/json")
        assert response.headers["x-content-type-options"] == "nosniff", response.request.url


# --- item 18: the statistics' default period ------------------------------------


def test_statistics_without_from_and_to_answer_the_last_thirty_days(client, merchant):
    from tests.e2e.ledger_helpers import paris_today

    program = create_program(client, merchant)
    enrol(client, program["program_id"])
    today = paris_today()

    response = client.get(
        f"/v1/programs/{program['program_id']}/stats", headers=merchant.auth("manager")
    )

    assert response.status_code == 200, response.text
    days = [day["day"] for day in response.json()["days"]]
    assert len(days) == 30
    assert days[-1] == today
    assert response.json()["members"] == 1


def test_statistics_with_only_from_run_to_today(client, merchant):
    from datetime import date, timedelta

    from tests.e2e.ledger_helpers import paris_today

    program = create_program(client, merchant)
    today = paris_today()
    first = (date.fromisoformat(today) - timedelta(days=6)).isoformat()

    response = client.get(
        f"/v1/programs/{program['program_id']}/stats",
        params={"from": first},
        headers=merchant.auth("manager"),
    )

    assert response.status_code == 200, response.text
    days = [day["day"] for day in response.json()["days"]]
    assert (days[0], days[-1], len(days)) == (first, today, 7)
