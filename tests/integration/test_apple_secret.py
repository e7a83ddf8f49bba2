"""A deployed stage's Pass Type ID certificate comes from Secrets Manager, as PEMs or a .p12."""

from __future__ import annotations

import base64
import json

import boto3
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs12
from moto import mock_aws

from chalicelib.config import settings
from chalicelib.services import passes
from chalicelib.wallet.apple import certs


@pytest.fixture
def chain(tmp_path):
    certs.generate_dev_chain(tmp_path, "pass.org.example.secret", "SECRET1234")
    return certs.load_dev_signer(tmp_path), tmp_path


def _from_secret(monkeypatch, value: dict) -> certs.Signer:
    monkeypatch.delenv("APPLE_CERTS_DIR", raising=False)
    monkeypatch.setenv("APPLE_SECRET_ID", "wallet-loyalty/test/apple")
    settings.cache_clear()
    passes.signer.cache_clear()
    try:
        with mock_aws():
            boto3.client("secretsmanager", region_name=settings().region).create_secret(
                Name="wallet-loyalty/test/apple", SecretString=json.dumps(value)
            )
            return passes.signer()
    finally:
        monkeypatch.undo()
        settings.cache_clear()
        passes.signer.cache_clear()


def test_the_certificate_is_read_from_pems_in_the_secret(chain, monkeypatch):
    signer, folder = chain

    loaded = _from_secret(
        monkeypatch,
        {
            "certificate_pem": (folder / "pass.pem").read_text(),
            "private_key_pem": (folder / "pass.key").read_text(),
            "wwdr_pem": (folder / "wwdr.pem").read_text(),
        },
    )

    assert loaded.certificate == signer.certificate
    assert loaded.pass_type_identifier == "pass.org.example.secret"
    assert loaded.team_identifier == "SECRET1234"


def test_the_certificate_is_read_from_a_p12_in_the_secret(chain, monkeypatch):
    signer, folder = chain
    p12 = pkcs12.serialize_key_and_certificates(
        b"pass",
        signer.private_key,
        signer.certificate,
        None,
        serialization.BestAvailableEncryption(b"secret"),
    )

    loaded = _from_secret(
        monkeypatch,
        {
            "p12_base64": base64.b64encode(p12).decode(),
            "password": "secret",
            "wwdr_pem": (folder / "wwdr.pem").read_text(),
        },
    )

    assert loaded.certificate == signer.certificate
    assert loaded.intermediate == signer.intermediate
