"""Apple Wallet: the pass download, Apple's PassKit web service, and the program images."""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict

from chalice.app import Response
from pydantic import BaseModel, ConfigDict, Field

from chalicelib.domain.text import printable
from chalicelib.errors import NotFound
from chalicelib.root import per_root
from chalicelib.services import devices, pass_tokens, program_images
from chalicelib.web.routing import Api, Call

api = Api(__name__, tag="apple")
log = logging.getLogger(__name__)

PKPASS = "application/vnd.apple.pkpass"


class DownloadQuery(BaseModel):
    token: str | None = Field(default=None, description="The signed token of the download link")


class RegistrationIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # Apple may add fields
    pushToken: str


class UpdatedQuery(BaseModel):
    passesUpdatedSince: str | None = None


class UpdatedOut(BaseModel):
    serialNumbers: list[str]
    lastUpdated: str


class LogIn(BaseModel):
    model_config = ConfigDict(extra="ignore")
    logs: list[str] = Field(default_factory=list, max_length=100)


LOG_BODY_BYTES = 16 * 1024
LOG_LINE_CHARS = 500


class LogBudget:
    """Device log lines each source address may write per window; the rest are dropped.

    Anyone may post to /apple/v1/log: this bounds what one address puts in our logs.
    Held per process (a Lambda container), not in the store: a write per post would
    turn the log flood into a DynamoDB bill.
    """

    def __init__(
        self, lines: int = 100, window_seconds: float = 60.0, addresses: int = 10_000
    ) -> None:
        self.lines, self.window, self.addresses = lines, window_seconds, addresses
        self._used: OrderedDict[str, tuple[float, int]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, address: str, wanted: int, now: float) -> int:
        """How many of `wanted` lines `address` may log now."""
        with self._lock:
            start, used = self._used.pop(address, (now, 0))
            if now - start >= self.window:
                start, used = now, 0
            granted = max(0, min(wanted, self.lines - used))
            self._used[address] = (start, used + granted)
            while len(self._used) > self.addresses:
                self._used.popitem(last=False)  # the least recently seen address
            if granted < wanted and used < self.lines:
                log.warning("wallet device log: %s is over its budget; dropping lines", address)
            return granted


log_budget = per_root(LogBudget)


def _pass_response(data: bytes, last_modified: str, filename: str) -> Response:
    return Response(
        body=data,
        status_code=200,
        headers={
            "Content-Type": PKPASS,
            "Last-Modified": last_modified,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )


@api.route(
    "/v1/passes/apple/{pass_file}",
    "GET",
    summary="Download a member's Apple Wallet pass (<member_id>.pkpass?token=...)",
    query=DownloadQuery,
    errors=(401, 404),
    content_type=PKPASS,
)
def download(call: Call, pass_file: str) -> Response:
    member_id = pass_file.removesuffix(".pkpass")
    if member_id == pass_file:
        raise NotFound("Passes are served as <member_id>.pkpass.")
    pass_tokens.check_download(member_id, call.query.token)
    data, second = devices.downloaded_pass(member_id)
    return _pass_response(data, devices.http_date(second), "pass.pkpass")


@api.route(
    "/apple/v1/devices/{device_id}/registrations/{pass_type}/{serial}",
    "POST",
    summary="Apple: register a device for a pass's updates",
    body=RegistrationIn,
    status=201,
    also=(200,),
    errors=(401,),
    # Wallet clients send the JSON with no Content-Type, or another one.
    any_content_type=True,
    body_required=True,
)
def register(call: Call, device_id: str, pass_type: str, serial: str) -> Response:
    status = devices.register(
        device_id, pass_type, serial, call.body.pushToken, call.request.headers.get("authorization")
    )
    return Response(body="", status_code=status)


@api.route(
    "/apple/v1/devices/{device_id}/registrations/{pass_type}/{serial}",
    "DELETE",
    summary="Apple: unregister a device from a pass",
    errors=(401, 404),
)
def unregister(call: Call, device_id: str, pass_type: str, serial: str) -> Response:
    devices.unregister(device_id, pass_type, serial, call.request.headers.get("authorization"))
    return Response(body="", status_code=200)


@api.route(
    "/apple/v1/devices/{device_id}/registrations/{pass_type}",
    "GET",
    summary="Apple: the device's passes changed since a tag (204 when none)",
    query=UpdatedQuery,
    response=UpdatedOut,
    also=(204,),
)
def updated(call: Call, device_id: str, pass_type: str) -> object:
    # No token here, by Apple's design: the device library id is the secret.
    found = devices.updated_serials(device_id, pass_type, call.query.passesUpdatedSince)
    if found is None:
        return Response(body="", status_code=204)
    return {"serialNumbers": found.serials, "lastUpdated": found.tag}


@api.route(
    "/apple/v1/passes/{pass_type}/{serial}",
    "GET",
    summary="Apple: the latest version of a pass (304 when not modified)",
    also=(304,),
    errors=(401,),
    content_type=PKPASS,
)
def latest(call: Call, pass_type: str, serial: str) -> Response:
    headers = call.request.headers
    found = devices.latest_pass(
        pass_type, serial, headers.get("authorization"), headers.get("if-modified-since")
    )
    if found.data is None:
        return Response(body="", status_code=304, headers={"Last-Modified": found.last_modified})
    return _pass_response(found.data, found.last_modified, f"{serial}.pkpass")


@api.route(
    "/apple/v1/passes/{pass_type}/{serial}",
    "HEAD",
    summary="Apple: the latest version's headers, as GET without the body",
    also=(304,),
    errors=(401,),
    content_type=PKPASS,
)
def latest_head(call: Call, pass_type: str, serial: str) -> Response:
    answer: Response = latest(call, pass_type, serial)
    if answer.status_code == 200:
        length = len(answer.body)
        answer.body = b""
        answer.headers["Content-Length"] = str(length)
    return answer


@api.route(
    "/apple/v1/log",
    "POST",
    summary="Apple: log messages from devices",
    body=LogIn,
    max_body=LOG_BODY_BYTES,
    any_content_type=True,  # a wallet client's JSON, whatever it calls it (as registration)
)
def device_log(call: Call) -> Response:
    lines = call.body.logs
    allowed = log_budget().take(call.source_ip or "unknown", len(lines), time.monotonic())
    for line in lines[:allowed]:
        # Without control characters: a device's "\n" would forge a line of our own log.
        log.warning("wallet device log: %s", printable(line)[:LOG_LINE_CHARS])
    return Response(body="", status_code=200)


@api.route(
    "/v1/programs/{program_id}/images/{image_file}",
    "GET",
    summary=(
        "A program's image (logo.png, icon.png, strip.png; Google's programlogo.png and "
        "hero.png), uploaded or generated, for Google Wallet and pages"
    ),
    also=(304,),
    errors=(404,),
    content_type="image/png",
)
def program_image(call: Call, program_id: str, image_file: str) -> Response:
    if not image_file.endswith(".png"):
        raise NotFound("No such image: logo.png, icon.png or strip.png.")
    served = program_images.program_image(program_id, image_file.removesuffix(".png"))
    if call.request.headers.get("if-none-match") == served.etag:
        return Response(body="", status_code=304, headers={"ETag": served.etag})
    return Response(
        body=served.data,
        status_code=200,
        headers={
            "Content-Type": "image/png",
            "ETag": served.etag,
            "Cache-Control": "public, max-age=3600",
        },
    )
