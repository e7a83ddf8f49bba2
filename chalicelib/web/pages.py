"""The web pages: enrolment (/join), the counter scanner (/staff), the owner console (/admin).

Plain HTML, CSS and JS from `static/`, no framework. The one build step, `make
static`, copies pinned third-party scripts (jsQR, the scanner's fallback QR
decoder) from web-build/ into `static/vendor/`, git-ignored. A deployed
stage serves them from this same Lambda behind API Gateway (no bucket, no CDN):
each file is a few kilobytes, Chalice packages `chalicelib/` whole, and the
pages then call the public JSON API on the same origin, so no CORS is needed.
"""

from __future__ import annotations

import html
import io
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib.config import settings
from chalicelib.domain import colours
from chalicelib.domain.program import Program
from chalicelib.errors import NotFound
from chalicelib.services import programs
from chalicelib.services.programs import program_of
from chalicelib.web.routing import Api, Call

# Pillow and segno draw the poster alone: imported there, not on every cold start.
if TYPE_CHECKING:
    from PIL import ImageFont

api = Api(__name__, tag="pages")

STATIC = Path(__file__).resolve().parent / "static"
TYPES = {".html": "text/html", ".js": "text/javascript", ".css": "text/css"}
ASSET = re.compile(r"^[a-z][a-z0-9-]*\.(js|css)$")
# What `make static` puts in static/vendor/: served by name from this list only.
VENDOR = frozenset({"jsQR.js"})
# Pages revalidate on every load (they name the assets); assets may be reused
# for five minutes, so a deploy reaches every open tablet within that.
PAGE_CACHE = "no-cache"
ASSET_CACHE = "public, max-age=300"
# Inline styles only for the program's colours; scripts only from this origin.
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'"
)
DEFAULT_BG, DEFAULT_FG = "#1F2937", "#FFFFFF"


@lru_cache(maxsize=16)
def _read(name: str) -> str:
    return (STATIC / name).read_text(encoding="utf-8")


def _text(body: str, content_type: str, cache: str, status: int = 200) -> Response:
    headers: dict[str, str | list[str]] = {
        "Content-Type": f"{content_type}; charset=utf-8",
        "Cache-Control": cache,
        "X-Content-Type-Options": "nosniff",
    }
    if content_type == "text/html":
        headers["Content-Security-Policy"] = CSP
        headers["Referrer-Policy"] = "same-origin"
    return Response(body=body, status_code=status, headers=headers)


def _page(file: str, status: int = 200, **fields: str) -> Response:
    return _filled(_read(file), status, **fields)


def _filled(body: str, status: int = 200, **fields: str) -> Response:
    for key, value in fields.items():
        body = body.replace("{{" + key + "}}", html.escape(value, quote=True))
    return _text(body, "text/html", PAGE_CACHE, status)


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two design colours (1 to 21)."""
    return colours.contrast(colours.parse_colour(a), colours.parse_colour(b))


def _colours(program_id: str) -> tuple[str, str, str]:
    return _colours_of(program_of(programs.load_program(program_id)))


def _colours_of(program: Program) -> tuple[str, str, str]:
    """The program's name and pass colours; the text colour falls back to one with AA contrast."""
    design = program.design
    bg = (design.background_color if design else None) or DEFAULT_BG
    fg = (design.foreground_color if design else None) or DEFAULT_FG
    if contrast(bg, fg) < 4.5:
        fg = "#000000" if contrast(bg, "#000000") >= contrast(bg, "#FFFFFF") else "#FFFFFF"
    return program.name, bg, fg


def join_url(program_id: str) -> str:
    return f"{settings().public_base_url.rstrip('/')}/join/{program_id}"


@api.route(
    "/join/{program_id}",
    "GET",
    summary="Enrolment page of a program",
    errors=(404,),
    bad_path=lambda: _page("missing.html", 404),
)
def join(call: Call, program_id: str) -> Response:
    try:
        program = program_of(programs.load_program(program_id))
    except NotFound:
        return _page("missing.html", 404)
    name, bg, fg = _colours_of(program)
    if program.status == "closed":
        # The form would only end in 409 program_closed: say so at once.
        return _page("closed.html", title=name, bg=bg, fg=fg)
    # A birthday is asked for only where it earns something: no data without a purpose.
    birthday = ""
    if program.birthday is not None:
        birthday = _read("join-birthday.html").replace(
            "{{treat}}", html.escape(program.birthday.reward.name, quote=True)
        )
    body = _read("join.html").replace("{{birthday_field}}", birthday)
    return _filled(body, program_id=program_id, title=name, bg=bg, fg=fg)


@api.route(
    "/join/{program_id}/poster.png",
    "GET",
    summary="A printable counter poster: the program's name and its join link as a QR code",
    errors=(404,),
    content_type="image/png",
)
def poster(call: Call, program_id: str) -> Response:
    name, bg, fg = _colours(program_id)
    data = render_poster(name, join_url(program_id), bg, fg)
    return Response(
        body=data,
        status_code=200,
        headers={"Content-Type": "image/png", "Cache-Control": "public, max-age=300"},
    )


def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    from PIL import ImageFont

    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
    ):
        if Path(path).exists():
            return ImageFont.truetype(path, size)
    return ImageFont.load_default(size)


def render_poster(name: str, url: str, bg: str, fg: str) -> bytes:
    """An A4 portrait poster at 150 dpi (1240 x 1754): a colour band, the name, the QR code."""
    import segno
    from PIL import Image, ImageDraw

    width, height = 1240, 1754
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width, 420), fill=colours.parse_colour(bg))
    title = _font(88 if len(name) <= 18 else 60)
    draw.text((width / 2, 210), name, font=title, fill=colours.parse_colour(fg), anchor="mm")
    draw.text((width / 2, 560), "Join our loyalty card", font=_font(64), fill="black", anchor="mm")
    # Error correction M, quiet zone of 4 modules, as the QR spec asks.
    qr = segno.make(url, error="m", micro=False)
    side = int(qr.symbol_size(scale=1, border=4)[0])  # segno types a size as int | float
    scale = 760 // side
    code = Image.new("1", (side, side), 1)
    for y, row in enumerate(qr.matrix_iter(scale=1, border=4)):
        for x, dark in enumerate(row):
            if dark:
                code.putpixel((x, y), 0)
    code = code.resize((side * scale, side * scale), Image.Resampling.NEAREST)
    image.paste(code, ((width - code.width) // 2, 660))
    below = 660 + code.height + 60
    draw.text(
        (width / 2, below), "Scan with your phone camera", font=_font(48), fill="black", anchor="mm"
    )
    draw.text((width / 2, below + 80), url, font=_font(30), fill="#333333", anchor="mm")
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@api.route("/staff", "GET", summary="The counter scanner page")
def staff_page(call: Call) -> Response:
    return _page("staff.html")


@api.route("/admin", "GET", summary="The owner console page")
def admin_page(call: Call) -> Response:
    return _page("admin.html")


@api.route("/static/{asset}", "GET", summary="A page's script or style sheet", errors=(404,))
def asset(call: Call, asset: str) -> Response:
    if not ASSET.match(asset) or not (STATIC / asset).is_file():
        raise NotFound("No such file.")
    return _text(_read(asset), TYPES[Path(asset).suffix], ASSET_CACHE)


@api.route(
    "/static/vendor/{asset}",
    "GET",
    summary="A pinned third-party script of the pages (built by `make static`)",
    errors=(404,),
)
def vendor_asset(call: Call, asset: str) -> Response:
    name = f"vendor/{asset}"
    if asset not in VENDOR or not (STATIC / name).is_file():
        raise NotFound("No such file: `make static` builds the vendor scripts.")
    return _text(_read(name), TYPES[Path(asset).suffix], ASSET_CACHE)
