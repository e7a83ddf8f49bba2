"""What a DynamoDB failure means, in the project's words: the one place that reads
botocore's and pynamodb's errors.

    a write's condition did not hold   is_condition_failure(exc)   (nothing was written)
    the item is not there               db.fetch / db.resolved -> None (pynamodb's DoesNotExist)
    a transaction was cancelled         transact.Cancelled: which named operations failed
    throttled, a fault, no answer       is_unavailable(exc): worth sending again later;
                                        never "not found", never a lost condition

Anything else (a malformed request, a missing table) is a bug and propagates as it is.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

# The error code of a single-item write whose ConditionExpression was false.
CONDITION_FAILED = "ConditionalCheckFailedException"
# The reason codes of a cancelled TransactWriteItems, one per operation (no "Exception").
REASON_CONDITION_FAILED = "ConditionalCheckFailed"
REASON_CONFLICT = "TransactionConflict"
# DynamoDB's answers that say "not now" rather than "no": the same request may succeed later.
# https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Programming.Errors.html
_UNAVAILABLE = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "InternalServerError",
        "ServiceUnavailable",
        "TransactionInProgressException",
    }
)


def error_code(exc: BaseException) -> str | None:
    """DynamoDB's error code behind `exc` (pynamodb wraps botocore's), or None."""
    if isinstance(exc, PynamoDBException):
        return exc.cause_response_code
    if isinstance(exc, ClientError):
        code = exc.response.get("Error", {}).get("Code")
        return str(code) if code is not None else None
    return None


def is_condition_failure(exc: BaseException) -> bool:
    """True when a put, update or delete was refused because its condition did not hold."""
    return error_code(exc) == CONDITION_FAILED


def is_unavailable(exc: BaseException) -> bool:
    """True when DynamoDB did not take the request now (throttled, a fault of its own, or
    no answer at all): the same request may succeed if sent again."""
    cause = exc.cause if isinstance(exc, PynamoDBException) else exc
    if isinstance(cause, BotoCoreError):  # no answer: a timeout, a refused connection
        return True
    return error_code(exc) in _UNAVAILABLE
