"""The Onboarding tab of the patient record: the practice's checklist for this patient.

Manual steps are check boxes (Space toggles the focused one). Automatic steps are shown
read-only with the reason the record gives, because only completing the record changes
them.
"""

import logging
import uuid

from PySide6.QtWidgets import QCheckBox, QLabel, QVBoxLayout, QWidget
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.security.permissions import Permission
from app.services import onboarding
from app.services.onboarding import Checklist, ChecklistItem
from ui.admin.common import run_for
from ui.context import AppContext

log = logging.getLogger(__name__)


def item_detail(item: ChecklistItem) -> str:
    """Return the small text under a step: the reason, or who ticked it and when."""
    if item.automatic:
        return f"Automatic: {item.reason}"
    if item.done and item.completed_at is not None:
        when = item.completed_at.astimezone().strftime("%m/%d/%Y %I:%M %p")
        who = f" by {item.completed_by_name}" if item.completed_by_name else ""
        note = f" — {item.note}" if item.note else ""
        return f"Done {when}{who}{note}"
    return ""


class OnboardingTab(QWidget):
    """Lists the checklist; ticking a manual step saves it at once."""

    def __init__(
        self, context: AppContext, patient_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id = patient_id
        self.checklist: Checklist | None = None
        self.boxes: dict[str, QCheckBox] = {}
        self.summary = QLabel()
        self.summary.setObjectName("subtleText")
        self.items_layout = QVBoxLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(self.items_layout)
        layout.addStretch(1)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def refresh(self) -> None:
        """Reload the checklist in the background."""
        actor, patient_id = self.context.actor, self.patient_id

        def work(session: Session, _progress: Progress) -> Checklist:
            return onboarding.patient_checklist(session, actor, patient_id)

        run_for(self, self.context, work, self._show)

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.PATIENTS, ChangeKind.COVERAGES, ChangeKind.DOCUMENTS):
            self.refresh()

    def _clear(self) -> None:
        while self.items_layout.count():
            child = self.items_layout.takeAt(0)
            widget = child.widget()
            if widget is not None:
                widget.deleteLater()
        self.boxes.clear()

    def _show(self, checklist: Checklist) -> None:
        self.checklist = checklist
        self._clear()
        self.summary.setText(f"{checklist.done_count} of {checklist.total} steps done")
        editable = self.context.can(Permission.PATIENT_EDIT)
        for item in checklist.items:
            box = QCheckBox(item.label)
            box.setChecked(item.done)
            box.setEnabled(editable and not item.automatic)
            box.setAccessibleName(item.label)
            box.setToolTip(item_detail(item))
            if not item.automatic:
                box.clicked.connect(
                    lambda checked, code=item.code: self.set_done(code, bool(checked))
                )
            self.items_layout.addWidget(box)
            self.boxes[item.code] = box
            detail = item_detail(item)
            if detail:
                label = QLabel(detail)
                label.setObjectName("subtleText")
                label.setContentsMargins(24, 0, 0, 6)
                self.items_layout.addWidget(label)

    def set_done(self, code: str, done: bool) -> None:
        """Save manual step `code` as done or not done."""
        actor, patient_id = self.context.actor, self.patient_id

        def work(session: Session, _progress: Progress) -> Changes:
            return onboarding.set_step_done(session, actor, patient_id, code, done)

        run_for(self, self.context, work, on_error=self._failed)

    def _failed(self, error: BaseException) -> None:
        from ui.errors import show_error

        self.refresh()
        show_error(self, error)
