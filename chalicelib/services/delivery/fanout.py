"""A program change pushed to every device of the program, a page at a time."""

from __future__ import annotations

import json

from chalicelib import clock
from chalicelib.services.delivery import pages, pushes
from chalicelib.services.delivery.metrics import stats
from chalicelib.services.delivery.state import retry_later
from chalicelib.store import db
from chalicelib.store.models import JobItem, OutboxItem


def deliver_fanout(item: OutboxItem) -> str:
    """Push one page of the program's devices; 'more' until the last page, then 'delivered'.

    The next page is read while this one is pushed (the Query and the pushes wait on
    different peers); the job's cursor still moves only once this page is pushed.
    """
    job = JobItem.get(item.reason, consistent_read=True)  # the outbox's reason is the job id
    registrations, last_key = pages.page_at(job, item.program_id)
    next_cursor = json.dumps(last_key) if last_key is not None else None
    if next_cursor is not None:
        pages.read_ahead(job.job_id, item.program_id, next_cursor)
    error = pushes.push_tokens(registrations)
    if error is not None:
        pages.forget()  # the cursor stays: this page is read again
        return retry_later(item, error)
    now = clock.iso(clock.now())
    done = next_cursor is None
    # Deployed, the stream handler and the sweeper can take the same job at once.
    # The page is counted only if the cursor is still the one this page was read
    # at; the loser stops, having pushed one page twice (harmless: a push says only
    # "look again"), and the job goes on from the winner's cursor.
    same_page = (
        JobItem.cursor == job.cursor if job.cursor is not None else JobItem.cursor.does_not_exist()
    )
    if not db.update_if(
        job,
        [
            JobItem.devices_done.add(len(registrations)),
            JobItem.cursor.set(next_cursor) if next_cursor is not None else JobItem.cursor.remove(),
            JobItem.status.set("done" if done else "running"),
            JobItem.updated_at.set(now),
        ],
        (JobItem.status == "running") & same_page,
    ):
        pages.forget()
        stats()["fanout_page_raced"] += 1
        return "superseded"
    if not done:
        stats()["fanout_pages"] += 1
        return "more"
    item.delete()
    stats()["delivered"] += 1
    return "delivered"
