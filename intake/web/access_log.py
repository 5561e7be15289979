"""Access-log lines without personal data: no follow tokens, no query strings.

A follow link's token is a credential (anyone holding it reads that submission), and a query
string can carry typed text (`GET /api/similar?text=…`). uvicorn's access logger gets the path
with both; this filter rewrites the path before the line is formatted, so neither reaches a log
file or a log shipper.
"""

from __future__ import annotations

import copy
import logging
import re
from typing import Any

_TOKEN_PATHS = re.compile(r"^(/follow/)[^/?]+")


def redact_path(path: str) -> str:
    """Return `path` with a follow token replaced by `…` and the query string cut to `?…`."""
    path, query_mark, _ = path.partition("?")
    path = _TOKEN_PATHS.sub(r"\1…", path)
    return f"{path}?…" if query_mark else path


class RedactingFilter(logging.Filter):
    """Rewrite the path argument of uvicorn's access-log records (`client, method, path, version, status`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], redact_path(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """uvicorn's logging configuration with the filter on its access handler."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact"] = {"()": f"{__name__}.RedactingFilter"}
    config["handlers"]["access"].setdefault("filters", []).append("redact")
    return config
