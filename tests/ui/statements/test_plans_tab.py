"""The Payment plans tab and the New payment plan dialog, driven through their widgets.

Plans are made on the statement practice's Garcia family account, which owes $395.00.
The dialog's "today" is the real day in the practice's zone, so expected dates are
computed from it.
"""

import uuid
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from decimal import Decimal

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.statements import PaymentPlan
from app.security.permissions import Actor
from app.services.billing_accounts import account_for_patient
from app.services.payment_plans import PlanForm, create_plan
from app.services.plan_schedule import add_months
from app.services.today import practice_today
from tests.helpers.statement_data import StatementPractice, build_statement_practice
from tests.ui.charges.conftest import drain
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.patient.fields import format_date
from ui.payments.dialogs import ReasonDialog
from ui.statements.plan_dialog import PlanDialog
from ui.statements.plans_tab import PlansTab

ContextFor = Callable[[Actor], AppContext]


@pytest.fixture
def practice(database: Database) -> StatementPractice:
    return build_statement_practice(database)


@pytest.fixture
def context_for(
    qtbot: QtBot, database: Database, practice: StatementPractice
) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    made: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox | PlanDialog | ReasonDialog):
            widget.close()
    for context in made:
        drain(qtbot, context)


def show_tab(qtbot: QtBot, context: AppContext) -> PlansTab:
    """Show a Payment plans tab wired to changes as the Statements page does, and load it."""
    tab = PlansTab(context)
    qtbot.addWidget(tab)
    context.ops.changed.connect(tab.handle_changes)
    tab.resize(1100, 600)
    tab.show()
    qtbot.waitExposed(tab)
    tab.refresh()
    drain(qtbot, context)
    return tab


def active_dialog(qtbot: QtBot, kind: type[QWidget]) -> QWidget:
    """Wait for a visible top-level window of `kind` and return it."""

    def found() -> QWidget | None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, kind) and widget.isVisible():
                return widget
        return None

    qtbot.waitUntil(lambda: found() is not None, timeout=5_000)
    widget = found()
    assert widget is not None
    return widget


def open_plan_dialog(qtbot: QtBot, context: AppContext, tab: PlansTab) -> PlanDialog:
    qtbot.mouseClick(tab.new_button, Qt.MouseButton.LeftButton)
    dialog = active_dialog(qtbot, PlanDialog)
    assert isinstance(dialog, PlanDialog)
    return dialog


def pick_patient(qtbot: QtBot, context: AppContext, dialog: PlanDialog, text: str) -> None:
    """Search for `text`, press Down and Enter, and wait for the account to load."""
    qtbot.keyClicks(dialog.patient, text)
    dialog.search.search_now()
    drain(qtbot, context)
    qtbot.waitUntil(dialog.search.popup.isVisible, timeout=5_000)
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.patient, Qt.Key.Key_Return)
    drain(qtbot, context)
    qtbot.waitUntil(lambda: dialog.account is not None, timeout=5_000)


def retype(qtbot: QtBot, box: QWidget, text: str) -> None:
    """Replace the text of a line edit as a user would: select all, then type."""
    box.setFocus()
    qtbot.keyClick(box, Qt.Key.Key_A, Qt.KeyboardModifier.ControlModifier)
    qtbot.keyClicks(box, text)


def today_of(database: Database) -> date:
    with database.reading() as session:
        return practice_today(session)


def plans_of(database: Database) -> list[PaymentPlan]:
    with database.reading() as session:
        plans = list(session.scalars(select(PaymentPlan)))
        for plan in plans:
            session.expunge(plan)
        return plans


def family_plan(database: Database, practice: StatementPractice) -> uuid.UUID:
    """Make a $300.00 plan of $100.00 a month from next month, as the front desk."""
    today = today_of(database)
    with database.transaction() as session:
        account = account_for_patient(session, practice.desk, practice.parent)
        form = PlanForm(
            account_id=account.id,
            total=Decimal("300.00"),
            down_payment=Decimal("0.00"),
            installment_amount=Decimal("100.00"),
            frequency="monthly",
            start_on=add_months(today, 1),
        )
        outcome = create_plan(session, practice.desk, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


# --- the dialog -----------------------------------------------------------------------


def test_new_plan_from_dialog(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.biller)
    tab = show_tab(qtbot, context)
    assert tab.table.rowCount() == 0
    today = today_of(database)

    dialog = open_plan_dialog(qtbot, context, tab)
    assert not dialog.save_button.isEnabled()
    pick_patient(qtbot, context, dialog, "Sofia")

    assert dialog.account_label.text().endswith(": Laura Garcia, 3 patients, owes $395.00 now")
    assert dialog.total.text() == "395.00"
    assert dialog.start_on.text() == format_date(add_months(today, 1))
    assert dialog.focusWidget() is dialog.installment
    assert not dialog.save_button.isEnabled()

    qtbot.keyClicks(dialog.installment, "100")
    start = add_months(today, 1)
    last_due = add_months(start, 3)
    assert dialog.preview.text() == (
        f"4 installments monthly, the last ($95.00) due {format_date(last_due)}."
    )
    assert dialog.save_button.isEnabled()

    retype(qtbot, dialog.total, "500")
    assert dialog.problem_text("total") == (
        "The total $500.00 is more than the account owes now ($395.00); type $395.00 or less."
    )
    assert not dialog.save_button.isEnabled()

    retype(qtbot, dialog.total, "300")
    retype(qtbot, dialog.down_payment, "50")
    assert dialog.problem_text("total") == ""
    assert dialog.preview.text() == (
        f"Down payment $50.00 today, then 3 installments monthly, the last ($50.00) due "
        f"{format_date(add_months(start, 2))}."
    )
    assert dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    drain(qtbot, context)

    plans = plans_of(database)
    assert [(plan.total, plan.down_payment, plan.installment_amount) for plan in plans] == [
        (Decimal("300.00"), Decimal("50.00"), Decimal("100.00"))
    ]
    assert plans[0].start_on == add_months(today, 1)
    assert plans[0].grace_days == 15
    assert tab.status.text() == "Payment plan saved."
    qtbot.waitUntil(lambda: tab.table.rowCount() == 1, timeout=5_000)
    assert [tab.table.item(0, column).text() for column in range(1, 7)] == [
        "Laura Garcia",
        "$300.00",
        "$0.00",
        "$300.00",
        format_date(today),
        "Current",
    ]
    assert tab.table.item(0, 0).text().startswith("A")


def test_dialog_weekly_preview(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.desk)
    dialog = PlanDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()

    qtbot.keyClicks(dialog.total, "250")
    qtbot.keyClicks(dialog.installment, "40")
    dialog.frequency.setCurrentIndex(dialog.frequency.findText("Weekly"))
    qtbot.keyClicks(dialog.start_on, "01/31/2027")

    assert dialog.preview.text() == "7 installments weekly, the last ($10.00) due 03/14/2027."
    dialog.frequency.setCurrentIndex(dialog.frequency.findText("Every two weeks"))
    assert dialog.preview.text() == (
        "7 installments every two weeks, the last ($10.00) due 04/25/2027."
    )
    # Without an account Save stays off, whatever the terms.
    assert not dialog.save_button.isEnabled()


def test_enter_on_empty_dialog_lists_missing(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.desk)
    dialog = PlanDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()

    dialog.accept()

    assert dialog.isVisible()
    assert dialog.problem_text("account_id") == (
        "Search for a patient on the account, then press Enter."
    )
    assert dialog.problem_text("total") == "Type the total the plan pays off, such as 395.00."
    assert dialog.problem_text("installment_amount") == (
        "Type the amount due each time, such as 50.00."
    )
    assert dialog.problem_text("down_payment") == ""


def test_dialog_shows_open_plan(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    family_plan(database, practice)
    context = context_for(practice.desk)
    dialog = PlanDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()

    pick_patient(qtbot, context, dialog, "Mateo")
    qtbot.keyClicks(dialog.installment, "20")

    problem = dialog.problem_text("account_id")
    assert "already has an open payment plan (made " in problem
    assert problem.endswith(", current); cancel it on the Payment plans tab first.")
    assert not dialog.save_button.isEnabled()


def test_past_start_warns_but_saves(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.desk)
    dialog = PlanDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    today = today_of(database)
    earlier = today - timedelta(days=10)

    pick_patient(qtbot, context, dialog, "Sofia")
    qtbot.keyClicks(dialog.installment, "100")
    retype(qtbot, dialog.start_on, format_date(earlier))

    assert dialog.problem_text("start_on") == (
        f"The first installment's date {format_date(earlier)} is before today, so it is due "
        "at once; take that installment today or the plan starts late."
    )
    assert dialog.save_button.isEnabled()

    retype(qtbot, dialog.start_on, format_date(today - timedelta(days=40)))
    assert "more than 31 days before today" in dialog.problem_text("start_on")
    assert not dialog.save_button.isEnabled()


# --- the tab ----------------------------------------------------------------------------


def test_cancel_plan_with_reason(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    plan_id = family_plan(database, practice)
    context = context_for(practice.biller)
    tab = show_tab(qtbot, context)
    assert tab.table.rowCount() == 1
    assert tab.totals.text() == "1 plan · 0 late or broken"
    assert not tab.cancel_button.isEnabled()

    tab.table.selectRow(0)
    assert tab.cancel_button.isEnabled()
    qtbot.mouseClick(tab.cancel_button, Qt.MouseButton.LeftButton)
    reason = active_dialog(qtbot, ReasonDialog)
    assert isinstance(reason, ReasonDialog)
    qtbot.keyClicks(reason.reason, "Guarantor paid in full elsewhere")
    qtbot.keyClick(reason.reason, Qt.Key.Key_Return)
    drain(qtbot, context)

    plans = plans_of(database)
    assert [(plan.id, plan.status) for plan in plans] == [(plan_id, "cancelled")]
    assert plans[0].note.endswith(": Guarantor paid in full elsewhere")
    qtbot.waitUntil(lambda: tab.table.rowCount() == 0, timeout=5_000)
    assert tab.status.text().endswith("was canceled.")

    tab.show_closed.setChecked(True)
    drain(qtbot, context)
    assert tab.table.rowCount() == 1
    assert tab.table.item(0, 6).text() == "Canceled"
    tab.table.selectRow(0)
    assert not tab.cancel_button.isEnabled()


def test_front_desk_gets_no_list(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    family_plan(database, practice)
    context = context_for(practice.desk)
    tab = show_tab(qtbot, context)

    assert tab.table.rowCount() == 0
    assert tab.new_button.isEnabled()
    assert not tab.cancel_button.isEnabled()


def test_provider_cannot_start_plan(
    qtbot: QtBot, practice: StatementPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.ledger.provider)
    tab = show_tab(qtbot, context)

    assert not tab.new_button.isEnabled()
    tab.new_plan()
    assert tab.dialog is None


def test_clear_data_empties_tab(
    qtbot: QtBot, database: Database, practice: StatementPractice, context_for: ContextFor
) -> None:
    family_plan(database, practice)
    context = context_for(practice.biller)
    tab = show_tab(qtbot, context)
    assert tab.table.rowCount() == 1

    tab.clear_data()

    assert tab.table.rowCount() == 0
    assert tab.rows == []
    assert tab.totals.text() == ""
