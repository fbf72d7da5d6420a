"""Collect copay from the check-in dialog: the take-payment dialog opens prefilled."""

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.models.payments import Payment
from app.services import booking
from app.services.check_in import CheckIn
from tests.helpers.scheduling_data import wall
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, PaymentPractice
from ui.pages.check_in_dialog import CheckInDialog
from ui.payments.take_payment import PaymentStart, TakePaymentDialog, open_take_payment


def book_nguyen(practice: PaymentPractice) -> CheckIn:
    """Book Nguyen and return a check-in checklist with a $25 copay due."""
    scheduling = practice.ledger.base
    request = scheduling.request(wall(2026, 3, 9, 9), patient=2)
    with practice.database.transaction() as session:
        outcome = booking.book(session, scheduling.front_desk, request)
    assert outcome.appointment_id is not None
    return CheckIn(
        appointment_id=outcome.appointment_id,
        patient_id=practice.nguyen,
        patient_name="Nguyen, Test",
        chart_number="T-000003",
        starts_at=datetime(2026, 3, 9, 15, tzinfo=UTC),
        provider_name="Dr. Test",
        status="scheduled",
        can_check_in=True,
        missing_demographics=(),
        phones=(),
        address=(),
        email="",
        coverages=(),
        copay_due=Decimal("25.00"),
        intake_not_done=(),
    )


def test_collect_copay_opens_prefilled_payment(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    context = context_for(payment_practice.desk)
    checklist = book_nguyen(payment_practice)
    opened: list[TakePaymentDialog] = []

    def collect(dialog: CheckInDialog) -> None:
        start = PaymentStart(
            checklist.patient_id,
            "Nguyen, Test",
            kind="copay",
            amount=checklist.copay_due,
            appointment_id=checklist.appointment_id,
        )
        open_take_payment(context, start, dialog, opened.append)

    check_in = CheckInDialog(checklist, collect_copay=collect)
    qtbot.addWidget(check_in)
    check_in.show()
    assert check_in.copay_button is not None
    assert check_in.focusWidget() is check_in.check_in_button
    assert check_in.copay_label.text() == "Copay due today: $25.00"
    check_in.copay_button.setFocus()
    check_in.copay_button.click()
    drain(qtbot, context)

    assert len(opened) == 1
    dialog = opened[0]
    assert dialog.kind.currentData() == "copay"
    assert dialog.amount.text() == "25.00"
    # A copay stays unapplied, so no Apply cell is prefilled.
    assert dialog.typed_allocations() == {}
    dialog.saved.connect(lambda _payment_id: check_in.copay_collected(dialog.amount_value()))
    dialog.accept()
    drain(qtbot, context)

    with payment_practice.database.reading() as session:
        payment = session.scalars(select(Payment)).one()
        assert payment.kind == "copay"
        assert payment.amount == Decimal("25.00")
        assert payment.appointment_id == checklist.appointment_id
    assert check_in.copay_label.text() == "Copay collected: $25.00"
    assert not check_in.copay_button.isEnabled()
    assert check_in.focusWidget() is check_in.check_in_button
    dialog.reject()
