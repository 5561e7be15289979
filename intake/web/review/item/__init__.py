"""`/review/items/{reference}`: one item for DigIT staff: text, draft, gaps, moves, audit trail.

The page reads only this item's rows, each through an index (the reference, `submission_id`,
the audit trail's `entity_key`), so it stays quick however long the queue gets. Every form works
without JavaScript (POST, then 303 back to the page); with htmx, saving the draft and asking a
question swap only their section, and the sections they affect ride along out of band.
"""

from intake.web.review.item._form import DraftForm
from intake.web.review.item._pages import ItemPages
from intake.web.review.item._view import ItemView, checklists_of, load_item

__all__ = ["DraftForm", "ItemPages", "ItemView", "checklists_of", "load_item"]
