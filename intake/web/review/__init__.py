"""Staff pages under `/review/`: the queue, the item page and its duplicate actions."""
