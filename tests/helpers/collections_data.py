"""The statement practice's five accounts with the notices that decide collections.

On PLACED_ON (07/20/2026) only the Garcia family may be placed:

    Family  (Laura Garcia)  third 04/26, final 05/26  owes $395.00       candidate
    Insured (Daniel Brooks) third 05/26               owes $30.00        not at the final notice
    Credit  (Olivia Park)   final 05/26               credit $20.00      nothing owed
    Person  (Karen Walsh)   final 06/25               owes $175.00       final notice too recent
    Small   (Henry Cole)    final 05/26, on hold      owes $3.50         hold (dispute)

Laura's last payment ($100.00) was received 05/21/2026, before the final notice. Placing
the family writes off Laura $145.00 (99214 $50.00, 99213 $95.00), Sofia $230.00 (99392
$120.00, 99393 $110.00) and Mateo $20.00 (90460).
"""

import itertools
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.statements import BillingAccount, Statement
from app.services.billing_accounts import ensure_accounts
from app.services.collections import PlacementOutcome, place_accounts
from tests.helpers.statement_data import StatementPractice, build_statement_practice, days_before

PLACED_ON = date(2026, 7, 20)
FINAL_ON = days_before(35)
AGENCY = "Lakeshore Recovery"
FAMILY_WRITE_OFFS = {
    "laura": Decimal("145.00"),
    "sofia": Decimal("230.00"),
    "mateo": Decimal("20.00"),
}

_numbers = itertools.count(1)


@dataclass(frozen=True)
class CollectionsPractice:
    """The statement practice with an account per guarantor and their notices."""

    statements: StatementPractice
    family: uuid.UUID
    insured: uuid.UUID
    credit: uuid.UUID
    person: uuid.UUID
    small: uuid.UUID


def add_statement(
    session: Session,
    practice: StatementPractice,
    account_id: uuid.UUID,
    level: str,
    day: date,
    *,
    status: str = "printed",
) -> uuid.UUID:
    """Insert a statement row of `level` dated `day` for the account and return its id."""
    assert practice.manager.user_id is not None
    statement = Statement(
        statement_number=f"S-T{next(_numbers):05d}",
        account_id=account_id,
        statement_date=day,
        level=level,
        channel="print",
        status=status,
        amount_due=Decimal("0.00"),
        insurance_pending=Decimal("0.00"),
        account_balance=Decimal("0.00"),
        due_on=day,
        created_by=practice.manager.user_id,
    )
    session.add(statement)
    session.flush()
    return statement.id


def build_collections_practice(database: Database) -> CollectionsPractice:
    """Build the statement practice, its accounts and the notices in the module docstring."""
    practice = build_statement_practice(database)
    with database.transaction() as session:
        accounts = ensure_accounts(session, practice.manager, practice.guarantor_patients)
        family = accounts[practice.parent]
        insured = accounts[practice.insured]
        credit = accounts[practice.credit]
        person = accounts[practice.person_patient]
        small = accounts[practice.small]
        add_statement(session, practice, family, "third", days_before(65))
        add_statement(session, practice, family, "final", FINAL_ON)
        add_statement(session, practice, insured, "third", FINAL_ON)
        add_statement(session, practice, credit, "final", FINAL_ON)
        add_statement(session, practice, person, "final", days_before(5))
        add_statement(session, practice, small, "final", FINAL_ON)
        small_account = session.get(BillingAccount, small)
        assert small_account is not None
        small_account.hold_reason = "dispute"
    return CollectionsPractice(practice, family, insured, credit, person, small)


def place_family(database: Database, practice: CollectionsPractice) -> uuid.UUID:
    """Place the family account with AGENCY on PLACED_ON and return the placement id."""
    with database.transaction() as session:
        outcome: PlacementOutcome = place_accounts(
            session, practice.statements.manager, [practice.family], AGENCY, PLACED_ON
        )
    (placement_id,) = outcome.placement_ids
    return placement_id
