"""Charge capture: procedure codes, modifiers and their rules, fee schedules, imported
ICD-10-CM editions, encounters with diagnoses and service lines, provider favorites, and
a hash on each ledger row. Coverage records its last eligibility check, and a reminder
the visit time it names.

The ledger gains its column by a plain ALTER TABLE, so its append-only triggers stay.
Rows posted before then get their hash here, with the UPDATE trigger dropped for the
fill and recreated as migration 0001 made it.
Service lines of a posted encounter are frozen by triggers: a correction is a reversal
in the ledger and a new line.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 01:32:43.616718
"""

import sqlalchemy as sa
from alembic import op

import app.db.types
from app.ledger_hash import ledger_row_hash

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


# Columns a claim is built from: once the encounter is posted they must not change.
_FROZEN_LINE_COLUMNS = (
    "encounter_id",
    "service_date",
    "procedure_code",
    "modifier1",
    "modifier2",
    "modifier3",
    "modifier4",
    "units",
    "unit_fee",
    "charge_amount",
    "pointer1",
    "pointer2",
    "pointer3",
    "pointer4",
    "ndc_code",
    "ndc_quantity",
    "ndc_unit",
)
_POSTED = "(SELECT status FROM encounter WHERE id = OLD.encounter_id) = 'posted'"


def _create_posted_line_triggers() -> None:
    changed = " OR ".join(f"NEW.{name} IS NOT OLD.{name}" for name in _FROZEN_LINE_COLUMNS)
    op.execute(
        "CREATE TRIGGER charge_line_posted_no_update BEFORE UPDATE ON charge_line "
        f"WHEN {_POSTED} AND ({changed}) "
        "BEGIN SELECT RAISE(ABORT, 'charge_line rows of a posted encounter cannot change: "
        "reverse the line and enter a new one'); END"
    )
    op.execute(
        "CREATE TRIGGER charge_line_posted_no_delete BEFORE DELETE ON charge_line "
        f"WHEN {_POSTED} "
        "BEGIN SELECT RAISE(ABORT, 'charge_line rows of a posted encounter cannot be deleted: "
        "reverse the line instead'); END"
    )


# The statement migration 0001 created the trigger with; recreated verbatim after the fill.
_LEDGER_NO_UPDATE = (
    "CREATE TRIGGER ledger_entry_no_update BEFORE UPDATE ON ledger_entry "
    "BEGIN SELECT RAISE(ABORT, 'ledger_entry rows are append-only: "
    "post a reversal instead of update'); END"
)

# The ledger as this revision knows it, with the column types that decode stored values
# (UUID bytes, integer cents, UTC text), so the hash sees what the application sees.
_ledger = sa.table(
    "ledger_entry",
    sa.column("id", app.db.types.UUIDBlob()),
    sa.column("posted_at", app.db.types.UTCDateTime()),
    sa.column("posted_by", app.db.types.UUIDBlob()),
    sa.column("entry_type", sa.String()),
    sa.column("amount", app.db.types.MoneyCents()),
    sa.column("patient_id", app.db.types.UUIDBlob()),
    sa.column("payer_id", app.db.types.UUIDBlob()),
    sa.column("responsible_party", sa.String()),
    sa.column("service_date", sa.Date()),
    sa.column("reverses_id", app.db.types.UUIDBlob()),
    sa.column("source_type", sa.String()),
    sa.column("source_id", app.db.types.UUIDBlob()),
    sa.column("memo", sa.Text()),
    sa.column("row_hash", sa.String()),
)


def _fill_ledger_hashes() -> None:
    connection = op.get_bind()
    rows = connection.execute(sa.select(_ledger).where(_ledger.c.row_hash.is_(None))).all()
    if not rows:
        return
    op.execute("DROP TRIGGER ledger_entry_no_update")
    for row in rows:
        row_hash = ledger_row_hash(
            entry_id=row.id,
            posted_at=row.posted_at,
            posted_by=row.posted_by,
            entry_type=row.entry_type,
            amount=row.amount,
            patient_id=row.patient_id,
            payer_id=row.payer_id,
            responsible_party=row.responsible_party,
            service_date=row.service_date,
            reverses_id=row.reverses_id,
            source_type=row.source_type,
            source_id=row.source_id,
            memo=row.memo,
        )
        connection.execute(
            sa.update(_ledger).where(_ledger.c.id == row.id).values(row_hash=row_hash)
        )
    op.execute(_LEDGER_NO_UPDATE)


def upgrade() -> None:
    op.create_table(
        "icd10_edition",
        sa.Column("name", sa.String(length=20), nullable=False, comment="such as FY2027"),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=False),
        sa.Column(
            "source", sa.String(length=200), nullable=False, comment="file name and its SHA-256"
        ),
        sa.Column("code_count", sa.Integer(), nullable=False),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_icd10_edition")),
        sa.UniqueConstraint("name", name=op.f("uq_icd10_edition_name")),
    )
    op.create_table(
        "procedure_code",
        sa.Column("code", sa.String(length=5), nullable=False),
        sa.Column(
            "kind",
            sa.String(length=10),
            nullable=False,
            comment="cpt, hcpcs or practice (local code)",
        ),
        sa.Column(
            "description", sa.String(length=80), nullable=False, comment="the practice's own label"
        ),
        sa.Column("default_units", sa.Integer(), nullable=False),
        sa.Column(
            "requires_ndc",
            sa.Boolean(),
            nullable=False,
            comment="a drug code: lines need an NDC, quantity and unit",
        ),
        sa.Column(
            "source",
            sa.String(length=200),
            nullable=False,
            comment="where the code came from, such as an import file",
        ),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_code")),
        sa.UniqueConstraint("code", name=op.f("uq_procedure_code_code")),
    )
    op.create_table(
        "procedure_modifier",
        sa.Column("code", sa.String(length=2), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_modifier")),
        sa.UniqueConstraint("code", name=op.f("uq_procedure_modifier_code")),
    )
    op.create_table(
        "fee_schedule",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "kind", sa.String(length=10), nullable=False, comment="practice (charges) or allowed"
        ),
        sa.Column(
            "payer_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the payer of an allowed-amount schedule",
        ),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column(
            "effective_to", sa.Date(), nullable=True, comment="last day in force; null if open"
        ),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_fee_schedule_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule")),
    )
    op.create_table(
        "icd10_code",
        sa.Column("edition_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("code", sa.String(length=7), nullable=False, comment="without the dot"),
        sa.Column("billable", sa.Boolean(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["edition_id"],
            ["icd10_edition.id"],
            name=op.f("fk_icd10_code_edition_id_icd10_edition"),
        ),
        sa.PrimaryKeyConstraint("edition_id", "code", name=op.f("pk_icd10_code")),
    )
    op.create_table(
        "modifier_rule",
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column(
            "payer_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="only for this payer's claims; null for every payer",
        ),
        sa.Column(
            "modifiers",
            sa.String(length=40),
            nullable=False,
            comment="space-separated codes; any one of them satisfies the rule",
        ),
        sa.Column("note", sa.Text(), nullable=True, comment="why the rule exists, shown to users"),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_modifier_rule_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_modifier_rule")),
    )
    with op.batch_alter_table("modifier_rule", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_modifier_rule_procedure_code"), ["procedure_code"], unique=False
        )

    op.create_table(
        "fee_schedule_item",
        sa.Column("fee_schedule_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column(
            "modifier",
            sa.String(length=2),
            nullable=False,
            comment="empty for the price that applies without a modifier",
        ),
        sa.Column("amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fee_schedule_id"],
            ["fee_schedule.id"],
            name=op.f("fk_fee_schedule_item_fee_schedule_id_fee_schedule"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fee_schedule_item")),
        sa.UniqueConstraint(
            "fee_schedule_id",
            "procedure_code",
            "modifier",
            name=op.f("uq_fee_schedule_item_fee_schedule_id"),
        ),
    )
    with op.batch_alter_table("fee_schedule_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fee_schedule_item_fee_schedule_id"), ["fee_schedule_id"], unique=False
        )

    op.create_table(
        "procedure_favorite",
        sa.Column("provider_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_procedure_favorite_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_procedure_favorite")),
        sa.UniqueConstraint(
            "provider_id", "procedure_code", name=op.f("uq_procedure_favorite_provider_id")
        ),
    )
    op.create_table(
        "encounter",
        sa.Column("encounter_number", sa.String(length=20), nullable=False),
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("appointment_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("rendering_provider_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("supervising_provider_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("referring_provider_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "place_of_service",
            sa.String(length=2),
            nullable=False,
            comment="CMS place-of-service code",
        ),
        sa.Column("prior_authorization_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("related_employment", sa.Boolean(), nullable=False),
        sa.Column("related_auto_accident", sa.Boolean(), nullable=False),
        sa.Column("auto_accident_state", sa.String(length=2), nullable=True),
        sa.Column("related_other_accident", sa.Boolean(), nullable=False),
        sa.Column(
            "onset_date", sa.Date(), nullable=True, comment="onset of illness or date of accident"
        ),
        sa.Column("status", sa.String(length=10), nullable=False, comment="draft or posted"),
        sa.Column("posted_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("posted_by", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_encounter_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_encounter_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_encounter_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["posted_by"], ["users.id"], name=op.f("fk_encounter_posted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["prior_authorization_id"],
            ["prior_authorization.id"],
            name=op.f("fk_encounter_prior_authorization_id_prior_authorization"),
        ),
        sa.ForeignKeyConstraint(
            ["referring_provider_id"],
            ["outside_provider.id"],
            name=op.f("fk_encounter_referring_provider_id_outside_provider"),
        ),
        sa.ForeignKeyConstraint(
            ["rendering_provider_id"],
            ["provider.id"],
            name=op.f("fk_encounter_rendering_provider_id_provider"),
        ),
        sa.ForeignKeyConstraint(
            ["supervising_provider_id"],
            ["provider.id"],
            name=op.f("fk_encounter_supervising_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounter")),
        sa.UniqueConstraint("appointment_id", name=op.f("uq_encounter_appointment_id")),
        sa.UniqueConstraint("encounter_number", name=op.f("uq_encounter_encounter_number")),
    )
    with op.batch_alter_table("encounter", schema=None) as batch_op:
        batch_op.create_index(
            "ix_encounter_patient_date", ["patient_id", "service_date"], unique=False
        )

    op.create_table(
        "charge_line",
        sa.Column("encounter_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "position", sa.Integer(), nullable=False, comment="1-based order on the encounter"
        ),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("modifier1", sa.String(length=2), nullable=True),
        sa.Column("modifier2", sa.String(length=2), nullable=True),
        sa.Column("modifier3", sa.String(length=2), nullable=True),
        sa.Column("modifier4", sa.String(length=2), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column(
            "unit_fee",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="price per unit when the line was entered",
        ),
        sa.Column(
            "charge_amount",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="units times unit fee",
        ),
        sa.Column(
            "fee_changed",
            sa.Boolean(),
            nullable=False,
            comment="the fee was typed over the fee schedule's price",
        ),
        sa.Column(
            "pointer1", sa.Integer(), nullable=False, comment="1-based position of a diagnosis"
        ),
        sa.Column("pointer2", sa.Integer(), nullable=True),
        sa.Column("pointer3", sa.Integer(), nullable=True),
        sa.Column("pointer4", sa.Integer(), nullable=True),
        sa.Column("ndc_code", sa.String(length=11), nullable=True, comment="11 digits, no hyphens"),
        sa.Column(
            "ndc_quantity",
            sa.String(length=12),
            nullable=True,
            comment="decimal text, up to three places",
        ),
        sa.Column("ndc_unit", sa.String(length=2), nullable=True, comment="F2, GR, ME, ML or UN"),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column(
            "replaces_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the reversed line this one corrects",
        ),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounter.id"], name=op.f("fk_charge_line_encounter_id_encounter")
        ),
        sa.ForeignKeyConstraint(
            ["replaces_id"], ["charge_line.id"], name=op.f("fk_charge_line_replaces_id_charge_line")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_charge_line")),
    )
    with op.batch_alter_table("charge_line", schema=None) as batch_op:
        batch_op.create_index(
            "ix_charge_line_encounter_position", ["encounter_id", "position"], unique=False
        )

    op.create_table(
        "encounter_diagnosis",
        sa.Column("encounter_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False, comment="1-based order on the claim"),
        sa.Column(
            "code", sa.String(length=7), nullable=False, comment="without the dot, such as E119"
        ),
        sa.Column(
            "edition",
            sa.String(length=20),
            nullable=False,
            comment="the ICD-10-CM edition the code was checked against",
        ),
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "updated_by",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="users.id of the last writer; null for rows written by setup or migrations",
        ),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["encounter_id"],
            ["encounter.id"],
            name=op.f("fk_encounter_diagnosis_encounter_id_encounter"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_encounter_diagnosis")),
        sa.UniqueConstraint(
            "encounter_id", "position", name=op.f("uq_encounter_diagnosis_encounter_id")
        ),
    )
    with op.batch_alter_table("encounter_diagnosis", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_encounter_diagnosis_encounter_id"), ["encounter_id"], unique=False
        )

    op.add_column(
        "ledger_entry",
        sa.Column(
            "row_hash",
            sa.String(length=64),
            nullable=True,
            comment="SHA-256 of the row's fields, set when posted; checked by ledger verify",
        ),
    )
    _fill_ledger_hashes()
    _create_posted_line_triggers()
    # Plain ALTER TABLE, not batch mode: a rebuilt coverage table would lose its search triggers.
    op.add_column(
        "coverage",
        sa.Column(
            "eligibility_checked_on",
            sa.Date(),
            nullable=True,
            comment="the day someone last confirmed with the payer that the policy is active",
        ),
    )
    op.execute("ALTER TABLE coverage ADD COLUMN eligibility_checked_by BLOB REFERENCES users (id)")
    op.add_column(
        "reminder",
        sa.Column(
            "visit_starts_at",
            app.db.types.WallClock(),
            nullable=True,
            comment="the visit time the reminder names; a moved visit gets a new one",
        ),
    )


def downgrade() -> None:
    op.drop_column("reminder", "visit_starts_at")
    # Plain ALTER TABLE, as in upgrade: rebuilding coverage would break its search triggers.
    op.drop_column("coverage", "eligibility_checked_by")
    op.drop_column("coverage", "eligibility_checked_on")
    op.execute("DROP TRIGGER IF EXISTS charge_line_posted_no_update")
    op.execute("DROP TRIGGER IF EXISTS charge_line_posted_no_delete")
    # Plain ALTER TABLE: a rebuilt ledger_entry would lose its append-only triggers.
    op.drop_column("ledger_entry", "row_hash")

    with op.batch_alter_table("encounter_diagnosis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_encounter_diagnosis_encounter_id"))

    op.drop_table("encounter_diagnosis")
    with op.batch_alter_table("charge_line", schema=None) as batch_op:
        batch_op.drop_index("ix_charge_line_encounter_position")

    op.drop_table("charge_line")
    with op.batch_alter_table("encounter", schema=None) as batch_op:
        batch_op.drop_index("ix_encounter_patient_date")

    op.drop_table("encounter")
    op.drop_table("procedure_favorite")
    with op.batch_alter_table("fee_schedule_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fee_schedule_item_fee_schedule_id"))

    op.drop_table("fee_schedule_item")
    with op.batch_alter_table("modifier_rule", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_modifier_rule_procedure_code"))

    op.drop_table("modifier_rule")
    op.drop_table("icd10_code")
    op.drop_table("fee_schedule")
    op.drop_table("procedure_modifier")
    op.drop_table("procedure_code")
    op.drop_table("icd10_edition")
