"""The embedded DynamoDB's two adaptations of moto (see localrun/embedded_dynamodb/).

1. Concurrent TransactWriteItems never fail with a 500 and never lose an update.
2. A failed transaction rolls back exactly the items it named, without copying tables.
3. Index Queries, answered from a kept order, see every write (and every rollback).
4. A Query's copies of its items are freed once it has answered.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

# No retries: a retried 500 would hide the fault these tests look for.
NO_RETRIES = Config(retries={"total_max_attempts": 1, "mode": "standard"}, max_pool_connections=16)


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """An embedded server of its own, on its own port."""
    from localrun.embedded_dynamodb import EmbeddedDynamoDB

    embedded = EmbeddedDynamoDB()
    url = embedded.start()
    yield url
    embedded.stop()


def client_of(url: str):
    return boto3.client(
        "dynamodb",
        endpoint_url=url,
        region_name="eu-west-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",  # the embedded server takes any
        config=NO_RETRIES,
    )


@pytest.fixture
def dynamodb(server: str):
    return client_of(server)


@pytest.fixture
def table(dynamodb) -> Iterator[str]:
    """A new table keyed by `pk` and `sk`, dropped after the test."""
    name = f"embedded-{uuid.uuid4().hex}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    dynamodb.delete_table(TableName=name)


def key(pk: str, sk: str) -> dict:
    return {"pk": {"S": pk}, "sk": {"S": sk}}


def get(dynamodb, table: str, pk: str, sk: str) -> dict | None:
    return dynamodb.get_item(TableName=table, Key=key(pk, sk), ConsistentRead=True).get("Item")


def count(dynamodb, table: str, pk: str) -> int:
    """Items under one partition key, by Query (every page)."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": pk}},
        ConsistentRead=True,
        Select="COUNT",
    )
    return sum(page["Count"] for page in pages)


def add_one_and_log(table: str, counter: dict, entry: dict) -> list[dict]:
    """Add one to the counter and put a new log entry, in one transaction."""
    return [
        {
            "Update": {
                "TableName": table,
                "Key": counter,
                "UpdateExpression": "ADD n :one",
                "ExpressionAttributeValues": {":one": {"N": "1"}},
            }
        },
        {
            "Put": {
                "TableName": table,
                "Item": entry,
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        },
    ]


def failing_check(table: str, pk: str, sk: str) -> dict:
    """A condition check on an item that does not exist, which therefore fails."""
    return {
        "ConditionCheck": {
            "TableName": table,
            "Key": key(pk, sk),
            "ConditionExpression": "attribute_exists(pk)",
        }
    }


def cancellation_codes(error: ClientError) -> list[str]:
    return [reason["Code"] for reason in error.response.get("CancellationReasons", [])]


def test_eight_threads_of_twenty_five_transactions_all_succeed_and_count_exactly(server, table):
    threads, per_thread = 8, 25
    run = uuid.uuid4().hex
    counter = key(f"counter-{run}", "total")
    start = threading.Barrier(threads)
    failures: list[str] = []

    def worker(thread: int) -> None:
        dynamodb = client_of(server)  # one client per thread, as a Lambda would have
        start.wait(timeout=30)
        for i in range(per_thread):
            entry = key(f"log-{run}", f"{thread:02d}-{i:03d}")
            try:
                dynamodb.transact_write_items(TransactItems=add_one_and_log(table, counter, entry))
            except ClientError as exc:
                status = exc.response["ResponseMetadata"]["HTTPStatusCode"]
                failures.append(f"{status} {exc.response['Error'].get('Code')}")

    with ThreadPoolExecutor(max_workers=threads) as pool:
        list(pool.map(worker, range(threads)))

    reader = client_of(server)
    total = get(reader, table, f"counter-{run}", "total")
    assert failures == []
    assert total is not None
    assert total["n"] == {"N": str(threads * per_thread)}
    assert count(reader, table, f"log-{run}") == threads * per_thread


def test_a_failed_transaction_leaves_an_item_that_existed_as_it_was(dynamodb, table):
    pk = f"member-{uuid.uuid4().hex}"
    before = {**key(pk, "card"), "stamps": {"N": "3"}, "name": {"S": "Ada"}}
    dynamodb.put_item(TableName=table, Item=before)

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(pk, "card"),
                        "UpdateExpression": "SET stamps = :n, note = :note",
                        "ExpressionAttributeValues": {":n": {"N": "4"}, ":note": {"S": "changed"}},
                    }
                },
                failing_check(table, pk, "missing"),
            ]
        )

    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert cancellation_codes(caught.value) == ["None", "ConditionalCheckFailed"]
    assert get(dynamodb, table, pk, "card") == before


def test_a_failed_transaction_leaves_an_item_that_did_not_exist_absent(dynamodb, table):
    pk = f"member-{uuid.uuid4().hex}"

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": {**key(pk, "new"), "stamps": {"N": "1"}}}},
                failing_check(table, pk, "missing"),
            ]
        )

    assert caught.value.response["Error"]["Code"] == "TransactionCanceledException"
    assert cancellation_codes(caught.value) == ["None", "ConditionalCheckFailed"]
    assert get(dynamodb, table, pk, "new") is None
    assert count(dynamodb, table, pk) == 0


def test_a_failed_transaction_in_a_new_partition_leaves_it_empty(dynamodb, table):
    pk = f"member-{uuid.uuid4().hex}"

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(pk, "counter"),
                        "UpdateExpression": "ADD n :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
                {"Delete": {"TableName": table, "Key": key(pk, "other")}},
                failing_check(table, f"{pk}-elsewhere", "missing"),
            ]
        )

    assert cancellation_codes(caught.value) == ["None", "None", "ConditionalCheckFailed"]
    assert get(dynamodb, table, pk, "counter") is None
    assert count(dynamodb, table, pk) == 0


def test_a_failed_delete_in_a_transaction_puts_the_item_back(dynamodb, table):
    pk = f"member-{uuid.uuid4().hex}"
    before = {**key(pk, "card"), "points": {"N": "120"}}
    dynamodb.put_item(TableName=table, Item=before)

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                {"Delete": {"TableName": table, "Key": key(pk, "card")}},
                failing_check(table, pk, "missing"),
            ]
        )

    assert cancellation_codes(caught.value) == ["None", "ConditionalCheckFailed"]
    assert get(dynamodb, table, pk, "card") == before


def test_the_failing_operation_is_named_in_its_own_position(dynamodb, table):
    pk = f"member-{uuid.uuid4().hex}"
    dynamodb.put_item(TableName=table, Item={**key(pk, "card"), "stamps": {"N": "3"}})

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                failing_check(table, pk, "missing"),
                {
                    "Update": {
                        "TableName": table,
                        "Key": key(pk, "card"),
                        "UpdateExpression": "ADD stamps :one",
                        "ExpressionAttributeValues": {":one": {"N": "1"}},
                    }
                },
            ]
        )

    assert cancellation_codes(caught.value) == ["ConditionalCheckFailed", "None"]
    assert get(dynamodb, table, pk, "card")["stamps"] == {"N": "3"}


def test_after_a_failed_transaction_every_earlier_write_is_still_there(dynamodb, table):
    pk = f"ledger-{uuid.uuid4().hex}"
    counter = key(pk, "counter")
    written = 30
    for i in range(written):
        dynamodb.transact_write_items(
            TransactItems=add_one_and_log(table, counter, key(pk, f"entry-{i:03d}"))
        )

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                *add_one_and_log(table, counter, key(pk, "entry-lost")),
                failing_check(table, pk, "missing"),
            ]
        )

    assert count(dynamodb, table, pk) == written + 1  # the entries and the counter
    assert get(dynamodb, table, pk, "counter")["n"] == {"N": str(written)}
    assert get(dynamodb, table, pk, "entry-lost") is None


def test_a_failed_transaction_keeps_the_table_object_instead_of_a_copy(dynamodb, table):
    from moto.dynamodb.models import dynamodb_backends

    pk = f"ledger-{uuid.uuid4().hex}"
    dynamodb.put_item(TableName=table, Item=key(pk, "first"))
    backend = dynamodb_backends["123456789012"]["eu-west-1"]
    table_before = backend.tables[table]

    with pytest.raises(ClientError):
        dynamodb.transact_write_items(
            TransactItems=[
                {"Put": {"TableName": table, "Item": key(pk, "second")}},
                failing_check(table, pk, "missing"),
            ]
        )

    assert backend.tables[table] is table_before
    assert count(dynamodb, table, pk) == 1


def test_two_operations_on_one_item_are_refused_and_leave_it_as_it_was(dynamodb, table):
    pk = f"member-{uuid.uuid4().hex}"
    before = {**key(pk, "card"), "stamps": {"N": "3"}}
    dynamodb.put_item(TableName=table, Item=before)
    bump = {
        "Update": {
            "TableName": table,
            "Key": key(pk, "card"),
            "UpdateExpression": "ADD stamps :one",
            "ExpressionAttributeValues": {":one": {"N": "1"}},
        }
    }

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(TransactItems=[bump, bump])

    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert get(dynamodb, table, pk, "card") == before


@pytest.fixture
def indexed_table(dynamodb) -> Iterator[str]:
    """A new table keyed by `pk` and `sk`, with an index on `g` and `r`, dropped after."""
    name = f"embedded-{uuid.uuid4().hex}"
    dynamodb.create_table(
        TableName=name,
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
        AttributeDefinitions=[
            {"AttributeName": attr, "AttributeType": "S"} for attr in ("pk", "sk", "g", "r")
        ],
        GlobalSecondaryIndexes=[
            {
                "IndexName": "by_g",
                "KeySchema": [
                    {"AttributeName": "g", "KeyType": "HASH"},
                    {"AttributeName": "r", "KeyType": "RANGE"},
                ],
                "Projection": {"ProjectionType": "ALL"},
            }
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    yield name
    dynamodb.delete_table(TableName=name)


def index_pass(dynamodb, table: str, g: str, limit: int = 7) -> list[tuple[str, str, str]]:
    """(r, pk, sk) of every item under `g` in the index, page by page."""
    pages = dynamodb.get_paginator("query").paginate(
        TableName=table,
        IndexName="by_g",
        KeyConditionExpression="g = :g",
        ExpressionAttributeValues={":g": {"S": g}},
        Limit=limit,
    )
    return [
        (item["r"]["S"], item["pk"]["S"], item["sk"]["S"])
        for page in pages
        for item in page["Items"]
    ]


def test_a_failed_transaction_leaves_an_index_as_it_was(dynamodb, indexed_table):
    g = f"program-{uuid.uuid4().hex}"
    for i in range(10):
        dynamodb.put_item(
            TableName=indexed_table,
            Item={**key(f"device-{i}", "pass"), "g": {"S": g}, "r": {"S": f"{i:02d}"}},
        )
    before = index_pass(dynamodb, indexed_table, g)

    with pytest.raises(ClientError) as caught:
        dynamodb.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": indexed_table,
                        "Key": key("device-3", "pass"),
                        "UpdateExpression": "SET g = :other, r = :r",
                        "ExpressionAttributeValues": {":other": {"S": "other"}, ":r": {"S": "99"}},
                    }
                },
                {"Delete": {"TableName": indexed_table, "Key": key("device-5", "pass")}},
                {
                    "Put": {
                        "TableName": indexed_table,
                        "Item": {**key("device-new", "pass"), "g": {"S": g}, "r": {"S": "00"}},
                    }
                },
                failing_check(indexed_table, "device-none", "pass"),
            ]
        )

    assert cancellation_codes(caught.value) == ["None", "None", "None", "ConditionalCheckFailed"]
    assert index_pass(dynamodb, indexed_table, g) == before
    assert len(before) == 10


def test_index_pages_read_during_concurrent_transactions_stay_in_order(server, indexed_table):
    writers, per_writer, readers = 4, 25, 2
    g = f"program-{uuid.uuid4().hex}"
    counter = key(f"counter-{g}", "total")
    done = threading.Event()
    failures: list[str] = []
    passes: list[list[tuple[str, str, str]]] = []

    def write(thread: int) -> None:
        dynamodb = client_of(server)
        for i in range(per_writer):
            entry = {**key(f"device-{thread}-{i}", "pass"), "g": {"S": g}, "r": {"S": f"{i:03d}"}}
            try:
                dynamodb.transact_write_items(
                    TransactItems=add_one_and_log(indexed_table, counter, entry)
                )
            except ClientError as exc:
                failures.append(f"write {exc.response['Error'].get('Code')}")

    def read(_: int) -> None:
        dynamodb = client_of(server)
        while not done.is_set():
            try:
                passes.append(index_pass(dynamodb, indexed_table, g, limit=5))
            except ClientError as exc:
                failures.append(f"read {exc.response['Error'].get('Code')}")

    with ThreadPoolExecutor(max_workers=writers + readers) as pool:
        reading = [pool.submit(read, n) for n in range(readers)]
        list(pool.map(write, range(writers)))
        done.set()
        for future in reading:
            future.result()

    final = index_pass(client_of(server), indexed_table, g, limit=5)
    assert failures == []
    assert passes
    for seen in passes:  # a cursor never goes back: each pass strictly ascending
        assert seen == sorted(set(seen))
    assert len(final) == writers * per_writer


def test_queries_leave_no_copies_of_their_items_behind(dynamodb, indexed_table):
    import gc

    from moto.dynamodb.models.dynamo_type import Item

    g = f"program-{uuid.uuid4().hex}"
    for i in range(50):
        dynamodb.put_item(
            TableName=indexed_table,
            Item={**key(f"device-{i}", "pass"), "g": {"S": g}, "r": {"S": f"{i:02d}"}},
        )
    gc.collect()
    before = sum(1 for o in gc.get_objects() if type(o) is Item)

    for _ in range(3):
        assert len(index_pass(dynamodb, indexed_table, g)) == 50
        assert count(dynamodb, indexed_table, "device-7") == 1

    gc.collect()
    assert sum(1 for o in gc.get_objects() if type(o) is Item) == before
