"""The Pass Type ID certificate that signs passes: loading it, checking it, its expiry.

Apple's chain is: Apple Root CA -> Apple Worldwide Developer Relations CA (G4) ->
"Pass Type ID: pass.…" (subject UID = the pass type identifier, OU = the team
identifier). The same certificate is the TLS client certificate for APNs.
The local run's dev chain (localrun/devcerts.py, out of the Lambda package) has
that shape, so that the code paths, `openssl cms -verify` and passkit-generator
treat it as they treat Apple's; a phone never trusts it.

Files in a certificates folder: wwdr.pem, pass.pem and pass.key (PKCS#8, 0600);
the dev chain adds root.pem.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

# Apple's Pass Type ID extension; its value names the pass type (seen in Apple's
# pass certificates as a DER UTF8String of the identifier).
PASS_TYPE_EXTENSION_OID = x509.ObjectIdentifier("1.2.840.113635.100.6.1.16")

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
    public = certificate.public_key()
    if not isinstance(public, rsa.RSAPublicKey) or (
        key.public_key().public_numbers() != public.public_numbers()
    ):
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
    """The signer of a certificates folder (APPLE_CERTS_DIR), as the dev chain writes it."""
    return Signer.from_pem(
        (folder / CERTIFICATE_FILE).read_bytes(),
        (folder / KEY_FILE).read_bytes(),
        (folder / WWDR_FILE).read_bytes(),
    )
