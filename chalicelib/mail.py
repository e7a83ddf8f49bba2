"""Email through Amazon SES v2: one plain-text message to one address.

A deployed stage sends from `MAIL_FROM`, an identity verified in SES (the stage's
policy grants ses:SendEmail on it and nothing else). The local run and the tests
send the same way to moto's SES, embedded in their process at `SES_ENDPOINT`;
`sent()` reads back what moto recorded, for GET /dev/mail. Without `MAIL_FROM`
the message is logged instead of sent.
"""

from __future__ import annotations

import email.policy
import email.utils
import logging
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

import boto3

from chalicelib.config import settings
from chalicelib.domain.instants import iso_seconds
from chalicelib.root import per_root

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    sent_at: str  # RFC 3339 UTC


@per_root
def _client() -> Any:
    config = settings()
    return boto3.client("sesv2", region_name=config.region, endpoint_url=config.ses_endpoint)


def send(to: str, subject: str, text: str) -> None:
    """Send `text` to `to`; a refusal by SES propagates (botocore's ClientError)."""
    sender = settings().mail_from
    if sender is None:
        log.info("mail not sent (no MAIL_FROM): to=%s subject=%r", to, subject)
        return
    # A whole MIME message (Raw), so that the Date and the UTF-8 text travel as
    # written; SES keeps both.
    message = EmailMessage(policy=email.policy.SMTP)
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    message.set_content(text)
    _client().send_email(
        FromEmailAddress=sender,
        Destination={"ToAddresses": [to]},
        Content={"Raw": {"Data": message.as_bytes()}},
    )


def verify_sender() -> None:
    """Create the sender's identity: moto's SES refuses mail from an unverified one.

    For the local run and the tests only; a deployed stage's identity is verified
    once by its owner (docs/deploy.md).
    """
    sender = settings().mail_from
    if sender is not None:
        _client().create_email_identity(EmailIdentity=sender)


def sent(limit: int = 50) -> list[Mail]:
    """The last messages moto's SES in this process recorded, newest first.

    Only where moto runs in this process (the local and test stages); moto is a
    development dependency, imported here and nowhere on a deployed path.
    """
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.ses.models import RawMessage, ses_backends

    backend = ses_backends[DEFAULT_ACCOUNT_ID][settings().region]
    mails = []
    for recorded in reversed(backend.sent_messages[-limit:]):
        if not isinstance(recorded, RawMessage):
            continue
        parsed = email.message_from_string(recorded.raw_data, policy=email.policy.default)
        body = parsed.get_body(preferencelist=("plain",))
        sent_at = email.utils.parsedate_to_datetime(parsed["Date"])
        mails.append(
            Mail(
                to=str(parsed["To"]),
                subject=str(parsed["Subject"]),
                # Sent as SMTP writes it (CRLF); read back as text.
                text=body.get_content().replace("\r\n", "\n") if body is not None else "",
                sent_at=iso_seconds(sent_at),
            )
        )
    return mails
