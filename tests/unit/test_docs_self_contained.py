"""The README, the docs and the pages send a reader only to what they have."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
READ_BY_USERS = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("*.md")),
    *sorted((ROOT / "chalicelib" / "web" / "static").glob("*.*")),
]


@pytest.mark.parametrize("path", READ_BY_USERS, ids=lambda p: p.name)
def test_nothing_points_outside_the_repository(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    assert "../shared" not in text
    assert "API.md" not in text


@pytest.mark.parametrize("path", [p for p in READ_BY_USERS if p.suffix == ".md"], ids=str)
def test_every_relative_link_of_the_docs_leads_to_a_file(path: Path) -> None:
    text = path.read_text(encoding="utf-8")

    targets = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)

    missing = [t for t in targets if not (path.parent / t).exists()]
    assert not missing
