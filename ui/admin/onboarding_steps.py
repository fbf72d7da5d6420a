"""The Onboarding checklist tab of Admin: add, rename, reorder and remove steps."""

import logging

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.progress import Progress
from app.services import onboarding
from app.services.onboarding import StepDefinition, StepInput
from ui.admin.common import run_for
from ui.context import AppContext

log = logging.getLogger(__name__)

CODE_ROLE = Qt.ItemDataRole.UserRole + 1


class OnboardingStepsTab(QWidget):
    """Edits the practice's checklist; nothing is stored until Save."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.list = QListWidget()
        self.list.setAccessibleName("Checklist steps")
        self.note = QLabel(
            "Steps marked (automatic) are checked from the record; the others are ticked by "
            "staff. Removing a step keeps what was already recorded for patients."
        )
        self.note.setWordWrap(True)
        self.note.setObjectName("subtleText")
        self.status = QLabel()

        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for key, text, slot in (
            ("add", "&Add step…", self.add_step),
            ("rename", "&Rename…", self.rename_step),
            ("up", "Move &up", lambda: self.move(-1)),
            ("down", "Move &down", lambda: self.move(1)),
            ("remove", "Re&move", self.remove_step),
            ("save", "&Save checklist", self.save),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            buttons.addWidget(button)
            self.buttons[key] = button
        buttons.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addLayout(buttons)
        layout.addWidget(self.list, 1)
        layout.addWidget(self.status)
        self.refresh()

    def refresh(self) -> None:
        """Load the saved steps in the background."""
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> list[StepDefinition]:
            return onboarding.list_steps(session, actor)

        run_for(self, self.context, work, self._show)

    def _show(self, steps: list[StepDefinition]) -> None:
        self.list.clear()
        for step in steps:
            self.append(step.label, step.code)

    def append(self, label: str, code: str = "") -> None:
        """Add a row for a step; an empty `code` is a new step."""
        item = QListWidgetItem(self._text(label, code))
        item.setData(Qt.ItemDataRole.UserRole, label)
        item.setData(CODE_ROLE, code)
        self.list.addItem(item)
        self.list.setCurrentItem(item)

    @staticmethod
    def _text(label: str, code: str) -> str:
        return f"{label} (automatic)" if code in onboarding.AUTOMATIC_CODES else label

    def steps(self) -> list[StepInput]:
        """Return the edited list as the service takes it."""
        items = [self.list.item(row) for row in range(self.list.count())]
        return [
            StepInput(str(item.data(Qt.ItemDataRole.UserRole)), str(item.data(CODE_ROLE) or ""))
            for item in items
        ]

    def add_step(self) -> None:
        """Ask for a name and add a manual step at the end."""
        label, accepted = QInputDialog.getText(self, "Add step", "Step name:")
        if accepted and label.strip():
            self.append(label.strip())

    def rename_step(self) -> None:
        """Ask for a new name for the selected step."""
        item = self.list.currentItem()
        if item is None:
            return
        current = str(item.data(Qt.ItemDataRole.UserRole))
        label, accepted = QInputDialog.getText(self, "Rename step", "Step name:", text=current)
        if accepted and label.strip():
            item.setData(Qt.ItemDataRole.UserRole, label.strip())
            item.setText(self._text(label.strip(), str(item.data(CODE_ROLE) or "")))

    def move(self, offset: int) -> None:
        """Move the selected step up (-1) or down (+1)."""
        row = self.list.currentRow()
        target = row + offset
        if row < 0 or not 0 <= target < self.list.count():
            return
        item = self.list.takeItem(row)
        self.list.insertItem(target, item)
        self.list.setCurrentRow(target)

    def remove_step(self) -> None:
        """Remove the selected step from the list (archived on Save)."""
        row = self.list.currentRow()
        if row >= 0:
            self.list.takeItem(row)

    def save(self) -> None:
        """Save the list through the service; errors show in the error presenter."""
        actor, steps = self.context.actor, self.steps()

        def work(session: Session, _progress: Progress) -> Changes:
            return onboarding.save_steps(session, actor, steps)

        def saved(_changes: Changes) -> None:
            self.status.setText("Checklist saved.")
            self.refresh()

        run_for(self, self.context, work, saved)
