"""The result list under the global search box, and the controller that feeds it.

The popup is a child widget of the main window, raised above the pages. Its widgets
accept no keyboard focus, so the cursor stays in the search box and `PatientSearch`
forwards Up, Down, Enter and Esc from the box to the list.
"""

import logging
from collections.abc import Callable
from datetime import datetime

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.contact import display_phone
from app.money import format_money
from app.progress import Progress
from app.services.patient_search import PatientMatch, search_patients
from ui.context import AppContext
from ui.errors import show_error
from ui.row_model import RowTableModel

log = logging.getLogger(__name__)

COLUMNS = ("Name", "Date of birth", "Phone", "Chart number", "Balance", "Next appointment")
RESULT_LIMIT = 25
VISIBLE_ROWS = 10
POPUP_WIDTH = 760
EMPTY_TEXT = "No patients match"
HINT_TEXT = "Up and Down choose, Enter opens the patient's record, Esc closes."
# The hint of a search that fills a form field with the patient instead of opening a record.
PICK_HINT_TEXT = "Up and Down choose, Enter picks the patient, Esc closes."

AnyIndex = QModelIndex | QPersistentModelIndex


def appointment_text(starts_at: datetime | None) -> str:
    """Return the next appointment as the list shows it, such as "03/05/2026 9:30 AM"."""
    if starts_at is None:
        return "none"
    hour = starts_at.hour % 12 or 12
    suffix = "AM" if starts_at.hour < 12 else "PM"
    return f"{starts_at:%m/%d/%Y} {hour}:{starts_at:%M} {suffix}"


def cell_text(match: PatientMatch, column: int) -> str:
    """Return the text of `column` (an index into COLUMNS) for one result."""
    values = (
        match.display_name,
        match.date_of_birth.strftime("%m/%d/%Y"),
        display_phone(match.phone),
        match.chart_number,
        format_money(match.balance),
        appointment_text(match.next_appointment),
    )
    return values[column]


class SearchResultModel(RowTableModel[PatientMatch]):
    """Read-only rows from search_patients, with balances right-aligned."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(COLUMNS, cell_text, frozenset({"Balance"}), parent)

    @property
    def matches(self) -> list[PatientMatch]:
        """The results shown, best first."""
        return self.rows

    def set_matches(self, matches: list[PatientMatch]) -> None:
        """Replace every row."""
        self.set_rows(matches)


class SearchPopup(QFrame):
    """Frame of results shown under the search box. `chosen` carries a clicked row.

    `hint` is the key help shown under the results.
    """

    chosen = Signal(object)  # PatientMatch

    def __init__(self, parent: QWidget, hint: str = HINT_TEXT) -> None:
        super().__init__(parent)
        self.setObjectName("searchPopup")
        self.setAccessibleName("Patient search results")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.model = SearchResultModel(self)
        self.view = self._build_view(hint)
        self.empty_label = QLabel(EMPTY_TEXT)
        self.empty_label.setObjectName("searchPopupEmpty")
        self.empty_label.setAccessibleName("No patients match the search")
        self.empty_label.setContentsMargins(8, 4, 8, 4)
        self.hint = QLabel(hint)
        self.hint.setObjectName("subtleText")
        self.hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.view)
        layout.addWidget(self.empty_label)
        layout.addWidget(self.hint)
        self.hide()

    def _build_view(self, hint: str) -> QTableView:
        view = QTableView(self)
        view.setObjectName("searchResults")
        view.setAccessibleName("Matching patients")
        view.setAccessibleDescription(hint)
        view.setToolTip(hint)
        view.setModel(self.model)
        # The search box keeps the keyboard focus, so the list must never take it.
        view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        view.verticalHeader().setVisible(False)
        view.setAlternatingRowColors(True)
        view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        view.horizontalHeader().setStretchLastSection(True)
        view.clicked.connect(self._on_clicked)
        return view

    def show_matches(self, matches: list[PatientMatch], anchor: QWidget) -> None:
        """Fill the list with `matches` (or the empty message) and show it under `anchor`."""
        self.model.set_matches(matches)
        self.view.setVisible(bool(matches))
        self.empty_label.setVisible(not matches)
        self._place(anchor, len(matches))
        self.show()
        self.raise_()

    def dismiss(self) -> None:
        """Hide the popup and drop its rows so no patient stays in memory on screen."""
        self.hide()
        self.model.set_matches([])

    def _place(self, anchor: QWidget, rows: int) -> None:
        parent = self.parentWidget()
        assert parent is not None
        corner = anchor.mapTo(parent, QPoint(0, anchor.height()))
        width = min(POPUP_WIDTH, max(anchor.width(), parent.width() - corner.x() - 8))
        self.view.setFixedHeight(self._view_height(min(rows, VISIBLE_ROWS)))
        layout = self.layout()
        assert layout is not None
        # adjustSize() sizes the wrapped hint for a narrower width and leaves a gap.
        self.setFixedSize(width, layout.totalHeightForWidth(width))
        self.move(corner)

    def _view_height(self, rows: int) -> int:
        header = self.view.horizontalHeader().sizeHint().height()
        row = self.view.verticalHeader().defaultSectionSize()
        return header + row * max(rows, 1) + 2 * self.view.frameWidth()

    def move_selection(self, step: int) -> None:
        """Select the row `step` rows below the current one (above when negative)."""
        count = self.model.rowCount()
        if not count:
            return
        current = self.view.currentIndex().row()
        row = step - 1 if current < 0 and step > 0 else current + step
        row = max(0, min(row, count - 1))
        self.view.selectRow(row)
        self.view.scrollTo(self.model.index(row, 0))

    def selected_match(self) -> PatientMatch | None:
        """Return the selected result, or None when no row is selected."""
        rows = self.view.selectionModel().selectedRows()
        return self.model.matches[rows[0].row()] if rows else None

    def _on_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self.chosen.emit(self.model.matches[index.row()])


class PatientSearch(QObject):
    """Runs search_patients as the user types in `box` and drives the popup.

    `chosen` carries the PatientMatch picked with Enter or a click. Enter with no row
    selected closes the popup and reaches the box, which emits `returnPressed`. A search
    that fills a form field passes PICK_HINT_TEXT as `hint`.
    """

    chosen = Signal(object)  # PatientMatch

    def __init__(
        self,
        context: AppContext,
        box: QLineEdit,
        popup_parent: QWidget,
        is_locked: Callable[[], bool],
        delay_ms: int,
        *,
        hint: str = HINT_TEXT,
    ) -> None:
        super().__init__(box)
        self.context = context
        self.box = box
        self.is_locked = is_locked
        self.popup = SearchPopup(popup_parent, hint)
        self.popup.chosen.connect(self._choose)
        self._request = 0
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.search_now)
        box.textEdited.connect(lambda _text: self.timer.start())
        box.installEventFilter(self)

    def search_now(self) -> None:
        """Search for the box's text now; a result for older text is dropped when it arrives."""
        self.timer.stop()
        self._request += 1
        text = self.box.text().strip()
        if self.is_locked() or not self.context.user.signed_in or not text:
            self.popup.dismiss()
            return

        request, actor = self._request, self.context.actor

        def work(session: Session, _progress: Progress) -> list[PatientMatch]:
            return search_patients(session, actor, text, RESULT_LIMIT)

        self.context.ops.run(
            work,
            on_done=lambda matches: self._show(request, matches),
            on_error=lambda error: self._fail(request, error),
            read_only=True,
        )

    def close(self) -> None:
        """Hide the popup and forget any search still running (on lock, sign-out or Esc)."""
        self.timer.stop()
        self._request += 1
        self.popup.dismiss()

    def _show(self, request: int, matches: list[PatientMatch]) -> None:
        if request != self._request or self.is_locked():
            return
        self.popup.show_matches(matches, self.box)

    def _fail(self, request: int, error: BaseException) -> None:
        if request != self._request:
            return
        # The message may quote the typed text, which can be a name, so only the type is logged.
        log.warning(
            "patient search failed for user %s: %s",
            self.context.actor.user_id,
            type(error).__name__,
        )
        self.popup.dismiss()
        show_error(self.box.window(), error)

    def _choose(self, match: PatientMatch) -> None:
        self.close()
        self.chosen.emit(match)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if watched is not self.box:
            return False
        if event.type() == QEvent.Type.FocusOut:
            self.close()
        elif event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            return self._handle_key(event.key())
        return False

    def _handle_key(self, key: int) -> bool:
        """Act on a key pressed in the box; return True when the box must not see it."""
        visible = self.popup.isVisible()
        if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
            if not visible:
                self.search_now()
                return True
            self.popup.move_selection(1 if key == Qt.Key.Key_Down else -1)
            return True
        if key == Qt.Key.Key_Escape and visible:
            self.close()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            match = self.popup.selected_match() if visible else None
            if match is None:
                self.close()
                return False
            self._choose(match)
            return True
        return False
