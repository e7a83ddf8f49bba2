"""The console's brand images: upload a logo, see it, refuse a bad file, go back."""

from __future__ import annotations

import httpx
import pytest

from tests import brand_samples as samples
from tests.browser.conftest import check_accessibility, create_program, screenshot
from tests.browser.test_console_page import DESKTOP, sign_in
from tests.conftest import Merchant, make_merchant


@pytest.fixture
def owner(base_url: str) -> Merchant:
    return make_merchant()


@pytest.mark.parametrize("page", [DESKTOP], indirect=True)
def test_the_owner_uploads_a_logo_and_goes_back_to_the_generated_one(
    page, base_url: str, owner: Merchant, axe_source: str, tmp_path
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    logo = tmp_path / "logo.png"
    logo.write_bytes(samples.png())
    sign_in(page, owner)
    page.locator("#brand-images").get_by_label("Program").select_option(program["program_id"])
    page.get_by_role("heading", name="Logo", exact=True).wait_for()

    page.get_by_label("Upload a new logo").set_input_files(str(logo))
    page.get_by_text("The logo is uploaded").wait_for()

    listed = httpx.get(
        f"{base_url}/v1/programs/{program['program_id']}/images",
        headers=owner.auth("owner"),
    ).json()
    assert listed["logo"]["uploaded"] is True
    assert page.get_by_text("Your upload.").count() == 1
    screenshot(page, "console-images")
    check_accessibility(page, axe_source, "console-images")

    page.get_by_role("button", name="Use the generated image").first.click()
    page.get_by_text("The generated logo is back.").wait_for()
    listed = httpx.get(
        f"{base_url}/v1/programs/{program['program_id']}/images",
        headers=owner.auth("owner"),
    ).json()
    assert listed["logo"]["uploaded"] is False


def test_a_file_that_is_not_an_image_is_refused_in_plain_words(
    page, base_url: str, owner: Merchant, tmp_path
) -> None:
    program = create_program(base_url, owner.tokens["owner"])
    fake = tmp_path / "logo.png"
    fake.write_bytes(samples.TEXT)
    sign_in(page, owner)
    page.locator("#brand-images").get_by_label("Program").select_option(program["program_id"])

    page.get_by_label("Upload a new strip").set_input_files(str(fake))

    page.get_by_text("not a PNG, JPEG or WebP").wait_for()
