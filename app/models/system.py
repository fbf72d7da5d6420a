"""Workstation identity, number counters, settings and the backup record."""

import uuid
from datetime import datetime

from sqlalchemy import JSON, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.clock import utc_now
from app.db.base import Base, SyncedMixin
from app.ids import new_id


class Workstation(Base):
    """This database's workstation: its short code prefixes every human-facing number."""

    __tablename__ = "workstation"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(
        String(4), unique=True, comment="such as K7Q; unique per practice"
    )
    name: Mapped[str] = mapped_column(String(60))
    is_local: Mapped[bool] = mapped_column(
        default=False, comment="true for this database's own row"
    )


class NumberCounter(Base):
    """The last number issued locally for each kind of human-facing number."""

    __tablename__ = "number_counter"

    kind: Mapped[str] = mapped_column(String(30), primary_key=True)
    last_value: Mapped[int] = mapped_column(default=0)


class Setting(SyncedMixin, Base):
    """A practice-wide setting stored as JSON under a dotted key."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(80), unique=True)
    value: Mapped[object] = mapped_column(JSON)


class BackupRecord(Base):
    """One backup attempt and the result of verifying it (local to the workstation)."""

    __tablename__ = "backup_record"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    started_at: Mapped[datetime] = mapped_column(default=utc_now)
    finished_at: Mapped[datetime | None]
    file_name: Mapped[str] = mapped_column(String(260))
    folder: Mapped[str] = mapped_column(Text)
    size_bytes: Mapped[int] = mapped_column(default=0)
    verified: Mapped[bool] = mapped_column(default=False)
    table_count: Mapped[int] = mapped_column(default=0)
    row_count: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(Text, default="")
