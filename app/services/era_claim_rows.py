"""The claim payments (RemittanceClaim rows) of an 835 import, built as plain rows.

The import builds one row per CLP loop, 10,000 for a large remittance. As ORM objects
they cost an instrumented constructor and a unit-of-work flush each, although nothing
reads them through the session. The import builds them as `ClaimPaymentRow` values and
inserts them with `insert_many`: the rows that post once their adjudications are
recorded, and the others when the remittance is routed.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from operator import attrgetter
from typing import cast

from sqlalchemy import Table
from sqlalchemy.orm import Session

from app.db.fast_insert import insert_many
from app.models.payments import RemittanceClaim

log = logging.getLogger(__name__)


@dataclass(slots=True)
class ClaimPaymentRow:
    """A RemittanceClaim row to insert; each field is the model's column of that name."""

    id: uuid.UUID
    remittance_id: uuid.UUID
    position: int
    claim_id: uuid.UUID | None
    patient_control_number: str
    status_code: str
    charge_amount: Decimal
    paid_amount: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str | None
    patient_name: str
    member_id: str
    service_date: date | None
    match_method: str | None
    state: str
    segments: str
    updated_by: uuid.UUID | None
    review_reason: str | None = None
    adjudication_id: uuid.UUID | None = None
    posted_at: datetime | None = None
    posted_by: uuid.UUID | None = None


COLUMNS = tuple(field.name for field in fields(ClaimPaymentRow))
_values = attrgetter(*COLUMNS)


def insert_claim_payments(session: Session, rows: Sequence[ClaimPaymentRow]) -> None:
    """Insert the rows in the session's transaction.

    The model's defaults fill created_at, updated_at and archived. The rows are not
    loaded into the session, so read them with a query.
    """
    if not rows:
        return
    values = [dict(zip(COLUMNS, _values(row), strict=True)) for row in rows]
    insert_many(session, cast(Table, RemittanceClaim.__table__), values)
    log.debug("inserted %d claim payments", len(rows))
