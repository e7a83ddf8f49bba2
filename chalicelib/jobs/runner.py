"""Walking a job's index, page by page, from a checkpoint: the one loop every job runs.

A run at instant `now` takes each merchant-local day that some zone is in (UTC-12
to UTC+14), plus a few days back for a run that was missed, and for each of the
day's index keys (`<day>#<shard>`) Queries the members whose zone has reached it:

    range key = the merchant's UTC offset (minutes); a zone is on `day` once
    offset >= (day's midnight - now), so:

    offset  +840 ... +60 ... 0 ... -600 ... -720
            ├── reached ──────────┤←── not yet (next hourly run) ──┤
            read highest first (descending): the zones that reach the day later
            come after the cursor, so a later run resumes from it and skips nobody.

After each page that moved a cursor, the day's JobRunItem is saved; a key is
`done` once every zone is past the day's midnight and its Query came to its end,
and the day is done when all its keys are. A run
repeated the same day reads only the keys not done, from their cursors, and the
ledger's idempotency keys make whatever it repeats a no-op.

One member's failure (an exception from its change) never stops a run: it is
logged and counted ("failed" in the run's result, a metric from the Lambda), the
run moves on, and the member is kept on its key's checkpoint to be tried again
first on each later run, up to MEMBER_ATTEMPTS runs. A key whose list of members to
retry is full stops at the next failing member instead, to resume from it.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from pynamodb.indexes import GlobalSecondaryIndex

from chalicelib import clock
from chalicelib.domain import expiry
from chalicelib.logs import emit_metrics
from chalicelib.services.scheduled import NOT_YET
from chalicelib.store.models import JobRunItem, MemberItem

log = logging.getLogger(__name__)

METRIC_NAMESPACE = "WalletLoyalty"  # as the outbox's metrics (handlers/outbox.py)

EARLIEST_OFFSET = -12 * 60  # minutes: the westernmost zone (Etc/GMT+12)
LATEST_OFFSET = 14 * 60  # Pacific/Kiritimati
# An offset stored for a zone may differ by a DST hour from the day's own: a zone
# is taken an hour after its midnight, so that it is surely on the day.
MARGIN_MINUTES = 60
PAGE_SIZE = 100
CHECKPOINT_DAYS = 30
MEMBER_ATTEMPTS = 24  # runs that try a failing member: a day of hourly runs
RETRY_LIMIT = 100  # failing members kept per key (the checkpoint is one item, 400 KB at most)
FAILED = "failed"


@dataclass(frozen=True)
class Job:
    name: str
    index: GlobalSecondaryIndex[Any]
    hash_attr: str
    range_attr: str
    keys: Callable[[date], tuple[str, ...]]  # the index's day parts for a local day
    handle: Callable[[str, date, datetime], str]  # member id, day, now -> outcome
    # Days back a run also looks at (done ones cost one checkpoint Query): a member
    # due on a day no run reached (an outage) is still found within this many days.
    catch_up_days: int = 14

    @classmethod
    def on_index(
        cls,
        name: str,
        index: GlobalSecondaryIndex[Any],
        attribute: str,
        handle: Callable[[str, date, datetime], str],
        keys: Callable[[date], tuple[str, ...]] | None = None,
        catch_up_days: int = 14,
    ) -> Job:
        """A job over the member index keyed `<attribute>_key`, ranged by `<attribute>_offset`.

        Its index keys are the local day itself unless `keys` says otherwise.
        """
        return cls(
            name=name,
            index=index,
            hash_attr=f"{attribute}_key",
            range_attr=f"{attribute}_offset",
            keys=keys or day_keys,
            handle=handle,
            catch_up_days=catch_up_days,
        )

    def run(self, now: datetime | None = None, **options: Any) -> Counter[str]:
        """This job as at `now` (the module's `run`, below)."""
        return run(self, now, **options)


def day_keys(day: date) -> tuple[str, ...]:
    """The index's day part for a job due on a local day: the day itself."""
    return (day.isoformat(),)


def _midnight_minus_now(day: date, now: datetime) -> int:
    """Minutes from `now` to `day`'s midnight at UTC: a zone of offset >= this has reached it."""
    midnight = datetime.combine(day, time(), tzinfo=UTC)
    return int((midnight - now).total_seconds() // 60)


def days_to_run(now: datetime, catch_up_days: int) -> list[date]:
    """The local days some zone is in at `now`, oldest first, and `catch_up_days` before."""
    first = (now + timedelta(minutes=EARLIEST_OFFSET)).date()
    last = (now + timedelta(minutes=LATEST_OFFSET)).date()
    days = [first - timedelta(days=n) for n in range(catch_up_days, 0, -1)]
    day = first
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def run(
    job: Job,
    now: datetime | None = None,
    page_size: int = PAGE_SIZE,
    max_pages: int | None = None,
    remaining_seconds: Callable[[], float] | None = None,
) -> Counter[str]:
    """Run `job` as at `now`; return how many members had each outcome.

    Stops early (to resume next run) after `max_pages`, or when `remaining_seconds`
    says Lambda's time is nearly up.
    """
    now = now or clock.now()
    outcomes: Counter[str] = Counter()
    budget = {"pages": 0}

    def out_of_time() -> bool:
        if (max_pages is not None and budget["pages"] >= max_pages) or (
            remaining_seconds is not None and remaining_seconds() < 60
        ):
            outcomes["stopped"] += 1
            return True
        return False

    for day in days_to_run(now, job.catch_up_days):
        lower = _midnight_minus_now(day, now) + MARGIN_MINUTES
        if lower > LATEST_OFFSET:
            continue  # no zone has reached this day yet
        checkpoint = _checkpoint(f"{job.name}#{day.isoformat()}", now)
        if checkpoint.done:
            continue
        shards = json.loads(checkpoint.shards)
        everyone_there = lower <= EARLIEST_OFFSET
        for part in job.keys(day):
            for shard in range(expiry.SHARDS):
                key = f"{part}#{shard}"
                state = shards.get(key, {"cursor": None, "done": False})
                if state.get("retry"):
                    state["retry"] = _retry(job, state["retry"], day, now, outcomes)
                    state["done"] = state["done"] and not state["retry"]
                    shards[key] = state
                    _save(checkpoint, shards, now)
                while not state["done"]:
                    if out_of_time():
                        _save(checkpoint, shards, now)
                        return outcomes
                    budget["pages"] += 1
                    retry = dict(state.get("retry", {}))
                    cursor, finished, waiting = _page(
                        job, key, day, lower, state["cursor"], page_size, now, outcomes, retry
                    )
                    moved = cursor != state["cursor"]
                    done = finished and everyone_there and not waiting and not retry
                    state = {"cursor": cursor, "done": done, **({"retry": retry} if retry else {})}
                    shards[key] = state
                    if moved:
                        _save(checkpoint, shards, now)  # a crash from here on resumes after it
                    if finished:
                        break
        checkpoint.done = everyone_there and all(s["done"] for s in shards.values())
        if checkpoint.done or shards:
            _save(checkpoint, shards, now)
    return outcomes


def _checkpoint(run_key: str, now: datetime) -> JobRunItem:
    try:
        return JobRunItem.get(run_key, consistent_read=True)
    except JobRunItem.DoesNotExist:
        return JobRunItem(run_key, updated_at=clock.iso(now))


def _page(
    job: Job,
    key: str,
    day: date,
    lower: int,
    cursor: dict[str, Any] | None,
    page_size: int,
    now: datetime,
    outcomes: Counter[str],
    retry: dict[str, int],
) -> tuple[dict[str, Any] | None, bool, bool]:
    """Handle one page: the cursor after it, whether the key is read to its end for
    now, and whether a member is waiting for its zone's day (read it again later).

    Members whose change failed are added to `retry` (member id -> runs tried).
    """
    range_attr = getattr(MemberItem, job.range_attr)
    results = job.index.query(
        key,
        range_key_condition=range_attr >= max(lower, EARLIEST_OFFSET),
        scan_index_forward=False,
        limit=page_size,
        page_size=page_size,
        last_evaluated_key=cursor,
    )
    handled = 0
    for item in results:
        if item.member_id in retry:
            handled += 1  # read again from before a stop: the retry list has it
            cursor = _key_of(job, item, key)
            continue
        outcome = _handle(job, item.member_id, day, now, outcomes)
        if outcome == NOT_YET:
            return cursor, True, True  # this zone's members wait for the next run, from here
        if outcome == FAILED:
            if len(retry) >= RETRY_LIMIT:
                return cursor, True, True  # no room to remember it: resume from it
            retry[item.member_id] = 1
        handled += 1
        cursor = _key_of(job, item, key)
    return cursor, handled < page_size or results.last_evaluated_key is None, False


def _handle(job: Job, member_id: str, day: date, now: datetime, outcomes: Counter[str]) -> str:
    """One member's change, counted; FAILED, logged, when it raised: the run goes on."""
    try:
        outcome = job.handle(member_id, day, now)
    except Exception:
        log.exception(
            json.dumps(
                {
                    "event": "job_member_failed",
                    "job": job.name,
                    "member_id": member_id,
                    "day": day.isoformat(),
                }
            )
        )
        outcome = FAILED
    outcomes[outcome] += 1
    return outcome


def _retry(
    job: Job, retry: dict[str, int], day: date, now: datetime, outcomes: Counter[str]
) -> dict[str, int]:
    """Try the members an earlier run failed on again; those still to retry."""
    left = {}
    for member_id, tried in retry.items():
        outcome = _handle(job, member_id, day, now, outcomes)
        if outcome == NOT_YET:
            left[member_id] = tried
        elif outcome == FAILED:
            if tried + 1 < MEMBER_ATTEMPTS:
                left[member_id] = tried + 1
            else:
                outcomes["abandoned"] += 1
                log.error(
                    json.dumps(
                        {
                            "event": "job_member_abandoned",
                            "job": job.name,
                            "member_id": member_id,
                            "day": day.isoformat(),
                            "runs": tried + 1,
                        }
                    )
                )
    return left


def report(job: Job, outcomes: Counter[str], stage: str) -> None:
    """A run's outcomes in the log, and its failed members as a metric (alarm on it)."""
    log.info("%s: %s", job.name, dict(outcomes))
    emit_metrics(
        METRIC_NAMESPACE,
        {"Stage": stage, "Job": job.name},
        {"JobMembersFailed": outcomes[FAILED], "JobMembersAbandoned": outcomes["abandoned"]},
    )


def _key_of(job: Job, item: Any, key: str) -> dict[str, Any]:
    return {
        "member_id": {"S": item.member_id},
        job.hash_attr: {"S": key},
        job.range_attr: {"N": str(int(getattr(item, job.range_attr)))},
    }


def _save(checkpoint: JobRunItem, shards: dict[str, Any], now: datetime) -> None:
    checkpoint.shards = json.dumps(shards, sort_keys=True)
    checkpoint.updated_at = clock.iso(now)
    checkpoint.expires_at = now + timedelta(days=CHECKPOINT_DAYS)
    checkpoint.save()
