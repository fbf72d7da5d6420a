"""Guarantor accounts with ledger histories for the statement, plan and collections tests.

Every row is posted on a fixed day before STATEMENT_DATE: `posted_on` pins the ledger's
clock to noon in the practice's zone (America/Chicago) on that day, so "posted on or
before the statement date" and "activity since the last statement" do not depend on
the day the tests run. Payments go through `payments.take_payment` (so Payment rows
exist) and adjustments through `account_adjustments.post_account_adjustment`.

The accounts and what a statement dated STATEMENT_DATE shows for each:

Family (guarantor: Laura Garcia, a patient, parent of Sofia and Mateo), self-pay:
    Laura  99214  $150.00  150 days  paid $100.00 (payment 40 days before)  owes $50.00
    Sofia  99392  $120.00  100 days                                          owes $120.00
    Mateo  90460   $40.00   75 days  courtesy adjustment -$20.00 (60 days)   owes $20.00
    Laura  99213   $95.00   45 days                                          owes $95.00
    Mateo  36415   $25.00   20 days  charge reversed 18 days before          owes $0.00
    Sofia  99393  $110.00   10 days                                          owes $110.00
    Balance $395.00 = amount due; aging current 110, 31-60 95, 61-90 20, 91-120 120,
    over 120 50. Nothing pending with insurance. Last payment 40 days before.
Insured (Daniel Brooks, his own guarantor, Aetna):
    99214 $200.00 billed to Aetna 60 days before; 30 days before Aetna paid $120.00,
    wrote off $50.00 and moved $30.00 to Daniel. 99213 $150.00 billed to Aetna 12 days
    before, still pending. Amount due $30.00 (aged 31-60), insurance pending $150.00.
Credit (Olivia Park, her own guarantor): 99213 $80.00 20 days before, paid $100.00 15
    days before. Balance -$20.00: amount due $0.00, credit $20.00, aging all zero.
Person guarantor (Ethan Walsh, billed to Karen Walsh, a Person with an email and a date
    of birth): 99203 $175.00 35 days before. Amount due $175.00, aged 31-60.
Small (Henry Cole, his own guarantor): 99211 $45.00 50 days before, paid $41.50 40 days
    before. Amount due $3.50, below the default $5.00 statement minimum.

The base practice's Rivera, Chen and Nguyen have no ledger rows. Code 99211 has no
ProcedureCode row, so a statement shows the code itself; the others have labels.
"""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from unittest.mock import patch
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.ids import new_id
from app.models.charges import ChargeLine, ProcedureCode
from app.models.ledger import LedgerEntry
from app.models.patients import Patient, Person
from app.security.permissions import Actor
from app.services import ledger, ledger_bulk
from app.services.account_adjustments import AdjustmentForm, post_account_adjustment
from app.services.era_posting_load import LEDGER_SOURCE
from app.services.ledger import CHARGE_LINE_SOURCE, RESPONSIBLE_PATIENT, reverse_entry
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.payments import PaymentForm, take_payment
from app.services.procedure_codes import infer_kind
from tests.helpers.ledger_data import (
    LedgerPractice,
    add_charge_line,
    add_encounter,
    build_ledger_practice,
)
from tests.helpers.referral_data import add_coverage

# A Tuesday in daylight-saving time in Chicago. Every row is posted on a day before it.
STATEMENT_DATE = date(2026, 6, 30)
PRACTICE_ZONE = ZoneInfo("America/Chicago")

# The practice's own labels. 99211 has none, so statements fall back to the code.
CODE_LABELS = {
    "99203": "Office visit, new patient, level 3",
    "99213": "Office visit, established, level 3",
    "99214": "Office visit, established, level 4",
    "99392": "Well-child visit, age 1 to 4",
    "99393": "Well-child visit, age 5 to 11",
    "90460": "Vaccine administration",
    "36415": "Blood draw",
}
UNLABELED_CODE = "99211"

FAMILY_BALANCE = Decimal("395.00")
FAMILY_AGING = (
    Decimal("110.00"),
    Decimal("95.00"),
    Decimal("20.00"),
    Decimal("120.00"),
    Decimal("50.00"),
)
FAMILY_PAYMENT = Decimal("100.00")
FAMILY_ADJUSTMENT = Decimal("20.00")
INSURED_DUE = Decimal("30.00")
INSURED_PENDING = Decimal("150.00")
CREDIT_BALANCE = Decimal("-20.00")
PERSON_DUE = Decimal("175.00")
SMALL_DUE = Decimal("3.50")


def days_before(days: int) -> date:
    """Return the day `days` before STATEMENT_DATE."""
    return STATEMENT_DATE - timedelta(days=days)


def noon_utc(day: date) -> datetime:
    """Return noon of `day` in the practice's zone as an aware UTC instant."""
    return datetime.combine(day, time(12), tzinfo=PRACTICE_ZONE).astimezone(UTC)


@contextmanager
def posted_on(day: date) -> Iterator[datetime]:
    """Post ledger rows inside the block as if at noon of `day` in the practice's zone.

    Both posting paths (`ledger.post_entry` and `ledger_bulk.post_entries`) read the
    clock through their module's `utc_now`, so patching those two covers every service.
    """
    instant = noon_utc(day)
    with (
        patch.object(ledger, "utc_now", return_value=instant),
        patch.object(ledger_bulk, "utc_now", return_value=instant),
    ):
        yield instant


@dataclass(frozen=True)
class StatementPractice:
    """The ledger practice plus the patients of the five accounts described above."""

    ledger: LedgerPractice
    parent: uuid.UUID
    sofia: uuid.UUID
    mateo: uuid.UUID
    insured: uuid.UUID
    credit: uuid.UUID
    person_patient: uuid.UUID
    person_guarantor: uuid.UUID
    small: uuid.UUID
    insured_paid_line: uuid.UUID
    insured_pending_line: uuid.UUID
    reversed_line: uuid.UUID

    @property
    def biller(self) -> Actor:
        """A biller (may run statements)."""
        return self.ledger.biller

    @property
    def manager(self) -> Actor:
        """A manager (may run statements, place accounts and change settings)."""
        return self.ledger.manager

    @property
    def desk(self) -> Actor:
        """A front-desk user (may take payments and set up plans)."""
        return self.ledger.front_desk

    @property
    def family(self) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
        """Laura Garcia (the guarantor), Sofia and Mateo."""
        return (self.parent, self.sofia, self.mateo)

    @property
    def guarantor_patients(self) -> tuple[uuid.UUID, ...]:
        """One patient of each account with a balance, in the order described above."""
        return (self.parent, self.insured, self.credit, self.person_patient, self.small)


def add_labels(session: Session) -> None:
    """Add the practice's ProcedureCode labels in CODE_LABELS."""
    for code, description in CODE_LABELS.items():
        session.add(ProcedureCode(code=code, kind=infer_kind(code).value, description=description))
    session.flush()


def add_person_patient(
    session: Session,
    chart_number: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    *,
    guarantor_patient_id: uuid.UUID | None = None,
    guarantor_person_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Insert a patient with an Evanston address and return the id."""
    patient = Patient(
        chart_number=chart_number,
        first_name=first_name,
        last_name=last_name,
        date_of_birth=date_of_birth,
        sex="U",
        address_line1="48 Elm Street",
        address_line2="Apt 2",
        city="Evanston",
        state="IL",
        zip_code="60201",
        phone="+18475550188",
        email=f"{first_name.lower()}.{last_name.lower()}@example.com",
        guarantor_patient_id=guarantor_patient_id,
        guarantor_person_id=guarantor_person_id,
    )
    session.add(patient)
    session.flush()
    return patient.id


def add_guarantor_person(session: Session) -> uuid.UUID:
    """Insert Karen Walsh, a guarantor who is not a patient, and return the id."""
    person = Person(
        first_name="Karen",
        last_name="Walsh",
        date_of_birth=date(1975, 3, 14),
        sex="F",
        address_line1="910 Maple Avenue",
        city="Skokie",
        state="IL",
        zip_code="60076",
        phone="+18475550199",
        email="karen.walsh@example.com",
    )
    session.add(person)
    session.flush()
    return person.id


def charge_line(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    code: str,
    amount: str,
    *,
    days: int,
    payer_id: uuid.UUID | None = None,
) -> ChargeLine:
    """Post one line `days` before STATEMENT_DATE, to the patient or to `payer_id` as primary."""
    service_date = days_before(days)
    encounter = add_encounter(session, practice, patient_id, service_date, status="posted")
    line = add_charge_line(session, encounter, code, Decimal(amount))
    with posted_on(service_date) as instant:
        encounter.posted_at = instant
        encounter.posted_by = practice.biller.user_id
        ledger.post_entry(
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
            memo=f"Charge {code}",
            charge_line_id=line.id,
        )
    return line


def pay(
    session: Session, practice: LedgerPractice, patient_id: uuid.UUID, amount: str, days: int
) -> uuid.UUID:
    """Take a cash payment received `days` before STATEMENT_DATE, oldest lines first."""
    received_on = days_before(days)
    form = PaymentForm(
        patient_id=patient_id, amount=Decimal(amount), method="cash", received_on=received_on
    )
    with posted_on(received_on):
        outcome = take_payment(session, practice.front_desk, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def adjust(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    line_id: uuid.UUID,
    amount: str,
    *,
    days: int,
) -> None:
    """Post a courtesy adjustment on one line `days` before STATEMENT_DATE, as a manager."""
    day = days_before(days)
    form = AdjustmentForm(
        kind="courtesy",
        patient_id=patient_id,
        amount=Decimal(amount),
        reason="Family discount",
        charge_line_id=line_id,
        posted_on=day,
    )
    with posted_on(day):
        outcome = post_account_adjustment(session, practice.manager, form)
    assert outcome.record_id is not None, outcome.problems


def insurance_processed(
    session: Session,
    practice: LedgerPractice,
    patient_id: uuid.UUID,
    line_id: uuid.UUID,
    days: int,
    *,
    paid: str,
    written_off: str,
    to_patient: str,
) -> None:
    """Post an Aetna payment, write-off and transfer to the patient, as ERA posting does."""
    source_id = new_id()

    def row(entry_type: str, amount: str, party: str) -> NewEntry:
        return NewEntry(
            entry_type=entry_type,
            amount=Decimal(amount),
            patient_id=patient_id,
            responsible_party=party,
            payer_id=practice.aetna_id if party == "primary" else None,
            source_type=LEDGER_SOURCE,
            source_id=source_id,
            memo="Aetna claim processed",
            charge_line_id=line_id,
        )

    rows = [
        row("payment", f"-{paid}", "primary"),
        row("transfer", f"-{to_patient}", "primary"),
        row("transfer", to_patient, RESPONSIBLE_PATIENT),
        row("adjustment", f"-{written_off}", "primary"),
    ]
    with posted_on(days_before(days)):
        post_entries(session, practice.biller, rows, detail="test remittance")


def _family(
    session: Session, practice: LedgerPractice
) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID, uuid.UUID]:
    parent = add_person_patient(session, "S-000001", "Laura", "Garcia", date(1984, 9, 2))
    sofia = add_person_patient(
        session, "S-000002", "Sofia", "Garcia", date(2022, 4, 11), guarantor_patient_id=parent
    )
    mateo = add_person_patient(
        session, "S-000003", "Mateo", "Garcia", date(2019, 1, 23), guarantor_patient_id=parent
    )
    charge_line(session, practice, parent, "99214", "150.00", days=150)
    charge_line(session, practice, sofia, "99392", "120.00", days=100)
    mateo_line = charge_line(session, practice, mateo, "90460", "40.00", days=75)
    adjust(session, practice, mateo, mateo_line.id, "20.00", days=60)
    charge_line(session, practice, parent, "99213", "95.00", days=45)
    pay(session, practice, parent, "100.00", 40)
    wrong = charge_line(session, practice, mateo, "36415", "25.00", days=20)
    reverse_charge(session, practice, wrong.id, 18)
    charge_line(session, practice, sofia, "99393", "110.00", days=10)
    return parent, sofia, mateo, wrong.id


def reverse_charge(
    session: Session, practice: LedgerPractice, line_id: uuid.UUID, days: int
) -> uuid.UUID:
    """Reverse the charge row of a line `days` before STATEMENT_DATE and return the reversal id."""
    charge_id = session.scalars(
        select(LedgerEntry.id).where(
            LedgerEntry.charge_line_id == line_id, LedgerEntry.entry_type == "charge"
        )
    ).one()
    with posted_on(days_before(days)):
        reversal = reverse_entry(session, practice.biller, charge_id, "Entered by mistake")
    return reversal.id


def _insured(session: Session, practice: LedgerPractice) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    insured = add_person_patient(session, "S-000004", "Daniel", "Brooks", date(1979, 6, 5))
    add_coverage(session, insured, practice.aetna_id)
    paid_line = charge_line(
        session, practice, insured, "99214", "200.00", days=60, payer_id=practice.aetna_id
    )
    insurance_processed(
        session,
        practice,
        insured,
        paid_line.id,
        30,
        paid="120.00",
        written_off="50.00",
        to_patient="30.00",
    )
    pending_line = charge_line(
        session, practice, insured, "99213", "150.00", days=12, payer_id=practice.aetna_id
    )
    return insured, paid_line.id, pending_line.id


def _credit(session: Session, practice: LedgerPractice) -> uuid.UUID:
    patient = add_person_patient(session, "S-000005", "Olivia", "Park", date(1990, 11, 30))
    charge_line(session, practice, patient, "99213", "80.00", days=20)
    pay(session, practice, patient, "100.00", 15)
    return patient


def _person_guarantor(session: Session, practice: LedgerPractice) -> tuple[uuid.UUID, uuid.UUID]:
    person = add_guarantor_person(session)
    patient = add_person_patient(
        session, "S-000006", "Ethan", "Walsh", date(2008, 2, 19), guarantor_person_id=person
    )
    charge_line(session, practice, patient, "99203", "175.00", days=35)
    return patient, person


def _small(session: Session, practice: LedgerPractice) -> uuid.UUID:
    patient = add_person_patient(session, "S-000007", "Henry", "Cole", date(1961, 7, 8))
    charge_line(session, practice, patient, UNLABELED_CODE, "45.00", days=50)
    pay(session, practice, patient, "41.50", 40)
    return patient


def build_statement_practice(database: Database) -> StatementPractice:
    """Build the ledger practice and the five accounts described in the module docstring.

    No BillingAccount rows are made: the tests of account creation start without any.
    """
    practice = build_ledger_practice(database)
    with database.transaction() as session:
        add_labels(session)
        parent, sofia, mateo, reversed_line = _family(session, practice)
        insured, paid_line, pending_line = _insured(session, practice)
        credit = _credit(session, practice)
        person_patient, person = _person_guarantor(session, practice)
        small = _small(session, practice)
    return StatementPractice(
        ledger=practice,
        parent=parent,
        sofia=sofia,
        mateo=mateo,
        insured=insured,
        credit=credit,
        person_patient=person_patient,
        person_guarantor=person,
        small=small,
        insured_paid_line=paid_line,
        insured_pending_line=pending_line,
        reversed_line=reversed_line,
    )
