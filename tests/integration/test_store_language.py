"""The store's own words for what DynamoDB answered (chalicelib/store/errors.py, db.py,
transact.py, locking.py), against a real DynamoDB-speaking server."""

from __future__ import annotations

import uuid

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from pynamodb.exceptions import GetError, UpdateError
from pynamodb.transactions import TransactGet


def _claim(owner: str = "first"):
    from chalicelib.store.models import UniqueItem

    item = UniqueItem(f"test#{uuid.uuid4().hex}", owner_id=owner)
    item.save()
    return item


def _owner(key: str) -> str | None:
    from chalicelib.store import db
    from chalicelib.store.models import UniqueItem

    found = db.fetch(UniqueItem, key)
    return found.owner_id if found is not None else None


def _refused(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "UpdateItem")


def test_an_update_whose_condition_does_not_hold_is_refused_and_writes_nothing(dynamodb_url):
    from chalicelib.store import db
    from chalicelib.store.models import UniqueItem

    claim = _claim()

    refused = db.update_if(claim, [UniqueItem.owner_id.set("second")], UniqueItem.owner_id == "x")
    taken = db.update_if(claim, [UniqueItem.owner_id.set("third")], UniqueItem.owner_id == "first")

    assert refused is False
    assert taken is True
    assert _owner(claim.key) == "third"


def test_a_delete_whose_condition_does_not_hold_is_refused_and_keeps_the_item(dynamodb_url):
    from chalicelib.store import db
    from chalicelib.store.models import UniqueItem

    claim = _claim()

    refused = db.delete_if(claim, UniqueItem.owner_id == "someone else")
    kept = _owner(claim.key)
    taken = db.delete_if(claim, UniqueItem.owner_id == "first")

    assert refused is False
    assert kept == "first"
    assert taken is True
    assert _owner(claim.key) is None


def test_an_item_absent_from_a_transactional_read_is_none_and_a_present_one_is_read(
    dynamodb_url,
):
    from chalicelib.store import db
    from chalicelib.store.models import UniqueItem

    claim = _claim()

    with TransactGet(connection=db.connection()) as tx:
        present = tx.get(UniqueItem, claim.key)
        absent = tx.get(UniqueItem, f"test#{uuid.uuid4().hex}")

    assert db.resolved(absent) is None
    assert db.resolved(present).owner_id == "first"


def test_a_cancelled_transaction_names_the_operation_whose_condition_failed(dynamodb_url):
    from chalicelib.store import transact
    from chalicelib.store.models import UniqueItem

    taken = _claim()
    free = f"test#{uuid.uuid4().hex}"

    def build(tx: transact.Write) -> None:
        # Added first, sent last: pynamodb groups puts before updates.
        tx.update(UniqueItem(free), actions=[UniqueItem.owner_id.set("me")], name="free")
        tx.save(
            UniqueItem(taken.key, owner_id="me"),
            condition=UniqueItem.key.does_not_exist(),
            name="taken",
        )

    with pytest.raises(transact.Cancelled) as cancelled:
        transact.write(build)

    assert cancelled.value.failed == {"taken"}
    assert cancelled.value.conflict is False
    assert _owner(free) is None
    assert _owner(taken.key) == "first"


def test_a_transaction_operation_without_a_name_is_refused_before_anything_is_sent(
    dynamodb_url,
):
    from chalicelib.store import transact
    from chalicelib.store.models import UniqueItem

    key = f"test#{uuid.uuid4().hex}"

    with pytest.raises(TypeError, match="name"):
        transact.write(lambda tx: tx.save(UniqueItem(key, owner_id="me")))

    assert _owner(key) is None


def test_a_versioned_change_is_taken_once_and_a_stale_one_is_cancelled(dynamodb_url):
    from chalicelib.store import locking, transact
    from chalicelib.store.models import ProgramItem

    program = ProgramItem(
        f"test-{uuid.uuid4().hex}",
        merchant_id="m",
        document="{}",
        version=1,
        created_at="2026-01-01T00:00:00Z",
        updated_at="2026-01-01T00:00:00Z",
    )
    program.save()
    stale = ProgramItem.get(program.program_id, consistent_read=True)

    def rename(item: ProgramItem, document: str) -> None:
        _, advance = locking.advance(item)
        transact.write(
            lambda tx: tx.update(
                item,
                actions=[ProgramItem.document.set(document), advance],
                condition=locking.unchanged(item),
                name="program",
            )
        )

    rename(program, '{"first": true}')
    with pytest.raises(transact.Cancelled) as lost:
        rename(stale, '{"second": true}')

    stored = ProgramItem.get(program.program_id, consistent_read=True)
    assert lost.value.failed == {"program"}
    assert stored.version == 2
    assert stored.document == '{"first": true}'


@pytest.mark.parametrize(
    "fault",
    [
        pytest.param(UpdateError("throttled", _refused("ThrottlingException")), id="throttled"),
        pytest.param(
            GetError("over capacity", _refused("ProvisionedThroughputExceededException")),
            id="over capacity",
        ),
        pytest.param(UpdateError("a fault", _refused("InternalServerError")), id="a fault"),
        pytest.param(
            GetError("no answer", EndpointConnectionError(endpoint_url="http://127.0.0.1:9")),
            id="no answer",
        ),
    ],
)
def test_a_store_that_did_not_answer_now_is_unavailable_never_a_refusal(fault):
    from chalicelib.store.errors import is_condition_failure, is_unavailable

    assert is_unavailable(fault)
    assert not is_condition_failure(fault)


def test_a_failed_condition_is_a_refusal_and_not_unavailability():
    from chalicelib.store.errors import is_condition_failure, is_unavailable

    refusal = UpdateError("refused", _refused("ConditionalCheckFailedException"))

    assert is_condition_failure(refusal)
    assert is_condition_failure(refusal.cause)
    assert not is_unavailable(refusal)
