"""The pass's images, drawn with Pillow: icon, logo and the store card's strip.

Sizes are in points, drawn at 1x, 2x and 3x (a missing resolution has made passes
open on a Mac and fail on an iPhone). Each image is drawn at twice its pixel size
and halved, which smooths the edges Pillow's primitives leave jagged.

Rendering is the slow part of a pass (tens of milliseconds against a fraction of
one for the rest), and the inputs repeat: a stamp card has only `required + 1`
distinct strips. So every image is cached by its arguments.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import lru_cache
from math import ceil, cos, pi, sin
from typing import TYPE_CHECKING

from PIL import Image, ImageDraw, ImageFont

from chalicelib.domain.colours import Rgb, parse_colour, relative_luminance

if TYPE_CHECKING:
    from chalicelib.wallet.apple.model import PassContent

SCALES = (1, 2, 3)
# Points. https://developer.apple.com/documentation/walletpasses/creating-the-source-for-a-pass
ICON = (29, 29)
# The logo may be up to 160 x 50; Wallet lays logoText out after the image's full
# width, so a square mark keeps the text beside it instead of pushed to the edge.
LOGO = (50, 50)
STRIP = (375, 123)  # store card

_SUPERSAMPLE = 2
_STRIP_FILES = frozenset(("strip.png", "strip@2x.png", "strip@3x.png"))
_DEFAULT_BACKGROUND: Rgb = (255, 255, 255)
_DARK_INK: Rgb = (33, 33, 33)
_LIGHT_INK: Rgb = (255, 255, 255)
_DEFAULT_STAMPS_REQUIRED = 10  # a stamp program without a count still draws a card
_MAX_CUPS_PER_ROW = 10


def pass_images(
    kind: str,
    background_color: str | None,
    foreground_color: str | None,
    logo_text: str | None,
    stamps: int,
    stamps_required: int | None,
    points: int,
    tier: str | None,
) -> dict[str, bytes]:
    """The PNGs of one pass by file name: icon, logo and strip at 1x, 2x and 3x.

    Raises ValueError for an unknown kind or a malformed colour. A fresh dict each
    call (the bytes are shared), so a caller's change cannot reach the cache.
    """
    return dict(
        _pass_images(
            kind,
            background_color,
            foreground_color,
            logo_text,
            stamps,
            stamps_required,
            points,
            tier,
        )
    )


def images_of(content: PassContent) -> dict[str, bytes]:
    """The PNGs of the pass `content` describes (pass_images of its fields)."""
    return pass_images(
        content.kind,
        content.background_color,
        content.foreground_color,
        content.logo_text,
        content.stamps,
        content.stamps_required,
        content.points,
        content.tier,
    )


def with_uploads(content: PassContent, uploads: dict[str, bytes]) -> dict[str, bytes]:
    """The pass's images: the generated ones, replaced by the owner's `uploads` by name.

    A stamp card keeps its cups: they are drawn over an uploaded strip (see
    `_cups_over`), so the card still shows its stamps at a glance.
    """
    files = images_of(content)
    files.update(uploads)
    if content.kind == "stamps" and uploads.keys() >= _STRIP_FILES:
        strips = (uploads["strip.png"], uploads["strip@2x.png"], uploads["strip@3x.png"])
        files.update(
            _cups_over(strips, content.foreground_color, content.stamps, content.stamps_required)
        )
    return files


@lru_cache(maxsize=256)
def _cups_over(
    strips: tuple[bytes, bytes, bytes],
    foreground_color: str | None,
    stamps: int,
    stamps_required: int | None,
) -> tuple[tuple[str, bytes], ...]:
    """The strip's files with the cups drawn over the upload, on a band that keeps them legible.

    Cached by the strip's bytes (the same objects, from the uploads' cache) and the
    card: a program has `required + 1` of them, drawn once per process.
    """
    out = []
    for scale, data in zip(SCALES, strips, strict=True):
        ground = Image.open(io.BytesIO(data)).convert("RGBA")
        ink = parse_colour(foreground_color) if foreground_color else _ink_for(_mean_colour(ground))
        band = _ink_for(ink)  # whichever of dark and light reads against the ink
        unit = scale * _SUPERSAMPLE
        layer = Image.new("RGBA", (ground.width * _SUPERSAMPLE, ground.height * _SUPERSAMPLE))
        canvas = ImageDraw.Draw(layer)
        # A translucent band of the other ink under the cups: a photo may be any colour.
        canvas.rectangle((0, layer.height * 0.38, layer.width, layer.height), fill=(*band, 96))
        _cups(ink, stamps, stamps_required)(canvas, unit)
        ground.alpha_composite(layer.reduce(_SUPERSAMPLE))
        buffer = io.BytesIO()
        ground.convert("RGB").save(buffer, "PNG")
        out.append(buffer.getvalue())
    return _named("strip", tuple(out))


def _mean_colour(image: Image.Image) -> Rgb:
    red, green, blue = (round(v) for v in image.convert("RGB").resize((1, 1)).getpixel((0, 0)))  # type: ignore[union-attr]
    return red, green, blue


def program_image(
    name: str,
    kind: str,
    background_color: str | None,
    foreground_color: str | None,
    logo_text: str | None,
    stamps_required: int | None,
) -> bytes:
    """One of the program's public images at 3x: "logo", "icon" or "strip".

    The strip shows an empty card (stamps) or zero points. Raises KeyError for
    another name, ValueError for an unknown kind or a malformed colour.
    """
    if name not in ("logo", "icon", "strip"):
        raise KeyError(name)
    files = _pass_images(
        kind, background_color, foreground_color, logo_text, 0, stamps_required, 0, None
    )
    return dict(files)[f"{name}@3x.png"]


@lru_cache(maxsize=1024)
def _pass_images(
    kind: str,
    background_color: str | None,
    foreground_color: str | None,
    logo_text: str | None,
    stamps: int,
    stamps_required: int | None,
    points: int,
    tier: str | None,
) -> tuple[tuple[str, bytes], ...]:
    if kind not in ("stamps", "points"):
        raise ValueError(f'a program\'s kind is "stamps" or "points", not {kind!r}')
    background = parse_colour(background_color) if background_color else _DEFAULT_BACKGROUND
    foreground = parse_colour(foreground_color) if foreground_color else _ink_for(background)
    # What a strip does not show must not split the cache.
    if kind == "stamps":
        strip = _stamp_strip(background, foreground, stamps, stamps_required)
    else:
        strip = _points_strip(background, foreground, points, tier)
    return (
        *_named("icon", _icons(kind, background, foreground, logo_text)),
        *_named("logo", _logos(kind, foreground)),
        *_named("strip", strip),
    )


def _named(stem: str, images: tuple[bytes, ...]) -> tuple[tuple[str, bytes], ...]:
    return tuple(
        (f"{stem}{'' if scale == 1 else f'@{scale}x'}.png", data)
        for scale, data in zip(SCALES, images, strict=True)
    )


@lru_cache(maxsize=256)
def _icons(kind: str, background: Rgb, foreground: Rgb, logo_text: str | None) -> tuple[bytes, ...]:
    """The icon (notifications, Mail): the logo text's initial, else the program's mark."""
    initial = logo_text.strip()[:1].upper() if logo_text and logo_text.strip() else ""

    def draw(canvas: ImageDraw.ImageDraw, unit: float) -> None:
        size = ICON[0] * unit
        if initial:
            font = ImageFont.load_default(size=size * 0.62)
            canvas.text((size / 2, size / 2), initial, fill=foreground, font=font, anchor="mm")
        else:
            _mark(canvas, kind, (size * 0.18, size * 0.18, size * 0.82, size * 0.82), foreground)

    return _render(ICON, (*background, 255), draw)


@lru_cache(maxsize=256)
def _logos(kind: str, foreground: Rgb) -> tuple[bytes, ...]:
    """The logo: the program's mark on a transparent ground, beside Wallet's logoText."""

    def draw(canvas: ImageDraw.ImageDraw, unit: float) -> None:
        side = LOGO[1] * unit
        _mark(canvas, kind, (side * 0.1, side * 0.1, side * 0.9, side * 0.9), foreground)

    return _render(LOGO, (0, 0, 0, 0), draw)


@lru_cache(maxsize=1024)
def _stamp_strip(
    background: Rgb, foreground: Rgb, stamps: int, stamps_required: int | None
) -> tuple[bytes, ...]:
    """A row of cups (two rows past 10): filled for stamps earned, outlines for the rest."""
    return _render(
        STRIP, (*_tint(background, foreground), 255), _cups(foreground, stamps, stamps_required)
    )


def _cups(
    foreground: Rgb, stamps: int, stamps_required: int | None
) -> Callable[[ImageDraw.ImageDraw, float], None]:
    """What draws the card's cups on a strip, at `unit` pixels per point."""
    required = max(1, stamps_required or _DEFAULT_STAMPS_REQUIRED)
    earned = max(0, min(stamps, required))
    rows = 1 if required <= _MAX_CUPS_PER_ROW else 2
    per_row = ceil(required / rows)

    def draw(canvas: ImageDraw.ImageDraw, unit: float) -> None:
        width, height = STRIP[0] * unit, STRIP[1] * unit
        # The balance (primary field) is drawn over the strip's upper left, so the
        # cups keep to the lower part of the strip.
        top = height * (0.42 if rows == 1 else 0.3)
        bottom = height * 0.94
        margin = width * 0.04
        slot = (width - 2 * margin) / per_row
        row_height = (bottom - top) / rows
        side = min(slot * 0.84, row_height * 0.9)
        for index in range(required):
            row, column = divmod(index, per_row)
            cups_in_row = min(per_row, required - row * per_row)
            left = margin + (width - 2 * margin - cups_in_row * slot) / 2 + column * slot
            x = left + (slot - side) / 2
            y = top + row * row_height + (row_height - side) / 2
            _cup(canvas, (x, y, x + side, y + side), foreground, filled=index < earned)

    return draw


@lru_cache(maxsize=1024)
def _points_strip(
    background: Rgb, foreground: Rgb, points: int, tier: str | None
) -> tuple[bytes, ...]:
    """The points figure and the tier, right-aligned: the balance field sits on the left."""

    def draw(canvas: ImageDraw.ImageDraw, unit: float) -> None:
        width, height = STRIP[0] * unit, STRIP[1] * unit
        right = width * 0.95
        text = f"{points:,} pts"
        # At most 55% of the width, however long: the left is the balance field's.
        figure = _fitted_font(text, height * 0.36, width * 0.55)
        canvas.text(
            (right, height * (0.46 if tier else 0.56)),
            text,
            fill=foreground,
            font=figure,
            anchor="rs",
        )
        if tier:
            label = _fitted_font(tier, height * 0.16, width * 0.55)
            canvas.text((right, height * 0.78), tier, fill=foreground, font=label, anchor="rs")
        _mark(
            canvas,
            "points",
            (width * 0.05, height * 0.6, width * 0.05 + height * 0.3, height * 0.9),
            foreground,
        )

    return _render(STRIP, (*_tint(background, foreground), 255), draw)


def _fitted_font(
    text: str, size: float, max_width: float
) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """Pillow's bundled font at `size`, or smaller so that `text` fits `max_width`."""
    length = ImageFont.load_default(size=size).getlength(text)
    return ImageFont.load_default(size=min(size, size * max_width / max(length, 1)))


def _render(
    size: tuple[int, int],
    ground: tuple[int, int, int, int],
    draw: Callable[[ImageDraw.ImageDraw, float], None],
) -> tuple[bytes, ...]:
    """`draw(canvas, pixels_per_point)` at each scale, as PNG bytes, 1x first."""
    images = []
    for scale in SCALES:
        unit = scale * _SUPERSAMPLE
        image = Image.new("RGBA", (size[0] * unit, size[1] * unit), ground)
        draw(ImageDraw.Draw(image), unit)
        image = image.reduce(_SUPERSAMPLE)
        if ground[3] == 255:
            image = image.convert("RGB")  # opaque: a smaller file
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        images.append(buffer.getvalue())
    return tuple(images)


def _ink_for(background: Rgb) -> Rgb:
    """Dark or light ink, whichever reads on `background` (WCAG relative luminance)."""
    # The luminance at which both inks contrast equally with the ground.
    return _DARK_INK if relative_luminance(background) > 0.18 else _LIGHT_INK


def _tint(background: Rgb, foreground: Rgb) -> Rgb:
    """The strip's ground: the pass colour moved a little towards the ink, so the band shows."""
    red, green, blue = (
        round(b + (f - b) * 0.08) for b, f in zip(background, foreground, strict=True)
    )
    return red, green, blue


def _mark(
    canvas: ImageDraw.ImageDraw, kind: str, box: tuple[float, float, float, float], ink: Rgb
) -> None:
    if kind == "stamps":
        _cup(canvas, box, ink, filled=True)
    else:
        _star(canvas, box, ink)


def _cup(
    canvas: ImageDraw.ImageDraw,
    box: tuple[float, float, float, float],
    ink: Rgb,
    *,
    filled: bool,
) -> None:
    """A coffee cup in `box`: a rounded body, a handle on the right, a saucer below."""
    x0, y0, x1, _ = box
    side = x1 - x0
    stroke = max(1, round(side * 0.07))
    body = (x0 + side * 0.08, y0 + side * 0.12, x0 + side * 0.72, y0 + side * 0.8)
    handle = (x0 + side * 0.58, y0 + side * 0.26, x0 + side * 0.94, y0 + side * 0.6)
    # The handle's right half only: its left half would show inside an empty cup.
    canvas.arc(handle, start=-90, end=90, fill=ink, width=stroke)
    radius = side * 0.14
    if filled:
        canvas.rounded_rectangle(body, radius=radius, fill=ink)
    else:
        canvas.rounded_rectangle(body, radius=radius, outline=ink, width=stroke)
    saucer = (x0, y0 + side * 0.86, x0 + side * 0.8, y0 + side * 0.86 + stroke)
    canvas.rounded_rectangle(saucer, radius=stroke / 2, fill=ink)


def _star(canvas: ImageDraw.ImageDraw, box: tuple[float, float, float, float], ink: Rgb) -> None:
    x0, y0, x1, y1 = box
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    outer = min(x1 - x0, y1 - y0) / 2
    points = [
        (
            cx + (outer if i % 2 == 0 else outer * 0.45) * cos(-pi / 2 + i * pi / 5),
            cy + (outer if i % 2 == 0 else outer * 0.45) * sin(-pi / 2 + i * pi / 5),
        )
        for i in range(10)
    ]
    canvas.polygon(points, fill=ink)
