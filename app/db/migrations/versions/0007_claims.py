"""Claims: clearinghouses, claims with their diagnoses, lines, history and scrub
findings, 837P batches, files received from clearinghouses, and how payers settled
each claim (for secondary claims). Payers name the clearinghouse their claims go to.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-05 05:07:52.056638
"""

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "clearinghouse",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "submitter_id",
            sa.String(length=80),
            nullable=False,
            comment="ETIN sent in NM1*41 NM109",
        ),
        sa.Column("submitter_name", sa.String(length=60), nullable=False),
        sa.Column(
            "submitter_contact", sa.String(length=60), nullable=False, comment="PER*IC contact name"
        ),
        sa.Column("submitter_phone", sa.String(length=10), nullable=False, comment="10 digits"),
        sa.Column("receiver_id", sa.String(length=80), nullable=False, comment="NM1*40 NM109"),
        sa.Column("receiver_name", sa.String(length=60), nullable=False),
        sa.Column("isa_sender_qualifier", sa.String(length=2), nullable=False),
        sa.Column("isa_sender_id", sa.String(length=15), nullable=False),
        sa.Column("isa_receiver_qualifier", sa.String(length=2), nullable=False),
        sa.Column("isa_receiver_id", sa.String(length=15), nullable=False),
        sa.Column("gs_sender_code", sa.String(length=15), nullable=False),
        sa.Column("gs_receiver_code", sa.String(length=15), nullable=False),
        sa.Column(
            "usage_indicator",
            sa.String(length=1),
            nullable=False,
            comment="ISA15: T while testing with the clearinghouse, then P",
        ),
        sa.Column(
            "outbox_folder",
            sa.Text(),
            nullable=True,
            comment="folder claim files are written to for manual upload",
        ),
        sa.Column("sftp_host", sa.String(length=255), nullable=True),
        sa.Column("sftp_port", sa.Integer(), nullable=False),
        sa.Column("sftp_username", sa.String(length=80), nullable=True),
        sa.Column(
            "sftp_host_key",
            sa.Text(),
            nullable=True,
            comment="the server's public key in OpenSSH form; uploads refuse any other",
        ),
        sa.Column("upload_folder", sa.String(length=255), nullable=False),
        sa.Column("download_folder", sa.String(length=255), nullable=False),
        sa.Column(
            "file_name_pattern",
            sa.String(length=120),
            nullable=False,
            comment="names of uploaded files; {batch}, {date} and {control} are filled in",
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clearinghouse")),
        sa.UniqueConstraint("name", name=op.f("uq_clearinghouse_name")),
    )
    op.create_table(
        "claim_batch",
        sa.Column("batch_number", sa.String(length=20), nullable=False),
        sa.Column("clearinghouse_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("interchange_control_number", sa.String(length=9), nullable=False),
        sa.Column("group_control_number", sa.String(length=9), nullable=False),
        sa.Column("usage_indicator", sa.String(length=1), nullable=False),
        sa.Column("file_name", sa.String(length=120), nullable=False),
        sa.Column("content", sa.Text(), nullable=False, comment="the X12 text exactly as sent"),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("claim_count", sa.Integer(), nullable=False),
        sa.Column("total_charge", app.db.types.MoneyCents(), nullable=False),
        sa.Column(
            "status",
            sa.String(length=20),
            nullable=False,
            comment="created, exported, uploaded, accepted, rejected",
        ),
        sa.Column("created_by", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("sent_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("sent_by", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("sent_to", sa.Text(), nullable=True, comment="outbox path or sftp://host/folder"),
        sa.Column("send_count", sa.Integer(), nullable=False),
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
            ["clearinghouse_id"],
            ["clearinghouse.id"],
            name=op.f("fk_claim_batch_clearinghouse_id_clearinghouse"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_claim_batch_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["sent_by"], ["users.id"], name=op.f("fk_claim_batch_sent_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_batch")),
        sa.UniqueConstraint("batch_number", name=op.f("uq_claim_batch_batch_number")),
        sa.UniqueConstraint(
            "interchange_control_number", name=op.f("uq_claim_batch_interchange_control_number")
        ),
    )
    op.create_table(
        "x12_response",
        sa.Column("kind", sa.String(length=10), nullable=False, comment="999, 277CA, 835 or 271"),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False, comment="a file imports once"),
        sa.Column("interchange_control_number", sa.String(length=9), nullable=True),
        sa.Column("received_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("received_by", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
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
            ["received_by"], ["users.id"], name=op.f("fk_x12_response_received_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_x12_response")),
        sa.UniqueConstraint("sha256", name=op.f("uq_x12_response_sha256")),
    )
    op.create_table(
        "claim",
        sa.Column(
            "claim_number",
            sa.String(length=20),
            nullable=False,
            comment="patient control number sent as CLM01",
        ),
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("encounter_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("coverage_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("payer_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "payer_sequence",
            sa.String(length=1),
            nullable=False,
            comment="SBR01: P, S or T, the coverage's place in the order of payers",
        ),
        sa.Column("rendering_provider_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column("service_date_from", sa.Date(), nullable=False),
        sa.Column("service_date_to", sa.Date(), nullable=False),
        sa.Column("total_charge", app.db.types.MoneyCents(), nullable=False),
        sa.Column(
            "frequency_code",
            sa.String(length=1),
            nullable=False,
            comment="CLM05-3: 1 original, 7 replacement, 8 void",
        ),
        sa.Column(
            "original_claim_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the claim this one replaces, voids or resubmits",
        ),
        sa.Column(
            "payer_claim_number",
            sa.String(length=50),
            nullable=True,
            comment="the payer's number for this claim, from a 277CA or remittance",
        ),
        sa.Column(
            "split_part",
            sa.Integer(),
            nullable=False,
            comment="1-based part when an encounter needed more than one claim",
        ),
        sa.Column("split_count", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("clearinghouse_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("assigned_to", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("follow_up_on", sa.Date(), nullable=True),
        sa.Column("last_scrubbed_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("sent_at", app.db.types.UTCDateTime(), nullable=True),
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
            ["assigned_to"], ["users.id"], name=op.f("fk_claim_assigned_to_users")
        ),
        sa.ForeignKeyConstraint(
            ["clearinghouse_id"],
            ["clearinghouse.id"],
            name=op.f("fk_claim_clearinghouse_id_clearinghouse"),
        ),
        sa.ForeignKeyConstraint(
            ["coverage_id"], ["coverage.id"], name=op.f("fk_claim_coverage_id_coverage")
        ),
        sa.ForeignKeyConstraint(
            ["encounter_id"], ["encounter.id"], name=op.f("fk_claim_encounter_id_encounter")
        ),
        sa.ForeignKeyConstraint(
            ["location_id"], ["location.id"], name=op.f("fk_claim_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["original_claim_id"], ["claim.id"], name=op.f("fk_claim_original_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_claim_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(["payer_id"], ["payer.id"], name=op.f("fk_claim_payer_id_payer")),
        sa.ForeignKeyConstraint(
            ["rendering_provider_id"],
            ["provider.id"],
            name=op.f("fk_claim_rendering_provider_id_provider"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim")),
        sa.UniqueConstraint("claim_number", name=op.f("uq_claim_claim_number")),
    )
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_encounter_id"), ["encounter_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_claim_patient_id"), ["patient_id"], unique=False)
        batch_op.create_index("ix_claim_status_payer", ["status", "payer_id"], unique=False)

    op.create_table(
        "claim_batch_item",
        sa.Column("batch_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("claim_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "transaction_control_number", sa.String(length=9), nullable=False, comment="ST02"
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
            ["batch_id"], ["claim_batch.id"], name=op.f("fk_claim_batch_item_batch_id_claim_batch")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_batch_item_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_batch_item")),
        sa.UniqueConstraint("batch_id", "claim_id", name=op.f("uq_claim_batch_item_batch_id")),
    )
    with op.batch_alter_table("claim_batch_item", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_batch_item_batch_id"), ["batch_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_claim_batch_item_claim_id"), ["claim_id"], unique=False
        )

    op.create_table(
        "claim_diagnosis",
        sa.Column("claim_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=7), nullable=False, comment="without the dot"),
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
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_diagnosis_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_diagnosis")),
        sa.UniqueConstraint("claim_id", "position", name=op.f("uq_claim_diagnosis_claim_id")),
    )
    with op.batch_alter_table("claim_diagnosis", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_diagnosis_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "claim_line",
        sa.Column("claim_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("charge_line_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False, comment="LX01, 1-based"),
        sa.Column(
            "line_control_number",
            sa.String(length=30),
            nullable=False,
            comment="sent as REF*6R; the remittance echoes it back",
        ),
        sa.Column("service_date", sa.Date(), nullable=False),
        sa.Column("procedure_code", sa.String(length=5), nullable=False),
        sa.Column("modifier1", sa.String(length=2), nullable=True),
        sa.Column("modifier2", sa.String(length=2), nullable=True),
        sa.Column("modifier3", sa.String(length=2), nullable=True),
        sa.Column("modifier4", sa.String(length=2), nullable=True),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge_amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column(
            "pointer1",
            sa.Integer(),
            nullable=False,
            comment="1-based position in the claim's diagnoses",
        ),
        sa.Column("pointer2", sa.Integer(), nullable=True),
        sa.Column("pointer3", sa.Integer(), nullable=True),
        sa.Column("pointer4", sa.Integer(), nullable=True),
        sa.Column("place_of_service", sa.String(length=2), nullable=False),
        sa.Column("ndc_code", sa.String(length=11), nullable=True),
        sa.Column("ndc_quantity", sa.String(length=12), nullable=True),
        sa.Column("ndc_unit", sa.String(length=2), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
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
            ["charge_line_id"],
            ["charge_line.id"],
            name=op.f("fk_claim_line_charge_line_id_charge_line"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_line_claim_id_claim")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_line")),
        sa.UniqueConstraint("claim_id", "line_number", name=op.f("uq_claim_line_claim_id")),
        sa.UniqueConstraint("line_control_number", name=op.f("uq_claim_line_line_control_number")),
    )
    with op.batch_alter_table("claim_line", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_claim_line_charge_line_id"), ["charge_line_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_claim_line_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "payer_adjudication",
        sa.Column("claim_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("payer_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("payer_claim_number", sa.String(length=50), nullable=True, comment="CLP07"),
        sa.Column(
            "claim_status_code",
            sa.String(length=2),
            nullable=False,
            comment="CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 19-23 crossover",
        ),
        sa.Column("charge_amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column("paid_amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column("patient_responsibility", app.db.types.MoneyCents(), nullable=False),
        sa.Column(
            "adjudicated_on",
            sa.Date(),
            nullable=False,
            comment="remittance or check date (DTP*573)",
        ),
        sa.Column(
            "crossed_over",
            sa.Boolean(),
            nullable=False,
            comment="the payer forwarded the claim to the next payer itself",
        ),
        sa.Column("source", sa.String(length=20), nullable=False, comment="era or paper"),
        sa.Column("response_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
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
            ["claim_id"], ["claim.id"], name=op.f("fk_payer_adjudication_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["payer_id"], ["payer.id"], name=op.f("fk_payer_adjudication_payer_id_payer")
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["x12_response.id"],
            name=op.f("fk_payer_adjudication_response_id_x12_response"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_adjudication")),
    )
    with op.batch_alter_table("payer_adjudication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payer_adjudication_claim_id"), ["claim_id"], unique=False
        )

    op.create_table(
        "claim_event",
        sa.Column("claim_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("claim_line_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("occurred_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column(
            "user_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="null when a file from the clearinghouse did it",
        ),
        sa.Column("event", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=True, comment="the status it moved to"),
        sa.Column("detail", sa.Text(), nullable=True, comment="explanation shown to users"),
        sa.Column("batch_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("response_id", app.db.types.UUIDBlob(length=16), nullable=True),
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
            ["batch_id"], ["claim_batch.id"], name=op.f("fk_claim_event_batch_id_claim_batch")
        ),
        sa.ForeignKeyConstraint(
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_event_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["claim_line_id"],
            ["claim_line.id"],
            name=op.f("fk_claim_event_claim_line_id_claim_line"),
        ),
        sa.ForeignKeyConstraint(
            ["response_id"],
            ["x12_response.id"],
            name=op.f("fk_claim_event_response_id_x12_response"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_claim_event_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_event")),
    )
    with op.batch_alter_table("claim_event", schema=None) as batch_op:
        batch_op.create_index("ix_claim_event_claim_at", ["claim_id", "occurred_at"], unique=False)

    op.create_table(
        "claim_finding",
        sa.Column("claim_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("claim_line_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column(
            "rule",
            sa.String(length=40),
            nullable=False,
            comment="stable rule code, such as npi.luhn",
        ),
        sa.Column(
            "severity",
            sa.String(length=10),
            nullable=False,
            comment="error blocks sending; warning",
        ),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("why", sa.Text(), nullable=False, comment="why payers reject it"),
        sa.Column(
            "field",
            sa.String(length=80),
            nullable=False,
            comment="where to fix it, such as provider.npi or coverage.member_id",
        ),
        sa.Column(
            "record_id",
            app.db.types.UUIDBlob(length=16),
            nullable=True,
            comment="the record that holds the field",
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
            ["claim_id"], ["claim.id"], name=op.f("fk_claim_finding_claim_id_claim")
        ),
        sa.ForeignKeyConstraint(
            ["claim_line_id"],
            ["claim_line.id"],
            name=op.f("fk_claim_finding_claim_line_id_claim_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_finding")),
    )
    with op.batch_alter_table("claim_finding", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_claim_finding_claim_id"), ["claim_id"], unique=False)

    op.create_table(
        "payer_line_adjudication",
        sa.Column("adjudication_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("claim_line_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column(
            "procedure_code",
            sa.String(length=5),
            nullable=False,
            comment="as the payer adjudicated it",
        ),
        sa.Column("modifiers", sa.String(length=11), nullable=False, comment="space-separated"),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("charge_amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column("paid_amount", app.db.types.MoneyCents(), nullable=False),
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
            ["adjudication_id"],
            ["payer_adjudication.id"],
            name=op.f("fk_payer_line_adjudication_adjudication_id_payer_adjudication"),
        ),
        sa.ForeignKeyConstraint(
            ["claim_line_id"],
            ["claim_line.id"],
            name=op.f("fk_payer_line_adjudication_claim_line_id_claim_line"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_line_adjudication")),
    )
    with op.batch_alter_table("payer_line_adjudication", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payer_line_adjudication_adjudication_id"),
            ["adjudication_id"],
            unique=False,
        )

    op.create_table(
        "payer_adjustment",
        sa.Column("adjudication_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("line_adjudication_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("group_code", sa.String(length=2), nullable=False, comment="CO, OA, PI or PR"),
        sa.Column("reason_code", sa.String(length=5), nullable=False, comment="CARC"),
        sa.Column("amount", app.db.types.MoneyCents(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=True),
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
            ["adjudication_id"],
            ["payer_adjudication.id"],
            name=op.f("fk_payer_adjustment_adjudication_id_payer_adjudication"),
        ),
        sa.ForeignKeyConstraint(
            ["line_adjudication_id"],
            ["payer_line_adjudication.id"],
            name=op.f("fk_payer_adjustment_line_adjudication_id_payer_line_adjudication"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_payer_adjustment")),
    )
    with op.batch_alter_table("payer_adjustment", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_payer_adjustment_adjudication_id"), ["adjudication_id"], unique=False
        )

    # Plain ALTER TABLE, not batch mode: rebuilding payer would delete through the foreign
    # keys of every coverage and appointment that names a payer.
    op.execute("ALTER TABLE payer ADD COLUMN clearinghouse_id BLOB REFERENCES clearinghouse (id)")


def downgrade() -> None:
    # Plain ALTER TABLE, as in upgrade.
    op.drop_column("payer", "clearinghouse_id")

    with op.batch_alter_table("payer_adjustment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payer_adjustment_adjudication_id"))

    op.drop_table("payer_adjustment")
    with op.batch_alter_table("payer_line_adjudication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payer_line_adjudication_adjudication_id"))

    op.drop_table("payer_line_adjudication")
    with op.batch_alter_table("claim_finding", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_finding_claim_id"))

    op.drop_table("claim_finding")
    with op.batch_alter_table("claim_event", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_event_claim_at")

    op.drop_table("claim_event")
    with op.batch_alter_table("payer_adjudication", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_payer_adjudication_claim_id"))

    op.drop_table("payer_adjudication")
    with op.batch_alter_table("claim_line", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_line_claim_id"))
        batch_op.drop_index(batch_op.f("ix_claim_line_charge_line_id"))

    op.drop_table("claim_line")
    with op.batch_alter_table("claim_diagnosis", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_diagnosis_claim_id"))

    op.drop_table("claim_diagnosis")
    with op.batch_alter_table("claim_batch_item", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_claim_batch_item_claim_id"))
        batch_op.drop_index(batch_op.f("ix_claim_batch_item_batch_id"))

    op.drop_table("claim_batch_item")
    with op.batch_alter_table("claim", schema=None) as batch_op:
        batch_op.drop_index("ix_claim_status_payer")
        batch_op.drop_index(batch_op.f("ix_claim_patient_id"))
        batch_op.drop_index(batch_op.f("ix_claim_encounter_id"))

    op.drop_table("claim")
    op.drop_table("x12_response")
    op.drop_table("claim_batch")
    op.drop_table("clearinghouse")
