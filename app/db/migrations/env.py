"""Alembic environment: runs on the connection that app.db.migrate passes in."""

from alembic import context

import app.models  # noqa: F401  (registers every table on Base.metadata)
from app.db.base import Base

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode copies the table instead.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
