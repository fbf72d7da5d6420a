"""Alembic migrations; applied by app.db.migrate at every open and create."""
