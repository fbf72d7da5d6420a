"""The ICD-10-CM picker: typing lists codes, keys move and pick, categories are not picked."""

from collections.abc import Iterator
from datetime import date

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QDialog, QVBoxLayout
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services import icd10
from app.services.icd10 import IcdMatch
from ui.charges.icd_picker import EMPTY_TEXT, MATCH_ROLE, IcdPicker

SERVICE_DATE = date(2026, 3, 2)


class Dialog(QDialog):
    """A dialog with only the picker in it, as the encounter editor places it among fields."""

    def __init__(self, database: Database) -> None:
        super().__init__()
        self.database = database
        self.searches: list[str] = []
        self.picker = IcdPicker(self.search, self, chain=self.chain, delay_ms=10)
        layout = QVBoxLayout(self)
        layout.addWidget(self.picker)
        self.resize(700, 420)

    def search(self, text: str) -> list[IcdMatch]:
        self.searches.append(text)
        with self.database.reading() as session:
            return icd10.search_codes(session, text, SERVICE_DATE)

    def chain(self, code: str) -> list[IcdMatch]:
        with self.database.reading() as session:
            return icd10.parent_chain(session, code, SERVICE_DATE)


@pytest.fixture
def dialog(qtbot: QtBot, database: Database) -> Iterator[Dialog]:
    shown = Dialog(database)
    qtbot.addWidget(shown)
    shown.show()
    qtbot.waitExposed(shown)
    shown.picker.setFocus()
    yield shown


def type_text(qtbot: QtBot, picker: IcdPicker, text: str) -> None:
    qtbot.keyClicks(picker, text)
    qtbot.waitUntil(picker.popup_visible, timeout=5_000)


def row_texts(picker: IcdPicker) -> list[str]:
    results = picker.popup.list
    return [results.item(row).text() for row in range(results.count())]


def test_typing_lists_codes(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "e11.9")

    assert row_texts(dialog.picker)[0] == "E11.9  Type 2 diabetes mellitus without complications"
    assert dialog.picker.popup.list.currentRow() == 0
    assert dialog.picker.hasFocus()


def test_search_waits_for_typing(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "diabetes")

    assert dialog.searches[-1] == "diabetes"
    assert len(dialog.searches) < len("diabetes")


def test_enter_picks_code(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "E11.9")

    with qtbot.waitSignal(dialog.picker.picked) as picked:
        qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)

    assert picked.args == ["E119"]
    assert not dialog.picker.popup_visible()
    assert dialog.isVisible()


def test_enter_picks_typed_code(qtbot: QtBot, dialog: Dialog) -> None:
    # A biller types a full code and presses Enter before the list appears.
    dialog.picker.setText("i10")

    with qtbot.waitSignal(dialog.picker.picked) as picked:
        qtbot.keyClick(dialog.picker, Qt.Key.Key_Enter)

    assert picked.args == ["I10"]


def test_fast_enter_takes_typed_code(qtbot: QtBot, dialog: Dialog) -> None:
    # The list shows J0 matches (J00 first) when "2.9" is typed and Enter follows at once.
    type_text(qtbot, dialog.picker, "J0")
    qtbot.keyClicks(dialog.picker, "2.9")

    with qtbot.waitSignal(dialog.picker.picked) as picked:
        qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)

    assert picked.args == ["J029"]


def test_arrows_move_highlight(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "diabetes")
    results = dialog.picker.popup.list

    qtbot.keyClick(dialog.picker, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Down)
    assert results.currentRow() == 2
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Up)
    assert results.currentRow() == 1
    qtbot.keyClick(dialog.picker, Qt.Key.Key_PageDown)
    assert results.currentRow() == 11
    qtbot.keyClick(dialog.picker, Qt.Key.Key_PageUp)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_PageUp)
    assert results.currentRow() == 0

    code = results.item(2).data(MATCH_ROLE)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.picker, Qt.Key.Key_Down)
    with qtbot.waitSignal(dialog.picker.picked) as picked:
        qtbot.keyClick(dialog.picker, Qt.Key.Key_Return)
    assert picked.args == [code]


def test_down_opens_list(qtbot: QtBot, dialog: Dialog) -> None:
    dialog.picker.setText("I10")

    qtbot.keyClick(dialog.picker, Qt.Key.Key_Down)

    assert dialog.picker.popup_visible()
    assert row_texts(dialog.picker)[0].startswith("I10  ")


def test_category_grayed_not_picked(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "E11")
    picker = dialog.picker
    texts = row_texts(picker)
    category_row = texts.index("E11  Type 2 diabetes mellitus")
    category = picker.popup.list.item(category_row)
    billable = picker.popup.list.item(0)
    gray = picker.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text)

    assert category.foreground().color() == gray
    assert billable.foreground().color() != gray
    assert category_row > 0

    picker.popup.set_current(category_row)
    with qtbot.assertNotEmitted(picker.picked):
        qtbot.keyClick(picker, Qt.Key.Key_Return)

    # Enter on a category lists the codes under it, billable first.
    assert picker.text() == "E11"
    assert picker.popup_visible()
    assert row_texts(picker)[0].startswith("E11.")


def test_chain_of_highlighted_row(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "E11.9")
    chain = dialog.picker.popup.chain

    lines = chain.text().splitlines()

    assert chain.isVisible()
    assert lines[0].startswith("Chapter 4  Endocrine, nutritional and metabolic diseases")
    assert lines[1].strip() == "E08-E13  Diabetes mellitus (E08-E13)"
    assert lines[2].strip() == "E11  Type 2 diabetes mellitus"


def test_chain_notes_not_billable(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "E11")
    texts = row_texts(dialog.picker)

    dialog.picker.popup.set_current(texts.index("E11  Type 2 diabetes mellitus"))

    assert "Not billable" in dialog.picker.popup.chain.text()


def test_escape_closes_then_cancels(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "asthma")

    qtbot.keyClick(dialog.picker, Qt.Key.Key_Escape)
    assert not dialog.picker.popup_visible()
    assert dialog.isVisible()

    qtbot.keyClick(dialog.picker, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert dialog.result() == QDialog.DialogCode.Rejected


def test_no_match_message(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "zzqx")

    assert dialog.picker.popup.empty.isVisible()
    assert dialog.picker.popup.empty.text() == EMPTY_TEXT
    assert not dialog.picker.popup.list.isVisible()


def test_click_picks_code(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "I10")
    results = dialog.picker.popup.list
    center = results.visualItemRect(results.item(0)).center()

    with qtbot.waitSignal(dialog.picker.picked) as picked:
        qtbot.mouseClick(results.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(center))

    assert picked.args == ["I10"]


def test_clearing_text_closes_list(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "I1")

    dialog.picker.clear()
    dialog.picker.search_now()

    assert not dialog.picker.popup_visible()


def test_popup_under_picker(qtbot: QtBot, dialog: Dialog) -> None:
    type_text(qtbot, dialog.picker, "hypertension")
    popup = dialog.picker.popup
    below = dialog.picker.mapTo(dialog, QPoint(0, dialog.picker.height()))

    assert popup.parentWidget() is dialog
    assert popup.pos() == below
    assert popup.width() <= dialog.width()
