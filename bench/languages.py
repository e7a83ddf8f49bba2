"""What the seven languages cost a signed pass: passes per CPU second, as the service
builds them (each language's card from the program and the member, then the package),
with the translations and with the program's language alone.

The strings files are laid out once per language and card state (wallet/apple/package.py),
so members in the same state share them; the figure is for members who differ only
by their ids, the common case of a stamp card.
"""

from __future__ import annotations

import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from chalicelib import i18n
from chalicelib.domain import languages
from chalicelib.domain.member import Member
from chalicelib.domain.program import Program
from chalicelib.wallet.apple import certs, images, package
from chalicelib.wallet.apple.model import PassIdentity, pass_content
from localrun import devcerts

ROUNDS = 5
ROUND_SECONDS = 0.6
PROGRAM = Program.model_validate(
    {
        "name": "Carte café",
        "kind": "stamps",
        "stamps": {"required": 10, "reward": {"name": "Café offert"}},
        "language": "fr",
        "translations": {"en": {"name": "Coffee card", "reward": "Free coffee"}},
    }
)


def rate(signer: certs.Signer, translated: bool) -> float:
    identity = PassIdentity(
        signer.pass_type_identifier,
        signer.team_identifier,
        "https://loyalty.example/apple",
        "a-token-of-at-least-16-characters",
        "https://loyalty.example/v1/programs/p",
        "LY1ABCDEFGHIJKLMNOPQRSTUVWXYZ",
    )
    member = Member("m", "p", "Ada", "79ZH5JF4P1EB", 7, 0, None, ())
    spoken = languages.ordered(PROGRAM.default_language) if translated else ["fr"]
    moment = datetime.now(UTC)

    def build(serial: str) -> bytes:
        shown = replace(member, member_id=serial)
        default, *others = (
            pass_content(shown, PROGRAM, "Café Bleu", identity, None, i18n.words(language))
            for language in spoken
        )
        return package.build_pkpass(default, signer, images.images_of(default), moment, others)

    for index in range(50):
        build(f"warm-{index}")
    best = 0.0
    for _ in range(ROUNDS):
        count, start = 0, time.process_time()
        while (elapsed := time.process_time() - start) < ROUND_SECONDS:
            for _ in range(50):
                build(f"bench-{count}")
                count += 1
        best = max(best, count / elapsed)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="bench-languages-") as temporary:
        devcerts.generate_dev_chain(Path(temporary), "pass.org.example.loyalty", "BENCH12345")
        signer = certs.load_dev_signer(Path(temporary))
    alone = rate(signer, translated=False)
    every = rate(signer, translated=True)
    print(f"one language: {alone:,.0f} passes/s (best of {ROUNDS} rounds)")
    print(f"{len(languages.LANGUAGES)} languages: {every:,.0f} passes/s ({every / alone:.0%})")


if __name__ == "__main__":
    main()
