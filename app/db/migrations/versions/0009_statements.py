"""Patient billing: guarantor accounts, notice levels, statement runs and statements with
their PDFs, payment plans, collection placements and recoveries.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-05 11:49:55.163632
"""

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "notice_level",
        sa.Column(
            "code",
            sa.String(length=12),
            nullable=False,
            comment="statement, second, third, final or collections",
        ),
        sa.Column(
            "position", sa.Integer(), nullable=False, comment="1 for the first statement, rising"
        ),
        sa.Column(
            "label", sa.String(length=40), nullable=False, comment="as printed, such as 2nd notice"
        ),
        sa.Column(
            "days_after_previous",
            sa.Integer(),
            nullable=False,
            comment="days since the previous statement before this level is sent",
        ),
        sa.Column("message", sa.Text(), nullable=False, comment="printed on the statement"),
        sa.Column("active", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_level")),
        sa.UniqueConstraint("code", name=op.f("uq_notice_level_code")),
    )
    op.create_table(
        "statement_run",
        sa.Column("run_number", sa.String(length=20), nullable=False),
        sa.Column("run_on", sa.Date(), nullable=False, comment="the statement date printed"),
        sa.Column("created_by", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("statement_count", sa.Integer(), nullable=False),
        sa.Column("total_due", app.db.types.MoneyCents(), nullable=False),
        sa.Column(
            "batch_pdf",
            sa.LargeBinary(),
            nullable=True,
            comment="every printed statement of the run as one PDF",
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
            ["created_by"], ["users.id"], name=op.f("fk_statement_run_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement_run")),
        sa.UniqueConstraint("run_number", name=op.f("uq_statement_run_run_number")),
    )
    op.create_table(
        "billing_account",
        sa.Column("account_number", sa.String(length=20), nullable=False),
        sa.Column(
            "guarantor_patient_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the guarantor when they are a patient",
        ),
        sa.Column(
            "guarantor_person_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the guarantor when they are not a patient",
        ),
        sa.Column(
            "email_statements",
            sa.Boolean(),
            nullable=False,
            comment="the guarantor agreed to receive statements by email",
        ),
        sa.Column(
            "hold_reason",
            sa.String(length=20),
            nullable=True,
            comment="dispute, bankruptcy, deceased, estimate_dispute or other; null when none",
        ),
        sa.Column(
            "hold_until", sa.Date(), nullable=True, comment="last day of the hold; null if open"
        ),
        sa.Column("hold_note", sa.Text(), nullable=False),
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
            ["guarantor_patient_id"],
            ["patient.id"],
            name=op.f("fk_billing_account_guarantor_patient_id_patient"),
        ),
        sa.ForeignKeyConstraint(
            ["guarantor_person_id"],
            ["person.id"],
            name=op.f("fk_billing_account_guarantor_person_id_person"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_billing_account")),
        sa.UniqueConstraint("account_number", name=op.f("uq_billing_account_account_number")),
        sa.UniqueConstraint(
            "guarantor_patient_id", name=op.f("uq_billing_account_guarantor_patient_id")
        ),
        sa.UniqueConstraint(
            "guarantor_person_id", name=op.f("uq_billing_account_guarantor_person_id")
        ),
    )
    op.create_table(
        "collection_placement",
        sa.Column("account_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("agency", sa.String(length=60), nullable=False),
        sa.Column("placed_on", sa.Date(), nullable=False),
        sa.Column(
            "placed_amount",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="balance written off as bad debt",
        ),
        sa.Column(
            "status", sa.String(length=10), nullable=False, comment="placed, recalled or closed"
        ),
        sa.Column(
            "exported_at",
            app.db.types.UTCDateTime(),
            nullable=True,
            comment="when the agency file was made",
        ),
        sa.Column("created_by", app.db.types.UUIDBlob(length=16), nullable=False),
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
            ["account_id"],
            ["billing_account.id"],
            name=op.f("fk_collection_placement_account_id_billing_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_collection_placement_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_placement")),
    )
    with op.batch_alter_table("collection_placement", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_placement_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "payment_plan",
        sa.Column("account_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "total",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="the amount the plan pays off",
        ),
        sa.Column("down_payment", app.db.types.MoneyCents(), nullable=False),
        sa.Column("installment_amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column(
            "frequency", sa.String(length=10), nullable=False, comment="weekly, biweekly or monthly"
        ),
        sa.Column(
            "start_on", sa.Date(), nullable=False, comment="the first installment's due date"
        ),
        sa.Column(
            "grace_days",
            sa.Integer(),
            nullable=False,
            comment="days after a missed installment before notices resume",
        ),
        sa.Column(
            "status",
            sa.String(length=10),
            nullable=False,
            comment="current, late, broken, completed or cancelled",
        ),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_by", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "last_reminder_on", sa.Date(), nullable=True, comment="last missed-installment reminder"
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
            ["account_id"],
            ["billing_account.id"],
            name=op.f("fk_payment_plan_account_id_billing_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_payment_plan_created_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payment_plan")),
    )
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payment_plan_account_id"), ["account_id"], unique=False
        )

    op.create_table(
        "statement",
        sa.Column("statement_number", sa.String(length=20), nullable=False),
        sa.Column("run_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("account_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("statement_date", sa.Date(), nullable=False),
        sa.Column(
            "level",
            sa.String(length=12),
            nullable=False,
            comment="a notice level code, or plan_reminder",
        ),
        sa.Column("channel", sa.String(length=10), nullable=False, comment="print or email"),
        sa.Column(
            "status",
            sa.String(length=10),
            nullable=False,
            comment="ready, printed, queued, sent, failed or cancelled",
        ),
        sa.Column(
            "amount_due",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="what the guarantor owes now",
        ),
        sa.Column(
            "insurance_pending",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="still expected from insurance",
        ),
        sa.Column(
            "account_balance",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="the guarantor's share; negative is a credit",
        ),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="why this level was chosen"),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, comment="email sending attempts"),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("next_attempt_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("sent_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_by", app.db.types.UUIDBlob(length=16), nullable=False),
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
            ["account_id"],
            ["billing_account.id"],
            name=op.f("fk_statement_account_id_billing_account"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_statement_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["statement_run.id"], name=op.f("fk_statement_run_id_statement_run")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statement")),
        sa.UniqueConstraint("statement_number", name=op.f("uq_statement_statement_number")),
    )
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_statement_account_id"), ["account_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_statement_run_id"), ["run_id"], unique=False)

    op.create_table(
        "collection_recovery",
        sa.Column("placement_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column(
            "gross_amount",
            app.db.types.MoneyCents(),
            nullable=False,
            comment="what the agency collected",
        ),
        sa.Column(
            "fee_amount", app.db.types.MoneyCents(), nullable=False, comment="what the agency kept"
        ),
        sa.Column("check_number", sa.String(length=30), nullable=False),
        sa.Column("created_by", app.db.types.UUIDBlob(length=16), nullable=False),
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
            ["created_by"], ["users.id"], name=op.f("fk_collection_recovery_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["placement_id"],
            ["collection_placement.id"],
            name=op.f("fk_collection_recovery_placement_id_collection_placement"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collection_recovery")),
    )
    with op.batch_alter_table("collection_recovery", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_collection_recovery_placement_id"), ["placement_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("collection_recovery", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_recovery_placement_id"))

    op.drop_table("collection_recovery")
    with op.batch_alter_table("statement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statement_run_id"))
        batch_op.drop_index(batch_op.f("ix_statement_account_id"))

    op.drop_table("statement")
    with op.batch_alter_table("payment_plan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payment_plan_account_id"))

    op.drop_table("payment_plan")
    with op.batch_alter_table("collection_placement", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collection_placement_account_id"))

    op.drop_table("collection_placement")
    op.drop_table("billing_account")
    op.drop_table("statement_run")
    op.drop_table("notice_level")
