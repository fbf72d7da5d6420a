"""The coverage editor: one insurance policy with its subscriber, copays and card pictures."""

import copy
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import Changes
from app.problems import Problem, has_errors
from app.progress import Progress
from app.security.permissions import Permission
from app.services.eligibility import (
    EligibilityCheck,
    eligibility_checks,
    record_eligibility_check,
)
from app.services.patient_forms import (
    COB_ORDER,
    PLAN_TYPES,
    RELATIONSHIP_CODES,
    CardImage,
    CoverageForm,
)
from app.services.registration import (
    Choice,
    coverage_problems,
    list_documents,
    read_document,
)
from app.services.scheduling_settings import practice_now
from ui.admin.common import run_for
from ui.admin.forms import ask, select_data
from ui.context import AppContext
from ui.errors import show_error
from ui.patient.cards import CardSlot
from ui.patient.feedback import ProblemBoard, ProblemSummary, add_form_row, problem_label
from ui.patient.fields import (
    DateField,
    format_amount,
    index_of,
    money_problems,
    parse_money,
)
from ui.patient.party import PartyEditor
from ui.widgets import connect_edits

log = logging.getLogger(__name__)

SELF_CODE = "18"
COPAYS = (
    ("copay_office", "Office visit"),
    ("copay_specialist", "Specialist"),
    ("copay_urgent_care", "Urgent care"),
    ("copay_emergency", "Emergency room"),
)
EDITOR_WIDTH = 1080
EDITOR_HEIGHT = 720
UNSAVED_ELIGIBILITY = "Save the patient first, then record eligibility checks of this coverage."


@dataclass(frozen=True, slots=True)
class RecordedCheck:
    """An eligibility check just stored, as read back, with the kinds of record it wrote."""

    check: EligibilityCheck
    changes: Changes


def eligibility_text(check: EligibilityCheck) -> str:
    """Return the check as the editor shows it, such as "Eligibility never checked"."""
    return f"Eligibility {check.describe()}"


def labeled_combo(entries: Sequence[tuple[object, str]], blank: str = "") -> QComboBox:
    """Return a combo showing each entry's label with its value as item data."""
    combo = QComboBox()
    if blank:
        combo.addItem(blank, None)
    for value, label in entries:
        combo.addItem(label, value)
    return combo


def load_cards(
    session: Session, context: AppContext, patient_id: uuid.UUID, coverage_id: uuid.UUID
) -> dict[str, CardImage]:
    """Return the stored card pictures of a coverage by side ("front", "back").

    Each picture read is an audited view of the patient's documents.
    """
    actor = context.actor
    found: dict[str, CardImage] = {}
    for summary in list_documents(session, actor, patient_id):
        if summary.coverage_id != coverage_id or summary.kind not in ("card_front", "card_back"):
            continue
        content = read_document(session, actor, summary.id)
        found[summary.kind.removeprefix("card_")] = CardImage(content.content, content.media_type)
    return found


class CoverageEditor(QDialog):
    """Edits one coverage of the form's list; OK checks it with the coverage service.

    The dialog works on a copy: `result_coverage` is the edited coverage after OK,
    and Cancel leaves the form's list as it was.
    """

    def __init__(
        self,
        context: AppContext,
        coverages: list[CoverageForm],
        index: int,
        *,
        patient_id: uuid.UUID | None,
        payers: Sequence[Choice],
        today: Callable[[], date],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("coverageEditor")
        self.setWindowTitle("Insurance coverage")
        self.context = context
        self.coverages = coverages
        self.index = index
        self.patient_id = patient_id
        self.today = today
        self.original = coverages[index] if index < len(coverages) else CoverageForm()
        self.result_coverage: CoverageForm | None = None
        self.dirty = False
        self.checking = False
        self.summary = ProblemSummary()
        self.board = ProblemBoard(self.summary)
        self.prefix = f"coverages[{index}]"
        self._build_fields(payers)
        self._build_layout()
        self.set_value(self.original)
        self.subscriber.edited.connect(self._sync_relationship)
        self._sync_relationship()
        for widget in self.findChildren(QWidget):
            connect_edits(widget, self._mark_dirty)
        self.resize(EDITOR_WIDTH, EDITOR_HEIGHT)
        # The payer comes first and decides the rest, so the cursor starts there.
        self.payer.setFocus(Qt.FocusReason.OtherFocusReason)
        if self.original.id is not None and patient_id is not None:
            self._load_stored_cards(patient_id, self.original.id)
            self._load_eligibility(self.original.id)

    def _build_fields(self, payers: Sequence[Choice]) -> None:
        self.payer = labeled_combo([(choice.id, choice.label) for choice in payers], "Choose")
        self.plan_name = QLineEdit()
        self.plan_name.setMaxLength(60)
        self.plan_type = labeled_combo(list(PLAN_TYPES.items()), "Not given")
        self.member_id = QLineEdit()
        self.member_id.setMaxLength(80)
        self.group_number = QLineEdit()
        self.group_number.setMaxLength(50)
        self.group_name = QLineEdit()
        self.group_name.setMaxLength(60)
        self.priority = labeled_combo(list(COB_ORDER.items()))
        self.relationship = labeled_combo(
            [(code, f"{label} ({code})") for code, label in RELATIONSHIP_CODES.items()], "Choose"
        )
        self.effective_date = DateField()
        self.termination_date = DateField()
        self.copays = {name: QLineEdit() for name, _label in COPAYS}
        for edit in self.copays.values():
            edit.setPlaceholderText("0.00")
            edit.setMaxLength(10)
        self.subscriber = PartyEditor(
            self.context, f"{self.prefix}.subscriber", self.board, "The patient",
            details_required=True,
        )  # fmt: skip
        self.card_front = CardSlot("front")
        self.card_back = CardSlot("back")
        self.eligibility = QLabel(UNSAVED_ELIGIBILITY)
        self.eligibility.setObjectName("eligibilityStatus")
        self.eligibility.setWordWrap(True)
        self.mark_checked = QPushButton("&Mark checked today")
        self.mark_checked.setObjectName("markEligibilityChecked")
        self.mark_checked.setToolTip(
            "Record that you confirmed with the payer today that this policy is active"
        )
        self.mark_checked.setEnabled(False)
        self.mark_checked.clicked.connect(self.mark_checked_today)

    def _build_layout(self) -> None:
        policy = QFormLayout()
        rows: list[tuple[str, str, QWidget, bool]] = [
            ("payer_id", "Payer", self.payer, True),
            ("plan_name", "Plan name", self.plan_name, False),
            ("plan_type", "Plan type", self.plan_type, False),
            ("member_id", "Member id", self.member_id, True),
            ("group_number", "Group number", self.group_number, False),
            ("group_name", "Group name", self.group_name, False),
            ("priority", "Order of benefits", self.priority, False),
            ("effective_date", "Effective date", self.effective_date, False),
            ("termination_date", "Termination date", self.termination_date, False),
        ]
        for name, caption, widget, required in rows:
            self._add_row(policy, name, caption, widget, required)
        copays = QGridLayout()
        for column, (name, caption) in enumerate(COPAYS):
            label = problem_label(caption)
            title = QLabel(caption)
            title.setBuddy(self.copays[name])
            self.copays[name].setAccessibleName(f"{caption} copay")
            copays.addWidget(title, 0, column)
            copays.addWidget(self.copays[name], 1, column)
            copays.addWidget(label, 2, column)
            self.board.register(f"{self.prefix}.{name}", self.copays[name], label)
        policy.addRow("Copays ($)", copays)
        eligibility = QVBoxLayout()
        eligibility.addWidget(self.eligibility)
        eligibility.addWidget(self.mark_checked, 0, Qt.AlignmentFlag.AlignLeft)
        policy.addRow("Eligibility", eligibility)

        subscriber_box = QGroupBox("&Subscriber (the policy holder)")
        subscriber_layout = QFormLayout(subscriber_box)
        subscriber_layout.addRow(self.subscriber)
        self._add_row(subscriber_layout, "relationship_code", "Relationship to subscriber",
                      self.relationship, False)  # fmt: skip

        cards = QHBoxLayout()
        cards.addWidget(self.card_front)
        cards.addWidget(self.card_back)
        cards.addStretch(1)
        self.board.register(f"{self.prefix}.card_front", self.card_front, self.card_front.problem)
        self.board.register(f"{self.prefix}.card_back", self.card_back, self.card_back.problem)

        body = QWidget()
        columns = QHBoxLayout(body)
        left = QVBoxLayout()
        left.addLayout(policy)
        left.addLayout(cards)
        left.addStretch(1)
        columns.addLayout(left, 1)
        right = QVBoxLayout()
        right.addWidget(subscriber_box)
        right.addStretch(1)
        columns.addLayout(right, 1)
        scroll = QScrollArea()
        scroll.setWidget(body)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        self.scroll_area = scroll

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(scroll, 1)
        layout.addWidget(self.buttons)

    def _add_row(
        self, layout: QFormLayout, name: str, caption: str, widget: QWidget, required: bool
    ) -> None:
        label = add_form_row(layout, caption, widget, required=required)
        self.board.register(f"{self.prefix}.{name}", widget, label, self._reveal(widget))

    def _reveal(self, widget: QWidget) -> Callable[[], None]:
        return lambda: self.scroll_area.ensureWidgetVisible(widget)

    def _mark_dirty(self) -> None:
        self.dirty = True

    def _sync_relationship(self) -> None:
        # X12 allows relationship 18 (self) only when the patient is the subscriber.
        is_self = self.subscriber.kind() == "self"
        if is_self:
            select_data(self.relationship, SELF_CODE)
        elif self.relationship.currentData() == SELF_CODE:
            self.relationship.setCurrentIndex(0)
        self.relationship.setEnabled(not is_self)

    def set_value(self, coverage: CoverageForm) -> None:
        """Show `coverage` in the fields."""
        self._select(self.payer, coverage.payer_id)
        self.plan_name.setText(coverage.plan_name)
        self._select(self.plan_type, coverage.plan_type or None)
        self.member_id.setText(coverage.member_id)
        self.group_number.setText(coverage.group_number)
        self.group_name.setText(coverage.group_name)
        self._select(self.priority, coverage.priority)
        self._select(self.relationship, coverage.relationship_code or None)
        self.effective_date.set_date(coverage.effective_date)
        self.termination_date.set_date(coverage.termination_date)
        for name, _caption in COPAYS:
            self.copays[name].setText(format_amount(getattr(coverage, name)))
        self.subscriber.set_value(coverage.subscriber)
        self.card_front.image = coverage.card_front
        self.card_back.image = coverage.card_back
        self.card_front.set_stored(None)
        self.card_back.set_stored(None)

    @staticmethod
    def _select(combo: QComboBox, value: object) -> None:
        combo.setCurrentIndex(max(index_of(combo, value), 0))

    def value(self) -> CoverageForm:
        """Return the coverage as entered."""
        copays: dict[str, Decimal | None] = {
            name: parse_money(self.copays[name].text()) for name, _caption in COPAYS
        }
        return CoverageForm(
            payer_id=self.payer.currentData(),
            priority=int(self.priority.currentData() or 1),
            plan_name=self.plan_name.text(),
            plan_type=str(self.plan_type.currentData() or ""),
            member_id=self.member_id.text(),
            group_number=self.group_number.text(),
            group_name=self.group_name.text(),
            subscriber=self.subscriber.value(),
            relationship_code=str(self.relationship.currentData() or ""),
            effective_date=self.effective_date.date_value(),
            termination_date=self.termination_date.date_value(),
            card_front=self.card_front.image,
            card_back=self.card_back.image,
            archived=False,
            id=self.original.id,
            **copays,
        )

    def local_problems(self) -> list[Problem]:
        """Return problems found without the database: unreadable dates and amounts."""
        problems = self.effective_date.problems(f"{self.prefix}.effective_date", "Effective date")
        problems += self.termination_date.problems(
            f"{self.prefix}.termination_date", "Termination date"
        )
        problems += self.subscriber.person.date_of_birth.problems(
            f"{self.prefix}.subscriber.person.date_of_birth", "Date of birth"
        )
        for name, caption in COPAYS:
            field = f"{self.prefix}.{name}"
            problems += money_problems(self.copays[name], field, f"{caption} copay")
        return problems

    def accept(self) -> None:
        """Check the coverage with the service, and close only when it has no error."""
        if self.checking:
            return
        local = self.local_problems()
        edited = self.value()
        candidates = [copy.copy(entry) for entry in self.coverages]
        if self.index < len(candidates):
            candidates[self.index] = edited
        else:
            candidates.append(edited)
        patient_id, today = self.patient_id, self.today()

        def work(session: Session, _progress: Progress) -> list[Problem]:
            return coverage_problems(session, patient_id, candidates, today, complete=True)

        self.checking = True
        self.buttons.setEnabled(False)
        run_for(
            self, self.context, work,
            lambda found: self._checked(edited, local, found), self._check_failed,
        )  # fmt: skip

    def _checked(self, edited: CoverageForm, local: list[Problem], found: list[Problem]) -> None:
        self.checking = False
        self.buttons.setEnabled(True)
        local_fields = {problem.field for problem in local}
        mine = [
            problem
            for problem in found
            if problem.field.startswith(f"{self.prefix}.") and problem.field not in local_fields
        ]
        problems = local + mine
        if has_errors(problems):
            self.board.show(problems)
            return
        self.result_coverage = edited
        self.dirty = False
        super().accept()

    def _check_failed(self, error: BaseException) -> None:
        self.checking = False
        self.buttons.setEnabled(True)
        show_error(self, error)

    def reject(self) -> None:
        """Close without keeping the edits, asking first when something changed."""
        if self.checking:
            return
        if not self.dirty:
            super().reject()
            return
        ask(self, "Discard changes?", "Discard the changes to this coverage?", "Discard",
            self._drop)  # fmt: skip

    def _drop(self) -> None:
        self.dirty = False
        super().reject()

    def _load_stored_cards(self, patient_id: uuid.UUID, coverage_id: uuid.UUID) -> None:
        context = self.context

        def work(session: Session, _progress: Progress) -> dict[str, CardImage]:
            return load_cards(session, context, patient_id, coverage_id)

        run_for(self, context, work, self._show_stored_cards)

    def _show_stored_cards(self, cards: dict[str, CardImage]) -> None:
        self.card_front.set_stored(cards.get("front"))
        self.card_back.set_stored(cards.get("back"))

    def _load_eligibility(self, coverage_id: uuid.UUID) -> None:
        self.eligibility.setText("Reading the last eligibility check…")
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> EligibilityCheck | None:
            return eligibility_checks(session, actor, [coverage_id]).get(coverage_id)

        run_for(self, self.context, work, self._show_eligibility)

    def _show_eligibility(self, check: EligibilityCheck | None) -> None:
        if check is None:
            self.eligibility.setText(UNSAVED_ELIGIBILITY)
            self.mark_checked.setEnabled(False)
            return
        self.eligibility.setText(eligibility_text(check))
        self.mark_checked.setEnabled(self.context.can(Permission.PATIENT_EDIT))

    def mark_checked_today(self) -> None:
        """Record that the user confirmed this stored coverage with the payer today."""
        coverage_id = self.original.id
        if coverage_id is None or not self.context.can(Permission.PATIENT_EDIT):
            return
        actor = self.context.actor

        def work(session: Session, _progress: Progress) -> RecordedCheck:
            changes = record_eligibility_check(
                session, actor, coverage_id, practice_now(session).date()
            )
            return RecordedCheck(
                eligibility_checks(session, actor, [coverage_id])[coverage_id], changes
            )

        self.mark_checked.setEnabled(False)
        run_for(self, self.context, work, self._recorded, self._record_failed)

    def _recorded(self, recorded: RecordedCheck) -> None:
        log.info("eligibility check recorded for coverage %s", recorded.check.coverage_id)
        self._show_eligibility(recorded.check)

    def _record_failed(self, error: BaseException) -> None:
        self.mark_checked.setEnabled(True)
        show_error(self, error)
