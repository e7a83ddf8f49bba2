"""APNs client for Wallet pass updates: `POST /3/device/<token>`, topic = pass type id, body `{}`.

Apple's rules (WALLETS.md, "APNs for passes"): HTTP/2 over TLS 1.2+, the Pass Type ID
certificate as the TLS client certificate, `apns-topic` = the pass type identifier and an
empty dictionary as the payload. Keep one connection open and reuse it: Apple treats rapid
connect/disconnect as a denial-of-service attack. The server may end the connection at any
time (GOAWAY, idle timeout, reset): reconnect and resend what was in flight.

The HTTP/2 connection itself (h2, TLS, GOAWAY, flow control, and why raw h2) is in
apns_connection.py; this module is the client: which connection to use and when to open
one, the request and its retries, and what each answer means for the push token.

Shape: an asyncio loop on a dedicated daemon thread owns the connection; `push_many` (sync,
thread-safe) submits a batch to it and waits. A batch runs at most `max_concurrent` streams
at once across all callers.
"""

from __future__ import annotations

import asyncio
import enum
import json
import logging
import random
import re
import ssl
import threading
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Literal
from urllib.parse import urlsplit

from chalicelib.push.apns_connection import (
    CertificateRefused,
    Connection,
    Lost,
    Unsent,
    lost_error,
    tls_context,
)

log = logging.getLogger(__name__)

# Apple: "an empty dictionary"; alert, badge and sound are ignored for passes.
_BODY = b"{}"
# Device tokens are hex; anything that could bend the request path is refused unsent.
_TOKEN = re.compile(r"[0-9A-Za-z]{1,256}")
# 400 reasons that mean the token will never work for this pass type: delete the registration.
_GONE_REASONS = frozenset({"BadDeviceToken", "DeviceTokenNotForTopic"})
# Streams the server never processed (refused, or above a GOAWAY's last stream id) are
# resent without using up an attempt, up to this many times per push.
_MAX_RESENDS = 20
# Retry backoff per push: 50 ms, 100 ms, 200 ms ... times a jitter in [0.5, 1.5).
_BACKOFF = 0.05
# A connection silent for this long is checked with a PING before use (NAT and load balancer
# idle timeouts can drop it without a word, and a frozen Lambda sees nothing meanwhile).
_IDLE_PING_AFTER = 30.0
# After a failed connection, the next one waits 0.2 s, 0.4 s, ... up to 30 s.
_CONNECT_BACKOFF = 0.2
_CONNECT_BACKOFF_MAX = 30.0


class Outcome(enum.Enum):
    """What the delivery worker does with a push token after a push."""

    DELIVERED = "delivered"  # 200: done
    UNREGISTER = "unregister"  # 410, or 400 BadDeviceToken/DeviceTokenNotForTopic: delete it
    RETRY = "retry"  # 429, 5xx or connection trouble after our own retries: try later
    CERTIFICATE = "certificate"  # 403 or a TLS refusal of our certificate: keep pending
    REJECTED = "rejected"  # any other answer (400 BadTopic, 413 ...): a bug on our side


@dataclass(frozen=True)
class PushResult:
    token: str
    outcome: Outcome
    status: int | None  # the HTTP status of the last answer; None when there was none
    reason: str | None  # APNs's reason, or what went wrong on the connection


def _outcome(status: int, reason: str | None) -> Outcome:
    if status == 200:
        return Outcome.DELIVERED
    if status == 410 or (status == 400 and reason in _GONE_REASONS):
        return Outcome.UNREGISTER
    if status == 403:
        return Outcome.CERTIFICATE
    if status == 429 or status >= 500:
        return Outcome.RETRY
    return Outcome.REJECTED


def _reason(body: bytes) -> str | None:
    if not body:
        return None
    try:
        reason = json.loads(body).get("reason")
    except (ValueError, AttributeError):
        return body[:200].decode("utf-8", "replace")
    return reason if isinstance(reason, str) else None


def _short(token: str) -> str:
    """Enough of a token to find it in the store; logs need not carry whole tokens."""
    return token[:8] + "..." if len(token) > 8 else token


class _Batch:
    """One push_many call: once APNs refuses the certificate, stop sending the rest."""

    __slots__ = ("certificate",)

    def __init__(self) -> None:
        self.certificate: str | None = None


# What ApnsClient.stats counts: final outcomes, and the connection's own events.
PushStat = (
    Outcome | Literal["requests", "resent", "retries", "pings", "connections", "connect_errors"]
)


class ApnsClient:
    """Pushes "this pass changed" to devices over one long-lived APNs connection.

    Thread-safe: every call is handed to one event-loop thread that owns the connection.
    `stats` counts final outcomes (keys are `Outcome` members) and "connections" opened,
    "connect_errors", "requests" sent, "retries" (attempts after the first), "resent"
    (streams the server never processed, sent again) and "pings" (idle connection checks).
    """

    def __init__(
        self,
        endpoint: str,
        cert_file: str,
        key_file: str,
        topic: str,
        ca_file: str | None = None,
        max_concurrent: int = 200,
        timeout: float = 10.0,
        max_attempts: int = 3,
    ) -> None:
        url = urlsplit(endpoint)
        if url.scheme != "https" or not url.hostname:
            raise ValueError(f"APNS_ENDPOINT must be an https:// URL, got {endpoint!r}")
        if max_concurrent < 1 or max_attempts < 1 or timeout <= 0:
            raise ValueError("max_concurrent, max_attempts and timeout must be positive")
        self._host = url.hostname
        self._port = url.port or 443
        authority = self._host if self._port == 443 else f"{self._host}:{self._port}"
        self._ssl = tls_context(cert_file, key_file, ca_file)
        self._topic = topic
        self._headers = [
            (b":method", b"POST"),
            (b":scheme", b"https"),
            (b":authority", authority.encode()),
        ]
        self._tail_headers = [
            (b"apns-topic", topic.encode()),
            (b"content-length", str(len(_BODY)).encode()),
        ]
        self._max_concurrent = max_concurrent
        self._timeout = timeout
        self._max_attempts = max_attempts
        self.idle_ping_after = _IDLE_PING_AFTER
        self.stats: Counter[PushStat] = Counter()
        self._lock = threading.Lock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Loop-side state: touched only on the loop thread.
        self._conn: Connection | None = None
        self._conns: set[Connection] = set()
        self._connect_lock: asyncio.Lock | None = None
        self._streams_sem: asyncio.Semaphore | None = None
        self._connect_failures = 0
        self._next_connect_at = 0.0
        self._last_connect_error: Exception | None = None

    # -- the sync face -------------------------------------------------------------------

    def push(self, token: str) -> PushResult:
        """Push one token; see push_many."""
        return self.push_many([token])[0]

    def push_many(self, tokens: Sequence[str]) -> list[PushResult]:
        """Push every token concurrently over the one connection; one result per token, in order.

        Retryable answers (429, 5xx) and connection trouble are retried up to `max_attempts`
        times with a small jittered backoff; streams the server never processed (GOAWAY,
        refused) are resent without using an attempt. Raises RuntimeError after close().
        """
        tokens = list(tokens)
        if not tokens:
            return []
        loop = self._running_loop()
        if threading.current_thread() is self._thread:
            raise RuntimeError("push_many called from the APNs loop thread would deadlock")
        return asyncio.run_coroutine_threadsafe(self._push_all(tokens), loop).result()

    def close(self) -> None:
        """Say GOAWAY, close the connection and stop the loop thread. Idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        try:
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=5)
        except Exception:  # closing is best effort: the process may be going down
            log.exception("APNs client did not close cleanly")
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=5)
        if not thread.is_alive():
            loop.close()

    def __enter__(self) -> ApnsClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._closed:
                raise RuntimeError("ApnsClient is closed")
            if self._loop is None:
                loop = asyncio.new_event_loop()
                self._connect_lock = asyncio.Lock()
                self._streams_sem = asyncio.Semaphore(self._max_concurrent)
                self._thread = threading.Thread(
                    target=self._run_loop, args=(loop,), name="apns-client", daemon=True
                )
                self._loop = loop
                self._thread.start()
            return self._loop

    @staticmethod
    def _run_loop(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.run_forever()
        # Stopped by close(): end what is left so that nothing is destroyed while pending.
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))

    async def _shutdown(self) -> None:
        conns = list(self._conns)
        for conn in conns:
            conn.close()
        if conns:
            await asyncio.wait([asyncio.ensure_future(c.closed) for c in conns], timeout=1)

    # -- the loop side -------------------------------------------------------------------

    async def _push_all(self, tokens: list[str]) -> list[PushResult]:
        results: list[PushResult | None] = [None] * len(tokens)
        batch = _Batch()
        work = iter(enumerate(tokens))

        async def worker() -> None:
            for index, token in work:
                try:
                    result = await self._deliver(token, batch)
                except Exception as exc:  # one push must never sink the batch
                    log.exception("APNs push to %s failed unexpectedly", _short(token))
                    result = PushResult(token, Outcome.RETRY, None, repr(exc))
                results[index] = result
                self.stats[result.outcome] += 1

        await asyncio.gather(*(worker() for _ in range(min(len(tokens), self._max_concurrent))))
        done = [r for r in results if r is not None]
        self._log_batch(done, batch)
        return done

    async def _deliver(self, token: str, batch: _Batch) -> PushResult:
        if not _TOKEN.fullmatch(token):
            # APNs would answer 400 BadDeviceToken; such a path must not be sent at all.
            return PushResult(token, Outcome.UNREGISTER, None, "BadDeviceToken")
        headers = [*self._headers, (b":path", b"/3/device/" + token.encode()), *self._tail_headers]
        assert self._streams_sem is not None
        attempts = resends = 0
        status: int | None  # of the last answer, as PushResult keeps it
        reason: str | None
        while True:
            if batch.certificate is not None:
                return PushResult(token, Outcome.CERTIFICATE, None, batch.certificate)
            try:
                async with self._streams_sem:
                    conn = await self._connection()
                    self.stats["requests"] += 1
                    status, body = await conn.request(headers, _BODY, self._timeout)
            except Unsent as exc:
                resends += 1
                self.stats["resent"] += 1
                if resends <= _MAX_RESENDS:
                    continue
                status, reason = None, f"{exc} (resent {_MAX_RESENDS} times)"
            except CertificateRefused as exc:
                batch.certificate = batch.certificate or str(exc)
                return PushResult(token, Outcome.CERTIFICATE, None, str(exc))
            except (Lost, OSError) as exc:
                status, reason = None, str(exc)
            else:
                reason = _reason(body)
                outcome = _outcome(status, reason)
                if outcome is Outcome.CERTIFICATE:
                    batch.certificate = batch.certificate or f"403 {reason}"
                if outcome is not Outcome.RETRY:
                    return PushResult(token, outcome, status, reason)
            attempts += 1
            if attempts >= self._max_attempts:
                return PushResult(token, Outcome.RETRY, status, reason)
            self.stats["retries"] += 1
            jitter = 0.5 + random.random()  # noqa: S311 (spreads retries; not a secret)
            await asyncio.sleep(_BACKOFF * 2 ** (attempts - 1) * jitter)

    async def _connection(self) -> Connection:
        """The shared connection, opened if needed: one opening at a time, paced after failures.

        Raises Lost (or CertificateRefused) while connections fail; callers back off.
        """
        loop = asyncio.get_running_loop()
        conn = self._conn
        if conn is not None and conn.usable and self._fresh(conn, loop):
            return conn
        assert self._connect_lock is not None
        async with self._connect_lock:
            conn = self._conn
            if conn is not None and conn.usable:
                if self._fresh(conn, loop):
                    return conn
                self.stats["pings"] += 1
                if await conn.ping(min(self._timeout, 5.0)):
                    return conn
                log.warning("APNs connection idle and deaf to a PING; replacing it")
                conn.abort()
            if loop.time() < self._next_connect_at and self._last_connect_error is not None:
                error = self._last_connect_error
                raise type(error)(str(error))
            try:
                conn = await self._open(loop)
            except (CertificateRefused, Lost) as exc:
                self._connect_failed(loop, exc)
                raise
            except (OSError, TimeoutError) as exc:
                if isinstance(exc, ssl.SSLError):
                    error = lost_error(exc)
                else:
                    error = Lost(f"cannot connect to APNs: {exc!r}")
                self._connect_failed(loop, error)
                raise error from exc
            self._conn = conn
            self.stats["connections"] += 1
            return conn

    def _fresh(self, conn: Connection, loop: asyncio.AbstractEventLoop) -> bool:
        return loop.time() - conn.last_received < self.idle_ping_after

    async def _open(self, loop: asyncio.AbstractEventLoop) -> Connection:
        conn = Connection(loop, self._timeout, self._connect_succeeded, self._connection_closed)
        self._conns.add(conn)
        try:
            await conn.open(self._host, self._port, self._ssl)
        except BaseException:
            self._conns.discard(conn)
            raise
        return conn

    def _connect_failed(self, loop: asyncio.AbstractEventLoop, error: Exception) -> None:
        self.stats["connect_errors"] += 1
        self._connect_failures += 1
        self._last_connect_error = error
        delay = min(_CONNECT_BACKOFF * 2 ** (self._connect_failures - 1), _CONNECT_BACKOFF_MAX)
        self._next_connect_at = loop.time() + delay
        if isinstance(error, CertificateRefused):
            log.error("APNs REFUSED THE PASS TYPE ID CERTIFICATE for %s: %s", self._topic, error)
        else:
            log.warning("APNs connection failed (%d in a row): %s", self._connect_failures, error)

    def _connect_succeeded(self) -> None:
        self._connect_failures = 0
        self._last_connect_error = None
        self._next_connect_at = 0.0

    def _connection_closed(self, conn: Connection) -> None:
        self._conns.discard(conn)
        if self._conn is conn:
            self._conn = None
        if conn.is_ready and conn.answered == 0:
            # Opened and closed without answering anything: pace the next one as a failure.
            loop = asyncio.get_running_loop()
            self._connect_failed(loop, Lost("connection closed before any answer"))

    def _log_batch(self, results: list[PushResult], batch: _Batch) -> None:
        counts = Counter(r.outcome for r in results)
        if batch.certificate is not None:
            log.error(
                "APNs REFUSED THE PASS TYPE ID CERTIFICATE for topic %s (%s): %d pushes kept "
                "pending; renew the certificate or check the topic",
                self._topic,
                batch.certificate,
                counts[Outcome.CERTIFICATE],
            )
        # One line per kind of refusal, not per token: a bad topic refuses the whole batch.
        rejected = Counter((r.status, r.reason) for r in results if r.outcome is Outcome.REJECTED)
        for (status, reason), count in rejected.items():
            log.warning("APNs rejected %d pushes: %s %s", count, status, reason)
        if counts[Outcome.UNREGISTER]:
            log.info("APNs: %d push tokens are gone for good", counts[Outcome.UNREGISTER])
        if counts[Outcome.RETRY]:
            retry = counts[Outcome.RETRY]
            log.warning("APNs: %d of %d pushes left to retry later", retry, len(results))


class LoggingPusher:
    """Stands in for ApnsClient when no APNS_ENDPOINT is configured: logs, delivers nothing."""

    def __init__(self) -> None:
        self.stats: Counter[PushStat] = Counter()

    def push(self, token: str) -> PushResult:
        return self.push_many([token])[0]

    def push_many(self, tokens: Sequence[str]) -> list[PushResult]:
        results = []
        for token in tokens:
            log.info("would push to %s", token)
            results.append(PushResult(token, Outcome.DELIVERED, None, "logged only"))
        self.stats[Outcome.DELIVERED] += len(results)
        return results

    def close(self) -> None:
        return None
