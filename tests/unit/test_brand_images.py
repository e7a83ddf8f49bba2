"""An owner's upload: judged by its bytes, decoded under limits, derived into every size."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from chalicelib.errors import ImageTooLarge, UnreadableImage, UnsupportedImage
from chalicelib.wallet import brand
from tests import brand_samples as samples


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.mark.parametrize(
    ("data", "error", "status"),
    [
        (samples.six_megabytes(), ImageTooLarge, 413),
        (samples.png_bomb(), ImageTooLarge, 413),
        (samples.png_bomb(5_000), ImageTooLarge, 413),  # 25 MP: ours, under Pillow's own limit
        (samples.TEXT, UnsupportedImage, 415),
        (samples.SVG, UnsupportedImage, 415),
        (samples.truncated_jpeg(), UnreadableImage, 422),
        (b"", UnsupportedImage, 415),
    ],
    ids=["6 MB", "PNG bomb", "25 megapixels", "text named .png", "SVG", "truncated JPEG", "empty"],
)
def test_each_bad_upload_is_refused_with_a_clear_4xx(data, error, status):
    with pytest.raises(error) as raised:
        brand.derive("logo", data)

    assert raised.value.http_status == status
    assert raised.value.message


def test_an_svg_is_named_in_the_refusal():
    with pytest.raises(UnsupportedImage) as raised:
        brand.derive("logo", samples.SVG)

    assert "SVG" in raised.value.message


def test_the_type_comes_from_the_bytes_not_the_name():
    assert brand.sniff(samples.jpeg()) == "JPEG"
    assert brand.sniff(samples.webp()) == "WEBP"
    assert brand.sniff(samples.png()) == "PNG"


@pytest.mark.parametrize("kind", brand.KINDS)
def test_an_upload_gives_apple_its_three_scales_in_points(kind):
    derived = brand.derive(kind, samples.png((900, 600)))

    width, height = brand.APPLE_BOX[kind]
    for scale, name in zip(brand.SCALES, brand.apple_files(kind), strict=True):
        image = opened(derived.files[name])
        assert image.format == "PNG"
        assert image.width <= width * scale and image.height <= height * scale
        assert image.width == width * scale or image.height == height * scale


def test_a_wide_logo_keeps_its_proportions_without_padding():
    derived = brand.derive("logo", samples.png((800, 250)))

    assert opened(derived.files["logo@2x.png"]).size == (320, 100)


def test_the_icon_and_the_strip_fill_their_exact_boxes():
    icon = brand.derive("icon", samples.png((800, 250)))
    strip = brand.derive("strip", samples.jpeg((1000, 1000)))

    assert opened(icon.files["icon@3x.png"]).size == (87, 87)
    assert opened(strip.files["strip@3x.png"]).size == (1125, 369)


def test_google_gets_a_square_program_logo_and_a_hero_image():
    logo = brand.derive("logo", samples.png((800, 250)))
    strip = brand.derive("strip", samples.webp((1200, 500)))

    assert opened(logo.files[brand.GOOGLE_LOGO]).size == (660, 660)
    assert opened(strip.files[brand.GOOGLE_HERO]).size == (1032, 336)
    assert brand.GOOGLE_HERO not in logo.files and brand.GOOGLE_LOGO not in strip.files


def test_an_animated_image_gives_its_first_frame():
    derived = brand.derive("strip", samples.animated_png())

    image = opened(derived.files["strip.png"]).convert("RGB")
    assert image.getpixel((10, 10)) == (255, 0, 0)


@pytest.mark.parametrize(
    "data",
    [samples.cmyk_jpeg(), samples.palette_png_with_transparency(), samples.grey_alpha_png()],
    ids=["CMYK JPEG", "palette PNG with transparency", "grey and alpha PNG"],
)
def test_other_colour_modes_come_out_as_rgb_or_rgba_pngs(data):
    derived = brand.derive("icon", data)

    assert opened(derived.files["icon@2x.png"]).mode in ("RGB", "RGBA")


def test_transparency_survives_and_an_opaque_image_drops_its_alpha():
    clear = brand.derive("icon", samples.palette_png_with_transparency())
    opaque = brand.derive("strip", samples.jpeg())

    assert opened(clear.files["icon@3x.png"]).getpixel((0, 0))[3] == 0
    assert opened(opaque.files["strip@3x.png"]).mode == "RGB"


def test_a_cmyk_jpeg_keeps_its_colours():
    derived = brand.derive("logo", samples.cmyk_jpeg())

    # The picture's corner mark is red; CMYK read without care comes out inverted.
    red, green, blue = opened(derived.files["logo@3x.png"]).convert("RGB").getpixel((2, 2))
    assert red > 150 and green < 100 and blue < 100


def test_the_version_is_the_content_hash_so_the_same_bytes_give_the_same_version():
    data = samples.png()

    assert brand.derive("logo", data).version == brand.derive("logo", data).version
    assert (
        brand.derive("logo", data).version != brand.derive("logo", samples.png((801, 250))).version
    )
    assert brand.derive("logo", data).media_type == "image/png"


def test_the_derived_cache_drops_the_least_recently_used_past_its_bytes():
    from chalicelib.services.program_images import DerivedCache

    cache = DerivedCache(limit_bytes=250)
    cache.put(("p", "v1", "a.png"), b"a" * 100)
    cache.put(("p", "v1", "b.png"), b"b" * 100)
    cache.get(("p", "v1", "a.png"))  # used: b is now the oldest

    cache.put(("p", "v2", "c.png"), b"c" * 100)

    assert cache.get(("p", "v1", "b.png")) is None
    assert cache.get(("p", "v1", "a.png")) == b"a" * 100
    assert cache.get(("p", "v2", "c.png")) == b"c" * 100


def _strip_uploads() -> dict[str, bytes]:
    derived = brand.derive("strip", samples.jpeg())
    return {name: derived.files[name] for name in brand.apple_files("strip")}


def test_a_stamp_card_draws_its_cups_over_an_uploaded_strip():
    from chalicelib.wallet.apple import images
    from tests.apple_samples import sample_pass

    uploads = _strip_uploads()

    three = images.with_uploads(sample_pass(stamps=3), uploads)
    four = images.with_uploads(sample_pass(stamps=4), uploads)

    assert opened(three["strip@3x.png"]).size == (1125, 369)
    assert three["strip@3x.png"] != uploads["strip@3x.png"]
    assert three["strip@3x.png"] != four["strip@3x.png"]
    # The top of the strip, above the cups' band, is the owner's picture.
    top = opened(three["strip@2x.png"]).convert("RGB").crop((0, 0, 750, 60))
    assert top == opened(uploads["strip@2x.png"]).convert("RGB").crop((0, 0, 750, 60))


def test_a_points_card_shows_the_uploaded_strip_as_it_is():
    from chalicelib.wallet.apple import images
    from tests.apple_samples import sample_pass

    uploads = _strip_uploads()

    files = images.with_uploads(sample_pass(kind="points", stamps_required=None), uploads)

    assert files["strip@3x.png"] == uploads["strip@3x.png"]
