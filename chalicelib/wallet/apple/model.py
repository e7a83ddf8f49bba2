"""A member's store card as Apple's pass.json: pure, no I/O, no clock.

`pass_content` decides what the pass shows from the member, the program and the
merchant (domain objects, never an API answer); `pass_json` lays it out as Apple's keys.

Every key and type below is Apple's; a number where Apple expects a string (or the
reverse) makes Wallet drop the pass without saying why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Any, Literal

from chalicelib import i18n
from chalicelib.domain import card_number
from chalicelib.domain.colours import css_rgb
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program


@dataclass(frozen=True)
class PassContent:
    """Everything a member's pass shows, already decided by the service."""

    serial_number: str
    pass_type_identifier: str
    team_identifier: str
    organization_name: str
    description: str
    program_name: str
    kind: Literal["stamps", "points"]
    stamps_required: int | None
    reward_name: str | None
    member_name: str | None
    stamps: int
    points: int
    tier: str | None
    rewards: tuple[tuple[str, str, str | None], ...]  # (reward_id, name, expires_at ISO)
    barcode: str
    card_number: str | None  # shown under the QR code, grouped ("79ZH 5JF4 P1EB")
    web_service_url: str
    authentication_token: str
    program_url: str
    how_to_earn: str
    terms: str
    background_color: str | None = None
    foreground_color: str | None = None
    label_color: str | None = None
    logo_text: str | None = None
    voided: bool = False
    expiry_notice: str | None = None  # e.g. "120 points expire on 31 Dec"
    # The program's shops: (latitude, longitude, lock-screen text), at most 10.
    locations: tuple[tuple[float, float, str], ...] = ()
    # The language of every text above, and its words for the labels pass_json adds.
    words: i18n.Words = field(default_factory=lambda: i18n.words("en"))


@dataclass(frozen=True)
class PassIdentity:
    """What the service gives a pass besides the card: certificate ids, URLs and secrets."""

    pass_type_identifier: str
    team_identifier: str
    web_service_url: str
    authentication_token: str
    program_url: str
    barcode: str


# (points, the day they expire): domain.expiry.expiring's answer.
Expiring = tuple[int, date]


def expiry_notice(expiring: Expiring | None, words: i18n.Words) -> str | None:
    """ "120 points expire on 31 Dec 2026", in the words' language."""
    if expiring is None:
        return None
    points, day = expiring
    return words.ngettext(
        "{points} point expires on {date}", "{points} points expire on {date}", points
    ).format(points=points, date=words.date(day))


def pass_content(
    member: Member,
    program: Program,
    merchant_name: str,
    identity: PassIdentity,
    expiring: Expiring | None,
    words: i18n.Words | None = None,
) -> PassContent:
    """What the member's pass shows, in the words' language (the program's default
    language when None): their card under the program's rules and design."""
    words = words or i18n.words(program.default_language)
    language = words.language
    design = program.design
    required = program.stamps.required if program.stamps else None
    reward = program.reward_in(language)
    if program.kind == "stamps":
        how = words.gettext("One stamp per visit. {required} stamps earn a {reward}.").format(
            required=required, reward=reward
        )
    else:
        assert program.points is not None  # the program's validation: a kind has its section
        how = words.gettext("{rate} points for every {money} spent.").format(
            rate=words.number(program.points.per_unit),
            money=words.money(1, program.points.currency),
        )
    program_name = program.name_in(language)
    return PassContent(
        serial_number=member.member_id,
        pass_type_identifier=identity.pass_type_identifier,
        team_identifier=identity.team_identifier,
        organization_name=merchant_name,
        description=f"{merchant_name}: {program_name}",
        program_name=program_name,
        kind=program.kind,
        stamps_required=required,
        reward_name=reward,
        member_name=member.name,
        stamps=member.stamps,
        points=member.points,
        tier=program.tier_in(member.tier, language) if member.tier else None,
        rewards=tuple(
            (r.reward_id, program.reward_named(r.name, language), r.expires_at)
            for r in member.rewards
        ),
        barcode=identity.barcode,
        card_number=card_number.display(member.card_number) if member.card_number else None,
        web_service_url=identity.web_service_url,
        authentication_token=identity.authentication_token,
        program_url=identity.program_url,
        how_to_earn=how,
        terms=words.gettext(
            "Rewards and points are given by {merchant} under the program's rules."
        ).format(merchant=merchant_name),
        background_color=design.background_color if design else None,
        foreground_color=design.foreground_color if design else None,
        label_color=design.label_color if design else None,
        logo_text=(design.logo_text if design else None) or merchant_name,
        voided=member.erased,
        expiry_notice=expiry_notice(expiring, words),
        words=words,
        locations=tuple(
            (
                place.latitude,
                place.longitude,
                place.relevant_text or f"{program.name}: your card is ready at {place.name}",
            )
            for place in program.locations
        ),
    )


# Every pass of a program has its colours: parsed once (a few µs of every pass).
_css_rgb = lru_cache(maxsize=256)(css_rgb)


def rewards_summary(
    rewards: tuple[tuple[str, str, str | None], ...], words: i18n.Words | None = None
) -> str:
    """How many of each reward is ready, in the order first earned, or "None yet"."""
    if not rewards:
        return (words or i18n.words("en")).gettext("None yet")
    counts: dict[str, int] = {}
    for _, name, _ in rewards:
        counts[name] = counts.get(name, 0) + 1
    return ", ".join(f"{count} × {name}" for name, count in counts.items())


def pass_json(content: PassContent) -> dict[str, Any]:
    """Apple's pass.json for the member's store card.

    Raises ValueError for an unknown kind, a malformed colour, or a barcode that
    does not fit the barcode's declared ISO-8859-1 encoding.
    """
    if content.kind not in ("stamps", "points"):
        raise ValueError(f'a program\'s kind is "stamps" or "points", not {content.kind!r}')
    try:
        content.barcode.encode("iso-8859-1")
    except UnicodeEncodeError as exc:
        raise ValueError("the barcode message must be ISO-8859-1 text") from exc

    # Top-level keys: https://developer.apple.com/documentation/walletpasses/pass
    # formatVersion is the number 1; the identifiers must match the signing certificate.
    document: dict[str, Any] = {
        "formatVersion": 1,
        "passTypeIdentifier": content.pass_type_identifier,
        "serialNumber": content.serial_number,
        "teamIdentifier": content.team_identifier,
        "organizationName": content.organization_name,
        "description": content.description,
        # A loyalty card belongs to one member: hide the share button (iOS 11+).
        "sharingProhibited": True,
    }
    if content.logo_text is not None:
        document["logoText"] = content.logo_text
    # Colours: "rgb(r, g, b)" strings only, per the Pass page above; left out, Wallet chooses.
    for key, value in (
        ("backgroundColor", content.background_color),
        ("foregroundColor", content.foreground_color),
        ("labelColor", content.label_color),
    ):
        if value is not None:
            document[key] = _css_rgb(value)
    if content.voided:
        document["voided"] = True

    # Updates: https://developer.apple.com/documentation/walletpasses/adding-a-web-service-to-update-passes
    # The token (16+ characters) is the caller's; it must never change across updates.
    document["webServiceURL"] = content.web_service_url
    document["authenticationToken"] = content.authentication_token

    # Store card fields: https://developer.apple.com/documentation/walletpasses/pass/storecard-data.dictionary
    # and https://developer.apple.com/documentation/walletpasses/passfields; each field
    # is a PassFieldContent: https://developer.apple.com/documentation/walletpasses/passfieldcontent
    # A changeMessage must contain %@ (the new value); without one the holder is not told.
    document["storeCard"] = {
        "primaryFields": [_balance(content)],
        "secondaryFields": _secondary(content),
        "auxiliaryFields": _auxiliary(content),
        "backFields": _back(content),
    }

    # Barcodes: https://developer.apple.com/documentation/walletpasses/pass/barcodes-data.dictionary
    # The `barcodes` array (iOS 9+), not the deprecated single `barcode`. altText is
    # what a barista types when the camera fails: the card number, which the counter
    # takes; a pass made before card numbers has none to show.
    code: dict[str, Any] = {
        "format": "PKBarcodeFormatQR",
        "message": content.barcode,
        "messageEncoding": "iso-8859-1",
    }
    if content.card_number:
        code["altText"] = content.card_number
    document["barcodes"] = [code]

    # Locations: https://developer.apple.com/documentation/walletpasses/pass/locations-data.dictionary
    # Numbers (doubles), not strings; at most 10, beyond which Wallet ignores the rest.
    if content.locations:
        document["locations"] = [
            {"latitude": latitude, "longitude": longitude, "relevantText": text}
            for latitude, longitude, text in content.locations[:10]
        ]
    return document


def _balance(content: PassContent) -> dict[str, Any]:
    words = content.words
    if content.kind == "stamps":
        shown = (
            f"{content.stamps} / {content.stamps_required}"
            if content.stamps_required
            else str(content.stamps)
        )
        return {
            "key": "balance",
            "label": words.gettext("STAMPS"),
            "value": shown,
            "changeMessage": words.gettext("You have %@ stamps"),
        }
    # A number, not a string: Apple formats numbers for the phone's locale.
    return {
        "key": "balance",
        "label": words.gettext("POINTS"),
        "value": content.points,
        "changeMessage": words.gettext("You have %@ points"),
    }


def _secondary(content: PassContent) -> list[dict[str, Any]]:
    words = content.words
    fields: list[dict[str, Any]] = []
    if content.member_name:
        fields.append(
            {"key": "member", "label": words.gettext("MEMBER"), "value": content.member_name}
        )
    # Tiers count stamps on a stamp card too (API.md), so a tier shows for either kind.
    if content.tier:
        fields.append(
            {
                "key": "tier",
                "label": words.gettext("TIER"),
                "value": content.tier,
                "changeMessage": words.gettext("You are now %@"),
            }
        )
    return fields


def _auxiliary(content: PassContent) -> list[dict[str, Any]]:
    words = content.words
    rewards: dict[str, Any] = {
        "key": "rewards",
        "label": words.gettext("REWARDS READY"),
        "value": rewards_summary(content.rewards, words),
    }
    # Only a reward arriving is news: redeeming one at the till changes the value
    # too, and "Reward ready: None yet" on the lock screen would be nonsense.
    if content.rewards:
        rewards["changeMessage"] = words.gettext("Reward ready: %@")
    fields = [rewards]
    if content.kind == "stamps" and content.reward_name and content.stamps_required:
        fields.append(
            {
                "key": "reward",
                "label": words.ngettext(
                    "EVERY {count} STAMP", "EVERY {count} STAMPS", content.stamps_required
                ).format(count=content.stamps_required),
                "value": content.reward_name,
            }
        )
    return fields


def _back(content: PassContent) -> list[dict[str, Any]]:
    words = content.words
    # Back fields get Wallet's data detectors, so the program URL becomes a link.
    fields: list[dict[str, Any]] = [
        {"key": "how_to_earn", "label": words.gettext("How to earn"), "value": content.how_to_earn},
    ]
    if content.expiry_notice:
        # A notice on change: the expiry reminder is the point of this field.
        fields.append(
            {
                "key": "expiry",
                "label": words.gettext("Expiring soon"),
                "value": content.expiry_notice,
                "changeMessage": "%@",
            }
        )
    if content.rewards:
        fields.append(
            {
                "key": "rewards_detail",
                "label": words.gettext("Your rewards"),
                "value": "\n".join(
                    words.gettext("{reward}, use by {date}").format(
                        reward=name, date=words.date(date.fromisoformat(expires_at[:10]))
                    )
                    if expires_at
                    else name
                    for _, name, expires_at in content.rewards
                ),
            }
        )
    fields.append({"key": "program", "label": content.program_name, "value": content.program_url})
    fields.append({"key": "terms", "label": words.gettext("Terms"), "value": content.terms})
    return fields
