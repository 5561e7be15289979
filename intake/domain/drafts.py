"""Where a submission's initiative draft stands (stored in `draft.state`; `intake.models` uses it)."""

from __future__ import annotations

import enum


class DraftState(enum.StrEnum):
    """Where the initiative draft of a submission stands.

    `rules_only`: made by the deterministic rules alone (no model configured, or it was down);
    drafted again with the model when it answers. `drafted`: the model's draft, checked against the
    rules. `draft_failed`: the model's answer was not valid even after one repair attempt; the
    rules-only draft stays and a human decides. `edited`: changed by a reviewer; never overwritten.
    """

    RULES_ONLY = "rules_only"
    DRAFTED = "drafted"
    DRAFT_FAILED = "draft_failed"
    EDITED = "edited"
