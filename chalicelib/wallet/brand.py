"""An owner's brand images: checked, decoded and derived into every size the wallets use.

Pure Pillow, no I/O: bytes in, PNG bytes out. The upload is judged by its own first
bytes (PNG, JPEG or WebP), never by the Content-Type it came with, and decoded under
limits set here, before any pixel is read: at most MAX_BYTES, at most MAX_PIXELS
(a 40-byte PNG can claim 100,000 x 100,000 pixels and take 30 GB to decode).

What each upload becomes (sizes in points, drawn at 1x, 2x and 3x as Apple's
images.py draws the generated ones):

    logo   Apple's logo, fitted into 160 x 50 (no padding: Wallet puts logoText after
           the image's own width); Google's program logo, fitted into a 660 x 660 square
    icon   Apple's icon, fitted into 29 x 29 on a transparent square
    strip  Apple's store card strip, 375 x 123, filled and cropped at the centre;
           Google's hero image, 1032 x 336, the same way

https://developer.apple.com/documentation/walletpasses/creating-the-source-for-a-pass
https://developers.google.com/wallet/retail/loyalty-cards/resources/brand-guidelines
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from typing import Literal

from PIL import Image, ImageOps

from chalicelib.errors import ImageTooLarge, UnreadableImage, UnsupportedImage

Kind = Literal["logo", "icon", "strip"]
KINDS: tuple[Kind, ...] = ("logo", "icon", "strip")
MAX_BYTES = 5 * 1024 * 1024
# 24 megapixels: a 6000 x 4000 phone photo decodes (about 100 MB as RGBA), a bomb does not.
MAX_PIXELS = 24_000_000
# Pillow's own guard, lowered for the whole process: it refuses twice this outright.
# The generated images are made with Image.new, which it does not limit.
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

SCALES = (1, 2, 3)
APPLE_BOX: dict[Kind, tuple[int, int]] = {"logo": (160, 50), "icon": (29, 29), "strip": (375, 123)}
GOOGLE_LOGO = "programlogo.png"
GOOGLE_HERO = "hero.png"
_GOOGLE_LOGO_SIDE = 660
_GOOGLE_HERO_SIZE = (1032, 336)

_FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}


@dataclass(frozen=True)
class Derived:
    """One upload: its content hash, the original's media type, and the PNGs by file name."""

    version: str
    media_type: str
    files: dict[str, bytes]


def version_of(data: bytes) -> str:
    """The short content hash that names an upload (16 hex digits of SHA-256)."""
    return hashlib.sha256(data).hexdigest()[:16]


def sniff(data: bytes) -> str:
    """The Pillow format of `data` from its magic bytes: PNG, JPEG or WEBP.

    Raises UnsupportedImage (415) for anything else, an SVG or text included.
    """
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    head = data[:512].lstrip().lower()
    if head.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in head:
        raise UnsupportedImage("SVG is not taken: upload a PNG, JPEG or WebP.")
    raise UnsupportedImage("This is not a PNG, JPEG or WebP image (judged by its bytes).")


def decode(data: bytes) -> tuple[str, Image.Image]:
    """The upload's format and its first frame as RGBA, upright (EXIF orientation applied).

    Raises ImageTooLarge (413) over MAX_BYTES or MAX_PIXELS, UnsupportedImage (415)
    for another format, UnreadableImage (422) for a truncated or corrupt file.
    """
    if len(data) > MAX_BYTES:
        raise ImageTooLarge(f"An image is at most {MAX_BYTES // (1024 * 1024)} MB.")
    if not data:
        raise UnsupportedImage("The body is empty: send the image's bytes.")
    kind = sniff(data)
    try:
        # Opening reads the header only: the size is known before any pixel is.
        image = Image.open(io.BytesIO(data), formats=[kind])
        width, height = image.size
        if width * height > MAX_PIXELS:
            raise ImageTooLarge(
                f"The image is {width} x {height} pixels: at most {MAX_PIXELS // 1_000_000} "
                "megapixels."
            )
        # An animated PNG or WebP: its first frame, as a still.
        image.seek(0)
        image.load()
        return kind, _rgba(ImageOps.exif_transpose(image))
    except Image.DecompressionBombError as exc:
        raise ImageTooLarge(f"The image has too many pixels: {exc}") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        # Pillow's words for a truncated or corrupt file ("image file is truncated").
        raise UnreadableImage(f"The image cannot be read: {exc}.") from exc


def _rgba(image: Image.Image) -> Image.Image:
    """Any mode (CMYK, P with transparency, LA, 16-bit grey) as RGBA."""
    if image.mode.startswith("I;16"):
        image = image.convert("I")
    if image.mode in ("I", "F"):
        # 16-bit greys: scaled to 8 bits, not clipped to white.
        image = image.point(lambda value: value / 256).convert("L")
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("PA")
    return image.convert("RGBA")


def derive(kind: Kind, data: bytes) -> Derived:
    """Every file the wallets need from one upload of `kind` (see the module's table)."""
    media_type, image = _checked(data)
    files: dict[str, bytes] = {}
    box = APPLE_BOX[kind]
    for scale in SCALES:
        size = (box[0] * scale, box[1] * scale)
        if kind == "logo":
            scaled = _fit(image, size)
        elif kind == "icon":
            scaled = _pad(_fit(image, size), size)
        else:
            scaled = ImageOps.fit(image, size, Image.Resampling.LANCZOS)
        files[f"{kind}{'' if scale == 1 else f'@{scale}x'}.png"] = png(scaled)
    if kind == "logo":
        side = (_GOOGLE_LOGO_SIDE, _GOOGLE_LOGO_SIDE)
        files[GOOGLE_LOGO] = png(_pad(_fit(image, side), side))
    elif kind == "strip":
        files[GOOGLE_HERO] = png(ImageOps.fit(image, _GOOGLE_HERO_SIZE, Image.Resampling.LANCZOS))
    return Derived(version_of(data), media_type, files)


def _checked(data: bytes) -> tuple[str, Image.Image]:
    kind, image = decode(data)
    return _FORMATS[kind], image


def _fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """`image` scaled (up or down) to fit `box`, its proportions kept."""
    ratio = min(box[0] / image.width, box[1] / image.height)
    size = (max(1, round(image.width * ratio)), max(1, round(image.height * ratio)))
    return image.resize(size, Image.Resampling.LANCZOS)


def _pad(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    """`image` centred on a transparent canvas of `size`."""
    canvas = Image.new("RGBA", size, (0, 0, 0, 0))
    canvas.paste(image, ((size[0] - image.width) // 2, (size[1] - image.height) // 2))
    return canvas


def png(image: Image.Image) -> bytes:
    """PNG bytes, RGB when every pixel is opaque (a smaller file)."""
    if image.mode == "RGBA" and image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    # Once per upload, so the slow, small encoding: the bytes go into every pass.
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


def apple_files(kind: Kind) -> tuple[str, ...]:
    """The pass's file names for `kind`: 1x, 2x and 3x."""
    return tuple(f"{kind}{'' if scale == 1 else f'@{scale}x'}.png" for scale in SCALES)
