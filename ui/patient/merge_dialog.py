"""Merge two patient records: both side by side, a choice per conflicting field, and undo.

The dialog loads `merge_preview` first, so the user sees which fields disagree and how
many appointments, coverages and ledger rows would move before confirming. After the
merge a message lists what the merge did and offers "Undo merge" at once.
"""

import logging
import uuid
from collections.abc import Callable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.money import format_money
from app.progress import Progress
from app.security.permissions import Permission
from app.services.merge import (
    Choice,
    MergeOutcome,
    MergePreview,
    merge_patients,
    merge_preview,
    undo_merge,
)
from ui.admin.common import run_for
from ui.context import AppContext

log = logging.getLogger(__name__)

HEADERS = ("Field", "Keep (surviving record)", "Other record", "Use other")
UNDONE_TEXT = "Merge undone: both records are back."


def moves_text(preview: MergePreview) -> str:
    """Return what would move, such as "Moves to the surviving record: 2 appointments, …"."""
    if not preview.moves:
        return "Nothing else is attached to the other record."
    parts = [f"{count} {kind}{'' if count == 1 else 's'}" for kind, count in preview.moves.items()]
    text = "Moves to the surviving record: " + ", ".join(parts) + "."
    if preview.merged_balance:
        text += f" Balance moved: {format_money(preview.merged_balance)}."
    return text


class MergeDialog(QDialog):
    """Merges one record into another after the user confirms; emits `merged` with the outcome.

    `undone` fires when the user then undoes the merge from the result message.
    """

    merged = Signal(object)  # MergeOutcome
    undone = Signal()

    def __init__(
        self,
        context: AppContext,
        survivor_id: uuid.UUID,
        merged_id: uuid.UUID,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("mergeDialog")
        self.setWindowTitle("Merge patient records")
        self.context = context
        self.survivor_id, self.merged_id = survivor_id, merged_id
        self.preview: MergePreview | None = None
        self.choices: dict[str, QCheckBox] = {}
        # The message shown after the merge, with its "Undo merge" button.
        self.done_message: QMessageBox | None = None

        self.title = QLabel("Loading both records…")
        self.title.setWordWrap(True)
        self.table = QTableWidget(0, len(HEADERS))
        self.table.setHorizontalHeaderLabels(list(HEADERS))
        self.table.setAccessibleName("Fields of both records")
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.moves = QLabel()
        self.moves.setWordWrap(True)

        self.swap_button = QPushButton("&Keep the other record instead")
        self.swap_button.clicked.connect(self.swap)
        self.merge_button = QPushButton("&Merge records")
        self.merge_button.setEnabled(False)
        self.merge_button.clicked.connect(self.confirm)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.addButton(self.merge_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.rejected.connect(self.reject)

        row = QHBoxLayout()
        row.addWidget(self.swap_button)
        row.addStretch(1)
        row.addWidget(buttons)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.moves)
        layout.addLayout(row)
        self.resize(820, 560)
        self.load()

    def load(self) -> None:
        """Read the preview of merging the current pair."""
        actor, survivor, merged = self.context.actor, self.survivor_id, self.merged_id
        self.merge_button.setEnabled(False)

        def work(session: Session, _progress: Progress) -> MergePreview:
            return merge_preview(session, actor, survivor, merged)

        run_for(self, self.context, work, self.show_preview)

    def swap(self) -> None:
        """Keep the other record and merge this one into it."""
        self.survivor_id, self.merged_id = self.merged_id, self.survivor_id
        self.load()

    def show_preview(self, preview: MergePreview) -> None:
        """Fill the side-by-side table; only conflicting fields get a choice."""
        self.preview = preview
        self.title.setText(
            f"Keep {preview.survivor_name} (chart {preview.survivor_chart}) and merge "
            f"{preview.merged_name} (chart {preview.merged_chart}) into it. The other record "
            "is archived; a manager can undo the merge later."
        )
        self.choices = {}
        self.table.setRowCount(len(preview.fields))
        for row, compared in enumerate(preview.fields):
            cells = (compared.label, compared.survivor_value, compared.merged_value)
            for column, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEditable)
                self.table.setItem(row, column, item)
            if compared.conflict:
                box = QCheckBox()
                box.setAccessibleName(f"Use the other record's {compared.label.lower()}")
                self.choices[compared.key] = box
                self.table.setCellWidget(row, 3, box)
            else:
                self.table.removeCellWidget(row, 3)
        self.table.resizeColumnsToContents()
        self.moves.setText(moves_text(preview))
        self.merge_button.setEnabled(self.context.can(Permission.PATIENT_MERGE))

    def field_choices(self) -> dict[str, Choice]:
        """Return the chosen record per conflicting field."""
        return {
            key: "merged" if box.isChecked() else "survivor" for key, box in self.choices.items()
        }

    def confirm(self) -> None:
        """Merge with the chosen values; the result message offers an undo."""
        actor, survivor, merged = self.context.actor, self.survivor_id, self.merged_id
        choices = self.field_choices()

        def work(session: Session, _progress: Progress) -> MergeOutcome:
            return merge_patients(session, actor, survivor, merged, choices)

        self.merge_button.setEnabled(False)
        run_for(self, self.context, work, self._merged, title="Merging records…")

    def _merged(self, outcome: MergeOutcome) -> None:
        log.info("merge %s finished", outcome.merge_id)
        self.merged.emit(outcome)
        self.accept()
        self.done_message = offer_undo(
            self.context, outcome, self.parentWidget(), on_undone=self.undone.emit
        )


def offer_undo(
    context: AppContext,
    outcome: MergeOutcome,
    parent: QWidget | None,
    *,
    on_undone: Callable[[], None] | None = None,
) -> QMessageBox:
    """Show the finished merge with an "Undo merge" button, which undoes it at once."""
    notes = "\n".join(f"• {note}" for note in outcome.notes)
    box = QMessageBox(parent)
    box.setObjectName("mergeDoneMessage")
    box.setIcon(QMessageBox.Icon.Information)
    box.setWindowTitle("Records merged")
    box.setText("The records were merged." + (f"\n\n{notes}" if notes else ""))
    undo = box.addButton("&Undo merge", QMessageBox.ButtonRole.ActionRole)
    box.addButton(QMessageBox.StandardButton.Ok)
    box.buttonClicked.connect(
        lambda button: (
            run_undo(context, outcome.merge_id, parent, on_undone=on_undone)
            if button is undo
            else None
        )
    )
    box.open()
    return box


def run_undo(
    context: AppContext,
    merge_id: uuid.UUID,
    parent: QWidget | None,
    *,
    on_undone: Callable[[], None] | None = None,
) -> None:
    """Undo a merge through the op runner; errors (such as a changed row) show in a dialog.

    `on_undone` runs on the GUI thread once the undo is committed.
    """
    actor = context.actor

    def work(session: Session, _progress: Progress) -> Changes:
        return undo_merge(session, actor, merge_id)

    def done(_changes: Changes) -> None:
        log.info("merge %s undone", merge_id)
        if on_undone is not None:
            on_undone()

    if parent is None:
        context.ops.run(work, on_done=done, title="Undoing the merge…")
    else:
        run_for(parent, context, work, done, title="Undoing the merge…")
