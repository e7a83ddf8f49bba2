"""An owner's brand images: uploaded over HTTP, kept in S3, on every pass and at Google."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from PIL import Image

from chalicelib.config import settings
from tests import brand_samples as samples
from tests.apple_samples import unzip, verify
from tests.e2e import test_google_wallet, test_push
from tests.e2e.helpers import STAMP_CARD, create_program, enrol
from tests.e2e.test_apple_web_service import download
from tests.e2e.test_google_wallet import ISSUER, deliver_all
from tests.e2e.test_push import registered
from tests.integration import test_passkit_generator_reads_our_passes
from tests.peers.conftest import google_peer  # noqa: F401 - the fixture google needs

# Fixtures of other modules: a local APNs, a Google peer, passkit-generator installed.
apns = test_push.apns
google = test_google_wallet.google
passkit_generator = test_passkit_generator_reads_our_passes.passkit_generator


def put_image(client, merchant, program_id: str, kind: str, data: bytes, **headers):
    return client.put(
        f"/v1/programs/{program_id}/images/{kind}",
        content=data,
        headers={**merchant.auth("owner"), "Content-Type": "image/png", **headers},
    )


def files_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def stored_keys(program_id: str) -> list[str]:
    """What the images' bucket holds for the program, read from moto's S3 directly."""
    s3 = boto3.client(
        "s3",
        endpoint_url=os.environ["S3_ENDPOINT"],
        region_name=settings().region,
        config=Config(s3={"addressing_style": "path"}),
    )
    answer = s3.list_objects_v2(Bucket=settings().images_bucket, Prefix=f"programs/{program_id}/")
    return [item["Key"] for item in answer.get("Contents", [])]


@pytest.fixture
def program(client, merchant):
    return create_program(client, merchant, STAMP_CARD)


def test_an_uploaded_logo_reaches_a_registered_phone_through_the_fan_out(
    client, merchant, program, apns, tmp_path
):
    member = enrol(client, program["program_id"])
    device = registered(client, member)
    deliver_all()
    tag = device.updated().json()["lastUpdated"]
    generated = files_of(device.fetch().content)["logo@3x.png"]

    response = put_image(client, merchant, program["program_id"], "logo", samples.png())
    deliver_all()

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["logo"]["uploaded"] is True
    assert answer["pass_updates"]["job_id"]
    assert device.updated(since=tag).json()["serialNumbers"] == [member["member_id"]]
    assert device.push_token in apns.delivered()
    fetched = device.fetch().content
    files = files_of(fetched)
    served = client.get(f"/v1/programs/{program['program_id']}/images/logo.png").content
    assert files["logo@3x.png"] == served != generated
    assert Image.open(io.BytesIO(files["logo@2x.png"])).size == (320, 100)
    assert {"logo.png", "logo@2x.png", "logo@3x.png", "icon.png", "strip.png"} <= set(files)
    manifest = json.loads(files["manifest.json"])
    assert set(manifest) == set(files) - {"manifest.json", "signature"}
    if shutil.which("openssl"):
        folder = unzip(fetched, tmp_path)
        result = verify(folder, Path(os.environ["APPLE_CERTS_DIR"]) / "root.pem")
        assert result.returncode == 0, result.stderr


def test_the_upload_is_served_with_its_version_as_etag_and_304_after(client, merchant, program):
    put = put_image(client, merchant, program["program_id"], "strip", samples.jpeg())
    version = put.json()["strip"]["version"]

    first = client.get(f"/v1/programs/{program['program_id']}/images/strip.png")
    again = client.get(
        f"/v1/programs/{program['program_id']}/images/strip.png",
        headers={"If-None-Match": first.headers["etag"]},
    )

    assert first.status_code == 200
    assert first.headers["etag"] == f'"{version}"'
    assert Image.open(io.BytesIO(first.content)).size == (1125, 369)
    assert again.status_code == 304


def test_the_original_and_the_derived_images_are_in_s3_under_the_version(client, merchant, program):
    version = put_image(client, merchant, program["program_id"], "icon", samples.webp()).json()[
        "icon"
    ]["version"]

    keys = stored_keys(program["program_id"])

    prefix = f"programs/{program['program_id']}/icon/{version}/"
    assert sorted(keys) == sorted(
        prefix + name for name in ("original", "icon.png", "icon@2x.png", "icon@3x.png")
    )


def test_delete_goes_back_to_the_generated_image_on_every_pass(client, merchant, program):
    member = enrol(client, program["program_id"])
    before = files_of(download(client, member))["icon@3x.png"]
    put_image(client, merchant, program["program_id"], "icon", samples.png((400, 400)))
    uploaded = files_of(download(client, member))["icon@3x.png"]

    response = client.delete(
        f"/v1/programs/{program['program_id']}/images/icon", headers=merchant.auth("owner")
    )

    assert response.status_code == 200, response.text
    assert response.json()["icon"]["uploaded"] is False
    assert response.json()["pass_updates"]["job_id"]
    assert uploaded != before
    assert files_of(download(client, member))["icon@3x.png"] == before
    assert stored_keys(program["program_id"]) == []


def test_the_same_image_twice_changes_nothing_the_second_time(client, merchant, program):
    first = put_image(client, merchant, program["program_id"], "logo", samples.png())
    version = client.get(f"/v1/programs/{program['program_id']}").json()["version"]

    second = put_image(client, merchant, program["program_id"], "logo", samples.png())

    assert second.status_code == 200
    assert second.json()["logo"]["version"] == first.json()["logo"]["version"]
    assert "pass_updates" not in second.json() or second.json()["pass_updates"] is None
    assert client.get(f"/v1/programs/{program['program_id']}").json()["version"] == version


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (samples.six_megabytes(), 413, "image_too_large"),
        (samples.png_bomb(), 413, "image_too_large"),
        (samples.TEXT, 415, "unsupported_image"),
        (samples.truncated_jpeg(), 422, "unreadable_image"),
        (samples.SVG, 415, "unsupported_image"),
    ],
    ids=["6 MB", "PNG bomb", "text named .png", "truncated JPEG", "SVG"],
)
def test_each_bad_upload_is_a_clear_4xx_and_stores_nothing(
    client, merchant, program, data, status, code
):
    response = put_image(client, merchant, program["program_id"], "logo", data)

    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["message"]
    after = client.get(f"/v1/programs/{program['program_id']}").json()
    assert after["version"] == program["version"]
    listed = client.get(
        f"/v1/programs/{program['program_id']}/images", headers=merchant.auth("owner")
    ).json()
    assert listed["logo"]["uploaded"] is False
    assert stored_keys(program["program_id"]) == []


def test_a_body_sent_as_text_is_415_before_its_bytes_are_read(client, merchant, program):
    response = put_image(
        client,
        merchant,
        program["program_id"],
        "logo",
        samples.png(),
        **{"Content-Type": "text/plain"},
    )

    assert response.status_code == 415
    assert stored_keys(program["program_id"]) == []


def test_only_the_owner_of_the_program_may_upload(client, merchant, other_merchant, program):
    path = f"/v1/programs/{program['program_id']}/images/logo"

    as_manager = client.put(
        path,
        content=samples.png(),
        headers={**merchant.auth("manager"), "Content-Type": "image/png"},
    )
    elsewhere = put_image(client, other_merchant, program["program_id"], "logo", samples.png())
    unknown_kind = put_image(client, merchant, program["program_id"], "banner", samples.png())

    assert as_manager.status_code == 403
    assert elsewhere.status_code == 404
    assert unknown_kind.status_code == 404
    assert stored_keys(program["program_id"]) == []


def test_the_google_class_gets_the_uploaded_images_urls_with_their_versions(
    client, merchant, program, google
):
    logo = put_image(client, merchant, program["program_id"], "logo", samples.png()).json()
    strip = put_image(client, merchant, program["program_id"], "strip", samples.jpeg()).json()

    deliver_all()

    stored = google.classes[f"{ISSUER}.{program['program_id']}"]
    logo_url = stored["programLogo"]["sourceUri"]["uri"]
    hero_url = stored["heroImage"]["sourceUri"]["uri"]
    assert logo_url.endswith(f"/images/programlogo.png?v={logo['logo']['version']}")
    assert hero_url.endswith(f"/images/hero.png?v={strip['strip']['version']}")
    served_logo = client.get(f"/v1/programs/{program['program_id']}/images/programlogo.png")
    served_hero = client.get(f"/v1/programs/{program['program_id']}/images/hero.png")
    assert Image.open(io.BytesIO(served_logo.content)).size == (660, 660)
    assert Image.open(io.BytesIO(served_hero.content)).size == (1032, 336)


def test_passkit_generator_reads_a_pass_with_uploaded_images(
    client, merchant, program, passkit_generator, tmp_path
):
    member = enrol(client, program["program_id"])
    for kind, data in (
        ("logo", samples.png()),
        ("icon", samples.webp()),
        ("strip", samples.jpeg()),
    ):
        assert put_image(client, merchant, program["program_id"], kind, data).status_code == 200
    folder = unzip(download(client, member), tmp_path / "pass")
    chain = Path(os.environ["APPLE_CERTS_DIR"])

    result = subprocess.run(
        ["node", str(passkit_generator), str(folder)]
        + [str(chain / name) for name in ("wwdr.pem", "pass.pem", "pass.key")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    read = json.loads(result.stdout)
    assert read["warnings"] == []
    assert {"logo@3x.png", "icon@3x.png", "strip@3x.png"} <= set(read["files"])
