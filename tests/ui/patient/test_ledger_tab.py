"""The Ledger tab of the patient record: rows, totals, scope, filters and reversed rows."""

from collections.abc import Iterator
from datetime import date

import pytest
from pytestqt.qtbot import QtBot

from app.changes import ChangeKind, Changes
from app.db.database import Database
from tests.helpers.ledger_data import LedgerPractice, build_family_ledger, post_payment
from tests.ui.admin.conftest import drain, make_context
from ui.context import AppContext
from ui.patient.ledger_tab import PATIENT_COLUMN, LedgerTab
from ui.widgets import find_data

DOS = date(2026, 2, 2)


@pytest.fixture
def ledger_practice(database: Database) -> LedgerPractice:
    return build_family_ledger(database)


@pytest.fixture
def context(
    qtbot: QtBot, database: Database, ledger_practice: LedgerPractice
) -> Iterator[AppContext]:
    made = make_context(database, ledger_practice.front_desk)
    yield made
    drain(qtbot, made)


@pytest.fixture
def tab(qtbot: QtBot, context: AppContext, ledger_practice: LedgerPractice) -> LedgerTab:
    made = LedgerTab(context, ledger_practice.patient_ids[0])
    qtbot.addWidget(made)
    made.show()
    drain(qtbot, context)
    return made


def test_rows_and_running_balance(tab: LedgerTab) -> None:
    assert tab.table.column_texts(3) == ["Charge", "Charge", "Reversal", "Payment"]
    assert tab.table.column_texts(4) == ["99213", "99000", "99000", ""]
    assert tab.table.column_texts(8) == ["$120.00", "$135.00", "$120.00", "$100.00"]
    assert tab.table.isColumnHidden(PATIENT_COLUMN)


def test_totals_by_bucket(tab: LedgerTab) -> None:
    assert tab.totals.text() == "Balance: $100.00  (Aetna $120.00 · Patient -$20.00)"


def test_reversed_row_struck(tab: LedgerTab) -> None:
    charge, reversed_charge, reversal = (tab.table.item(row, 5) for row in range(3))
    assert charge is not None
    assert reversed_charge is not None
    assert reversal is not None
    assert not charge.font().strikeOut()
    assert reversed_charge.font().strikeOut()
    assert not reversal.font().strikeOut()
    assert reversal.foreground().color().name() == "#5f6368"


def test_family_scope_shows_patients(qtbot: QtBot, tab: LedgerTab, context: AppContext) -> None:
    tab.family_scope.setChecked(True)
    drain(qtbot, context)

    assert tab.table.rowCount() == 5
    assert not tab.table.isColumnHidden(PATIENT_COLUMN)
    assert "Chen, Maria" in tab.table.column_texts(PATIENT_COLUMN)
    assert tab.totals.text().startswith("Family of 2: $190.00")


def test_type_filter(qtbot: QtBot, tab: LedgerTab, context: AppContext) -> None:
    tab.entry_type.setCurrentIndex(find_data(tab.entry_type, "payment"))
    drain(qtbot, context)

    assert tab.table.column_texts(3) == ["Payment"]
    assert tab.table.column_texts(8) == ["-$20.00"]


def test_bucket_filter(qtbot: QtBot, tab: LedgerTab, context: AppContext) -> None:
    assert [tab.bucket.itemText(i) for i in range(tab.bucket.count())] == [
        "All buckets",
        "Aetna",
        "Patient",
    ]
    tab.bucket.setCurrentIndex(find_data(tab.bucket, "Aetna"))
    drain(qtbot, context)

    assert tab.table.column_texts(6) == ["Aetna"]
    assert tab.bucket.currentText() == "Aetna"


def test_date_filter_toggle(qtbot: QtBot, tab: LedgerTab, context: AppContext) -> None:
    assert not tab.date_from.isEnabled()
    tab.date_to.setDate(tab.date_from.date())
    tab.date_from.setDate(tab.date_from.date().addDays(-1))
    tab.use_dates.setChecked(True)
    drain(qtbot, context)

    assert tab.date_from.isEnabled()
    assert tab.table.rowCount() == 0


def test_reloads_on_ledger_change(
    qtbot: QtBot,
    tab: LedgerTab,
    context: AppContext,
    database: Database,
    ledger_practice: LedgerPractice,
) -> None:
    with database.transaction() as session:
        post_payment(session, ledger_practice, ledger_practice.patient_ids[0], "50")
    context.ops.changed.emit(Changes.of(ChangeKind.LEDGER))
    drain(qtbot, context)

    assert tab.table.rowCount() == 5
    assert tab.table.column_texts(8)[-1] == "$50.00"
