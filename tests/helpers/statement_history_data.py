"""A guarantor, a dependent and an account with statements sent, for the face sheet tests.

The rows are written directly, so these tests do not depend on statement runs: the
face sheet reads stored Statement rows, whatever made them.
"""

import uuid
from datetime import date
from decimal import Decimal

from app.db.database import Database
from app.models.statements import BillingAccount, Statement
from tests.helpers.chart_rows import Staff, add_patient

ACCOUNT_NUMBER = "AK7Q-000007"
# (statement date, level, channel, status, amount due), oldest first.
SENT = (
    (date(2025, 10, 1), "statement", "print", "printed", "300.00"),
    (date(2025, 11, 1), "statement", "print", "printed", "280.00"),
    (date(2025, 12, 1), "second", "email", "sent", "280.00"),
    (date(2026, 1, 1), "third", "email", "failed", "280.00"),
    (date(2026, 2, 1), "final", "print", "printed", "1280.00"),
    (date(2026, 3, 1), "plan_reminder", "email", "queued", "50.00"),
)


def add_family(database: Database) -> tuple[uuid.UUID, uuid.UUID]:
    """Write Luis Ortega and his dependent Maria, and return (guarantor id, dependent id)."""
    with database.transaction() as session:
        parent = add_patient(session, first_name="Luis", last_name="Ortega")
        patient = add_patient(session, guarantor_patient_id=parent.id)
        return parent.id, patient.id


def add_sent_statements(database: Database, staff: Staff, guarantor_id: uuid.UUID) -> uuid.UUID:
    """Write the guarantor's account with the statements in SENT, and return its id."""
    with database.transaction() as session:
        account = BillingAccount(account_number=ACCOUNT_NUMBER, guarantor_patient_id=guarantor_id)
        session.add(account)
        session.flush()
        for number, (day, level, channel, status, amount) in enumerate(SENT, 1):
            session.add(
                Statement(
                    statement_number=f"SK7Q-{number:06d}",
                    account_id=account.id,
                    statement_date=day,
                    level=level,
                    channel=channel,
                    status=status,
                    amount_due=Decimal(amount),
                    insurance_pending=Decimal("0.00"),
                    account_balance=Decimal(amount),
                    due_on=day,
                    created_by=staff.admin.user_id,
                )
            )
        return account.id
