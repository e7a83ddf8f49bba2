"""The brand images' bucket: the template's bucket, the API's policy, and moto's S3.

The integration half runs blobs.py, the production client, against moto's S3
(tests/conftest.py serves it and creates the bucket as the local run does).
"""

from __future__ import annotations

import json
import uuid

import pytest

from app import app
from chalicelib import blobs
from deploy import stage as stages
from deploy.__main__ import policy_file, render
from deploy.policy import API_FUNCTION, policy
from deploy.stage import CONFIG
from deploy.template import merge_template
from tests.iam import allowed

DEPLOYED = ("dev", "prod")


@pytest.mark.parametrize("name", DEPLOYED)
def test_the_bucket_is_private_encrypted_versioned_and_tls_only(name: str) -> None:
    stage = stages.load(name)

    resources = merge_template(stage, app)["Resources"]

    bucket = resources["ImagesBucket"]["Properties"]
    assert bucket["BucketName"] == stage.images_bucket
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    rule = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert all(bucket["PublicAccessBlockConfiguration"].values())
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (deny,) = resources["ImagesBucketPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert resources["ImagesBucket"]["DeletionPolicy"] == "Retain"


@pytest.mark.parametrize("name", DEPLOYED)
def test_only_the_api_lambda_may_read_write_and_delete_images(name: str) -> None:
    stage = stages.load(name)
    objects = f"arn:aws:s3:::{stage.images_bucket}/programs/p1/logo/abc/logo.png"
    config = json.loads(CONFIG.read_text())["stages"][name]

    api, others = policy(stage, api=True), policy(stage)

    for action in ("s3:GetObject", "s3:PutObject", "s3:DeleteObject"):
        assert allowed(api, action, objects)
        assert not allowed(others, action, objects)
    assert not allowed(api, "s3:GetObject", "arn:aws:s3:::another-bucket/programs/x")
    assert not allowed(api, "s3:PutBucketPolicy", f"arn:aws:s3:::{stage.images_bucket}")
    assert (
        config["lambda_functions"][API_FUNCTION]["iam_policy_file"]
        == policy_file(name, api=True).name
    )
    assert json.loads(policy_file(name, api=True).read_text()) == json.loads(
        render(policy(stage, api=True))
    )


def test_an_object_goes_in_comes_back_and_goes(dynamodb_url: str) -> None:
    key = f"programs/{uuid.uuid4().hex}/logo/0123456789abcdef/logo.png"

    blobs.put(key, b"\x89PNG bytes", "image/png")
    read = blobs.get(key)
    blobs.delete([key])

    assert read == b"\x89PNG bytes"
    assert blobs.get(key) is None


def test_a_missing_object_is_none_not_an_error(dynamodb_url: str) -> None:
    assert blobs.get(f"programs/{uuid.uuid4().hex}/icon/none/icon.png") is None
