"""The Face sheet tab: a one-screen summary of the patient, with printing to PDF."""

import html
import logging
import uuid
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.progress import Progress
from app.services import face_sheet as face_sheet_service
from app.services.face_sheet_values import FaceSheet, VisitLine
from app.services.intake_packet import print_intake_packet
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.context import AppContext

log = logging.getLogger(__name__)

ALERT_STYLES = {
    "critical": "color: #b42318; font-weight: bold;",
    "warning": "color: #b54708; font-weight: bold;",
    "info": "color: #175cd3;",
}


def _money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def _form(title: str, rows: list[tuple[str, str]]) -> QGroupBox:
    box = QGroupBox(title)
    form = QFormLayout(box)
    for label, value in rows:
        if value:
            text = QLabel(value)
            text.setWordWrap(True)
            form.addRow(label, text)
    return box


def _visits(visits: tuple[VisitLine, ...]) -> list[tuple[str, str]]:
    lines = []
    for visit in visits:
        detail = " — ".join(
            part for part in (visit.description, visit.provider, visit.status) if part
        )
        lines.append((f"{visit.when:%m/%d/%Y %I:%M %p}", detail))
    return lines or [("", "None")]


class FaceSheetTab(QWidget):
    """Shows the face sheet; the buttons print it or an intake packet as PDF."""

    def __init__(
        self, context: AppContext, patient_id: uuid.UUID, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.patient_id = patient_id
        self.sheet: FaceSheet | None = None
        self.status = QLabel()
        self.status.setObjectName("subtleText")
        self.print_button = QPushButton("&Print face sheet (PDF)…")
        self.print_button.clicked.connect(
            lambda: self._choose("face-sheet.pdf", self.print_face_sheet_to)
        )
        self.packet_button = QPushButton("Print &intake packet (PDF)…")
        self.packet_button.clicked.connect(
            lambda: self._choose("intake-packet.pdf", self.print_intake_packet_to)
        )
        buttons = QHBoxLayout()
        buttons.addWidget(self.print_button)
        buttons.addWidget(self.packet_button)
        buttons.addStretch(1)
        buttons.addWidget(self.status)
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        layout = QVBoxLayout(self)
        layout.addLayout(buttons)
        layout.addWidget(scroll, 1)
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def refresh(self) -> None:
        """Reload the face sheet in the background (an audited record view)."""
        actor, patient_id = self.context.actor, self.patient_id

        def work(session: Session, _progress: Progress) -> FaceSheet:
            return face_sheet_service.face_sheet(
                session, actor, patient_id, practice_today(session)
            )

        run_for(self, self.context, work, self._show)

    def _on_changed(self, changes: Changes) -> None:
        kinds = (
            ChangeKind.PATIENTS,
            ChangeKind.COVERAGES,
            ChangeKind.LEDGER,
            ChangeKind.APPOINTMENTS,
            ChangeKind.PAYMENTS,
        )
        if changes.touches(*kinds):
            self.refresh()

    def _show(self, sheet: FaceSheet) -> None:
        self.sheet = sheet
        old = self.body_layout.takeAt(0)
        if old is not None and old.widget() is not None:
            old.widget().deleteLater()
        self.body_layout.insertWidget(0, self._build(sheet))

    def _build(self, sheet: FaceSheet) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        for alert in sheet.alerts:
            label = QLabel(f"{alert.severity.upper()}: {alert.message}")
            label.setStyleSheet(ALERT_STYLES.get(alert.severity, ""))
            label.setWordWrap(True)
            layout.addWidget(label)
        top = QHBoxLayout()
        name = QLabel(
            f"<b style='font-size:16pt'>{html.escape(sheet.name)}</b><br>"
            f"Chart {sheet.chart_number} · "
            f"DOB {sheet.date_of_birth:%m/%d/%Y} (age {sheet.age}) · {sheet.sex} · {sheet.status}"
        )
        name.setTextFormat(Qt.TextFormat.RichText)
        balance = QLabel(
            f"<span style='font-size:16pt'><b>Balance {_money(sheet.balance.total)}</b></span><br>"
            f"Patient {_money(sheet.balance.patient)} · Insurance {_money(sheet.balance.insurance)}"
        )
        balance.setObjectName("faceSheetBalance")
        top.addWidget(name, 1)
        top.addWidget(balance)
        layout.addLayout(top)

        grid = QGridLayout()
        grid.addWidget(self._patient_box(sheet), 0, 0)
        grid.addWidget(self._insurance_box(sheet), 0, 1)
        grid.addWidget(_form("Upcoming appointments", _visits(sheet.upcoming)), 1, 0)
        grid.addWidget(_form("Past visits", _visits(sheet.past)), 1, 1)
        grid.addWidget(self._statements_box(sheet), 2, 0, 1, 2)
        layout.addLayout(grid)
        layout.addStretch(1)
        return page

    @staticmethod
    def _patient_box(sheet: FaceSheet) -> QGroupBox:
        rows = [
            ("Preferred name", sheet.preferred_name),
            ("SSN", sheet.ssn_masked),
            ("Address", "\n".join(sheet.address_lines)),
            *[(phone.kind, phone.number) for phone in sheet.phones],
            ("Email", sheet.email),
            ("Contact by", sheet.preferred_contact),
            ("Reminders", "Allowed" if sheet.reminder_consent else "Not allowed"),
            ("Language", sheet.language),
            ("Emergency", sheet.emergency_contact),
            ("Guarantor", sheet.guarantor),
            ("Provider", sheet.primary_provider),
            ("Referred by", sheet.referring_provider),
        ]
        return _form("Patient", rows)

    @staticmethod
    def _insurance_box(sheet: FaceSheet) -> QGroupBox:
        rows: list[tuple[str, str]] = []
        for line in sheet.coverages:
            detail = "\n".join(
                part
                for part in (
                    line.plan,
                    f"Member {line.member_id}"
                    + (f", group {line.group_number}" if line.group_number else ""),
                    f"Subscriber {line.subscriber} ({line.relationship})",
                    line.copays,
                )
                if part
            )
            rows.append((f"{line.order}: {line.payer}", detail))
        if not sheet.coverages:
            rows.append(("Insurance", "Self-pay"))
        rows.append(("Onboarding", f"{sheet.onboarding_done} of {sheet.onboarding_total} done"))
        recall = f"{sheet.recall_due_on:%m/%d/%Y}" if sheet.recall_due_on else "None set"
        rows.append(("Recall due", recall))
        rows.append(("Referrals", str(sheet.referral_count)))
        rows.append(("Authorizations", str(sheet.authorization_count)))
        return _form("Insurance and follow-up", rows)

    @staticmethod
    def _statements_box(sheet: FaceSheet) -> QGroupBox:
        summary = sheet.statements
        if summary is None:
            return _form("Statements", [("Account", "No billing account yet")])
        rows = [
            ("Account", summary.account_number),
            ("Guarantor", summary.guarantor),
            ("Hold", summary.hold or "None"),
            ("Payment plan", summary.payment_plan or "None open"),
            ("Collections", summary.collections or "Not placed"),
        ]
        for line in summary.statements:
            rows.append((f"{line.statement_date:%m/%d/%Y}", line.description))
        if not summary.statements:
            rows.append(("Sent", "None yet"))
        return _form("Statements", rows)

    def _choose(self, default_name: str, action: Callable[[Path], None]) -> None:
        name, _filter = QFileDialog.getSaveFileName(
            self, "Save PDF", default_name, "PDF files (*.pdf)"
        )
        if name:
            action(Path(name))

    def print_face_sheet_to(self, path: Path) -> None:
        """Write the face sheet PDF to `path` in the background (audited as a print)."""
        actor, patient_id = self.context.actor, self.patient_id

        def work(session: Session, _progress: Progress) -> Path:
            return face_sheet_service.print_face_sheet(
                session, actor, patient_id, practice_today(session), path
            )

        run_for(self, self.context, work, lambda _path: self.status.setText(f"Saved {path.name}"))

    def print_intake_packet_to(self, path: Path) -> None:
        """Write the intake packet PDF to `path` in the background (audited as an export)."""
        actor, patient_id = self.context.actor, self.patient_id

        def work(session: Session, _progress: Progress) -> Path:
            return print_intake_packet(session, actor, patient_id, path)

        run_for(self, self.context, work, lambda _path: self.status.setText(f"Saved {path.name}"))
