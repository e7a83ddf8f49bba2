"""GET /dev/mail: the mail the local run sent, for a person trying it by hand.

Registered by app.py in the local and test stages only: a deployed stage has no
such route (404). The models live here, not in schemas.py, so that no deployed
stage's /openapi.json names them.
"""

from __future__ import annotations

from typing import Any

from chalicelib import mail
from chalicelib.web.routing import Api, Call
from chalicelib.web.schemas import _Schema

api = Api(__name__, tag="dev")


class SentMail(_Schema):
    to: str
    subject: str
    text: str
    sent_at: str


class SentMailList(_Schema):
    items: list[SentMail]


@api.route(
    "/dev/mail",
    "GET",
    summary="The last mail sent, newest first (local and test stages only)",
    response=SentMailList,
)
def sent_mail(call: Call) -> dict[str, Any]:
    return {
        "items": [
            {"to": m.to, "subject": m.subject, "text": m.text, "sent_at": m.sent_at}
            for m in mail.sent()
        ]
    }
