"""Google Wallet loyalty class and object bodies, built from the program and the member.

Pure: no I/O, no clock. The class is one per program; the object one per member.
A saved pass changes when its object is patched, and a class change reaches every
object of the class, so these bodies are what the service sends on every change.
"""

from __future__ import annotations

import re
from typing import Any

from chalicelib.domain import card_number
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
    body: dict[str, Any] = {
        "id": resource_id(issuer_id, program_id),
        "issuerName": issuer_name,
        "programName": program.name,
        "programLogo": {"sourceUri": {"uri": logo_url}},
        "accountNameLabel": "Member",
        "accountIdLabel": "Member ID",
        # Google reviews a class before its objects may be saved; every insert and
        # patch asks for review again, as Google's samples do.
        "reviewStatus": "UNDER_REVIEW",
        # https://developers.google.com/wallet/retail/loyalty-cards/use-cases/use-callbacks-for-saves-and-deletions
        "callbackOptions": {"url": callback_url},
    }
    if hero_url:
        body["heroImage"] = {"sourceUri": {"uri": hero_url}}
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
        body["rewardsTierLabel"] = "Tier"
        unit = "stamps" if program.kind == "stamps" else "points"
        body["textModulesData"] = [
            {
                "id": "tiers",
                "header": "Tiers",
                "body": ", ".join(f"{tier.name} from {tier.threshold} {unit}" for tier in tiers),
            }
        ]
    return body


def loyalty_object(
    issuer_id: str,
    member: Member,
    barcode: str,
    stamps_required: int | None,
) -> dict[str, Any]:
    """The LoyaltyObject body for a member: balance, rewards ready, tier and QR code.

    `stamps_required` is set for a stamp card and None for a points program. An
    erased member's pass turns INACTIVE and loses its name. Raises ValueError when
    an id is malformed.
    """
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
        body["loyaltyPoints"] = {
            "label": "Stamps",
            "balance": {"string": f"{member.stamps} / {stamps_required}"},
        }
    else:
        body["loyaltyPoints"] = {"label": "Points", "balance": {"int": member.points}}
    body["secondaryLoyaltyPoints"] = {"label": "Rewards ready", "balance": {"int": len(rewards)}}
    # https://developers.google.com/wallet/reference/rest/v1/loyaltyobject#Barcode
    # The card number under the code lets staff type it in when the camera fails.
    body["barcode"] = {"type": "QR_CODE", "value": barcode}
    if member.card_number:
        body["barcode"]["alternateText"] = card_number.display(member.card_number)
    modules: list[dict[str, Any]] = []
    if not erased and member.tier:
        modules.append({"id": "tier", "header": "Tier", "body": member.tier})
    # A voided pass shows no rewards: they can no longer be redeemed.
    for reward in [] if erased else rewards[: _MAX_OBJECT_TEXT_MODULES - len(modules)]:
        expires_at = reward.expires_at
        modules.append(
            {
                "id": f"reward-{reward.reward_id}",
                "header": reward.name,
                # RFC 3339 on the reward; the date is enough on a pass.
                "body": f"Valid until {expires_at[:10]}" if expires_at else "Ready",
            }
        )
    # Always sent, even empty: a patch replaces the list, so a redeemed reward leaves.
    body["textModulesData"] = modules
    return body
