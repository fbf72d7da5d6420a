"""Apply Alembic migrations to an open engine.

Alembic is imported only when a migration runs, so an ordinary start stays fast.
"""

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Engine, text
from sqlalchemy.exc import OperationalError

from app.errors import DatabaseOpenError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")

# The newest migration, kept as a constant so a normal start can check the schema with
# one query instead of importing Alembic; a test checks that it equals Alembic's head.
SCHEMA_HEAD = "0009"


def _config() -> "Config":
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    """Return the newest migration shipped with this version of ClinicDesk."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Return the migration the database is at, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine) -> None:
    """Bring the database schema to the newest migration, in one transaction."""
    from alembic import command

    config = _config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")
    log.info("database schema at revision %s", head_revision())


def stored_revision(engine: Engine) -> str | None:
    """Return the revision recorded in the database, read with plain SQL."""
    with engine.connect() as connection:
        try:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
        except OperationalError:
            return None  # no alembic_version table: nothing was ever migrated


def ensure_current(engine: Engine, path: Path) -> None:
    """Migrate a database written by an older version; refuse one from a newer version."""
    revision = stored_revision(engine)
    if revision == SCHEMA_HEAD:
        return

    # Imported only here, so an ordinary start with a current schema never loads Alembic.
    from alembic.util import CommandError

    try:
        upgrade(engine)
    except CommandError as exc:
        raise DatabaseOpenError(
            f"The database {path} was written by a newer version of ClinicDesk (schema "
            f"{revision}). Install that version or a later one on this computer; nothing "
            "was changed."
        ) from exc
    log.info("database schema upgraded from %s", revision)
