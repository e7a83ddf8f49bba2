"""The card by email: what an enrolment with an address already enrolled gets instead.

The answer to such an enrolment carries nothing of the card (anyone may type
anyone's address); the wallet links go to the address the card was made for.
Sends are limited per mailbox and per program per day, so the form cannot be
used to flood someone's inbox.
"""

from __future__ import annotations

import hashlib

from chalicelib import i18n, mail
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
    said, where, links = _card(member)
    text = "\n".join(
        [
            said.gettext("Hello {name},").format(name=member.name),
            "",
            said.gettext(
                "Someone, we hope you, asked to join {where} with this address. It already"
                " has a card, so here it is again:"
            ).format(where=where),
            "",
            *links,
            "",
            said.gettext("If it was not you, ignore this email: the card was sent to you alone."),
        ]
    )
    mail.send(member.email, said.gettext("Your card for {where}").format(where=where), text)
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
    said, where, links = _card(member)
    text = "\n".join(
        [
            said.gettext("Hello {name},").format(name=member.name),
            "",
            said.gettext("Here is your card for {where}, as asked at the counter:").format(
                where=where
            ),
            "",
            *links,
        ]
    )
    mail.send(member.email, said.gettext("Your card for {where}").format(where=where), text)


def _card(member: MemberItem) -> tuple[i18n.Words, str, list[str]]:
    """The member's language, where the card is from ("Coffee card at Blue Bean"), and
    its wallet links, in that language."""
    item = load_program(member.program_id)
    program = program_of(item)
    # The language the member enrolled in; members from before languages: the program's.
    said = i18n.words(member.language or program.default_language)
    name = program.name_in(said.language)
    merchant = db.fetch(MerchantItem, item.merchant_id)
    where = (
        said.gettext("{program} at {merchant}").format(program=name, merchant=merchant.name)
        if merchant
        else name
    )
    links = [
        said.gettext("Add to Apple Wallet: {link}").format(
            link=pass_tokens.download_url(member.member_id)
        )
    ]
    if google := google_wallet.save_url(member.member_id):
        links.append(said.gettext("Save to Google Wallet: {link}").format(link=google))
    return said, where, links
