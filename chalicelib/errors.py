"""The one error hierarchy. Each class carries its HTTP rendering; web/ renders it."""

from __future__ import annotations

from typing import ClassVar


class LoyaltyError(Exception):
    """Every error raised on purpose; the edge renders it as API.md's error body."""

    http_status: ClassVar[int] = 400
    code: ClassVar[str] = "bad_request"

    def __init__(self, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers = headers or {}


class BadRequest(LoyaltyError):
    http_status, code = 400, "bad_request"


class MalformedJson(BadRequest):
    code = "malformed_json"


class Unauthorized(LoyaltyError):
    http_status, code = 401, "unauthorized"


class InvalidCredentials(Unauthorized):
    code = "invalid_credentials"


class Forbidden(LoyaltyError):
    http_status, code = 403, "forbidden"


class ManagerRequired(Forbidden):
    """A barista's purchase above the program's `points.max_purchase`: a manager records it."""

    code = "manager_required"


class NotFound(LoyaltyError):
    http_status, code = 404, "not_found"


class UnknownBarcode(NotFound):
    code = "unknown_barcode"


class UnknownCardNumber(NotFound):
    code = "unknown_card_number"


class Conflict(LoyaltyError):
    http_status, code = 409, "conflict"


class AlreadyExists(Conflict):
    code = "already_exists"


class ProgramClosed(Conflict):
    code = "program_closed"


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"


class InsufficientBalance(Conflict):
    code = "insufficient_balance"


class RewardNotAvailable(Conflict):
    code = "reward_not_available"


class RewardAlreadyRedeemed(Conflict):
    code = "reward_already_redeemed"


class NoEmail(Conflict):
    code = "no_email"


class PayloadTooLarge(LoyaltyError):
    http_status, code = 413, "payload_too_large"


class UnsupportedMediaType(LoyaltyError):
    http_status, code = 415, "unsupported_media_type"


class Invalid(LoyaltyError):
    """The body parsed but a field is out of range; the message names the field."""

    http_status, code = 422, "invalid"

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        errors: tuple[tuple[str | None, str], ...] = (),
    ) -> None:
        super().__init__(message)
        self.field = field
        # Every refusal of the body as (field, message), the first one included:
        # a form shows each beside its field at once.
        self.errors = errors


class InvalidCardNumber(Invalid):
    """Not a card number at all (a typo the check symbol catches): no lookup was made."""

    code = "invalid_card_number"


class TooManyRequests(LoyaltyError):
    http_status, code = 429, "too_many_requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message, headers={"Retry-After": str(max(1, retry_after))})
        self.retry_after = retry_after


class TooManyAttempts(TooManyRequests):
    code = "too_many_attempts"


class ScanLimit(TooManyRequests):
    code = "scan_limit"


class TooManyMisses(TooManyRequests):
    code = "too_many_misses"


class TooManyEnrolments(TooManyRequests):
    code = "too_many_enrolments"


class TooManyCardEmails(TooManyRequests):
    code = "too_many_card_emails"


class TooManyPasswordResets(TooManyRequests):
    code = "too_many_password_resets"


class Unavailable(LoyaltyError):
    """The store could not take the change now (throttled, a conflict): send it again."""

    http_status, code = 503, "unavailable"


class ImageTooLarge(PayloadTooLarge):
    """A brand image over its byte limit (the body) or its pixel limit (a decompression bomb)."""

    code = "image_too_large"


class UnsupportedImage(UnsupportedMediaType):
    """Bytes that are not a PNG, JPEG or WebP, whatever the Content-Type said (SVG, text)."""

    code = "unsupported_image"


class UnreadableImage(Invalid):
    """A PNG, JPEG or WebP by its first bytes that does not decode (truncated, corrupt)."""

    code = "unreadable_image"
