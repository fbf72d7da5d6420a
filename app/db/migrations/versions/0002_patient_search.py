"""Patient search index: folded keys, one-typo name variants, triggers that keep them.

The triggers call the SQL function clinicdesk_search_keys, which app/db/database.py
registers on every connection (it folds accents, which SQLite's own functions cannot).
The upgrade indexes the patients and coverages that already exist.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PATIENT_KEYS = (
    "json_each(clinicdesk_search_keys('patient', {p}.first_name, {p}.middle_name, "
    "{p}.last_name, {p}.date_of_birth, {p}.phone, {p}.chart_number))"
)
# Variants of the name parts of patient {id} that have none yet, read back from the
# patient's keys. Checking for the part's own row first skips the function call and
# the inserts for the common case of a name the practice already has.
NEW_NAME_VARIANTS = (
    "INSERT OR IGNORE INTO patient_search_variant (variant, term) "
    "SELECT json_extract(variants.value, '$[0]'), json_extract(variants.value, '$[1]') "
    "FROM patient_search_key AS part, "
    "json_each(clinicdesk_search_keys('variants', substr(part.key, 3))) AS variants "
    "WHERE part.patient_id = {id} AND part.key >= 'n:' AND part.key < 'n;' "
    "AND NOT EXISTS (SELECT 1 FROM patient_search_variant AS known "
    "WHERE known.variant = substr(part.key, 3) AND known.term = substr(part.key, 3));"
)


def _index_patient(row: str) -> str:
    """Return statements that add the keys and name variants of patient `row`."""
    return (
        "INSERT OR IGNORE INTO patient_search_key (key, patient_id) "
        f"SELECT value, {row}.id FROM {PATIENT_KEYS.format(p=row)} WHERE {row}.archived = 0; "
        f"{NEW_NAME_VARIANTS.format(id=row + '.id')}"
    )


def _index_members(patient_id: str) -> str:
    """Return statements that replace the member-id keys of patient `patient_id`."""
    return (
        "DELETE FROM patient_search_key "
        f"WHERE patient_id = {patient_id} AND key >= 'm:' AND key < 'm;'; "
        "INSERT OR IGNORE INTO patient_search_key (key, patient_id) "
        "SELECT keys.value, coverage.patient_id FROM coverage "
        "JOIN patient ON patient.id = coverage.patient_id, "
        "json_each(clinicdesk_search_keys('member', coverage.member_id)) AS keys "
        f"WHERE coverage.patient_id = {patient_id} AND coverage.archived = 0 "
        "AND patient.archived = 0;"
    )


TRIGGERS = {
    "patient_search_insert": f"AFTER INSERT ON patient BEGIN {_index_patient('NEW')} END",
    "patient_search_update": (
        "AFTER UPDATE OF id, first_name, middle_name, last_name, date_of_birth, phone, "
        "chart_number, archived ON patient BEGIN "
        "DELETE FROM patient_search_key WHERE patient_id = OLD.id; "
        f"{_index_patient('NEW')} {_index_members('NEW.id')} END"
    ),
    "patient_search_delete": (
        "AFTER DELETE ON patient BEGIN "
        "DELETE FROM patient_search_key WHERE patient_id = OLD.id; END"
    ),
    "coverage_search_insert": (
        f"AFTER INSERT ON coverage BEGIN {_index_members('NEW.patient_id')} END"
    ),
    "coverage_search_update": (
        "AFTER UPDATE OF patient_id, member_id, archived ON coverage BEGIN "
        f"{_index_members('OLD.patient_id')} {_index_members('NEW.patient_id')} END"
    ),
    "coverage_search_delete": (
        f"AFTER DELETE ON coverage BEGIN {_index_members('OLD.patient_id')} END"
    ),
}


def upgrade() -> None:
    op.create_table(
        "patient_search_key",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.PrimaryKeyConstraint("key", "patient_id", name=op.f("pk_patient_search_key")),
        sqlite_with_rowid=False,
    )
    op.create_index(
        "ix_patient_search_key_patient_id", "patient_search_key", ["patient_id"], unique=False
    )
    op.create_table(
        "patient_search_variant",
        sa.Column("variant", sa.String(length=100), nullable=False),
        sa.Column("term", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("variant", "term", name=op.f("pk_patient_search_variant")),
        sqlite_with_rowid=False,
    )
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    _rebuild()


def _rebuild() -> None:
    """Index the rows written before this migration; the triggers cover later writes."""
    op.execute(
        "INSERT OR IGNORE INTO patient_search_key (key, patient_id) "
        f"SELECT value, patient.id FROM patient, {PATIENT_KEYS.format(p='patient')} "
        "WHERE patient.archived = 0"
    )
    op.execute(
        "INSERT OR IGNORE INTO patient_search_variant (variant, term) "
        "SELECT json_extract(variants.value, '$[0]'), json_extract(variants.value, '$[1]') "
        "FROM (SELECT DISTINCT substr(key, 3) AS term FROM patient_search_key "
        "WHERE key >= 'n:' AND key < 'n;') AS part, "
        "json_each(clinicdesk_search_keys('variants', part.term)) AS variants"
    )
    op.execute(
        "INSERT OR IGNORE INTO patient_search_key (key, patient_id) "
        "SELECT keys.value, coverage.patient_id FROM coverage "
        "JOIN patient ON patient.id = coverage.patient_id, "
        "json_each(clinicdesk_search_keys('member', coverage.member_id)) AS keys "
        "WHERE coverage.archived = 0 AND patient.archived = 0"
    )


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_index("ix_patient_search_key_patient_id", table_name="patient_search_key")
    op.drop_table("patient_search_variant")
    op.drop_table("patient_search_key")
