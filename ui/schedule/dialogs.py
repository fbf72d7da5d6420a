"""Small dialogs of the Schedule page: cancel, appointment details and waitlist offers."""

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from app.clock import format_time
from app.services.calendar_view import Block
from app.services.waitlist import WaitlistOffer
from ui.context import AppContext
from ui.schedule.painting import block_tooltip
from ui.schedule.waitlist_offers import FreedTime, WaitlistOffers

# The statuses the details dialog offers next, by current status (the engine enforces them).
NEXT_STATUSES = {
    "scheduled": ("confirmed", "arrived", "no_show"),
    "confirmed": ("arrived", "no_show"),
    "arrived": ("in_room", "checked_out"),
    "in_room": ("checked_out",),
}


class CancelDialog(QDialog):
    """Asks why a visit is cancelled and who cancelled it."""

    def __init__(self, block: Block, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("cancelDialog")
        self.setWindowTitle("Cancel appointment")
        self.reason = QLineEdit()
        self.reason.setObjectName("cancelReason")
        self.reason.setPlaceholderText("Such as: patient is out of town")
        self.by_patient = QRadioButton("Patient")
        self.by_practice = QRadioButton("Practice")
        self.by_patient.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.by_patient)
        group.addButton(self.by_practice)
        self.scope_group = QButtonGroup(self)
        self.scopes: dict[str, QRadioButton] = {}
        scope_row = QHBoxLayout()
        for scope, label in (
            ("this", "This visit"),
            ("following", "This and later"),
            ("series", "Whole series"),
        ):
            button = QRadioButton(label)
            self.scopes[scope] = button
            self.scope_group.addButton(button)
            scope_row.addWidget(button)
        self.scopes["this"].setChecked(True)
        by_row = QHBoxLayout()
        by_row.addWidget(self.by_patient)
        by_row.addWidget(self.by_practice)
        self.error = QLabel()
        self.error.setObjectName("errorText")

        form = QFormLayout()
        when = f"{block.starts_at:%a %m/%d} {format_time(block.starts_at)}"
        form.addRow(QLabel(f"{block.patient_name}, {when}"))
        form.addRow("Reason", self.reason)
        form.addRow("Cancelled by", by_row)
        if block.series_id is not None:
            form.addRow("Cancel", scope_row)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Cancel appointment")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("Keep it")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def _accept(self) -> None:
        if not self.reason.text().strip():
            self.error.setText("Type a reason for the cancellation.")
            return
        self.accept()

    @property
    def by(self) -> str:
        """Who cancelled: "patient" or "practice"."""
        return "patient" if self.by_patient.isChecked() else "practice"

    @property
    def scope(self) -> str:
        """Which visits to cancel: "this", "following" or "series"."""
        return next(scope for scope, button in self.scopes.items() if button.isChecked())


class AppointmentDialog(QDialog):
    """Shows one appointment with its next statuses, cancel and "Move to day"."""

    def __init__(
        self,
        block: Block,
        can_edit: bool,
        parent: QWidget | None = None,
        *,
        can_charge: bool = False,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("appointmentDialog")
        self.setWindowTitle("Appointment")
        self.block = block
        self.chosen_status: str | None = None
        self.action = ""  # "status", "cancel", "move_day", "charges" or "superbill"
        self.day = QDateEdit(QDate(block.starts_at.date()))
        self.day.setCalendarPopup(True)
        details = QLabel(block_tooltip(block))
        details.setWordWrap(True)

        actions = QHBoxLayout()
        for status in NEXT_STATUSES.get(block.status, ()):
            button = QPushButton(status.replace("_", " ").capitalize())
            button.setObjectName(f"status_{status}")
            button.setEnabled(can_edit)
            button.clicked.connect(
                lambda _checked=False, value=status: self._finish("status", value)
            )
            actions.addWidget(button)
        move_row = QHBoxLayout()
        move_row.addWidget(self.day)
        move = QPushButton("Move to day")
        move.setEnabled(can_edit)
        move.clicked.connect(lambda: self._finish("move_day", None))
        move_row.addWidget(move)
        cancel = QPushButton("Cancel appointment…")
        cancel.setEnabled(can_edit and block.status in ("scheduled", "confirmed"))
        cancel.clicked.connect(lambda: self._finish("cancel", None))
        billing = QHBoxLayout()
        charges = QPushButton("C&harges…")
        charges.setToolTip("Enter or review the visit's charges (after check-out)")
        charges.setEnabled(can_charge and block.status == "checked_out")
        charges.clicked.connect(lambda: self._finish("charges", None))
        billing.addWidget(charges)
        superbill = QPushButton("Print &superbill…")
        superbill.clicked.connect(lambda: self._finish("superbill", None))
        billing.addWidget(superbill)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(details)
        layout.addLayout(actions)
        layout.addLayout(move_row)
        layout.addWidget(cancel)
        layout.addLayout(billing)
        layout.addWidget(close)

    def _finish(self, action: str, status: str | None) -> None:
        self.action = action
        self.chosen_status = status
        self.accept()

    @property
    def move_day(self) -> date:
        """The day picked for "Move to day"."""
        return self.day.date().toPython()  # type: ignore[return-value]


class WaitlistOffersDialog(QDialog):
    """A non-modal pop-up listing waiting patients who fit a freed time, each with Book."""

    booked = Signal(object)  # uuid.UUID of the appointment booked from an offer

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("waitlistOffersDialog")
        self.setWindowTitle("Waitlist: patients who fit the freed time")
        self.setModal(False)
        self.heading = QLabel("Call a patient, then press Book beside their name.")
        self.offer_list = WaitlistOffers(context)
        self.offer_list.booked.connect(self.booked)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.hide)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.offer_list, 1)
        layout.addWidget(close)

    def show_offers(self, freed: FreedTime, offers: list[WaitlistOffer]) -> None:
        """List `offers` for the freed time and show the pop-up."""
        self.offer_list.show_offers(freed, offers)
        self.show()
        self.raise_()

    def clear(self) -> None:
        """Hide the pop-up and drop its patients from the screen."""
        self.offer_list.clear()
        self.hide()
