"""The card by email: what an enrolment with an address already enrolled gets instead.

The answer to such an enrolment carries nothing of the card (anyone may type
anyone's address); the wallet links go to the address the card was made for.
Sends are limited per mailbox and per program per day, so the form cannot be
used to flood someone's inbox.
"""

from __future__ import annotations

import hashlib

from chalicelib import mail
from chalicelib.domain.emails import canonical_email
from chalicelib.errors import NoEmail, TooManyCardEmails
from chalicelib.services import google_wallet, pass_tokens, throttle
from chalicelib.services.programs import load_program, program_of
from chalicelib.store import db
from chalicelib.store.models import MemberItem, MerchantItem

MAILS_PER_ADDRESS_PER_DAY = 3
MAILS_PER_PROGRAM_PER_DAY = 500


def mail_limits(program_id: str, mailbox: str) -> list[throttle.Limit]:
    # Hashed: the counters' table holds no email addresses.
    digest = hashlib.sha256(mailbox.encode()).hexdigest()
    return [
        throttle.Limit(f"card-mail#{digest}", MAILS_PER_ADDRESS_PER_DAY, throttle.DAY),
        throttle.Limit(f"card-mail-program#{program_id}", MAILS_PER_PROGRAM_PER_DAY, throttle.DAY),
    ]


def send_card(member: MemberItem) -> bool:
    """Email the member's wallet links to their own address; False if over a day's limit."""
    if member.email is None:  # erased: nowhere to send
        return False
    if not throttle.try_take(mail_limits(member.program_id, canonical_email(member.email))):
        return False
    where, links = _card(member)
    text = "\n".join(
        [
            f"Hello {member.name},",
            "",
            f"Someone, we hope you, asked to join {where} with this address. It already",
            "has a card, so here it is again:",
            "",
            *links,
            "",
            "If it was not you, ignore this email: the card was sent to you alone.",
        ]
    )
    mail.send(member.email, f"Your card for {where}", text)
    return True


def resend_card(member: MemberItem) -> None:
    """Staff send a member their card again (a lost phone, a deleted pass), within the
    same daily limits as the enrolment's resend. Raises NoEmail for a member without
    an address and TooManyCardEmails past a limit."""
    if member.email is None:
        raise NoEmail("This member has no email address to send the card to.")
    throttle.take(
        mail_limits(member.program_id, canonical_email(member.email)),
        TooManyCardEmails,
        "The card was already sent to this address the most times a day allows: try tomorrow.",
    )
    where, links = _card(member)
    text = "\n".join(
        [
            f"Hello {member.name},",
            "",
            f"Here is your card for {where}, as asked at the counter:",
            "",
            *links,
        ]
    )
    mail.send(member.email, f"Your card for {where}", text)


def _card(member: MemberItem) -> tuple[str, list[str]]:
    """Where the card is from ("Coffee card at Blue Bean"), and its wallet links."""
    item = load_program(member.program_id)
    name = program_of(item).name
    merchant = db.fetch(MerchantItem, item.merchant_id)
    where = f"{name} at {merchant.name}" if merchant else name
    links = [f"Add to Apple Wallet: {pass_tokens.download_url(member.member_id)}"]
    if google := google_wallet.save_url(member.member_id):
        links.append(f"Save to Google Wallet: {google}")
    return where, links
