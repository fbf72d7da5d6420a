"""Patient registration: people, phones, previous names, alerts, documents,
coverage details, onboarding, duplicates and merges, referrals and authorizations,
import references and imported visit history.

Columns are added to patient and coverage with plain ALTER TABLE rather than Alembic's
batch mode, because batch mode rebuilds the table and would drop the search triggers
that migration 0002 put on it. SQLite accepts a REFERENCES clause on an added column
whose default is null.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

UUID = app.db.types.UUIDBlob(length=16)


def _reference(table: str, column: str, target: str, comment: str | None = None) -> None:
    """Add a nullable reference column; `comment` documents it here (SQLite keeps none)."""
    del comment
    op.execute(f"ALTER TABLE {table} ADD COLUMN {column} BLOB REFERENCES {target} (id)")


def _add_patient_columns() -> None:
    text_columns = (
        ("preferred_name", 35, None),
        ("gender_identity", 40, None),
        ("ssn", 9, "nine digits; shown masked to the last four without ssn.reveal"),
        ("preferred_contact", 10, "phone, text, email or mail"),
        ("preferred_language", 40, None),
        ("marital_status", 10, "single, married, partner, divorced, separated, widowed"),
        ("employer_name", 60, None),
        ("emergency_contact_name", 60, None),
        ("emergency_contact_phone", 20, None),
        ("emergency_contact_relation", 30, None),
    )
    for name, length, comment in text_columns:
        op.add_column(
            "patient", sa.Column(name, sa.String(length=length), nullable=True, comment=comment)
        )
    op.add_column(
        "patient",
        sa.Column("reminder_consent", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    _reference(
        "patient",
        "primary_provider_id",
        "provider",
        "the practice's provider who sees this patient",
    )
    _reference("patient", "referring_provider_id", "outside_provider")
    op.add_column("patient", sa.Column("deceased_on", sa.Date(), nullable=True))
    _reference(
        "patient", "guarantor_patient_id", "patient", "another patient responsible for the bills"
    )
    _reference(
        "patient", "guarantor_person_id", "person", "a non-patient responsible for the bills"
    )
    op.add_column("patient", sa.Column("recall_interval_months", sa.Integer(), nullable=True))
    op.add_column(
        "patient",
        sa.Column(
            "recall_due_on",
            sa.Date(),
            nullable=True,
            comment="set by hand, or from the last visit plus the recall interval",
        ),
    )
    _reference(
        "patient", "merged_into_id", "patient", "survivor of a merge that archived this record"
    )


def _add_coverage_columns() -> None:
    op.add_column("coverage", sa.Column("plan_name", sa.String(length=60), nullable=True))
    op.add_column(
        "coverage",
        sa.Column(
            "plan_type",
            sa.String(length=2),
            nullable=True,
            comment="X12 claim filing indicator (SBR09), such as CI, MB, MC, HM",
        ),
    )
    op.add_column("coverage", sa.Column("group_name", sa.String(length=60), nullable=True))
    _reference(
        "coverage",
        "subscriber_patient_id",
        "patient",
        "the subscriber when another patient holds the policy",
    )
    _reference(
        "coverage",
        "subscriber_person_id",
        "person",
        "the subscriber when a non-patient holds the policy",
    )
    for name in ("copay_office", "copay_specialist", "copay_urgent_care", "copay_emergency"):
        op.add_column("coverage", sa.Column(name, app.db.types.MoneyCents(), nullable=True))


def upgrade() -> None:
    _create_tables()
    _add_patient_columns()
    _add_coverage_columns()


def _create_tables() -> None:
    op.create_table(
        "external_reference",
        sa.Column("system", sa.String(length=200), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.Column(
            "resource_type",
            sa.String(length=40),
            nullable=False,
            comment="such as Patient, Coverage",
        ),
        sa.Column("local_table", sa.String(length=40), nullable=False),
        sa.Column("local_id", app.db.types.UUIDBlob(length=16), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_reference")),
        sa.UniqueConstraint(
            "system", "value", "resource_type", name=op.f("uq_external_reference_system")
        ),
    )
    with op.batch_alter_table("external_reference", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_external_reference_local_id"), ["local_id"], unique=False
        )

    op.create_table(
        "onboarding_step",
        sa.Column("code", sa.String(length=30), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_onboarding_step")),
        sa.UniqueConstraint("code", name=op.f("uq_onboarding_step_code")),
    )
    op.create_table(
        "outside_provider",
        sa.Column("first_name", sa.String(length=35), nullable=True),
        sa.Column(
            "last_name", sa.String(length=60), nullable=False, comment="or the organization's name"
        ),
        sa.Column("credentials", sa.String(length=20), nullable=True),
        sa.Column("npi", sa.String(length=10), nullable=True),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("fax", sa.String(length=20), nullable=True),
        sa.Column("address_line1", sa.String(length=55), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("zip_code", sa.String(length=10), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outside_provider")),
    )
    op.create_table(
        "person",
        sa.Column("first_name", sa.String(length=35), nullable=False),
        sa.Column("middle_name", sa.String(length=25), nullable=True),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("suffix", sa.String(length=10), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=True),
        sa.Column("sex", sa.String(length=1), nullable=False, comment="F, M or U"),
        sa.Column("address_line1", sa.String(length=55), nullable=True),
        sa.Column("address_line2", sa.String(length=55), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("zip_code", sa.String(length=10), nullable=True),
        sa.Column(
            "phone", sa.String(length=20), nullable=True, comment="E.164, such as +15125550100"
        ),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("employer_name", sa.String(length=60), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_person")),
    )
    op.create_table(
        "duplicate_decision",
        sa.Column("first_patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("second_patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("decided_by", app.db.types.UUIDBlob(length=16), nullable=False),
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
            ["decided_by"], ["users.id"], name=op.f("fk_duplicate_decision_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["first_patient_id"],
            ["patient.id"],
            name=op.f("fk_duplicate_decision_first_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["second_patient_id"],
            ["patient.id"],
            name=op.f("fk_duplicate_decision_second_patient_id_patient"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_duplicate_decision")),
        sa.UniqueConstraint(
            "first_patient_id",
            "second_patient_id",
            name=op.f("uq_duplicate_decision_first_patient_id"),
        ),
    )
    with op.batch_alter_table("duplicate_decision", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_duplicate_decision_second_patient_id"),
            ["second_patient_id"],
            unique=False,
        )

    op.create_table(
        "patient_alert",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column(
            "severity", sa.String(length=10), nullable=False, comment="info, warning or critical"
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
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_alert_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_alert")),
    )
    with op.batch_alter_table("patient_alert", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_alert_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "patient_merge",
        sa.Column("survivor_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("merged_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("merged_by", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "snapshot",
            sa.Text(),
            nullable=False,
            comment="JSON: both records' values and every row the merge moved",
        ),
        sa.Column("undone_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("undone_by", app.db.types.UUIDBlob(length=16), nullable=True),
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
            ["merged_by"], ["users.id"], name=op.f("fk_patient_merge_merged_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["merged_id"], ["patient.id"], name=op.f("fk_patient_merge_merged_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["survivor_id"], ["patient.id"], name=op.f("fk_patient_merge_survivor_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["undone_by"], ["users.id"], name=op.f("fk_patient_merge_undone_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_merge")),
    )
    with op.batch_alter_table("patient_merge", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_patient_merge_merged_id"), ["merged_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_patient_merge_survivor_id"), ["survivor_id"], unique=False
        )

    op.create_table(
        "patient_onboarding",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("step_code", sa.String(length=30), nullable=False),
        sa.Column("completed_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("completed_by", app.db.types.UUIDBlob(length=16), nullable=True),
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
            ["completed_by"], ["users.id"], name=op.f("fk_patient_onboarding_completed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_onboarding_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_onboarding")),
        sa.UniqueConstraint(
            "patient_id", "step_code", name=op.f("uq_patient_onboarding_patient_id")
        ),
    )
    with op.batch_alter_table("patient_onboarding", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_onboarding_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "patient_phone",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "kind", sa.String(length=10), nullable=False, comment="mobile, home, work or other"
        ),
        sa.Column(
            "number", sa.String(length=20), nullable=False, comment="E.164, such as +15125550100"
        ),
        sa.Column("extension", sa.String(length=10), nullable=True),
        sa.Column(
            "position", sa.Integer(), nullable=False, comment="0 is the number to call first"
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
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_phone_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_phone")),
    )
    with op.batch_alter_table("patient_phone", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_phone_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "patient_previous_name",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("first_name", sa.String(length=35), nullable=False),
        sa.Column("middle_name", sa.String(length=25), nullable=True),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("suffix", sa.String(length=10), nullable=True),
        sa.Column("used_until", sa.Date(), nullable=True),
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
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_previous_name_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_previous_name")),
    )
    with op.batch_alter_table("patient_previous_name", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_previous_name_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "visit_history",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("started_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("ended_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("visit_type", sa.String(length=120), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("provider_name", sa.String(length=120), nullable=True),
        sa.Column("location_name", sa.String(length=120), nullable=True),
        sa.Column("source", sa.String(length=40), nullable=False, comment="such as fhir or csv"),
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
            ["patient_id"], ["patient.id"], name=op.f("fk_visit_history_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_visit_history")),
    )
    with op.batch_alter_table("visit_history", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_visit_history_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "patient_document",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("coverage_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column(
            "kind",
            sa.String(length=20),
            nullable=False,
            comment="card_front, card_back, photo_id, signed_form or other",
        ),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("media_type", sa.String(length=60), nullable=False, comment="such as image/png"),
        sa.Column("byte_count", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=True),
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
            ["coverage_id"], ["coverage.id"], name=op.f("fk_patient_document_coverage_id_coverage")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_patient_document_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_document")),
    )
    with op.batch_alter_table("patient_document", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_patient_document_coverage_id"), ["coverage_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_patient_document_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "prior_authorization",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("coverage_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("payer_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("authorization_number", sa.String(length=50), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("unit_kind", sa.String(length=10), nullable=False, comment="visits or units"),
        sa.Column("authorized", sa.Integer(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
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
            ["coverage_id"],
            ["coverage.id"],
            name=op.f("fk_prior_authorization_coverage_id_coverage"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_prior_authorization_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_prior_authorization_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_prior_authorization")),
    )
    with op.batch_alter_table("prior_authorization", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_prior_authorization_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "referral",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "outside_provider_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the referring provider",
        ),
        sa.Column("coverage_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("referral_number", sa.String(length=50), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("referred_on", sa.Date(), nullable=False),
        sa.Column("expires_on", sa.Date(), nullable=True),
        sa.Column("visits_allowed", sa.Integer(), nullable=True),
        sa.Column("visits_used", sa.Integer(), nullable=False),
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
            ["coverage_id"], ["coverage.id"], name=op.f("fk_referral_coverage_id_coverage")
        ),
        sa.ForeignKeyConstraint(
            ["outside_provider_id"],
            ["outside_provider.id"],
            name=op.f("fk_referral_outside_provider_id_outside_provider"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_referral_patient_id_patient")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referral")),
    )
    with op.batch_alter_table("referral", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_referral_patient_id"), ["patient_id"], unique=False)

    op.create_table(
        "authorized_service",
        sa.Column("authorization_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
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
            ["authorization_id"],
            ["prior_authorization.id"],
            name=op.f("fk_authorized_service_authorization_id_prior_authorization"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_authorized_service")),
        sa.UniqueConstraint(
            "authorization_id", "code", name=op.f("uq_authorized_service_authorization_id")
        ),
    )
    with op.batch_alter_table("authorized_service", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_authorized_service_authorization_id"), ["authorization_id"], unique=False
        )


def downgrade() -> None:
    for table, columns in (
        (
            "coverage",
            (
                "plan_name",
                "plan_type",
                "group_name",
                "subscriber_patient_id",
                "subscriber_person_id",
                "copay_office",
                "copay_specialist",
                "copay_urgent_care",
                "copay_emergency",
            ),
        ),
        (
            "patient",
            (
                "preferred_name",
                "gender_identity",
                "ssn",
                "preferred_contact",
                "reminder_consent",
                "preferred_language",
                "marital_status",
                "employer_name",
                "emergency_contact_name",
                "emergency_contact_phone",
                "emergency_contact_relation",
                "primary_provider_id",
                "referring_provider_id",
                "deceased_on",
                "guarantor_patient_id",
                "guarantor_person_id",
                "recall_interval_months",
                "recall_due_on",
                "merged_into_id",
            ),
        ),
    ):
        for column in columns:
            op.drop_column(table, column)
    for table in (
        "authorized_service",
        "referral",
        "prior_authorization",
        "patient_document",
        "visit_history",
        "patient_previous_name",
        "patient_phone",
        "patient_onboarding",
        "patient_merge",
        "patient_alert",
        "duplicate_decision",
        "person",
        "outside_provider",
        "onboarding_step",
        "external_reference",
    ):
        op.drop_table(table)
