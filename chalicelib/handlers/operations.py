"""The operator's one-off commands in a deployed stage, as Lambda functions.

Invoked with the AWS CLI (docs/deploy.md), for example:

    aws lambda invoke --function-name wallet-loyalty-prod-create_merchant \\
        --cli-binary-format raw-in-base64-out \\
        --payload '{"name": "Café Blue", "owner_email": "owner@example.com"}' out.json

- `create_merchant` runs the code `make merchant` runs locally.
- `redrive_dead_letters` puts what the dead-letter queue holds back in the outbox.
"""

from __future__ import annotations

import logging
from typing import Annotated, Any

from chalice.app import Blueprint
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from chalicelib.domain.emails import Email
from chalicelib.errors import LoyaltyError

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


@operations.lambda_function(name="redrive_dead_letters")
def redrive_dead_letters(event: dict[str, Any], context: Any) -> dict[str, int]:
    """Every dead-lettered change back in the outbox, due now; the counts of what happened.

    Run it once the cause is fixed (docs/deploy.md, "Alarms"); services.delivery's
    `redrive_queue` says what happens to each message.
    """
    from chalicelib.services import delivery

    def seconds_left() -> float:
        # Outside Lambda (a direct call) there is no deadline: the whole queue.
        return context.get_remaining_time_in_millis() / 1000 if context else float("inf")

    outcomes = delivery.redrive_queue(seconds_left)
    log.info("redrive: %s", outcomes)
    return outcomes
