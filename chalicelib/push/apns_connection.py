"""One HTTP/2 connection to APNs: h2's state machine fed by an asyncio TLS transport.

The client (apns.py) decides when a connection is opened and what rides on it; this
module speaks the protocol: streams within the server's SETTINGS_MAX_CONCURRENT_STREAMS,
flow control, GOAWAY, PING, and what a lost or refused stream means for a resend.

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
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import os
import ssl
from collections.abc import Callable

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

# The client's logger: operators follow one APNs log, whichever module writes the line.
log = logging.getLogger("chalicelib.push.apns")

# TLS alerts by which a server refuses our client certificate (OpenSSL's reason names, e.g.
# TLSV13_ALERT_CERTIFICATE_REQUIRED, SSLV3_ALERT_CERTIFICATE_EXPIRED, TLSV1_ALERT_UNKNOWN_CA).
_CERT_ALERTS = ("CERTIFICATE", "UNKNOWN_CA", "ACCESS_DENIED")


def tls_context(cert_file: str, key_file: str, ca_file: str | None) -> ssl.SSLContext:
    """TLS 1.2+, the Pass Type ID certificate as the client certificate, ALPN h2."""
    context = ssl.create_default_context(cafile=ca_file)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(cert_file, key_file)
    context.set_alpn_protocols(["h2"])
    return context


class Unsent(Exception):
    """The server never processed the stream (or it was never opened): resend freely."""


class Lost(Exception):
    """The request may or may not have reached APNs: counts as an attempt."""


class CertificateRefused(Exception):
    """The server refused our client certificate during the TLS handshake."""


def lost_error(exc: BaseException | None) -> Exception:
    if isinstance(exc, ssl.SSLError) and not isinstance(exc, ssl.SSLCertVerificationError):
        reason = str(exc.reason)
        if "ALERT" in reason and any(a in reason for a in _CERT_ALERTS):
            return CertificateRefused(f"TLS refused the client certificate: {reason}")
    return Lost(f"connection lost: {exc!r}" if exc else "connection closed by the server")


class _Stream:
    __slots__ = ("body", "future", "status")

    def __init__(self, future: asyncio.Future[tuple[int, bytes]]) -> None:
        self.future = future
        self.status = 0
        self.body = b""


class Connection(asyncio.Protocol):
    """One HTTP/2 connection: h2's state machine fed by an asyncio TLS transport.

    Every method runs on the client's loop thread.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        timeout: float,
        on_first_answer: Callable[[], None],
        on_closed: Callable[[Connection], None],
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
            self._refusal = Lost("the APNs endpoint did not negotiate HTTP/2 (ALPN h2)")
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
            if type(event) is ResponseReceived:
                stream = self._streams.get(event.stream_id)
                if stream is not None:
                    stream.status = int(dict(event.headers).get(b":status", b"0"))
            elif type(event) is DataReceived:
                stream = self._streams.get(event.stream_id)
                if stream is not None:
                    stream.body += event.data
                self._h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif type(event) is StreamEnded:
                stream = self._streams.pop(event.stream_id, None)
                if stream is not None:
                    stream.future.set_result((stream.status, stream.body))
                    self.answered += 1
                    if self.answered == 1:
                        self._on_first_answer()
                    self._stream_closed()
            elif type(event) is StreamReset:
                stream = self._streams.pop(event.stream_id, None)
                if stream is not None:
                    if event.error_code == ErrorCodes.REFUSED_STREAM:
                        stream.future.set_exception(Unsent("stream refused"))
                    else:
                        stream.future.set_exception(Lost(f"stream reset: {event.error_code!r}"))
                    self._stream_closed()
            elif type(event) is RemoteSettingsChanged:
                if not self.ready.done():
                    self.ready.set_result(None)
                self._wake_all()
            elif type(event) is WindowUpdated:
                self._wake_window()
            elif type(event) is ConnectionTerminated:
                self._goaway(event)
            elif type(event) is PingAckReceived:
                waiter = self._pings.pop(event.ping_data, None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(True)
        self._flush()

    def connection_lost(self, exc: Exception | None) -> None:
        error = self._refusal or lost_error(exc)
        if self._streams or not self.draining:
            log.info("APNs connection lost (%d in flight): %s", len(self._streams), error)
        if not self.ready.done():
            self.ready.set_exception(error)
        streams, self._streams = self._streams, {}
        for stream in streams.values():
            stream.future.set_exception(self._refusal or lost_error(exc))
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

        Raises Unsent when the stream was never processed, Lost when it may have been.
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
            raise Unsent(f"stream not opened: {exc!r}") from exc
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
            raise Lost(f"no answer within {timeout} s") from None

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
                raise Unsent("connection is closing")
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
            self._streams.pop(stream_id).future.set_exception(Unsent("GOAWAY"))
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

    async def open(self, host: str, port: int, context: ssl.SSLContext) -> None:
        """Connect and wait for the server's SETTINGS; on any failure the connection aborts.

        The SETTINGS carry the server's stream limit, and are the proof that TLS 1.3
        accepted our certificate (a refusal arrives as an alert after the handshake).
        """
        try:
            async with asyncio.timeout(self._timeout):
                await self._loop.create_connection(
                    lambda: self, host, port, ssl=context, server_hostname=host
                )
                await self.ready
        except BaseException:
            self.abort()
            raise
