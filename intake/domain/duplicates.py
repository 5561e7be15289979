"""What a duplicate candidate points at, and what a reviewer decided about it.

The values are stored as plain strings (`duplicate_candidate.other_kind`, `.decision`,
`step_change.merged_into_kind`); `intake.models` uses these enums for its columns.
"""

from __future__ import annotations

import enum


class ItemKind(enum.StrEnum):
    """What a duplicate candidate or index entry points at."""

    SUBMISSION = "submission"
    PORTFOLIO = "portfolio"


class Decision(enum.StrEnum):
    """A reviewer's decision on a duplicate candidate. The service never decides by itself."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"
    LINKED = "linked"
    """Related but not a duplicate: both go on, and each page points to the other."""
