"""Objects in S3: the brand images' bucket (IMAGES_BUCKET).

A deployed stage reaches AWS's S3 (the bucket is the template's: private,
encrypted, versioned; the API Lambda may get, put and delete in it and nothing
else). The local run and the tests reach moto's S3, embedded in their process at
`S3_ENDPOINT`, through this same client.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

from chalicelib.config import settings
from chalicelib.root import per_root


@per_root
def _client() -> Any:
    config = settings()
    return boto3.client(
        "s3",
        region_name=config.region,
        endpoint_url=config.s3_endpoint,
        # Path-style for an endpoint of our own (moto's on 127.0.0.1 has no bucket
        # subdomains); AWS's virtual-hosted style otherwise.
        config=Config(
            s3={"addressing_style": "path" if config.s3_endpoint else "auto"},
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )


def put(key: str, data: bytes, content_type: str) -> None:
    """Store `data` at `key`; S3's refusal propagates (botocore's ClientError)."""
    _client().put_object(
        Bucket=settings().images_bucket, Key=key, Body=data, ContentType=content_type
    )


def get(key: str) -> bytes | None:
    """The object at `key`, or None when there is none."""
    try:
        answer = _client().get_object(Bucket=settings().images_bucket, Key=key)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
            return None
        raise
    data: bytes = answer["Body"].read()
    return data


def delete(keys: list[str]) -> None:
    """Delete the objects at `keys` (a versioned bucket keeps their earlier versions)."""
    for key in keys:
        _client().delete_object(Bucket=settings().images_bucket, Key=key)


def create_bucket() -> None:
    """Create the bucket, for the local run and the tests (a deployed one is the template's)."""
    config = settings()
    client = _client()
    try:
        client.create_bucket(
            Bucket=config.images_bucket,
            CreateBucketConfiguration={"LocationConstraint": config.region},
        )
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in (
            "BucketAlreadyOwnedByYou",
            "BucketAlreadyExists",
        ):
            raise
    client.put_bucket_versioning(
        Bucket=config.images_bucket, VersioningConfiguration={"Status": "Enabled"}
    )
