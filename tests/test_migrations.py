"""The migrations build exactly the tables the code declares, and can be undone."""

from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from conftest import empty_postgres
from sqlalchemy import create_engine, inspect

from bot.leads.db import MIGRATIONS
from bot.leads.models import Base

URLS = ["sqlite"] + (["postgresql"] if os.environ.get("BOUSSOLE_TEST_POSTGRES_URL") else [])


def _config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


@pytest.fixture(params=URLS)
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'leads.db'}"
    url = empty_postgres()  # the schema tests/test_leads.py also starts from
    return url


def test_upgrade_head_gives_the_models_schema_and_downgrade_removes_it(database_url):
    config = _config(database_url)
    command.upgrade(config, "head")
    engine = create_engine(database_url, future=True)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    # SQLite's own bookkeeping of AUTOINCREMENT (migration 0003) is no table of ours.
    differences = [
        d for d in differences if not (d[0] == "remove_table" and d[1].name == "sqlite_sequence")
    ]
    assert differences == []
    command.downgrade(config, "base")
    assert set(inspect(create_engine(database_url, future=True)).get_table_names()) <= {
        "alembic_version",
        "sqlite_sequence",
    }
