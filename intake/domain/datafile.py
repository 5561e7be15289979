"""Read one of the YAML files an administrator may replace (process, checklists) into its model.

One place for the rule both follow: the shipped file from `intake/data/` when no path is set,
and a clear error naming the file when it cannot be read or does not validate.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import TypeVar

import yaml
from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def load_data_file(path: str | None, shipped: str, model: type[M], error: type[Exception], what: str) -> M:
    """Validate `path` (or the shipped `intake/data/{shipped}`) as `model`; raise `error` if it fails."""
    where = path or "(built-in)"
    try:
        if path is None:
            text = resources.files("intake.data").joinpath(shipped).read_text("utf-8")
        else:
            text = Path(path).read_text("utf-8")
        raw = yaml.safe_load(text)
    except (OSError, yaml.YAMLError) as exc:
        raise error(f"cannot read {what} file {where}: {exc}") from exc
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        raise error(f"invalid {what} file {where}:\n{exc}") from exc
