"""What a program's passes would show, before it is saved: the console's live preview.

The same builders as a member's real pass (Apple's pass.json and images, Google's
class and object), run on a sample member of the unsaved program, so that the
preview cannot drift from what phones show. Nothing is stored and nothing is
signed: the sample's barcode and token are placeholders that verify nowhere.
"""

from __future__ import annotations

import base64
from typing import Any

from chalicelib.config import settings
from chalicelib.domain import card_number
from chalicelib.domain.ledger import Reward
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.errors import TooManyRequests
from chalicelib.services import throttle
from chalicelib.services.auth import Principal
from chalicelib.store.models import MerchantItem
from chalicelib.wallet.apple.model import PassIdentity, pass_content, pass_json
from chalicelib.wallet.google import objects

# Drawing the images is the costly part (tens of milliseconds, cached by design), and
# the console asks again as the owner types (debounced): a generous cap per account.
PREVIEWS_PER_MINUTE = 120
SAMPLE_NAME = "Alex Sample"
# Ids in the alphabet Google's resource ids take; never an id of ours (22 characters).
SAMPLE_MEMBER_ID = "preview-member"
SAMPLE_PROGRAM_ID = "preview-program"
SAMPLE_BARCODE = "PREVIEW-NOT-A-CARD"
SAMPLE_TOKEN = "preview-not-a-token-0000"  # noqa: S105 (a placeholder, verifies nowhere)
SAMPLE_POINTS = 120


def sample_member(program: Program) -> Member:
    """A member some way into the card, in the lowest tier, with one reward ready."""
    required = program.stamps.required if program.stamps else None
    reward_name = (
        program.stamps.reward.name
        if program.stamps
        else (program.points.catalog[0].name if program.points and program.points.catalog else None)
    )
    tiers = program.tiers_by_threshold
    rewards = (
        (Reward("preview-reward", reward_name, "stamps", "preview", "2026-01-01T00:00:00Z"),)
        if reward_name
        else ()
    )
    return Member(
        member_id=SAMPLE_MEMBER_ID,
        program_id=SAMPLE_PROGRAM_ID,
        name=SAMPLE_NAME,
        card_number=card_number.generate(bytes(range(1, 17))),
        stamps=min(3, required - 1) if required else 0,
        points=SAMPLE_POINTS if program.kind == "points" else 0,
        tier=tiers[0].name if tiers else None,
        rewards=rewards,
    )


def preview(principal: Principal, program: Program) -> dict[str, Any]:
    """The sample member's Apple pass.json, Google class and object, and the images.

    Raises TooManyRequests past PREVIEWS_PER_MINUTE for the account.
    """
    throttle.take(
        [throttle.Limit(f"preview#{principal.staff_id}", PREVIEWS_PER_MINUTE, 60)],
        TooManyRequests,
        "The preview is paused: too many changes in a minute. It resumes shortly.",
    )
    # Pillow and segno: imported here, as in passes.build, not with the app.
    import segno

    from chalicelib.wallet.apple import images

    config = settings()
    base = config.public_base_url
    merchant_name = MerchantItem.get(principal.merchant_id).name
    member = sample_member(program)
    identity = PassIdentity(
        pass_type_identifier=config.pass_type_identifier,
        team_identifier=config.team_identifier,
        web_service_url=f"{base}/apple",
        authentication_token=SAMPLE_TOKEN,
        program_url=f"{base}/v1/programs/{SAMPLE_PROGRAM_ID}",
        barcode=SAMPLE_BARCODE,
    )
    content = pass_content(member, program, merchant_name, identity, None)
    files = images.images_of(content)
    drawn = {
        name: "data:image/png;base64," + base64.b64encode(files[f"{name}@2x.png"]).decode()
        for name in ("icon", "logo", "strip")
    }
    drawn["barcode"] = segno.make(SAMPLE_BARCODE, error="m", micro=False).svg_data_uri()
    required = program.stamps.required if program.stamps else None
    return {
        "apple": pass_json(content),
        "google": {
            # The logo as drawn: the saved program's is served at /v1/programs/{id}/images.
            "loyalty_class": objects.loyalty_class(
                config.google_issuer_id,
                SAMPLE_PROGRAM_ID,
                program,
                merchant_name,
                drawn["logo"],
                f"{base}/google/callbacks",
            ),
            "loyalty_object": objects.loyalty_object(
                config.google_issuer_id, member, SAMPLE_BARCODE, required
            ),
        },
        "images": drawn,
    }
