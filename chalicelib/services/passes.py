"""Apple Wallet passes: building a member's signed pass, its links and its tokens."""

from __future__ import annotations

import base64
import logging
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from chalicelib import clock, i18n
from chalicelib.config import settings
from chalicelib.domain import expiry, languages
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.root import per_root
from chalicelib.secrets import read_json_secret, secrets
from chalicelib.services import program_images
from chalicelib.services.pass_tokens import auth_token
from chalicelib.services.programs import current_program
from chalicelib.store.convert import card_of, last_modified
from chalicelib.store.models import MemberItem, MerchantItem, ProgramItem
from chalicelib.wallet.apple import certs
from chalicelib.wallet.apple.model import PassContent, PassIdentity, pass_content

log = logging.getLogger(__name__)


@per_root
def signer() -> certs.Signer:
    """The Pass Type ID certificate, key and WWDR intermediate, loaded once per process.

    Its expiry is checked here, at start-up of the first pass: a lapsed certificate
    makes every pass fail silently on the phones.
    """
    config = settings()
    if config.apple_certs_dir:
        loaded = certs.load_dev_signer(Path(config.apple_certs_dir))
    elif config.apple_secret_id:
        loaded = _signer_from_secrets_manager(config.apple_secret_id)
    else:
        raise RuntimeError("no Apple signing material: set APPLE_CERTS_DIR or APPLE_SECRET_ID")
    warning = certs.expiry_warning(loaded.certificate, datetime.now(UTC))
    if warning:
        log.warning("!!! %s !!!", warning)
    return loaded


def _signer_from_secrets_manager(secret_id: str) -> certs.Signer:
    """A secret with certificate_pem and private_key_pem, or p12_base64; and wwdr_pem."""
    value = read_json_secret(secret_id, ("wwdr_pem",))
    wwdr = value["wwdr_pem"].encode()
    password = value.get("password")
    if "p12_base64" in value:
        return certs.Signer.from_p12(
            base64.b64decode(value["p12_base64"]), password.encode() if password else None, wwdr
        )
    return certs.Signer.from_pem(
        value["certificate_pem"].encode(),
        value["private_key_pem"].encode(),
        wwdr,
        password.encode() if password else None,
    )


def changed_tag(member: MemberItem, program_item: ProgramItem) -> str:
    """When the pass last changed, to the microsecond: the web service's update tag."""
    return max(member.updated_at, program_item.updated_at)


def member_of(member: MemberItem, now: datetime) -> Member:
    """The member as their passes show them at `now` (rewards past their expiry left out)."""
    card = card_of(member)
    moment = clock.iso(now)
    return Member(
        member_id=member.member_id,
        program_id=member.program_id,
        name=member.name,
        card_number=member.card_number,
        stamps=card.stamps,
        points=card.points,
        tier=card.tier,
        rewards=tuple(r for r in card.rewards if r.available(moment)),
        erased=bool(member.erased),
    )


def content(
    member: MemberItem, program: Program, merchant: MerchantItem
) -> tuple[PassContent, list[PassContent]]:
    """The member's card in the program's default language, and in every other
    language the service speaks (the pass's translations)."""
    config = settings()
    identity = PassIdentity(
        pass_type_identifier=config.pass_type_identifier,
        team_identifier=config.team_identifier,
        web_service_url=f"{config.public_base_url}/apple",
        authentication_token=auth_token(member.member_id),
        program_url=f"{config.public_base_url}/v1/programs/{member.program_id}",
        barcode=_barcode(member),
    )
    shown = member_of(member, clock.now())
    soon = expiring(member, program, merchant)
    default, *others = (
        pass_content(shown, program, merchant.name, identity, soon, i18n.words(language))
        for language in languages.ordered(program.default_language)
    )
    return default, others


def expiring(
    member: MemberItem, program: Program, merchant: MerchantItem
) -> tuple[int, date] | None:
    """The points expiring first within the program's warning days, and their day (the
    expiry job pushes a pass update on the day the warning starts)."""
    today = clock.now().astimezone(ZoneInfo(merchant.timezone or "UTC")).date()
    lots = expiry.lots_from_json(member.point_lots)
    return expiry.expiring(lots, today, expiry.warning_days(program.expiry))


def _barcode(member: MemberItem) -> str:
    from chalicelib.domain import barcode

    return barcode.sign(member.member_id, secrets().key("barcode"))


def build(
    member: MemberItem, current: tuple[ProgramItem, Program] | None = None
) -> tuple[bytes, int]:
    """The member's signed .pkpass and its Last-Modified second.

    `current` is the program the caller already read with `current_program`, if any.
    """
    # Imported on the first pass, not with the app: Pillow alone is some 10 ms of a
    # cold start, and most calls to the API never build a pass.
    from chalicelib.wallet.apple import images, package

    program_item, program = current or current_program(member.program_id)
    merchant = MerchantItem.get(member.merchant_id)
    default, localised = content(member, program, merchant)
    # The owner's uploads replace the generated images of their kind.
    files = images.with_uploads(default, program_images.pass_files(program_item))
    data = package.build_pkpass(default, signer(), files, clock.now(), localised)
    return data, last_modified(member, program_item)
