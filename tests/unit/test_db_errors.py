"""A failing SQL statement's error never carries its parameters (personal data) into logs."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from intake.db import create_db_engine
from intake.settings import Settings


def test_an_sql_error_does_not_show_the_parameters(tmp_path: Path) -> None:
    engine = create_db_engine(Settings(data_dir=tmp_path))
    try:
        with engine.connect() as connection, pytest.raises(sa.exc.SQLAlchemyError) as caught:
            connection.execute(sa.text("INSERT INTO nowhere VALUES (:email)"), {"email": "anna@kommunen.se"})
    finally:
        engine.dispose()
    assert "nowhere" in str(caught.value), "the error is the one provoked"
    assert "anna@kommunen.se" not in str(caught.value)
