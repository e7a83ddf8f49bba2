"""A local stand-in for Google: the OAuth2 token endpoint, the Wallet REST subset, root keys.

A real HTTP server on a free loopback port, in a background thread, so that the
client's real stack (google-auth, requests, urllib3's pool) runs as in production.
It records every request for assertions and can answer faults on demand.

What it checks, as Google does:
- POST /token: a jwt-bearer grant whose assertion is signed (RS256) by the service
  account it was told about, with `aud` Google's token endpoint and a scope with
  wallet_object.issuer. google-auth puts https://oauth2.googleapis.com/token in
  `aud` whatever the key file's token_uri (googleapis/google-auth-library-python
  PR 784), which is what Google's token endpoint demands.
- /walletobjects/v1/...: a bearer token it issued and has not revoked (else 401);
  ids of the form issuerId.identifier; insert of an existing id is 409, patch or get
  of a missing one 404; PATCH merges (null clears a field, a list replaces);
  addMessage allows 3 TEXT_AND_NOTIFY messages per object per 24 hours, then 403
  with the body Google sends (reason quotaExceeded).
- GET /keys: whatever root keys document the test set.
"""

from __future__ import annotations

import json
import random
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote

import google.auth.exceptions
from cryptography.hazmat.primitives import serialization
from google.auth import jwt

GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
WALLET_SCOPE = "https://www.googleapis.com/auth/wallet_object.issuer"
API_PREFIX = "/walletobjects/v1/"
NOTIFICATIONS_PER_DAY = 3
DAY_SECONDS = 24 * 3600

_RESOURCE_ID = re.compile(r"^[0-9]+\.[A-Za-z0-9._-]+$")


@dataclass
class Recorded:
    """One request as the peer saw it."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any
    at: float  # time.monotonic() on arrival
    status: int = 0


@dataclass
class _Fault:
    status: int  # 0: drop the connection without an answer
    retry_after: str | None = None


@dataclass
class _Token:
    expires_at: float
    scope: str


@dataclass
class _State:
    service_accounts: dict[str, bytes] = field(default_factory=dict)  # email -> public PEM
    tokens: dict[str, _Token] = field(default_factory=dict)
    classes: dict[str, dict] = field(default_factory=dict)
    objects: dict[str, dict] = field(default_factory=dict)
    notifications: dict[str, deque] = field(default_factory=dict)  # object id -> times
    faults: deque = field(default_factory=deque)
    fault_ratio: float = 0.0
    fault_ratio_status: int = 500
    root_keys: bytes = b'{"keys": []}'
    refuse_tokens: bool = False


class GooglePeer:
    """Google's token endpoint and Wallet REST subset on http://127.0.0.1:<port>."""

    def __init__(self, token_lifetime: int = 3600, audiences: tuple[str, ...] = ()) -> None:
        self.token_lifetime = token_lifetime
        self.audiences = audiences or (GOOGLE_TOKEN_AUDIENCE,)
        self.requests: list[Recorded] = []
        # Set by the fixture: the key file whose token_uri is this peer, and its JSON.
        self.service_account_file: Path | None = None
        self.service_account_info: dict | None = None
        self.clock = time.time  # wall clock for the 24-hour notification window
        self._state = _State()
        self._lock = threading.Lock()
        self._random = random.Random(1234)  # noqa: S311 - fault injection, not security
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.peer = self  # type: ignore[attr-defined]
        # A short poll, so that stopping the peer at each test's end takes no time.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    # -- life cycle ------------------------------------------------------------

    def start(self) -> GooglePeer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/token"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}{API_PREFIX.rstrip('/')}"

    @property
    def keys_url(self) -> str:
        return f"{self.base_url}/keys"

    # -- configuration ---------------------------------------------------------

    def accept_service_account(self, info: dict) -> None:
        """Trust assertions signed by this service account's key."""
        key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
        pem = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        with self._lock:
            self._state.service_accounts[info["client_email"]] = pem

    def set_root_keys(self, document: bytes) -> None:
        with self._lock:
            self._state.root_keys = document

    def fail_next(self, n: int, status: int, retry_after: str | None = None) -> None:
        """Answer the next `n` API requests with `status` (0: drop the connection)."""
        with self._lock:
            self._state.faults.extend(_Fault(status, retry_after) for _ in range(n))

    def fail_ratio(self, p: float, status: int) -> None:
        """Answer each API request with `status` with probability `p` (0 turns it off)."""
        with self._lock:
            self._state.fault_ratio = p
            self._state.fault_ratio_status = status

    def refuse_tokens(self, refuse: bool = True) -> None:
        """Answer 401 to every API request, even with a fresh token (a revoked account)."""
        with self._lock:
            self._state.refuse_tokens = refuse

    def revoke_tokens(self) -> None:
        """Forget every token issued so far, as if they had expired at Google."""
        with self._lock:
            self._state.tokens.clear()

    # -- inspection ------------------------------------------------------------

    @property
    def classes(self) -> dict[str, dict]:
        return self._state.classes

    @property
    def objects(self) -> dict[str, dict]:
        return self._state.objects

    def api_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path.startswith(API_PREFIX)]

    def token_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == "/token"]

    def key_requests(self) -> list[Recorded]:
        with self._lock:
            return [r for r in self.requests if r.path == "/keys"]

    def max_requests_in_window(self, seconds: float = 1.0) -> int:
        """The most API requests that arrived within any window [t, t + seconds)."""
        times = sorted(r.at for r in self.api_requests())
        best, first = 0, 0
        for last, arrived in enumerate(times):
            while arrived - times[first] >= seconds:
                first += 1
            best = max(best, last - first + 1)
        return best

    # -- handling (called from the server's threads) ---------------------------

    def _handle(self, request: Recorded, raw: bytes) -> tuple[int, dict, dict[str, str]]:
        if request.path == "/token" and request.method == "POST":
            return self._token(raw)
        if request.path == "/keys" and request.method == "GET":
            with self._lock:
                return 200, json.loads(self._state.root_keys), {}
        if not request.path.startswith(API_PREFIX):
            return 404, _google_error(404, "Not found", "NOT_FOUND"), {}
        if not self._authorised(request.headers.get("authorization", "")):
            return (
                401,
                _google_error(
                    401,
                    "Request had invalid authentication credentials.",
                    "UNAUTHENTICATED",
                ),
                {"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'},
            )
        fault = self._next_fault()
        if fault is not None:
            headers = {"Retry-After": fault.retry_after} if fault.retry_after else {}
            if fault.status == 0:
                return 0, {}, {}
            reason = "RESOURCE_EXHAUSTED" if fault.status == 429 else "INTERNAL"
            return fault.status, _google_error(fault.status, "Injected fault", reason), headers
        if request.body is _BAD_JSON:
            return 400, _google_error(400, "Invalid JSON payload received.", "INVALID_ARGUMENT"), {}
        return self._wallet(request.method, request.path[len(API_PREFIX) :], request.body)

    def _next_fault(self) -> _Fault | None:
        with self._lock:
            if self._state.faults:
                return self._state.faults.popleft()
            if self._state.fault_ratio and self._random.random() < self._state.fault_ratio:
                return _Fault(self._state.fault_ratio_status)
        return None

    def _token(self, raw: bytes) -> tuple[int, dict, dict[str, str]]:
        form = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        if form.get("grant_type") != JWT_BEARER:
            return 400, {"error": "unsupported_grant_type"}, {}
        assertion = form.get("assertion", "")
        try:
            unverified = jwt.decode(assertion, verify=False)
            with self._lock:
                public_pem = self._state.service_accounts.get(unverified.get("iss", ""))
            if public_pem is None:
                return 400, {"error": "invalid_grant", "error_description": "Invalid issuer"}, {}
            claims = jwt.decode(assertion, certs=public_pem, audience=list(self.audiences))
        except (google.auth.exceptions.GoogleAuthError, ValueError) as exc:
            return 400, {"error": "invalid_grant", "error_description": f"Invalid JWT: {exc}"}, {}
        scope = str(claims.get("scope", ""))
        if WALLET_SCOPE not in scope.split():
            return 400, {"error": "invalid_scope", "error_description": "Missing wallet scope"}, {}
        token = "ya29.peer-" + secrets.token_urlsafe(24)
        with self._lock:
            self._state.tokens[token] = _Token(time.time() + self.token_lifetime, scope)
        return (
            200,
            {"access_token": token, "expires_in": self.token_lifetime, "token_type": "Bearer"},
            {},
        )

    def _authorised(self, header: str) -> bool:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token:
            return False
        with self._lock:
            issued = self._state.tokens.get(token)
            refused = self._state.refuse_tokens
        return not refused and issued is not None and issued.expires_at > time.time()

    def _wallet(self, method: str, path: str, body: Any) -> tuple[int, dict, dict[str, str]]:
        parts = [unquote(part) for part in path.split("/")]
        with self._lock:
            if parts[0] == "loyaltyClass":
                store = self._state.classes
                kind = "walletobjects#loyaltyClass"
            elif parts[0] == "loyaltyObject":
                store = self._state.objects
                kind = "walletobjects#loyaltyObject"
            else:
                return 404, _google_error(404, "Not found", "NOT_FOUND"), {}
            if method == "POST" and len(parts) == 1:
                return self._insert(store, kind, body)
            if len(parts) >= 2 and parts[1] not in store:
                return 404, _google_error(404, f"No resource with id {parts[1]}", "NOT_FOUND"), {}
            if method == "GET" and len(parts) == 2:
                return 200, store[parts[1]], {}
            if method == "PATCH" and len(parts) == 2:
                if not isinstance(body, dict):
                    return 400, _google_error(400, "A body is required", "INVALID_ARGUMENT"), {}
                store[parts[1]] = _merge(store[parts[1]], {**body, "id": parts[1]})
                return 200, store[parts[1]], {}
            if (
                method == "POST"
                and len(parts) == 3
                and parts[0] == "loyaltyObject"
                and parts[2] == "addMessage"
            ):
                return self._add_message(parts[1], body)
        return (
            400,
            _google_error(400, f"{method} is not in the peer's subset", "INVALID_ARGUMENT"),
            {},
        )

    def _insert(self, store: dict, kind: str, body: Any) -> tuple[int, dict, dict[str, str]]:
        resource_id = body.get("id") if isinstance(body, dict) else None
        if not isinstance(resource_id, str) or not _RESOURCE_ID.match(resource_id):
            return 400, _google_error(400, "Invalid resource id", "INVALID_ARGUMENT"), {}
        if resource_id in store:
            return (
                409,
                _google_error(409, f"Resource already exists: {resource_id}", "ALREADY_EXISTS"),
                {},
            )
        if kind.endswith("Object") and body.get("classId") not in self._state.classes:
            return (
                404,
                _google_error(404, "The class of this object does not exist", "NOT_FOUND"),
                {},
            )
        store[resource_id] = _merge({"kind": kind}, body)
        return 200, store[resource_id], {}

    def _add_message(self, object_id: str, body: Any) -> tuple[int, dict, dict[str, str]]:
        message = body.get("message") if isinstance(body, dict) else None
        if not isinstance(message, dict):
            return 400, _google_error(400, "message is required", "INVALID_ARGUMENT"), {}
        if message.get("messageType") == "TEXT_AND_NOTIFY":
            now = self.clock()
            sent = self._state.notifications.setdefault(object_id, deque())
            while sent and now - sent[0] >= DAY_SECONDS:
                sent.popleft()
            if len(sent) >= NOTIFICATIONS_PER_DAY:
                issuer = object_id.split(".", 1)[0]
                text = (
                    f"Quota exceeded for issuer {issuer} when adding TEXT_AND_NOTIFY "
                    f"message to object {object_id}."
                )
                return (
                    403,
                    {
                        "error": {
                            "code": 403,
                            "message": text,
                            "errors": [
                                {
                                    "message": text,
                                    "domain": "walletobjects",
                                    "reason": "quotaExceeded",
                                }
                            ],
                        }
                    },
                    {},
                )
            sent.append(now)
        resource = self._state.objects[object_id]
        resource.setdefault("messages", []).append(message)
        return 200, {"resource": resource}, {}


_BAD_JSON = object()


def _google_error(code: int, message: str, status: str) -> dict:
    return {"error": {"code": code, "message": message, "status": status}}


def _merge(current: dict, change: dict) -> dict:
    """Google's patch semantics: nested objects merge, lists replace, null clears."""
    merged = dict(current)
    for key, value in change.items():
        if value is None:
            merged.pop(key, None)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


class _Handler(BaseHTTPRequestHandler):
    # Keep-alive, so that the client's pooled connections are reused as with Google.
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # the recorded requests are the log

    def _serve(self) -> None:
        peer: GooglePeer = self.server.peer  # type: ignore[attr-defined]
        arrived = time.monotonic()
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        body: Any = None
        content_type = self.headers.get("Content-Type") or ""
        if raw and "json" in content_type:
            try:
                body = json.loads(raw)
            except ValueError:
                body = _BAD_JSON
        elif raw and "x-www-form-urlencoded" in content_type:
            body = {k: v[0] for k, v in parse_qs(raw.decode("utf-8", "replace")).items()}
        request = Recorded(
            method=self.command,
            path=path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            at=arrived,
        )
        with peer._lock:
            peer.requests.append(request)
        status, answer, headers = peer._handle(request, raw)
        request.status = status
        if status == 0:
            # A dropped connection: what a reset or a dying load balancer looks like.
            self.close_connection = True
            return
        data = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=UTF-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve
