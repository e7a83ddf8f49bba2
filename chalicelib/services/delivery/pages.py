"""A fan-out's pages of registrations: read when asked, or ahead on a thread.

The page read ahead for the next call is kept by (job id, cursor): one at a time,
in memory only. A worker killed meanwhile loses the read, never a device: the job's
cursor is the one persisted after each pushed page.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from concurrent.futures import Future
from typing import Any

from chalicelib.root import per_root
from chalicelib.store.models import JobItem, RegistrationItem

log = logging.getLogger(__name__)

FANOUT_PAGE = 5000  # about 1 MB of registrations: one DynamoDB page
READ_AHEAD_SECONDS = 10.0  # a page read ahead longer ago than this is read again

Page = tuple[list[RegistrationItem], dict[str, Any] | None]  # registrations, LastEvaluatedKey

ReadAhead = dict[tuple[str, str], tuple[float, Future[Page]]]  # (job, cursor): (started, page)


@per_root
def _read_ahead() -> ReadAhead:
    return {}


def page_at(job: JobItem, program_id: str) -> Page:
    """The page at the job's cursor: the one read ahead for it if recent, else read now."""
    ahead = _read_ahead().pop((job.job_id, job.cursor), None) if job.cursor else None
    forget()  # any other is for a cursor no call is at
    if ahead is not None:
        started, future = ahead
        if time.monotonic() - started < READ_AHEAD_SECONDS:
            try:
                return future.result(timeout=READ_AHEAD_SECONDS)
            except Exception:
                log.warning("reading ahead job %s's page failed; read again", job.job_id)
    return read_page(program_id, job.cursor)


def read_page(program_id: str, cursor: str | None) -> Page:
    page = RegistrationItem.by_program.query(
        program_id, limit=FANOUT_PAGE, last_evaluated_key=json.loads(cursor) if cursor else None
    )
    return list(page), page.last_evaluated_key


def read_ahead(job_id: str, program_id: str, cursor: str) -> None:
    """Start reading the page at `cursor` on a thread (a daemon: exit never waits for it)."""
    future: Future[Page] = Future()

    def read() -> None:
        try:
            future.set_result(read_page(program_id, cursor))
        except Exception as exc:  # handed to the taker, which reads again
            future.set_exception(exc)

    forget()
    _read_ahead()[(job_id, cursor)] = (time.monotonic(), future)
    threading.Thread(target=read, name="fanout-read-ahead", daemon=True).start()


def forget() -> None:
    """Drop the page read ahead: its cursor is not the one the job goes on from."""
    _read_ahead().clear()
