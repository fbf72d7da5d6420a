"""The Duplicates page: pairs of records that may be one person, and the merge history.

The report runs off the GUI thread with progress and Cancel (it reads the whole search
index). Every user who may view patients can run it and mark pairs as different people;
"Merge…" needs the patient-merge permission (managers and administrators), as does
"Undo merge" in the history below.
"""

import logging
import uuid
from collections.abc import Callable

from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Permission
from app.services.duplicate_facts import PatientSummary
from app.services.duplicates import DuplicatePair, duplicate_pairs, record_different_person
from app.services.merge import MergeRecord, recent_merges
from ui.admin.common import RecordTable, run_for
from ui.context import AppContext
from ui.errors import show_error
from ui.pages.base import Page, heading
from ui.patient.merge_dialog import UNDONE_TEXT, MergeDialog, run_undo

log = logging.getLogger(__name__)

PAIR_HEADERS = ("Score", "Record", "Possible duplicate", "Why")
HISTORY_HEADERS = ("Merged at", "Kept", "Merged into it", "By", "State")
HISTORY_LIMIT = 50

# Opens one patient's record window; the main window supplies it (None hides "Open both").
OpenRecord = Callable[[uuid.UUID], object]


def pair_cells(pair: DuplicatePair) -> tuple[str, ...]:
    """Return the table cells of one pair."""

    return (
        str(pair.score),
        record_text(pair.first),
        record_text(pair.second),
        "; ".join(pair.reasons),
    )


def record_text(summary: PatientSummary) -> str:
    """Return one record of a pair, such as "Lee, Ann (K7Q-000012, born 03/04/1981)"."""
    return f"{summary.display_name} ({summary.chart_number}, born {summary.date_of_birth:%m/%d/%Y})"


def history_cells(record: MergeRecord) -> tuple[str, ...]:
    """Return the table cells of one merge."""
    state = "Undone" if record.undone else "Merged"
    merged_at = record.merged_at.astimezone().strftime("%m/%d/%Y %I:%M %p")
    kept = f"{record.survivor_name} ({record.survivor_chart})"
    merged = f"{record.merged_name} ({record.merged_chart})"
    return (merged_at, kept, merged, record.merged_by, state)


class DuplicatesPage(Page):
    """Lists likely duplicate pairs with Merge, Different people and Open both."""

    def __init__(
        self,
        context: AppContext,
        open_record: OpenRecord | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("pageDuplicates")
        self.context = context
        self.open_record = open_record
        self.pairs: list[DuplicatePair] = []
        self.history: list[MergeRecord] = []

        self.summary = QLabel("Run the report to list records that may be the same person.")
        self.summary.setObjectName("subtleText")
        self.run_button = self._button("&Find duplicates", self.run_report)
        self.merge_button = self._button("&Merge…", self.merge_selected)
        self.different_button = self._button("&Different people", self.mark_different)
        self.open_button = self._button("&Open both", self.open_both)
        self.table = RecordTable(PAIR_HEADERS, "Possible duplicate records")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.history_table = RecordTable(HISTORY_HEADERS, "Merge history")
        self.history_table.itemSelectionChanged.connect(self._update_buttons)
        self.undo_button = self._button("&Undo merge", self.undo_selected)

        actions = QHBoxLayout()
        for button in (self.run_button, self.merge_button, self.different_button, self.open_button):
            actions.addWidget(button)
        actions.addStretch(1)
        history_actions = QHBoxLayout()
        history_actions.addWidget(QLabel("Recent merges"))
        history_actions.addStretch(1)
        history_actions.addWidget(self.undo_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading("Duplicates"))
        layout.addWidget(self.summary)
        layout.addLayout(actions)
        layout.addWidget(self.table, 3)
        layout.addLayout(history_actions)
        layout.addWidget(self.history_table, 1)
        self._update_buttons()

    @staticmethod
    def _button(text: str, slot: Callable[[], None]) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(slot)
        return button

    # Loading

    def refresh(self) -> None:
        """Load the merge history; the report itself runs only on request (it is long)."""
        if not self.context.user.signed_in:
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[MergeRecord]:
            return recent_merges(session, actor, HISTORY_LIMIT)

        self.context.ops.run(work, on_done=self._show_history, read_only=True)

    def run_report(self) -> None:
        """Run the practice-wide report with a progress dialog and Cancel."""
        actor = self.context.actor

        def work(session: Session, progress: Progress) -> list[DuplicatePair]:
            return duplicate_pairs(session, actor, progress=progress)

        self.run_button.setEnabled(False)
        self.context.ops.run(
            work, on_done=self._show_pairs, on_error=self._report_failed,
            title="Looking for duplicate records…", parent=self, read_only=True,
        )  # fmt: skip

    def _report_failed(self, error: BaseException) -> None:
        self.run_button.setEnabled(True)
        show_error(self, error)

    def _show_pairs(self, pairs: list[DuplicatePair]) -> None:
        self.run_button.setEnabled(True)
        self.pairs = pairs
        self.table.set_rows([(index, pair_cells(pair)) for index, pair in enumerate(pairs)])
        noun = "pair" if len(pairs) == 1 else "pairs"
        self.summary.setText(f"{len(pairs):,} {noun} of records may be the same person.")
        self._update_buttons()

    def _show_history(self, history: list[MergeRecord]) -> None:
        self.history = history
        self.history_table.set_rows(
            [(index, history_cells(record)) for index, record in enumerate(history)]
        )
        self._update_buttons()

    # Actions

    def selected_pair(self) -> DuplicatePair | None:
        """Return the highlighted pair, if any."""
        index = self.table.selected_id()
        return self.pairs[index] if isinstance(index, int) and index < len(self.pairs) else None

    def selected_merge(self) -> MergeRecord | None:
        """Return the highlighted merge of the history, if any."""
        index = self.history_table.selected_id()
        if isinstance(index, int) and index < len(self.history):
            return self.history[index]
        return None

    def _update_buttons(self) -> None:
        pair = self.selected_pair()
        may_merge = self.context.can(Permission.PATIENT_MERGE)
        self.merge_button.setEnabled(pair is not None and may_merge)
        self.merge_button.setToolTip(
            "" if may_merge else "Merging needs a manager or administrator."
        )
        self.different_button.setEnabled(
            pair is not None and self.context.can(Permission.PATIENT_EDIT)
        )
        self.open_button.setEnabled(pair is not None and self.open_record is not None)
        merge = self.selected_merge()
        self.undo_button.setEnabled(merge is not None and not merge.undone and may_merge)

    def merge_selected(self) -> None:
        """Open the merge dialog for the highlighted pair, keeping the older record."""
        pair = self.selected_pair()
        if pair is None:
            return
        dialog = MergeDialog(self.context, pair.first.patient_id, pair.second.patient_id, self)
        dialog.merged.connect(lambda _outcome: self._forget_pair(pair))
        dialog.undone.connect(self._show_undone)
        dialog.open()

    def mark_different(self) -> None:
        """Record the highlighted pair as different people and drop it from the list."""
        pair = self.selected_pair()
        if pair is None:
            return
        actor = self.context.actor
        first, second = pair.first.patient_id, pair.second.patient_id

        def work(session: Session, _progress: Progress) -> Changes:
            return record_different_person(session, actor, first, second, "duplicates report")

        run_for(self, self.context, work, lambda _changes: self._forget_pair(pair))

    def open_both(self) -> None:
        """Open both records side by side in their own windows."""
        pair = self.selected_pair()
        if pair is None or self.open_record is None:
            return
        self.open_record(pair.first.patient_id)
        self.open_record(pair.second.patient_id)

    def undo_selected(self) -> None:
        """Undo the highlighted merge."""
        merge = self.selected_merge()
        if merge is not None:
            run_undo(self.context, merge.merge_id, self, on_undone=self._show_undone)

    def _show_undone(self) -> None:
        self.summary.setText(UNDONE_TEXT)

    def _forget_pair(self, pair: DuplicatePair) -> None:
        self.pairs = [other for other in self.pairs if other is not pair]
        self._show_pairs(self.pairs)

    # Page hooks

    def clear_data(self) -> None:
        """Drop every pair and merge shown (the screen locks)."""
        self.pairs, self.history = [], []
        self.table.set_rows([])
        self.history_table.set_rows([])
        self.summary.setText("Run the report to list records that may be the same person.")
        self._update_buttons()

    def handle_changes(self, changes: Changes) -> None:
        """Reload the merge history after patients change (a merge or an undo)."""
        if changes.touches(ChangeKind.PATIENTS):
            self.refresh()
