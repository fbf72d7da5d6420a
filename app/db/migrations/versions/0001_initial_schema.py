"""Initial schema: practice, users, audit log, patients, appointments, ledger.

Revision ID: 0001
Revises:
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


# Append-only tables: the database itself rejects changes to posted rows, so no code
# path (ORM, raw SQL, a data-fix script) can rewrite money or audit history.
APPEND_ONLY_TABLES = ("ledger_entry", "audit_event")


def _create_append_only_triggers() -> None:
    for table in APPEND_ONLY_TABLES:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} rows are append-only: "
                f"post a reversal instead of {operation.lower()}'); END"
            )


def _create_audit_head_triggers() -> None:
    op.execute(
        "CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head "
        "BEGIN SELECT RAISE(ABORT, 'audit_head rows cannot be deleted'); END"
    )
    op.execute(
        "CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head "
        "WHEN NEW.sequence != OLD.sequence + 1 OR NEW.workstation != OLD.workstation "
        "BEGIN SELECT RAISE(ABORT, 'audit_head moves forward one row at a time'); END"
    )


def _drop_append_only_triggers() -> None:
    for table in APPEND_ONLY_TABLES:
        for operation in ("update", "delete"):
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_{operation}")


def upgrade() -> None:
    op.create_table(
        "audit_event",
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("workstation", sa.String(length=8), nullable=False),
        sa.Column(
            "sequence",
            sa.Integer(),
            nullable=False,
            comment="1, 2, 3 … per workstation, with no gaps",
        ),
        sa.Column("occurred_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("user_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=False),
        sa.Column("object_id", sa.String(length=40), nullable=True),
        sa.Column(
            "patient_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="set when the event concerns a patient",
        ),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False, comment="no PHI: ids and reasons only"),
        sa.Column("previous_hash", sa.String(length=64), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
        sa.UniqueConstraint("workstation", "sequence", name="uq_audit_event_workstation_sequence"),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_occurred_at", ["occurred_at"], unique=False)
        batch_op.create_index("ix_audit_event_patient_id", ["patient_id"], unique=False)

    op.create_table(
        "backup_record",
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("started_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("file_name", sa.String(length=260), nullable=False),
        sa.Column("folder", sa.Text(), nullable=False),
        sa.Column("size_bytes", sa.Integer(), nullable=False),
        sa.Column("verified", sa.Boolean(), nullable=False),
        sa.Column("table_count", sa.Integer(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_backup_record")),
    )
    op.create_table(
        "location",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("address_line1", sa.String(length=55), nullable=False),
        sa.Column("address_line2", sa.String(length=55), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip_code", sa.String(length=10), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("place_of_service", sa.String(length=2), nullable=False, comment="CMS POS code"),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_location")),
    )
    op.create_table(
        "number_counter",
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("last_value", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("kind", name=op.f("pk_number_counter")),
    )
    op.create_table(
        "patient",
        sa.Column("chart_number", sa.String(length=20), nullable=False),
        sa.Column("first_name", sa.String(length=35), nullable=False),
        sa.Column("middle_name", sa.String(length=25), nullable=True),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column("suffix", sa.String(length=10), nullable=True),
        sa.Column("date_of_birth", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False, comment="sex as billed: F, M or U"),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("email", sa.String(length=120), nullable=True),
        sa.Column("address_line1", sa.String(length=55), nullable=True),
        sa.Column("address_line2", sa.String(length=55), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("zip_code", sa.String(length=10), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient")),
        sa.UniqueConstraint("chart_number", name=op.f("uq_patient_chart_number")),
    )
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.create_index("ix_patient_last_first", ["last_name", "first_name"], unique=False)

    op.create_table(
        "payer",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "payer_code",
            sa.String(length=80),
            nullable=False,
            comment="electronic payer id used on claims",
        ),
        sa.Column("address_line1", sa.String(length=55), nullable=True),
        sa.Column("address_line2", sa.String(length=55), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=True),
        sa.Column("state", sa.String(length=2), nullable=True),
        sa.Column("zip_code", sa.String(length=10), nullable=True),
        sa.Column(
            "claim_filing_indicator",
            sa.String(length=2),
            nullable=False,
            comment="X12 SBR09 code such as CI (commercial), MB (Medicare Part B), MC",
        ),
        sa.Column("timely_filing_days", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer")),
    )
    op.create_table(
        "practice",
        sa.Column("legal_name", sa.String(length=60), nullable=False),
        sa.Column(
            "billing_npi", sa.String(length=10), nullable=False, comment="type 2 NPI, 10 digits"
        ),
        sa.Column(
            "ein", sa.String(length=10), nullable=False, comment="federal tax id as NN-NNNNNNN"
        ),
        sa.Column("taxonomy_code", sa.String(length=10), nullable=False),
        sa.Column("address_line1", sa.String(length=55), nullable=False),
        sa.Column("address_line2", sa.String(length=55), nullable=True),
        sa.Column("city", sa.String(length=30), nullable=False),
        sa.Column("state", sa.String(length=2), nullable=False),
        sa.Column("zip_code", sa.String(length=10), nullable=False, comment="ZIP+4 as NNNNN-NNNN"),
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column(
            "time_zone",
            sa.String(length=64),
            nullable=False,
            comment="IANA name such as America/Chicago",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_practice")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=80), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_setting")),
        sa.UniqueConstraint("key", name=op.f("uq_setting_key")),
    )
    op.create_table(
        "users",
        sa.Column("username", sa.String(length=40), nullable=False),
        sa.Column("display_name", sa.String(length=80), nullable=False),
        sa.Column(
            "role",
            sa.String(length=20),
            nullable=False,
            comment="app.security.permissions.Role value",
        ),
        sa.Column(
            "password_hash", sa.String(length=200), nullable=False, comment="Argon2id PHC string"
        ),
        sa.Column("password_changed_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("must_change_password", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", app.db.types.UTCDateTime(), nullable=True),
        sa.Column(
            "totp_secret",
            sa.String(length=64),
            nullable=True,
            comment="base32; null when TOTP is off",
        ),
        sa.Column(
            "totp_last_step",
            sa.Integer(),
            nullable=True,
            comment="30-second step of the last accepted code, so no code works twice",
        ),
        sa.Column("last_sign_in_at", app.db.types.UTCDateTime(), nullable=True),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("username", name=op.f("uq_users_username")),
    )
    op.create_table(
        "workstation",
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "code", sa.String(length=4), nullable=False, comment="such as K7Q; unique per practice"
        ),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "is_local", sa.Boolean(), nullable=False, comment="true for this database's own row"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workstation")),
        sa.UniqueConstraint("code", name=op.f("uq_workstation_code")),
    )
    op.create_table(
        "coverage",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("payer_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "priority", sa.Integer(), nullable=False, comment="1 primary, 2 secondary, 3 tertiary"
        ),
        sa.Column("member_id", sa.String(length=80), nullable=False),
        sa.Column("group_number", sa.String(length=50), nullable=True),
        sa.Column(
            "relationship_code",
            sa.String(length=2),
            nullable=False,
            comment="X12 individual relationship code; 18 is self",
        ),
        sa.Column("effective_date", sa.Date(), nullable=True),
        sa.Column("termination_date", sa.Date(), nullable=True),
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
            ["patient_id"], ["patient.id"], name=op.f("fk_coverage_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_coverage_payer_id_payer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_coverage")),
    )
    with op.batch_alter_table("coverage", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_coverage_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_coverage_payer_id"), ["payer_id"], unique=False)

    op.create_table(
        "emergency_access",
        sa.Column("user_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("permission", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("reviewed_by", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("reviewed_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("review_note", sa.Text(), nullable=True),
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
            ["patient_id"], ["patient.id"], name=op.f("fk_emergency_access_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"], ["users.id"], name=op.f("fk_emergency_access_reviewed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_emergency_access_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_emergency_access")),
    )
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_emergency_access_user_id"), ["user_id"], unique=False)

    op.create_table(
        "ledger_entry",
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("posted_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("posted_by", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "entry_type",
            sa.String(length=30),
            nullable=False,
            comment="charge, payment, adjustment, transfer, refund or reversal",
        ),
        sa.Column("amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("payer_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column(
            "responsible_party",
            sa.String(length=20),
            nullable=False,
            comment="patient, or primary/secondary/tertiary insurance",
        ),
        sa.Column("service_date", sa.Date(), nullable=True),
        sa.Column(
            "reverses_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the row this reversal cancels",
        ),
        sa.Column(
            "source_type",
            sa.String(length=30),
            nullable=True,
            comment="charge line, payment, ERA …",
        ),
        sa.Column("source_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("memo", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_ledger_entry_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_ledger_entry_payer_id_payer")
        ),
        sa.ForeignKeyConstraint(
            ["posted_by"], ["users.id"], name=op.f("fk_ledger_entry_posted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["reverses_id"],
            ["ledger_entry.id"],
            name=op.f("fk_ledger_entry_reverses_id_ledger_entry"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ledger_entry")),
    )
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.create_index(
            "ix_ledger_entry_patient_posted", ["patient_id", "posted_at", "amount"], unique=False
        )

    op.create_table(
        "provider",
        sa.Column("first_name", sa.String(length=35), nullable=False),
        sa.Column("last_name", sa.String(length=60), nullable=False),
        sa.Column(
            "credentials", sa.String(length=20), nullable=True, comment="such as MD, DO, NP, PA-C"
        ),
        sa.Column("npi", sa.String(length=10), nullable=False),
        sa.Column("taxonomy_code", sa.String(length=10), nullable=False),
        sa.Column("user_id", app.db.types.UUIDBlob(length=16), nullable=True),
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
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_provider_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider")),
    )
    op.create_table(
        "room",
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("name", sa.String(length=40), nullable=False),
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
            ["location_id"], ["location.id"], name=op.f("fk_room_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_room")),
    )
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_room_location_id"), ["location_id"], unique=False)

    op.create_table(
        "appointment",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("provider_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("room_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("starts_at", app.db.types.WallClock(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column("appointment_type", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
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
            ["location_id"], ["location.id"], name=op.f("fk_appointment_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_appointment_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_appointment_provider_id_provider")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_appointment_room_id_room")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment")),
    )
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appointment_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index(
            "ix_appointment_provider_start", ["provider_id", "starts_at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_appointment_starts_at"), ["starts_at"], unique=False)

    op.create_table(
        "audit_head",
        sa.Column("workstation", sa.String(length=8), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("row_hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("workstation", name=op.f("pk_audit_head")),
    )
    _create_append_only_triggers()
    _create_audit_head_triggers()


def downgrade() -> None:
    _drop_append_only_triggers()
    op.execute("DROP TRIGGER IF EXISTS audit_head_no_delete")
    op.execute("DROP TRIGGER IF EXISTS audit_head_forward_only")
    op.drop_table("audit_head")
    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_starts_at"))
        batch_op.drop_index("ix_appointment_provider_start")
        batch_op.drop_index(batch_op.f("ix_appointment_patient_id"))

    op.drop_table("appointment")
    with op.batch_alter_table("room", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_room_location_id"))

    op.drop_table("room")
    op.drop_table("provider")
    with op.batch_alter_table("ledger_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_ledger_entry_patient_posted")

    op.drop_table("ledger_entry")
    with op.batch_alter_table("emergency_access", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_emergency_access_user_id"))

    op.drop_table("emergency_access")
    with op.batch_alter_table("coverage", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_coverage_payer_id"))
        batch_op.drop_index(batch_op.f("ix_coverage_patient_id"))

    op.drop_table("coverage")
    op.drop_table("workstation")
    op.drop_table("users")
    op.drop_table("setting")
    op.drop_table("practice")
    op.drop_table("payer")
    with op.batch_alter_table("patient", schema=None) as batch_op:
        batch_op.drop_index("ix_patient_last_first")

    op.drop_table("patient")
    op.drop_table("number_counter")
    op.drop_table("location")
    op.drop_table("backup_record")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_patient_id")
        batch_op.drop_index("ix_audit_event_occurred_at")

    op.drop_table("audit_event")
