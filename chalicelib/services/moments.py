"""When a change happens, in the merchant's own time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from chalicelib import clock
from chalicelib.domain.ledger import Moment
from chalicelib.root import per_root
from chalicelib.store.models import MerchantItem
from chalicelib.timed_cache import TimedCache


@per_root
def _zones() -> TimedCache[str, ZoneInfo]:
    # A merchant's zone changes rarely and only by its owner: five minutes of the old
    # one after a change moves only which day a scan near midnight counts on.
    return TimedCache(300.0)


def merchant_zone(merchant_id: str) -> ZoneInfo:
    """The merchant's time zone, cached: the day a scan counts on is local."""
    zone = _zones().get(merchant_id)
    if zone is not None:
        return zone
    try:
        zone = ZoneInfo(MerchantItem.get(merchant_id).timezone or "UTC")
    except MerchantItem.DoesNotExist:
        zone = ZoneInfo("UTC")
    return _zones().put(merchant_id, zone)


def moment_for(merchant_id: str, at: datetime | None = None) -> Moment:
    """Now (or `at`, for a scheduled job's pretended day) in the merchant's zone."""
    now, zone = at or clock.now(), merchant_zone(merchant_id)
    return Moment(now=now, today=now.astimezone(zone).date(), zone=zone)
