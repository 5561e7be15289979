"""What a person with an account may do (stored in `account.role`; `intake.models` uses it)."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """What a person may do. One role per account; `admin` may do everything."""

    SUBMITTER = "submitter"
    DIGIT = "digit"
    FORUM = "forum"
    ADMIN = "admin"
