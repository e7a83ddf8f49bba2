"""The daily birthday treats: `<MM-DD>` (and 29 February on 28 February off leap years)."""

from __future__ import annotations

from chalicelib.domain.expiry import birthdays_on
from chalicelib.jobs import runner
from chalicelib.services import scheduled
from chalicelib.store.models import MemberItem

JOB = runner.Job.on_index(
    "birthday",
    MemberItem.by_birthday,
    "birthday",
    scheduled.grant_birthday,
    keys=birthdays_on,
    catch_up_days=1,
)
run = JOB.run
