"""The daily expiry: points past their day, rewards past `expires_at`, warnings ahead."""

from __future__ import annotations

from chalicelib.jobs import runner
from chalicelib.services import scheduled
from chalicelib.store.models import MemberItem

JOB = runner.Job.on_index("expiry", MemberItem.by_expiry_due, "expiry", scheduled.expire_member)
run = JOB.run
