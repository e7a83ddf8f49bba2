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
import json
import re
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from chalice.app import Response

from chalicelib import i18n
from chalicelib.config import settings
from chalicelib.domain import colours, languages
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


def page_language(call: Call, default: str) -> str:
    """The page's language: the switcher's `?lang=`, else the browser's Accept-Language,
    else `default` (the program's)."""
    query: dict[str, str] = dict(call.request.query_params or {})
    headers = call.request.headers
    wanted = [query["lang"]] if query.get("lang") else []
    wanted += languages.preferred(headers.get("accept-language"))
    return languages.pick(wanted, languages.LANGUAGES, default)


def _missing(call: Call) -> Response:
    said = i18n.words(page_language(call, languages.DEFAULT))
    return _filled(i18n.translated(_read("missing.html"), said), 404, lang=said.language)


# Each language named in itself, for the switcher.
_AUTONYMS = {
    "en": "English",
    "fr": "Français",
    "de": "Deutsch",
    "es": "Español",
    "it": "Italiano",
    "nl": "Nederlands",
    "pt": "Português",
}


def _switcher(language: str) -> str:
    links = []
    for other in languages.LANGUAGES:
        current = ' aria-current="true"' if other == language else ""
        links.append(
            f'<a href="?lang={other}" lang="{other}" hreflang="{other}"{current}>'
            f"{html.escape(_AUTONYMS[other])}</a>"
        )
    return "".join(links)


def rules(program: Program, said: i18n.Words) -> list[str]:
    """The program's rules as the join page lists them, in the words' language."""
    language = said.language
    lines = []
    if program.stamps is not None:
        lines.append(
            said.gettext("Collect {required} stamps and get: {reward}.").format(
                required=program.stamps.required, reward=program.reward_in(language)
            )
        )
    if program.points is not None:
        points = program.points
        lines.append(
            said.gettext("Earn {rate} points for every {money} you spend.").format(
                rate=said.number(points.per_unit), money=said.money(1, points.currency)
            )
        )
        lines.extend(
            said.gettext("{item}: {cost} points.").format(
                item=program.item_in(item, language), cost=item.cost
            )
            for item in points.catalog
        )
    for tier in program.tiers_by_threshold:
        line = (
            said.gettext("{tier} tier from {threshold} stamps: earn ×{multiplier}.")
            if program.kind == "stamps"
            else said.gettext("{tier} tier from {threshold} points: earn ×{multiplier}.")
        )
        lines.append(
            line.format(
                tier=program.tier_in(tier.name, language),
                threshold=tier.threshold,
                multiplier=said.number(tier.multiplier),
            )
        )
    if program.welcome is not None:
        if program.welcome.stamps:
            gift = said.ngettext(
                "Welcome gift: {count} stamp.",
                "Welcome gift: {count} stamps.",
                program.welcome.stamps,
            ).format(count=program.welcome.stamps)
        else:
            count = program.welcome.points or 0
            gift = said.ngettext(
                "Welcome gift: {count} point.", "Welcome gift: {count} points.", count
            ).format(count=count)
        lines.append(gift)
    if program.birthday is not None:
        lines.append(
            said.gettext("Birthday treat: {reward}.").format(reward=program.birthday.reward.name)
        )
    if program.reward_valid_days:
        lines.append(
            said.ngettext(
                "Rewards are valid for {days} day.",
                "Rewards are valid for {days} days.",
                program.reward_valid_days,
            ).format(days=program.reward_valid_days)
        )
    return lines


@api.route(
    "/join/{program_id}",
    "GET",
    summary="Enrolment page of a program, in the language of `?lang=` or Accept-Language",
    errors=(404,),
    bad_path=lambda: _filled(
        i18n.translated(_read("missing.html"), i18n.words(languages.DEFAULT)),
        404,
        lang=languages.DEFAULT,
    ),
)
def join(call: Call, program_id: str) -> Response:
    try:
        program = program_of(programs.load_program(program_id))
    except NotFound:
        return _missing(call)
    said = i18n.words(page_language(call, program.default_language))
    language = said.language
    _, bg, fg = _colours_of(program)
    name = program.name_in(language)
    if program.status == "closed":
        # The form would only end in 409 program_closed: say so at once.
        return _filled(
            i18n.translated(_read("closed.html"), said), title=name, bg=bg, fg=fg, lang=language
        )
    # A birthday is asked for only where it earns something: no data without a purpose.
    birthday = ""
    if program.birthday is not None:
        treat = said.gettext("(optional, for a birthday treat: {treat})").format(
            treat=program.birthday.reward.name
        )
        birthday = _read("join-birthday.html").replace("{{treat}}", html.escape(treat, quote=True))
    body = i18n.translated(_read("join.html").replace("{{birthday_field}}", birthday), said)
    items = "".join(f"<li>{html.escape(line)}</li>" for line in rules(program, said))
    body = body.replace("{{rules}}", items).replace("{{switcher}}", _switcher(language))
    # In a <script> block, "</" would end it: JSON may escape the slash.
    messages = json.dumps({"language": language, "messages": said.catalogue()}).replace(
        "</", "<\\/"
    )
    body = body.replace("{{messages}}", messages)
    response = _filled(
        body,
        program_id=program_id,
        title=name,
        page_title=said.gettext("Join {program}").format(program=name),
        bg=bg,
        fg=fg,
        lang=language,
    )
    # The page differs by the browser's languages: caches must key on them.
    response.headers["Vary"] = "Accept-Language"
    response.headers["Content-Language"] = language
    return response


@api.route(
    "/i18n/{lang}",
    "GET",
    summary="The service's words in a language, for the pages' scripts (static/i18n.js)",
)
def messages(call: Call, lang: str) -> Response:
    said = i18n.words(languages.pick([lang], languages.LANGUAGES, languages.DEFAULT))
    body = json.dumps({"language": said.language, "messages": said.catalogue()})
    return _text(body, "application/json", ASSET_CACHE)


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
