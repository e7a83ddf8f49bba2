"""The stage's IAM policy: exactly the actions the code takes, on the resources it names.

`ACCESS` is the written record of what the code does to each table and index;
tests/e2e/test_iam_policy.py records every DynamoDB call of a broad run of the
service and fails if the code uses anything not listed here, or if something
listed here is never used. `python -m deploy policy --stage <s>` writes the
policy to `.chalice/policy-<s>.json`, which `chalice package` reads
(`autogen_policy: false`); a test fails if the file is stale.

ARNs name the stage's own tables, queue and secrets; region and account are
wildcards only because Chalice's policy file is static JSON.
"""

from __future__ import annotations

from typing import Any

from deploy.stage import Stage

# Transactions are authorised per item: a TransactWriteItems needs PutItem,
# UpdateItem, DeleteItem or ConditionCheckItem on each item's table, a
# TransactGetItems needs GetItem.
ACCESS: dict[str, tuple[str, ...]] = {
    "merchants": ("GetItem", "PutItem"),
    "staff": ("BatchGetItem", "GetItem", "PutItem", "UpdateItem"),
    "uniques": ("DeleteItem", "GetItem", "PutItem"),
    "programs": ("ConditionCheckItem", "GetItem", "PutItem", "UpdateItem"),
    "members": ("BatchGetItem", "GetItem", "PutItem", "UpdateItem"),
    "transactions": ("BatchGetItem", "GetItem", "PutItem", "Query", "UpdateItem"),
    "idempotency": ("GetItem", "PutItem"),
    "outbox": ("DeleteItem", "GetItem", "UpdateItem"),
    "login_attempts": ("UpdateItem",),
    "stats": ("Query", "UpdateItem"),
    "staff_days": ("UpdateItem",),
    "registrations": ("DeleteItem", "GetItem", "PutItem", "Query", "UpdateItem"),
    "jobs": ("GetItem", "PutItem", "UpdateItem"),
    "job_runs": ("GetItem", "PutItem"),
}
# Indexes are only ever queried.
INDEX_QUERIES: dict[str, tuple[str, ...]] = {
    "staff": ("by_email", "by_merchant"),
    "programs": ("by_merchant",),
    "members": ("by_birthday", "by_email", "by_expiry_due", "by_program", "by_tier_due"),
    "transactions": ("by_id", "by_staff"),
    "outbox": ("pending",),
    "staff_days": ("by_merchant",),
    "registrations": ("by_program", "by_serial"),
}
# The outbox's stream, read by the delivery handler's event source mapping.
STREAM_TABLE = "outbox"
STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator")


def _table_arn(stage: Stage, base: str) -> str:
    return f"arn:aws:dynamodb:*:*:table/{stage.table_prefix}{base}"


# The brand images' bucket: only the API reads and writes it (uploads, passes, the
# public image route); the delivery and job Lambdas never do.
IMAGE_ACTIONS = ("s3:DeleteObject", "s3:GetObject", "s3:PutObject")
API_FUNCTION = "api_handler"


def policy(stage: Stage, api: bool = False) -> dict[str, Any]:
    """The IAM policy document of `stage`'s Lambda role; `api`: the API Lambda's own."""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "Logs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": [
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{stage.prefix}-*",
                f"arn:aws:logs:*:*:log-group:/aws/lambda/{stage.prefix}-*:log-stream:*",
            ],
        }
    ]
    for base, actions in sorted(ACCESS.items()):
        table = _table_arn(stage, base)
        name = base.title().replace("_", "")
        statements.append(
            {
                "Sid": f"Table{name}",
                "Effect": "Allow",
                "Action": sorted(f"dynamodb:{action}" for action in actions),
                "Resource": table,
            }
        )
        if indexes := INDEX_QUERIES.get(base):
            statements.append(
                {
                    "Sid": f"Indexes{name}",
                    "Effect": "Allow",
                    "Action": "dynamodb:Query",
                    "Resource": [f"{table}/index/{index}" for index in indexes],
                }
            )
    # Lambda's poller needs ListStreams, which IAM cannot scope to one stream.
    statements += [
        {
            "Sid": "OutboxStream",
            "Effect": "Allow",
            "Action": list(STREAM_ACTIONS),
            "Resource": _table_arn(stage, STREAM_TABLE) + "/stream/*",
        },
        {
            "Sid": "ListStreams",
            "Effect": "Allow",
            "Action": "dynamodb:ListStreams",
            "Resource": "*",
        },
        {
            "Sid": "DeadLetters",
            "Effect": "Allow",
            # Sent by delivery; received and deleted by the redrive_dead_letters Lambda.
            "Action": ["sqs:DeleteMessage", "sqs:ReceiveMessage", "sqs:SendMessage"],
            "Resource": f"arn:aws:sqs:*:*:{stage.dead_letter_queue}",
        },
        {
            "Sid": "Mail",
            "Effect": "Allow",
            "Action": "ses:SendEmail",
            # SES authorises a send on the identity verified for the sender: the
            # address itself, or its domain when the domain is what was verified.
            "Resource": [
                f"arn:aws:ses:*:*:identity/{stage.mail_from}",
                f"arn:aws:ses:*:*:identity/{stage.mail_from.rpartition('@')[2]}",
            ],
        },
        {
            "Sid": "Secrets",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            # Secrets Manager appends six random characters to every secret's ARN.
            "Resource": [
                f"arn:aws:secretsmanager:*:*:secret:{secret_id}-??????"
                for secret_id in stage.secret_ids.values()
            ],
        },
    ]
    if api:
        statements.append(
            {
                "Sid": "BrandImages",
                "Effect": "Allow",
                "Action": list(IMAGE_ACTIONS),
                "Resource": f"arn:aws:s3:::{stage.images_bucket}/programs/*",
            }
        )
    return {"Version": "2012-10-17", "Statement": statements}
