"""APNs client for Wallet pass updates: `POST /3/device/<token>`, topic = pass type id, body `{}`.

Apple's rules (WALLETS.md, "APNs for passes"): HTTP/2 over TLS 1.2+, the Pass Type ID
certificate as the TLS client certificate, `apns-topic` = the pass type identifier and an
empty dictionary as the payload. Keep one connection open and reuse it: Apple treats rapid
connect/disconnect as a denial-of-service attack. The server may end the connection at any
time (GOAWAY, idle timeout, reset): reconnect and resend what was in flight.

Why raw h2 over an asyncio TLS transport, and not httpx[http2]:
- GOAWAY carries the last stream the server processed; streams above it were never seen and
  are safe to resend at once, streams at or below it get their answer. h2 hands us that
  number; httpx hides it, and (as measured on this machine for the issue) httpx did not
  recover after hypercorn ended a connection with GOAWAY (its default: 1,000 requests).
- We decide when a connection is opened (one at a time, with a backoff after failures, never
  in a hot loop) and how many streams ride on it, honouring the server's
  SETTINGS_MAX_CONCURRENT_STREAMS as it changes (APNs has been seen at 500 to 1,500).
- Cost per push: a push is a 2-byte request with a headers-only answer, so the per-request
  machinery is the whole cost. Here it is one coroutine step, an hpack encode and one write
  per 32 streams: about 130 us of CPU per push, some 7,000 pushes/s against the local peer
  in another process on this 2-core machine (bench/push_apns.py prints the figures).
- The TLS context is built here with `load_cert_chain`: httpx 0.28 silently drops `cert=`
  when `verify` is a path, which would connect without the client certificate.

Shape: an asyncio loop on a dedicated daemon thread owns the connection; `push_many` (sync,
thread-safe) submits a batch to it and waits. A batch runs at most `max_concurrent` streams
at once across all callers.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import enum
import json
import logging
import os
import random
import re
import ssl
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.errors import ErrorCodes
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    PingAckReceived,
    RemoteSettingsChanged,
    ResponseReceived,
    StreamEnded,
    StreamReset,
    WindowUpdated,
)
from h2.exceptions import H2Error

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
# TLS alerts by which a server refuses our client certificate (OpenSSL's reason names, e.g.
# TLSV13_ALERT_CERTIFICATE_REQUIRED, SSLV3_ALERT_CERTIFICATE_EXPIRED, TLSV1_ALERT_UNKNOWN_CA).
_CERT_ALERTS = ("CERTIFICATE", "UNKNOWN_CA", "ACCESS_DENIED")


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


class _Unsent(Exception):
    """The server never processed the stream (or it was never opened): resend freely."""


class _Lost(Exception):
    """The request may or may not have reached APNs: counts as an attempt."""


class _CertificateRefused(Exception):
    """The server refused our client certificate during the TLS handshake."""


def _lost_error(exc: BaseException | None) -> Exception:
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLCertVerificationError):
        reason = str(exc.reason)
        if "ALERT" in reason and any(a in reason for a in _CERT_ALERTS):
            return _CertificateRefused(f"TLS refused the client certificate: {reason}")
    return _Lost(f"connection lost: {exc!r}" if exc else "connection closed by the server")


class _Stream:
    __slots__ = ("body", "future", "status")

    def __init__(self, future: asyncio.Future[tuple[int, bytes]]) -> None:
        self.future = future
        self.status = 0
        self.body = b""


class _Connection(asyncio.Protocol):
    """One HTTP/2 connection: h2's state machine fed by an asyncio TLS transport.

    Every method runs on the client's loop thread.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout: float,
        on_first_answer: Callable[[], None],
        on_closed: Callable[[_Connection], None],
    ) -> None:
        self._loop = loop
        self._timeout = timeout
        self._on_first_answer = on_first_answer
        self._on_closed = on_closed
        self._h2 = H2Connection(H2Configuration(client_side=True, header_encoding=None))
        self._transport: asyncio.Transport | None = None
        self._streams: dict[int, _Stream] = {}
        self._slot_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self._window_waiters: list[asyncio.Future[None]] = []
        self._flush_scheduled = False
        self._unflushed = 0
        self._pings: dict[bytes, asyncio.Future[bool]] = {}
        self._refusal: Exception | None = None
        self.ready: asyncio.Future[None] = loop.create_future()
        # Nobody may be waiting when the connection fails before it is ready.
        self.ready.add_done_callback(lambda f: f.cancelled() or f.exception())
        self.closed: asyncio.Future[None] = loop.create_future()
        self.draining = False  # GOAWAY received or sent: no new streams
        self.answered = 0
        self.last_received = loop.time()

    @property
    def is_ready(self) -> bool:
        """The server's SETTINGS arrived: TLS accepted our certificate and h2 is up."""
        ready = self.ready
        return ready.done() and not ready.cancelled() and ready.exception() is None

    @property
    def usable(self) -> bool:
        return (
            self.is_ready
            and not self.draining
            and self._transport is not None
            and not self._transport.is_closing()
        )

    # -- asyncio.Protocol ------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        tls = transport.get_extra_info("ssl_object")
        if tls is None or tls.selected_alpn_protocol() != "h2":
            self._refusal = _Lost("the APNs endpoint did not negotiate HTTP/2 (ALPN h2)")
            log.error("%s", self._refusal)
            transport.abort()
            return
        self._h2.initiate_connection()
        self._flush()

    def data_received(self, data: bytes) -> None:
        self.last_received = self._loop.time()
        try:
            events = self._h2.receive_data(data)
        except H2Error as exc:
            log.warning("APNs connection protocol error, dropping it: %r", exc)
            self._flush()
            self.abort()
            return
        for event in events:
            kind = type(event)
            if kind is ResponseReceived:
                stream = self._streams.get(event.stream_id)
                if stream is not None:
                    stream.status = int(dict(event.headers).get(b":status", b"0"))
            elif kind is DataReceived:
                stream = self._streams.get(event.stream_id)
                if stream is not None:
                    stream.body += event.data
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif kind is StreamEnded:
                stream = self._streams.pop(event.stream_id, None)
                if stream is not None:
                    stream.future.set_result((stream.status, stream.body))
                    self.answered += 1
                    if self.answered == 1:
                        self._on_first_answer()
                    self._stream_closed()
            elif kind is StreamReset:
                stream = self._streams.pop(event.stream_id, None)
                if stream is not None:
                    if event.error_code == ErrorCodes.REFUSED_STREAM:
                        stream.future.set_exception(_Unsent("stream refused"))
                    else:
                        stream.future.set_exception(_Lost(f"stream reset: {event.error_code!r}"))
                    self._stream_closed()
            elif kind is RemoteSettingsChanged:
                if not self.ready.done():
                    self.ready.set_result(None)
                self._wake_all()
            elif kind is WindowUpdated:
                self._wake_window()
            elif kind is ConnectionTerminated:
                self._goaway(event)
            elif kind is PingAckReceived:
                waiter = self._pings.pop(event.ping_data, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(True)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        error = self._refusal or _lost_error(exc)
        if self._streams or not self.draining:
            log.info("APNs connection lost (%d in flight): %s", len(self._streams), error)
        if not self.ready.done():
            self.ready.set_exception(error)
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            stream.future.set_exception(self._refusal or _lost_error(exc))
        self.draining = True
        self._wake_all()
        self._wake_window()
        for waiter in self._pings.values():
            if not waiter.done():
                waiter.set_result(False)
        if not self.closed.done():
            self.closed.set_result(None)
        self._on_closed(self)

    # -- requests ------------------------------------------------------------------------

    async def request(
        self, headers: list[tuple[bytes, bytes]], body: bytes, timeout: float
    ) -> tuple[int, bytes]:
        """Send one request on a new stream; return (status, body) of the answer.

        Raises _Unsent when the stream was never processed, _Lost when it may have been.
        """
        await self._slot()
        h2 = self._h2
        stream_id = h2.get_next_available_stream_id()
        stream = _Stream(self._loop.create_future())
        self._streams[stream_id] = stream
        try:
            h2.send_headers(stream_id, headers)
        except H2Error as exc:
            del self._streams[stream_id]
            raise _Unsent(f"stream not opened: {exc!r}") from exc
        try:
            async with asyncio.timeout(timeout):
                while h2.local_flow_control_window(stream_id) < len(body):
                    await self._window()
                    if stream.future.done():
                        return await stream.future
                h2.send_data(stream_id, body, end_stream=True)
                # Write every 32 new streams, not only once per loop iteration: measured here,
                # one write per iteration put client and server in lock-step (each idle while
                # the other worked: half the throughput).
                self._unflushed += 1
                if self._unflushed >= 32:
                    self._flush()
                else:
                    self._schedule_flush()
                return await stream.future
        except TimeoutError:
            self._give_up(stream_id)
            raise _Lost(f"no answer within {timeout} s") from None

    async def ping(self, timeout: float) -> bool:
        """True when the server answers a PING within `timeout` seconds."""
        data = os.urandom(8)
        waiter: asyncio.Future[bool] = self._loop.create_future()
        self._pings[data] = waiter
        try:
            self._h2.ping(data)
            self._flush()
            async with asyncio.timeout(timeout):
                return await waiter  # False when the connection is lost meanwhile
        except (TimeoutError, H2Error):
            return False
        finally:
            self._pings.pop(data, None)

    async def _slot(self) -> None:
        while True:
            if not self.usable:
                raise _Unsent("connection is closing")
            if len(self._streams) < self._h2.remote_settings.max_concurrent_streams:
                return
            waiter = self._loop.create_future()
            self._slot_waiters.append(waiter)
            await waiter

    async def _window(self) -> None:
        waiter = self._loop.create_future()
        self._window_waiters.append(waiter)
        await waiter

    def _give_up(self, stream_id: int) -> None:
        if self._streams.pop(stream_id, None) is None:
            return
        with contextlib.suppress(H2Error):
            self._h2.reset_stream(stream_id, ErrorCodes.CANCEL)
        self._schedule_flush()
        self._stream_closed()
        # A connection that has said nothing for a whole timeout is dead: drop it, so the
        # next attempt reconnects instead of waiting on it again.
        if self._loop.time() - self.last_received >= 0.9 * self._timeout:
            log.warning("APNs connection silent for too long; dropping it")
            self.abort()

    def _goaway(self, event: ConnectionTerminated) -> None:
        self.draining = True
        if event.error_code not in (ErrorCodes.NO_ERROR, 0):
            log.warning("APNs ended the connection: %r %r", event.error_code, event.additional_data)
        last = event.last_stream_id if event.last_stream_id is not None else 0
        for stream_id in [s for s in self._streams if s > last]:
            self._streams.pop(stream_id).future.set_exception(_Unsent("GOAWAY"))
        self._wake_all()
        if not self._streams:
            self.close()

    def _stream_closed(self) -> None:
        if self.draining and not self._streams:
            self.close()
            return
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return

    def _wake_all(self) -> None:
        waiters, self._slot_waiters = self._slot_waiters, collections.deque()
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    def _wake_window(self) -> None:
        waiters, self._window_waiters = self._window_waiters, []
        for waiter in waiters:
            if not waiter.done():
                waiter.set_result(None)

    # -- writing and closing ---------------------------------------------------------------

    def _schedule_flush(self) -> None:
        # Many streams start in one loop iteration: one write for all of them.
        if not self._flush_scheduled:
            self._flush_scheduled = True
            self._loop.call_soon(self._flush)

    def _flush(self) -> None:
        self._flush_scheduled = False
        self._unflushed = 0
        data = self._h2.data_to_send()
        if data and self._transport is not None and not self._transport.is_closing():
            self._transport.write(data)

    def close(self) -> None:
        """Say GOAWAY and close once written; streams still open fail as lost."""
        self.draining = True
        if self._transport is None or self._transport.is_closing():
            return
        with contextlib.suppress(H2Error):
            self._h2.close_connection()
        self._flush()
        self._transport.close()

    def abort(self) -> None:
        self.draining = True
        if self._transport is not None:
            self._transport.abort()


class _Batch:
    """One push_many call: once APNs refuses the certificate, stop sending the rest."""

    __slots__ = ("certificate",)

    def __init__(self) -> None:
        self.certificate: str | None = None


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
        self._ssl = self._tls_context(cert_file, key_file, ca_file)
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
        self.stats: Counter[Any] = Counter()
        self._lock = threading.Lock()
        self._closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        # Loop-side state: touched only on the loop thread.
        self._conn: _Connection | None = None
        self._conns: set[_Connection] = set()
        self._connect_lock: asyncio.Lock | None = None
        self._streams_sem: asyncio.Semaphore | None = None
        self._connect_failures = 0
        self._next_connect_at = 0.0
        self._last_connect_error: Exception | None = None

    @staticmethod
    def _tls_context(cert_file: str, key_file: str, ca_file: str | None) -> ssl.SSLContext:
        context = ssl.create_default_context(cafile=ca_file)
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(cert_file, key_file)
        context.set_alpn_protocols(["h2"])
        return context

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
        while True:
            if batch.certificate is not None:
                return PushResult(token, Outcome.CERTIFICATE, None, batch.certificate)
            try:
                async with self._streams_sem:
                    conn = await self._connection()
                    self.stats["requests"] += 1
                    status, body = await conn.request(headers, _BODY, self._timeout)
            except _Unsent as exc:
                resends += 1
                self.stats["resent"] += 1
                if resends <= _MAX_RESENDS:
                    continue
                status, reason = None, f"{exc} (resent {_MAX_RESENDS} times)"
            except _CertificateRefused as exc:
                batch.certificate = batch.certificate or str(exc)
                return PushResult(token, Outcome.CERTIFICATE, None, str(exc))
            except (_Lost, OSError) as exc:
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

    async def _connection(self) -> _Connection:
        """The shared connection, opened if needed: one opening at a time, paced after failures.

        Raises _Lost (or _CertificateRefused) while connections fail; callers back off.
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
            except (_CertificateRefused, _Lost) as exc:
                self._connect_failed(loop, exc)
                raise
            except (OSError, TimeoutError) as exc:
                if isinstance(exc, ssl.SSLError):
                    error = _lost_error(exc)
                else:
                    error = _Lost(f"cannot connect to APNs: {exc!r}")
                self._connect_failed(loop, error)
                raise error from exc
            self._conn = conn
            self.stats["connections"] += 1
            return conn

    def _fresh(self, conn: _Connection, loop: asyncio.AbstractEventLoop) -> bool:
        return loop.time() - conn.last_received < self.idle_ping_after

    async def _open(self, loop: asyncio.AbstractEventLoop) -> _Connection:
        conn = _Connection(loop, self._timeout, self._connect_succeeded, self._connection_closed)
        self._conns.add(conn)
        try:
            async with asyncio.timeout(self._timeout):
                await loop.create_connection(
                    lambda: conn, self._host, self._port, ssl=self._ssl, server_hostname=self._host
                )
                # The server's SETTINGS: its stream limit, and proof that TLS 1.3 accepted
                # our certificate (a refusal arrives as an alert after the handshake).
                await conn.ready
        except BaseException:
            conn.abort()
            self._conns.discard(conn)
            raise
        return conn

    def _connect_failed(self, loop: asyncio.AbstractEventLoop, error: Exception) -> None:
        self.stats["connect_errors"] += 1
        self._connect_failures += 1
        self._last_connect_error = error
        delay = min(_CONNECT_BACKOFF * 2 ** (self._connect_failures - 1), _CONNECT_BACKOFF_MAX)
        self._next_connect_at = loop.time() + delay
        if isinstance(error, _CertificateRefused):
            log.error("APNs REFUSED THE PASS TYPE ID CERTIFICATE for %s: %s", self._topic, error)
        else:
            log.warning("APNs connection failed (%d in a row): %s", self._connect_failures, error)

    def _connect_succeeded(self) -> None:
        self._connect_failures = 0
        self._last_connect_error = None
        self._next_connect_at = 0.0

    def _connection_closed(self, conn: _Connection) -> None:
        self._conns.discard(conn)
        if self._conn is conn:
            self._conn = None
        if conn.is_ready and conn.answered == 0:
            # Opened and closed without answering anything: pace the next one as a failure.
            loop = asyncio.get_running_loop()
            self._connect_failed(loop, _Lost("connection closed before any answer"))

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
        self.stats: Counter[Any] = Counter()

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
