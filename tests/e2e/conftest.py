"""HTTP in, JSON out. Every response is also checked against /openapi.json."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import httpx
import jsonschema
import pytest


@lru_cache(maxsize=1)
def _contract() -> tuple[dict, list[tuple[str, re.Pattern[str], dict]]]:
    from chalicelib.web.openapi import document

    doc = document()
    routes = []
    for template, methods in doc["paths"].items():
        pattern = re.compile("^" + re.sub(r"{\w+}", r"[^/]+", template) + "$")
        for method, operation in methods.items():
            routes.append((method.upper(), pattern, operation))
    return doc, routes


def check_against_contract(response: httpx.Response) -> None:
    """The response's status is documented for its route and its body fits the schema."""
    doc, routes = _contract()
    request = response.request
    path = request.url.path
    matches = [
        op for method, pattern, op in routes if method == request.method and pattern.match(path)
    ]
    if not matches:
        # A documented path with another method is 405; anything else is no route at all.
        known = any(pattern.match(path) for _, pattern, _ in routes)
        assert response.status_code == (405 if known else 404), f"{request.method} {path}"
        return
    # The most specific template wins (a literal segment over a parameter).
    operation = matches[0]
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, f"{request.method} {path} answered {status}, not documented"
    content = documented[status].get("content", {}).get("application/json")
    if content and response.content:
        response.read()
        schema = {**content["schema"], "components": doc["components"]}
        jsonschema.validate(response.json(), schema)


@pytest.fixture
def client(base_url: str) -> Iterator[httpx.Client]:
    def hook(response: httpx.Response) -> None:
        response.read()
        check_against_contract(response)

    with httpx.Client(base_url=base_url, timeout=30, event_hooks={"response": [hook]}) as c:
        yield c
