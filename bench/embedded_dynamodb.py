"""Cost of a 3-item TransactWriteItems on the embedded DynamoDB as its table grows.

Target (issue: the service stands up): a transaction at 100,000 items within 2x of
one at 1,000. The table is filled straight through moto's backend (the fill is not
what is measured); the transactions go over HTTP through boto3 as the service's do.
Run with --unadapted to see moto 5.2.5 as it ships (every table deep-copied per
transaction) for comparison; it stops at 10,000 items, where it is already slow.
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import uuid

import boto3

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")

TABLE = "bench-members"
TRANSACTIONS = 300


def _fill(count: int) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].get_table(TABLE)
    have = sum(1 for _ in table.items)
    for _ in range(count - have):
        table.put_item(
            {"pk": {"S": uuid.uuid4().hex}, "stamps": {"N": "0"}, "name": {"S": "x" * 40}}
        )


def _transactions(client, n: int) -> list[float]:
    member = uuid.uuid4().hex
    client.put_item(
        TableName=TABLE, Item={"pk": {"S": member}, "stamps": {"N": "0"}, "v": {"N": "0"}}
    )
    times = []
    for version in range(n):
        started = time.perf_counter()
        client.transact_write_items(
            TransactItems=[
                {
                    "Update": {
                        "TableName": TABLE,
                        "Key": {"pk": {"S": member}},
                        "UpdateExpression": "ADD stamps :one SET v = :next",
                        "ConditionExpression": "v = :v",
                        "ExpressionAttributeValues": {
                            ":one": {"N": "1"},
                            ":v": {"N": str(version)},
                            ":next": {"N": str(version + 1)},
                        },
                    }
                },
                {"Put": {"TableName": TABLE, "Item": {"pk": {"S": uuid.uuid4().hex}}}},
                {
                    "Put": {
                        "TableName": TABLE,
                        "Item": {"pk": {"S": uuid.uuid4().hex}},
                        "ConditionExpression": "attribute_not_exists(pk)",
                    }
                },
            ]
        )
        times.append(time.perf_counter() - started)
    return times


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    unadapted = "--unadapted" in argv
    from localrun import embedded_dynamodb

    if unadapted:
        embedded_dynamodb.install = lambda: None  # moto as it ships
    server = embedded_dynamodb.EmbeddedDynamoDB()
    url = server.start()
    client = boto3.client("dynamodb", endpoint_url=url)
    client.create_table(
        TableName=TABLE,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sizes = (1_000, 10_000) if unadapted else (1_000, 10_000, 100_000)
    label = "moto 5.2.5 unadapted" if unadapted else "embedded (adapted)"
    results = {}
    for size in sizes:
        _fill(size)
        n = TRANSACTIONS if not unadapted else 50
        times = _transactions(client, n)
        results[size] = statistics.median(times)
        print(
            f"{label}: {size:>7,} items  median {results[size] * 1000:7.2f} ms  "
            f"{1 / results[size]:7.1f} transactions/s  ({n} transactions)",
            flush=True,
        )
    ratio = results[sizes[-1]] / results[sizes[0]]
    print(f"{label}: cost at {sizes[-1]:,} / cost at {sizes[0]:,} = {ratio:.2f}x (target <= 2x)")
    server.stop()


if __name__ == "__main__":
    main()
