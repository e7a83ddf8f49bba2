"""The embedded server's fast JSON answers are the ones moto's own serializer gives."""

from __future__ import annotations

import uuid

import boto3
import pytest

from localrun import embedded_dynamodb


@pytest.fixture(scope="module")
def dynamodb():
    server = embedded_dynamodb.EmbeddedDynamoDB()
    client = boto3.client("dynamodb", endpoint_url=server.start())
    client.create_table(
        TableName="json-check",
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
            {"AttributeName": "g", "AttributeType": "S"},
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield client
    server.stop()


def _calls(client, pk: str) -> list:
    """One of each data-plane operation, with every attribute type, returning boto3's answers."""
    item = {
        "pk": {"S": pk},
        "sk": {"S": "1"},
        "g": {"S": pk},
        "n": {"N": "12.50"},
        "b": {"B": b"\x00\xffbinary"},
        "ss": {"SS": ["a", "b"]},
        "ns": {"NS": ["1", "2"]},
        "bs": {"BS": [b"x", b"y"]},
        "m": {"M": {"deep": {"L": [{"S": "x"}, {"NULL": True}]}}},
        "t": {"BOOL": True},
    }
    key = {"pk": {"S": pk}, "sk": {"S": "1"}}
    answers = [
        client.put_item(TableName="json-check", Item=item, ReturnValues="ALL_OLD"),
        client.get_item(TableName="json-check", Key=key),
        client.update_item(
            TableName="json-check",
            Key=key,
            UpdateExpression="ADD n :one",
            ExpressionAttributeValues={":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        ),
        client.query(
            TableName="json-check",
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": {"S": pk}},
            Limit=1,
        ),
        client.query(
            TableName="json-check",
            IndexName="by_g",
            KeyConditionExpression="g = :g",
            ExpressionAttributeValues={":g": {"S": pk}},
        ),
        client.batch_get_item(RequestItems={"json-check": {"Keys": [key]}}),
        client.transact_get_items(TransactItems=[{"Get": {"TableName": "json-check", "Key": key}}]),
        client.transact_write_items(
            TransactItems=[{"Put": {"TableName": "json-check", "Item": {**key, "sk": {"S": "2"}}}}]
        ),
        client.batch_write_item(
            RequestItems={"json-check": [{"PutRequest": {"Item": {**key, "sk": {"S": "3"}}}}]}
        ),
        client.delete_item(TableName="json-check", Key=key, ReturnValues="ALL_OLD"),
        client.get_item(TableName="json-check", Key=key),
    ]
    for answer in answers:
        answer.pop("ResponseMetadata", None)
    return answers


def test_fast_answers_equal_motos_own_for_every_data_plane_operation(dynamodb):
    embedded_dynamodb.fast_json = False
    try:
        slow = _calls(dynamodb, f"slow-{uuid.uuid4().hex}")
    finally:
        embedded_dynamodb.fast_json = True
    fast = _calls(dynamodb, f"fast-{uuid.uuid4().hex}")

    assert _normalised(fast) == _normalised(slow)


def _normalised(answers: list) -> list:
    """The answers with the random partition keys replaced, to compare two runs."""
    import re

    return [re.sub(r"(slow|fast)-[0-9a-f]{32}", "PK", repr(a)) for a in answers]


def _queries(client, pk: str) -> list:
    """Table-key Queries of every shape: conditions, order, limits, pages, filters."""
    with_range = {"TableName": "json-check", "ExpressionAttributeValues": {":p": {"S": pk}}}
    answers = []
    for extra in (
        {"KeyConditionExpression": "pk = :p"},
        {"KeyConditionExpression": "pk = :p", "ScanIndexForward": False, "Limit": 3},
        {
            "KeyConditionExpression": "pk = :p AND sk BETWEEN :a AND :b",
            "ExpressionAttributeValues": {":p": {"S": pk}, ":a": {"S": "03"}, ":b": {"S": "07"}},
        },
        {
            "KeyConditionExpression": "pk = :p AND begins_with(sk, :a)",
            "ExpressionAttributeValues": {":p": {"S": pk}, ":a": {"S": "1"}},
        },
        {
            "KeyConditionExpression": "pk = :p",
            "FilterExpression": "n > :n",
            "ExpressionAttributeValues": {":p": {"S": pk}, ":n": {"N": "4"}},
        },
        {"KeyConditionExpression": "pk = :p", "Select": "COUNT"},
    ):
        answer = client.query(**{**with_range, **extra})
        answer.pop("ResponseMetadata", None)
        answers.append(answer)
    pages, start = [], None
    while True:
        page = client.query(
            **with_range,
            KeyConditionExpression="pk = :p",
            Limit=4,
            **({"ExclusiveStartKey": start} if start else {}),
        )
        pages.append([item["sk"]["S"] for item in page["Items"]])
        start = page.get("LastEvaluatedKey")
        if not start:
            break
    answers.append(pages)
    empty = client.query(
        TableName="json-check",
        KeyConditionExpression="pk = :p",
        ExpressionAttributeValues={":p": {"S": f"{pk}-none"}},
    )
    empty.pop("ResponseMetadata", None)
    answers.append(empty)
    return answers


def test_partition_queries_answer_as_motos_own_table_walk(dynamodb):
    pk = f"part-{uuid.uuid4().hex}"
    for n in range(12):
        dynamodb.put_item(
            TableName="json-check",
            Item={"pk": {"S": pk}, "sk": {"S": f"{n:02d}"}, "n": {"N": str(n)}, "g": {"S": "x"}},
        )
    for n in range(5):  # other partitions, which must never appear
        dynamodb.put_item(
            TableName="json-check",
            Item={"pk": {"S": f"{pk}-other{n}"}, "sk": {"S": "01"}, "g": {"S": "x"}},
        )

    embedded_dynamodb.fast_partition = False
    try:
        slow = _queries(dynamodb, pk)
    finally:
        embedded_dynamodb.fast_partition = True
    fast = _queries(dynamodb, pk)

    assert fast == slow
    assert fast[-2] == [
        ["00", "01", "02", "03"],
        ["04", "05", "06", "07"],
        ["08", "09", "10", "11"],
    ]
