"""Alembic environment: the URL comes from the caller (bot.leads.db.upgrade) or, run on its own,
the environment's settings (DATABASE_URL)."""

from alembic import context
from sqlalchemy import create_engine

from bot.leads.models import Base
from bot.settings import Settings

config = context.config
url = config.get_main_option("sqlalchemy.url") or Settings.from_env().leads_database_url


def run() -> None:
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=Base.metadata, literal_binds=True)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = create_engine(url, future=True)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run()
