"""The deploy template and the code agree: tables, stream, queue, secrets, alarms, policy.

The suite's own tables are made by CloudFormation from deploy/template.py
(tests/conftest.py), so every store test already runs on them; these tests check
what that cannot: the table details, and the resources the code names by string.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from deploy import stage as stages
from deploy.__main__ import main as deploy_main
from deploy.__main__ import policy_file, render
from deploy.policy import policy
from deploy.template import merge_template, table_logical_id
from tests.iam import allowed

DEPLOYED = ("dev", "prod")


def _keys(keys: list[dict[str, str]]) -> set[tuple[str, str]]:
    return {(key["AttributeName"], key["KeyType"]) for key in keys}


def _described_indexes(table: dict[str, Any]) -> dict[str, Any]:
    return {
        index["IndexName"]: (_keys(index["KeySchema"]), index["Projection"])
        for index in table.get("GlobalSecondaryIndexes", [])
    }


def _model_indexes(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        index["index_name"]: (_keys(index["key_schema"]), index["projection"])
        for index in schema["global_secondary_indexes"]
    }


def test_every_table_the_code_uses_exists_as_the_template_made_it(dynamodb_url: str) -> None:
    from chalicelib.store import db
    from chalicelib.store.models import ALL_MODELS

    # Nothing left for pynamodb to create: the template made every table the code names.
    assert db.create_tables() == []
    for model in ALL_MODELS:
        described = model.describe_table()
        schema = model._get_schema()
        name = model.Meta.table_name
        assert _keys(described["KeySchema"]) == _keys(schema["key_schema"]), name
        assert _described_indexes(described) == _model_indexes(schema), name
        assert described["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"


def test_the_outbox_table_streams_new_images_to_the_delivery_handler(dynamodb_url: str) -> None:
    from chalicelib.store.models import OutboxItem

    stream = OutboxItem.describe_table()["StreamSpecification"]
    assert stream == {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"}

    from app import app

    template = merge_template(stages.load("prod"), app)
    source = template["Resources"]["OutboxChanged"]["Properties"]["Events"]
    (mapping,) = source.values()
    assert mapping["Properties"]["Stream"] == {
        "Fn::GetAtt": [table_logical_id(OutboxItem), "StreamArn"]
    }


@pytest.mark.parametrize("name", DEPLOYED)
def test_deployed_tables_keep_data_and_recover_to_a_point_in_time(name: str) -> None:
    from app import app
    from chalicelib.store.models import ALL_MODELS, IdempotencyItem

    stage = stages.load(name)
    resources = merge_template(stage, app)["Resources"]
    for model in ALL_MODELS:
        table = resources[table_logical_id(model)]
        assert table["DeletionPolicy"] == table["UpdateReplacePolicy"] == "Retain"
        properties = table["Properties"]
        assert properties["TableName"].startswith(stage.table_prefix)
        assert properties["PointInTimeRecoverySpecification"] == {
            "PointInTimeRecoveryEnabled": True
        }
        assert properties["BillingMode"] == "PAY_PER_REQUEST"
    # Idempotency records lapse by TTL; nothing else holds them back.
    assert resources[table_logical_id(IdempotencyItem)]["Properties"][
        "TimeToLiveSpecification"
    ] == {"AttributeName": "expires_at", "Enabled": True}


@pytest.mark.parametrize("name", DEPLOYED)
def test_every_function_can_dead_letter_and_the_policy_lets_it(name: str) -> None:
    from app import app

    stage = stages.load(name)
    template = merge_template(stage, app)
    resources = template["Resources"]
    assert resources["DeadLetterQueue"]["Properties"]["QueueName"] == stage.dead_letter_queue
    functions = [
        "APIHandler",
        "SweepOutbox",
        "OutboxChanged",
        "ExpirePoints",
        "BirthdayRewards",
        "ReviewTiers",
        "CreateMerchant",
        "RedriveDeadLetters",
    ]
    for function in functions:
        variables = resources[function]["Properties"]["Environment"]["Variables"]
        assert variables["DEAD_LETTER_QUEUE_URL"] == {"Ref": "DeadLetterQueue"}
    queue_arn = f"arn:aws:sqs:eu-west-1:123456789012:{stage.dead_letter_queue}"
    assert allowed(policy(stage), "sqs:SendMessage", queue_arn)
    assert not allowed(policy(stage), "sqs:SendMessage", queue_arn + "-other")


@pytest.mark.parametrize("name", DEPLOYED)
def test_the_secrets_the_code_reads_are_named_in_the_template_without_values(name: str) -> None:
    from app import app

    stage = stages.load(name)
    resources = merge_template(stage, app)["Resources"]
    secrets = {
        r["Properties"]["Name"]: r
        for r in resources.values()
        if r.get("Type") == "AWS::SecretsManager::Secret"
    }
    assert set(secrets) == set(stage.secret_ids.values())
    for secret_id, secret in secrets.items():
        assert "SecretString" not in secret["Properties"]
        assert secret["DeletionPolicy"] == "Retain"
        # Secrets Manager's ARNs end in a dash and six random characters.
        arn = f"arn:aws:secretsmanager:eu-west-1:123456789012:secret:{secret_id}-Ab12Cd"
        assert allowed(policy(stage), "secretsmanager:GetSecretValue", arn)
        assert not allowed(policy(stage), "secretsmanager:PutSecretValue", arn)
    other = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:someone-else-Ab12Cd"
    assert not allowed(policy(stage), "secretsmanager:GetSecretValue", other)


def test_the_outbox_age_alarm_watches_the_metric_the_sweeper_prints(
    dynamodb_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from app import app
    from chalicelib.handlers import outbox as handlers

    alarm = merge_template(stages.load("prod"), app)["Resources"]["OutboxAgeAlarm"]["Properties"]
    handlers.report_backlog({"pending": 3, "oldest_age_seconds": 42.5})
    line = json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == alarm["Namespace"]
    assert alarm["MetricName"] in {metric["Name"] for metric in directive["Metrics"]}
    assert line[alarm["MetricName"]] == 42.5
    assert line["OutboxPending"] == 3
    # The alarm's dimension is the stage the sweeper reports; CloudWatch matches both.
    (dimension,) = alarm["Dimensions"]
    assert directive["Dimensions"] == [[dimension["Name"]]]
    assert dimension["Value"] == "prod" and line["Stage"] == "test"


@pytest.mark.parametrize("name", DEPLOYED)
def test_the_policy_files_chalice_packages_are_current(name: str) -> None:
    assert deploy_main(["policy", "--stage", name, "--check"]) == 0
    assert json.loads(policy_file(name).read_text()) == json.loads(
        render(policy(stages.load(name)))
    )


def test_the_local_stage_has_nothing_to_deploy() -> None:
    with pytest.raises(SystemExit, match="unknown stage 'local'"):
        stages.load("local")


@pytest.mark.parametrize("name", DEPLOYED)
def test_the_code_may_mail_from_the_stages_sender_and_nothing_else(name: str) -> None:
    stage = stages.load(name)
    domain = stage.mail_from.rpartition("@")[2]
    identity = "arn:aws:ses:eu-west-1:123456789012:identity/"

    assert allowed(policy(stage), "ses:SendEmail", identity + stage.mail_from)
    assert allowed(policy(stage), "ses:SendEmail", identity + domain)
    assert not allowed(policy(stage), "ses:SendEmail", identity + "someone@else.example")
    assert not allowed(policy(stage), "ses:CreateEmailIdentity", identity + stage.mail_from)
