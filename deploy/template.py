"""The template merged into `chalice package`'s: tables, queue, secrets, alarms.

Tables come from the pynamodb models (`_get_schema()` is what pynamodb itself
sends to CreateTable), so a new index in the code is a new index in the template.
The rest is what the code names through its environment: the dead-letter queue,
the three secrets (names only: their values are put by the operator, see
docs/deploy.md), and the outbox stream the delivery handler reads.
"""

from __future__ import annotations

import json
from typing import Any

from chalice.utils import to_cfn_resource_name
from pynamodb.attributes import TTLAttribute
from pynamodb.models import Model

from chalicelib.handlers.outbox import METRIC_NAMESPACE, OUTBOX_AGE_METRIC
from chalicelib.store import db
from chalicelib.store.models import ALL_MODELS, OutboxItem
from deploy.stage import Stage

Resource = dict[str, Any]

# The outbox is alarming when its oldest change has waited this long: the
# sweeper retries with backoff, so minutes are normal during an outage, not hours.
OUTBOX_AGE_ALARM_SECONDS = 15 * 60
DEAD_LETTER_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's maximum: time to re-drive

STREAM_HANDLER = "outbox_changed"
SECRETS = {
    "SECRETS_ID": ("ServiceSecret", "JWT signing key and barcode key (docs/deploy.md)"),
    "APPLE_SECRET_ID": ("AppleSecret", "Apple Pass Type ID certificate and WWDR intermediate"),
    "GOOGLE_SERVICE_ACCOUNT_SECRET_ID": ("GoogleSecret", "Google Wallet service-account key"),
}


def table_logical_id(model: type[Model]) -> str:
    return to_cfn_resource_name(db.base_name(model)) + "Table"


def _key_schema(keys: list[dict[str, str]]) -> list[dict[str, str]]:
    # pynamodb lists index keys in attribute order; CloudFormation wants HASH first.
    return sorted(keys, key=lambda key: key["KeyType"] != "HASH")


def _indexes(schema: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        {
            "IndexName": index["index_name"],
            "KeySchema": _key_schema(index["key_schema"]),
            "Projection": index["projection"],
        }
        for index in sorted(schema.get(kind, []), key=lambda index: index["index_name"])
    ]


def table(model: type[Model], stage: Stage) -> Resource:
    """One model's table as CloudFormation makes it: on demand, PITR, TTL and stream."""
    schema = model._get_schema()
    properties: dict[str, Any] = {
        "TableName": stage.table_prefix + db.base_name(model),
        "BillingMode": "PAY_PER_REQUEST",
        "AttributeDefinitions": sorted(
            schema["attribute_definitions"], key=lambda a: a["AttributeName"]
        ),
        "KeySchema": _key_schema(schema["key_schema"]),
        "PointInTimeRecoverySpecification": {"PointInTimeRecoveryEnabled": True},
        "DeletionProtectionEnabled": stage.name == "prod",
    }
    if gsis := _indexes(schema, "global_secondary_indexes"):
        properties["GlobalSecondaryIndexes"] = gsis
    if lsis := _indexes(schema, "local_secondary_indexes"):
        properties["LocalSecondaryIndexes"] = lsis
    ttl = [name for name, a in model.get_attributes().items() if isinstance(a, TTLAttribute)]
    if ttl:
        (attribute,) = ttl  # DynamoDB allows one TTL attribute per table
        properties["TimeToLiveSpecification"] = {"AttributeName": attribute, "Enabled": True}
    if view := getattr(model.Meta, "stream_view_type", None):
        properties["StreamSpecification"] = {"StreamViewType": view}
    # Members, balances and ledgers outlive any stack: deleting or replacing the
    # stack keeps the table, which can then be imported into the next one.
    return {
        "Type": "AWS::DynamoDB::Table",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": properties,
    }


def tables(stage: Stage) -> dict[str, Resource]:
    """Every model's table, by logical id."""
    return {table_logical_id(model): table(model, stage) for model in ALL_MODELS}


def _secret(secret_id: str, description: str) -> Resource:
    # No SecretString: CloudFormation fills a random placeholder, which the
    # operator replaces (docs/deploy.md). Retained: losing the barcode key would
    # void every pass in every wallet.
    return {
        "Type": "AWS::SecretsManager::Secret",
        "DeletionPolicy": "Retain",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"Name": secret_id, "Description": description},
    }


def _alarms(stage: Stage) -> dict[str, Resource]:
    actions = [{"Ref": "AlarmTopic"}]
    return {
        "AlarmTopic": {
            "Type": "AWS::SNS::Topic",
            "Properties": {"TopicName": f"{stage.prefix}-alarms"},
        },
        "AlarmEmailSubscription": {
            "Type": "AWS::SNS::Subscription",
            "Condition": "HasAlarmEmail",
            "Properties": {
                "TopicArn": {"Ref": "AlarmTopic"},
                "Protocol": "email",
                "Endpoint": {"Ref": "AlarmEmail"},
            },
        },
        "DeadLetterAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"{stage.prefix}-dead-letters",
                "AlarmDescription": (
                    "Changes gave up on after every retry are waiting in the dead-letter "
                    "queue: see docs/deploy.md, 'Dead letters'."
                ),
                "Namespace": "AWS/SQS",
                "MetricName": "ApproximateNumberOfMessagesVisible",
                "Dimensions": [
                    {"Name": "QueueName", "Value": {"Fn::GetAtt": ["DeadLetterQueue", "QueueName"]}}
                ],
                "Statistic": "Maximum",
                "Period": 300,
                "EvaluationPeriods": 1,
                "Threshold": 1,
                "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                "TreatMissingData": "notBreaching",
                "AlarmActions": actions,
                "OKActions": actions,
            },
        },
        "OutboxAgeAlarm": {
            "Type": "AWS::CloudWatch::Alarm",
            "Properties": {
                "AlarmName": f"{stage.prefix}-outbox-age",
                "AlarmDescription": (
                    "A balance change has not reached the phones for "
                    f"{OUTBOX_AGE_ALARM_SECONDS // 60} minutes, or the sweeper stopped reporting."
                ),
                "Namespace": METRIC_NAMESPACE,
                "MetricName": OUTBOX_AGE_METRIC,
                "Dimensions": [{"Name": "Stage", "Value": stage.name}],
                "Statistic": "Maximum",
                "Period": 60,
                "EvaluationPeriods": 5,
                "DatapointsToAlarm": 3,
                "Threshold": OUTBOX_AGE_ALARM_SECONDS,
                "ComparisonOperator": "GreaterThanThreshold",
                # The sweeper reports every minute: silence means it is broken.
                "TreatMissingData": "breaching",
                "AlarmActions": actions,
                "OKActions": actions,
            },
        },
    }


def function_logical_ids(app: Any) -> list[str]:
    """The Lambda functions `chalice package` makes for `app`, by their logical ids."""
    names = [source.name for source in app.event_sources]
    names += [function.name for function in app.pure_lambda_functions]
    ids = [to_cfn_resource_name(name) for name in names]
    return (["APIHandler"] if app.routes else []) + ids


# API Gateway answers some requests itself, before the API handler runs: a path or
# method with no route (403 "Missing Authentication Token"), a body over its 10 MB
# limit, a throttled burst, with {"message": ...}. Here they take API.md's error body
# and nosniff, as the local run gives them (localrun/wsgi.py).
GATEWAY_ERRORS: dict[str, tuple[int | None, str, str | None]] = {
    "MISSING_AUTHENTICATION_TOKEN": (404, "not_found", "No such route: check the method and path."),
    "REQUEST_TOO_LARGE": (413, "payload_too_large", "The body is too large."),
    "THROTTLED": (429, "too_many_requests", "Too many requests: wait and try again."),
    "DEFAULT_4XX": (None, "bad_request", None),  # None: the gateway's own status and message
    "DEFAULT_5XX": (None, "internal_error", None),
}


def gateway_responses() -> dict[str, Any]:
    """SAM's GatewayResponses of the API: every answer the gateway makes, in API.md's shape."""
    responses: dict[str, Any] = {}
    for kind, (status, code, message) in GATEWAY_ERRORS.items():
        text = json.dumps(message) if message else "$context.error.messageString"
        response: dict[str, Any] = {
            "ResponseTemplates": {
                "application/json": f'{{"error": {{"code": "{code}", "message": {text}}}}}'
            },
            "ResponseParameters": {
                "Headers": {
                    "Content-Type": "'application/json'",
                    "Cache-Control": "'no-store'",
                    "X-Content-Type-Options": "'nosniff'",
                }
            },
        }
        if status is not None:
            response["StatusCode"] = str(status)
        responses[kind] = response
    return responses


def images_bucket(stage: Stage) -> dict[str, Resource]:
    """The brand images' bucket: private, encrypted, versioned; TLS only.

    Kept when the stack goes (the owners' uploads are not ours to lose); a replaced
    object's earlier versions expire after 30 days.
    """
    return {
        "ImagesBucket": {
            "Type": "AWS::S3::Bucket",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "BucketName": stage.images_bucket,
                "BucketEncryption": {
                    "ServerSideEncryptionConfiguration": [
                        {
                            "ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                            "BucketKeyEnabled": True,
                        }
                    ]
                },
                "VersioningConfiguration": {"Status": "Enabled"},
                "PublicAccessBlockConfiguration": {
                    "BlockPublicAcls": True,
                    "BlockPublicPolicy": True,
                    "IgnorePublicAcls": True,
                    "RestrictPublicBuckets": True,
                },
                "OwnershipControls": {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]},
                "LifecycleConfiguration": {
                    "Rules": [
                        {
                            "Id": "replaced-images",
                            "Status": "Enabled",
                            "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
                            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
                        }
                    ]
                },
            },
        },
        "ImagesBucketPolicy": {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {
                "Bucket": {"Ref": "ImagesBucket"},
                "PolicyDocument": {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "TlsOnly",
                            "Effect": "Deny",
                            "Principal": "*",
                            "Action": "s3:*",
                            "Resource": [
                                {"Fn::GetAtt": ["ImagesBucket", "Arn"]},
                                {"Fn::Sub": "${ImagesBucket.Arn}/*"},
                            ],
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ],
                },
            },
        },
    }


def merge_template(stage: Stage, app: Any) -> dict[str, Any]:
    """What `chalice package --merge-template` adds to and overrides in its template."""
    resources = tables(stage)
    resources["DeadLetterQueue"] = {
        "Type": "AWS::SQS::Queue",
        "Properties": {
            "QueueName": stage.dead_letter_queue,
            "MessageRetentionPeriod": DEAD_LETTER_RETENTION_SECONDS,
            "SqsManagedSseEnabled": True,
        },
    }
    for variable, (logical_id, description) in SECRETS.items():
        resources[logical_id] = _secret(stage.secret_ids[variable], description)
    resources.update(_alarms(stage))
    resources.update(images_bucket(stage))

    # Deep-merged into Chalice's functions: every function may dead-letter.
    for logical_id in function_logical_ids(app):
        resources[logical_id] = {
            "Properties": {
                "Environment": {"Variables": {"DEAD_LETTER_QUEUE_URL": {"Ref": "DeadLetterQueue"}}}
            }
        }
    if app.routes:
        resources["RestAPI"] = {"Properties": {"GatewayResponses": gateway_responses()}}
    if stage.log_retention_in_days and app.routes:
        # Chalice 1.34 names the API handler's log group after `ApiHandler`, a
        # resource that does not exist (the function is `APIHandler`).
        resources["ApiHandlerLogGroup"] = {
            "Properties": {"LogGroupName": {"Fn::Sub": "/aws/lambda/${APIHandler}"}}
        }
    stream_handler = to_cfn_resource_name(STREAM_HANDLER)
    resources[stream_handler]["Properties"]["Events"] = {
        f"{stream_handler}DynamodbEventSource": {
            "Properties": {
                "Stream": {"Fn::GetAtt": [table_logical_id(OutboxItem), "StreamArn"]},
                # A failing batch is split and retried a little, then skipped: the
                # outbox item is still pending and the sweeper re-drives it.
                "MaximumRetryAttempts": 2,
                "BisectBatchOnFunctionError": True,
            }
        }
    }
    return {
        "Parameters": {
            "AlarmEmail": {
                "Type": "String",
                "Default": "",
                "Description": "Where alarms are mailed (confirm the mail); empty for none.",
            }
        },
        "Conditions": {"HasAlarmEmail": {"Fn::Not": [{"Fn::Equals": [{"Ref": "AlarmEmail"}, ""]}]}},
        "Resources": resources,
        "Outputs": {
            "DeadLetterQueueUrl": {"Value": {"Ref": "DeadLetterQueue"}},
            "ImagesBucket": {"Value": {"Ref": "ImagesBucket"}},
            "OutboxStreamArn": {
                "Value": {"Fn::GetAtt": [table_logical_id(OutboxItem), "StreamArn"]}
            },
        },
    }
