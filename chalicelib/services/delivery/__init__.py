"""Delivering the outbox: every change reaches the phones, nothing is lost.

The same code everywhere: a deployed stage calls `deliver_when_due` from the outbox
table's DynamoDB Streams handler and `sweep` from a schedule (whatever is still due
after a failure); the local run calls `sweep` from a background thread.

    pass#member   Apple: push `{}` to every registered device (they then fetch the pass)
                  Google: patch the member's object; notify when a reward unlocked
    class#program Google: patch the program's class (a design change: once, not per member)
    fanout#job    Apple: a program change, pushed to every device of the program, a page
                  of registrations at a time; the job's cursor advances only after a
                  page is pushed, so a worker killed mid-page repeats at most that page

By concern: `outbox` delivers an item (the stream's and the sweep's paths), `state`
keeps its backoff and the legs already done, `pushes` talks to APNs, `fanout` and
`pages` push a program's devices page by page (the next page read ahead),
`dead_letters` parks what keeps failing and re-drives it, `metrics` counts outcomes
and measures the backlog.

Imported only by the handlers that deliver and by /v1/health/outbox: it brings the
APNs client (asyncio, h2) and Google's, which no other Lambda needs.
"""

from chalicelib.services.delivery.dead_letters import redrive, redrive_queue
from chalicelib.services.delivery.metrics import backlog, stats
from chalicelib.services.delivery.outbox import deliver, deliver_when_due, sweep
from chalicelib.services.delivery.pushes import pusher

__all__ = [
    "backlog",
    "deliver",
    "deliver_when_due",
    "pusher",
    "redrive",
    "redrive_queue",
    "stats",
    "sweep",
]
