"""A design colour: `#RRGGBB` or `rgb(r, g, b)`, as the program document takes it.

One parser for every reader (the document's check, Apple's rgb() strings, Google's
hex, the pages' contrast and the pass images' ink), so that they agree on what a
colour is.
"""

from __future__ import annotations

import re

Rgb = tuple[int, int, int]

# One channel, 0 to 255 without leading zeros, spaces allowed around it.
_CHANNEL = r" *(25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9]) *"
_HEX = r"#([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})([0-9A-Fa-f]{2})"
_CSS = rf"rgb\({_CHANNEL},{_CHANNEL},{_CHANNEL}\)"
# The program document's pattern (a JSON Schema `pattern`, in /openapi.json too).
PATTERN = rf"^(#[0-9A-Fa-f]{{6}}|{_CSS})$"
_HEX_RE = re.compile(_HEX)
_CSS_RE = re.compile(_CSS)


def parse_colour(value: str) -> Rgb:
    """The three channels of a colour; raises ValueError for anything else."""
    if match := _HEX_RE.fullmatch(value):
        red, green, blue = (int(part, 16) for part in match.groups())
    elif match := _CSS_RE.fullmatch(value):
        red, green, blue = (int(part) for part in match.groups())
    else:
        raise ValueError(f'a colour is "#RRGGBB" or "rgb(r, g, b)", not {value!r}')
    return red, green, blue


def hex_colour(value: str) -> str:
    """`#rrggbb` (lower case), Google's only form; raises ValueError for a non-colour."""
    return "#" + "".join(f"{channel:02x}" for channel in parse_colour(value))


def css_rgb(value: str) -> str:
    """`rgb(r, g, b)`, Apple's only form; raises ValueError for a non-colour."""
    return "rgb({}, {}, {})".format(*parse_colour(value))


def relative_luminance(colour: Rgb) -> float:
    """WCAG 2.x relative luminance, 0 (black) to 1 (white).

    https://www.w3.org/TR/WCAG21/#dfn-relative-luminance (0.04045, sRGB's own
    threshold; the older 0.03928 gives the same result for 8-bit channels).
    """

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast(a: Rgb, b: Rgb) -> float:
    """WCAG contrast ratio of two colours (1 to 21)."""
    high, low = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
