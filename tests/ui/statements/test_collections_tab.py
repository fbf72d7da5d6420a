"""The Collections tab and its dialogs, driven through their widgets.

The statement practice's Garcia family account ($395.00) is the only placement
candidate on PLACED_ON (see tests/helpers/collections_data.py), which the tests type
into the tab's "as of" field.
"""

import csv
import io
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.payments import Payment
from app.models.statements import CollectionPlacement, CollectionRecovery
from app.security.permissions import Actor
from app.services.collections import PlacementRow
from app.services.collections_export import CSV_HEADERS
from tests.helpers.collections_data import (
    AGENCY,
    PLACED_ON,
    CollectionsPractice,
    build_collections_practice,
    place_family,
)
from tests.ui.charges.conftest import drain
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.patient.fields import format_date
from ui.statements import files
from ui.statements.collections_dialogs import PlaceDialog, RecallDialog, RecoveryDialog
from ui.statements.collections_tab import CollectionsTab, placement_cells

ContextFor = Callable[[Actor], AppContext]
DIALOG_KINDS = (QMessageBox, PlaceDialog, RecoveryDialog, RecallDialog)


@pytest.fixture
def practice(database: Database) -> CollectionsPractice:
    return build_collections_practice(database)


@pytest.fixture
def context_for(
    qtbot: QtBot, database: Database, practice: CollectionsPractice
) -> Iterator[ContextFor]:
    """Return a function making a context signed in as an actor; drained at the end."""
    contexts: list[AppContext] = []

    def build(actor: Actor) -> AppContext:
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        contexts.append(context)
        return context

    yield build
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, DIALOG_KINDS):
            widget.close()
    for context in contexts:
        drain(qtbot, context)


def show_tab(qtbot: QtBot, context: AppContext) -> CollectionsTab:
    """Show a Collections tab wired to changes, and load it as of PLACED_ON."""
    tab = CollectionsTab(context)
    qtbot.addWidget(tab)
    context.ops.changed.connect(tab.handle_changes)
    tab.resize(1200, 700)
    tab.show()
    qtbot.waitExposed(tab)
    tab.as_of.set_date(PLACED_ON)
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


def tick_row(table: QWidget, row: int) -> None:
    """Tick the row's check box as a click would."""
    item = table.item(row, 0)  # type: ignore[attr-defined]
    item.setCheckState(Qt.CheckState.Checked)


def placements(database: Database) -> list[CollectionPlacement]:
    with database.transaction() as session:
        found = list(session.scalars(select(CollectionPlacement)))
        for placement in found:
            session.expunge(placement)
        return found


def test_place_ticked_candidate(
    qtbot: QtBot, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)

    table = tab.candidate_table
    assert table.rowCount() == 1
    assert [table.item(0, column).text() for column in range(1, 5)] == [
        tab.candidates[0].account_number,
        "Laura Garcia",
        "Laura Garcia, Mateo Garcia, Sofia Garcia",
        "$395.00",
    ]
    assert tab.candidate_note.text() == (
        "1 account owing $395.00 passed the wait after their final notice by 07/20/2026."
    )
    assert not tab.place_button.isEnabled()

    tick_row(table, 0)
    assert tab.place_button.isEnabled()
    qtbot.mouseClick(tab.place_button, Qt.MouseButton.LeftButton)
    dialog = active_dialog(qtbot, PlaceDialog)
    assert isinstance(dialog, PlaceDialog)
    assert dialog.ok_button.text() == "Place 1 account ($395.00)"
    qtbot.keyClicks(dialog.agency, AGENCY)
    qtbot.keyClick(dialog.agency, Qt.Key.Key_Return)
    drain(qtbot, context)

    (placement,) = placements(context.database)
    assert placement.agency == AGENCY
    assert placement.placed_on == PLACED_ON
    assert placement.placed_amount == Decimal("395.00")
    qtbot.waitUntil(lambda: tab.placement_table.rowCount() == 1, timeout=5_000)
    assert tab.candidate_table.rowCount() == 0
    assert tab.status.text() == (
        "Placed 1 account and wrote off $395.00. Export the agency file for them next."
    )
    # The new placement comes back ticked, so Export CSV is ready.
    assert tab.placement_table.checked_ids() == [placement.id]
    assert tab.export_button.isEnabled()


def test_place_dialog_requires_agency(
    qtbot: QtBot, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    tick_row(tab.candidate_table, 0)
    tab.place_ticked()
    dialog = active_dialog(qtbot, PlaceDialog)
    assert isinstance(dialog, PlaceDialog)

    qtbot.keyClick(dialog.agency, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert dialog.isVisible()
    assert dialog.form.problem_labels["agency"].text() == "Type the name of the collection agency."
    assert placements(context.database) == []


def test_export_writes_agency_file(
    qtbot: QtBot,
    database: Database,
    practice: CollectionsPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    placement_id = place_family(database, practice)
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    assert not tab.export_button.isEnabled()
    tick_row(tab.placement_table, 0)
    assert tab.export_button.isEnabled()

    path = tmp_path / "agency.csv"
    tab.export_to(path)
    drain(qtbot, context)

    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    assert rows[0] == list(CSV_HEADERS)
    assert [row[1] for row in rows[1:]] == ["Laura Garcia"]
    assert tab.status.text().startswith(f"Wrote 1 placement to {path}.")
    (placement,) = placements(context.database)
    assert placement.id == placement_id
    assert placement.exported_at is not None
    qtbot.waitUntil(lambda: tab.placement_table.item(0, 10).text() != "", timeout=5_000)


def test_record_recovery_dialog(
    qtbot: QtBot, database: Database, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    place_family(database, practice)
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    tab.placement_table.setCurrentCell(0, 1)
    assert tab.recovery_button.isEnabled()

    qtbot.mouseClick(tab.recovery_button, Qt.MouseButton.LeftButton)
    dialog = active_dialog(qtbot, RecoveryDialog)
    assert isinstance(dialog, RecoveryDialog)
    qtbot.keyClicks(dialog.gross, "123.45")
    dialog.fee.clear()
    qtbot.keyClicks(dialog.fee, "37.04")
    assert dialog.net.text() == "$86.41"
    dialog.received_on.set_date(PLACED_ON.replace(day=31))
    qtbot.keyClicks(dialog.check_number, "5521")
    qtbot.keyClick(dialog.check_number, Qt.Key.Key_Return)
    drain(qtbot, context)

    with context.database.transaction() as session:
        recovery = session.scalars(select(CollectionRecovery)).one()
        assert recovery.gross_amount == Decimal("123.45")
        assert recovery.fee_amount == Decimal("37.04")
        assert recovery.check_number == "5521"
        paid = session.scalars(select(Payment).where(Payment.check_number == "5521")).all()
        assert sum((payment.amount for payment in paid), Decimal("0.00")) == Decimal("86.41")
    assert tab.status.text() == "Recovery recorded."
    qtbot.waitUntil(lambda: tab.placement_table.item(0, 6).text() == "$123.45", timeout=5_000)
    assert tab.placement_table.item(0, 7).text() == "$37.04"
    assert tab.placement_table.item(0, 8).text() == "$271.55"


def test_recovery_dialog_shows_service_problems(
    qtbot: QtBot, database: Database, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    place_family(database, practice)
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    tab.placement_table.setCurrentCell(0, 1)
    tab.record_recovery()
    dialog = active_dialog(qtbot, RecoveryDialog)
    assert isinstance(dialog, RecoveryDialog)

    qtbot.keyClicks(dialog.gross, "50.00")
    dialog.fee.setText("60.00")
    qtbot.keyClick(dialog.gross, Qt.Key.Key_Return)
    drain(qtbot, context)

    assert dialog.isVisible()
    assert dialog.form.problem_labels["fee"].text() == (
        "The agency's fee $60.00 is more than the $50.00 it collected; the fee is part of "
        "the amount collected."
    )
    with context.database.transaction() as session:
        assert session.scalars(select(CollectionRecovery)).all() == []


def test_recall_dialog_reinstates(
    qtbot: QtBot, database: Database, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    place_family(database, practice)
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    tab.placement_table.setCurrentCell(0, 1)

    qtbot.mouseClick(tab.recall_button, Qt.MouseButton.LeftButton)
    dialog = active_dialog(qtbot, RecallDialog)
    assert isinstance(dialog, RecallDialog)
    assert dialog.reinstate.isChecked()
    assert dialog.reinstate.text().startswith("Put the $395.00 not recovered back")
    qtbot.keyClicks(dialog.reason, "Patient disputes the bill")
    qtbot.keyClick(dialog.reason, Qt.Key.Key_Return)
    drain(qtbot, context)

    (placement,) = placements(context.database)
    assert placement.status == "recalled"
    qtbot.waitUntil(lambda: tab.placement_table.rowCount() == 0, timeout=5_000)
    # The balance is back and the final notice is still the newest, so it is listed again.
    assert tab.candidate_table.rowCount() == 1
    assert (
        tab.status.text() == f"Recalled account {tab.candidates[0].account_number} from {AGENCY}."
    )

    tab.show_closed.setChecked(True)
    drain(qtbot, context)
    assert tab.placement_table.rowCount() == 1
    assert tab.placement_table.item(0, 9).text() == "Recalled"
    tab.placement_table.setCurrentCell(0, 1)
    assert not tab.recall_button.isEnabled()
    assert not tab.recovery_button.isEnabled()


def test_biller_sees_lists_only(
    qtbot: QtBot, database: Database, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    place_family(database, practice)
    context = context_for(practice.statements.biller)
    tab = show_tab(qtbot, context)
    assert tab.placement_table.rowCount() == 1

    tick_row(tab.placement_table, 0)
    tab.placement_table.setCurrentCell(0, 1)

    for button in (tab.place_button, tab.export_button, tab.recovery_button, tab.recall_button):
        assert not button.isEnabled()
        assert button.toolTip() == "Placing, exporting, recoveries and recalls need a manager."


def test_desk_sees_nothing(
    qtbot: QtBot, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.statements.desk)
    tab = show_tab(qtbot, context)

    assert tab.candidate_table.rowCount() == 0
    assert tab.placement_table.rowCount() == 0


def test_clear_data_empties_tab(
    qtbot: QtBot, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    assert tab.candidate_table.rowCount() == 1

    tab.clear_data()

    assert tab.candidate_table.rowCount() == 0
    assert tab.candidates == []
    assert tab.as_of.text() == format_date(PLACED_ON)


def open_recovery(qtbot: QtBot, context: AppContext) -> RecoveryDialog:
    tab = show_tab(qtbot, context)
    tab.placement_table.setCurrentCell(0, 1)
    tab.record_recovery()
    dialog = active_dialog(qtbot, RecoveryDialog)
    assert isinstance(dialog, RecoveryDialog)
    return dialog


def test_recovery_fee_above_collected_explained(
    qtbot: QtBot, database: Database, practice: CollectionsPractice, context_for: ContextFor
) -> None:
    place_family(database, practice)
    dialog = open_recovery(qtbot, context_for(practice.statements.manager))

    qtbot.keyClicks(dialog.gross, "200")
    dialog.fee.clear()
    qtbot.keyClicks(dialog.fee, "250")

    assert dialog.net.text() == (
        "None: the agency fee $250.00 is more than the $200.00 collected; check both amounts."
    )
    assert "-$" not in dialog.net.text()
    assert ERROR_COLOR in dialog.net.styleSheet()

    dialog.fee.clear()
    qtbot.keyClicks(dialog.fee, "50")
    assert dialog.net.text() == "$150.00"
    assert dialog.net.styleSheet() == ""


def test_recovery_problems_shown_whole(
    qtbot: QtBot,
    styled: None,
    database: Database,
    practice: CollectionsPractice,
    context_for: ContextFor,
) -> None:
    place_family(database, practice)
    context = context_for(practice.statements.manager)
    dialog = open_recovery(qtbot, context)

    qtbot.keyClicks(dialog.gross, "500")
    dialog.fee.clear()
    qtbot.keyClicks(dialog.fee, "600")
    dialog.ok_button.click()
    drain(qtbot, context)

    shown = [key for key, label in dialog.form.problem_labels.items() if label.isVisibleTo(dialog)]
    assert shown == ["gross", "fee"]
    below = {"gross": dialog.fee, "fee": dialog.net}
    for key in shown:
        label = dialog.form.problem_labels[key]
        assert label.height() >= label.heightForWidth(label.width()), key
        bottom = label.mapTo(dialog, QPoint(0, label.height())).y()
        assert bottom <= below[key].mapTo(dialog, QPoint(0, 0)).y(), key


def test_placement_columns_keep_their_text(  # noqa: PLR0917 (pytest passes fixtures by position)
    qtbot: QtBot,
    styled: None,
    database: Database,
    practice: CollectionsPractice,
    context_for: ContextFor,
    tmp_path: Path,
) -> None:
    place_family(database, practice)
    context = context_for(practice.statements.manager)
    tab = show_tab(qtbot, context)
    tick_row(tab.placement_table, 0)
    tab.export_to(tmp_path / "agency.csv")
    drain(qtbot, context)
    tab.resize(1000, 700)
    qtbot.waitUntil(lambda: tab.placement_table.item(0, 10).text() != "", timeout=5_000)
    table = tab.placement_table

    for column in range(1, table.columnCount()):
        item = table.item(0, column)
        assert item is not None
        text_width = table.fontMetrics().horizontalAdvance(item.text())
        assert table.columnWidth(column) >= text_width, table.horizontalHeaderItem(column).text()
    assert not table.tabKeyNavigation()


def test_exported_time_in_practice_zone() -> None:
    row = PlacementRow(
        placement_id=uuid.uuid4(),
        account_id=uuid.uuid4(),
        account_number="A1",
        guarantor_name="Laura Garcia",
        agency=AGENCY,
        placed_on=PLACED_ON,
        placed_amount=Decimal("395.00"),
        recovered=Decimal("0.00"),
        fees=Decimal("0.00"),
        status="placed",
        exported_at=datetime(2026, 7, 20, 19, 5, tzinfo=UTC),
    )

    cells = placement_cells(row, ZoneInfo("America/Chicago"))

    assert cells[-1] == "07/20/2026 2:05 PM"


def test_export_dialog_opens_outside_program_folder(  # noqa: PLR0917 (pytest passes fixtures by position)
    qtbot: QtBot,
    database: Database,
    practice: CollectionsPractice,
    context_for: ContextFor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    place_family(database, practice)
    opened_at: list[Path] = []

    class SaveDialogs:
        @staticmethod
        def getSaveFileName(*args: object) -> tuple[str, str]:  # noqa: N802 (Qt's name)
            opened_at.append(Path(str(args[2])))
            return "", ""

    monkeypatch.setattr(files, "QFileDialog", SaveDialogs)
    files.forget_folder()
    tab = show_tab(qtbot, context_for(practice.statements.manager))
    tick_row(tab.placement_table, 0)

    tab.choose_export_file()

    (start,) = opened_at
    assert start.name.startswith("collections-")
    assert start.parent.is_absolute()
    assert start.parent.is_dir()
    assert start.parent != Path.cwd()
