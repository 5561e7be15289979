"""The CSRF signing key: from the settings, or made once and kept in the database for every process."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from intake.services.app_secrets import shared_secret
from intake.settings import AuthSettings

CSRF_SECRET = "csrf"  # noqa: S105 (the name of the row, not a secret)


def csrf_secret(engine: Engine, settings: AuthSettings) -> str:
    """Return the configured CSRF key, or the one shared through the database."""
    if settings.secret is not None:
        return settings.secret.get_secret_value()
    return shared_secret(engine, CSRF_SECRET)
