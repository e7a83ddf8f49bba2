"""The "Add to Google Wallet" link: an RS256 JWT by the service account, naming one object."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from google.auth import jwt

from chalicelib import ids
from chalicelib.wallet.google.savelink import LINK_LIFETIME_SECONDS, SAVE_URL, save_url
from localrun.devkeys import DEV_ISSUER_ID, generate_dev_service_account


@pytest.fixture(scope="module")
def service_account(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("google") / "key.json"
    generate_dev_service_account(path, "https://oauth2.googleapis.com/token")
    return json.loads(path.read_text())


def public_pem(info: dict) -> bytes:
    key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def test_the_link_verifies_with_the_service_account_key_and_carries_exactly_the_claims(
    service_account,
):
    object_id = f"{DEV_ISSUER_ID}.{ids.new_id()}"
    origins = ["https://loyalty.example", "http://127.0.0.1:8000"]

    url = save_url(service_account, object_id, origins)

    assert url.startswith(SAVE_URL)
    token = url.removeprefix(SAVE_URL)
    claims = jwt.decode(token, certs=public_pem(service_account), audience="google")
    assert claims == {
        "iss": service_account["client_email"],
        "aud": "google",
        "typ": "savetowallet",
        "iat": claims["iat"],
        "exp": claims["iat"] + LINK_LIFETIME_SECONDS,
        "origins": origins,
        "payload": {"loyaltyObjects": [{"id": object_id}]},
    }


def test_the_link_is_rs256_with_the_key_id_of_the_service_account(service_account):
    url = save_url(service_account, f"{DEV_ISSUER_ID}.x", ["https://loyalty.example"])

    header = jwt.decode_header(url.removeprefix(SAVE_URL))

    assert header["alg"] == "RS256"
    assert header["kid"] == service_account["private_key_id"]


def test_the_link_is_issued_at_the_time_given(service_account):
    url = save_url(service_account, f"{DEV_ISSUER_ID}.x", [], now=1_700_000_000)

    claims = jwt.decode(url.removeprefix(SAVE_URL), verify=False)

    assert claims["iat"] == 1_700_000_000


def test_the_link_stays_under_1800_characters(service_account):
    object_id = f"{DEV_ISSUER_ID}.{ids.new_id()}"

    url = save_url(service_account, object_id, ["https://loyalty.example.com"])

    assert len(url) < 1800


def test_a_link_that_would_be_too_long_is_refused(service_account):
    origins = [f"https://shop-{n}.loyalty.example.com" for n in range(60)]

    with pytest.raises(ValueError, match="1800"):
        save_url(service_account, f"{DEV_ISSUER_ID}.x", origins)


def test_a_link_signed_by_another_key_does_not_verify(service_account, tmp_path: Path):
    other_path = tmp_path / "other.json"
    generate_dev_service_account(other_path, "https://oauth2.googleapis.com/token")
    other = json.loads(other_path.read_text())

    url = save_url(other, f"{DEV_ISSUER_ID}.x", ["https://loyalty.example"])

    with pytest.raises(ValueError):
        jwt.decode(url.removeprefix(SAVE_URL), certs=public_pem(service_account), audience="google")
