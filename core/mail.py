"""Plain-text e-mails whose body can be read as sent."""

from __future__ import annotations

import email.policy
from typing import Any

from django.core.mail import EmailMessage

# RFC 5322: no line of a message may be longer than this, in bytes.
LONGEST_LINE = 998


class TextMail(EmailMessage):
    """A plain-text e-mail with its UTF-8 body sent as 8-bit text.

    Django 6 builds messages with Python's e-mail API, which sends a UTF-8
    line longer than 78 bytes as base64: almost any Vietnamese sentence.
    Here the body goes as 8-bit text, as Django's older API sent it, so the
    development console and a mail file show it as written; a line too
    long for that is sent quoted-printable instead.
    """

    def message(self, *, policy: Any = email.policy.default) -> Any:
        message = super().message(policy=policy)
        if message.is_multipart() or message.get_content_type() != "text/plain":
            return message
        body = message.get_content()
        too_long = any(len(line.encode()) > LONGEST_LINE for line in body.splitlines())
        message.set_content(
            body, charset="utf-8", cte="quoted-printable" if too_long else "8bit"
        )
        return message


def send_text_mail(
    subject: str, body: str, recipients: list[str], *, message_id: str = ""
) -> int:
    """Send one plain-text mail from DEFAULT_FROM_EMAIL; returns how many went.
    `message_id`, when given, is its Message-ID (else one is made)."""
    headers = {"Message-ID": message_id} if message_id else None
    return TextMail(subject, body, None, recipients, headers=headers).send()
