"""Take payment and a closed day: the button is off, the dialog's date names the problem."""

from datetime import date
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.changes import ChangeKind, Changes
from app.models.payments import Payment
from app.security.permissions import Actor
from app.services.day_close import close_day
from app.services.ledger import LOCK_DATE_KEY
from app.services.settings import store_setting
from app.services.today import practice_today
from tests.ui.charges.conftest import drain
from tests.ui.payments.conftest import ContextFor, PaymentPractice, show_page
from ui.payments.payments_tab import DAY_CLOSED
from ui.payments.take_payment import PaymentStart, TakePaymentDialog, open_take_payment


def practice_date(practice: PaymentPractice) -> date:
    with practice.database.reading() as session:
        return practice_today(session)


def payment_count(practice: PaymentPractice) -> int:
    with practice.database.reading() as session:
        count = session.scalar(select(func.count()).select_from(Payment))
    assert count is not None
    return count


def save_cash(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, folder: Path
) -> TakePaymentDialog:
    """Open Take payment for Nguyen, type $20.00 and press Enter; return the dialog."""
    context = context_for(payment_practice.desk)
    page, _opened = show_page(qtbot, context, folder)
    dialogs: list[TakePaymentDialog] = []
    open_take_payment(
        context, PaymentStart(payment_practice.nguyen, "Nguyen, Test"), page, dialogs.append
    )
    drain(qtbot, context)
    (dialog,) = dialogs
    qtbot.keyClicks(dialog.amount, "20.00")
    qtbot.keyClick(dialog.amount, Qt.Key.Key_Return)
    drain(qtbot, context)
    return dialog


def test_closed_day_shown_on_date(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    today = practice_date(payment_practice)
    with payment_practice.database.transaction() as session:
        close_day(
            session, payment_practice.desk, today, Decimal("0.00"), Decimal("0.00"), ""
        ).raise_if_rejected()

    dialog = save_cash(qtbot, payment_practice, context_for, tmp_path)

    assert dialog.received_on.text() == f"{today:%m/%d/%Y} (today)"
    assert dialog.form.problem_text("received_on") == (
        f"You closed {today:%m/%d/%Y} already, so no payment can be added to it under your "
        "name. Ask a colleague whose day is still open to take it."
    )
    assert dialog.form.problem_labels["received_on"].isVisibleTo(dialog)
    assert not dialog.form.general.isVisibleTo(dialog)
    assert dialog.isVisible()
    assert dialog.payment_id is None
    assert dialog.save_button.isEnabled()
    assert payment_count(payment_practice) == 0


def test_closed_period_shown_on_date(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    today = practice_date(payment_practice)
    # set_ledger_lock_date only takes a day before today, and the dialog dates payments
    # today, so the setting is stored directly to reach the closed-period problem.
    with payment_practice.database.transaction() as session:
        store_setting(session, payment_practice.manager, LOCK_DATE_KEY, today.isoformat())

    dialog = save_cash(qtbot, payment_practice, context_for, tmp_path)

    assert dialog.form.problem_text("received_on") == (
        f"The ledger is closed through {today:%m/%d/%Y}, so nothing can be posted with the "
        f"date {today:%m/%d/%Y}. Ask a manager to move the ledger lock date back, or post "
        "with a date in the open period."
    )
    assert not dialog.form.general.isVisibleTo(dialog)
    assert dialog.payment_id is None
    assert payment_count(payment_practice) == 0


def close_today(practice: PaymentPractice, actor: Actor) -> None:
    with practice.database.transaction() as session:
        close_day(
            session, actor, practice_today(session), Decimal("0.00"), Decimal("0.00"), ""
        ).raise_if_rejected()


def test_closed_day_turns_off_take_payment(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    page, _opened = show_page(qtbot, context_for(payment_practice.desk), tmp_path)
    tab = page.payments
    assert tab.take_button.isEnabled()
    assert not tab.closed_note.isVisible()

    close_today(payment_practice, payment_practice.desk)
    page.handle_changes(Changes.of(ChangeKind.PAYMENTS))
    drain(qtbot, tab.context)

    assert not tab.take_button.isEnabled()
    assert not tab.take_action.isEnabled()
    assert tab.take_button.toolTip() == DAY_CLOSED
    assert tab.closed_note.isVisible()
    assert tab.closed_note.text() == DAY_CLOSED


def test_colleague_day_open_takes_payment(
    qtbot: QtBot, payment_practice: PaymentPractice, context_for: ContextFor, tmp_path: Path
) -> None:
    close_today(payment_practice, payment_practice.desk)

    page, _opened = show_page(qtbot, context_for(payment_practice.other_manager), tmp_path)

    assert page.payments.take_button.isEnabled()
    assert not page.payments.closed_note.isVisible()
