"""The Apple pass library: pass.json as Apple documents it, the package, images, certificates.

Apple's pages: https://developer.apple.com/documentation/walletpasses/pass,
https://developer.apple.com/documentation/walletpasses/passfieldcontent and
https://developer.apple.com/documentation/walletpasses/building-a-pass.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs7, pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from PIL import Image

from chalicelib.wallet.apple import certs, der, images, package
from chalicelib.wallet.apple.model import PassContent, pass_json
from localrun import devcerts
from tests.apple_samples import sample_pass

PASS_TYPE = "pass.org.example.loyalty"
TEAM = "TEAM123456"
SIGNED_AT = datetime(2026, 11, 25, 8, 30, 32, tzinfo=UTC)
IMAGE_POINTS = {"icon": (29, 29), "logo": (50, 50), "strip": (375, 123)}


def stamp_card(**changes: object) -> PassContent:
    return sample_pass(**{"pass_type_identifier": PASS_TYPE, "team_identifier": TEAM, **changes})


def points_card(**changes: object) -> PassContent:
    return replace(
        stamp_card(kind="points", stamps_required=None, reward_name=None, stamps=0, points=120),
        **changes,  # type: ignore[arg-type]
    )


def store_fields(document: dict) -> list[dict]:
    card = document["storeCard"]
    return [field for group in card.values() for field in group]


def field(document: dict, key: str) -> dict:
    (found,) = [each for each in store_fields(document) if each["key"] == key]
    return found


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@pytest.fixture(scope="module")
def chain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("apple-chain")
    devcerts.generate_dev_chain(folder, PASS_TYPE, TEAM)
    return folder


@pytest.fixture(scope="module")
def signer(chain: Path) -> certs.Signer:
    return certs.load_dev_signer(chain)


def unzip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def build(content: PassContent, signer: certs.Signer) -> bytes:
    files = images.images_of(content)
    return package.build_pkpass(content, signer, files, SIGNED_AT)


# pass.json: top-level keys


def test_the_required_top_level_keys_are_there_with_apples_types():
    document = pass_json(stamp_card())

    assert document["formatVersion"] == 1
    assert type(document["formatVersion"]) is int
    for key in (
        "passTypeIdentifier",
        "serialNumber",
        "teamIdentifier",
        "organizationName",
        "description",
    ):
        assert isinstance(document[key], str), key
    assert document["passTypeIdentifier"] == PASS_TYPE
    assert document["teamIdentifier"] == TEAM
    assert document["serialNumber"] == "01JD0000000000000000000000"
    assert document["organizationName"] == "Café Blue"
    assert document["description"] == "Café Blue: Coffee card"
    assert document["logoText"] == "Café Blue"
    assert "storeCard" in document


def test_the_web_service_url_and_token_pass_through_unchanged():
    document = pass_json(stamp_card())

    assert document["webServiceURL"] == "https://loyalty.example.org/apple"
    assert document["authenticationToken"] == "a-token-of-at-least-16-characters"
    assert len(document["authenticationToken"]) >= 16


def test_sharing_is_prohibited_on_every_card():
    assert pass_json(stamp_card())["sharingProhibited"] is True
    assert pass_json(points_card())["sharingProhibited"] is True


def test_voided_appears_only_on_a_voided_pass():
    assert "voided" not in pass_json(stamp_card())
    assert pass_json(stamp_card(voided=True))["voided"] is True


def test_colours_are_written_as_rgb_triples_whatever_their_input_form():
    document = pass_json(stamp_card(label_color="rgb( 1 ,2,  3 )"))

    assert document["backgroundColor"] == "rgb(30, 58, 95)"
    assert document["foregroundColor"] == "rgb(255, 255, 255)"
    assert document["labelColor"] == "rgb(1, 2, 3)"


def test_a_colour_left_out_is_left_to_wallet():
    document = pass_json(stamp_card(background_color=None, foreground_color=None, logo_text=None))

    assert "backgroundColor" not in document
    assert "foregroundColor" not in document
    assert "labelColor" not in document
    assert "logoText" not in document


@pytest.mark.parametrize("colour", ["#12345", "red", "rgb(256, 0, 0)", "rgb(1,2)", "#GG0000"])
def test_a_malformed_colour_is_refused(colour):
    with pytest.raises(ValueError, match="colour"):
        pass_json(stamp_card(background_color=colour))


def test_an_unknown_kind_of_program_is_refused():
    with pytest.raises(ValueError, match="kind"):
        pass_json(stamp_card(kind="miles"))


# pass.json: store card fields


def test_a_stamp_card_shows_stamps_out_of_those_required():
    balance = pass_json(stamp_card(stamps=7))["storeCard"]["primaryFields"]

    assert balance == [
        {
            "key": "balance",
            "label": "STAMPS",
            "value": "7 / 10",
            "changeMessage": "You have %@ stamps",
        }
    ]


def test_a_points_card_shows_its_balance_as_a_number():
    (balance,) = pass_json(points_card(points=120))["storeCard"]["primaryFields"]

    assert balance["label"] == "POINTS"
    assert balance["value"] == 120
    assert is_number(balance["value"])
    assert balance["changeMessage"] == "You have %@ points"


def test_the_member_name_and_tier_are_secondary_fields():
    secondary = pass_json(points_card(tier="Gold"))["storeCard"]["secondaryFields"]

    assert secondary[0] == {"key": "member", "label": "MEMBER", "value": "Ada Lovelace"}
    assert secondary[1]["key"] == "tier"
    assert secondary[1]["value"] == "Gold"


def test_no_tier_and_no_name_leave_no_empty_fields():
    secondary = pass_json(points_card(tier=None, member_name=None))["storeCard"]["secondaryFields"]

    assert secondary == []


def test_rewards_ready_are_counted_by_name_and_announced():
    rewards = (
        ("r1", "Free coffee", "2026-12-31T00:00:00.000000Z"),
        ("r2", "Free coffee", None),
        ("r3", "Birthday cake", None),
    )

    ready = field(pass_json(stamp_card(rewards=rewards)), "rewards")

    assert ready["value"] == "2 × Free coffee, 1 × Birthday cake"
    assert ready["changeMessage"] == "Reward ready: %@"


def test_no_reward_ready_reads_none_yet_and_redeeming_the_last_is_not_announced():
    ready = field(pass_json(stamp_card(rewards=())), "rewards")

    assert ready["value"] == "None yet"
    assert "changeMessage" not in ready


def test_a_stamp_card_names_its_reward():
    reward = field(pass_json(stamp_card()), "reward")

    assert reward == {"key": "reward", "label": "EVERY 10 STAMPS", "value": "Free coffee"}


def test_the_back_holds_how_to_earn_the_program_link_terms_and_the_expiry_notice():
    document = pass_json(points_card(expiry_notice="120 points expire on 31 Dec"))

    back = {each["key"]: each for each in document["storeCard"]["backFields"]}

    assert back["how_to_earn"]["value"] == "One stamp per visit."
    assert back["program"]["value"] == "https://loyalty.example.org/v1/programs/p1"
    assert back["terms"]["value"].startswith("Rewards are given")
    assert back["expiry"]["value"] == "120 points expire on 31 Dec"
    assert "%@" in back["expiry"]["changeMessage"]


def test_without_an_expiry_notice_there_is_no_expiry_field():
    keys = [each["key"] for each in pass_json(points_card())["storeCard"]["backFields"]]

    assert "expiry" not in keys


@pytest.mark.parametrize(
    "content",
    [
        stamp_card(rewards=(("r1", "Free coffee", None),), tier="Gold"),
        points_card(tier="Silver", expiry_notice="5 points expire on 1 Jan"),
    ],
    ids=["stamps", "points"],
)
def test_every_field_has_a_unique_key_a_string_label_and_a_string_or_number_value(content):
    fields = store_fields(pass_json(content))

    keys = [each["key"] for each in fields]
    assert len(keys) == len(set(keys))
    for each in fields:
        assert isinstance(each["key"], str)
        assert isinstance(each["label"], str)
        assert isinstance(each["value"], str) or is_number(each["value"])
        assert set(each) <= {"key", "label", "value", "changeMessage"}
        if "changeMessage" in each:
            assert "%@" in each["changeMessage"]


def test_the_barcode_is_a_qr_code_in_the_barcodes_array():
    document = pass_json(stamp_card())

    (barcode,) = document["barcodes"]
    assert barcode["format"] == "PKBarcodeFormatQR"
    assert barcode["message"] == "LY1ABCDEFGHIJKLMNOPQRSTUVWXYZ234567ABCDEFGHIJ"
    assert barcode["messageEncoding"] == "iso-8859-1"
    assert barcode["altText"] == "79ZH 5JF4 P1EB"
    assert "barcode" not in document


def test_a_pass_without_a_card_number_shows_no_text_under_the_qr_code():
    document = pass_json(stamp_card(card_number=None))

    (barcode,) = document["barcodes"]
    assert "altText" not in barcode


def test_pass_json_is_plain_json():
    document = pass_json(stamp_card(rewards=(("r1", "Free coffee", None),)))

    assert json.loads(json.dumps(document)) == document


# The package


def test_the_pkpass_holds_every_file_at_its_root_stored_or_deflated(signer):
    data = build(stamp_card(), signer)

    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        methods = {info.filename: info.compress_type for info in archive.infolist()}
    # What is new in each pass is stored; an image is deflated only where that helps.
    assert set(methods.values()) <= {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED}
    assert methods["signature"] == methods["pass.json"] == zipfile.ZIP_STORED
    assert sorted(names) == sorted(
        ["pass.json", "manifest.json", "signature"]
        + [f"{stem}{suffix}.png" for stem in IMAGE_POINTS for suffix in ("", "@2x", "@3x")]
    )
    assert all("/" not in name for name in names)


def test_the_manifest_lists_every_file_but_itself_and_the_signature_with_its_sha1(signer):
    files = unzip(build(stamp_card(), signer))

    listed = json.loads(files["manifest.json"])

    assert set(listed) == set(files) - {"manifest.json", "signature"}
    for name, digest in listed.items():
        assert digest == hashlib.sha1(files[name]).hexdigest(), name  # noqa: S324 (Apple's)


def test_the_pass_json_in_the_package_is_the_model_s(signer):
    files = unzip(build(stamp_card(), signer))

    assert json.loads(files["pass.json"]) == pass_json(stamp_card())


def test_the_manifest_is_sorted_json_of_sha1_digests():
    assert package.manifest({"b.png": b"b", "a.png": b"a"}) == (
        b'{"a.png":"86f7e437faa5a7fce15d1ddcb9eaeaea377667b8",'
        b'"b.png":"e9d71f5ee7c92d6dc9e92ffdad17b8bd49418f98"}'
    )


def test_the_manifest_refuses_to_list_itself_or_the_signature():
    with pytest.raises(ValueError, match="manifest"):
        package.manifest({"manifest.json": b"{}"})


def test_the_same_content_signed_at_the_same_time_gives_the_same_bytes(signer):
    assert build(stamp_card(), signer) == build(stamp_card(), signer)


def test_the_signature_carries_the_signing_time_and_both_certificates(signer):
    files = unzip(build(stamp_card(), signer))

    carried = pkcs7.load_der_pkcs7_certificates(files["signature"])

    assert der.time(SIGNED_AT) in files["signature"]
    assert set(carried) == {signer.certificate, signer.intermediate}


def test_signing_times_after_2049_are_generalized_times():
    assert der.time(datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)) == b"\x17\x0d491231235959Z"
    assert der.time(datetime(2050, 1, 1, tzinfo=UTC)) == b"\x18\x0f20500101000000Z"


def test_a_naive_signing_time_is_refused(signer):
    with pytest.raises(ValueError, match="timezone"):
        package.signature(b"{}", signer, datetime(2026, 1, 1))


def test_a_pass_for_another_pass_type_than_the_certificate_s_is_refused(signer):
    with pytest.raises(ValueError, match="certificate"):
        build(stamp_card(pass_type_identifier="pass.org.example.other"), signer)


def test_an_image_cannot_take_the_name_of_a_file_the_package_makes(signer):
    with pytest.raises(ValueError, match=r"pass\.json"):
        package.build_pkpass(stamp_card(), signer, {"signature": b"x"}, SIGNED_AT)


# Images


@pytest.mark.parametrize("kind", ["stamps", "points"])
def test_every_image_is_a_png_at_1x_2x_and_3x(kind):
    files = images.pass_images(kind, "#1E3A5F", None, "Café Blue", 3, 10, 250, "Gold")

    assert len(files) == 9
    for stem, (width, height) in IMAGE_POINTS.items():
        for scale, suffix in ((1, ""), (2, "@2x"), (3, "@3x")):
            image = Image.open(io.BytesIO(files[f"{stem}{suffix}.png"]))
            assert image.format == "PNG"
            assert image.size == (width * scale, height * scale), f"{stem}{suffix}"


def test_the_logo_keeps_within_apples_160_by_50_points():
    logo = Image.open(
        io.BytesIO(images.pass_images("stamps", None, None, None, 0, 10, 0, None)["logo.png"])
    )

    assert logo.width <= 160
    assert logo.height <= 50


def test_the_strip_changes_with_each_stamp():
    three = images.pass_images("stamps", "#1E3A5F", None, None, 3, 10, 0, None)
    four = images.pass_images("stamps", "#1E3A5F", None, None, 4, 10, 0, None)

    for name in ("strip.png", "strip@2x.png", "strip@3x.png"):
        assert three[name] != four[name]
    assert three["icon.png"] == four["icon.png"]


def test_a_stamp_card_over_ten_stamps_draws_every_cup():
    twelve = images.pass_images("stamps", None, None, None, 11, 12, 0, None)
    full = images.pass_images("stamps", None, None, None, 12, 12, 0, None)

    assert twelve["strip@2x.png"] != full["strip@2x.png"]


def test_the_points_strip_changes_with_the_points_and_the_tier():
    some = images.pass_images("points", None, None, None, 0, None, 120, None)
    more = images.pass_images("points", None, None, None, 0, None, 130, None)
    gold = images.pass_images("points", None, None, None, 0, None, 130, "Gold")

    assert len({some["strip.png"], more["strip.png"], gold["strip.png"]}) == 3


def test_images_are_cached_by_their_arguments_and_a_caller_cannot_spoil_the_cache():
    first = images.pass_images("stamps", "#000000", None, None, 5, 10, 0, None)
    first["strip.png"] = b"spoiled"

    again = images.pass_images("stamps", "#000000", None, None, 5, 10, 0, None)

    assert again["strip.png"] != b"spoiled"
    assert again["strip@3x.png"] is first["strip@3x.png"]


@pytest.mark.parametrize("name", ["logo", "icon", "strip"])
def test_a_program_image_is_the_3x_png(name):
    data = images.program_image(name, "stamps", "#1E3A5F", None, "Café Blue", 10)

    width, height = IMAGE_POINTS[name]
    assert Image.open(io.BytesIO(data)).size == (width * 3, height * 3)


def test_the_program_strip_shows_an_empty_card():
    data = images.program_image("strip", "stamps", "#1E3A5F", None, None, 10)

    assert (
        data == images.pass_images("stamps", "#1E3A5F", None, None, 0, 10, 0, None)["strip@3x.png"]
    )


def test_an_unknown_program_image_is_a_key_error():
    with pytest.raises(KeyError):
        images.program_image("background", "stamps", None, None, None, 10)


# Certificates


def test_a_dev_chain_is_written_once(tmp_path):
    folder = tmp_path / "certs"

    first = devcerts.generate_dev_chain(folder, PASS_TYPE, TEAM)
    pem = (folder / "pass.pem").read_bytes()
    second = devcerts.generate_dev_chain(folder, PASS_TYPE, TEAM)

    assert (first, second) == (True, False)
    assert (folder / "pass.pem").read_bytes() == pem
    assert {path.name for path in folder.iterdir()} == {
        "root.pem",
        "wwdr.pem",
        "pass.pem",
        "pass.key",
    }
    assert (folder / "pass.key").stat().st_mode & 0o777 == 0o600


def test_the_signer_reads_the_pass_type_from_the_uid_and_the_team_from_the_ou(signer):
    assert signer.pass_type_identifier == PASS_TYPE
    assert signer.team_identifier == TEAM


def test_the_dev_pass_certificate_is_shaped_like_apples(chain, signer):
    root = x509.load_pem_x509_certificate((chain / "root.pem").read_bytes())
    leaf, wwdr = signer.certificate, signer.intermediate

    subject = leaf.subject
    assert (
        subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == f"Pass Type ID: {PASS_TYPE}"
    )
    assert (
        subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Wallet Loyalty Dev"
    )
    extension = leaf.extensions.get_extension_for_oid(certs.PASS_TYPE_EXTENSION_OID)
    assert not extension.critical
    assert extension.value.value == der.utf8_string(PASS_TYPE)  # type: ignore[attr-defined]
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert list(leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert leaf.not_valid_after_utc - leaf.not_valid_before_utc == timedelta(days=730)
    assert leaf.issuer == wwdr.subject
    assert wwdr.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)[0].value == "G4"
    assert "Apple Worldwide Developer Relations" in wwdr.subject.rfc4514_string()
    assert "DEV" in wwdr.subject.rfc4514_string()
    assert wwdr.issuer == root.subject == root.issuer
    leaf.verify_directly_issued_by(wwdr)
    wwdr.verify_directly_issued_by(root)


def test_a_certificate_without_a_uid_is_refused_with_a_reason(signer):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not a pass certificate")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(SIGNED_AT)
        .not_valid_after(SIGNED_AT + timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    with pytest.raises(ValueError, match="UID"):
        certs.Signer.from_pem(pem_of(cert), key_pem, pem_of(signer.intermediate))


def test_a_key_that_is_not_the_certificate_s_is_refused(signer):
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_pem = other.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )

    with pytest.raises(ValueError, match="does not belong"):
        certs.Signer.from_pem(pem_of(signer.certificate), key_pem, pem_of(signer.intermediate))


def test_an_encrypted_key_loads_with_its_password(signer):
    key_pem = signer.private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )

    loaded = certs.Signer.from_pem(
        pem_of(signer.certificate), key_pem, pem_of(signer.intermediate), b"secret"
    )

    assert loaded.certificate == signer.certificate


@pytest.mark.parametrize("password", [b"keychain export", None])
def test_a_p12_from_keychain_round_trips(signer, password):
    encryption = (
        serialization.BestAvailableEncryption(password)
        if password
        else serialization.NoEncryption()
    )
    p12 = pkcs12.serialize_key_and_certificates(
        b"Pass Type ID", signer.private_key, signer.certificate, None, encryption
    )

    loaded = certs.Signer.from_p12(p12, password, pem_of(signer.intermediate))

    assert loaded.certificate == signer.certificate
    assert loaded.intermediate == signer.intermediate
    assert (loaded.pass_type_identifier, loaded.team_identifier) == (PASS_TYPE, TEAM)
    assert build(stamp_card(), loaded) == build(stamp_card(), signer)


def test_a_certificate_expiring_in_ten_days_raises_a_loud_warning(signer):
    now = signer.certificate.not_valid_after_utc - timedelta(days=10)

    warning = certs.expiry_warning(signer.certificate, now)

    assert warning is not None
    assert "EXPIRES IN 10 DAYS" in warning


def test_a_certificate_with_a_hundred_days_left_raises_no_warning(signer):
    now = signer.certificate.not_valid_after_utc - timedelta(days=100)

    assert certs.expiry_warning(signer.certificate, now) is None


def test_an_expired_certificate_raises_a_loud_warning(signer):
    now = signer.certificate.not_valid_after_utc + timedelta(seconds=1)

    warning = certs.expiry_warning(signer.certificate, now)

    assert warning is not None
    assert "EXPIRED" in warning


def pem_of(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)
