"""Scheduling: visit types, resources, working hours, blockouts, recurring series,
status history, the waitlist, saved calendar views and reminders.

The appointment table is rebuilt by Alembic's batch mode to gain its new references;
no trigger lives on it, so nothing is lost in the rebuild.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

import sqlalchemy as sa
from alembic import op

import app.db.types

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "appointment_type",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("default_minutes", sa.Integer(), nullable=False),
        sa.Column("color", sa.String(length=7), nullable=False, comment="#RRGGBB"),
        sa.Column("new_patient", sa.Boolean(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_type")),
    )
    op.create_table(
        "reminder_template",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "channel", sa.String(length=10), nullable=False, comment="email, letter or postcard"
        ),
        sa.Column("subject", sa.String(length=120), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("lead_days", sa.Integer(), nullable=False),
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
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_template")),
    )
    op.create_table(
        "appointment_type_code",
        sa.Column("appointment_type_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("code", sa.String(length=5), nullable=False),
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
            ["appointment_type_id"],
            ["appointment_type.id"],
            name=op.f("fk_appointment_type_code_appointment_type_id_appointment_type"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_type_code")),
        sa.UniqueConstraint(
            "appointment_type_id", "code", name=op.f("uq_appointment_type_code_appointment_type_id")
        ),
    )
    with op.batch_alter_table("appointment_type_code", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_type_code_appointment_type_id"),
            ["appointment_type_id"],
            unique=False,
        )

    op.create_table(
        "calendar_view",
        sa.Column("user_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column(
            "mode",
            sa.String(length=20),
            nullable=False,
            comment="day_providers, day_rooms, week_provider, week_room or month",
        ),
        sa.Column("grid_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "columns",
            sa.Text(),
            nullable=False,
            comment="JSON list of provider or room ids, in column order",
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
            ["user_id"], ["users.id"], name=op.f("fk_calendar_view_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_view")),
    )
    with op.batch_alter_table("calendar_view", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_calendar_view_user_id"), ["user_id"], unique=False)

    op.create_table(
        "resource",
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
            ["location_id"], ["location.id"], name=op.f("fk_resource_location_id_location")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource")),
    )
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_location_id"), ["location_id"], unique=False)

    op.create_table(
        "blockout",
        sa.Column("title", sa.String(length=80), nullable=False),
        sa.Column(
            "kind", sa.String(length=10), nullable=False, comment="lunch, meeting, holiday or other"
        ),
        sa.Column("provider_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("room_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("starts_at", app.db.types.WallClock(), nullable=False),
        sa.Column("ends_at", app.db.types.WallClock(), nullable=False),
        sa.Column("rule", sa.String(length=200), nullable=True),
        sa.Column("repeat_until", sa.Date(), nullable=True),
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
            ["location_id"], ["location.id"], name=op.f("fk_blockout_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_blockout_provider_id_provider")
        ),
        sa.ForeignKeyConstraint(["room_id"], ["room.id"], name=op.f("fk_blockout_room_id_room")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blockout")),
    )
    with op.batch_alter_table("blockout", schema=None) as batch_op:
        batch_op.create_index("ix_blockout_starts_at", ["starts_at"], unique=False)

    op.create_table(
        "provider_hours",
        sa.Column("provider_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False, comment="0 Monday to 6 Sunday"),
        sa.Column("starts", sa.Time(), nullable=False),
        sa.Column("ends", sa.Time(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=True),
        sa.Column("effective_until", sa.Date(), nullable=True),
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
            ["location_id"], ["location.id"], name=op.f("fk_provider_hours_location_id_location")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_provider_hours_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_hours")),
    )
    with op.batch_alter_table("provider_hours", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provider_hours_provider_weekday", ["provider_id", "weekday"], unique=False
        )

    op.create_table(
        "appointment_series",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("provider_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("location_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("room_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("appointment_type_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("first_starts_at", app.db.types.WallClock(), nullable=False),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "rule", sa.String(length=200), nullable=False, comment="RRULE text without DTSTART"
        ),
        sa.Column("count", sa.Integer(), nullable=True),
        sa.Column("until", sa.Date(), nullable=True),
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
            ["appointment_type_id"],
            ["appointment_type.id"],
            name=op.f("fk_appointment_series_appointment_type_id_appointment_type"),
        ),
        sa.ForeignKeyConstraint(
            ["location_id"],
            ["location.id"],
            name=op.f("fk_appointment_series_location_id_location"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_appointment_series_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["provider.id"],
            name=op.f("fk_appointment_series_provider_id_provider"),
        ),
        sa.ForeignKeyConstraint(
            ["room_id"], ["room.id"], name=op.f("fk_appointment_series_room_id_room")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_series")),
    )
    with op.batch_alter_table("appointment_series", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_series_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "appointment_status_event",
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("appointment_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("changed_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("changed_by", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_appointment_status_event_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["changed_by"], ["users.id"], name=op.f("fk_appointment_status_event_changed_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appointment_status_event")),
    )
    with op.batch_alter_table("appointment_status_event", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_appointment_status_event_appointment_id"),
            ["appointment_id"],
            unique=False,
        )

    op.create_table(
        "reminder",
        sa.Column("appointment_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("template_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("channel", sa.String(length=10), nullable=False),
        sa.Column(
            "status",
            sa.String(length=10),
            nullable=False,
            comment="queued, sent, failed, skipped or cancelled",
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("sent_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
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
            name=op.f("fk_reminder_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["reminder_template.id"],
            name=op.f("fk_reminder_template_id_reminder_template"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder")),
    )
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            "ix_reminder_status_next", ["status", "next_attempt_at"], unique=False
        )

    op.create_table(
        "waitlist_entry",
        sa.Column("patient_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("provider_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("appointment_type_id", app.db.types.UUIDBlob(length=16), nullable=True),
        sa.Column("duration_minutes", sa.Integer(), nullable=False),
        sa.Column(
            "weekdays",
            sa.String(length=7),
            nullable=False,
            comment="digits 0 (Monday) to 6 (Sunday) the patient can come",
        ),
        sa.Column("earliest", sa.Time(), nullable=True),
        sa.Column("latest", sa.Time(), nullable=True),
        sa.Column("available_from", sa.Date(), nullable=True),
        sa.Column("available_until", sa.Date(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column(
            "status", sa.String(length=10), nullable=False, comment="waiting, booked or removed"
        ),
        sa.Column("booked_appointment_id", app.db.types.UUIDBlob(length=16), nullable=True),
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
            ["appointment_type_id"],
            ["appointment_type.id"],
            name=op.f("fk_waitlist_entry_appointment_type_id_appointment_type"),
        ),
        sa.ForeignKeyConstraint(
            ["booked_appointment_id"],
            ["appointment.id"],
            name=op.f("fk_waitlist_entry_booked_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["patient_id"], ["patient.id"], name=op.f("fk_waitlist_entry_patient_id_patient")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["provider.id"], name=op.f("fk_waitlist_entry_provider_id_provider")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_waitlist_entry")),
    )
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_waitlist_entry_patient_id"), ["patient_id"], unique=False
        )

    op.create_table(
        "reminder_attempt",
        sa.Column("id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("reminder_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("appointment_id", app.db.types.UUIDBlob(length=16), nullable=False),
        sa.Column("attempted_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=False, comment="sent or failed"),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointment.id"],
            name=op.f("fk_reminder_attempt_appointment_id_appointment"),
        ),
        sa.ForeignKeyConstraint(
            ["reminder_id"], ["reminder.id"], name=op.f("fk_reminder_attempt_reminder_id_reminder")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminder_attempt")),
    )
    with op.batch_alter_table("reminder_attempt", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reminder_attempt_appointment_id"), ["appointment_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_reminder_attempt_reminder_id"), ["reminder_id"], unique=False
        )

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("appointment_type_id", app.db.types.UUIDBlob(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column("resource_id", app.db.types.UUIDBlob(length=16), nullable=True)
        )
        batch_op.add_column(sa.Column("series_id", app.db.types.UUIDBlob(length=16), nullable=True))
        batch_op.add_column(
            sa.Column(
                "series_date",
                sa.Date(),
                nullable=True,
                comment="the date the series rule gave this occurrence, kept when it is moved",
            )
        )
        batch_op.add_column(sa.Column("notes", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.Text(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "cancelled_by", sa.String(length=10), nullable=True, comment="patient or practice"
            )
        )
        batch_op.add_column(
            sa.Column("late_cancel", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("rescheduled_to_id", app.db.types.UUIDBlob(length=16), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "conflict_note",
                sa.Text(),
                nullable=True,
                comment="conflicts found when the row arrived by sync, for review",
            )
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_appointment_series_id"), ["series_id", "series_date"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_resource_id_resource"), "resource", ["resource_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_series_id_appointment_series"),
            "appointment_series",
            ["series_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_appointment_type_id_appointment_type"),
            "appointment_type",
            ["appointment_type_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_appointment_rescheduled_to_id_appointment"),
            "appointment",
            ["rescheduled_to_id"],
            ["id"],
        )


def downgrade() -> None:

    with op.batch_alter_table("appointment", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_rescheduled_to_id_appointment"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_appointment_type_id_appointment_type"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_series_id_appointment_series"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_appointment_resource_id_resource"), type_="foreignkey"
        )
        batch_op.drop_constraint(batch_op.f("uq_appointment_series_id"), type_="unique")
        batch_op.drop_column("conflict_note")
        batch_op.drop_column("rescheduled_to_id")
        batch_op.drop_column("late_cancel")
        batch_op.drop_column("cancelled_by")
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("notes")
        batch_op.drop_column("series_date")
        batch_op.drop_column("series_id")
        batch_op.drop_column("resource_id")
        batch_op.drop_column("appointment_type_id")

    with op.batch_alter_table("reminder_attempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reminder_attempt_reminder_id"))
        batch_op.drop_index(batch_op.f("ix_reminder_attempt_appointment_id"))

    op.drop_table("reminder_attempt")
    with op.batch_alter_table("waitlist_entry", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_waitlist_entry_patient_id"))

    op.drop_table("waitlist_entry")
    with op.batch_alter_table("reminder", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_status_next")
        batch_op.drop_index(batch_op.f("ix_reminder_appointment_id"))

    op.drop_table("reminder")
    with op.batch_alter_table("appointment_status_event", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_status_event_appointment_id"))

    op.drop_table("appointment_status_event")
    with op.batch_alter_table("appointment_series", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_series_patient_id"))

    op.drop_table("appointment_series")
    with op.batch_alter_table("provider_hours", schema=None) as batch_op:
        batch_op.drop_index("ix_provider_hours_provider_weekday")

    op.drop_table("provider_hours")
    with op.batch_alter_table("blockout", schema=None) as batch_op:
        batch_op.drop_index("ix_blockout_starts_at")

    op.drop_table("blockout")
    with op.batch_alter_table("resource", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_location_id"))

    op.drop_table("resource")
    with op.batch_alter_table("calendar_view", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_view_user_id"))

    op.drop_table("calendar_view")
    with op.batch_alter_table("appointment_type_code", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appointment_type_code_appointment_type_id"))

    op.drop_table("appointment_type_code")
    op.drop_table("reminder_template")
    op.drop_table("appointment_type")
