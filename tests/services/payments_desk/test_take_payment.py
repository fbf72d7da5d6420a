"""Taking a payment: allocation to lines, credits, copays and third-party payments."""

import uuid
from datetime import UTC, datetime, time
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.payments import Payment
from app.models.scheduling import Appointment
from app.services.ledger import patient_balance
from app.services.line_balances import line_balances, open_patient_lines
from app.services.numbering import local_workstation
from app.services.outcomes import SaveOutcome
from app.services.payments import (
    PaymentForm,
    patient_payments,
    payments_for_day,
    take_payment,
)
from app.services.today import practice_today
from tests.helpers.ledger_data import add_visit
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean


def _take(database: Database, desk: DeskPractice, form: PaymentForm) -> SaveOutcome:
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    return outcome


def _rows(session: Session, payment_id: uuid.UUID) -> list[LedgerEntry]:
    return list(
        session.scalars(
            select(LedgerEntry)
            .where(LedgerEntry.source_type == "payment", LedgerEntry.source_id == payment_id)
            .order_by(LedgerEntry.amount)
        )
    )


def _cash(desk: DeskPractice, amount: str, **extra: object) -> PaymentForm:
    return PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal(amount),
        method="cash",
        **extra,  # type: ignore[arg-type]
    )


def test_default_pays_oldest_first(database: Database, desk: DeskPractice) -> None:
    outcome = _take(database, desk, _cash(desk, "150.00"))

    assert outcome.saved
    assert outcome.problems == ()
    assert outcome.record_id is not None
    with database.reading() as session:
        payment = session.get(Payment, outcome.record_id)
        assert payment is not None
        code = local_workstation(session).code
        rows = _rows(session, payment.id)
        balances = line_balances(session, [desk.first_line, desk.second_line])
        today = practice_today(session)
    assert payment.receipt_number == f"{code}-000001"
    assert payment.amount == Decimal("150.00")
    assert payment.received_on == today
    assert payment.received_by == desk.desk.user_id
    assert [(row.amount, row.charge_line_id) for row in rows] == [
        (Decimal("-120.00"), desk.first_line),
        (Decimal("-30.00"), desk.second_line),
    ]
    assert all(row.entry_type == "payment" for row in rows)
    assert all(row.responsible_party == "patient" for row in rows)
    assert all(row.service_date == today for row in rows)
    assert all(payment.receipt_number in row.memo for row in rows)
    assert balances[desk.first_line] == {}
    assert balances[desk.second_line] == {"patient": Decimal("50.00")}
    assert_ledger_clean(database, desk)


def test_overpayment_leaves_credit(database: Database, desk: DeskPractice) -> None:
    outcome = _take(database, desk, _cash(desk, "250.00"))

    assert outcome.record_id is not None
    with database.reading() as session:
        rows = _rows(session, outcome.record_id)
        balance = patient_balance(session, desk.nguyen)
        (row,) = payments_for_day(session, desk.desk, practice_today(session), None)
    assert [(entry.amount, entry.charge_line_id) for entry in rows] == [
        (Decimal("-120.00"), desk.first_line),
        (Decimal("-80.00"), desk.second_line),
        (Decimal("-50.00"), None),
    ]
    assert "left as credit" in rows[2].memo
    assert balance == Decimal("-50.00")
    assert row.applied == Decimal("200.00")
    assert row.credit == Decimal("50.00")
    assert_ledger_clean(database, desk)


def test_chosen_line_and_remainder(database: Database, desk: DeskPractice) -> None:
    form = _cash(desk, "60.00", allocations={desk.second_line: Decimal("50.00")})
    outcome = _take(database, desk, form)

    assert outcome.record_id is not None
    with database.reading() as session:
        rows = _rows(session, outcome.record_id)
        open_lines = open_patient_lines(session, desk.nguyen)
    assert [(entry.amount, entry.charge_line_id) for entry in rows] == [
        (Decimal("-50.00"), desk.second_line),
        (Decimal("-10.00"), None),
    ]
    assert [(line.charge_line_id, line.patient_balance) for line in open_lines] == [
        (desk.first_line, Decimal("120.00")),
        (desk.second_line, Decimal("30.00")),
    ]
    assert_ledger_clean(database, desk)


def test_allocation_problems_write_nothing(database: Database, desk: DeskPractice) -> None:
    cases = [
        ({desk.first_line: Decimal("120.01")}, "more than the line's patient balance $120.00"),
        ({desk.rivera_line: Decimal("10.00")}, "has no balance the patient owes"),
        ({desk.insured_line: Decimal("10.00")}, "has no balance the patient owes"),
        ({desk.first_line: Decimal("0.00")}, "not whole cents above zero"),
    ]
    for allocations, words in cases:
        outcome = _take(database, desk, _cash(desk, "200.00", allocations=allocations))
        assert not outcome.saved
        assert len(outcome.problems) == 1
        assert words in outcome.problems[0].message

    too_much = {desk.first_line: Decimal("100.00"), desk.second_line: Decimal("50.00")}
    outcome = _take(database, desk, _cash(desk, "140.00", allocations=too_much))
    assert [problem.message for problem in outcome.problems] == [
        "The amounts applied total $150.00, more than the payment of $140.00; lower them "
        "or raise the payment."
    ]
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0
        assert session.scalar(select(func.count()).where(LedgerEntry.source_type == "payment")) == 0


def test_prepayment_stays_credit(database: Database, desk: DeskPractice) -> None:
    outcome = _take(database, desk, _cash(desk, "100.00", kind="prepayment"))

    assert outcome.record_id is not None
    with database.reading() as session:
        rows = _rows(session, outcome.record_id)
        open_lines = open_patient_lines(session, desk.nguyen)
    assert [(entry.amount, entry.charge_line_id) for entry in rows] == [(Decimal("-100.00"), None)]
    assert rows[0].memo.startswith("Prepayment ")
    assert [line.patient_balance for line in open_lines] == [Decimal("120.00"), Decimal("80.00")]
    assert_ledger_clean(database, desk)


def test_copay_with_appointment(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        today = practice_today(session)
        visit = add_visit(
            session, desk.ledger, datetime.combine(today, time(9)), "arrived", patient=2
        )
        other_visit = add_visit(
            session, desk.ledger, datetime.combine(today, time(10)), "arrived", patient=0
        )
    form = _cash(desk, "25.00", kind="copay", appointment_id=other_visit)
    outcome = _take(database, desk, form)
    assert [problem.field for problem in outcome.problems] == ["appointment_id"]

    outcome = _take(database, desk, _cash(desk, "25.00", kind="copay", appointment_id=visit))
    assert outcome.record_id is not None
    with database.reading() as session:
        payment = session.get(Payment, outcome.record_id)
        assert payment is not None
        rows = _rows(session, payment.id)
        assert session.get(Appointment, visit) is not None
    assert payment.kind == "copay"
    assert payment.appointment_id == visit
    assert [(entry.amount, entry.charge_line_id) for entry in rows] == [(Decimal("-25.00"), None)]
    assert rows[0].memo.startswith("Copay ")
    assert_ledger_clean(database, desk)


def test_third_party_payment(database: Database, desk: DeskPractice) -> None:
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal("80.00"),
        method="check",
        check_number="7781",
        payer_id=desk.ledger.cigna_id,
        memo="Settlement of the March visit",
    )
    outcome = _take(database, desk, form)

    assert outcome.record_id is not None
    with database.reading() as session:
        payment = session.get(Payment, outcome.record_id)
        assert payment is not None
        rows = _rows(session, payment.id)
        (listed,) = patient_payments(session, desk.desk, desk.nguyen)
    assert payment.payer_id == desk.ledger.cigna_id
    assert payment.check_number == "7781"
    assert payment.memo == "Settlement of the March visit"
    assert [(entry.amount, entry.charge_line_id) for entry in rows] == [
        (Decimal("-80.00"), desk.first_line)
    ]
    assert rows[0].responsible_party == "patient"
    assert rows[0].payer_id is None
    assert rows[0].memo == f"Payment {payment.receipt_number}, check 7781, paid by Cigna"
    assert listed.payer_name == "Cigna"
    assert listed.check_number == "7781"
    assert_ledger_clean(database, desk)


def test_card_number_rejected(database: Database, desk: DeskPractice) -> None:
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal("20.00"),
        method="card",
        card_last4="4111111111111111",
        card_authorization="0A12BC",
    )
    outcome = _take(database, desk, form)

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["card_last4"]
    with database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Payment)) == 0


def test_unknown_patient_rejected(database: Database, desk: DeskPractice) -> None:
    form = PaymentForm(patient_id=uuid.UUID(int=7), amount=Decimal("20.00"), method="cash")
    outcome = _take(database, desk, form)

    assert [problem.field for problem in outcome.problems] == ["patient_id"]


def test_lists_by_day_and_user(database: Database, desk: DeskPractice) -> None:
    _take(database, desk, _cash(desk, "10.00"))
    with database.transaction() as session:
        form = PaymentForm(patient_id=desk.rivera, amount=Decimal("15.00"), method="cash")
        take_payment(session, desk.other_desk, form).raise_if_rejected()
        today = practice_today(session)
        everyone = payments_for_day(session, desk.desk, today, None)
        mine = payments_for_day(session, desk.desk, today, desk.desk.user_id)
        theirs = payments_for_day(session, desk.desk, today, desk.other_desk.user_id)
        rivera = patient_payments(session, desk.desk, desk.rivera)
        before = payments_for_day(session, desk.desk, datetime(2026, 1, 5, tzinfo=UTC).date(), None)
    assert [row.amount for row in everyone] == [Decimal("10.00"), Decimal("15.00")]
    assert [row.amount for row in mine] == [Decimal("10.00")]
    assert [row.taken_by for row in theirs] == ["Jordan Reyes"]
    assert [row.patient_name for row in rivera] == ["Rivera, Maria"]
    assert rivera[0].applied == Decimal("15.00")
    assert before == []
