"""The "Add to Google Wallet" link: a JWT signed by the service account, naming one object.

https://developers.google.com/wallet/reference/rest/v1/Jwt
https://developers.google.com/wallet/retail/loyalty-cards/use-cases/jwt

The object is inserted over REST first and the JWT carries only its id: a whole
object would push the link past the length browsers and mail clients keep.
"""

from __future__ import annotations

import time
from functools import lru_cache
from typing import Any

from google.auth import crypt, jwt

SAVE_URL = "https://pay.google.com/gp/v/save/"
# Google's guidance for web links: keep the encoded JWT under about 1,800 characters.
MAX_URL_LENGTH = 1800
# Google's JWT reference lists no `exp`; JWT verifiers (google.auth.jwt.decode among
# them) require one, so the link carries a generous one. A fresh link comes with
# every enrolment read, so a month only bounds how long a forwarded link works.
LINK_LIFETIME_SECONDS = 30 * 24 * 3600


def save_url(
    service_account_info: dict[str, Any],
    object_id: str,
    origins: list[str],
    now: int | None = None,
) -> str:
    """The save link for the loyalty object `object_id`, signed RS256 by the service account.

    `origins` are the sites allowed to show the button. Raises ValueError when the
    link would reach MAX_URL_LENGTH (too many or too long origins).
    """
    issued_at = int(time.time()) if now is None else now
    claims = {
        "iss": service_account_info["client_email"],
        "aud": "google",
        "typ": "savetowallet",
        "iat": issued_at,
        "exp": issued_at + LINK_LIFETIME_SECONDS,
        "origins": list(origins),
        "payload": {"loyaltyObjects": [{"id": object_id}]},
    }
    signer = _signer(
        service_account_info["private_key"], service_account_info.get("private_key_id")
    )
    token: bytes = jwt.encode(signer, claims)  # google-auth leaves it unannotated
    url = SAVE_URL + token.decode("ascii")
    if len(url) >= MAX_URL_LENGTH:
        raise ValueError(f"the save link is {len(url)} characters; Google keeps {MAX_URL_LENGTH}")
    return url


@lru_cache(maxsize=4)
def _signer(private_key: str, private_key_id: str | None) -> crypt.RSASigner:
    # Cached per key: loading (and validating) the RSA key took 29 ms of a 29 ms link,
    # measured here; signing itself is about a millisecond.
    # The signer carries private_key_id, which google.auth.jwt.encode puts in `kid`.
    signer: crypt.RSASigner = crypt.RSASigner.from_service_account_info(
        {"private_key": private_key, "private_key_id": private_key_id}
    )
    return signer
