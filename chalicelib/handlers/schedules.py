"""The scheduled Lambdas. Hourly: each merchant's members are taken once its local
day has begun (runner.py), and a run cut off by the time limit resumes the next hour."""

from __future__ import annotations

import logging
from typing import Any

from chalice.app import Blueprint, CloudWatchEvent, Cron

# Each handler imports its own job: every Lambda of the app imports this module, and
# only these three need the job runner and the scheduled services.
schedules = Blueprint(__name__)
log = logging.getLogger(__name__)


def _run(module: Any, event: CloudWatchEvent) -> None:
    """Run the job; its outcomes go to the log and its failures to a metric."""
    from chalicelib.config import settings
    from chalicelib.jobs import runner

    outcomes = module.run(remaining_seconds=lambda: _remaining(event))
    runner.report(module.JOB, outcomes, settings().stage)


def _remaining(event: CloudWatchEvent) -> float:
    context: Any = event.context  # Lambda's context object; Chalice types it as a dict
    return context.get_remaining_time_in_millis() / 1000 if context else 900.0


@schedules.schedule(Cron(5, "*", "*", "*", "?", "*"))
def expire_points(event: CloudWatchEvent) -> None:
    from chalicelib.jobs import expiry

    _run(expiry, event)


@schedules.schedule(Cron(10, "*", "*", "*", "?", "*"))
def birthday_rewards(event: CloudWatchEvent) -> None:
    from chalicelib.jobs import birthday

    _run(birthday, event)


@schedules.schedule(Cron(15, "*", "*", "*", "?", "*"))
def review_tiers(event: CloudWatchEvent) -> None:
    from chalicelib.jobs import tiers

    _run(tiers, event)
