"""The patient search index: folded keys per patient and one-typo variants of names.

Both tables are derived data. Triggers created by migrations 0002 and 0004 fill them
from the patient, patient_phone, patient_previous_name and coverage tables (see
app/search/index_keys.py), so code never writes them, and sync never needs to copy
them. Variant rows are never deleted: a variant left by a renamed patient points at a
name that no key uses, so it costs a lookup and finds no one.
"""

import uuid

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base


class PatientSearchKey(Base):
    """One search key of a patient who is not archived, such as "n:nunez" or "d:03041981"."""

    __tablename__ = "patient_search_key"
    # WITHOUT ROWID makes the primary key the table itself, so a prefix range on `key`
    # reads one b-tree. The patient_id index serves the triggers' deletes and the
    # per-candidate checks of a query with several words.
    __table_args__ = (
        Index("ix_patient_search_key_patient_id", "patient_id"),
        {"sqlite_with_rowid": False},
    )

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    patient_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)


class PatientSearchVariant(Base):
    """A name part with one character deleted (or the part itself), pointing at the part."""

    __tablename__ = "patient_search_variant"
    __table_args__ = ({"sqlite_with_rowid": False},)

    variant: Mapped[str] = mapped_column(String(100), primary_key=True)
    term: Mapped[str] = mapped_column(String(100), primary_key=True)
