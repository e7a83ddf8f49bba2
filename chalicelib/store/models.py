"""The tables, one pynamodb model each. docs/data-model.md says which request uses which key.

Table names and the endpoint are bound at start-up by `store.db.bind`, so the
same models serve AWS, DynamoDB Local and the embedded server.
"""

from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BooleanAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UnicodeSetAttribute,
)
from pynamodb.indexes import (
    AllProjection,
    GlobalSecondaryIndex,
    IncludeProjection,
    KeysOnlyProjection,
)
from pynamodb.models import Model


class MerchantItem(Model):
    """A café or chain: the tenant every other item belongs to."""

    class Meta:
        table_name = "merchants"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    merchant_id = UnicodeAttribute(hash_key=True)
    name = UnicodeAttribute()
    timezone = UnicodeAttribute(default="UTC")
    created_at = UnicodeAttribute()


class StaffByMerchant(GlobalSecondaryIndex["StaffItem"]):
    """GET /v1/staff: a merchant's accounts in the order they were made."""

    class Meta:
        index_name = "by_merchant"
        projection = AllProjection()

    merchant_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class StaffByEmail(GlobalSecondaryIndex["StaffItem"]):
    """Sign-in: every account of an email, one per merchant at most.

    Keys only: sign-in reads each account by its id (consistently) anyway.
    """

    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email = UnicodeAttribute(hash_key=True)


class StaffItem(Model):
    """A staff account. Deleted accounts stay (the ledger names them) with status `deleted`."""

    class Meta:
        table_name = "staff"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    staff_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    email = UnicodeAttribute()
    name = UnicodeAttribute()
    role = UnicodeAttribute()
    location_id = UnicodeAttribute(null=True)
    password_hash = UnicodeAttribute()
    status = UnicodeAttribute(default="active")
    created_at = UnicodeAttribute()
    # Tokens issued before this second are refused: deleting an account (or a
    # password reset) revokes every token at once without a token list.
    tokens_valid_after = NumberAttribute(default=0)
    daily_stamp_cap = NumberAttribute(null=True)
    daily_points_cap = NumberAttribute(null=True)
    by_merchant = StaffByMerchant()
    by_email = StaffByEmail()


class UniqueItem(Model):
    """A claim on a unique value (a staff email, an email within a program).

    Written in the same transaction as the item that owns it, on the condition
    that it does not exist: two racing requests give one owner.
    """

    class Meta:
        table_name = "uniques"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)
    owner_id = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)  # for claims that lapse (callback nonces)


class ProgramsByMerchant(GlobalSecondaryIndex["ProgramItem"]):
    """GET /v1/programs."""

    class Meta:
        index_name = "by_merchant"
        projection = AllProjection()

    merchant_id = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class ProgramItem(Model):
    class Meta:
        table_name = "programs"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    program_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    # The validated program document (API.md "Documents") as JSON: decimals stay strings.
    document = UnicodeAttribute()
    version = NumberAttribute(default=1)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    pass_second = NumberAttribute(default=0)  # a design change: every member's pass changed
    # The document's `status`, beside it so that GET /v1/programs filters closed ones
    # out in DynamoDB (absent on programs stored before: active).
    status = UnicodeAttribute(null=True)
    # The uploaded brand images' versions as JSON, {"logo": "<16 hex>", ...}: the
    # bytes are in S3 (chalicelib/blobs.py), never here.
    images = UnicodeAttribute(null=True)
    by_merchant = ProgramsByMerchant()


class RewardMap(MapAttribute[str, Any]):
    reward_id = UnicodeAttribute()
    name = UnicodeAttribute()
    source = UnicodeAttribute()  # stamps | welcome | birthday | catalog
    transaction_id = UnicodeAttribute()  # the ledger entry that unlocked it
    unlocked_at = UnicodeAttribute()
    expires_at = UnicodeAttribute(null=True)


class MembersByProgram(GlobalSecondaryIndex["MemberItem"]):
    """A program's members (counted for a fan-out; walked by the scheduled jobs)."""

    class Meta:
        index_name = "by_program"
        projection = KeysOnlyProjection()

    program_id = UnicodeAttribute(hash_key=True)
    member_id = UnicodeAttribute(range_key=True)


class MembersByEmail(GlobalSecondaryIndex["MemberItem"]):
    """GET /v1/members?email=: `merchant_id#email`, so a lookup never crosses tenants.

    Keys only: with the whole member projected, every balance change rewrote it
    here too (a write unit per stamp, the member stored twice), for a rare lookup
    that reads the members themselves afterwards anyway.
    """

    class Meta:
        index_name = "by_email"
        projection = KeysOnlyProjection()

    email_key = UnicodeAttribute(hash_key=True)


# The scheduled jobs' indexes. The hash key is `<day>#<shard 0..15>` (`<MM-DD>#<shard>`
# for birthdays), so one day's members spread over 16 partitions; the range key is
# the merchant's UTC offset in minutes, so that a run takes only the members whose
# zone has reached that day (offset >= that day's midnight - now). Keys only: the
# job reads the member itself inside the ledger's transaction anyway.


class MembersByExpiryDue(GlobalSecondaryIndex["MemberItem"]):
    """The expiry job: points or rewards to expire, or a warning to show, that day."""

    class Meta:
        index_name = "by_expiry_due"
        projection = KeysOnlyProjection()

    expiry_key = UnicodeAttribute(hash_key=True)
    expiry_offset = NumberAttribute(range_key=True)


class MembersByTierDue(GlobalSecondaryIndex["MemberItem"]):
    """The tier review: a held tier's oldest earning leaves the window that day."""

    class Meta:
        index_name = "by_tier_due"
        projection = KeysOnlyProjection()

    tier_key = UnicodeAttribute(hash_key=True)
    tier_offset = NumberAttribute(range_key=True)


class MembersByBirthday(GlobalSecondaryIndex["MemberItem"]):
    """The birthday job: `<MM-DD>#<shard>`, every year."""

    class Meta:
        index_name = "by_birthday"
        projection = KeysOnlyProjection()

    birthday_key = UnicodeAttribute(hash_key=True)
    birthday_offset = NumberAttribute(range_key=True)


class MemberItem(Model):
    """A member of one program: their balances, rewards ready, and what the rules need."""

    class Meta:
        table_name = "members"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    member_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    program_id = UnicodeAttribute()
    name = UnicodeAttribute(null=True)
    email = UnicodeAttribute(null=True)
    email_key = UnicodeAttribute(null=True)
    birthday = UnicodeAttribute(null=True)  # MM-DD or YYYY-MM-DD, as given
    marketing_consent = BooleanAttribute(default=False)
    leaderboard_consent = BooleanAttribute(default=False)
    # BCP 47, one the service speaks: the language of the member's emails (absent on
    # members enrolled before languages: the program's).
    language = UnicodeAttribute(null=True)
    erased = BooleanAttribute(default=False)
    stamps = NumberAttribute(default=0)
    points = NumberAttribute(default=0)
    tier = UnicodeAttribute(null=True)
    rewards = ListAttribute(of=RewardMap, default=list)
    # Earned per merchant-local day, kept for the tier window (JSON {day: n}).
    earned_by_day = UnicodeAttribute(default="{}")
    lifetime_earned = NumberAttribute(default=0)
    last_scan_at = UnicodeAttribute(null=True)
    scan_day = UnicodeAttribute(null=True)
    scans_on_day = NumberAttribute(default=0)
    last_active_day = UnicodeAttribute(null=True)  # for the stats' active members
    # Every balance change bumps it, on the condition that it is what was read.
    version = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    # The seconds the pass's Last-Modified is made of (domain.pass_seconds): this
    # member's own, and its program's as this member's last change read it (absent on
    # members stored before it was kept).
    pass_second = NumberAttribute(default=0)
    program_second = NumberAttribute(null=True)
    # The short number under the QR code (domain.card_number), claimed in `uniques` as
    # `card#<merchant_id>#<number>`; absent on members enrolled before card numbers
    # until a staff read gives them one (services.members.with_card_number).
    card_number = UnicodeAttribute(null=True)
    # sha256 of the Apple pass's authenticationToken (the token itself is derived
    # from a secret when a pass is built, never stored).
    apple_token_hash = UnicodeAttribute(null=True)
    google_saved = BooleanAttribute(default=False)
    google_notices = UnicodeAttribute(null=True)  # JSON: when its last notices went out
    # Points by expiry date (domain.expiry's lots, JSON): each keeps the expiry
    # decided when it was earned. Written with every change of the points balance.
    point_lots = UnicodeAttribute(null=True)
    # The scheduled jobs' indexes (absent: nothing due); see MembersByExpiryDue.
    expiry_key = UnicodeAttribute(null=True)
    expiry_offset = NumberAttribute(null=True)
    tier_key = UnicodeAttribute(null=True)
    tier_offset = NumberAttribute(null=True)
    birthday_key = UnicodeAttribute(null=True)
    birthday_offset = NumberAttribute(null=True)
    by_email = MembersByEmail()
    by_program = MembersByProgram()
    by_expiry_due = MembersByExpiryDue()
    by_tier_due = MembersByTierDue()
    by_birthday = MembersByBirthday()


class TransactionsById(GlobalSecondaryIndex["TransactionItem"]):
    """POST /v1/transactions/{id}/void finds the member from the transaction id."""

    class Meta:
        index_name = "by_id"
        projection = KeysOnlyProjection()

    transaction_id = UnicodeAttribute(hash_key=True)


class TransactionsByStaff(GlobalSecondaryIndex["TransactionItem"]):
    """GET /v1/staff/{id}/transactions: what an account did, newest first (the alerts' link).

    Sparse: a scheduled job's entries have no `staff_id` and are not in it. Keys only:
    a page is read back with one BatchGetItem.
    """

    class Meta:
        index_name = "by_staff"
        projection = KeysOnlyProjection()

    staff_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)


class TransactionItem(Model):
    """One ledger entry. The member's balances always equal the sum of these deltas."""

    class Meta:
        table_name = "transactions"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    member_id = UnicodeAttribute(hash_key=True)
    sk = UnicodeAttribute(range_key=True)  # created_at#transaction_id: newest first by Query
    transaction_id = UnicodeAttribute()
    merchant_id = UnicodeAttribute()
    program_id = UnicodeAttribute()
    type = UnicodeAttribute()
    stamps = NumberAttribute(default=0)
    points = NumberAttribute(default=0)
    created_at = UnicodeAttribute()
    staff_id = UnicodeAttribute(null=True)
    location_id = UnicodeAttribute(null=True)
    voided = BooleanAttribute(default=False)
    voids = UnicodeAttribute(null=True)  # for a `void`: the transaction it reverses
    voided_by = UnicodeAttribute(null=True)  # for a voided one: its `void`
    earned = NumberAttribute(default=0)  # counted towards tiers
    day = UnicodeAttribute()  # the merchant's local day
    # Rewards this entry unlocked, and the reward it spent (JSON), so that a void
    # can take back or give back exactly those.
    rewards_unlocked = UnicodeAttribute(default="[]")
    reward_spent = UnicodeAttribute(null=True)
    detail = UnicodeAttribute(default="{}")
    by_id = TransactionsById()
    by_staff = TransactionsByStaff()


class IdempotencyItem(Model):
    """The first answer to a balance change, replayed for a retry with the same key."""

    class Meta:
        table_name = "idempotency"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)  # merchant_id#idempotency_key
    request_hash = UnicodeAttribute()
    status_code = NumberAttribute()
    response = UnicodeAttribute()
    created_at = UnicodeAttribute()
    expires_at = TTLAttribute()


class OutboxPending(GlobalSecondaryIndex["OutboxItem"]):
    """The sweeper's view: what is due, by shard, oldest first (never a Scan)."""

    class Meta:
        index_name = "pending"
        projection = AllProjection()

    shard = NumberAttribute(hash_key=True)
    due_at = UnicodeAttribute(range_key=True)


class OutboxItem(Model):
    """Something the phones or Google must be told: a member's pass, or a program's class.

    One item per pass (`pass#member_id`) or class (`class#program_id`): changes
    made before delivery update the same item, so they coalesce into one push.
    Delivery deletes it on the condition that `version` is still the one it
    delivered; a newer change keeps it pending.
    """

    class Meta:
        table_name = "outbox"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"
        # Deployed, its stream triggers delivery (handlers/outbox.py) once due_at comes.
        stream_view_type = "NEW_IMAGE"

    outbox_id = UnicodeAttribute(hash_key=True)
    kind = UnicodeAttribute()  # pass | class
    member_id = UnicodeAttribute(null=True)
    merchant_id = UnicodeAttribute()
    program_id = UnicodeAttribute()
    version = NumberAttribute()
    reason = UnicodeAttribute()
    # A coalesced change unlocked a reward: worth one of Google's 3 notices a day.
    notify = BooleanAttribute(default=False)
    created_at = UnicodeAttribute()
    due_at = UnicodeAttribute()
    shard = NumberAttribute()
    attempts = NumberAttribute(default=0)
    last_error = UnicodeAttribute(null=True)
    # A delivery's legs that succeeded, so that a retry redoes only what failed: the
    # push tokens answered at `pushed_version`, the Google object patched at
    # `synced_version` (a newer version redoes both), and the notice: owed while
    # `notify_version` (the version whose change unlocked a reward) is above
    # `notified_version`, whatever changes came in between.
    pushed_version = NumberAttribute(null=True)
    pushed = UnicodeSetAttribute(null=True)
    synced_version = NumberAttribute(null=True)
    notify_version = NumberAttribute(null=True)
    notified_version = NumberAttribute(null=True)
    pending = OutboxPending()


class LoginAttemptItem(Model):
    """Attempts counted per subject per window (services.throttle): failed sign-ins per
    account and per address, card-number misses per staff account."""

    class Meta:
        table_name = "login_attempts"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    key = UnicodeAttribute(hash_key=True)  # email#..., ip#... or card-miss#...
    failures = NumberAttribute(default=0)
    window_start = NumberAttribute()
    expires_at = TTLAttribute()


class StatItem(Model):
    """Per program, per merchant-local day, one of N shards of counters.

    A balance change adds to one shard chosen at random, inside its transaction:
    no single counter item is hot, and GET .../stats sums N Queries.
    """

    class Meta:
        table_name = "stats"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    shard_key = UnicodeAttribute(hash_key=True)  # program_id#shard
    day = UnicodeAttribute(range_key=True)
    enrolments = NumberAttribute(default=0)
    active_members = NumberAttribute(default=0)
    stamps_issued = NumberAttribute(default=0)
    stamps_redeemed = NumberAttribute(default=0)
    points_issued = NumberAttribute(default=0)
    points_redeemed = NumberAttribute(default=0)
    rewards_unlocked = NumberAttribute(default=0)
    rewards_redeemed = NumberAttribute(default=0)


class StaffDaysByMerchant(GlobalSecondaryIndex["StaffDayItem"]):
    """GET /v1/alerts: every account's stamping over recent days, one Query."""

    class Meta:
        index_name = "by_merchant"
        projection = AllProjection()

    merchant_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)


class StaffDayItem(Model):
    """What one staff account issued on one day: the per-staff cap and the alerts."""

    class Meta:
        table_name = "staff_days"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    staff_id = UnicodeAttribute(hash_key=True)
    day = UnicodeAttribute(range_key=True)
    merchant_id = UnicodeAttribute()
    stamps = NumberAttribute(default=0)
    points = NumberAttribute(default=0)
    scans = NumberAttribute(default=0)
    by_merchant = StaffDaysByMerchant()


class RegistrationsByProgram(GlobalSecondaryIndex["RegistrationItem"]):
    """A design change's fan-out: every device of a program, page by page.

    Only the push token is projected besides the keys: a fan-out page holds
    thousands of registrations, and a smaller item is a cheaper page.
    """

    class Meta:
        index_name = "by_program"
        projection = IncludeProjection(["push_token"])

    program_id = UnicodeAttribute(hash_key=True)
    pass_key = UnicodeAttribute(range_key=True)


class RegistrationsBySerial(GlobalSecondaryIndex["RegistrationItem"]):
    """Every device holding a pass: the push fan-out and the per-pass bound."""

    class Meta:
        index_name = "by_serial"
        projection = AllProjection()

    serial = UnicodeAttribute(hash_key=True)
    created_at = UnicodeAttribute(range_key=True)


class RegistrationItem(Model):
    """A device registered for a pass's updates (Apple's PassKit web service)."""

    class Meta:
        table_name = "registrations"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    device_id = UnicodeAttribute(hash_key=True)  # deviceLibraryIdentifier
    pass_key = UnicodeAttribute(range_key=True)  # passTypeIdentifier#serialNumber
    serial = UnicodeAttribute()
    pass_type = UnicodeAttribute()
    program_id = UnicodeAttribute()
    push_token = UnicodeAttribute()
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()
    by_serial = RegistrationsBySerial()
    by_program = RegistrationsByProgram()


class JobItem(Model):
    """A background job's progress: GET /v1/jobs/{job_id}. Resumable from `cursor`."""

    class Meta:
        table_name = "jobs"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    job_id = UnicodeAttribute(hash_key=True)
    merchant_id = UnicodeAttribute()
    program_id = UnicodeAttribute()
    kind = UnicodeAttribute()  # pass_updates
    status = UnicodeAttribute()  # running | done
    members = NumberAttribute(default=0)
    devices_done = NumberAttribute(default=0)
    cursor = UnicodeAttribute(null=True)  # JSON LastEvaluatedKey of the page to do next
    created_at = UnicodeAttribute()
    updated_at = UnicodeAttribute()


class JobRunItem(Model):
    """A scheduled job's checkpoint for one merchant-local day: per index key (shard),
    the cursor after the last member handled, or done.

    A run cut off by Lambda's time limit resumes from the cursors; the day is `done`
    once every zone has passed its midnight and every shard was read to its end.
    """

    class Meta:
        table_name = "job_runs"  # prefixed by store.db.bind
        billing_mode = "PAY_PER_REQUEST"

    run_key = UnicodeAttribute(hash_key=True)  # <job>#<YYYY-MM-DD>
    # JSON {"<day or MM-DD>#<shard>": {"cursor": ExclusiveStartKey or null, "done": bool}}
    shards = UnicodeAttribute(default="{}")
    done = BooleanAttribute(default=False)
    updated_at = UnicodeAttribute()
    expires_at = TTLAttribute(null=True)


ALL_MODELS: tuple[type[Model], ...] = (
    MerchantItem,
    StaffItem,
    UniqueItem,
    ProgramItem,
    MemberItem,
    TransactionItem,
    IdempotencyItem,
    OutboxItem,
    LoginAttemptItem,
    StatItem,
    StaffDayItem,
    RegistrationItem,
    JobItem,
    JobRunItem,
)
