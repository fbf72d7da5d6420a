"""Charges, payments and remittances for the deposit, adjustment and refund tests.

Built on the ledger practice. Charges name their service line through `charge_line_id`,
as charge posting has done since line balances arrived. Payments and remittances are
inserted through the ORM, with their ledger rows posted through `ledger.post_entry`, so
these tests do not depend on the payment-taking and 835 services.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.payments import Payment, Remittance
from app.security.permissions import Actor, Role
from app.services import ledger
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, post_entry
from app.services.ledger_verify import ledger_check
from app.services.numbering import next_number
from app.services.users import create_user
from tests.helpers.ledger_data import (
    LedgerPractice,
    add_charge_line,
    add_encounter,
    build_ledger_practice,
)

SECOND_MANAGER_PASSWORD = "Second-manager-2024!"


@dataclass(frozen=True)
class DepositPractice:
    """The ledger practice and a second manager, a person apart from the admin's user id."""

    ledger: LedgerPractice
    other_manager: Actor

    @property
    def front_desk(self) -> Actor:
        """A front-desk user (the admin's user id)."""
        return self.ledger.front_desk

    @property
    def biller(self) -> Actor:
        """A biller (the admin's user id)."""
        return self.ledger.biller

    @property
    def manager(self) -> Actor:
        """A manager (the admin's user id)."""
        return self.ledger.manager

    @property
    def aetna_id(self) -> uuid.UUID:
        """Aetna, primary payer of Rivera and Chen."""
        return self.ledger.aetna_id

    @property
    def patient_ids(self) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        """Rivera, Chen and Nguyen."""
        return self.ledger.patient_ids


def build_deposit_practice(database: Database) -> DepositPractice:
    """Set up the ledger practice and add a second manager account."""
    practice = build_ledger_practice(database)
    with database.transaction() as session:
        written = create_user(
            session,
            practice.admin,
            "manager2",
            "Second Manager",
            Role.MANAGER,
            SECOND_MANAGER_PASSWORD,
        )
    other = Actor(written.user.id, "manager2", Role.MANAGER, practice.admin.workstation)
    return DepositPractice(ledger=practice, other_manager=other)


def post_line_charge(
    session: Session,
    practice: DepositPractice,
    patient_id: uuid.UUID,
    amount: str,
    *,
    service_date: date,
    payer_id: uuid.UUID | None = None,
    procedure_code: str = "99213",
) -> uuid.UUID:
    """Post a one-line encounter's charge to the patient (or `payer_id` as primary).

    Returns the charge line's id.
    """
    encounter = add_encounter(session, practice.ledger, patient_id, service_date, status="posted")
    line = add_charge_line(session, encounter, procedure_code, Decimal(amount))
    encounter.posted_at = datetime.now(UTC)
    encounter.posted_by = practice.biller.user_id
    post_entry(
        session,
        practice.biller,
        entry_type="charge",
        amount=Decimal(amount),
        patient_id=patient_id,
        responsible_party=RESPONSIBLE_PATIENT if payer_id is None else "primary",
        payer_id=payer_id,
        service_date=service_date,
        source_type=CHARGE_LINE_SOURCE,
        source_id=line.id,
        memo=f"Charge {procedure_code}",
        charge_line_id=line.id,
    )
    return line.id


def insurance_settles(
    session: Session,
    practice: DepositPractice,
    patient_id: uuid.UUID,
    line_id: uuid.UUID,
    *,
    paid: str,
    written_off: str = "0",
    to_patient: str = "0",
) -> None:
    """Post Aetna's payment, contractual write-off and patient share of a primary line."""
    common = {
        "patient_id": patient_id,
        "charge_line_id": line_id,
        "source_type": "remittance_claim",
        "source_id": uuid.uuid4(),
    }
    moves = (
        ("payment", -Decimal(paid), "primary"),
        ("adjustment", -Decimal(written_off), "primary"),
        ("transfer", -Decimal(to_patient), "primary"),
        ("transfer", Decimal(to_patient), RESPONSIBLE_PATIENT),
    )
    for entry_type, amount, party in moves:
        if amount == 0:
            continue
        post_entry(
            session,
            practice.biller,
            entry_type=entry_type,
            amount=amount,
            responsible_party=party,
            payer_id=practice.aetna_id if party != RESPONSIBLE_PATIENT else None,
            **common,  # type: ignore[arg-type]
        )


def add_payment(
    session: Session,
    practice: DepositPractice,
    patient_id: uuid.UUID,
    amount: str,
    *,
    method: str = "check",
    received_on: date,
    check_number: str | None = None,
    line_id: uuid.UUID | None = None,
    payer_id: uuid.UUID | None = None,
) -> Payment:
    """Insert a front-desk payment and post its ledger row (to `line_id`, or unallocated)."""
    payment = Payment(
        receipt_number=next_number(session, "receipt"),
        patient_id=patient_id,
        payer_id=payer_id,
        kind="payment",
        method=method,
        amount=Decimal(amount),
        check_number=check_number,
        received_on=received_on,
        received_by=practice.front_desk.user_id,
        updated_by=practice.front_desk.user_id,
    )
    session.add(payment)
    session.flush()
    post_entry(
        session,
        practice.front_desk,
        entry_type="payment",
        amount=-Decimal(amount),
        patient_id=patient_id,
        responsible_party=RESPONSIBLE_PATIENT,
        service_date=received_on,
        source_type="payment",
        source_id=payment.id,
        memo=f"Payment {payment.receipt_number}",
        charge_line_id=line_id,
    )
    return payment


def add_remittance(
    session: Session,
    practice: DepositPractice,
    amount: str,
    *,
    trace_number: str,
    payment_date: date,
    payment_method: str = "CHK",
    status: str = "posted",
    payer_name: str = "Aetna",
) -> Remittance:
    """Insert a remittance row as the 835 import or a paper EOB would store it."""
    remittance = Remittance(
        source="era",
        payer_id=practice.aetna_id,
        payer_name=payer_name,
        payer_identifier="60054",
        trace_number=trace_number,
        payment_method=payment_method,
        payment_amount=Decimal(amount),
        payment_date=payment_date,
        status=status,
        received_at=datetime.now(UTC),
        received_by=practice.biller.user_id,
        updated_by=practice.biller.user_id,
    )
    session.add(remittance)
    session.flush()
    return remittance


def assert_ledger_clean(database: Database, practice: DepositPractice) -> None:
    """Fail with the findings when ledger verify finds anything."""
    with database.transaction() as session:
        findings = ledger_check(session, practice.manager)
    assert findings == []


def patient_bucket(session: Session, patient_id: uuid.UUID) -> Decimal:
    """Return the patient's own share of the balance."""
    return ledger.balances_by_bucket(session, patient_id).get(ledger.PATIENT_BUCKET, Decimal("0"))
