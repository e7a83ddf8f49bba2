"""The counter's camera without BarcodeDetector: jsQR reads a pass's QR code from a fake camera.

Linux Chromium has no BarcodeDetector, so the page loads /static/vendor/jsQR.js
(built by `make static`). Chromium's fake capture device plays a Y4M file made
here from a real member's barcode, so the card must appear without typing.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import segno
from PIL import Image

from tests.browser.conftest import CHROMIUM, FLAGS, create_program, enrol, screenshot
from tests.browser.test_counter_page import sign_in
from tests.conftest import make_merchant

WIDTH, HEIGHT, FRAMES = 640, 480, 10
VENDOR = Path(__file__).resolve().parents[2] / "chalicelib/web/static/vendor/jsQR.js"


def write_y4m(text: str, path: Path) -> None:
    """A few identical frames of `text` as a QR code: YUV 4:2:0, grey (U and V at 128)."""
    qr = segno.make(text, error="m", micro=False)
    side = qr.symbol_size(scale=1, border=4)[0]
    code = Image.new("L", (side, side), 255)
    for y, row in enumerate(qr.matrix_iter(scale=1, border=4)):
        for x, dark in enumerate(row):
            if dark:
                code.putpixel((x, y), 0)
    scale = (HEIGHT - 40) // side
    code = code.resize((side * scale, side * scale), Image.Resampling.NEAREST)
    frame = Image.new("L", (WIDTH, HEIGHT), 255)
    frame.paste(code, ((WIDTH - code.width) // 2, (HEIGHT - code.height) // 2))
    luma = frame.tobytes()
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2))
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(FRAMES):
            out.write(b"FRAME\n" + luma + chroma + chroma)


def test_the_camera_reads_a_pass_with_jsqr(browser, base_url: str, tmp_path: Path) -> None:
    if not VENDOR.is_file():
        pytest.skip("jsQR is not built: run `make static` (make test does)")
    merchant = make_merchant()
    program = create_program(base_url, merchant.tokens["owner"])
    member = enrol(base_url, program["program_id"], "camera@example.com", name="Cam Era")
    video = tmp_path / "pass.y4m"
    write_y4m(member["barcode"], video)
    flags = [
        *FLAGS,
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    # A second Chromium of the session's playwright: the fake camera is a launch flag.
    camera = browser.browser_type.launch(executable_path=CHROMIUM, args=flags)
    try:
        context = camera.new_context(base_url=base_url)
        context.grant_permissions(["camera"], origin=base_url)
        context.set_default_timeout(15_000)
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        loaded: list[str] = []
        page.on("request", lambda r: loaded.append(r.url))
        sign_in(page, merchant, "barista")
        assert page.evaluate("'BarcodeDetector' in window") is False
        assert not any("jsQR" in url for url in loaded), "jsQR must load only on demand"

        page.get_by_role("button", name="Start camera").click()

        page.get_by_role("heading", name="Cam Era · Blue Bean Coffee").wait_for()
        page.get_by_text("1 / 8 stamps").wait_for()
        assert page.get_by_label("Code on the pass").input_value() == ""
        assert any(url.endswith("/static/vendor/jsQR.js") for url in loaded)
        screenshot(page, "counter-camera")
        assert not errors, f"JavaScript errors on the page: {errors}"
    finally:
        camera.close()
