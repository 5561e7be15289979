"""What became of a stored mail (stored in `inbound_mail.state`; `intake.models` uses it)."""

from __future__ import annotations

import enum


class MailState(enum.StrEnum):
    """What became of one stored mail.

    `received`: stored, not yet handled (or its handler died; it is handled again). `handling`:
    one process is turning it into a submission until `lease_until`. `submitted`: a new
    submission. `reply`: added to an existing submission. `automatic`: an auto-reply, bounce or
    list mail, recorded only. `quarantined`: it could not be parsed or turned into a submission;
    a human looks at `note`.
    """

    RECEIVED = "received"
    HANDLING = "handling"
    SUBMITTED = "submitted"
    REPLY = "reply"
    AUTOMATIC = "automatic"
    QUARANTINED = "quarantined"
