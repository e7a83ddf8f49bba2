"""What API Gateway answers itself, before the API handler runs, in the contract's body."""

from __future__ import annotations

import json

import pytest

from deploy import stage as stages
from deploy.template import merge_template

DEPLOYED = ("dev", "prod")


@pytest.mark.parametrize("name", DEPLOYED)
def test_the_gateways_own_errors_answer_in_the_contracts_body(name: str) -> None:
    from app import app

    api = merge_template(stages.load(name), app)["Resources"]["RestAPI"]["Properties"]
    responses = api["GatewayResponses"]

    # A path or method with no route is 404, as the local run answers, not 403.
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["StatusCode"] == "404"
    assert responses["REQUEST_TOO_LARGE"]["StatusCode"] == "413"
    for kind in ("MISSING_AUTHENTICATION_TOKEN", "REQUEST_TOO_LARGE", "DEFAULT_4XX", "DEFAULT_5XX"):
        template = responses[kind]["ResponseTemplates"]["application/json"]
        # API Gateway puts the message in quotes: "$context.error.messageString".
        body = json.loads(template.replace("$context.error.messageString", '"Forbidden"'))
        assert set(body["error"]) == {"code", "message"} and body["error"]["message"]
        headers = responses[kind]["ResponseParameters"]["Headers"]
        assert headers["X-Content-Type-Options"] == "'nosniff'"
