"""The embedded server's fast JSON answers are the ones moto's own serializer gives."""

from __future__ import annotations

import uuid

import boto3
import pytest

from localrun import embedded_dynamodb
from localrun.embedded_dynamodb import json_body, queries


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
    json_body.fast_json = False
    try:
        slow = _calls(dynamodb, f"slow-{uuid.uuid4().hex}")
    finally:
        json_body.fast_json = True
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

    queries.fast_partition = False
    try:
        slow = _queries(dynamodb, pk)
    finally:
        queries.fast_partition = True
    fast = _queries(dynamodb, pk)

    assert fast == slow
    assert fast[-2] == [
        ["00", "01", "02", "03"],
        ["04", "05", "06", "07"],
        ["08", "09", "10", "11"],
    ]


# Index Queries: moto is handed only the stretch of the index it would walk.

INDEXED_ATTRIBUTES = [
    {"AttributeName": name, "AttributeType": kind}
    for name, kind in (("pk", "S"), ("sk", "S"), ("g", "S"), ("r", "S"), ("n", "N"), ("lr", "S"))
]
INDEXES = [
    ("by_g_r", [("g", "HASH"), ("r", "RANGE")], {"ProjectionType": "KEYS_ONLY"}),
    (
        "by_r_g",
        [("r", "HASH"), ("g", "RANGE")],
        {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x", "y"]},
    ),
    (
        "by_g_n",
        [("g", "HASH"), ("n", "RANGE")],
        {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
    ),
    ("by_g", [("g", "HASH")], {"ProjectionType": "ALL"}),
    ("by_n_r", [("n", "HASH"), ("r", "RANGE")], {"ProjectionType": "ALL"}),
]


def _create_indexed(client, name: str) -> None:
    """A table with sparse GSIs of every projection (string, number, no range) and an LSI."""
    client.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=INDEXED_ATTRIBUTES,
        GlobalSecondaryIndexes=[
            {
                "IndexName": index,
                "KeySchema": [{"AttributeName": a, "KeyType": k} for a, k in schema],
                "Projection": projection,
            }
            for index, schema, projection in INDEXES
        ],
        LocalSecondaryIndexes=[
            {
                "IndexName": "by_lr",
                "KeySchema": [
                    {"AttributeName": "pk", "KeyType": "HASH"},
                    {"AttributeName": "lr", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _indexed_items() -> list[dict]:
    """Sixty items, the same every run: ties on the index ranges, some lacking index keys."""
    import random

    rng = random.Random(7)  # noqa: S311 - the same data set every run
    items = []
    for i in range(60):
        item = {"pk": {"S": f"p{i % 4}"}, "sk": {"S": f"{i:03d}"}, "x": {"S": f"x{i}"}}
        if rng.random() < 0.85:
            item["g"] = {"S": rng.choice("abc")}
        if rng.random() < 0.8:
            item["r"] = {"S": rng.choice(["r0", "r1", "r2", "r3", "q1", "q2", "s"])}
        if rng.random() < 0.8:
            item["n"] = {"N": rng.choice(["-3", "0", "2.5", "7", "10", "100"])}
        if rng.random() < 0.7:
            item["lr"] = {"S": rng.choice(["l1", "l2", "m"])}
        if rng.random() < 0.5:
            item["y"] = {"N": rng.choice([str(i), f"0{i}", f"{i}e0"])}  # spelled variously
        items.append(item)
    return items


def _answer(client, **request) -> dict:
    answer = client.query(**request)
    answer.pop("ResponseMetadata", None)
    return answer


def _every_page(client, **request) -> list[dict]:
    pages, start = [], request.pop("ExclusiveStartKey", None)
    while True:
        page = _answer(client, **request, **({"ExclusiveStartKey": start} if start else {}))
        pages.append(page)
        start = page.get("LastEvaluatedKey")
        if not start:
            return pages


def _index_queries(client, table: str) -> list:
    """Index Queries of every shape: projections, conditions, order, pages, filters, counts."""
    answers: list = []
    shapes: list[tuple[str, str, dict, list[tuple[str, dict]]]] = [
        # index, hash condition, its values, range conditions with their values
        (
            "by_g_r",
            "g = :h",
            {":h": {"S": "a"}},
            [
                ("begins_with(r, :a)", {":a": {"S": "q"}}),
                ("r BETWEEN :a AND :b", {":a": {"S": "r1"}, ":b": {"S": "r3"}}),
                ("r < :a", {":a": {"S": "r2"}}),
                ("r > :a", {":a": {"S": "r2"}}),
                ("r <= :a", {":a": {"S": "r1"}}),
                ("r >= :a", {":a": {"S": "r1"}}),
            ],
        ),
        (
            "by_g_n",
            "g = :h",
            {":h": {"S": "b"}},
            [
                ("n BETWEEN :a AND :b", {":a": {"N": "-3"}, ":b": {"N": "7"}}),
                ("n < :a", {":a": {"N": "2.5"}}),
                ("n > :a", {":a": {"N": "0"}}),
            ],
        ),
        ("by_g", "g = :h", {":h": {"S": "c"}}, []),
        ("by_r_g", "r = :h", {":h": {"S": "r1"}}, [("g > :a", {":a": {"S": "a"}})]),
        ("by_n_r", "n = :h", {":h": {"N": "7"}}, [("begins_with(r, :a)", {":a": {"S": "r"}})]),
        ("by_lr", "pk = :h", {":h": {"S": "p1"}}, [("lr > :a", {":a": {"S": "l1"}})]),
        ("by_g_r", "g = :h", {":h": {"S": "none"}}, []),
    ]
    for index, hash_condition, hash_values, ranges in shapes:
        base = {
            "TableName": table,
            "IndexName": index,
            "KeyConditionExpression": hash_condition,
            "ExpressionAttributeValues": hash_values,
        }
        answers.append(_answer(client, **base))
        answers.append(_answer(client, **base, ScanIndexForward=False))
        answers.append(_every_page(client, **base, Limit=3))
        answers.append(_every_page(client, **base, Limit=3, ScanIndexForward=False))
        answers.append(_every_page(client, **base, Limit=4, Select="COUNT"))
        answers.append(
            _every_page(
                client,
                **{**base, "ExpressionAttributeValues": {**hash_values, ":y": {"N": "20"}}},
                Limit=3,
                FilterExpression="attribute_not_exists(y) OR y > :y",
            )
        )
        for condition, values in ranges:
            ranged = {
                **base,
                "KeyConditionExpression": f"{hash_condition} AND {condition}",
                "ExpressionAttributeValues": {**hash_values, **values},
            }
            answers.append(_answer(client, **ranged))
            answers.append(_every_page(client, **ranged, Limit=2))
            answers.append(_every_page(client, **ranged, Limit=2, ScanIndexForward=False))
    answers.append(
        _every_page(
            client,
            TableName=table,
            IndexName="by_g",
            KeyConditionExpression="g = :h",
            ExpressionAttributeValues={":h": {"S": "a"}},
            ProjectionExpression="pk, x",
            Limit=5,
        )
    )
    answers.append(
        _every_page(
            client,
            TableName=table,
            IndexName="by_g_r",
            KeyConditions={
                "g": {"AttributeValueList": [{"S": "b"}], "ComparisonOperator": "EQ"},
                "r": {"AttributeValueList": [{"S": "r"}], "ComparisonOperator": "BEGINS_WITH"},
            },
            Limit=2,
        )
    )
    return answers


def _index_scenario(client, table: str) -> list:
    """Queries; then pages of one index, each after one kind of write aimed at that page."""
    answers = _index_queries(client, table)
    paging = {
        "TableName": table,
        "IndexName": "by_g_r",
        "KeyConditionExpression": "g = :h",
        "ExpressionAttributeValues": {":h": {"S": "a"}},
        "Limit": 4,
    }

    def key_of(item: dict) -> dict:
        return {"pk": item["pk"], "sk": item["sk"]}

    def set_keys(key: dict, g: str, r: str) -> dict:
        return {
            "TableName": table,
            "Key": key,
            "UpdateExpression": "SET g = :g, r = :r",
            "ExpressionAttributeValues": {":g": {"S": g}, ":r": {"S": r}},
        }

    def just_after(cursor: dict, g: str = "a") -> dict:
        """A new item that sorts straight after the cursor: same keys, a longer sort key."""
        return {
            "pk": cursor["pk"],
            "sk": {"S": cursor["sk"]["S"] + "~"},
            "g": {"S": g},
            "r": cursor["r"],
        }

    outsider = iter(
        key_of(item) for item in _indexed_items() if item.get("g") == {"S": "b"} and "r" in item
    )
    failing_check = {
        "ConditionCheck": {
            "TableName": table,
            "Key": {"pk": {"S": "p0"}, "sk": {"S": "999"}},
            "ConditionExpression": "attribute_exists(pk)",
        }
    }
    # Each write changes the next page (so a stale index order would show), as
    # seen by a peek at it first.
    writes = [
        lambda c, nxt: client.delete_item(TableName=table, Key=key_of(nxt[0])),
        lambda c, nxt: client.delete_item(TableName=table, Key=key_of(c)),  # the cursor's own
        lambda c, nxt: client.update_item(**set_keys(next(outsider), "a", c["r"]["S"] + "~")),
        lambda c, nxt: client.update_item(**set_keys(key_of(nxt[0]), "c", "r1")),  # out
        lambda c, nxt: client.update_item(**set_keys(key_of(nxt[0]), "a", "a0")),  # behind
        lambda c, nxt: client.update_item(
            TableName=table, Key=key_of(nxt[0]), UpdateExpression="REMOVE r"
        ),
        lambda c, nxt: client.put_item(TableName=table, Item=just_after(c)),
        lambda c, nxt: client.put_item(TableName=table, Item={**nxt[0], "g": {"S": "b"}}),
        lambda c, nxt: client.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": just_after(c)}},
                {"Update": set_keys(key_of(nxt[0]), "b", "r1")},
            ]
        ),
        lambda c, nxt: client.transact_write_items(
            TransactItems=[{"Delete": {"TableName": table, "Key": key_of(nxt[0])}}]
        ),
        lambda c, nxt: client.batch_write_item(
            RequestItems={
                table: [
                    {"PutRequest": {"Item": just_after(c)}},
                    {"DeleteRequest": {"Key": key_of(nxt[0])}},
                ]
            }
        ),
    ]
    cursor = None
    for write in writes:
        after = {"ExclusiveStartKey": cursor} if cursor else {}
        peek = _answer(client, **paging, **after)
        if not peek["Items"]:
            cursor, after = None, {}
            peek = _answer(client, **paging)
        write(cursor or peek["Items"][0], peek["Items"])
        page = _answer(client, **paging, **after)
        answers.append([peek, page])
        cursor = page.get("LastEvaluatedKey")
    # A transaction that fails changes nothing, whatever it did before failing.
    with pytest.raises(client.exceptions.TransactionCanceledException):
        client.transact_write_items(
            TransactItems=[
                {"Update": set_keys(next(outsider), "a", "r0")},
                {"Delete": {"TableName": table, "Key": key_of(answers[-1][1]["Items"][0])}},
                {"Put": {"TableName": table, "Item": just_after(answers[-1][1]["Items"][0])}},
                failing_check,
            ]
        )
    answers.append(_every_page(client, **paging))
    answers.append(_every_page(client, **paging, ScanIndexForward=False))
    answers.append(_index_queries(client, table))
    return answers


def test_index_queries_answer_as_motos_own_table_walk_across_writes(dynamodb, monkeypatch):
    run = uuid.uuid4().hex
    slow_table, fast_table = f"slow-{run}", f"fast-{run}"
    for name in (slow_table, fast_table):
        _create_indexed(dynamodb, name)
        for item in _indexed_items():
            dynamodb.put_item(TableName=name, Item=item)
    taken: list[bool] = []
    stretch = queries._index_stretch

    def counted(table, arguments):
        walked = stretch(table, arguments)
        taken.append(walked is not None)
        return walked

    projected: list[bool] = []
    string_projection = queries._string_projection

    def counted_projection(index, item):
        kept = string_projection(index, item)
        projected.append(kept is not None)
        return kept

    monkeypatch.setattr(queries, "_index_stretch", counted)
    monkeypatch.setattr(queries, "_string_projection", counted_projection)

    queries.fast_index = False
    try:
        slow = _index_scenario(dynamodb, slow_table)
    finally:
        queries.fast_index = True
    fast = _index_scenario(dynamodb, fast_table)

    assert fast == slow
    assert taken and all(taken)  # every index Query of the fast run took the short path
    assert True in projected and False in projected  # strings directly, numbers by moto
    assert len(slow[0]["Items"]) > 5  # and the index held something to page through
