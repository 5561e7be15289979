"""Drafting: the initiative template and its checklist gaps, from the rules and (optionally) a model.

The domain of drafting lives here, free of any network: the typed draft and what one model call
returns (`schema`), the checklists, kinds and initiative types as replaceable data (`checklists`),
and the deterministic rules that run first and always (`rules`). Without a model,
`rules_only_draft` still gives a draft marked `source="rules"`; with one, `parse_answer` makes
its output honest and `merge_answer` keeps the rules' verdicts unless the model quotes evidence.
"""

from intake.drafting.checklists import (
    NEEDS_HUMAN,
    Checklist,
    ChecklistConfig,
    ChecklistFileError,
    ChecklistItem,
    Choice,
    RuleName,
    load_checklists,
)
from intake.drafting.rules import (
    Finding,
    evaluate,
    merge_answer,
    merge_gaps,
    rule_gaps,
    rules_only_draft,
)
from intake.drafting.schema import (
    Basis,
    Benefit,
    Draft,
    DraftAnswer,
    DraftField,
    Gap,
    GapStatus,
    Source,
    YesNo,
    answer_json_schema,
    check_quotes,
    parse_answer,
    prompt_context,
    quote_in_text,
    resolve_choices,
)

__all__ = [
    "NEEDS_HUMAN",
    "Basis",
    "Benefit",
    "Checklist",
    "ChecklistConfig",
    "ChecklistFileError",
    "ChecklistItem",
    "Choice",
    "Draft",
    "DraftAnswer",
    "DraftField",
    "Finding",
    "Gap",
    "GapStatus",
    "RuleName",
    "Source",
    "YesNo",
    "answer_json_schema",
    "check_quotes",
    "evaluate",
    "load_checklists",
    "merge_answer",
    "merge_gaps",
    "parse_answer",
    "prompt_context",
    "quote_in_text",
    "resolve_choices",
    "rule_gaps",
    "rules_only_draft",
]
