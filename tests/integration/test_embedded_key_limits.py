"""The embedded DynamoDB refuses oversized keys on reads too, as DynamoDB does.

moto checks key sizes only on the items it writes: a read by a 3,000-byte id was
"not found" in the local run and a ValidationException (a 500) in AWS.
"""

from __future__ import annotations

import pytest
from pynamodb.exceptions import DeleteError, GetError, QueryError


def test_reading_by_a_hash_key_over_2048_bytes_is_refused(dynamodb_url):
    from chalicelib.store.models import MemberItem

    with pytest.raises(GetError, match="maximum size limit"):
        MemberItem.get("A" * 2049)


def test_querying_a_partition_over_2048_bytes_is_refused(dynamodb_url):
    from chalicelib.store.models import RegistrationItem

    with pytest.raises(QueryError, match="maximum size limit"):
        list(RegistrationItem.query("A" * 2049))


def test_deleting_by_a_range_key_over_1024_bytes_is_refused(dynamodb_url):
    from chalicelib.store.models import RegistrationItem

    with pytest.raises(DeleteError, match="size limit"):
        RegistrationItem("device", "A" * 1025).delete()


def test_keys_at_the_limits_are_read(dynamodb_url):
    from chalicelib.store.models import MemberItem, RegistrationItem

    with pytest.raises(MemberItem.DoesNotExist):
        MemberItem.get("A" * 2048)
    with pytest.raises(RegistrationItem.DoesNotExist):
        RegistrationItem.get("device", "A" * 1024)
