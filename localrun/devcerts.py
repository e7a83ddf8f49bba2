"""A dev certificate chain shaped like Apple's, for the local run, the tests and the benchmarks.

Apple Root CA -> Apple Worldwide Developer Relations CA (G4) -> "Pass Type ID: pass.…"
(subject UID = the pass type identifier, OU = the team identifier), marked as dev in
every name. Files: root.pem, wwdr.pem, pass.pem and pass.key (PKCS#8, 0600), which
`chalicelib.wallet.apple.certs.load_dev_signer` reads. Never in the Lambda package:
a deployed stage signs with Apple's certificate from Secrets Manager.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chalicelib.wallet.apple import der
from chalicelib.wallet.apple.certs import (
    CERTIFICATE_FILE,
    KEY_FILE,
    PASS_TYPE_EXTENSION_OID,
    WWDR_FILE,
)

DEV_ORGANIZATION = "Wallet Loyalty Dev"
ROOT_FILE = "root.pem"


def generate_dev_chain(folder: Path, pass_type_identifier: str, team_identifier: str) -> bool:
    """Write a dev root, WWDR-like intermediate and Pass Type ID certificate into `folder`.

    Does nothing and returns False when `folder/pass.pem` exists, so that a restart
    keeps the passes already on test phones verifiable; True when written.
    """
    if (folder / CERTIFICATE_FILE).exists():
        return False
    folder.mkdir(parents=True, exist_ok=True)
    now = datetime.now(UTC).replace(microsecond=0)
    # A little in the past: a clock a few minutes behind must not see a future cert.
    start = now - timedelta(hours=1)

    root_key = _new_key()
    root_name = _name(
        (NameOID.COMMON_NAME, "Wallet Loyalty Dev Root CA (not Apple)"),
        (NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
        (NameOID.COUNTRY_NAME, "US"),
    )
    root = _ca(root_name, root_key, root_name, root_key, start, timedelta(days=3650), None)

    wwdr_key = _new_key()
    wwdr_name = _name(
        # Apple's name, marked: a CN holds at most 64 characters.
        (NameOID.COMMON_NAME, "DEV Apple Worldwide Developer Relations Certification Authority"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, "G4"),
        (NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
        (NameOID.COUNTRY_NAME, "US"),
    )
    wwdr = _ca(wwdr_name, wwdr_key, root_name, root_key, start, timedelta(days=3000), 0)

    pass_key = _new_key()
    pass_name = _name(
        (NameOID.USER_ID, pass_type_identifier),
        (NameOID.COMMON_NAME, f"Pass Type ID: {pass_type_identifier}"),
        (NameOID.ORGANIZATIONAL_UNIT_NAME, team_identifier),
        (NameOID.ORGANIZATION_NAME, DEV_ORGANIZATION),
        (NameOID.COUNTRY_NAME, "US"),
    )
    leaf = (
        _builder(pass_name, pass_key, wwdr_name, start, timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        # clientAuth: the same certificate authenticates to APNs over TLS.
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(wwdr_key.public_key()),
            critical=False,
        )
        .add_extension(
            x509.UnrecognizedExtension(
                PASS_TYPE_EXTENSION_OID, der.utf8_string(pass_type_identifier)
            ),
            critical=False,
        )
        .sign(wwdr_key, hashes.SHA256())
    )

    (folder / ROOT_FILE).write_bytes(root.public_bytes(serialization.Encoding.PEM))
    (folder / WWDR_FILE).write_bytes(wwdr.public_bytes(serialization.Encoding.PEM))
    key_file = folder / KEY_FILE
    key_file.touch(mode=0o600)
    key_file.chmod(0o600)
    key_file.write_bytes(
        pass_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    # pass.pem last: it is what says "done", so an interrupted run starts afresh.
    (folder / CERTIFICATE_FILE).write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    # The CA keys are not kept: nothing issues from them again, and a key not on
    # disk cannot leak.
    return True


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _builder(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    start: datetime,
    lifetime: timedelta,
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start)
        .not_valid_after(start + lifetime)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _ca(
    subject: x509.Name,
    key: rsa.RSAPrivateKey,
    issuer: x509.Name,
    issuer_key: rsa.RSAPrivateKey,
    start: datetime,
    lifetime: timedelta,
    path_length: int | None,
) -> x509.Certificate:
    builder = _builder(subject, key, issuer, start, lifetime)
    if issuer_key is not key:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False,
        )
    return (
        builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=path_length), critical=True
        )
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )
