"""One sample Apple pass for the tests and the benchmark; each changes only what it needs."""

from __future__ import annotations

from dataclasses import replace

from chalicelib.wallet.apple.model import PassContent

SAMPLE = PassContent(
    serial_number="01JD0000000000000000000000",
    pass_type_identifier="pass.org.example.loyalty",
    team_identifier="TEAM123456",
    organization_name="Café Blue",
    description="Café Blue: Coffee card",
    program_name="Coffee card",
    kind="stamps",
    stamps_required=10,
    reward_name="Free coffee",
    member_name="Ada Lovelace",
    stamps=7,
    points=0,
    tier=None,
    rewards=(),
    barcode="LY1ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJ",
    web_service_url="https://loyalty.example.org/apple",
    authentication_token="a-token-of-at-least-16-characters",
    program_url="https://loyalty.example.org/v1/programs/p1",
    how_to_earn="One stamp per visit.",
    terms="Rewards are given by Café Blue under the program's rules.",
    background_color="#1E3A5F",
    foreground_color="rgb(255,255,255)",
    label_color=None,
    logo_text="Café Blue",
    voided=False,
    expiry_notice=None,
)


def sample_pass(**changes: object) -> PassContent:
    """The sample stamp card with `changes` applied."""
    return replace(SAMPLE, **changes)  # type: ignore[arg-type]
