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
to the dead-letter queue (deployed) or stays parked and logged (local). A message
in that queue carries the whole item: `redrive` puts it back in the outbox.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
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


def deliver(outbox_id: str, due_by: str | None = None) -> str:
    """Deliver one outbox item and say how it went.

    'delivered', 'gone', 'superseded', 'retry', 'dead_lettered', 'more', or with
    `due_by` (an ISO instant) 'not_due': a later change moved the item past it, and
    is delivered once its own window ends. Each outcome but 'gone' is one structured
    log line (JSON), for CloudWatch Logs Insights.
    """
    try:
        item = OutboxItem.get(outbox_id, consistent_read=True)
    except OutboxItem.DoesNotExist:
        return "gone"
    tried = int(item.attempts or 0)  # before: a retry's update refreshes the item
    if due_by is not None and item.due_at > due_by:
        outcome, error = "not_due", None
    else:
        outcome, error = _attempt(item)
    log.info(
        json.dumps(
            {
                "event": "outbox_delivery",
                "outbox_id": outbox_id,
                "kind": item.kind,
                "reason": item.reason,
                "outcome": outcome,
                "attempts": tried + (outcome in ("retry", "dead_lettered")),
                "error": error,
            }
        )
    )
    return outcome


@dataclass
class _Progress:
    """The legs of a pass delivery that succeeded, recorded on the item with its backoff."""

    actions: list[Any] = field(default_factory=list)
    notified: int | None = None  # the notify_version whose notice is settled


def _attempt(item: OutboxItem) -> tuple[str, str | None]:
    progress = _Progress()
    try:
        if item.kind == "fanout":
            return _deliver_fanout(item), None
        error = _deliver_pass(item, progress) if item.kind == "pass" else _deliver_class(item)
    except Exception as exc:
        log.exception("delivery of %s failed", item.outbox_id)
        error = f"{type(exc).__name__}: {exc}"[:500]
    if error is None:
        try:
            item.delete(condition=OutboxItem.version == int(item.version))
        except DeleteError:
            _record_notice(item, progress.notified)  # the newer version owes no second one
            stats["superseded"] += 1
            return "superseded", None  # changed meanwhile: its newer version is pending
        stats["delivered"] += 1
        return "delivered", None
    return _retry_later(item, error, progress), error


def _deliver_pass(item: OutboxItem, progress: _Progress) -> str | None:
    """Push the pass's devices and update its Google object; what failed, or None.

    Legs that succeeded at this version on an earlier attempt are skipped, and this
    attempt's successes go into `progress`: a retry pushes only the devices that
    failed, and Google's object and notice are not sent twice.
    """
    try:
        member = MemberItem.get(item.member_id, consistent_read=True)
    except MemberItem.DoesNotExist:
        return None  # nothing left to update
    version = int(item.version)
    pushed = set(item.pushed or ()) if item.pushed_version == version else set()
    registrations = [
        r for r in RegistrationItem.by_serial.query(member.member_id) if r.push_token not in pushed
    ]
    error, answered = _push_registrations(registrations)
    errors = [error]
    if answered - pushed:
        progress.actions += [
            OutboxItem.pushed_version.set(version),
            OutboxItem.pushed.set(pushed | answered),
        ]
    if item.synced_version != version:
        owed = _notice_owed(item)
        try:
            google_wallet.sync_object(member, notify=owed is not None)
        except Exception as exc:
            log.exception("Google update for member %s failed", member.member_id)
            errors.append(f"Google: {type(exc).__name__}: {exc}"[:300])
        else:
            progress.actions.append(OutboxItem.synced_version.set(version))
            if owed is not None:
                progress.notified = owed
                progress.actions.append(OutboxItem.notified_version.set(owed))
    return "; ".join(e for e in errors if e) or None


def _notice_owed(item: OutboxItem) -> int | None:
    """The notify_version whose "Reward ready" notice is still to send, or None."""
    if not item.notify:
        return None
    wanted = int(item.notify_version) if item.notify_version is not None else None
    if item.notified_version is None:
        return wanted if wanted is not None else int(item.version)
    if wanted is not None and wanted > int(item.notified_version):
        return wanted
    return None  # settled: later changes without a reward owe none


def _record_notice(item: OutboxItem, notified: int | None) -> None:
    """Remember a notice sent, whatever version the item is at now (unless it is gone)."""
    if notified is None:
        return
    try:
        item.update(
            actions=[OutboxItem.notified_version.set(notified)],
            condition=OutboxItem.outbox_id.exists(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            log.warning("outbox %s: the notice sent was not recorded", item.outbox_id)


def _push_tokens(registrations: list[RegistrationItem]) -> str | None:
    return _push_registrations(registrations)[0]


def _push_registrations(registrations: list[RegistrationItem]) -> tuple[str | None, set[str]]:
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
        stats[f"push_{result.outcome.name.lower()}"] += 1
        if result.outcome not in (Outcome.CERTIFICATE, Outcome.RETRY):
            settled.add(result.token)
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
            retry[f"403 {result.reason} (the certificate)"] += 1
        elif result.outcome == Outcome.RETRY:
            retry[" ".join(str(part) for part in (result.status, result.reason) if part)] += 1
        elif result.outcome == Outcome.REJECTED:
            log.error("APNs rejected a push: %s %s", result.status, result.reason)
    if not retry:
        return None, settled
    answers = ", ".join(f"{answer or 'no answer'} x{n}" for answer, n in retry.most_common())
    return f"APNs: {sum(retry.values())} of {len(results)} to retry: {answers}", settled


FANOUT_PAGE = 5000  # about 1 MB of registrations: one DynamoDB page
READ_AHEAD_SECONDS = 10.0  # a page read ahead longer ago than this is read again

_Page = tuple[list[RegistrationItem], dict[str, Any] | None]  # registrations, LastEvaluatedKey


def _deliver_fanout(item: OutboxItem) -> str:
    """Push one page of the program's devices; 'more' until the last page, then 'delivered'.

    The next page is read while this one is pushed (the Query and the pushes wait on
    different peers); the job's cursor still moves only once this page is pushed.
    """
    job = JobItem.get(item.reason, consistent_read=True)  # the outbox's reason is the job id
    registrations, last_key = _fanout_page(job, item.program_id)
    next_cursor = json.dumps(last_key) if last_key is not None else None
    if next_cursor is not None:
        _read_ahead(job.job_id, item.program_id, next_cursor)
    error = _push_tokens(registrations)
    if error is not None:
        _read_ahead_pages.clear()  # the cursor stays: this page is read again
        return _retry_later(item, error)
    now = clock.iso(clock.now())
    done = next_cursor is None
    # Deployed, the stream handler and the sweeper can take the same job at once.
    # The page is counted only if the cursor is still the one this page was read
    # at; the loser stops, having pushed one page twice (harmless: a push says only
    # "look again"), and the job goes on from the winner's cursor.
    same_page = (
        JobItem.cursor == job.cursor if job.cursor is not None else JobItem.cursor.does_not_exist()
    )
    try:
        job.update(
            actions=[
                JobItem.devices_done.add(len(registrations)),
                JobItem.cursor.set(next_cursor) if not done else JobItem.cursor.remove(),
                JobItem.status.set("done" if done else "running"),
                JobItem.updated_at.set(now),
            ],
            condition=(JobItem.status == "running") & same_page,
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        _read_ahead_pages.clear()
        stats["fanout_page_raced"] += 1
        return "superseded"
    if not done:
        stats["fanout_pages"] += 1
        return "more"
    item.delete()
    stats["delivered"] += 1
    return "delivered"


# The page read ahead for the next call, by (job id, cursor): one at a time, in
# memory only. A worker killed meanwhile loses the read, never a device: the
# job's cursor is the one persisted after each pushed page.
_read_ahead_pages: dict[tuple[str, str], tuple[float, Any]] = {}


def _fanout_page(job: JobItem, program_id: str) -> _Page:
    """The page at the job's cursor: the one read ahead for it if recent, else read now."""
    import time

    ahead = _read_ahead_pages.pop((job.job_id, job.cursor), None) if job.cursor else None
    _read_ahead_pages.clear()  # any other is for a cursor no call is at
    if ahead is not None:
        started, future = ahead
        if time.monotonic() - started < READ_AHEAD_SECONDS:
            try:
                return future.result(timeout=READ_AHEAD_SECONDS)
            except Exception:
                log.warning("reading ahead job %s's page failed; read again", job.job_id)
    return _read_page(program_id, job.cursor)


def _read_page(program_id: str, cursor: str | None) -> _Page:
    page = RegistrationItem.by_program.query(
        program_id, limit=FANOUT_PAGE, last_evaluated_key=json.loads(cursor) if cursor else None
    )
    return list(page), page.last_evaluated_key


def _read_ahead(job_id: str, program_id: str, cursor: str) -> None:
    """Start reading the page at `cursor` on a thread (a daemon: exit never waits for it)."""
    import threading
    import time
    from concurrent.futures import Future

    future: Future[_Page] = Future()

    def read() -> None:
        try:
            future.set_result(_read_page(program_id, cursor))
        except Exception as exc:  # handed to the taker, which reads again
            future.set_exception(exc)

    _read_ahead_pages.clear()
    _read_ahead_pages[(job_id, cursor)] = (time.monotonic(), future)
    threading.Thread(target=read, name="fanout-read-ahead", daemon=True).start()


def _deliver_class(item: OutboxItem) -> str | None:
    google_wallet.sync_class(item.program_id)  # raises on failure: see _attempt
    return None


def _retry_later(item: OutboxItem, error: str | None, progress: _Progress | None = None) -> str:
    """Back the item off for another attempt; 'retry', or 'dead_lettered' after the last one.

    An item the dead-letter queue did not take (none configured, or SQS unreachable)
    stays pending and keeps backing off, up to an hour apart: nothing is lost. The
    legs that succeeded are recorded with the backoff, for this version only.
    """
    attempts = int(item.attempts or 0) + 1
    notified = progress.notified if progress else None
    if attempts >= settings().delivery_max_attempts and _dead_letter(
        item, attempts, error, notified
    ):
        return "dead_lettered"
    backoff = min(MAX_BACKOFF_SECONDS, 2**attempts) * random.uniform(0.5, 1.0)  # noqa: S311
    due = clock.iso(clock.now() + timedelta(seconds=backoff))
    try:
        item.update(
            actions=[
                OutboxItem.attempts.set(attempts),
                OutboxItem.due_at.set(due),
                OutboxItem.last_error.set(error or "unknown"),
                *(progress.actions if progress else []),
            ],
            condition=OutboxItem.version == int(item.version),
        )
    except UpdateError:
        # A newer change reset it meanwhile: it is due again anyway, all legs to redo
        # but a notice already sent.
        _record_notice(item, notified)
    stats["retried"] += 1
    return "retry"


def _dead_letter(
    item: OutboxItem, attempts: int, error: str | None, notified: int | None = None
) -> bool:
    """Hand the item to the dead-letter queue, then drop it from the outbox; False if not taken.

    Sent before deleted: a crash in between repeats the message, never loses the item.
    """
    queue = settings().dead_letter_queue_url
    if not queue:
        log.error("outbox %s failed %s times (%s): parked", item.outbox_id, attempts, error)
        return False
    # Everything `redrive` needs to put the item back, and what an operator reads first.
    body = {
        "outbox_id": item.outbox_id,
        "kind": item.kind,
        "member_id": item.member_id,
        "program_id": item.program_id,
        "merchant_id": item.merchant_id,
        "reason": item.reason,  # a fan-out's job id
        # A notice already sent (before, or on this last attempt) is not owed again.
        "notify": _notice_owed(item) not in (None, notified),
        "version": int(item.version),
        "shard": int(item.shard),
        "created_at": item.created_at,
        "attempts": attempts,
        "error": error,
        "dead_lettered_at": clock.iso(clock.now()),
    }
    try:
        import boto3  # deployed stages only

        boto3.client("sqs", region_name=settings().region).send_message(
            QueueUrl=queue, MessageBody=json.dumps(body)
        )
    except Exception:
        # Not lost: the caller keeps it pending, and the next failure tries the queue again.
        stats["dead_letter_failed"] += 1
        log.exception("outbox %s: the dead-letter queue did not take it; kept", item.outbox_id)
        return False
    # A change made meanwhile is a new version with attempts of its own: it stays pending.
    with contextlib.suppress(DeleteError):
        item.delete(condition=OutboxItem.version == int(item.version))
    stats["dead_lettered"] += 1
    return True


def redrive(body: str) -> str:
    """Put a dead-lettered item back in the outbox, due now, from its message's body.

    'redriven', or 'superseded' when a newer change to the same pass or class is already
    pending: that one delivers the latest state anyway. Safe to repeat.
    """
    message = json.loads(body)
    actions = [
        OutboxItem.kind.set(message["kind"]),
        OutboxItem.program_id.set(message["program_id"]),
        OutboxItem.merchant_id.set(message["merchant_id"]),
        OutboxItem.version.set(message["version"]),
        OutboxItem.reason.set(message["reason"]),
        OutboxItem.notify.set(bool(message["notify"])),
        OutboxItem.created_at.set(message["created_at"]),
        OutboxItem.due_at.set(clock.iso(clock.now())),
        OutboxItem.shard.set(message["shard"]),
        OutboxItem.attempts.set(0),
        OutboxItem.last_error.set(f"re-driven after: {message['error']}"),
    ]
    if message.get("member_id") is not None:
        actions.append(OutboxItem.member_id.set(message["member_id"]))
    try:
        OutboxItem(message["outbox_id"]).update(
            actions=actions, condition=OutboxItem.outbox_id.does_not_exist()
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        return "superseded"
    stats["redriven"] += 1
    return "redriven"


# Short of this much of the invocation's time, the stream's path stops waiting for
# an item's window and leaves it to the sweeper.
WAIT_MARGIN_SECONDS = 0.5


def deliver_when_due(outbox_id: str, due_at: str, seconds_left: Callable[[], float]) -> str:
    """The stream's path: wait out the item's coalescing window, then deliver it if due.

    Changes to one pass within COALESCE_SECONDS give one push on this path as on the
    sweeper's: a change made while waiting moves the item's `due_at` on, so this
    call answers 'not_due' and the stream record of that change delivers it.
    """
    wait = (clock.parse_iso(due_at) - clock.now()).total_seconds()
    wait = min(wait, seconds_left() - WAIT_MARGIN_SECONDS)
    if wait > 0:
        time.sleep(wait)
    return deliver(outbox_id, due_by=clock.iso(clock.now()))


def sweep(limit: int = 200, now: datetime | None = None) -> dict[str, int]:
    """Deliver what is due by `now` (default: now), shard by shard (a Query each, never a Scan)."""
    due = clock.iso(now or clock.now())
    outcomes: Counter[str] = Counter()
    for shard in range(OUTBOX_SHARDS):
        for item in OutboxItem.pending.query(shard, OutboxItem.due_at <= due, limit=limit):
            outcome = deliver(item.outbox_id, due_by=due)
            while outcome == "more":  # a fan-out: its next page straight away
                outcomes["fanout_page"] += 1
                outcome = deliver(item.outbox_id, due_by=due)
            outcomes[outcome] += 1
    return dict(outcomes)


# The backlog's count stops here: a health check or the sweeper's metric never reads
# more of a long backlog than this (a COUNT Query still reads what it counts).
BACKLOG_COUNT_LIMIT = 1000


def backlog() -> dict[str, Any]:
    """How much is pending (counted up to BACKLOG_COUNT_LIMIT) and how long it has waited.

    Per shard: a COUNT Query bounded by what is left of the limit, and the item next
    due (a Query of one). `oldest_age_seconds` is the age of the oldest of those
    next-due items: what the delivery is behind by, without walking every item.
    """
    count, oldest = 0, None
    for shard in range(OUTBOX_SHARDS):
        if count < BACKLOG_COUNT_LIMIT:
            count += OutboxItem.pending.count(shard, limit=BACKLOG_COUNT_LIMIT - count)
        for item in OutboxItem.pending.query(shard, limit=1):
            if oldest is None or item.created_at < oldest:
                oldest = item.created_at
    age = None
    if oldest is not None:
        age = max(0.0, (clock.now() - clock.parse_iso(oldest)).total_seconds())
    return {
        "pending": count,
        "pending_capped": count >= BACKLOG_COUNT_LIMIT,
        "oldest_age_seconds": age,
        "outcomes": dict(stats),
    }
