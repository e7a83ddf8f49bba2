"""The Chalice application class, with its per-request state kept per thread.

Chalice stores the current request on the app object itself. Lambda runs one
request per process at a time, but the local run serves the same app from
several threads (waitress), where one request could read another's body or
headers. Keeping that state per thread costs nothing in Lambda.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any

import chalice.app


class Chalice(chalice.app.Chalice):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._per_thread = threading.local()
        super().__init__(*args, **kwargs)
        self.register_middleware(_contract_errors, "http")

    def __call__(self, event: dict[str, Any], context: Any) -> dict[str, Any]:
        # A request without Accept accepts anything (RFC 9110), but Chalice refuses a
        # binary answer (a .pkpass, a PNG) unless Accept names it: say so explicitly.
        headers = event.get("headers")
        if isinstance(headers, dict) and not any(k.lower() == "accept" for k in headers):
            headers["accept"] = "*/*"
        return super().__call__(event, context)

    @property
    def current_request(self) -> chalice.app.Request | None:
        return getattr(self._per_thread, "request", None)

    @current_request.setter
    def current_request(self, value: chalice.app.Request | None) -> None:
        self._per_thread.request = value

    @property
    def lambda_context(self) -> Any:
        return getattr(self._per_thread, "context", None)

    @lambda_context.setter
    def lambda_context(self, value: Any) -> None:
        self._per_thread.context = value


def _contract_errors(
    request: chalice.app.Request,
    get_response: Callable[[chalice.app.Request], chalice.app.Response],
) -> chalice.app.Response:
    """Chalice's own refusals (405 for a known path with another method, 415, 500)
    answered in API.md's error body rather than Chalice's {"Code", "Message"}."""
    from chalicelib.web.routing import JSON_HEADERS  # routing is imported after this module

    response = get_response(request)
    body = response.body
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        name = str(body["Code"])
        code = _CODES.get(name) or re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
        message = str(body["Message"])
        if "Allow" in response.headers:
            message = f"{message}: this path takes {response.headers['Allow']}."
        response.body = {"error": {"code": code, "message": message}}
        response.headers = {**response.headers, **JSON_HEADERS}
    return response


_CODES = {
    "MethodNotAllowedError": "method_not_allowed",
    "BadRequestError": "bad_request",
    "InternalServerError": "internal_error",
}
