"""The size and unit arithmetic of bench/capacity.py, against AWS's own rules and examples.

Item sizes: CapacityUnitCalculations.html ("DynamoDB item sizes and formats"). Units:
the same page's worked examples, the on-demand pricing page's examples, the
transactions page (three 500-byte items) and GSI.html (index reads and writes).
"""

from __future__ import annotations

import base64

from bench.capacity import (
    IndexShape,
    TableShape,
    batch_get_units,
    index_write_units,
    item_size,
    item_write_units,
    number_size,
    query_units,
    read_units,
    value_size,
    write_units,
)

KB = 1024


def blob(size: int) -> dict[str, str]:
    """A string value of exactly `size` bytes."""
    return {"S": "x" * size}


# --- sizes ---------------------------------------------------------------------------


def test_a_string_counts_its_name_and_its_utf8_bytes():
    # "café" is 5 bytes in UTF-8, "name" 4.
    assert item_size({"name": {"S": "café"}}) == 4 + 5


def test_a_number_takes_a_byte_per_two_significant_digits_plus_one():
    assert number_size("1234567") == 4 + 1  # 7 digits -> 4 bytes
    assert number_size("12") == 1 + 1
    assert number_size("-12.5") == 2 + 1


def test_leading_and_trailing_zeroes_of_a_number_are_trimmed():
    assert number_size("100") == number_size("1")
    assert number_size("0.0012") == number_size("12")
    assert number_size("007") == number_size("7")


def test_a_binary_value_counts_its_raw_bytes_not_its_base64():
    raw = bytes(range(30))
    assert value_size({"B": raw}) == 30
    assert value_size({"B": base64.b64encode(raw).decode()}) == 30


def test_a_boolean_or_a_null_is_one_byte():
    assert item_size({"ok": {"BOOL": True}, "gone": {"NULL": True}}) == (2 + 1) + (4 + 1)


def test_an_empty_list_or_map_is_three_bytes():
    assert item_size({"l": {"L": []}}) == 1 + 3
    assert item_size({"m": {"M": {}}}) == 1 + 3


def test_each_list_or_map_element_adds_a_byte_of_its_own():
    assert value_size({"L": [{"S": "ab"}, {"N": "1"}]}) == 3 + (2 + 1) + (2 + 1)
    # a map element also counts its name
    assert value_size({"M": {"k": {"S": "abc"}}}) == 3 + (1 + 3 + 1)


def test_an_absent_item_has_no_size():
    assert item_size(None) == 0


# --- reads ---------------------------------------------------------------------------


def test_a_read_rounds_up_to_4_kb_and_halves_when_eventually_consistent():
    # "if you read an item that is 3.5 KB, DynamoDB rounds the item size to 4 KB"
    assert read_units(int(3.5 * KB), "strong") == 1
    assert read_units(int(3.5 * KB), "eventual") == 0.5
    # "If you read an item of 10 KB, DynamoDB rounds the item size to 12 KB"
    assert read_units(10 * KB, "strong") == 3


def test_an_8_kb_item_costs_2_strong_1_eventual_and_4_transactional_read_units():
    # The on-demand pricing page's example.
    assert read_units(8 * KB, "strong") == 2
    assert read_units(8 * KB, "eventual") == 1
    assert read_units(8 * KB, "transactional") == 4


def test_reading_an_item_that_does_not_exist_still_costs_one_block():
    assert read_units(0, "strong") == 1
    assert read_units(0, "eventual") == 0.5


def test_a_batch_get_rounds_each_item_on_its_own():
    # "a 1.5 KB item and a 6.5 KB item ... 12 KB (4 KB + 8 KB), not 8 KB"
    assert batch_get_units([int(1.5 * KB), int(6.5 * KB)], "strong") == 3


def test_a_query_rounds_the_sum_of_what_it_read_once():
    # "10 items whose combined size is 40.8 KB. DynamoDB rounds ... to 44 KB"
    assert query_units([int(4.08 * KB)] * 10, "strong") == 11
    # "1500 items of 64 bytes each, the cumulative size is 96 KB"
    assert query_units([64] * 1500, "strong") == 24
    # "For an eventually consistent read, if total item size is 80 KB ... 10 capacity units"
    assert query_units([80 * KB], "eventual") == 10


def test_an_index_query_costs_the_projected_entries_read():
    # GSI.html: 8 entries of 2,000 bytes -> 16,000 bytes -> 16 KB, eventually consistent: 2.
    assert query_units([2000] * 8, "eventual") == 2


def test_a_transactional_get_of_three_500_byte_items_costs_six_read_units():
    assert sum(read_units(500, "transactional") for _ in range(3)) == 6


# --- writes --------------------------------------------------------------------------


def test_a_write_rounds_up_to_1_kb():
    # "if you put or delete an item of 1.6 KB, DynamoDB rounds the item size up to 2 KB"
    assert write_units(int(1.6 * KB)) == 2
    # the pricing page: a standard write of 3 KB is 3 units, a transactional one 6
    assert write_units(3 * KB) == 3
    assert write_units(3 * KB, transactional=True) == 6


def test_a_batch_write_of_500_bytes_and_3_5_kb_costs_five_units():
    assert write_units(500) + write_units(int(3.5 * KB)) == 5


def test_a_transaction_writing_three_500_byte_items_costs_six_write_units():
    assert sum(write_units(500, transactional=True) for _ in range(3)) == 6


def test_a_write_to_an_absent_item_still_costs_a_unit():
    # "If the item does not exist, DynamoDB will consume one write capacity unit."
    assert write_units(0) == 1


def test_an_update_is_charged_on_the_larger_of_before_and_after():
    table = TableShape("t", ("id",))
    before = {"id": {"S": "a"}, "note": blob(1500)}
    after = {"id": {"S": "a"}, "note": blob(10)}
    assert item_write_units(table, before, after) == (2, 0)
    assert item_write_units(table, before, after, transactional=True) == (4, 0)


# --- indexes -------------------------------------------------------------------------

TABLE = TableShape(
    "members",
    ("member_id",),
    (
        IndexShape("by_email", ("email_key",), "ALL"),
        IndexShape("by_due", ("due_key", "offset"), "KEYS_ONLY"),
        IndexShape("by_program", ("program_id",), "INCLUDE", frozenset({"token"})),
    ),
)


def member(**attributes: str) -> dict[str, dict[str, str]]:
    return {"member_id": {"S": "m1"}, **{k: {"S": v} for k, v in attributes.items()}}


def test_a_keys_only_entry_holds_the_table_and_index_keys():
    item = {**member(due_key="2030-01-01#3", note="long"), "offset": {"N": "60"}}
    entry = TABLE.index("by_due").entry(item, TABLE.keys)
    assert entry == {k: item[k] for k in ("member_id", "due_key", "offset")}


def test_an_include_entry_also_holds_the_listed_attributes():
    item = member(program_id="p", token="t", note="n")
    entry = TABLE.index("by_program").entry(item, TABLE.keys)
    assert entry is not None and set(entry) == {"member_id", "program_id", "token"}


def test_an_item_without_the_index_key_is_not_in_the_index():
    assert TABLE.index("by_email").entry(member(note="x"), TABLE.keys) is None


def test_a_new_item_costs_one_write_per_index_it_enters():
    # by_email (ALL) and by_program (INCLUDE); not by_due: no due_key.
    assert index_write_units(TABLE, None, member(email_key="e", program_id="p")) == 2


def test_an_update_outside_every_projection_costs_no_index_write():
    before = {**member(program_id="p", due_key="d", note="a"), "offset": {"N": "1"}}
    after = {**before, "note": {"S": "b"}}
    # by_due and by_program do not project `note`; by_email holds no entry
    assert index_write_units(TABLE, before, after) == 0


def test_an_update_of_a_projected_value_costs_one_index_write():
    before = member(email_key="e", stamps="1")
    after = member(email_key="e", stamps="2")
    assert index_write_units(TABLE, before, after) == 1  # by_email projects everything


def test_changing_an_index_key_costs_a_delete_and_a_put():
    before = {**member(due_key="2030-01-01#3"), "offset": {"N": "60"}}
    after = {**member(due_key="2030-02-01#3"), "offset": {"N": "60"}}
    assert index_write_units(TABLE, before, after) == 2


def test_removing_an_index_key_costs_one_delete_from_the_index():
    before = {**member(due_key="2030-01-01#3"), "offset": {"N": "60"}}
    after = member()
    assert index_write_units(TABLE, before, after) == 1


def test_a_large_index_entry_costs_more_than_one_unit():
    assert index_write_units(TABLE, None, member(email_key="e", note="x" * 1500)) == 2


def test_the_shape_of_a_table_is_read_from_describe_table():
    shape = TableShape.from_description(
        {
            "TableName": "t",
            "KeySchema": [
                {"AttributeName": "sk", "KeyType": "RANGE"},
                {"AttributeName": "pk", "KeyType": "HASH"},
            ],
            "GlobalSecondaryIndexes": [
                {
                    "IndexName": "i",
                    "KeySchema": [{"AttributeName": "g", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["x"]},
                }
            ],
        }
    )
    assert shape.keys == ("pk", "sk")
    assert shape.indexes == (IndexShape("i", ("g",), "INCLUDE", frozenset({"x"})),)


def test_a_set_counts_its_elements():
    assert value_size({"SS": ["ab", "cde"]}) == 2 + 3
    assert value_size({"NS": ["1234", "5"]}) == (2 + 1) + (1 + 1)
