"""The detail pane of the current claim: header, findings, lines, history and batches.

Findings come first, because they are what a biller works: each shows its severity, its
message, why payers reject it (second line and tooltip) and a "Go to field" button.
Enter on a finding does the same as its button.
"""

import logging
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from ui.claims import keys
from ui.claims.detail_values import (
    DetailView,
    FindingView,
    batch_cells,
    diagnosis_text,
    event_cells,
    header_html,
    line_cells,
)
from ui.icons import icon

log = logging.getLogger(__name__)

LINE_COLUMNS = ("Line", "Date", "Code", "Modifiers", "Units", "Charge", "Diagnoses", "Status")
EVENT_COLUMNS = ("When", "Who", "What", "Status", "Detail")
BATCH_COLUMNS = ("Batch", "Clearinghouse", "Created", "Sent", "Status", "File")
SEVERITY_ICONS = {
    "error": ("fa6s.circle-xmark", "#b3261e"),
    "warning": ("fa6s.triangle-exclamation", "#b26a00"),
}
INFO_ICON = ("fa6s.circle-info", "#2f6ea5")
ICON_SIZE = 18
MIN_ROW_WIDTH = 400


def _table(columns: Sequence[str], name: str) -> QTableWidget:
    table = QTableWidget(0, len(columns))
    table.setObjectName(name)
    table.setHorizontalHeaderLabels(list(columns))
    table.verticalHeader().setVisible(False)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for number, cells in enumerate(rows):
        for column, text in enumerate(cells):
            item = QTableWidgetItem(text)
            item.setToolTip(text)
            table.setItem(number, column, item)
    table.resizeColumnsToContents()
    table.horizontalHeader().setSectionResizeMode(
        table.columnCount() - 1, QHeaderView.ResizeMode.Stretch
    )


class FindingRow(QWidget):
    """One finding: severity icon, message, why, and the Go to field button."""

    def __init__(self, finding: FindingView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        name, color = SEVERITY_ICONS.get(finding.severity, INFO_ICON)
        badge = QLabel()
        badge.setPixmap(icon(name, color).pixmap(ICON_SIZE, ICON_SIZE))
        badge.setToolTip(finding.severity.capitalize())
        badge.setAccessibleName(finding.severity.capitalize())
        self.message = QLabel(f"<b>{finding.message_html}</b>")
        self.message.setWordWrap(True)
        self.why = QLabel(finding.why_text)
        self.why.setObjectName("subtleText")
        self.why.setWordWrap(True)
        self.button = QPushButton("Go to field")
        self.button.setObjectName("goToField")
        self.button.setToolTip(f"Open {finding.where} ({keys.GO_TO_FIELD.native_text()})")
        self.button.setAccessibleName(f"Go to field: {finding.where}")
        texts = QVBoxLayout()
        texts.setSpacing(1)
        texts.addWidget(self.message)
        texts.addWidget(self.why)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 4)
        layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(texts, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)


class FindingsList(QListWidget):
    """The findings of the last scrub; Enter or Ctrl+G emits `go_requested` for the current one."""

    go_requested = Signal(object)  # FindingView

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("claimFindings")
        self.setAccessibleName("Scrub findings")
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        # A light selection keeps the message and the why readable on the current finding.
        self.setStyleSheet(
            "QListWidget#claimFindings::item { border-bottom: 1px solid #dde3ea; }"
            "QListWidget#claimFindings::item:selected { background: #dbe8f5; }"
        )
        self.findings: list[FindingView] = []
        self.rows: list[FindingRow] = []

    def show_findings(self, findings: Sequence[FindingView]) -> None:
        """Replace the list with `findings`, errors first."""
        # Clearing can hide the scroll bar, and the resize it causes reads `rows`.
        self.rows = []
        self.clear()
        self.findings = list(findings)
        for finding in self.findings:
            item = QListWidgetItem()
            item.setToolTip(finding.why_text)
            item.setData(Qt.ItemDataRole.AccessibleTextRole, finding.message_text)
            row = FindingRow(finding)
            row.button.clicked.connect(lambda _checked=False, chosen=finding: self._go(chosen))
            self.addItem(item)
            self.setItemWidget(item, row)
            self.rows.append(row)
        self._fit_rows()
        if self.findings:
            self.setCurrentRow(0)

    def current_finding(self) -> FindingView | None:
        """Return the finding under the cursor, or None."""
        number = self.currentRow()
        return self.findings[number] if 0 <= number < len(self.findings) else None

    def go_to_current(self) -> None:
        """Emit `go_requested` for the current finding, if any."""
        finding = self.current_finding()
        if finding is not None:
            self._go(finding)

    def _go(self, finding: FindingView) -> None:
        self.go_requested.emit(finding)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt override)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current_finding():
            self.go_to_current()
            return
        super().keyPressEvent(event)

    def resizeEvent(self, event: Any) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_rows()

    def _fit_rows(self) -> None:
        # Item widgets do not follow the list's width, and wrapped labels need the width
        # to know their height, so each row is sized for the width the list has now.
        width = max(self.viewport().width(), MIN_ROW_WIDTH)
        for number, row in enumerate(self.rows):
            item = self.item(number)
            if item is None:
                continue
            row.setFixedWidth(width)
            height = row.layout().totalHeightForWidth(width)
            item.setSizeHint(QSize(width, max(height, row.minimumSizeHint().height())))


class DetailPane(QWidget):
    """Everything about the current claim; `scrub_requested` requests a new scrub of it."""

    scrub_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("claimDetail")
        self.view: DetailView | None = None
        self.header = QLabel("Select a claim to see its details.")
        self.header.setObjectName("claimHeader")
        self.header.setTextFormat(Qt.TextFormat.RichText)
        self.header.setWordWrap(True)
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.notice = QLabel()
        self.notice.setObjectName("claimNotice")
        self.notice.setWordWrap(True)
        self.notice.setVisible(False)
        self.notice.setStyleSheet(
            "QLabel#claimNotice { background: #fff4e5; border: 1px solid #e0b070;"
            " border-radius: 4px; padding: 6px; }"
        )
        self.scrub_button = QPushButton("Scr&ub again")
        self.scrub_button.setObjectName("scrubAgain")
        self.scrub_button.setToolTip(
            f"Check this claim again after fixing its findings ({keys.SCRUB.native_text()})"
        )
        self.scrub_button.clicked.connect(self.scrub_requested.emit)
        self.scrub_button.setEnabled(False)

        self.findings = FindingsList()
        self.diagnoses = QLabel()
        self.diagnoses.setWordWrap(True)
        self.lines = _table(LINE_COLUMNS, "claimLines")
        self.history = _table(EVENT_COLUMNS, "claimHistory")
        self.batches = _table(BATCH_COLUMNS, "claimBatches")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("claimDetailTabs")
        self.tabs.addTab(self.findings, "F&indings")
        lines_tab = QWidget()
        lines_layout = QVBoxLayout(lines_tab)
        lines_layout.addWidget(self.diagnoses)
        lines_layout.addWidget(self.lines, 1)
        self.tabs.addTab(lines_tab, "&Lines and diagnoses")
        self.tabs.addTab(self.history, "&History")
        self.tabs.addTab(self.batches, "Bat&ches")

        top = QHBoxLayout()
        top.addWidget(self.header, 1)
        top.addWidget(self.scrub_button, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.notice)
        layout.addWidget(self.tabs, 1)

    def show_view(self, view: DetailView) -> None:
        """Show one claim, keeping the open tab."""
        self.view = view
        self.header.setText(header_html(view))
        self.scrub_button.setEnabled(view.can_scrub)
        self.findings.show_findings(view.findings)
        self.tabs.setTabText(0, f"F&indings ({len(view.findings)})")
        detail = view.detail
        codes = [diagnosis_text(diagnosis) for diagnosis in detail.diagnoses]
        self.diagnoses.setText("Diagnoses: " + ("; ".join(codes) if codes else "none"))
        _fill(self.lines, [line_cells(line) for line in detail.lines])
        _fill(self.history, [event_cells(event) for event in detail.events])
        _fill(self.batches, [batch_cells(batch) for batch in detail.batches])
        self.tabs.setTabText(3, f"Bat&ches ({len(detail.batches)})")
        log.debug("claim detail shown: %d findings", len(view.findings))

    def clear(self) -> None:
        """Show nothing (no claim selected, or the screen locked)."""
        self.view = None
        self.header.setText("Select a claim to see its details.")
        self.scrub_button.setEnabled(False)
        self.findings.show_findings([])
        self.tabs.setTabText(0, "F&indings")
        self.diagnoses.clear()
        for table in (self.lines, self.history, self.batches):
            table.setRowCount(0)
        self.show_notice(None)

    def show_notice(self, text: str | None) -> None:
        """Show `text` above the tabs (None hides it)."""
        self.notice.setText(text or "")
        self.notice.setVisible(bool(text))

    def focus_findings(self) -> None:
        """Open the Findings tab and put the cursor on the first finding."""
        self.tabs.setCurrentIndex(0)
        self.findings.setFocus(Qt.FocusReason.OtherFocusReason)
