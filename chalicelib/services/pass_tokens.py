"""The tokens of a member's Apple pass: its authenticationToken and its download link."""

from __future__ import annotations

import hmac
import time

from chalicelib.config import settings
from chalicelib.domain import tokens
from chalicelib.errors import Unauthorized
from chalicelib.secrets import secrets
from chalicelib.store.models import MemberItem


def auth_token(member_id: str) -> str:
    # Its own key, never rotated: Apple never lets a pass's token change.
    return tokens.pass_auth_token(member_id, secrets().apple_auth_key)


# Android wallet apps (WalletPasses, PassAndroid) speak Apple's web service with
# their own scheme name and the same token.
PASS_SCHEMES = ("ApplePass", "AndroidPass")


def check_auth(member: MemberItem | None, header: str | None) -> MemberItem:
    """The member whose pass the `ApplePass <token>` (or `AndroidPass <token>`) header
    opens; anything else is 401."""
    scheme, _, presented = (header or "").partition(" ")
    if member is None or scheme not in PASS_SCHEMES or not presented.strip():
        raise Unauthorized("Not authorized for this pass.")
    expected = member.apple_token_hash or tokens.token_hash(auth_token(member.member_id))
    if not hmac.compare_digest(tokens.token_hash(presented.strip()), expected):
        raise Unauthorized("Not authorized for this pass.")
    return member


def download_url(member_id: str) -> str:
    expires = int(time.time()) + settings().pass_download_days * 86400
    token = tokens.download_token(member_id, expires, secrets().key("pass-download"))
    return f"{settings().public_base_url}/v1/passes/apple/{member_id}.pkpass?token={token}"


def check_download(member_id: str, token: str | None) -> None:
    keys = secrets().keys("pass-download")
    if not token or not tokens.download_token_valid(token, member_id, int(time.time()), *keys):
        raise Unauthorized("This download link is not valid or has expired: ask for a new one.")


def auth_token_hash(member_id: str) -> str:
    """What the member item stores of its pass's authenticationToken."""
    return tokens.token_hash(auth_token(member_id))
