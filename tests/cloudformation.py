"""Creating a CloudFormation stack and waiting for it, at any endpoint.

The tests serve moto's CloudFormation beside the embedded DynamoDB
(`localrun.embedded_dynamodb.EmbeddedService`); both share moto's in-process
backends, so a stack created there makes its tables in the embedded DynamoDB: the
test suite runs on tables made from the deploy template (deploy/template.py), not
on tables pynamodb made for itself.
"""

from __future__ import annotations

import json
import time
from typing import Any

import boto3


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
