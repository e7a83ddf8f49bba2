"""Google Wallet loyalty class and object bodies, built from the program and the member.

Pure: no I/O, no clock. The class is one per program; the object one per member.
A saved pass changes when its object is patched, and a class change reaches every
object of the class, so these bodies are what the service sends on every change.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from chalicelib import i18n
from chalicelib.domain import card_number, languages
from chalicelib.domain.colours import hex_colour
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program

# https://developers.google.com/wallet/reference/rest/v1/loyaltyclass: "issuer ID.identifier",
# the identifier made of letters, digits, '.', '_' or '-'. Our ids are base64url, which
# stays inside that alphabet.
_IDENTIFIER = re.compile(r"^[A-Za-z0-9._-]+$")
# Issuer ids are int64 numbers issued by the Google Pay & Wallet Console.
_ISSUER_ID = re.compile(r"^[0-9]+$")

# Google shows at most 10 text modules from the object (and 10 from the class):
# the tier takes one, the rewards the rest.
# https://developers.google.com/wallet/reference/rest/v1/TextModuleData
_MAX_OBJECT_TEXT_MODULES = 10


def localized(default_language: str, say: Callable[[i18n.Words], str]) -> dict[str, Any]:
    """A LocalizedString: the text in the program's default language, and in every
    other language the service speaks (Google shows the phone's own).

    https://developers.google.com/wallet/reference/rest/v1/LocalizedString
    """
    default, *others = languages.ordered(default_language)
    return {
        "defaultValue": {"language": default, "value": say(i18n.words(default))},
        "translatedValues": [
            {"language": language, "value": say(i18n.words(language))} for language in others
        ],
    }


def _text(
    body: dict[str, Any], key: str, default_language: str, say: Callable[[i18n.Words], str]
) -> None:
    """`key` in the default language (what older readers show) and `localizedKey` beside it."""
    text = localized(default_language, say)
    body[key] = text["defaultValue"]["value"]
    body["localized" + key[0].upper() + key[1:]] = text


def resource_id(issuer_id: str, identifier: str) -> str:
    """`issuerId.identifier`, as Google names classes and objects.

    Raises ValueError when either part has a character Google refuses.
    """
    if not _ISSUER_ID.match(issuer_id):
        raise ValueError(f"a Google Wallet issuer id is a number, not {issuer_id!r}")
    if not _IDENTIFIER.match(identifier):
        raise ValueError(
            f"a Google Wallet identifier has only letters, digits, '.', '_' and '-': {identifier!r}"
        )
    return f"{issuer_id}.{identifier}"


def loyalty_class(
    issuer_id: str,
    program_id: str,
    program: Program,
    issuer_name: str,
    logo_url: str,
    callback_url: str,
    hero_url: str | None = None,
) -> dict[str, Any]:
    """The LoyaltyClass body for a program: its name, logo, colour, labels and tiers.

    Raises ValueError when an id or the background colour is malformed.
    """
    # https://developers.google.com/wallet/reference/rest/v1/loyaltyclass
    language = program.default_language
    body: dict[str, Any] = {
        "id": resource_id(issuer_id, program_id),
        "issuerName": issuer_name,
        "programLogo": {"sourceUri": {"uri": logo_url}},
        # Google reviews a class before its objects may be saved; every insert and
        # patch asks for review again, as Google's samples do.
        "reviewStatus": "UNDER_REVIEW",
        # https://developers.google.com/wallet/retail/loyalty-cards/use-cases/use-callbacks-for-saves-and-deletions
        "callbackOptions": {"url": callback_url},
    }
    if hero_url:
        body["heroImage"] = {"sourceUri": {"uri": hero_url}}
    _text(body, "programName", language, lambda w: program.name_in(w.language))
    _text(body, "accountNameLabel", language, lambda w: w.gettext("Member"))
    _text(body, "accountIdLabel", language, lambda w: w.gettext("Member ID"))
    background = program.design.background_color if program.design else None
    if background:
        body["hexBackgroundColor"] = hex_colour(background)
    # https://developers.google.com/wallet/reference/rest/v1/MerchantLocation
    # `merchantLocations` (at most 10 on a class) replaces the deprecated `locations`
    # (LatLongPoint), which no longer triggers notifications: Google notifies near each.
    # Always sent, empty too: a class patch must remove locations the program dropped.
    body["merchantLocations"] = [
        {"latitude": place.latitude, "longitude": place.longitude}
        for place in program.locations[:10]
    ]
    tiers = program.tiers_by_threshold
    if tiers:
        # The member's own tier is on the object (a text module): the class's
        # rewardsTier would show one tier for every member. Only the label is shared.
        _text(body, "rewardsTierLabel", language, lambda w: w.gettext("Tier"))

        def tiers_text(w: i18n.Words) -> str:
            line = (
                w.gettext("{tier} from {threshold} stamps")
                if program.kind == "stamps"
                else w.gettext("{tier} from {threshold} points")
            )
            return ", ".join(
                line.format(tier=program.tier_in(tier.name, w.language), threshold=tier.threshold)
                for tier in tiers
            )

        module: dict[str, Any] = {"id": "tiers"}
        _text(module, "header", language, lambda w: w.gettext("Tiers"))
        _text(module, "body", language, tiers_text)
        body["textModulesData"] = [module]
    return body


def loyalty_object(
    issuer_id: str,
    member: Member,
    barcode: str,
    stamps_required: int | None,
    program: Program | None = None,
) -> dict[str, Any]:
    """The LoyaltyObject body for a member: balance, rewards ready, tier and QR code.

    `stamps_required` is set for a stamp card and None for a points program. An
    erased member's pass turns INACTIVE and loses its name. Its texts are in the
    program's languages (English without a program). Raises ValueError when an id
    is malformed.
    """
    language = program.default_language if program else languages.DEFAULT

    def in_program(text: str, how: Callable[[Program, str, str], str]) -> Callable[[str], str]:
        return lambda lang: how(program, text, lang) if program else text

    member_id, erased, rewards = member.member_id, member.erased, member.rewards
    # https://developers.google.com/wallet/reference/rest/v1/loyaltyobject
    body: dict[str, Any] = {
        "id": resource_id(issuer_id, member_id),
        "classId": resource_id(issuer_id, member.program_id),
        "state": "INACTIVE" if erased else "ACTIVE",
        "accountId": member_id,
    }
    if erased:
        # null, not absent: a PATCH leaves absent fields as they were, so only an
        # explicit null takes the name off Google's copy and off the phone.
        body["accountName"] = None
    elif member.name:
        body["accountName"] = member.name
    # LoyaltyPointsBalance: one of string, int, double or money. A stamp card reads
    # "7 / 10", which only the string form can show.
    if stamps_required is not None:
        body["loyaltyPoints"] = {"balance": {"string": f"{member.stamps} / {stamps_required}"}}
        _text(body["loyaltyPoints"], "label", language, lambda w: w.gettext("Stamps"))
    else:
        body["loyaltyPoints"] = {"balance": {"int": member.points}}
        _text(body["loyaltyPoints"], "label", language, lambda w: w.gettext("Points"))
    body["secondaryLoyaltyPoints"] = {"balance": {"int": len(rewards)}}
    _text(body["secondaryLoyaltyPoints"], "label", language, lambda w: w.gettext("Rewards ready"))
    # https://developers.google.com/wallet/reference/rest/v1/loyaltyobject#Barcode
    # The card number under the code lets staff type it in when the camera fails.
    body["barcode"] = {"type": "QR_CODE", "value": barcode}
    if member.card_number:
        body["barcode"]["alternateText"] = card_number.display(member.card_number)
    modules: list[dict[str, Any]] = []
    if not erased and member.tier:
        tier = in_program(member.tier, Program.tier_in)
        module: dict[str, Any] = {"id": "tier"}
        _text(module, "header", language, lambda w: w.gettext("Tier"))
        _text(module, "body", language, lambda w: tier(w.language))
        modules.append(module)
    # A voided pass shows no rewards: they can no longer be redeemed.
    for reward in [] if erased else rewards[: _MAX_OBJECT_TEXT_MODULES - len(modules)]:
        modules.append(
            _reward_module(
                reward.reward_id,
                reward.expires_at,
                language,
                in_program(reward.name, Program.reward_named),
            )
        )
    # Always sent, even empty: a patch replaces the list, so a redeemed reward leaves.
    body["textModulesData"] = modules
    return body


def _reward_module(
    reward_id: str, expires_at: str | None, language: str, name: Callable[[str], str]
) -> dict[str, Any]:
    def valid(w: i18n.Words) -> str:
        # RFC 3339 on the reward; the day is enough on a pass.
        if expires_at is None:
            return w.gettext("Ready")
        return w.gettext("Valid until {date}").format(
            date=w.date(date.fromisoformat(expires_at[:10]))
        )

    module: dict[str, Any] = {"id": f"reward-{reward_id}"}
    _text(module, "header", language, lambda w: name(w.language))
    _text(module, "body", language, valid)
    return module
