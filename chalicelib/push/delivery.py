"""Delivering the outbox: every change reaches the phones, nothing is lost.

One module, the same code everywhere: a deployed stage calls `deliver` from the
outbox table's DynamoDB Streams handler and `sweep` from a schedule (whatever is
still due after a failure); the local run calls `sweep` from a background thread.

    pass#member   Apple: push `{}` to every registered device (they then fetch the pass)
                  Google: patch the member's object; notify when a reward unlocked
    class#program Google: patch the program's class (a design change: once, not per member)
    fanout#job    Apple: a program change, pushed to every device of the program, a page
                  of registrations at a time; the job's cursor advances only after a
                  page is pushed, so a worker killed mid-page repeats at most that page

An item is deleted only on the condition that its `version` is still the one
delivered: a change made meanwhile keeps it pending for the next round. A failed
delivery is retried with exponential backoff; after DELIVERY_MAX_ATTEMPTS it goes
to the dead-letter queue (deployed) or stays parked and logged (local).
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
from collections import Counter
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from pynamodb.exceptions import DeleteError, UpdateError

from chalicelib import clock
from chalicelib.config import settings
from chalicelib.push.apns import ApnsClient, LoggingPusher, Outcome
from chalicelib.services import google_wallet
from chalicelib.store.convert import OUTBOX_SHARDS
from chalicelib.store.models import JobItem, MemberItem, OutboxItem, RegistrationItem

log = logging.getLogger(__name__)
stats: Counter[str] = Counter()  # per outcome, for /v1/health and the logs

MAX_BACKOFF_SECONDS = 3600


@lru_cache(maxsize=1)
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
    """The Pass Type ID certificate and key as files, as TLS wants them."""
    config = settings()
    if config.apple_certs_dir:
        # TLS sends the chain: the pass certificate, then the WWDR intermediate.
        folder = Path(config.apple_certs_dir)
        chain = folder / "apns-chain.pem"
        if not chain.exists():
            chain.write_bytes(
                (folder / "pass.pem").read_bytes() + (folder / "wwdr.pem").read_bytes()
            )
        return str(chain), str(folder / "pass.key")
    from cryptography.hazmat.primitives import serialization

    from chalicelib.services.passes import signer

    loaded = signer()
    folder = Path("/tmp/apns")  # noqa: S108 - Lambda's only writable place
    folder.mkdir(exist_ok=True, mode=0o700)
    (folder / "pass.pem").write_bytes(
        loaded.certificate.public_bytes(serialization.Encoding.PEM)
        + loaded.intermediate.public_bytes(serialization.Encoding.PEM)
    )
    key = folder / "pass.key"
    key.write_bytes(
        loaded.private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    return str(folder / "pass.pem"), str(key)


def deliver(outbox_id: str) -> str:
    """Deliver one outbox item; 'delivered', 'gone', 'superseded', 'retry' or 'more'.

    Each outcome is one structured log line (JSON), for CloudWatch Logs Insights.
    """
    try:
        item = OutboxItem.get(outbox_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return "gone"
    outcome, error = _attempt(item)
    log.info(
        json.dumps(
            {
                "event": "outbox_delivery",
                "outbox_id": outbox_id,
                "kind": item.kind,
                "reason": item.reason,
                "outcome": outcome,
                "attempts": int(item.attempts or 0) + (outcome == "retry"),
                "error": error,
            }
        )
    )
    return outcome


def _attempt(item: OutboxItem) -> tuple[str, str | None]:
    try:
        if item.kind == "fanout":
            return _deliver_fanout(item), None
        ok = _deliver_pass(item) if item.kind == "pass" else _deliver_class(item)
        error = None if ok else "some devices or Google not reached"
    except Exception as exc:
        log.exception("delivery of %s failed", item.outbox_id)
        ok, error = False, f"{type(exc).__name__}: {exc}"[:500]
    if ok:
        try:
            item.delete(condition=OutboxItem.version == int(item.version))
        except DeleteError:
            stats["superseded"] += 1
            return "superseded", None  # changed meanwhile: its newer version is pending
        stats["delivered"] += 1
        return "delivered", None
    _retry_later(item, error)
    return "retry", error


def _deliver_pass(item: OutboxItem) -> bool:
    try:
        member = MemberItem.get(item.member_id, consistent_read=True)
    except MemberItem.DoesNotExist:
        return True  # nothing left to update
    apple_ok = _push_devices(member.member_id)
    google_ok = True
    try:
        google_wallet.sync_object(member, notify=bool(item.notify))
    except Exception:
        log.exception("Google update for member %s failed", member.member_id)
        google_ok = False
    return apple_ok and google_ok


def _push_devices(serial: str) -> bool:
    return _push_tokens(list(RegistrationItem.by_serial.query(serial)))


def _push_tokens(registrations: list[RegistrationItem]) -> bool:
    """Push every registration; drop the ones APNs says are gone; False if any must retry."""
    if not registrations:
        return True
    results = pusher().push_many([r.push_token for r in registrations])
    by_token = {r.push_token: r for r in registrations}
    ok = True
    for result in results:
        stats[f"push_{result.outcome.name.lower()}"] += 1
        if result.outcome == Outcome.UNREGISTER:
            registration = by_token.get(result.token)
            if registration is not None:
                registration.delete()
                stats["registration_dropped"] += 1
        elif result.outcome == Outcome.CERTIFICATE:
            log.error(
                "APNs refused our certificate (403 %s): check the Pass Type ID certificate",
                result.reason,
            )
            ok = False
        elif result.outcome == Outcome.RETRY:
            ok = False
        elif result.outcome == Outcome.REJECTED:
            log.error("APNs rejected a push: %s %s", result.status, result.reason)
    return ok


FANOUT_PAGE = 5000  # about 1 MB of registrations: one DynamoDB page


def _deliver_fanout(item: OutboxItem) -> str:
    """Push one page of the program's devices; 'more' until the last page, then 'delivered'."""
    job = JobItem.get(item.reason, consistent_read=True)  # the outbox's reason is the job id
    cursor = json.loads(job.cursor) if job.cursor else None
    page = RegistrationItem.by_program.query(
        item.program_id, limit=FANOUT_PAGE, last_evaluated_key=cursor
    )
    registrations = list(page)
    ok = _push_tokens(registrations)
    if not ok:
        _retry_later(item, "some devices not reached")
        return "retry"
    now = clock.iso(clock.now())
    done = page.last_evaluated_key is None
    job.update(
        actions=[
            JobItem.devices_done.add(len(registrations)),
            JobItem.cursor.set(json.dumps(page.last_evaluated_key))
            if not done
            else JobItem.cursor.remove(),
            JobItem.status.set("done" if done else "running"),
            JobItem.updated_at.set(now),
        ]
    )
    if not done:
        stats["fanout_pages"] += 1
        return "more"
    item.delete()
    stats["delivered"] += 1
    return "delivered"


def _deliver_class(item: OutboxItem) -> bool:
    google_wallet.sync_class(item.program_id)
    return True


def _retry_later(item: OutboxItem, error: str | None) -> None:
    attempts = int(item.attempts or 0) + 1
    if attempts >= settings().delivery_max_attempts and _dead_letter(item, error):
        return
    backoff = min(MAX_BACKOFF_SECONDS, 2**attempts) * random.uniform(0.5, 1.0)  # noqa: S311
    due = clock.iso(clock.now() + timedelta(seconds=backoff))
    # A newer change may have reset it meanwhile: it is due again anyway.
    with contextlib.suppress(UpdateError):
        item.update(
            actions=[
                OutboxItem.attempts.set(attempts),
                OutboxItem.due_at.set(due),
                OutboxItem.last_error.set(error or "unknown"),
            ],
            condition=OutboxItem.version == int(item.version),
        )
    stats["retried"] += 1


def _dead_letter(item: OutboxItem, error: str | None) -> bool:
    queue = settings().dead_letter_queue_url
    if not queue:
        log.error("outbox %s failed %s times (%s): parked", item.outbox_id, item.attempts, error)
        return False
    import boto3  # deployed stages only

    boto3.client("sqs", region_name=settings().region).send_message(
        QueueUrl=queue,
        MessageBody=json.dumps(
            {"outbox_id": item.outbox_id, "version": int(item.version), "error": error}
        ),
    )
    try:
        item.delete(condition=OutboxItem.version == int(item.version))
    except DeleteError:
        return False
    stats["dead_lettered"] += 1
    return True


def sweep(limit: int = 200, now: datetime | None = None) -> dict[str, int]:
    """Deliver what is due by `now` (default: now), shard by shard (a Query each, never a Scan)."""
    due = clock.iso(now or clock.now())
    outcomes: Counter[str] = Counter()
    for shard in range(OUTBOX_SHARDS):
        for item in OutboxItem.pending.query(shard, OutboxItem.due_at <= due, limit=limit):
            outcome = deliver(item.outbox_id)
            while outcome == "more":  # a fan-out: its next page straight away
                outcomes["fanout_page"] += 1
                outcome = deliver(item.outbox_id)
            outcomes[outcome] += 1
    return dict(outcomes)


def backlog() -> dict[str, Any]:
    """How much is pending and how old the oldest is: for /v1/health."""
    count, oldest = 0, None
    for shard in range(OUTBOX_SHARDS):
        for item in OutboxItem.pending.query(shard):
            count += 1
            if oldest is None or item.created_at < oldest:
                oldest = item.created_at
    age = None
    if oldest is not None:
        age = (clock.now() - clock.parse_iso(oldest)).total_seconds()
    return {"pending": count, "oldest_age_seconds": age, "outcomes": dict(stats)}
