"""The check-in dialog: what to confirm with the patient before marking the visit arrived."""

from collections.abc import Callable
from decimal import Decimal

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.clock import format_time
from app.money import format_money
from app.services.check_in import CheckIn, CoverageLine
from ui.pages.today_board import status_label


def _label(text: str, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    if name:
        label.setObjectName(name)
    return label


def _coverage_text(line: CoverageLine) -> str:
    plan = f" ({line.plan_name})" if line.plan_name else ""
    copay = f", office copay {format_money(line.office_copay)}" if line.office_copay else ""
    return (
        f"{line.priority}: {line.payer_name}{plan}, member ID {line.member_id}{copay}. "
        f"Eligibility: {line.eligibility}."
    )


class CheckInDialog(QDialog):
    """Shows the check-in checklist; Check in (the default button) accepts the dialog.

    With a primary coverage in effect, a check box records that the desk confirmed
    eligibility with the payer today. The box is enabled only when `can_record_eligibility`
    is True. With a copay due and `collect_copay` given, "Collect copay…" calls it with
    the dialog, which opens the take-payment dialog; `copay_collected` then updates the
    line.
    """

    def __init__(
        self,
        checklist: CheckIn,
        parent: QWidget | None = None,
        *,
        can_record_eligibility: bool = False,
        collect_copay: Callable[["CheckInDialog"], object] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("checkInDialog")
        self.setWindowTitle(f"Check in {checklist.patient_name}")
        self.checklist = checklist
        self.can_record_eligibility = can_record_eligibility
        self.collect_copay = collect_copay
        self.copay_button: QPushButton | None = None

        layout = QVBoxLayout(self)
        layout.addWidget(
            _label(
                f"{checklist.patient_name} · chart {checklist.chart_number} · "
                f"{format_time(checklist.starts_at)} with {checklist.provider_name}",
                "checkInHeading",
            )
        )
        layout.addWidget(self._contact_box())
        layout.addWidget(self._insurance_box())
        layout.addWidget(self._intake_box())

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.check_in_button = self.buttons.addButton(
            "&Check in", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.check_in_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        if not checklist.can_check_in:
            self.check_in_button.setEnabled(False)
            layout.addWidget(
                _label(
                    f"This visit is {status_label(checklist.status).lower()}. Only scheduled "
                    "or confirmed visits can be checked in.",
                    "warningText",
                )
            )
        layout.addWidget(self.buttons)
        # Qt would focus the first button in the dialog, which is now Collect copay, but
        # the desk expects Check in there (or the eligibility box, which comes first).
        focus_check_in = (
            self.copay_button is not None
            and self.check_in_button.isEnabled()
            and not self.eligibility_box.isVisibleTo(self)
        )
        if focus_check_in:
            self.check_in_button.setFocus()

    def _contact_box(self) -> QGroupBox:
        checklist = self.checklist
        box = QGroupBox("Confirm with the patient")
        form = QFormLayout(box)
        form.addRow("Phones", _label("\n".join(checklist.phones) or "None on file"))
        form.addRow("Address", _label("\n".join(checklist.address) or "None on file"))
        form.addRow("Email", _label(checklist.email or "None on file"))
        if checklist.demographics_complete:
            form.addRow("Demographics", _label("Complete for billing"))
        else:
            missing = ", ".join(checklist.missing_demographics)
            form.addRow("Demographics", _label(f"Missing: {missing}", "warningText"))
        return box

    def _insurance_box(self) -> QGroupBox:
        checklist = self.checklist
        box = QGroupBox("Insurance")
        layout = QVBoxLayout(box)
        lines = [_coverage_text(line) for line in checklist.coverages]
        layout.addWidget(_label("\n".join(lines) or "No coverage in effect: self-pay."))
        self.eligibility_box = QCheckBox("&Eligibility confirmed with the payer today")
        self.eligibility_box.setObjectName("eligibilityConfirmed")
        self.eligibility_box.setVisible(checklist.primary_coverage_id is not None)
        self.eligibility_box.setEnabled(self.can_record_eligibility)
        if not self.can_record_eligibility:
            self.eligibility_box.setToolTip("Your role cannot record eligibility checks.")
        if checklist.eligibility_unverified:
            layout.addWidget(
                _label(
                    "Eligibility of the primary coverage is not verified for this visit.",
                    "warningText",
                )
            )
        layout.addWidget(self.eligibility_box)
        if checklist.copay_due is not None:
            layout.addLayout(self._copay_row(checklist.copay_due))
        return box

    def _copay_row(self, copay_due: Decimal) -> QHBoxLayout:
        row = QHBoxLayout()
        self.copay_label = _label(f"Copay due today: {format_money(copay_due)}", "copayDue")
        self.copay_label.setWordWrap(False)
        row.addWidget(self.copay_label, 1)
        if self.collect_copay is not None:
            button = QPushButton("Collect co&pay…")
            button.setObjectName("collectCopay")
            button.setAutoDefault(False)
            collect = self.collect_copay
            button.clicked.connect(lambda: collect(self))
            row.addWidget(button)
            self.copay_button = button
        return row

    def copay_collected(self, amount: Decimal) -> None:
        """Show that the copay was taken, so it is not collected twice."""
        self.copay_label.setText(f"Copay collected: {format_money(amount)}")
        if self.copay_button is not None:
            self.copay_button.setEnabled(False)
        # The disabled button lost the focus, and checking in is the next step.
        if self.check_in_button.isEnabled():
            self.check_in_button.setFocus()

    def _intake_box(self) -> QGroupBox:
        box = QGroupBox("New-patient checklist")
        layout = QVBoxLayout(box)
        missing = self.checklist.intake_not_done
        text = "\n".join(f"• {label}" for label in missing) if missing else "Every step is done."
        layout.addWidget(_label(text, "intakeNotDone"))
        return box

    def eligibility_confirmed(self) -> bool:
        """Return True when the desk ticked that it confirmed eligibility with the payer."""
        if self.checklist.primary_coverage_id is None or not self.can_record_eligibility:
            return False
        return self.eligibility_box.isChecked()
