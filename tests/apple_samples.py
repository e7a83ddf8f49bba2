"""Apple test helpers: one sample pass (each test changes only what it needs), and
OpenSSL's check of a signed pass, the independent verifier of every pass test."""

from __future__ import annotations

import io
import subprocess
import zipfile
from dataclasses import replace
from pathlib import Path

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
    card_number="79ZH 5JF4 P1EB",
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


def unzip(data: bytes, folder: Path) -> Path:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    return folder


def verify(folder: Path, root: Path) -> subprocess.CompletedProcess[str]:
    """Wallet's check of the signature, done by OpenSSL."""
    return subprocess.run(
        [
            "openssl",
            "cms",
            "-verify",
            "-binary",
            "-inform",
            "DER",
            "-in",
            str(folder / "signature"),
            "-content",
            str(folder / "manifest.json"),
            "-CAfile",
            str(root),
            "-purpose",
            "any",
            "-out",
            "/dev/null",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
