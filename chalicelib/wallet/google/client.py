"""The Google Wallet REST client: loyalty classes, objects and messages.

https://developers.google.com/wallet/reference/rest/v1/loyaltyclass
https://developers.google.com/wallet/reference/rest/v1/loyaltyobject

Every call goes through one pooled, authorised session (google-auth refreshes the
OAuth2 token and retries once on a 401), a token bucket that keeps the whole
process under Google's per-issuer rate, and bounded retries with full-jitter
exponential backoff on 429, 5xx and connection errors.
"""

from __future__ import annotations

import email.utils
import json
import logging
import random
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import google.auth.credentials
import google.auth.exceptions
import requests
from google.auth.transport.requests import AuthorizedSession, Request
from google.oauth2 import service_account

logger = logging.getLogger(__name__)

SCOPES = ["https://www.googleapis.com/auth/wallet_object.issuer"]
DEFAULT_API_URL = "https://walletobjects.googleapis.com/walletobjects/v1"

# 429 and 5xx are Google's "try again later"; 4xx otherwise means the request is wrong.
_RETRYABLE = frozenset({429, 500, 502, 503, 504})
# Reasons Google gives in a 403 that mean a limit, not a permission problem. The
# per-pass notification limit answers reason "quotaExceeded" (seen in the field:
# edutap-eu/edutap.wallet_google issue 3).
_QUOTA_REASONS = frozenset(
    {"quotaExceeded", "rateLimitExceeded", "userRateLimitExceeded", "dailyLimitExceeded"}
)


class GoogleWalletError(Exception):
    """Google Wallet refused a call or could not be reached.

    `status` is the HTTP status (0 when no answer came); `body` is Google's error
    body, parsed when it was JSON.
    """

    def __init__(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body
        super().__init__(f"Google Wallet answered {status or 'nothing'}: {_message(body)}")


class QuotaExceeded(GoogleWalletError):
    """A 403 for a limit: most often the 3 notifications per pass per 24 hours.

    Not retried: the limit lifts in hours, not seconds.
    """


def _message(body: Any) -> str:
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return str(body["error"].get("message", body))
    return str(body)[:500]


def _is_quota(body: Any) -> bool:
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return "quota" in str(body).lower()
    reasons = {item.get("reason") for item in error.get("errors") or [] if isinstance(item, dict)}
    message = str(error.get("message", "")).lower()
    return bool(reasons & _QUOTA_REASONS) or "quota" in message or "rate limit" in message


def _error(status: int, body: Any) -> GoogleWalletError:
    if status == 403 and _is_quota(body):
        return QuotaExceeded(status, body)
    return GoogleWalletError(status, body)


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP date."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class _TokenBucket:
    """A thread-safe token bucket holding one token, refilled at `rate` per second.

    One token, not `rate`: Google counts requests per second, and a full bucket of
    `rate` tokens plus its refill would let 2 x rate through in the first second.
    The waiting caller sleeps holding the lock and the next token is timed from the
    moment it actually goes, not from its planned slot: a thread woken late by a
    busy CPU then delays those behind it instead of bunching up with them (with
    planned slots, 21 requests reached the peer within one second under load).
    """

    def __init__(self, rate: float) -> None:
        if rate <= 0:
            raise ValueError("the rate must be positive")
        self._interval = 1.0 / rate
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def acquire(self) -> None:
        with self._lock:
            wait = self._next - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            self._next = time.monotonic() + self._interval


class WalletClient:
    """Google Wallet's loyalty REST subset, with auth, rate limiting and retries.

    Safe to share between threads. Every method raises GoogleWalletError (or
    QuotaExceeded) when Google refuses or stays unreachable after `max_attempts`.
    """

    # Full jitter: a retry sleeps a random time in [0, min(cap, base * 2**n)].
    # Class attributes so that tests can shrink them on an instance.
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    # A Retry-After longer than this is cut short: a Lambda has minutes, not hours.
    retry_after_cap: float = 60.0

    def __init__(
        self,
        api_url: str,
        credentials: google.auth.credentials.Credentials,
        requests_per_second: float = 20.0,
        max_attempts: int = 6,
        timeout: float = 10.0,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        self.api_url = api_url.rstrip("/")
        self.max_attempts = max_attempts
        self.timeout = timeout
        self._limiter = _TokenBucket(requests_per_second)
        self._credentials = credentials
        # Token requests go through a session of their own: google-auth refreshes
        # through this Request, and passing the authorised session itself would recurse.
        self._token_session = requests.Session()
        self._token_session.mount("https://", requests.adapters.HTTPAdapter(max_retries=3))
        self._auth_request = Request(self._token_session)
        self._refresh_lock = threading.Lock()
        # One refresh per 401 (google-auth's default is two): a second 401 right after
        # a fresh token is a permission problem that another token will not fix.
        self._session = AuthorizedSession(
            credentials, max_refresh_attempts=1, auth_request=self._auth_request
        )
        # One pool for every thread; sized above the pool of worker threads that share
        # this client, so that no connection is thrown away after each request.
        adapter = requests.adapters.HTTPAdapter(pool_connections=4, pool_maxsize=32)
        self._session.mount("https://", adapter)
        self._session.mount("http://", adapter)
        self._sleep: Callable[[float], None] = time.sleep

    @classmethod
    def from_service_account_file(cls, api_url: str, path: str, **kw: Any) -> WalletClient:
        """A client acting as the service account in the key file at `path`.

        The file's `token_uri` is where tokens come from (Google's, or a test peer's).
        """
        credentials = service_account.Credentials.from_service_account_file(path, scopes=SCOPES)
        return cls(api_url, credentials, **kw)

    def close(self) -> None:
        self._session.close()
        self._token_session.close()

    # -- loyalty classes ---------------------------------------------------------

    def insert_class(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create the class; when it already exists (a retried insert), patch it instead."""
        try:
            return self._call("POST", "loyaltyClass", body)
        except GoogleWalletError as exc:
            if exc.status != 409:
                raise
        return self._call("PATCH", f"loyaltyClass/{_segment(body['id'])}", body)

    def patch_class(self, class_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change the fields in `body`; a class Google does not know yet is inserted."""
        try:
            return self._call("PATCH", f"loyaltyClass/{_segment(class_id)}", body)
        except GoogleWalletError as exc:
            if exc.status != 404:
                raise
        return self._call("POST", "loyaltyClass", body)

    # -- loyalty objects ---------------------------------------------------------

    def get_object(self, object_id: str) -> dict[str, Any] | None:
        """The object as Google holds it, or None when there is none."""
        try:
            return self._call("GET", f"loyaltyObject/{_segment(object_id)}")
        except GoogleWalletError as exc:
            if exc.status == 404:
                return None
            raise

    def insert_object(self, body: dict[str, Any]) -> dict[str, Any]:
        """Create the object; when it already exists (409), patch it instead."""
        try:
            return self._call("POST", "loyaltyObject", body)
        except GoogleWalletError as exc:
            if exc.status != 409:
                raise
        return self._call("PATCH", f"loyaltyObject/{_segment(body['id'])}", body)

    def patch_object(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """Change the fields in `body` (null clears one); an unknown object is inserted."""
        try:
            return self._call("PATCH", f"loyaltyObject/{_segment(object_id)}", body)
        except GoogleWalletError as exc:
            if exc.status != 404:
                raise
        # Not insert_object: its 409 fallback would patch again, and a 404 then a 409
        # can only mean a race with another writer, which the caller's retry settles.
        return self._call("POST", "loyaltyObject", body)

    def add_message(self, object_id: str, message: dict[str, Any]) -> dict[str, Any]:
        """Add a message to the pass; TEXT_AND_NOTIFY also notifies the phone.

        Raises QuotaExceeded beyond Google's notifications per pass per 24 hours.
        """
        # https://developers.google.com/wallet/reference/rest/v1/loyaltyobject/addmessage
        return self._call(
            "POST", f"loyaltyObject/{_segment(object_id)}/addMessage", {"message": message}
        )

    # -- transport ---------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        url = f"{self.api_url}/{path}"
        for attempt in range(1, self.max_attempts + 1):
            last = attempt == self.max_attempts
            self._limiter.acquire()
            try:
                self._ensure_token()
                response = self._session.request(method, url, json=body, timeout=self.timeout)
            except google.auth.exceptions.RefreshError as exc:
                # The token endpoint refused the service account: retrying will not help
                # unless google-auth says the failure was transient.
                if last or not getattr(exc, "retryable", False):
                    raise GoogleWalletError(401, f"token refresh failed: {exc}") from exc
                self._backoff(attempt, None, method, path, "token refresh failed")
                continue
            except (
                requests.ConnectionError,
                requests.Timeout,
                google.auth.exceptions.TransportError,
            ) as exc:
                if last:
                    raise GoogleWalletError(0, f"{type(exc).__name__}: {exc}") from exc
                self._backoff(attempt, None, method, path, type(exc).__name__)
                continue
            status = response.status_code
            if status < 400:
                return _json(response) or {}
            if status in _RETRYABLE and not last:
                delay = _retry_after(response.headers.get("Retry-After"))
                self._backoff(attempt, delay, method, path, str(status))
                continue
            raise _error(status, _json(response))
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _ensure_token(self) -> None:
        # Threads that start together would each fetch a token; one fetches, the others
        # wait for it. google-auth still handles a 401 on its own.
        if self._credentials.valid:
            return
        with self._refresh_lock:
            if not self._credentials.valid:
                self._credentials.refresh(self._auth_request)

    def _backoff(
        self, attempt: int, retry_after: float | None, method: str, path: str, why: str
    ) -> None:
        if retry_after is not None:
            delay = min(retry_after, self.retry_after_cap)
        else:
            # Full jitter spreads the retries of many workers hit by the same outage.
            delay = random.uniform(0, min(self.backoff_cap, self.backoff_base * 2 ** (attempt - 1)))  # noqa: S311
        logger.warning(
            "google wallet %s %s: %s, attempt %d of %d, retrying in %.2fs",
            method,
            path,
            why,
            attempt,
            self.max_attempts,
            delay,
        )
        self._sleep(delay)


def _segment(resource_id: str) -> str:
    # Our ids never need escaping, but an id is data: it must not add a path segment.
    return quote(resource_id, safe="")


def _json(response: requests.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text


class LoggingClient:
    """The WalletClient's methods without Google: each call is one INFO line, body returned.

    The local run uses it when GOOGLE_WALLET_API_URL is not set, so that every
    update the service would send can be read in the log.
    """

    def __init__(self, log: logging.Logger | None = None) -> None:
        self._log = log or logger

    def _record(self, method: str, path: str, body: dict[str, Any] | None) -> None:
        self._log.info(
            "google wallet (not sent) %s %s %s",
            method,
            path,
            json.dumps(body, sort_keys=True, separators=(",", ":")),
        )

    def insert_class(self, body: dict[str, Any]) -> dict[str, Any]:
        self._record("POST", "loyaltyClass", body)
        return body

    def patch_class(self, class_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._record("PATCH", f"loyaltyClass/{_segment(class_id)}", body)
        return body

    def get_object(self, object_id: str) -> dict[str, Any] | None:
        # Nothing was ever stored, so nothing is there.
        self._record("GET", f"loyaltyObject/{_segment(object_id)}", None)
        return None

    def insert_object(self, body: dict[str, Any]) -> dict[str, Any]:
        self._record("POST", "loyaltyObject", body)
        return body

    def patch_object(self, object_id: str, body: dict[str, Any]) -> dict[str, Any]:
        self._record("PATCH", f"loyaltyObject/{_segment(object_id)}", body)
        return body

    def add_message(self, object_id: str, message: dict[str, Any]) -> dict[str, Any]:
        body = {"message": message}
        self._record("POST", f"loyaltyObject/{_segment(object_id)}/addMessage", body)
        return body
