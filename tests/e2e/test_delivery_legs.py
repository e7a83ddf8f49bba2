"""A delivery has legs (APNs per device, Google's object and notice); a retry redoes only
the legs that failed, so that no device is pushed and no notice is sent twice."""

from __future__ import annotations

from chalicelib.store.models import OutboxItem
from tests.e2e import test_push
from tests.e2e.helpers import create_program, enrol, stamp
from tests.e2e.test_google_wallet import ISSUER, SMALL_CARD, google  # noqa: F401 - the fixture
from tests.e2e.test_push import deliver_all, registered
from tests.peers.conftest import google_peer  # noqa: F401 - the fixture

apns = test_push.apns  # the fixture: a local APNs peer, the service pointed at it


def notices(google_peer, member_id: str) -> int:  # noqa: F811 - the fixture's name
    return sum(
        1
        for r in google_peer.api_requests()
        if r.path.endswith(f".{member_id}/addMessage") and r.status == 200
    )


def test_a_retry_after_one_device_failed_pushes_only_it_and_notifies_google_once(
    client,
    merchant,
    apns,
    google,  # noqa: F811 - the fixture
):
    program = create_program(client, merchant, SMALL_CARD)
    member = enrol(client, program["program_id"])
    member_id = member["member_id"]
    phone, tablet = registered(client, member), registered(client, member)
    deliver_all()
    before = apns.delivered()
    apns.fail_token(tablet.push_token, 503)

    # Two stamps fill the card: the reward is worth one of Google's notices.
    assert stamp(client, merchant, member_id, count=2).status_code == 200
    deliver_all()  # the tablet fails on every round; the phone and Google do not
    retried = OutboxItem.get(f"pass#{member_id}", consistent_read=True)
    apns.fail_token(tablet.push_token, None)
    deliver_all(ahead=60)  # past the last backoff
    after = apns.delivered()

    assert retried.attempts >= 2
    assert after[phone.push_token] - before[phone.push_token] == 1
    assert after[tablet.push_token] - before[tablet.push_token] == 1
    assert notices(google, member_id) == 1
    assert google.objects[f"{ISSUER}.{member_id}"]["loyaltyPoints"]
