"""GET /v1/health: is the service up (for a load balancer, anonymous); and, for managers,
GET /v1/health/outbox: is delivery keeping up."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from chalicelib.domain.roles import Role
from chalicelib.web.routing import Api, Call

api = Api(__name__, tag="meta")


class Health(BaseModel):
    status: str


class Outbox(BaseModel):
    pending: int  # counted up to a limit: see pending_capped
    pending_capped: bool  # True: at least `pending` are pending
    oldest_age_seconds: float | None
    outcomes: dict[str, int]  # this process's delivery outcomes since it started


@api.route("/v1/health", "GET", summary="The service is up", response=Health)
def health(call: Call) -> dict[str, Any]:
    # Nothing about the data: anyone may ask, and a load balancer asks often.
    return {"status": "ok"}


@api.route(
    "/v1/health/outbox",
    "GET",
    summary="The delivery backlog: pending pass and class updates, and how late",
    role=Role.manager,
    response=Outbox,
)
def outbox(call: Call) -> dict[str, Any]:
    # Imported on the first check, not with the app: delivery brings the APNs and Google
    # clients, which no other route needs (bench/coldstart.py).
    from chalicelib.services import delivery

    return delivery.backlog()
