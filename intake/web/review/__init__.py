"""Staff pages under `/review/` (issue 7): the queue now, the item page later."""
