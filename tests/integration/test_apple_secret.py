"""A deployed stage's Pass Type ID certificate comes from Secrets Manager, as PEMs or a .p12."""

from __future__ import annotations

import base64
import json
import uuid

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12

from chalicelib.config import settings
from chalicelib.services import passes
from chalicelib.wallet.apple import certs
from localrun import devcerts


@pytest.fixture
def chain(tmp_path):
    devcerts.generate_dev_chain(tmp_path, "pass.org.example.secret", "SECRET1234")
    return certs.load_dev_signer(tmp_path), tmp_path


def _from_secret(new_root, endpoint: str, value: dict | str) -> str:
    """A root whose Apple certificate is the secret `value`; the secret's name."""
    name = f"wallet-loyalty/test/apple-{uuid.uuid4().hex}"
    boto3.client(
        "secretsmanager", region_name=settings().region, endpoint_url=endpoint
    ).create_secret(Name=name, SecretString=value if isinstance(value, str) else json.dumps(value))
    # boto3 reaches the test's Secrets Manager the way it would any endpoint.
    new_root(APPLE_CERTS_DIR=None, APPLE_SECRET_ID=name, AWS_ENDPOINT_URL_SECRETS_MANAGER=endpoint)
    return name


def test_the_certificate_is_read_from_pems_in_the_secret(chain, new_root, secrets_manager_url):
    signer, folder = chain

    _from_secret(
        new_root,
        secrets_manager_url,
        {
            "certificate_pem": (folder / "pass.pem").read_text(),
            "private_key_pem": (folder / "pass.key").read_text(),
            "wwdr_pem": (folder / "wwdr.pem").read_text(),
        },
    )
    loaded = passes.signer()

    assert loaded.certificate == signer.certificate
    assert loaded.pass_type_identifier == "pass.org.example.secret"
    assert loaded.team_identifier == "SECRET1234"


def test_the_certificate_is_read_from_a_p12_in_the_secret(chain, new_root, secrets_manager_url):
    signer, folder = chain
    p12 = pkcs12.serialize_key_and_certificates(
        b"pass",
        signer.private_key,
        signer.certificate,
        None,
        serialization.BestAvailableEncryption(b"secret"),
    )

    _from_secret(
        new_root,
        secrets_manager_url,
        {
            "p12_base64": base64.b64encode(p12).decode(),
            "password": "secret",
            "wwdr_pem": (folder / "wwdr.pem").read_text(),
        },
    )
    loaded = passes.signer()

    assert loaded.certificate == signer.certificate
    assert loaded.intermediate == signer.intermediate


def test_a_secret_still_holding_the_templates_placeholder_says_what_to_do(
    new_root, secrets_manager_url
):
    """CloudFormation fills a new secret with a random password until the operator acts."""
    name = _from_secret(new_root, secrets_manager_url, "x8#Jq;Uv0p%Wl2!sB7rT4yN6mE9cK1aZ")

    with pytest.raises(RuntimeError, match=f"secret {name} lacks wwdr_pem") as refused:
        passes.signer()

    assert "docs/deploy.md" in str(refused.value)
