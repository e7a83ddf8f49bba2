"""Google Wallet's save and delete callbacks, verified before they are believed."""

from __future__ import annotations

import logging
from datetime import timedelta
from functools import lru_cache

from chalice import Response
from pynamodb.exceptions import PutError

from chalicelib import clock, ids
from chalicelib.config import settings
from chalicelib.errors import Unauthorized
from chalicelib.services import google_wallet
from chalicelib.store.models import UniqueItem
from chalicelib.wallet.google.callbacks import CallbackRejected, RootKeys, verify_callback
from chalicelib.web.routing import Api, Call

api = Api(__name__, tag="google")
log = logging.getLogger(__name__)


@lru_cache(maxsize=1)
def root_keys() -> RootKeys:
    """Google's signing keys, fetched from GOOGLE_KEYS_URL and cached per process."""
    return RootKeys(settings().google_keys_url)


@api.route(
    "/google/callbacks",
    "POST",
    summary="Google Wallet: a pass was saved or deleted (ECv2SigningOnly-signed)",
    errors=(401,),
)
def callback(call: Call) -> Response:
    body = call.request.raw_body or b""
    try:
        message = verify_callback(body, settings().google_issuer_id, root_keys())
    except CallbackRejected as exc:
        log.warning("refused a Google callback: %s", exc)
        raise Unauthorized("The callback's signature does not verify.") from exc
    if not _first_time(str(message.get("nonce", ""))):
        return Response(body="", status_code=200)  # a redelivery: already recorded
    object_id = str(message.get("objectId", ""))
    member_id = object_id.removeprefix(f"{settings().google_issuer_id}.")
    # A signed message still names only ids of ours: anything else is no member of ours.
    if member_id != object_id and ids.id_bytes(member_id) is not None:
        google_wallet.record_saved(member_id, message.get("eventType") == "save")
    return Response(body="", status_code=200)


def _first_time(nonce: str) -> bool:
    """Claim the nonce; False when it was seen before (Google redelivers)."""
    if not nonce:
        return True
    try:
        UniqueItem(
            f"google-nonce#{nonce}",
            owner_id="google",
            expires_at=clock.now() + timedelta(days=30),
        ).save(condition=UniqueItem.key.does_not_exist())
    except PutError:
        return False
    return True
