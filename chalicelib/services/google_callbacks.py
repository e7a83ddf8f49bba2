"""Google Wallet's save and delete callbacks: verified before they are believed."""

from __future__ import annotations

import logging

from chalicelib import ids
from chalicelib.config import settings
from chalicelib.errors import Unauthorized
from chalicelib.root import per_root
from chalicelib.services import google_wallet
from chalicelib.wallet.google.callbacks import CallbackRejected, RootKeys, verify_callback

log = logging.getLogger(__name__)


@per_root
def root_keys() -> RootKeys:
    """Google's signing keys, fetched from GOOGLE_KEYS_URL and cached per process."""
    return RootKeys(settings().google_keys_url)


def receive(body: bytes) -> None:
    """Record a signed callback's save or delete; Unauthorized if it does not verify."""
    try:
        message = verify_callback(body, settings().google_issuer_id, root_keys())
    except CallbackRejected as exc:
        log.warning("refused a Google callback: %s", exc)
        raise Unauthorized("The callback's signature does not verify.") from exc
    object_id = str(message.get("objectId", ""))
    member_id = object_id.removeprefix(f"{settings().google_issuer_id}.")
    # A signed message still names only ids of ours: anything else is no member of ours.
    if member_id != object_id and ids.id_bytes(member_id) is not None:
        # Unavailable (503) when the store did not take it: Google sends it again.
        google_wallet.record_callback(
            str(message["nonce"]), member_id, message.get("eventType") == "save"
        )
