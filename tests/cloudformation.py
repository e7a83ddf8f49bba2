"""moto's CloudFormation served in this process, beside the embedded DynamoDB.

Both share moto's in-process backends, so a stack created here makes its tables
in the embedded DynamoDB: the test suite runs on tables made from the deploy
template (deploy/template.py), not on tables pynamodb made for itself.
"""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import boto3
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import make_server

from localrun.embedded_dynamodb import _QuietHandler, _Serialized


def serve_cloudformation() -> tuple[str, Any]:
    """Start moto's CloudFormation on a loopback port; its URL and its server."""
    app = _Serialized(create_backend_app("cloudformation"))
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=_QuietHandler)
    threading.Thread(target=server.serve_forever, name="cloudformation", daemon=True).start()
    host, port = server.server_address[:2]
    return f"http://{host}:{port}", server


def create_stack(url: str, name: str, resources: dict[str, Any], region: str) -> list[str]:
    """Create a stack of `resources` and wait for it; the physical ids it made."""
    client = boto3.client("cloudformation", endpoint_url=url, region_name=region)
    client.create_stack(
        StackName=name,
        TemplateBody=json.dumps({"AWSTemplateFormatVersion": "2010-09-09", "Resources": resources}),
    )
    deadline = time.monotonic() + 60
    while True:
        stack = client.describe_stacks(StackName=name)["Stacks"][0]
        if stack["StackStatus"] == "CREATE_COMPLETE":
            break
        if not stack["StackStatus"].endswith("IN_PROGRESS") or time.monotonic() > deadline:
            raise RuntimeError(f"stack {name}: {stack['StackStatus']}")
        time.sleep(0.05)
    made = client.describe_stack_resources(StackName=name)["StackResources"]
    return [resource["PhysicalResourceId"] for resource in made]
