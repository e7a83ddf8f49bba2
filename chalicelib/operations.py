"""The operator's one-off commands in a deployed stage, as Lambda functions.

Invoked with the AWS CLI (docs/deploy.md), for example:

    aws lambda invoke --function-name wallet-loyalty-prod-create_merchant \\
        --cli-binary-format raw-in-base64-out \\
        --payload '{"name": "Café Blue", "owner_email": "owner@example.com"}' out.json

- `create_merchant` runs the code `make merchant` runs locally.
- `redrive_dead_letters` puts what the dead-letter queue holds back in the outbox.
"""

from __future__ import annotations

import json
import logging
from collections import Counter
from typing import Annotated, Any

from chalice import Blueprint
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from chalicelib.config import settings
from chalicelib.errors import LoyaltyError
from chalicelib.web.schemas import Email

operations = Blueprint(__name__)
log = logging.getLogger(__name__)


class NewMerchant(BaseModel):
    # Built on first use: only the operator's Lambda validates with it, and building
    # it at import would add 6 ms to every function's cold start.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    owner_email: Email
    timezone: str = "UTC"


@operations.lambda_function(name="create_merchant")
def create_merchant(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """A merchant and its owner; the owner's first password is in the answer, once."""
    from chalicelib.services.staff import create_merchant as create

    try:
        request = NewMerchant.model_validate(event)
        account = create(request.name, str(request.owner_email), request.timezone)
    except ValidationError as exc:
        return {"error": {"code": "invalid", "message": str(exc)}}
    except LoyaltyError as exc:
        return {"error": {"code": exc.code, "message": exc.message}}
    # Logged without the password: the answer is the only place it appears.
    log.info("merchant %s created for %s", account.staff.merchant_id, account.staff.email)
    return {
        "merchant_id": account.staff.merchant_id,
        "owner_email": account.staff.email,
        "password": account.password,
    }


# Leave this much of the Lambda's time for the last batch in hand.
_REDRIVE_MARGIN_SECONDS = 15


@operations.lambda_function(name="redrive_dead_letters")
def redrive_dead_letters(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Every dead-lettered change back in the outbox, due now; the counts of what happened.

    Run it once the cause is fixed (docs/deploy.md, "Alarms"). A message is deleted
    only after its change is back in the outbox; one whose pass has a newer change
    pending is dropped as `superseded`, since that change delivers the latest state.
    """
    import boto3

    from chalicelib.push import delivery

    queue = settings().dead_letter_queue_url
    if not queue:
        raise RuntimeError("DEAD_LETTER_QUEUE_URL is not set: there is no queue to re-drive")
    sqs = boto3.client("sqs", region_name=settings().region)
    outcomes: Counter[str] = Counter()
    while True:
        messages = sqs.receive_message(
            QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=60
        ).get("Messages", [])
        if not messages:
            break
        for message in messages:
            try:
                json.loads(message["Body"])["outbox_id"]
            except (ValueError, KeyError, TypeError):
                # Not ours: left in the queue (it returns after its visibility timeout).
                outcomes["unreadable"] += 1
                continue
            outcomes[delivery.redrive(message["Body"])] += 1
            sqs.delete_message(QueueUrl=queue, ReceiptHandle=message["ReceiptHandle"])
        if context and context.get_remaining_time_in_millis() < _REDRIVE_MARGIN_SECONDS * 1000:
            break  # invoke again for the rest
    log.info("redrive: %s", dict(outcomes))
    return dict(outcomes)
