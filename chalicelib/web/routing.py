"""Routes with their contract: auth, the body and query models, and the response.

`Api.route` registers a Chalice view and records the same models for
/openapi.json, so the document is generated from what validates the input.
Every view runs inside `_run`: a LoyaltyError becomes API.md's error body with
its status; anything else is a logged 500 whose details never reach the client.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from chalice.app import Blueprint, Request, Response
from pydantic import BaseModel, ValidationError

from chalicelib import ids, jsonin
from chalicelib.domain.roles import Role
from chalicelib.errors import (
    BadRequest,
    Forbidden,
    Invalid,
    LoyaltyError,
    MalformedJson,
    NotFound,
    PayloadTooLarge,
    Unauthorized,
    UnsupportedMediaType,
)
from chalicelib.services import auth
from chalicelib.services.programs import invalid_from

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 64 * 1024
# nosniff: a browser never reads a JSON answer (an error echoing input included) as HTML.
JSON_HEADERS = {
    "Content-Type": "application/json",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


def _is_id(value: str) -> bool:
    return ids.id_bytes(value) is not None


# What each path parameter may be, checked before any view (and so any store call)
# runs: DynamoDB refuses a hash key over 2,048 bytes (a range key over 1,024) with a
# ValidationException, which would be a 500. Our ids are ids.new_id's 22 characters;
# Apple's identifiers have their own formats (ids.py).
# Each check is truthy for a valid value (a bool, or a regex match).
PATH_PARAMS: dict[str, Callable[[str], object]] = {
    "program_id": _is_id,
    "member_id": _is_id,
    "transaction_id": _is_id,
    "staff_id": _is_id,
    "job_id": _is_id,
    "serial": _is_id,  # an Apple pass's serialNumber is its member's id
    "pass_file": lambda v: v.endswith(".pkpass") and _is_id(v.removesuffix(".pkpass")),
    # logo.png to read an image; logo to upload or delete one.
    "image_file": re.compile(r"[a-z]{1,16}(\.png)?").fullmatch,
    "asset": re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}").fullmatch,
    "device_id": ids.is_device_library_id,
    "pass_type": ids.is_pass_type_id,
}
# A parameter not named above: URL-safe and far below any key limit.
_ANY_PARAM = re.compile(r"[A-Za-z0-9._~-]{1,256}").fullmatch


@dataclass(frozen=True)
class RouteSpec:
    path: str
    method: str
    summary: str
    tag: str
    role: Role | None
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    errors: tuple[int, ...]
    content_type: str = "application/json"
    # Apple's web service (registration, log): read the body as JSON whatever its
    # Content-Type (Wallet clients send none, or another); registration refuses a
    # missing body (400, not 422).
    any_content_type: bool = False
    body_required: bool = False
    max_body: int = MAX_BODY_BYTES
    # The answer to a malformed path parameter (a page answers its own 404 page).
    bad_path: Callable[[], Response] | None = None
    also: tuple[int, ...] = ()  # other success statuses with the same body
    # False: the view's service checks the staff account inside its own read
    # (the ledger's one TransactGet); here only the token and its claimed role.
    check_staff: bool = True
    # Other success statuses with a body of their own.
    others: tuple[tuple[int, type[BaseModel]], ...] = ()


ROUTES: list[RouteSpec] = []


@dataclass
class Call:
    """What a view gets: who is calling, the validated body and query, the raw request."""

    request: Request
    principal: auth.Principal | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    query: Any = None

    @property
    def me(self) -> auth.Principal:
        assert self.principal is not None, "route declared without a role"
        return self.principal

    @property
    def raw_body(self) -> bytes:
        return raw_body(self.request)

    @property
    def source_ip(self) -> str | None:
        identity = (self.request.context or {}).get("identity") or {}
        return identity.get("sourceIp")


def error_response(error: LoyaltyError) -> Response:
    detail: dict[str, Any] = {"code": error.code, "message": error.message}
    # A refused field: its dotted path, and every refusal, for a form to show beside each.
    if isinstance(error, Invalid):
        if error.field:
            detail["field"] = error.field
        if error.errors:
            detail["errors"] = [{"field": f, "message": m} for f, m in error.errors]
    return Response(
        body=json.dumps({"error": detail}),
        status_code=error.http_status,
        headers={**JSON_HEADERS, **error.headers},
    )


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    if status == 204:
        return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})
    if isinstance(payload, BaseModel):
        payload = payload.model_dump(mode="json")
    return Response(
        body=json.dumps(payload, separators=(",", ":")),
        status_code=status,
        headers={**JSON_HEADERS, **(headers or {})},
    )


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization") or ""
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Sign in: send Authorization: Bearer <token>.")
    return token.strip()


def _is_json_type(content_type: str) -> bool:
    """application/json or application/*+json, with any parameters.

    Exactly these: a "simple" cross-site request (text/plain, a form, or no type at
    all) needs no CORS preflight, so accepting it would let any web page post here.
    """
    media = content_type.split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def raw_body(request: Request) -> bytes:
    """The request's body as bytes (Chalice hands over text for a non-binary type)."""
    raw = request.raw_body or b""
    return raw.encode() if isinstance(raw, str) else raw


def _body(spec: RouteSpec, request: Request) -> BaseModel:
    raw = raw_body(request)
    if len(raw) > spec.max_body:
        raise PayloadTooLarge(f"The body is over {spec.max_body // 1024} KiB.")
    if not raw.strip():
        if spec.body_required:
            raise BadRequest("Send a JSON body.")
        data: Any = {}  # An empty body is an empty object: every field takes its default.
    else:
        content_type = request.headers.get("content-type") or ""
        if not spec.any_content_type and not _is_json_type(content_type):
            raise UnsupportedMediaType("Send the body as application/json.")
        try:
            data = jsonin.loads(raw)
        except jsonin.NotJson as exc:
            raise MalformedJson(f"The body is not valid JSON: {exc}.") from exc
    if not isinstance(data, dict):
        raise BadRequest("The body must be a JSON object.")
    assert spec.body is not None
    try:
        return spec.body.model_validate(data)
    except ValidationError as exc:
        raise invalid_from(exc, model=spec.body) from exc


def _check_path(params: dict[str, str]) -> None:
    for name, value in params.items():
        if not PATH_PARAMS.get(name, _ANY_PARAM)(value):
            raise NotFound(f"No such {name.removesuffix('_id').replace('_', ' ')}.")


def _query(request: Request, model: type[BaseModel]) -> BaseModel:
    params = dict(request.query_params or {})
    try:
        # Query strings are text: the model coerces ("20" -> 20) in lax mode.
        return model.model_validate(params, strict=False)
    except ValidationError as exc:
        raise invalid_from(exc, model=model) from exc


def _run(
    spec: RouteSpec, view: Callable[..., Any], request: Request, params: dict[str, Any]
) -> Response:
    try:
        try:
            _check_path(params)
        except NotFound:
            if spec.bad_path is not None:
                return spec.bad_path()
            raise
        call = Call(request=request)
        if spec.role is not None:
            call.claims = auth.decode_token(_bearer(request))
            if spec.check_staff:
                call.principal = auth.principal_from(call.claims, auth.live_staff(call.claims))
            role = call.principal.role if call.principal else Role.parse(call.claims["role"])
            if role < spec.role:
                raise Forbidden(f"This needs the {spec.role.name} role or above.")
        if spec.query is not None:
            call.query = _query(request, spec.query)
        if spec.body is not None:
            call.body = _body(spec, request)
        result = view(call, **params)
        if isinstance(result, Response):
            return result
        return json_response(result, spec.status)
    except LoyaltyError as error:
        return error_response(error)
    except Exception:
        log.exception("unhandled error in %s %s", spec.method, spec.path)
        return error_response(_Internal("Something went wrong on our side; try again."))


class _Internal(LoyaltyError):
    http_status, code = 500, "internal_error"


class Api:
    """A Chalice Blueprint whose routes carry their contract."""

    def __init__(self, import_name: str, tag: str) -> None:
        self.blueprint = Blueprint(import_name)
        self.tag = tag

    def route(
        self,
        path: str,
        method: str,
        *,
        summary: str,
        role: Role | None = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        errors: tuple[int, ...] = (),
        content_type: str = "application/json",
        any_content_type: bool = False,
        body_required: bool = False,
        max_body: int = MAX_BODY_BYTES,
        bad_path: Callable[[], Response] | None = None,
        also: tuple[int, ...] = (),
        check_staff: bool = True,
        others: tuple[tuple[int, type[BaseModel]], ...] = (),
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        spec = RouteSpec(
            path,
            method,
            summary,
            self.tag,
            role,
            body,
            query,
            response,
            status,
            errors,
            content_type,
            any_content_type,
            body_required,
            max_body,
            bad_path,
            also,
            check_staff,
            others,
        )
        ROUTES.append(spec)

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            def handler(**params: Any) -> Response:
                return _run(spec, view, self.blueprint.current_request, params)

            handler.__name__ = view.__name__
            handler.__doc__ = view.__doc__
            # Any content type reaches _body, which answers 415 in API.md's error shape.
            self.blueprint.route(path, methods=[method], content_types=["*/*"])(handler)
            return view

        return decorator
