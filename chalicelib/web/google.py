"""Google Wallet's save and delete callbacks, verified before they are believed."""

from __future__ import annotations

from chalice.app import Response

from chalicelib.services import google_callbacks
from chalicelib.web.routing import Api, Call

api = Api(__name__, tag="google")


@api.route(
    "/google/callbacks",
    "POST",
    summary="Google Wallet: a pass was saved or deleted (ECv2SigningOnly-signed)",
    errors=(401, 503),
)
def callback(call: Call) -> Response:
    google_callbacks.receive(call.raw_body)
    return Response(body="", status_code=200)
