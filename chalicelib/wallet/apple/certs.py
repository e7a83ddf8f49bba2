"""The Pass Type ID certificate that signs passes, and a dev chain shaped like Apple's.

Apple's chain is: Apple Root CA -> Apple Worldwide Developer Relations CA (G4) ->
"Pass Type ID: pass.…" (subject UID = the pass type identifier, OU = the team
identifier). The same certificate is the TLS client certificate for APNs.
The dev chain below has that shape, so that the code paths, `openssl cms -verify`
and passkit-generator treat it as they treat Apple's; a phone never trusts it.

Files in a dev folder: root.pem, wwdr.pem, pass.pem and pass.key (PKCS#8, 0600).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from chalicelib.wallet.apple import der

# Apple's Pass Type ID extension; its value names the pass type (seen in Apple's
# pass certificates as a DER UTF8String of the identifier).
PASS_TYPE_EXTENSION_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.1.16")
DEV_ORGANIZATION = "Wallet Loyalty Dev"

ROOT_FILE = "root.pem"
WWDR_FILE = "wwdr.pem"
CERTIFICATE_FILE = "pass.pem"
KEY_FILE = "pass.key"


@dataclass(frozen=True)
class Signer:
    """What signs a pass: the Pass Type ID certificate and key, and the WWDR intermediate.

    Load it once per process: the key is parsed here, never per pass.
    """

    certificate: x509.Certificate
    private_key: rsa.RSAPrivateKey
    intermediate: x509.Certificate
    pass_type_identifier: str
    team_identifier: str

    @classmethod
    def from_pem(
        cls,
        cert_pem: bytes,
        key_pem: bytes,
        wwdr_pem: bytes,
        key_password: bytes | None = None,
    ) -> Signer:
        """A signer from PEM files; raises ValueError when they do not belong together."""
        certificate = x509.load_pem_x509_certificate(cert_pem)
        key = serialization.load_pem_private_key(key_pem, password=key_password)
        return _signer(certificate, key, x509.load_pem_x509_certificate(wwdr_pem))

    @classmethod
    def from_p12(cls, p12: bytes, password: bytes | None, wwdr_pem: bytes) -> Signer:
        """A signer from the .p12 that Keychain exports; raises ValueError when incomplete."""
        key, certificate, _ = pkcs12.load_key_and_certificates(p12, password)
        if key is None or certificate is None:
            raise ValueError("the .p12 must hold the Pass Type ID certificate and its private key")
        return _signer(certificate, key, x509.load_pem_x509_certificate(wwdr_pem))


def _signer(certificate: x509.Certificate, key: object, intermediate: x509.Certificate) -> Signer:
    # Wallet drops a pass whose passTypeIdentifier or teamIdentifier differ from the
    # certificate's, without saying why: read both from the certificate itself.
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ValueError("the pass signing key must be an RSA private key, as Apple issues")
    if key.public_key().public_numbers() != certificate.public_key().public_numbers():  # type: ignore[union-attr]
        raise ValueError("the private key does not belong to the pass certificate")
    return Signer(
        certificate=certificate,
        private_key=key,
        intermediate=intermediate,
        pass_type_identifier=_subject(certificate, NameOID.USER_ID, "UID (pass type identifier)"),
        team_identifier=_subject(
            certificate, NameOID.ORGANIZATIONAL_UNIT_NAME, "OU (team identifier)"
        ),
    )


def _subject(certificate: x509.Certificate, oid: x509.ObjectIdentifier, what: str) -> str:
    values = certificate.subject.get_attributes_for_oid(oid)
    if not values or not values[0].value:
        raise ValueError(
            f"the certificate's subject has no {what}: is it a Pass Type ID certificate? "
            f"(subject: {certificate.subject.rfc4514_string()})"
        )
    value = values[0].value
    return value if isinstance(value, str) else value.decode()


def expiry_warning(cert: x509.Certificate, now: datetime, days: int = 30) -> str | None:
    """A loud message when `cert` has expired or expires within `days`, else None.

    Raises ValueError for a naive `now`: a certificate's dates are UTC instants.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    ends = cert.not_valid_after_utc
    subject = cert.subject.rfc4514_string()
    if ends <= now:
        return (
            f"THE APPLE PASS CERTIFICATE EXPIRED ON {ends:%Y-%m-%d %H:%M} UTC ({subject}): "
            "phones refuse every pass signed with it and APNs refuses its pushes. "
            "Renew it in the Apple Developer account and install the new one now."
        )
    left = ends - now
    if left <= timedelta(days=days):
        return (
            f"THE APPLE PASS CERTIFICATE EXPIRES IN {left.days} DAYS, ON "
            f"{ends:%Y-%m-%d %H:%M} UTC ({subject}): after that phones refuse new and "
            "updated passes and APNs refuses pushes. Renew it in the Apple Developer account."
        )
    return None


def load_dev_signer(folder: Path) -> Signer:
    """The signer written by `generate_dev_chain` into `folder`."""
    return Signer.from_pem(
        (folder / CERTIFICATE_FILE).read_bytes(),
        (folder / KEY_FILE).read_bytes(),
        (folder / WWDR_FILE).read_bytes(),
    )


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
