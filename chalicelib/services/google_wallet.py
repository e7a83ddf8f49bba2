"""Google Wallet in the service: the client, the class and object of a program and member,
the save link, and the notification budget.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError

from chalicelib import clock, i18n
from chalicelib.config import settings
from chalicelib.domain import barcode
from chalicelib.domain.program import Program
from chalicelib.errors import Unavailable
from chalicelib.root import per_root
from chalicelib.secrets import read_json_secret, secrets
from chalicelib.services import passes, program_images
from chalicelib.services.programs import current_program
from chalicelib.store import db, transact
from chalicelib.store.models import MemberItem, MerchantItem, ProgramItem, UniqueItem
from chalicelib.wallet.apple import model as apple_model
from chalicelib.wallet.google import objects

# The REST client and the save link's signing bring google-auth and requests: imported
# where they are used, as most Lambdas of the app import this module and never call Google.
if TYPE_CHECKING:
    from chalicelib.wallet.google.client import LoggingClient, WalletClient

log = logging.getLogger(__name__)

NOTICES_PER_DAY = 3  # Google refuses a 4th TEXT_AND_NOTIFY message within 24 hours


@per_root
def client() -> WalletClient | LoggingClient:
    """The REST client; without GOOGLE_WALLET_API_URL, one that logs what it would send."""
    from google.oauth2 import service_account as service_account_credentials

    from chalicelib.wallet.google.client import SCOPES, LoggingClient, WalletClient

    config = settings()
    if not config.google_wallet_api_url:
        return LoggingClient()
    info = service_account()
    if info is None:
        raise RuntimeError(
            "GOOGLE_WALLET_API_URL is set but neither GOOGLE_SERVICE_ACCOUNT_FILE "
            "nor GOOGLE_SERVICE_ACCOUNT_SECRET_ID is"
        )
    # The key's own token_uri is honoured: from_service_account_info reads it.
    credentials = service_account_credentials.Credentials.from_service_account_info(
        info, scopes=SCOPES
    )
    return WalletClient(config.google_wallet_api_url, credentials)


@per_root
def service_account() -> dict[str, Any] | None:
    """The service-account key: a file locally, a Secrets Manager secret when deployed."""
    config = settings()
    if config.google_service_account_file:
        with open(config.google_service_account_file, encoding="utf-8") as handle:
            info: dict[str, Any] = json.load(handle)
            return info
    if config.google_service_account_secret_id:
        return read_json_secret(
            config.google_service_account_secret_id, ("client_email", "private_key", "token_uri")
        )
    return None


def object_id(member_id: str) -> str:
    return f"{settings().google_issuer_id}.{member_id}"


def class_id(program_id: str) -> str:
    return f"{settings().google_issuer_id}.{program_id}"


def save_url(member_id: str) -> str | None:
    """The "Save to Google Wallet" link: a JWT naming the object inserted by id."""
    from chalicelib.wallet.google import savelink

    account = service_account()
    if account is None:
        return None
    return savelink.save_url(account, object_id(member_id), list(settings().google_origins))


def class_body(item: ProgramItem, program: Program) -> dict[str, Any]:
    config = settings()
    merchant = MerchantItem.get(item.merchant_id)
    base = config.public_base_url
    # An uploaded image's URL carries its version (?v=): Google fetches it again.
    logo = program_images.image_url(item, "programlogo")
    return objects.loyalty_class(
        config.google_issuer_id,
        item.program_id,
        program,
        merchant.name,
        logo or f"{base}/v1/programs/{item.program_id}/images/logo.png",
        f"{base}/google/callbacks",
        hero_url=program_images.image_url(item, "hero"),
    )


def object_body(member: MemberItem, program: Program) -> dict[str, Any]:
    body = objects.loyalty_object(
        settings().google_issuer_id,
        passes.member_of(member, clock.now()),
        barcode.sign(member.member_id, secrets().key("barcode")),
        program.stamps.required if program.stamps else None,
        program,
    )
    # The same warning as the Apple pass ("120 points expire on 31 Dec"), shown
    # without a notification: Google's 3 a day are kept for rewards.
    soon = None
    if not member.erased:
        merchant = MerchantItem.get(member.merchant_id)
        soon = passes.expiring(member, program, merchant)
    if soon:
        language = program.default_language
        header = objects.localized(language, lambda w: w.gettext("Expiring soon"))
        text = objects.localized(language, lambda w: apple_model.expiry_notice(soon, w) or "")
        module = {
            "id": "expiry",
            "header": header["defaultValue"]["value"],
            "body": text["defaultValue"]["value"],
            "localizedHeader": header,
            "localizedBody": text,
        }
        body["textModulesData"] = ([module, *body["textModulesData"]])[:10]
    return body


def sync_class(program_id: str) -> None:
    """Create or patch the program's class: one call, whatever the number of members."""
    item, program = current_program(program_id)  # never the cache: see programs.py
    client().patch_class(class_id(program_id), class_body(item, program))


def sync_object(member: MemberItem, notify: bool) -> None:
    """Patch the member's object (a 404 turns into an insert); notify within the budget."""
    from chalicelib.wallet.google.client import GoogleWalletError

    _, program = current_program(member.program_id)
    body = object_body(member, program)
    try:
        client().patch_object(object_id(member.member_id), body)
    except GoogleWalletError as exc:
        if exc.status != 404:
            raise
        # The object's class is not there yet (its own outbox item may come later).
        sync_class(member.program_id)
        client().patch_object(object_id(member.member_id), body)
    if notify and not member.erased and take_notice(member.member_id):
        client().add_message(object_id(member.member_id), reward_message(member, program))


def reward_message(member: MemberItem, program: Program) -> dict[str, Any]:
    """The notice of a reward ready, in every language (Google shows the phone's)."""
    rewards = [r.name for r in member.rewards or []]
    language = program.default_language

    def body(w: i18n.Words) -> str:
        reward = program.reward_named(rewards[-1], w.language) if rewards else None
        return w.gettext("{reward} is waiting for you.").format(
            reward=reward or w.gettext("A reward")
        )

    # https://developers.google.com/wallet/reference/rest/v1/Message
    header = objects.localized(language, lambda w: w.gettext("Reward ready"))
    text = objects.localized(language, body)
    return {
        "header": header["defaultValue"]["value"],
        "body": text["defaultValue"]["value"],
        "localizedHeader": header,
        "localizedBody": text,
        "messageType": "TEXT_AND_NOTIFY",
    }


def take_notice(member_id: str) -> bool:
    """Spend one of the member's 3 notices per 24 hours; False when none is left.

    The budget lives on the member item under its own condition (not the member's
    version), so it never races a stamp; beyond it, updates go out silently.
    """
    now = clock.now()
    since = clock.iso(now - timedelta(hours=24))
    for _ in range(3):
        member = MemberItem.get(member_id, consistent_read=True)
        recent = [t for t in json.loads(member.google_notices or "[]") if t > since]
        if len(recent) >= NOTICES_PER_DAY:
            return False
        if db.update_if(
            member,
            [MemberItem.google_notices.set(json.dumps([*recent, clock.iso(now)]))],
            (MemberItem.google_notices == member.google_notices)
            if member.google_notices
            else MemberItem.google_notices.does_not_exist(),
        ):
            return True
        # Another delivery took one meanwhile: count again.
    return False


def record_callback(nonce: str, member_id: str, saved: bool) -> str:
    """A save or delete callback: whether the member holds a Google pass.

    The nonce is claimed in the same transaction as the member's change, so that a
    callback is "seen" only once it is recorded: 'recorded', 'seen' (Google sent it
    again), or 'unknown_member' (nothing to record; the nonce stays free). Raises
    Unavailable when the store did not take it (throttled, a conflict): answered with
    an error, Google delivers it again.
    """

    def build(tx: transact.Write) -> None:
        claim = UniqueItem(
            f"google-nonce#{nonce}",
            owner_id="google",
            expires_at=clock.now() + timedelta(days=30),
        )
        tx.save(claim, condition=UniqueItem.key.does_not_exist(), name="nonce")
        tx.update(
            MemberItem(member_id),
            actions=[MemberItem.google_saved.set(saved)],
            condition=MemberItem.member_id.exists(),
            name="member",
        )

    try:
        transact.write(build)
    except transact.Cancelled as exc:
        if "nonce" in exc.failed:
            return "seen"
        if "member" in exc.failed:
            log.info("callback for an unknown member %s", member_id)
            return "unknown_member"
        raise Unavailable("The callback could not be recorded now: send it again.") from exc
    except TransactWriteError as exc:  # throttled, or the store unreachable
        log.warning("callback for member %s not recorded: %s", member_id, exc)
        raise Unavailable("The callback could not be recorded now: send it again.") from exc
    return "recorded"
