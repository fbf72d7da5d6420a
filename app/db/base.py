"""The declarative base and the columns every synced table shares."""

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from app.clock import utc_now
from app.db.types import MoneyCents, UTCDateTime, UUIDBlob
from app.ids import new_id

# Constraint names are fixed so Alembic's batch mode on SQLite can find and alter them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every ORM model: UUIDs as blobs, money as cents, instants in UTC."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {  # noqa: RUF012 (SQLAlchemy reads this class attribute by name)
        uuid.UUID: UUIDBlob(),
        Decimal: MoneyCents(),
        datetime: UTCDateTime(),
    }


class SyncedMixin:
    """Columns that make a row safe to replicate between workstations.

    Rows are never hard-deleted once they may have synced: they are archived instead,
    and every change stamps who made it and when.
    """

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(default=utc_now, onupdate=utc_now)
    updated_by: Mapped[uuid.UUID | None] = mapped_column(
        comment="users.id of the last writer; null for rows written by setup or migrations"
    )
    archived: Mapped[bool] = mapped_column(default=False)
