"""Brand images an owner might upload, good and bad, made in memory for the tests."""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image, ImageDraw


def picture(size: tuple[int, int] = (800, 250), mode: str = "RGBA") -> Image.Image:
    """A drawing with a diagonal band and a corner mark, so a crop or a squash would show."""
    image = Image.new("RGBA", size, (20, 90, 160, 255))
    draw = ImageDraw.Draw(image)
    draw.polygon(
        [(0, size[1]), (size[0] // 2, 0), (size[0], 0), (size[0] // 2, size[1])],
        fill=(240, 200, 40, 255),
    )
    draw.rectangle((0, 0, size[0] // 10, size[1] // 10), fill=(200, 30, 30, 255))
    return image.convert(mode) if mode != "RGBA" else image


def encoded(image: Image.Image, kind: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, kind, **options)
    return buffer.getvalue()


def png(size: tuple[int, int] = (800, 250)) -> bytes:
    return encoded(picture(size), "PNG")


def jpeg(size: tuple[int, int] = (1200, 400), mode: str = "RGB") -> bytes:
    return encoded(picture(size, mode), "JPEG", quality=90)


def webp(size: tuple[int, int] = (600, 600)) -> bytes:
    return encoded(picture(size), "WEBP")


def animated_png() -> bytes:
    """Two frames: a red one first, then a green one."""
    frames = [
        Image.new("RGBA", (300, 100), colour) for colour in ((255, 0, 0, 255), (0, 255, 0, 255))
    ]
    return encoded(frames[0], "PNG", save_all=True, append_images=frames[1:], duration=100, loop=0)


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (200, 200), 0)
    image.putpalette([0, 0, 0, 255, 255, 255] + [0] * 762)
    ImageDraw.Draw(image).ellipse((20, 20, 180, 180), fill=1)
    return encoded(image, "PNG", transparency=0)


def grey_alpha_png() -> bytes:
    return encoded(picture((300, 300), "LA"), "PNG")


def cmyk_jpeg() -> bytes:
    return jpeg((600, 300), "CMYK")


def six_megabytes() -> bytes:
    """A real PNG of noise over 6 MB: too large by its bytes alone."""
    import os

    side = 1500
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    data = encoded(image, "PNG", compress_level=0)
    assert len(data) > 6 * 1024 * 1024
    return data


def png_bomb(side: int = 20_000) -> bytes:
    """A PNG of a few kB that claims `side` x `side` 1-bit pixels (400 megapixels)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    row = b"\x00" * (1 + side // 8)  # filter byte, then the 1-bit row
    compressor = zlib.compressobj(9)
    idat = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)  # 1-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


def truncated_jpeg() -> bytes:
    data = jpeg()
    return data[: len(data) // 2]


SVG = (
    b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="160" height="50">'
    b'<rect width="160" height="50" fill="#3B2A20"/></svg>'
)
TEXT = b"This is not an image, whatever its name says: logo.png\n"
