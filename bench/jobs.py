"""The expiry job's reads as the members table grows: 100,000 members, 1,000 then 10,000 due.

Target (issue 8): items read at most the members due plus a few pages, whatever the
total. Items read are counted from the responses (Query `Count`, GetItem and
TransactGetItems items) through a hook on every DynamoDB call the service makes.
The table is filled straight through moto's backend (the fill is not measured).
Wall time is the embedded server's: moto answers a GSI Query by walking the whole
table, so it grows with the table where DynamoDB's does not; the items read are
what DynamoDB would bill.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta

os.environ.setdefault("AWS_ACCESS_KEY_ID", "bench")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "bench")
os.environ.setdefault("AWS_DEFAULT_REGION", "eu-west-1")
os.environ.setdefault("STAGE", "bench")

MEMBERS = 100_000
FIRST_DAY = date(2030, 3, 2)
SECOND_DAY = date(2030, 3, 20)
reads: Counter[str] = Counter()
calls: Counter[str] = Counter()


def _count(original):
    def call(self, operation, kwargs):
        response = original(self, operation, kwargs)
        calls[operation] += 1
        if operation in ("Query", "Scan"):
            what = kwargs.get("IndexName") or kwargs.get("TableName", "").rsplit("-", 1)[-1]
            reads[f"{operation} {what}"] += int(response.get("Count", 0))
        elif operation == "GetItem":
            reads[f"GetItem {kwargs['TableName'].rsplit('-', 1)[-1]}"] += int("Item" in response)
        elif operation == "TransactGetItems":
            reads["TransactGetItems"] += sum(1 for r in response.get("Responses", []) if r)
        return response

    return call


def _fill(program_id: str, merchant_id: str, members_table: str) -> list[str]:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib.domain import expiry

    table = dynamodb_backends[DEFAULT_ACCOUNT_ID]["eu-west-1"].get_table(members_table)
    now = "2030-01-01T00:00:00.000000Z"
    ids = [f"bench-member-{n:06d}" for n in range(MEMBERS)]
    for n, member_id in enumerate(ids):
        # 1,000 due on the first day, 10,000 on the second, the rest in 2099.
        due = FIRST_DAY if n < 1_000 else SECOND_DAY if n < 11_000 else date(2099, 1, 1)
        last_day = due - timedelta(days=1)
        table.put_item(
            {
                "member_id": {"S": member_id},
                "merchant_id": {"S": merchant_id},
                "program_id": {"S": program_id},
                "points": {"N": "25"},
                "stamps": {"N": "0"},
                "version": {"N": "1"},
                "erased": {"BOOL": False},
                "rewards": {"L": []},
                "created_at": {"S": now},
                "updated_at": {"S": now},
                "pass_second": {"N": "0"},
                "point_lots": {"S": json.dumps([[last_day.isoformat(), "2030-01-01", 25]])},
                "expiry_key": {"S": f"{due.isoformat()}#{expiry.shard_of(member_id)}"},
                "expiry_offset": {"N": "0"},
            }
        )
    return ids


def main() -> None:
    from botocore.client import BaseClient

    from localrun.embedded_dynamodb import EmbeddedDynamoDB

    server = EmbeddedDynamoDB()
    os.environ["DYNAMODB_ENDPOINT"] = server.start()
    from chalicelib import ids, root
    from chalicelib.domain.program import Program
    from chalicelib.jobs import expiry
    from chalicelib.store import db
    from chalicelib.store.models import MemberItem, MerchantItem, ProgramItem

    db.bind(root.install(root.build()).settings)
    db.create_tables()
    merchant_id, program_id = ids.new_id(), ids.new_id()
    MerchantItem(merchant_id, name="Bench", timezone="UTC", created_at="2030-01-01").save()
    program = Program.model_validate(
        {
            "name": "Bench",
            "kind": "points",
            "points": {"per_unit": "1", "currency": "EUR"},
            "expiry": {"mode": "after_days", "days": 60},
        }
    )
    ProgramItem(
        program_id,
        merchant_id=merchant_id,
        document=json.dumps(program.document()),
        created_at="2030-01-01",
        updated_at="2030-01-01",
    ).save()
    started = time.perf_counter()
    _fill(program_id, merchant_id, MemberItem.Meta.table_name)
    print(f"filled {MEMBERS:,} members in {time.perf_counter() - started:.1f} s", flush=True)

    BaseClient._make_api_call = _count(BaseClient._make_api_call)  # type: ignore[method-assign]
    for day, due in ((FIRST_DAY, 1_000), (SECOND_DAY, 10_000)):
        reads.clear()
        calls.clear()
        started = time.perf_counter()
        outcomes = expiry.run(datetime(day.year, day.month, day.day, 12, tzinfo=UTC))
        wall = time.perf_counter() - started
        index = reads["Query by_expiry_due"]
        total = sum(reads.values())
        print(
            f"{MEMBERS:,} members, {due:,} due: {dict(outcomes)}; "
            f"index items read {index:,} (target <= due + a few pages); "
            f"all items read {total:,} = {dict(reads)}; "
            f"Queries {calls['Query']}, TransactWrites {calls['TransactWriteItems']}; "
            f"{wall:.1f} s ({due / wall:.0f} members/s)",
            flush=True,
        )
    server.stop()


if __name__ == "__main__":
    main()
