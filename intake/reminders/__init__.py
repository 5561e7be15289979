"""Reminders to DigIT, and the exactly-once bookkeeping of every scheduled mail.

`build_digest` reads what DigIT should chase (items waiting too long in their step, answers
submitters owe); `render_markdown` and `digest_message` write it out. `claims` holds the rows
that make a scheduled agenda or digest go out once, however many processes look at once.
"""

from intake.reminders.digest import (
    Digest,
    OwedAnswer,
    StaleItem,
    build_digest,
    limit_days,
    local_day,
    send_moment,
)
from intake.reminders.render import digest_message, render_markdown, subject

__all__ = [
    "Digest",
    "OwedAnswer",
    "StaleItem",
    "build_digest",
    "digest_message",
    "limit_days",
    "local_day",
    "render_markdown",
    "send_moment",
    "subject",
]
