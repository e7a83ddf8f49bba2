"""OpenSSL, an independent CMS implementation, verifies our pass signatures.

A dev chain shaped like Apple's (root, WWDR-like intermediate, Pass Type ID
certificate) stands in for Apple's; the checks are the ones Wallet makes: the
signature verifies over manifest.json up to the root, and every file matches
its SHA-1 in the manifest.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from chalicelib.wallet.apple import certs, images, package
from chalicelib.wallet.apple.model import PassContent
from localrun import devcerts
from tests.apple_samples import sample_pass, unzip, verify

pytestmark = pytest.mark.skipif(
    shutil.which("openssl") is None,
    reason="the openssl command is not installed: it is the independent verifier here",
)

PASS_TYPE = "pass.org.example.loyalty"
TEAM = "TEAM123456"
SIGNED_AT = datetime(2026, 11, 25, 8, 30, 32, tzinfo=UTC)


def member_pass(serial: str = "01JD0000000000000000000001") -> PassContent:
    return sample_pass(
        serial_number=serial,
        pass_type_identifier=PASS_TYPE,
        team_identifier=TEAM,
        stamps=3,
        rewards=(("r1", "Free coffee", None),),
        foreground_color=None,
    )


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("apple-chain")
    devcerts.generate_dev_chain(folder, PASS_TYPE, TEAM)
    return folder


@pytest.fixture(scope="module")
def signer(chain: Path) -> certs.Signer:
    return certs.load_dev_signer(chain)


def pkpass(signer: certs.Signer) -> bytes:
    content = member_pass()
    files = images.pass_images("stamps", "#1E3A5F", None, "Café Blue", 3, 10, 0, None)
    return package.build_pkpass(content, signer, files, SIGNED_AT)


def manifest_mismatches(folder: Path) -> list[str]:
    """Wallet's other check: the files whose SHA-1 is not the manifest's."""
    listed = json.loads((folder / "manifest.json").read_bytes())
    return sorted(
        name
        for name, digest in listed.items()
        if hashlib.sha1((folder / name).read_bytes()).hexdigest() != digest  # noqa: S324 (Apple's)
    )


def test_openssl_verifies_the_signature_up_to_the_dev_root(signer, chain, tmp_path):
    folder = unzip(pkpass(signer), tmp_path)

    result = verify(folder, chain / "root.pem")

    assert result.returncode == 0, result.stderr
    assert manifest_mismatches(folder) == []


def test_one_changed_byte_of_pass_json_no_longer_matches_the_manifest(signer, tmp_path):
    folder = unzip(pkpass(signer), tmp_path)
    data = bytearray((folder / "pass.json").read_bytes())
    data[data.index(b'"3 / 10"') + 1] = ord("9")

    (folder / "pass.json").write_bytes(bytes(data))

    assert manifest_mismatches(folder) == ["pass.json"]


def test_a_tampered_manifest_fails_openssl_verification(signer, chain, tmp_path):
    folder = unzip(pkpass(signer), tmp_path)
    listed = json.loads((folder / "manifest.json").read_bytes())
    listed["pass.json"] = hashlib.sha1(b"another pass").hexdigest()  # noqa: S324 (Apple's)

    (folder / "manifest.json").write_text(json.dumps(listed, sort_keys=True))

    result = verify(folder, chain / "root.pem")
    assert result.returncode != 0
    assert "verification failure" in (result.stderr + result.stdout).lower()


def test_a_signature_by_a_certificate_of_another_chain_is_refused(chain, tmp_path_factory):
    other = tmp_path_factory.mktemp("other-chain")
    devcerts.generate_dev_chain(other, PASS_TYPE, TEAM)
    folder = unzip(pkpass(certs.load_dev_signer(other)), tmp_path_factory.mktemp("pass"))

    result = verify(folder, chain / "root.pem")

    assert result.returncode != 0
    assert verify(folder, other / "root.pem").returncode == 0


def test_the_signature_shows_its_signing_time_and_the_intermediate(signer, tmp_path):
    folder = unzip(pkpass(signer), tmp_path)

    printed = subprocess.run(
        ["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", str(folder / "signature")],
        capture_output=True,
        text=True,
        check=True,
    ).stdout

    assert "signingTime" in printed
    assert "Nov 25 08:30:32 2026 GMT" in printed
    intermediate = ", ".join(each.rfc4514_string() for each in signer.intermediate.subject)
    assert f"subject: {intermediate}" in printed
    assert "sha256" in printed
