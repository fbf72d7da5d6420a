"""The ICD-10-CM picker: a line edit that lists matching codes in a popup as the user types.

Rows read "E11.9  Type 2 diabetes mellitus without complications", billable codes first.
Codes that are not billable (categories) are grayed: Enter on one lists the codes under
it instead of picking it. Under the list, the highlighted code's parent chain shows
where it sits in the classification. The widget never touches the database: it calls
the `search` function its caller passes, and optionally a `chain` function.

Keys: Down or Up open the list and move through it, Page Down and Page Up move ten rows,
Enter picks the highlighted code (or, with the list closed, a code typed in full), and
Esc closes the list. Esc with the list closed reaches the window, so dialogs still cancel.
"""

import logging
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QBrush, QFocusEvent, QHideEvent, QKeyEvent, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.services.icd10 import IcdMatch, normalize_code

log = logging.getLogger(__name__)

SearchFunction = Callable[[str], list[IcdMatch]]
ChainFunction = Callable[[str], list[IcdMatch]]

SEARCH_DELAY_MS = 150
VISIBLE_ROWS = 10
PAGE_ROWS = 10
POPUP_MIN_WIDTH = 560
EMPTY_TEXT = "No ICD-10-CM codes match. Type a code (E11.9) or words of the diagnosis."
HINT_TEXT = (
    "Up and Down choose, Enter picks, Esc closes. Gray codes are not billable: Enter lists "
    "the codes under them."
)
NOT_BILLABLE_TEXT = "Not billable: press Enter to list the more specific codes under it."
MATCH_ROLE = Qt.ItemDataRole.UserRole + 1


def match_text(match: IcdMatch) -> str:
    """Return a result row as the list shows it, such as "E11.9  Type 2 diabetes …"."""
    return f"{match.display_code}  {match.description}"


def chain_text(chain: list[IcdMatch]) -> str:
    """Return a parent chain as indented lines, the chapter first."""
    return "\n".join(f"{'   ' * depth}{match_text(node)}" for depth, node in enumerate(chain))


class IcdPopup(QFrame):
    """The result list, the highlighted code's chain and a key hint, shown under the picker.

    The popup is a child of the picker's window, raised above its other widgets. Nothing
    in it takes keyboard focus, so typing stays in the picker.
    """

    clicked = Signal(object)  # IcdMatch

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("icdPopup")
        self.setAccessibleName("ICD-10-CM codes")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setAutoFillBackground(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.matches: list[IcdMatch] = []

        self.list = QListWidget(self)
        self.list.setObjectName("icdResults")
        self.list.setAccessibleName("Matching ICD-10-CM codes")
        self.list.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setUniformItemSizes(True)
        self.list.itemClicked.connect(self._on_clicked)
        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setObjectName("icdEmpty")
        self.empty.setWordWrap(True)
        self.chain = QLabel()
        self.chain.setObjectName("icdChain")
        self.chain.setAccessibleName("Where the highlighted code sits")
        self.chain.setTextFormat(Qt.TextFormat.PlainText)
        self.chain.setWordWrap(True)
        hint = QLabel(HINT_TEXT)
        hint.setObjectName("subtleText")
        hint.setWordWrap(True)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.list)
        layout.addWidget(self.empty)
        layout.addWidget(self.chain)
        layout.addWidget(hint)
        self.hide()

    def set_matches(self, matches: list[IcdMatch]) -> None:
        """Replace the rows; rows that are not billable are grayed."""
        self.matches = matches
        self.list.clear()
        gray = QBrush(self.palette().color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        for match in matches:
            item = QListWidgetItem(match_text(match))
            item.setData(MATCH_ROLE, match.code)
            if not match.billable:
                item.setForeground(gray)
                item.setToolTip(NOT_BILLABLE_TEXT)
            self.list.addItem(item)
        self.list.setVisible(bool(matches))
        self.empty.setVisible(not matches)
        self.chain.clear()
        self.chain.setVisible(False)

    def current_match(self) -> IcdMatch | None:
        """Return the highlighted match, or None."""
        row = self.list.currentRow()
        return self.matches[row] if 0 <= row < len(self.matches) else None

    def set_current(self, row: int) -> None:
        """Highlight `row`, kept within the list."""
        if not self.matches:
            return
        row = max(0, min(row, len(self.matches) - 1))
        self.list.setCurrentRow(row)
        self.list.scrollToItem(self.list.item(row))

    def show_chain(self, text: str) -> None:
        """Show the highlighted code's chain (or a note) under the list."""
        self.chain.setText(text)
        self.chain.setVisible(bool(text))

    def place(self, anchor: QWidget) -> None:
        """Size the popup for its rows and show it under `anchor`."""
        parent = self.parentWidget()
        assert parent is not None
        corner = anchor.mapTo(parent, QPoint(0, anchor.height()))
        room = max(anchor.width(), parent.width() - corner.x() - 4)
        width = min(max(anchor.width(), POPUP_MIN_WIDTH), room)
        rows = max(1, min(len(self.matches), VISIBLE_ROWS))
        row_height = self.list.sizeHintForRow(0) if self.matches else 0
        self.list.setFixedHeight(row_height * rows + 2 * self.list.frameWidth())
        layout = self.layout()
        assert layout is not None
        self.setFixedSize(width, layout.totalHeightForWidth(width))
        self.move(corner)
        self.show()
        self.raise_()

    def _on_clicked(self, item: QListWidgetItem) -> None:
        row = self.list.row(item)
        if 0 <= row < len(self.matches):
            self.clicked.emit(self.matches[row])


class IcdPicker(QLineEdit):
    """A search box for ICD-10-CM codes; `picked` carries the stored code ("E119").

    `search` returns matches for the typed text, billable first. `chain`, when given,
    returns a code's ancestors (chapter first) for the line under the list.
    """

    picked = Signal(str)

    def __init__(
        self,
        search: SearchFunction,
        parent: QWidget | None = None,
        *,
        chain: ChainFunction | None = None,
        delay_ms: int = SEARCH_DELAY_MS,
    ) -> None:
        super().__init__(parent)
        self.search = search
        self.chain = chain
        self.setPlaceholderText("Code or words, such as E11.9 or diabetes type 2")
        self.setClearButtonEnabled(True)
        self._popup: IcdPopup | None = None
        self._chains: dict[str, list[IcdMatch]] = {}
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self.search_now)
        self.textEdited.connect(lambda _text: self.timer.start())

    # ---- the popup ------------------------------------------------------------------------

    @property
    def popup(self) -> IcdPopup:
        """The result popup, made on first use as a child of the picker's window."""
        if self._popup is None:
            self._popup = IcdPopup(self.window())
            self._popup.clicked.connect(self._choose)
            self._popup.list.currentRowChanged.connect(self._show_chain)
            self.window().installEventFilter(self)
        return self._popup

    def popup_visible(self) -> bool:
        """Return True while the result list is shown."""
        return self._popup is not None and self._popup.isVisible()

    def search_now(self) -> None:
        """Search for the typed text now and show the results (or hide them for no text)."""
        self.timer.stop()
        text = self.text().strip()
        if not text:
            self.close_popup()
            return
        matches = self.search(text)
        self._chains.clear()
        popup = self.popup
        popup.set_matches(matches)
        popup.place(self)
        if matches:
            popup.set_current(0)

    def close_popup(self) -> None:
        """Hide the result list and forget its rows."""
        self.timer.stop()
        if self._popup is not None:
            self._popup.hide()
            self._popup.set_matches([])

    def _show_chain(self, row: int) -> None:
        popup = self.popup
        if not 0 <= row < len(popup.matches):
            popup.show_chain("")
            return
        match = popup.matches[row]
        parts: list[str] = []
        if self.chain is not None:
            if match.code not in self._chains:
                self._chains[match.code] = self.chain(match.code)
            parts.append(chain_text(self._chains[match.code]))
        if not match.billable:
            parts.append(NOT_BILLABLE_TEXT)
        popup.show_chain("\n".join(part for part in parts if part))

    # ---- choosing ---------------------------------------------------------------------------

    def _choose(self, match: IcdMatch) -> None:
        if not match.billable:
            self._list_codes_under(match)
            return
        self.close_popup()
        log.debug("ICD-10-CM code picked from %d characters typed", len(self.text()))
        self.picked.emit(match.code)

    def _list_codes_under(self, match: IcdMatch) -> None:
        # Chapters and blocks are not code prefixes, so only categories narrow the list.
        if not match.code[:1].isalpha() or "-" in match.code:
            return
        self.setText(match.display_code)
        self.search_now()

    def _accept_typed(self) -> bool:
        """Pick a billable code typed in full, or else open the list; return False for no text."""
        text = self.text().strip()
        if not text:
            return False
        typed = normalize_code(text)
        matches = self.search(text)
        exact = next((match for match in matches if match.code == typed), None)
        if exact is not None and exact.billable:
            self._choose(exact)
            return True
        self.search_now()
        return True

    # ---- keys and focus --------------------------------------------------------------------

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if self._handle_key(event.key()):
            event.accept()
            return
        super().keyPressEvent(event)

    def _handle_key(self, key: int) -> bool:
        """Act on a key; return True when the line edit and the window must not see it."""
        visible = self.popup_visible()
        steps: dict[int, int] = {
            Qt.Key.Key_Down: 1,
            Qt.Key.Key_Up: -1,
            Qt.Key.Key_PageDown: PAGE_ROWS,
            Qt.Key.Key_PageUp: -PAGE_ROWS,
        }
        if key in steps:
            if not visible:
                self.search_now()
            else:
                self.popup.set_current(self.popup.list.currentRow() + steps[key])
            return True
        if key == Qt.Key.Key_Escape and visible:
            self.close_popup()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.timer.isActive():
                # The list still shows matches for fewer characters than were typed, so
                # its highlighted row is not what the user means: take the typed text.
                self.timer.stop()
                return self._accept_typed()
            current = self.popup.current_match() if visible else None
            if current is not None:
                self._choose(current)
                return True
            return self._accept_typed()
        return False

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt override)
        self.close_popup()
        super().focusOutEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802 (Qt override)
        self.close_popup()
        super().hideEvent(event)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # The popup sits at a fixed place in the window, so a resize or move closes it.
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Move) and self.popup_visible():
            self.close_popup()
        return False
