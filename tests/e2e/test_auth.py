"""Who may call: tokens the service refuses, signing in, the lock-out, and roles.

Failed sign-ins are counted per address too (20 per 15 minutes), and every test
calls from 127.0.0.1: this file makes 12 of them and test_staff.py 1, so keep any
new ones few.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from tests.e2e.helpers import program_with_locations
from tests.e2e.test_programs_and_enrolment import STAMP_CARD, create_program, enrol

# --- tokens made by hand -------------------------------------------------------


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64_json(value: dict) -> str:
    return _b64(json.dumps(value, separators=(",", ":")).encode())


def claims_for(merchant, account: str = "manager", **changes) -> dict:
    """The claims the service would put in a token for the merchant's `account`, changed."""
    from chalicelib.config import settings

    now = int(time.time())
    claims = {
        "sub": merchant.staff_ids[account],
        "mid": merchant.merchant_id,
        "role": account,
        "loc": None,
        "iat": now,
        "exp": now + 3600,
        "jti": f"test-{now}-{account}",
        "aud": settings().jwt_audience,
        "iss": settings().jwt_issuer,
    }
    claims.update(changes)
    return claims


def service_signed(claims: dict) -> str:
    """A token signed with the service's own key: only the claims can be wrong."""
    from chalicelib.secrets import secrets

    return jwt.encode(claims, secrets().jwt_private_key, algorithm="ES256")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_refused(response) -> None:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["code"] == "unauthorized"
    assert error["message"]


# --- refused tokens ------------------------------------------------------------


def test_a_token_the_service_signs_with_the_right_claims_is_accepted(client, merchant):
    token = service_signed(claims_for(merchant))

    response = client.get("/v1/programs", headers=bearer(token))

    assert response.status_code == 200


def test_a_request_without_a_token_is_refused(client, merchant):
    response = client.get("/v1/programs")

    assert_refused(response)


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Basic {token}", id="basic scheme"),
        pytest.param("Token {token}", id="token scheme"),
        pytest.param("{token}", id="no scheme"),
        pytest.param("Bearer", id="bearer without a token"),
    ],
)
def test_a_token_not_sent_as_bearer_is_refused(client, merchant, header):
    value = header.format(token=merchant.tokens["manager"])

    response = client.get("/v1/programs", headers={"Authorization": value})

    assert_refused(response)


def test_a_token_that_is_not_a_jwt_is_refused(client, merchant):
    response = client.get("/v1/programs", headers=bearer("not.a.token"))

    assert_refused(response)


def test_a_token_with_a_tampered_payload_is_refused(client, merchant):
    header, _, signature = merchant.tokens["barista"].split(".")
    promoted = claims_for(merchant, "barista", role="owner")
    tampered = f"{header}.{_b64_json(promoted)}.{signature}"

    response = client.get("/v1/programs", headers=bearer(tampered))

    assert_refused(response)


def test_a_token_with_another_signature_grafted_on_is_refused(client, merchant, other_merchant):
    header, payload, _ = merchant.tokens["manager"].split(".")
    other_signature = other_merchant.tokens["manager"].split(".")[2]

    response = client.get("/v1/programs", headers=bearer(f"{header}.{payload}.{other_signature}"))

    assert_refused(response)


def test_an_expired_token_is_refused(client, merchant):
    now = int(time.time())
    token = service_signed(claims_for(merchant, iat=now - 7200, exp=now - 60))

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)
    assert "expired" in response.json()["error"]["message"]


def test_a_token_for_another_audience_is_refused(client, merchant):
    token = service_signed(claims_for(merchant, aud="some-other-api"))

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_from_another_issuer_is_refused(client, merchant):
    token = service_signed(claims_for(merchant, iss="https://issuer.example.com"))

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


@pytest.mark.parametrize("claim", ["sub", "mid", "role", "iat", "exp", "jti", "aud", "iss"])
def test_a_token_missing_a_required_claim_is_refused(client, merchant, claim):
    claims = claims_for(merchant)
    del claims[claim]
    token = service_signed(claims)

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_an_unsigned_token_with_alg_none_is_refused(client, merchant):
    header = _b64_json({"alg": "none", "typ": "JWT"})
    token = f"{header}.{_b64_json(claims_for(merchant))}."

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_signed_with_hs256_and_the_public_key_as_secret_is_refused(client, merchant):
    from chalicelib.secrets import secrets

    public_pem = secrets().jwt_public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    signing_input = f"{_b64_json({'alg': 'HS256', 'typ': 'JWT'})}.{_b64_json(claims_for(merchant))}"
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{_b64(signature)}"

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_signed_by_another_key_is_refused(client, merchant):
    stranger = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims_for(merchant), stranger, algorithm="ES256")

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_carrying_its_own_key_in_its_header_is_refused(client, merchant):
    stranger = ec.generate_private_key(ec.SECP256R1())
    jwk = jwt.algorithms.ECAlgorithm.to_jwk(stranger.public_key(), as_dict=True)
    token = jwt.encode(claims_for(merchant), stranger, algorithm="ES256", headers={"jwk": jwk})

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_naming_no_staff_account_is_refused(client, merchant):
    token = service_signed(claims_for(merchant, sub="AAAAAAAAAAAAAAAAAAAAAA"))

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_naming_another_merchant_than_its_account_is_refused(
    client, merchant, other_merchant
):
    token = service_signed(claims_for(merchant, mid=other_merchant.merchant_id))

    response = client.get("/v1/programs", headers=bearer(token))

    assert_refused(response)


def test_a_token_of_a_deleted_account_is_refused(client, merchant):
    token = merchant.tokens["manager"]
    before = client.get("/v1/programs", headers=bearer(token))

    deleted = client.delete(
        f"/v1/staff/{merchant.staff_ids['manager']}", headers=merchant.auth("owner")
    )
    after = client.get("/v1/programs", headers=bearer(token))

    assert before.status_code == 200
    assert deleted.status_code == 204
    assert_refused(after)


def test_a_revoked_token_is_refused_on_a_member_read(client, merchant):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"]).json()["member_id"]
    token = merchant.tokens["barista"]

    client.delete(f"/v1/staff/{merchant.staff_ids['barista']}", headers=merchant.auth("owner"))
    response = client.get(f"/v1/members/{member_id}", headers=bearer(token))

    assert_refused(response)


def test_a_revoked_token_cannot_stamp_a_card(client, merchant):
    program = create_program(client, merchant)
    member_id = enrol(client, program["program_id"]).json()["member_id"]
    token = merchant.tokens["barista"]

    client.delete(f"/v1/staff/{merchant.staff_ids['barista']}", headers=merchant.auth("owner"))
    response = client.post(
        f"/v1/members/{member_id}/stamps",
        json={"count": 1, "idempotency_key": f"revoked-{member_id}"},
        headers=bearer(token),
    )

    assert_refused(response)
    member = client.get(f"/v1/members/{member_id}", headers=merchant.auth("manager")).json()
    assert member["balances"] == {"stamps": 0, "points": 0}


def test_a_role_claim_the_account_does_not_hold_grants_nothing(client, merchant):
    token = service_signed(claims_for(merchant, "barista", role="owner"))

    response = client.get("/v1/programs", headers=bearer(token))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


# --- signing in ----------------------------------------------------------------


def login(client, email: str, password: str):
    return client.post("/v1/auth/login", json={"email": email, "password": password})


def test_signing_in_returns_a_token_that_works(client, merchant):
    started = datetime.now(UTC).replace(microsecond=0)

    response = login(client, merchant.emails["manager"], merchant.passwords["manager"])
    programs = client.get("/v1/programs", headers=bearer(response.json()["token"]))

    assert response.status_code == 200
    body = response.json()
    assert body["staff"]["staff_id"] == merchant.staff_ids["manager"]
    assert body["staff"]["role"] == "manager"
    assert body["staff"]["merchant_id"] == merchant.merchant_id
    assert body["staff"]["location_id"] is None
    assert datetime.fromisoformat(body["expires_at"].replace("Z", "+00:00")) > started
    assert programs.status_code == 200


def test_a_barista_signs_in_with_their_location(client, merchant):
    program_with_locations(client, merchant, "counter-1")
    moved = client.patch(
        f"/v1/staff/{merchant.staff_ids['barista']}",
        json={"location_id": "counter-1"},
        headers=merchant.auth("owner"),
    )
    assert moved.status_code == 200, moved.text

    response = login(client, merchant.emails["barista"], merchant.passwords["barista"])

    assert response.status_code == 200
    assert response.json()["staff"]["role"] == "barista"
    assert response.json()["staff"]["location_id"] == "counter-1"


def test_the_email_is_matched_whatever_its_case_and_blanks(client, merchant):
    shouted = f"  {merchant.emails['owner'].upper()} "

    response = login(client, shouted, merchant.passwords["owner"])

    assert response.status_code == 200
    assert response.json()["staff"]["staff_id"] == merchant.staff_ids["owner"]


def test_a_wrong_password_and_an_unknown_email_are_refused_alike(client, merchant):
    wrong_password = login(client, merchant.emails["owner"], "not-the-password")
    unknown_email = login(client, f"nobody-{merchant.merchant_id[:8]}@example.com", "whatever")

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["error"]["code"] == "invalid_credentials"


def test_after_five_failures_even_the_right_password_is_turned_away(client, merchant):
    email, password = merchant.emails["owner"], merchant.passwords["owner"]
    failures = [login(client, email, f"wrong-{n}") for n in range(5)]

    sixth = login(client, email, password)
    colleague = login(client, merchant.emails["barista"], merchant.passwords["barista"])

    assert [f.status_code for f in failures] == [401] * 5
    assert sixth.status_code == 429
    assert sixth.json()["error"]["code"] == "too_many_attempts"
    assert 1 <= int(sixth.headers["Retry-After"]) <= 15 * 60
    assert colleague.status_code == 200


def test_failures_sent_all_at_once_are_counted_as_strictly(client, merchant):
    email = merchant.emails["manager"]
    with ThreadPoolExecutor(max_workers=8) as pool:
        answers = list(pool.map(lambda n: login(client, email, f"wrong-{n}"), range(8)))

    after = login(client, email, merchant.passwords["manager"])

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [401] * 5 + [429] * 3
    assert after.status_code == 429


# --- roles ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["barista", "manager"])
def test_only_an_owner_creates_a_program(client, merchant, role):
    response = client.post("/v1/programs", json=STAMP_CARD, headers=merchant.auth(role))

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    assert client.get("/v1/programs", headers=merchant.auth("owner")).json()["items"] == []


def test_an_owner_changes_a_program(client, merchant):
    program = create_program(client, merchant)

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"name": "Renamed"},
        headers=merchant.auth("owner"),
    )

    assert response.status_code == 200
    assert response.json()["name"] == "Renamed"


@pytest.mark.parametrize("role", ["barista", "manager"])
def test_only_an_owner_changes_a_program(client, merchant, role):
    program = create_program(client, merchant)

    response = client.patch(
        f"/v1/programs/{program['program_id']}",
        json={"name": "Renamed"},
        headers=merchant.auth(role),
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"
    after = client.get(f"/v1/programs/{program['program_id']}").json()
    assert after["name"] == program["name"]
    assert after["version"] == program["version"]


def test_a_barista_cannot_list_the_programs(client, merchant):
    response = client.get("/v1/programs", headers=merchant.auth("barista"))

    assert response.status_code == 403


def test_a_barista_reads_a_member_and_scans_their_card(client, merchant):
    program = create_program(client, merchant)
    enrolled = enrol(client, program["program_id"]).json()

    read = client.get(f"/v1/members/{enrolled['member_id']}", headers=merchant.auth("barista"))
    scanned = client.post(
        "/v1/scans", json={"barcode": enrolled["barcode"]}, headers=merchant.auth("barista")
    )

    assert read.status_code == 200
    assert read.json()["member_id"] == enrolled["member_id"]
    assert scanned.status_code == 200
    assert scanned.json()["member_id"] == enrolled["member_id"]
