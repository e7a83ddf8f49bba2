"""The daily tier review: members whose oldest earning leaves the tier window."""

from __future__ import annotations

from chalicelib.jobs import runner
from chalicelib.services import scheduled
from chalicelib.store.models import MemberItem

JOB = runner.Job.on_index("tiers", MemberItem.by_tier_due, "tier", scheduled.review_member_tier)
run = JOB.run
