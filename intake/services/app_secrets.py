"""Random keys made once and shared by every process through the database (`app_secret`)."""

from __future__ import annotations

import secrets

from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from intake.models import AppSecret


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
