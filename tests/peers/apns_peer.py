"""A local APNs: HTTP/2 over TLS on a loopback port, client certificate required.

It answers as Apple documents for pass pushes (WALLETS.md, "APNs for passes"): 200 with an
`apns-id`, or an error status with `{"reason": ...}`; it records every request it processed,
with the id of the connection it came on, and it can be told to misbehave: unregistered
tokens (410) or bad ones (400), transient failures (429/500/503), GOAWAY after n requests on
each connection, abrupt resets, silently dead connections, and a refused certificate (403).

Raw h2 over blocking TLS sockets, a thread per connection: every frame it sends (the GOAWAY's
last stream id above all) is the one the test asked for, and a refused client certificate
gets a TLS alert, as from an ordinary TLS server (asyncio's closes without sending one).

Run alone for benchmarks: `python -m tests.peers.apns_peer --pki DIR --topic TOPIC` prints
`port N` and serves until its standard input closes.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import ipaddress
import json
import random
import re
import socket
import ssl
import struct
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from h2.config import H2Configuration
from h2.connection import H2Connection
from h2.events import (
    ConnectionTerminated,
    DataReceived,
    RequestReceived,
    StreamEnded,
    StreamReset,
)
from h2.exceptions import H2Error
from h2.settings import SettingCodes, Settings

_PATH = re.compile(r"/3/device/([^/?]*)")
_HEX_TOKEN = re.compile(r"[0-9a-fA-F]{64}")
_REASONS = {
    403: "BadCertificate",
    410: "Unregistered",
    429: "TooManyRequests",
    500: "InternalServerError",
    503: "ServiceUnavailable",
}


# -- a test PKI ------------------------------------------------------------------------------


@dataclass(frozen=True)
class TestPki:
    """PEM files: a CA, a server certificate for 127.0.0.1/localhost, and client certificates."""

    __test__ = False  # not a test class, whatever pytest thinks of the name

    ca_file: str
    server_cert: str
    server_key: str
    client_cert: str  # a Pass Type ID-like certificate issued by the CA
    client_key: str
    stranger_cert: str  # the same kind of certificate issued by another CA
    stranger_key: str


def _name(common_name: str, uid: str | None = None) -> x509.Name:
    parts = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if uid:
        parts.insert(0, x509.NameAttribute(NameOID.USER_ID, uid))
    return x509.Name(parts)


def _issue(
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool = False,
    usage: x509.ObjectIdentifier | None = None,
    hosts: tuple[str, ...] = (),
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
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
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if hosts:
        names: list[x509.GeneralName] = []
        for host in hosts:
            try:
                names.append(x509.IPAddress(ipaddress.ip_address(host)))
            except ValueError:
                names.append(x509.DNSName(host))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(folder: Path, stem: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey):
    cert_path, key_path = folder / f"{stem}.pem", folder / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    return str(cert_path), str(key_path)


def make_test_pki(folder: Path, topic: str) -> TestPki:
    """Make fresh keys and certificates in `folder` (EC P-256: quick to make, quick to use)."""
    folder.mkdir(parents=True, exist_ok=True)

    def key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    ca_key, other_ca_key = key(), key()
    ca_name, other_ca_name = _name("Test APNs CA"), _name("Some Other CA")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True)
    ca_file, _ = _write(folder, "ca", ca, ca_key)

    server_key = key()
    server = _issue(
        _name("localhost"),
        server_key,
        ca_name,
        ca_key,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        hosts=("127.0.0.1", "localhost"),
    )
    server_cert, server_key_file = _write(folder, "server", server, server_key)

    # Apple's Pass Type ID certificates carry the pass type id as UID and in the CN.
    client_name = _name(f"Pass Type ID: {topic}", uid=topic)
    client_key = key()
    client = _issue(client_name, client_key, ca_name, ca_key, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    client_cert, client_key_file = _write(folder, "client", client, client_key)

    stranger_key = key()
    stranger = _issue(
        client_name,
        stranger_key,
        other_ca_name,
        other_ca_key,
        usage=ExtendedKeyUsageOID.CLIENT_AUTH,
    )
    stranger_cert, stranger_key_file = _write(folder, "stranger", stranger, stranger_key)
    return TestPki(
        ca_file=ca_file,
        server_cert=server_cert,
        server_key=server_key_file,
        client_cert=client_cert,
        client_key=client_key_file,
        stranger_cert=stranger_cert,
        stranger_key=stranger_key_file,
    )


# -- the server ------------------------------------------------------------------------------


@dataclass
class PeerRequest:
    """One request the peer processed (status None: the connection was dropped on it)."""

    connection_id: int
    stream_id: int
    client_subject: str
    method: str
    path: str
    token: str | None
    topic: str | None
    headers: dict[str, str]
    body: bytes
    status: int | None = None
    reason: str | None = None


@dataclass
class _Pending:
    headers: dict[str, str]
    body: bytearray = field(default_factory=bytearray)


class _PeerConnection:
    """One accepted connection, served by its own thread: TLS handshake, then h2."""

    def __init__(self, peer: ApnsPeer, connection_id: int, sock: socket.socket) -> None:
        self.peer = peer
        self.id = connection_id
        self.sock = sock
        self.tls: ssl.SSLSocket | None = None
        self.h2 = H2Connection(H2Configuration(client_side=False, header_encoding="utf-8"))
        self.pending: dict[int, _Pending] = {}
        self.answered = 0
        self.client_subject = ""
        self.goaway_sent = False
        self.dropped = False
        self.silenced = False
        self.answers_unsent = 0

    def serve(self) -> None:
        try:
            self._serve()
        except (OSError, H2Error):
            pass  # the client went away, or the test dropped the connection
        finally:
            self.peer._forget(self)
            with contextlib.suppress(OSError):
                (self.tls or self.sock).close()

    def _serve(self) -> None:
        self.sock.settimeout(5)
        self.tls = tls = self.peer._context.wrap_socket(
            self.sock, server_side=True, do_handshake_on_connect=False
        )
        try:
            # A refused client certificate fails here, and OpenSSL sends the alert.
            tls.do_handshake()
        except (ssl.SSLError, OSError) as exc:
            self.peer._handshake_failed(exc)
            # Closing with the client's first bytes unread would reset the connection and
            # could destroy the alert before the client reads it: read them (raw) first.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(tls, socket.SHUT_WR)
                tls.settimeout(0.5)
                while socket.socket.recv(tls, 65536):
                    pass
            return
        self.tls.settimeout(None)
        cert = self.tls.getpeercert() or {}
        subject = cert.get("subject", ())
        self.client_subject = ", ".join(f"{k}={v}" for rdn in subject for k, v in rdn)
        # Assigning to local_settings' fields would only queue a change behind the defaults.
        self.h2.local_settings = Settings(
            client=False,
            initial_values={SettingCodes.MAX_CONCURRENT_STREAMS: self.peer.max_concurrent_streams},
        )
        self.h2.initiate_connection()
        self.tls.sendall(self.h2.data_to_send())
        while not self.goaway_sent:
            data = self.tls.recv(65536)
            if not data or self.dropped:
                return
            if self.silenced:
                continue  # a connection a middlebox dropped without a word
            keep_going = self._handle(data)
            if self.dropped:
                return
            out = self.h2.data_to_send()
            if out:
                self.tls.sendall(out)
            if not keep_going:
                break
        if self.dropped:
            return
        # After GOAWAY, read and ignore until the client closes (2 s at most): closing with
        # unread input would make the kernel send RST, which can destroy the GOAWAY in flight.
        self.tls.settimeout(2.0)
        with contextlib.suppress(OSError):
            while self.tls.recv(65536) and not self.dropped:
                pass

    def _handle(self, data: bytes) -> bool:
        """Feed the bytes to h2 and answer what completed; False once the connection must end."""
        for event in self.h2.receive_data(data):
            if isinstance(event, RequestReceived):
                self.pending[event.stream_id] = _Pending(dict(event.headers))
            elif isinstance(event, DataReceived):
                if event.stream_id in self.pending:
                    self.pending[event.stream_id].body += event.data
                self.h2.acknowledge_received_data(event.flow_controlled_length, event.stream_id)
            elif isinstance(event, StreamEnded):
                request = self.pending.pop(event.stream_id, None)
                if request is not None and not self.answer(event.stream_id, request):
                    return False
                # Answer as streams complete, as a real server does, not once per read.
                self.answers_unsent += 1
                if self.answers_unsent >= 32:
                    self.answers_unsent = 0
                    self.tls.sendall(self.h2.data_to_send())
            elif isinstance(event, StreamReset):
                self.pending.pop(event.stream_id, None)
            elif isinstance(event, ConnectionTerminated):
                return False
        return True

    def answer(self, stream_id: int, pending: _Pending) -> bool:
        """Answer one request; False when the connection is gone or going."""
        request = self.peer._record(self, stream_id, pending)
        if self.peer._take_drop():
            self.peer._drop_all()
            return False
        status, reason = self.peer._decide(request)
        request.status, request.reason = status, reason
        if status == 200:
            self.h2.send_headers(
                stream_id, [(":status", "200"), ("apns-id", str(uuid.uuid4()))], end_stream=True
            )
        else:
            doc: dict[str, object] = {"reason": reason}
            if status == 410:
                doc["timestamp"] = int(time.time() * 1000)
            body = json.dumps(doc).encode()
            self.h2.send_headers(
                stream_id,
                [
                    (":status", str(status)),
                    ("apns-id", str(uuid.uuid4())),
                    ("content-type", "application/json"),
                    ("content-length", str(len(body))),
                ],
            )
            self.h2.send_data(stream_id, body, end_stream=True)
        self.answered += 1
        limit = self.peer._goaway_after
        if limit is not None and self.answered >= limit:
            # GOAWAY names the last stream processed; the later ones are left unanswered.
            self.goaway_sent = True
            self.h2.close_connection(last_stream_id=stream_id)
            return False
        return True

    def drop(self) -> None:
        """End the connection abruptly (RST), from any thread."""
        self.dropped = True
        sock = self.tls or self.sock  # wrapping detaches the plain socket
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            # shutdown(SHUT_RD) wakes the serving thread's recv; its close then resets.
            # (SSLSocket.shutdown would also tear down TLS state under that thread.)
            socket.socket.shutdown(sock, socket.SHUT_RD)


class ApnsPeer:
    """A local APNs for tests: start(), point a client at `url`, read `requests`, stop()."""

    def __init__(self, pki: TestPki, topic: str, max_concurrent_streams: int = 1000) -> None:
        self.pki = pki
        self.topic = topic
        self.max_concurrent_streams = max_concurrent_streams
        self.port = 0
        self.handshake_failures: list[str] = []
        self._lock = threading.Lock()
        self._requests: list[PeerRequest] = []
        self._unregistered: set[str] = set()
        self._rejected_tokens: dict[str, str] = {}
        self._failing_tokens: dict[str, int] = {}
        self._fail_next: list[int] = []
        self._fail_ratio = (0.0, 500)
        self._random = random.Random(1234)  # noqa: S311 (reproducible faults, not secrets)
        self._goaway_after: int | None = None
        self._drop_after: int | None = None
        self._reject_certificates = False
        self._connections: dict[int, _PeerConnection] = {}
        self._connection_count = 0
        self._listener: socket.socket | None = None
        self._threads: list[threading.Thread] = []
        self._context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    # -- controls (any thread) -------------------------------------------------------------

    def unregister(self, token: str) -> None:
        """Answer 410 Unregistered for this token from now on."""
        with self._lock:
            self._unregistered.add(token)

    def reject_token(self, token: str, reason: str = "BadDeviceToken") -> None:
        """Answer 400 with this reason for this token from now on."""
        with self._lock:
            self._rejected_tokens[token] = reason

    def fail_next(self, n: int, status: int = 503) -> None:
        """Answer the next n requests (any token) with this status."""
        with self._lock:
            self._fail_next.extend([status] * n)

    def fail_token(self, token: str, status: int | None = 503) -> None:
        """Answer this status for this token from now on (None: answer it normally again)."""
        with self._lock:
            if status is None:
                self._failing_tokens.pop(token, None)
            else:
                self._failing_tokens[token] = status

    def fail_ratio(self, p: float, status: int = 503) -> None:
        """Answer each request with this status with probability p."""
        with self._lock:
            self._fail_ratio = (p, status)

    def goaway_after(self, n: int | None) -> None:
        """Send GOAWAY after answering n requests on each connection (None: never)."""
        with self._lock:
            self._goaway_after = n

    def drop_connection(self, after: int = 0) -> None:
        """Reset every open connection: now, or when `after` more requests have arrived."""
        if after > 0:
            with self._lock:
                self._drop_after = after
        else:
            self._drop_all()

    def silence(self) -> None:
        """Make every open connection deaf and mute, as if a middlebox dropped it silently."""
        with self._lock:
            for conn in self._connections.values():
                conn.silenced = True

    def reject_certificates(self, reject: bool = True) -> None:
        """Answer 403 BadCertificate to everything."""
        with self._lock:
            self._reject_certificates = reject

    # -- what it saw -----------------------------------------------------------------------

    @property
    def requests(self) -> list[PeerRequest]:
        with self._lock:
            return list(self._requests)

    @property
    def connection_ids(self) -> set[int]:
        return {r.connection_id for r in self.requests}

    @property
    def connections_accepted(self) -> int:
        return self._connection_count

    def statuses(self, token: str) -> list[int | None]:
        return [r.status for r in self.requests if r.token == token]

    def delivered(self) -> Counter[str]:
        """How many times each token was answered 200."""
        return Counter(r.token for r in self.requests if r.status == 200 and r.token)

    # -- running ---------------------------------------------------------------------------

    def start(self) -> ApnsPeer:
        context = self._context
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.pki.server_cert, self.pki.server_key)
        context.load_verify_locations(self.pki.ca_file)
        context.verify_mode = ssl.CERT_REQUIRED
        context.set_alpn_protocols(["h2"])
        listener = socket.create_server(("127.0.0.1", 0), backlog=64)
        self._listener = listener
        self.port = listener.getsockname()[1]
        thread = threading.Thread(target=self._accept, name="apns-peer", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        listener, self._listener = self._listener, None
        if listener is None:
            return
        # shutdown wakes accept(); close alone would leave it blocked.
        with contextlib.suppress(OSError):
            listener.shutdown(socket.SHUT_RDWR)
        listener.close()
        self._drop_all()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        listener = self._listener
        assert listener is not None
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:
                return
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._connection_count += 1
                conn = _PeerConnection(self, self._connection_count, sock)
                self._connections[conn.id] = conn
            thread = threading.Thread(target=conn.serve, name=f"apns-peer-{conn.id}", daemon=True)
            self._threads.append(thread)
            thread.start()

    def _forget(self, conn: _PeerConnection) -> None:
        with self._lock:
            self._connections.pop(conn.id, None)

    def _drop_all(self) -> None:
        with self._lock:
            conns = list(self._connections.values())
        for conn in conns:
            conn.drop()

    def _handshake_failed(self, exc: Exception) -> None:
        with self._lock:
            self.handshake_failures.append(str(getattr(exc, "reason", None) or exc))

    # -- per request (connection threads) ---------------------------------------------------------

    def _record(self, conn: _PeerConnection, stream_id: int, pending: _Pending) -> PeerRequest:
        headers = pending.headers
        path = headers.get(":path", "")
        match = _PATH.fullmatch(path)
        request = PeerRequest(
            connection_id=conn.id,
            stream_id=stream_id,
            client_subject=conn.client_subject,
            method=headers.get(":method", ""),
            path=path,
            token=match.group(1) if match else None,
            topic=headers.get("apns-topic"),
            headers=headers,
            body=bytes(pending.body),
        )
        with self._lock:
            self._requests.append(request)
        return request

    def _take_drop(self) -> bool:
        with self._lock:
            if self._drop_after is None:
                return False
            self._drop_after -= 1
            if self._drop_after > 0:
                return False
            self._drop_after = None
            return True

    def _decide(self, request: PeerRequest) -> tuple[int, str | None]:
        with self._lock:
            if self._reject_certificates:
                return 403, _REASONS[403]
            if request.method != "POST":
                return 405, "MethodNotAllowed"
            if request.token is None:
                return 404, "BadPath"
            if self._fail_next:
                status = self._fail_next.pop(0)
                return status, _REASONS.get(status, "Error")
            if request.token in self._failing_tokens:
                status = self._failing_tokens[request.token]
                return status, _REASONS.get(status, "Error")
            p, status = self._fail_ratio
            if p and self._random.random() < p:
                return status, _REASONS.get(status, "Error")
            if not request.topic:
                return 400, "MissingTopic"
            if request.topic != self.topic:
                return 400, "BadTopic"
            if not request.body:
                return 400, "PayloadEmpty"
            try:
                payload = json.loads(request.body)
            except ValueError:
                return 400, "BadPayload"
            if payload != {}:
                return 400, "BadPayload"
            if request.token in self._rejected_tokens:
                return 400, self._rejected_tokens[request.token]
            if not _HEX_TOKEN.fullmatch(request.token):
                return 400, "BadDeviceToken"
            if request.token in self._unregistered:
                return 410, _REASONS[410]
            return 200, None


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pki", required=True, help="folder with the make_test_pki files")
    parser.add_argument("--topic", required=True)
    parser.add_argument("--goaway-after", type=int, help="GOAWAY after n requests per connection")
    args = parser.parse_args(argv)
    folder = Path(args.pki)
    pki = TestPki(
        ca_file=str(folder / "ca.pem"),
        server_cert=str(folder / "server.pem"),
        server_key=str(folder / "server.key"),
        client_cert=str(folder / "client.pem"),
        client_key=str(folder / "client.key"),
        stranger_cert=str(folder / "stranger.pem"),
        stranger_key=str(folder / "stranger.key"),
    )
    peer = ApnsPeer(pki, args.topic)
    peer.goaway_after(args.goaway_after)
    peer.start()
    print(f"port {peer.port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        sys.stdin.read()
    requests = peer.requests
    peer.stop()
    answered = Counter(r.status for r in requests)
    print(f"requests {len(requests)} connections {peer.connections_accepted} {dict(answered)}")


if __name__ == "__main__":
    main()
