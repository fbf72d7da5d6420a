"""The first step of Take payment: choose the patient with the one-box patient search."""

import logging

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from app.services.patient_search import PatientMatch
from ui.context import AppContext
from ui.search_popup import PICK_HINT_TEXT, PatientSearch

log = logging.getLogger(__name__)

SEARCH_DELAY_MS = 250


class PatientPickDialog(QDialog):
    """Picks the patient who pays: type, Down to choose, Enter accepts with `patient` set."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("paymentPatientDialog")
        self.setWindowTitle("Take payment: choose the patient")
        self.patient: PatientMatch | None = None
        self.box = QLineEdit()
        self.box.setObjectName("paymentPatientSearch")
        self.box.setPlaceholderText("Name, chart number, birth date or phone, then Down and Enter")
        self.box.setAccessibleName("Patient search")
        self.search = PatientSearch(
            context, self.box, self, lambda: False, SEARCH_DELAY_MS, hint=PICK_HINT_TEXT
        )
        self.search.chosen.connect(self._chosen)
        self.box.returnPressed.connect(self.accept)
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.problem.setWordWrap(True)
        self.problem.setVisible(False)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)

        form = QFormLayout()
        caption = QLabel("&Patient")
        caption.setBuddy(self.box)
        form.addRow(caption, self.box)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.problem)
        layout.addStretch(1)
        layout.addWidget(buttons)
        # Room below the search box for the result list, which is drawn inside the dialog.
        self.resize(760, 400)
        self.box.setFocus()

    def _chosen(self, match: PatientMatch) -> None:
        self.patient = match
        super().accept()

    def accept(self) -> None:
        """Enter with no patient picked: explain how to pick one instead of closing."""
        if self.patient is None:
            self.problem.setText(
                "Choose a patient: type a name, press Down to pick from the list, then Enter."
            )
            self.problem.setVisible(True)
            self.box.setFocus()
            return
        super().accept()
