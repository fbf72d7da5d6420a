"""The values a face sheet shows, ready for display on screen and on paper."""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.money import format_money


@dataclass(frozen=True, slots=True)
class PracticeHeader:
    """The practice as printed at the top of a page."""

    name: str
    address: str
    phone: str


@dataclass(frozen=True, slots=True)
class PhoneLine:
    """One phone in display form, such as ("Mobile", "(847) 555-0123")."""

    kind: str
    number: str


@dataclass(frozen=True, slots=True)
class CoverageLine:
    """One coverage in coordination-of-benefits order."""

    order: str
    payer: str
    plan: str
    member_id: str
    group_number: str
    subscriber: str
    relationship: str
    effective: str
    copays: str


@dataclass(frozen=True, slots=True)
class VisitLine:
    """An appointment or an imported visit; `when` is practice wall-clock time."""

    when: datetime
    description: str
    provider: str
    status: str


@dataclass(frozen=True, slots=True)
class AlertLine:
    """A record alert; severity is info, warning or critical."""

    severity: str
    message: str


@dataclass(frozen=True, slots=True)
class Balance:
    """The ledger balance owed to the practice, split by who is responsible for it."""

    patient: Decimal
    insurance: Decimal

    @property
    def total(self) -> Decimal:
        """Sum of the patient and insurance parts."""
        return self.patient + self.insurance


@dataclass(frozen=True, slots=True)
class StatementHistoryLine:
    """One statement or notice made for the patient's billing account."""

    statement_date: date
    level: str
    amount_due: Decimal
    channel: str
    status: str

    @property
    def description(self) -> str:
        """The statement as one line, such as "2nd notice — $95.00, Email, Sent"."""
        return f"{self.level} \u2014 {format_money(self.amount_due)}, {self.channel}, {self.status}"


@dataclass(frozen=True, slots=True)
class StatementSummary:
    """The billing account the patient's bills go to, and what was sent to it.

    `statements` is newest first. `payment_plan` and `collections` are "" when the
    account has no open plan or placement. `hold` describes a hold that stops statements
    on the face sheet's day, such as "Bankruptcy through 07/31/2026", or is "" for none.
    """

    account_number: str
    guarantor: str
    statements: tuple[StatementHistoryLine, ...]
    payment_plan: str
    collections: str
    hold: str = ""


@dataclass(frozen=True, slots=True)
class FaceSheet:
    """Every value the face sheet shows; text fields are ready for display."""

    patient_id: uuid.UUID
    practice: PracticeHeader
    printed_on: date
    chart_number: str
    name: str
    preferred_name: str
    date_of_birth: date
    age: int
    sex: str
    gender_identity: str
    ssn_masked: str
    status: str
    address_lines: tuple[str, ...]
    phones: tuple[PhoneLine, ...]
    email: str
    preferred_contact: str
    reminder_consent: bool
    language: str
    marital_status: str
    employer: str
    emergency_contact: str
    primary_provider: str
    referring_provider: str
    guarantor: str
    coverages: tuple[CoverageLine, ...]
    balance: Balance
    upcoming: tuple[VisitLine, ...]
    past: tuple[VisitLine, ...]
    alerts: tuple[AlertLine, ...]
    onboarding_done: int
    onboarding_total: int
    onboarding_open: tuple[str, ...]
    recall_due_on: date | None
    recall_interval_months: int | None
    referral_count: int
    authorization_count: int
    # None while the patient's guarantor has no billing account yet.
    statements: StatementSummary | None
