"""passkit-generator, the reference generator on npm, reads our passes back as we built them.

It validates pass.json against its own schema of every Apple object and silently
drops what does not fit, so reading back equal fields (and no warnings) means an
independent implementation of Apple's format agrees with ours, field by field.
Pinned in tests/node/package.json and package-lock.json; `npm ci` installs it once
per test session.
"""

from __future__ import annotations

import fcntl
import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.wallet.apple import certs, images, package
from chalicelib.wallet.apple.model import PassContent, pass_json
from localrun import devcerts
from tests.apple_samples import sample_pass

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
PASS_TYPE = "pass.org.example.loyalty"
TEAM = "TEAM123456"
SIGNED_AT = datetime(2026, 11, 25, 8, 30, 32, tzinfo=UTC)


@pytest.fixture(scope="session")
def passkit_generator(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/node with its pinned packages installed: `npm ci`, once for all workers."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("node and npm are not installed: Node.js 18+ runs passkit-generator here")
    # pytest-xdist workers share the parent of their temporary folders and a run id.
    shared = tmp_path_factory.getbasetemp().parent
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID", str(os.getpid()))
    done = shared / f"npm-ci-{run}.done"
    with (shared / "npm-ci.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            result = subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=NODE_DIR,
                capture_output=True,
                text=True,
                timeout=600,
                check=False,
            )
            if result.returncode != 0:
                pytest.fail(f"npm ci in {NODE_DIR} failed:\n{result.stdout}\n{result.stderr}")
            done.touch()
    return NODE_DIR / "read_pass.mjs"


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("apple-chain")
    devcerts.generate_dev_chain(folder, PASS_TYPE, TEAM)
    return folder


def stamps_pass() -> PassContent:
    return sample_pass(
        serial_number="01JD0000000000000000000002",
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
        rewards=(("r1", "Free coffee", "2026-12-31T00:00:00.000000Z"),),
        how_to_earn="One stamp per visit. 10 stamps earn a Free coffee.",
        label_color="#A0C4FF",
    )


def points_pass() -> PassContent:
    return sample_pass(
        serial_number="01JD0000000000000000000003",
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
        description="Café Blue: Beans club",
        program_name="Beans club",
        kind="points",
        stamps_required=None,
        reward_name=None,
        member_name="Grace Hopper",
        stamps=0,
        points=1250,
        tier="Gold",
        barcode="LY1ZYXWVUTSRQPONMLKJIHGFEDCBA765432ZYXWVUTSRQ",
        authentication_token="another-token-of-16-characters",
        program_url="https://loyalty.example.org/v1/programs/p2",
        how_to_earn="1 point per EUR spent.",
        terms="Points expire at the end of the year.",
        background_color=None,
        foreground_color=None,
        logo_text=None,
        voided=True,
        expiry_notice="120 points expire on 31 Dec",
    )


def read_back(script: Path, chain: Path, content: PassContent, folder: Path) -> dict:
    """Our .pkpass, unzipped, as passkit-generator reads it."""
    files = images.images_of(content)
    data = package.build_pkpass(content, certs.load_dev_signer(chain), files, SIGNED_AT)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(folder)
    result = subprocess.run(
        ["node", str(script), str(folder)]
        + [str(chain / name) for name in ("wwdr.pem", "pass.pem", "pass.key")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


@pytest.mark.parametrize("content", [stamps_pass(), points_pass()], ids=["stamps", "points"])
def test_passkit_generator_reads_back_the_pass_we_built(
    passkit_generator, chain, tmp_path, content
):
    built = pass_json(content)

    read = read_back(passkit_generator, chain, content, tmp_path)

    assert read["warnings"] == []
    assert read["type"] == "storeCard"
    for key in (
        "formatVersion",
        "passTypeIdentifier",
        "serialNumber",
        "teamIdentifier",
        "organizationName",
        "description",
        "webServiceURL",
        "authenticationToken",
        "barcodes",
        "sharingProhibited",
        # Present on one pass or the other only: both sides leave them out alike.
        "logoText",
        "backgroundColor",
        "foregroundColor",
        "labelColor",
        "voided",
    ):
        assert read.get(key) == built.get(key), key
    for group in ("primaryFields", "secondaryFields", "auxiliaryFields", "backFields"):
        assert read["storeCard"][group] == built["storeCard"][group], group
    assert read["storeCard"]["headerFields"] == []
    assert read["files"] == sorted(
        ["pass.json"] + [name for name in os.listdir(tmp_path) if name.endswith(".png")]
    )
    assert len(read["files"]) == 10
    assert read["exportedBytes"] > 0
