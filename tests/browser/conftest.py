"""Real pages in Debian's Chromium (/usr/bin/chromium, installed by `make browser`).

The Python playwright package drives it over CDP; it never downloads a browser of
its own (`playwright install` cannot reach its CDN here). axe-core comes pinned
from tests/browser/package-lock.json. Screenshots go to tests/browser/output/.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

HERE = Path(__file__).resolve().parent
OUTPUT = HERE / "output"
CHROMIUM = "/usr/bin/chromium"
# The flags that work on this closed network (see the machine notes): without the
# background-networking ones Chromium keeps dialling Google's hosts.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERIOUS = {"serious", "critical"}


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.skip("Chromium is not installed at /usr/bin/chromium: run `make browser` as root")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, base_url: str, request: pytest.FixtureRequest):
    # bypass_csp: axe-core is injected as an inline script, which the pages' CSP refuses.
    context = browser.new_context(
        base_url=base_url, bypass_csp=True, **getattr(request, "param", {})
    )
    context.set_default_timeout(10_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda exc: errors.append(str(exc)))
    yield tab
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture(scope="session")
def axe_source(tmp_path_factory: pytest.TempPathFactory) -> str:
    """axe-core from tests/browser's lock file: `npm ci` once for all workers, if needed."""
    script = HERE / "node_modules" / "axe-core" / "axe.min.js"
    shared = tmp_path_factory.getbasetemp().parent
    with (shared / "npm-ci-browser.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not script.exists():
            if shutil.which("npm") is None:
                pytest.skip("npm is not installed: it installs the pinned axe-core")
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=HERE,
                check=True,
                capture_output=True,
                timeout=600,
            )
    return script.read_text(encoding="utf-8")


def check_accessibility(page, axe_source: str, name: str) -> None:
    """No serious or critical axe-core violation (WCAG 2.1 A and AA) on the page as it is now."""
    page.evaluate(axe_source)
    result = page.evaluate(
        "axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})"
    )
    OUTPUT.mkdir(exist_ok=True)
    (OUTPUT / f"{name}.axe.json").write_text(json.dumps(result["violations"], indent=2))
    serious = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]])
        for v in result["violations"]
        if v["impact"] in SERIOUS
    ]
    assert not serious, f"axe-core on {name}: {serious}"


def screenshot(page, name: str) -> None:
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


STAMP_PROGRAM = {
    "name": "Blue Bean Coffee",
    "kind": "stamps",
    "stamps": {"required": 8, "reward": {"name": "Free flat white"}},
    "welcome": {"stamps": 1},
    "birthday": {"reward": {"name": "Birthday muffin"}},
    "design": {
        "background_color": "#0B3D91",
        "foreground_color": "#FFFFFF",
        "label_color": "#FFD166",
        "logo_text": "Blue Bean",
    },
}


def create_program(base_url: str, token: str, document: dict | None = None) -> dict:
    response = httpx.post(
        f"{base_url}/v1/programs",
        json=document or STAMP_PROGRAM,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 201, response.text
    return response.json()


def enrol(base_url: str, program_id: str, email: str, name: str = "Ada Lovelace") -> dict:
    response = httpx.post(
        f"{base_url}/v1/programs/{program_id}/enrollments",
        json={"name": name, "email": email, "consent": {"terms": True}},
        timeout=30,
    )
    assert response.status_code in (200, 201), response.text
    return response.json()
