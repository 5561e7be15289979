"""Random keys made once and shared by every process through the database (`app_secret`)."""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake.models import AppSecret
from intake.settings import AuthSettings

CSRF_SECRET = "csrf"  # noqa: S105 (the name of the row, not a secret)


def shared_secret(engine: Engine, name: str) -> str:
    """Return the secret called `name`, creating it if no process has yet (first writer wins)."""
    with Session(engine) as session:
        row = session.get(AppSecret, name)
        if row is not None:
            return row.value
        session.add(AppSecret(name=name, value=secrets.token_hex(32)))
        try:
            session.commit()
        except IntegrityError:
            session.rollback()
        row = session.get(AppSecret, name)
        assert row is not None
        return row.value


def csrf_secret(engine: Engine, settings: AuthSettings) -> str:
    """Return the configured CSRF signing key, or the one made once and shared through the database."""
    if settings.secret is not None:
        return settings.secret.get_secret_value()
    return shared_secret(engine, CSRF_SECRET)
