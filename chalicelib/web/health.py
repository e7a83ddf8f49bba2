"""GET /v1/health: is the service up, and is delivery keeping up."""

from __future__ import annotations

from pydantic import BaseModel

from chalicelib.web.routing import Api, Call

api = Api(__name__, tag="meta")


class Outbox(BaseModel):
    pending: int
    oldest_age_seconds: float | None
    outcomes: dict[str, int]


class Health(BaseModel):
    status: str
    outbox: Outbox


@api.route("/v1/health", "GET", summary="Service health and the delivery backlog", response=Health)
def health(call: Call) -> dict:
    # Imported on the first check, not with the app: delivery brings the APNs and Google
    # clients, which no other route needs (bench/coldstart.py).
    from chalicelib.push import delivery

    return {"status": "ok", "outbox": delivery.backlog()}
