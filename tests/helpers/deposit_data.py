"""Charges, payments and remittances for the deposit, adjustment and refund tests.

Built on the ledger practice. Charges name their service line through `charge_line_id`,
as charge posting has done since line balances arrived. Payments go through the
front desk's `take_payment`. Remittances and insurance postings are inserted directly
(rows through the ORM, ledger rows through `ledger.post_entry`), so these tests do not
depend on the 835 import.
"""

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from sqlalchemy.orm import Session

from app.db.database import Database
from app.ids import UserId
from app.models.payments import Payment, Remittance
from app.models.security import User
from app.security.permissions import Actor, Role
from app.services import ledger
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, post_entry
from app.services.ledger_verify import ledger_check
from app.services.payments import PaymentForm, take_payment
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
    """Set up the ledger practice and add a second manager account.

    The account reuses the admin's password hash, which saves an Argon2id hash (about
    half a second) in every test. No test signs in as this manager.
    """
    practice = build_ledger_practice(database)
    with database.transaction() as session:
        admin = session.get(User, practice.admin.user_id)
        assert admin is not None
        manager = User(
            username="manager2",
            display_name="Second Manager",
            role=Role.MANAGER.value,
            password_hash=admin.password_hash,
            updated_by=admin.id,
        )
        session.add(manager)
        session.flush()
        other = Actor(UserId(manager.id), "manager2", Role.MANAGER, practice.admin.workstation)
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
    kind: str = "payment",
) -> Payment:
    """Take a payment at the desk: on `line_id`, else on the oldest open lines, else as credit.

    Checks get the number 1001 and cards a terminal slip unless the test gives them.
    """
    form = PaymentForm(
        patient_id=patient_id,
        amount=Decimal(amount),
        method=method,
        kind=kind,
        check_number=check_number or ("1001" if method == "check" else None),
        card_last4="4242" if method == "card" else None,
        card_authorization="A1B2C3" if method == "card" else None,
        payer_id=payer_id,
        allocations=None if line_id is None else {line_id: Decimal(amount)},
        received_on=received_on,
    )
    outcome = take_payment(session, practice.front_desk, form)
    assert outcome.record_id is not None, outcome.problems
    payment = session.get(Payment, outcome.record_id)
    assert payment is not None
    return payment


def payer_raises_payment(
    session: Session,
    practice: DepositPractice,
    patient_id: uuid.UUID,
    line_id: uuid.UUID,
    amount: str,
) -> None:
    """Post Aetna reprocessing a line: it takes back `amount` of the patient's share and pays it.

    After the patient paid their share, this leaves a credit of `amount` on the line in
    the patient's bucket.
    """
    moves = (
        ("transfer", -Decimal(amount), RESPONSIBLE_PATIENT),
        ("transfer", Decimal(amount), "primary"),
        ("payment", -Decimal(amount), "primary"),
    )
    for entry_type, value, party in moves:
        post_entry(
            session,
            practice.biller,
            entry_type=entry_type,
            amount=value,
            patient_id=patient_id,
            responsible_party=party,
            payer_id=practice.aetna_id if party != RESPONSIBLE_PATIENT else None,
            source_type="remittance_claim",
            source_id=uuid.uuid4(),
            charge_line_id=line_id,
        )


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
