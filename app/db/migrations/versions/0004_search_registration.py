"""Index the registration data of migration 0003 for the patient search.

New keys: preferred names and previous names ("n:"), every patient_phone number
("p:"), the last four digits of the SSN ("s:"), and the chart numbers of records
merged into a patient ("r:", stored under the survivor). The patient triggers of 0002
are replaced, and new triggers keep the keys of phones, previous names and merges.

The upgrade adds the new keys of existing rows with a handful of INSERT … SELECT
statements, so no Python loop runs per patient (the key function itself is Python and
runs once per row). The keys 0002 stored stay: 0004 computes the same keys from the
same columns, and 0002's triggers already removed the keys of archived and merged
records. docs/benchmarks.md records how long this takes on 100,000 patients.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05
"""

import importlib

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

KEY_TABLE = "INSERT OR IGNORE INTO patient_search_key (key, patient_id) "
PATIENT_KEYS = (
    "json_each(clinicdesk_search_keys('patient', {p}.first_name, {p}.middle_name, "
    "{p}.last_name, {p}.date_of_birth, {p}.phone, {p}.chart_number, {p}.preferred_name, "
    "{p}.ssn))"
)
# Variants of the name parts of patient {id} that have none yet, read back from the
# patient's keys, as in migration 0002.
NEW_NAME_VARIANTS = (
    "INSERT OR IGNORE INTO patient_search_variant (variant, term) "
    "SELECT json_extract(variants.value, '$[0]'), json_extract(variants.value, '$[1]') "
    "FROM patient_search_key AS part, "
    "json_each(clinicdesk_search_keys('variants', substr(part.key, 3))) AS variants "
    "WHERE part.patient_id = {id} AND part.key >= 'n:' AND part.key < 'n;' "
    "AND NOT EXISTS (SELECT 1 FROM patient_search_variant AS known "
    "WHERE known.variant = substr(part.key, 3) AND known.term = substr(part.key, 3));"
)


def _in_field(column: str, field: str) -> str:
    """Return SQL true when `column` is a key of `field` ("p:"): ";" sorts right after ":"."""
    return f"{column} >= '{field}' AND {column} < '{field[0]};'"


# The statement builders below take the id of one patient (such as "NEW.patient_id")
# or EVERY_PATIENT, which the upgrade's rebuild uses.
EVERY_PATIENT = "p.id"


def _which(patient_id: str) -> str:
    return "1" if patient_id == EVERY_PATIENT else f"p.id = {patient_id}"


def _patient_row(patient_id: str, field: str | None = None) -> str:
    """Return a statement adding the keys of patient rows, or only those of `field`."""
    only = f" AND {_in_field('keys.value', field)}" if field else ""
    return (
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p, {PATIENT_KEYS.format(p='p')} "
        f"AS keys WHERE {_which(patient_id)} AND p.archived = 0{only};"
    )


def _phones(patient_id: str) -> str:
    return (
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p "
        "JOIN patient_phone AS phone ON phone.patient_id = p.id, "
        "json_each(clinicdesk_search_keys('phone', phone.number)) AS keys "
        f"WHERE {_which(patient_id)} AND p.archived = 0 AND phone.archived = 0;"
    )


def _previous_names(patient_id: str) -> str:
    return (
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p "
        "JOIN patient_previous_name AS old ON old.patient_id = p.id, "
        "json_each(clinicdesk_search_keys('names', old.first_name, old.middle_name, "
        "old.last_name)) AS keys "
        f"WHERE {_which(patient_id)} AND p.archived = 0 AND old.archived = 0;"
    )


def _members(patient_id: str) -> str:
    return (
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p "
        "JOIN coverage ON coverage.patient_id = p.id, "
        "json_each(clinicdesk_search_keys('member', coverage.member_id)) AS keys "
        f"WHERE {_which(patient_id)} AND p.archived = 0 AND coverage.archived = 0;"
    )


def _merged_charts(survivor_id: str) -> str:
    """Return a statement adding the chart keys of archived records merged into
    `survivor_id`. patient.merged_into_id has no index, so this reads the whole patient
    table: only merges and un-archiving run it, never an ordinary edit.

    NOTE: one level only. If the survivor is later merged into a third record, the
    first record's chart number finds no one (SQLite allows no recursive query in a
    trigger); the merge service rejects merging a record that is merged already, but
    not merging a survivor.
    """
    return (
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p "
        "JOIN patient AS merged ON merged.merged_into_id = p.id, "
        "json_each(clinicdesk_search_keys('merged_chart', merged.chart_number)) AS keys "
        f"WHERE p.id = {survivor_id} AND p.archived = 0 AND merged.archived = 1;"
    )


def _delete(patient_id: str, field: str) -> str:
    return (
        f"DELETE FROM patient_search_key WHERE patient_id = {patient_id} "
        f"AND {_in_field('key', field)};"
    )


def _reindex_phones(patient_id: str) -> str:
    return _delete(patient_id, "p:") + _patient_row(patient_id, "p:") + _phones(patient_id)


def _reindex_names(patient_id: str) -> str:
    return (
        _delete(patient_id, "n:")
        + _patient_row(patient_id, "n:")
        + _previous_names(patient_id)
        + NEW_NAME_VARIANTS.format(id=patient_id)
    )


def _reindex_merged_charts(survivor_id: str) -> str:
    return _delete(survivor_id, "r:") + _merged_charts(survivor_id)


# An ordinary edit of a survivor keeps its "r:" keys, which only the merge triggers
# change, so the edit never has to search the patient table for merged records.
_UPDATE_PATIENT = (
    "DELETE FROM patient_search_key WHERE patient_id = OLD.id "
    "AND (NEW.archived = 1 OR NEW.id <> OLD.id OR NOT (key >= 'r:' AND key < 'r;')); "
    f"{KEY_TABLE}SELECT value, NEW.id FROM {PATIENT_KEYS.format(p='NEW')} "
    "WHERE NEW.archived = 0; "
    + _phones("NEW.id")
    + _previous_names("NEW.id")
    + _members("NEW.id")
    + NEW_NAME_VARIANTS.format(id="NEW.id")
)

TRIGGERS = {
    "patient_search_insert": (
        "AFTER INSERT ON patient BEGIN "
        f"{KEY_TABLE}SELECT value, NEW.id FROM {PATIENT_KEYS.format(p='NEW')} "
        f"WHERE NEW.archived = 0; {NEW_NAME_VARIANTS.format(id='NEW.id')} END"
    ),
    "patient_search_update": (
        "AFTER UPDATE OF id, first_name, middle_name, last_name, preferred_name, "
        f"date_of_birth, phone, ssn, chart_number, archived ON patient BEGIN {_UPDATE_PATIENT} END"
    ),
    "patient_search_merge_insert": (
        "AFTER INSERT ON patient WHEN NEW.merged_into_id IS NOT NULL BEGIN "
        f"{_merged_charts('NEW.merged_into_id')} END"
    ),
    "patient_search_merge": (
        "AFTER UPDATE OF merged_into_id, chart_number, archived ON patient "
        "WHEN OLD.merged_into_id IS NOT NULL OR NEW.merged_into_id IS NOT NULL BEGIN "
        f"{_reindex_merged_charts('OLD.merged_into_id')} "
        f"{_reindex_merged_charts('NEW.merged_into_id')} END"
    ),
    "patient_search_restore": (
        "AFTER UPDATE OF archived ON patient WHEN OLD.archived = 1 AND NEW.archived = 0 "
        f"BEGIN {_merged_charts('NEW.id')} END"
    ),
    "patient_phone_search_insert": (
        "AFTER INSERT ON patient_phone WHEN NEW.archived = 0 BEGIN "
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p, "
        "json_each(clinicdesk_search_keys('phone', NEW.number)) AS keys "
        "WHERE p.id = NEW.patient_id AND p.archived = 0; END"
    ),
    "patient_phone_search_update": (
        "AFTER UPDATE OF patient_id, number, archived ON patient_phone BEGIN "
        f"{_reindex_phones('OLD.patient_id')} {_reindex_phones('NEW.patient_id')} END"
    ),
    "patient_phone_search_delete": (
        f"AFTER DELETE ON patient_phone BEGIN {_reindex_phones('OLD.patient_id')} END"
    ),
    "patient_previous_name_search_insert": (
        "AFTER INSERT ON patient_previous_name WHEN NEW.archived = 0 BEGIN "
        f"{_previous_names('NEW.patient_id')} {NEW_NAME_VARIANTS.format(id='NEW.patient_id')} END"
    ),
    "patient_previous_name_search_update": (
        "AFTER UPDATE OF patient_id, first_name, middle_name, last_name, archived "
        f"ON patient_previous_name BEGIN {_reindex_names('OLD.patient_id')} "
        f"{_reindex_names('NEW.patient_id')} END"
    ),
    "patient_previous_name_search_delete": (
        f"AFTER DELETE ON patient_previous_name BEGIN {_reindex_names('OLD.patient_id')} END"
    ),
}
# Triggers of migration 0002 that this migration replaces (same names, new bodies).
REPLACED = ("patient_search_insert", "patient_search_update")


def upgrade() -> None:
    for name in REPLACED:
        op.execute(f"DROP TRIGGER {name}")
    for name, body in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {body}")
    add_new_keys()


def add_new_keys() -> None:
    """Add the keys 0004 indexes and 0002 did not, one set-based statement per source.

    Inserting only the new keys (about a quarter of the index) rather than rebuilding
    all of it keeps the upgrade of a large practice to a fraction of the time.
    """
    op.execute(
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p, "
        "json_each(clinicdesk_search_keys('names', p.preferred_name)) AS keys "
        "WHERE p.preferred_name IS NOT NULL AND p.archived = 0"
    )
    op.execute(
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS p, "
        f"{PATIENT_KEYS.format(p='p')} AS keys "
        f"WHERE p.ssn IS NOT NULL AND p.archived = 0 AND {_in_field('keys.value', 's:')}"
    )
    for source in (_phones, _previous_names):
        op.execute(source(EVERY_PATIENT))
    # Driven from the merged records, so each finds its survivor by primary key.
    op.execute(
        f"{KEY_TABLE}SELECT keys.value, p.id FROM patient AS merged "
        "JOIN patient AS p ON p.id = merged.merged_into_id, "
        "json_each(clinicdesk_search_keys('merged_chart', merged.chart_number)) AS keys "
        "WHERE merged.archived = 1 AND p.archived = 0"
    )
    # Variant rows are never deleted (see app/models/search.py), so only name parts
    # that have no row for themselves yet need their variants computed.
    op.execute(
        "INSERT OR IGNORE INTO patient_search_variant (variant, term) "
        "SELECT json_extract(variants.value, '$[0]'), json_extract(variants.value, '$[1]') "
        "FROM (SELECT DISTINCT substr(key, 3) AS term FROM patient_search_key "
        "WHERE key >= 'n:' AND key < 'n;') AS part, "
        "json_each(clinicdesk_search_keys('variants', part.term)) AS variants "
        "WHERE NOT EXISTS (SELECT 1 FROM patient_search_variant AS known "
        "WHERE known.variant = part.term AND known.term = part.term)"
    )


def downgrade() -> None:
    search_0002 = importlib.import_module("app.db.migrations.versions.0002_patient_search")
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    for name in REPLACED:
        op.execute(f"CREATE TRIGGER {name} {search_0002.TRIGGERS[name]}")
    op.execute("DELETE FROM patient_search_key")
    search_0002._rebuild()
