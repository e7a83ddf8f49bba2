"""Pushing a pass's devices through APNs, and dropping the ones APNs says are gone."""

from __future__ import annotations

import logging
import tempfile
from collections import Counter
from pathlib import Path

from chalicelib.config import settings
from chalicelib.push.apns import ApnsClient, LoggingPusher, Outcome
from chalicelib.root import per_root
from chalicelib.services.delivery.metrics import stats
from chalicelib.store.models import RegistrationItem

log = logging.getLogger(__name__)


@per_root
def pusher() -> ApnsClient | LoggingPusher:
    """The APNs client (one long-lived HTTP/2 connection per process), or a logger."""
    config = settings()
    if not config.apns_endpoint:
        return LoggingPusher()
    cert_file, key_file = _client_certificate()
    return ApnsClient(
        config.apns_endpoint,
        cert_file,
        key_file,
        topic=config.pass_type_identifier,
        ca_file=config.apns_ca_file,
    )


def _client_certificate() -> tuple[str, str]:
    """The Pass Type ID certificate chain and key as files, as TLS wants them.

    Written to a folder of this process's own (mode 0700; under /tmp, Lambda's only
    writable place), never into APPLE_CERTS_DIR: the configured folder is read only,
    and a chain written beside it would outlive a renewed certificate.
    """
    config = settings()
    private = Path(tempfile.mkdtemp(prefix="apns-"))
    chain = private / "pass-chain.pem"
    if config.apple_certs_dir:
        # TLS sends the chain: the pass certificate, then the WWDR intermediate.
        folder = Path(config.apple_certs_dir)
        chain.write_bytes((folder / "pass.pem").read_bytes() + (folder / "wwdr.pem").read_bytes())
        return str(chain), str(folder / "pass.key")
    from cryptography.hazmat.primitives import serialization

    from chalicelib.services.passes import signer

    loaded = signer()
    chain.write_bytes(
        loaded.certificate.public_bytes(serialization.Encoding.PEM)
        + loaded.intermediate.public_bytes(serialization.Encoding.PEM)
    )
    key = private / "pass.key"
    key.write_bytes(
        loaded.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    return str(chain), str(key)


def push_tokens(registrations: list[RegistrationItem]) -> str | None:
    """A fan-out page's pushes: what is left to retry, or None (see push_registrations)."""
    return push_registrations(registrations)[0]


def push_registrations(registrations: list[RegistrationItem]) -> tuple[str | None, set[str]]:
    """Push every registration and drop the ones APNs says are gone.

    None when nothing is left to retry; otherwise what APNs answered, for the
    outbox's last_error and the dead-letter message ("APNs: 3 of 5 to retry: 503 x3");
    and the tokens settled (answered, not to push again for this change).
    """
    if not registrations:
        return None, set()
    results = pusher().push_many([r.push_token for r in registrations])
    by_token = {r.push_token: r for r in registrations}
    retry: Counter[str] = Counter()
    settled: set[str] = set()
    for result in results:
        stats()[f"push_{result.outcome.name.lower()}"] += 1
        if result.outcome not in (Outcome.CERTIFICATE, Outcome.RETRY):
            settled.add(result.token)
        if result.outcome == Outcome.UNREGISTER:
            registration = by_token.get(result.token)
            if registration is not None:
                registration.delete()
                stats()["registration_dropped"] += 1
        elif result.outcome == Outcome.CERTIFICATE:
            log.error(
                "APNs refused our certificate (403 %s): check the Pass Type ID certificate",
                result.reason,
            )
            retry[f"403 {result.reason} (the certificate)"] += 1
        elif result.outcome == Outcome.RETRY:
            retry[" ".join(str(part) for part in (result.status, result.reason) if part)] += 1
        elif result.outcome == Outcome.REJECTED:
            log.error("APNs rejected a push: %s %s", result.status, result.reason)
    if not retry:
        return None, settled
    answers = ", ".join(f"{answer or 'no answer'} x{n}" for answer, n in retry.most_common())
    return f"APNs: {sum(retry.values())} of {len(results)} to retry: {answers}", settled
