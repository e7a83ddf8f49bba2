"""Chalice's local API Gateway behind a production WSGI server (waitress).

`chalice local` serves through http.server and stalls about 44 ms on every
keep-alive request (measured: 23 requests/s for one client). Here the same
LocalGateway (routing, event shape, binary bodies) runs behind waitress's
threaded server, which has no such stall.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from chalice import Chalice
from chalice.config import Config
from chalice.local import LocalGateway, LocalGatewayException
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

_CLIENT_HEADER = "x-localrun-client-ip"
_JSON_HEADERS = [
    ("Content-Type", "application/json"),
    ("Cache-Control", "no-store"),
    ("X-Content-Type-Options", "nosniff"),
]
_NOT_FOUND = json.dumps(
    {"error": {"code": "not_found", "message": "No such route: check the method and path."}}
).encode()
# API Gateway's own limit: a brand image may be 5 MB (the route refuses more).
MAX_REQUEST_BODY = 10 * 1024 * 1024
# waitress's own refusals, made before the app sees the request, in API.md's codes.
_WAITRESS_CODES = {
    400: "bad_request",
    413: "payload_too_large",
    431: "request_header_fields_too_large",
    500: "internal_error",
    501: "not_implemented",
}


class _JsonErrorTask(ErrorTask):
    """waitress's error answer (a bad request line, a body over the limit, a crash in
    the app) with API.md's JSON error body instead of waitress's plain text."""

    def execute(self) -> None:
        error = self.request.error
        code = _WAITRESS_CODES.get(error.code, "bad_request")
        message = (
            f"The body is over {MAX_REQUEST_BODY // 1024} KiB."
            if error.code == 413
            else f"{error.reason}: {error.body}"
        )
        body = json.dumps({"error": {"code": code, "message": message}}).encode()
        self.status = f"{error.code} {error.reason}"
        self.response_headers.extend(_JSON_HEADERS)
        self.set_close_on_finish()
        self.content_length = len(body)
        self.write(body)


class _Channel(HTTPChannel):
    error_task_class = _JsonErrorTask


class _Gateway(LocalGateway):
    """Puts the real client address where API Gateway would (chalice local hard-codes one)."""

    def _generate_lambda_event(
        self, method: str, path: str, headers: dict[str, str], body: bytes | None
    ) -> dict[str, Any]:
        event = super()._generate_lambda_event(method, path, headers, body)
        client = headers.get(_CLIENT_HEADER)
        if client:
            event["requestContext"]["identity"]["sourceIp"] = client
        return event


class ChaliceWSGI:
    """A WSGI application serving a Chalice app as API Gateway would invoke it."""

    def __init__(self, app: Chalice) -> None:
        config = Config.create(chalice_stage="local", app_name=app.app_name, lambda_timeout=900)
        self._gateway = _Gateway(app, config)

    def __call__(
        self, environ: dict[str, Any], start_response: Callable[..., Any]
    ) -> Iterable[bytes]:
        headers = {
            key[5:].replace("_", "-").lower(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        headers["content-length"] = str(len(body))
        headers[_CLIENT_HEADER] = environ.get("REMOTE_ADDR", "")
        path = environ.get("PATH_INFO") or "/"
        if environ.get("QUERY_STRING"):
            path = f"{path}?{environ['QUERY_STRING']}"
        try:
            response = self._gateway.handle_request(
                environ["REQUEST_METHOD"], path, headers, body or None
            )
        except LocalGatewayException:
            # API Gateway answers an unknown route with 403 "Missing Authentication
            # Token"; locally a 404 in our own error shape says what happened.
            start_response("404 Not Found", _JSON_HEADERS)
            return [_NOT_FOUND]
        status = int(response["statusCode"])
        out_headers = [(k, str(v)) for k, v in (response.get("headers") or {}).items()]
        for key, values in (response.get("multiValueHeaders") or {}).items():
            out_headers.extend((key, str(v)) for v in values)
        raw = response.get("body") or b""
        if response.get("isBase64Encoded"):
            raw = base64.b64decode(raw)
        elif isinstance(raw, str):
            raw = raw.encode("utf-8")
        if environ["REQUEST_METHOD"] == "HEAD":
            # As API Gateway does: the headers only, whatever the view answered
            # (an error's JSON included); waitress would write the body after them.
            if raw and not any(k.lower() == "content-length" for k, _ in out_headers):
                out_headers.append(("Content-Length", str(len(raw))))
            raw = b""
        start_response(f"{status} {_reason(status)}", out_headers)
        return [raw]


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


def serve(app: Chalice, host: str, port: int, threads: int = 8) -> Any:
    """A waitress server for `app` (not yet running): call .run(), or .close() to stop."""
    from waitress.server import create_server

    server = create_server(
        ChaliceWSGI(app),
        host=host,
        port=port,
        threads=threads,
        max_request_body_size=MAX_REQUEST_BODY,
        ident="wallet-loyalty",
        clear_untrusted_proxy_headers=True,
    )
    server.channel_class = _Channel  # its errors in the contract's shape
    return server
