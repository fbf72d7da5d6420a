"""The Claims page's filter bar and aging strip.

The filter bar builds the service's WorklistFilter, except for the age: the page filters
by aging bucket itself, so the aging strip can keep counting every bucket while one of
them is chosen.
"""

import logging
import uuid
from collections.abc import Sequence
from decimal import Decimal

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QWidget,
)

from app.money import format_money
from app.services.claim_status import STATUS_LABELS
from app.services.claim_worklist import AGING_BUCKETS, WorklistFilter
from ui.patient.fields import parse_money
from ui.widgets import find_data

log = logging.getLogger(__name__)

NEEDS_WORK = "needs_work"
# Typing pauses this long before the list reloads, so each key press does not query.
TYPING_DELAY_MS = 300
AMOUNT_HINT = "Type an amount such as 125 or 1,250.00, or leave it empty."

Choice = tuple[uuid.UUID, str]


def _combo(name: str, accessible_name: str) -> QComboBox:
    combo = QComboBox()
    combo.setObjectName(name)
    combo.setAccessibleName(accessible_name)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


def _fill(combo: QComboBox, first: str, choices: Sequence[Choice]) -> None:
    """Replace the items with `first` (no filter) and `choices`, keeping the chosen id."""
    chosen = combo.currentData()
    combo.blockSignals(True)
    combo.clear()
    combo.addItem(first, None)
    for record_id, label in choices:
        combo.addItem(label, record_id)
    combo.setCurrentIndex(max(find_data(combo, chosen), 0))
    combo.blockSignals(False)


class FilterBar(QWidget):
    """Status, payer, provider, assigned user, age, amount range and a search box.

    `changed` is emitted after each choice, and after a pause in typing. The search box
    and its `find_label` are laid out by the page.
    """

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("claimFilters")
        self.status = _combo("claimStatusFilter", "Claim status")
        self.status.addItem("Needs work", NEEDS_WORK)
        self.status.addItem("All", None)
        for status, label in STATUS_LABELS.items():
            self.status.addItem(label, status.value)
        self.status.setToolTip("Needs work: claims on hold, rejected, denied or due for follow-up.")
        self.payer = _combo("claimPayerFilter", "Payer")
        self.provider = _combo("claimProviderFilter", "Provider")
        self.assigned = _combo("claimAssignedFilter", "Assigned to")
        _fill(self.payer, "All payers", [])
        _fill(self.provider, "All providers", [])
        _fill(self.assigned, "Anyone", [])
        self.age = _combo("claimAgeFilter", "Age in days")
        self.age.addItem("Any age", None)
        for bucket in AGING_BUCKETS:
            self.age.addItem(f"{bucket} days", bucket)
        self.min_amount = self._amount_box("claimMinAmount", "Smallest amount", "From $")
        self.max_amount = self._amount_box("claimMaxAmount", "Largest amount", "To $")
        self.search = QLineEdit()
        self.search.setObjectName("claimSearch")
        self.search.setPlaceholderText("Claim number, patient or chart")
        self.search.setAccessibleName("Find claims by claim number, patient name or chart")
        self.search.setClearButtonEnabled(True)
        self.problem = QLabel()
        self.problem.setObjectName("fieldProblem")
        self.problem.setVisible(False)

        self.typing = QTimer(self)
        self.typing.setSingleShot(True)
        self.typing.setInterval(TYPING_DELAY_MS)
        self.typing.timeout.connect(self._typed)
        for combo in (self.status, self.payer, self.provider, self.assigned, self.age):
            combo.currentIndexChanged.connect(lambda _index: self.changed.emit())
        for box in (self.search, self.min_amount, self.max_amount):
            box.textEdited.connect(lambda _text: self.typing.start())
        self._lay_out()

    @staticmethod
    def _amount_box(name: str, accessible_name: str, placeholder: str) -> QLineEdit:
        box = QLineEdit()
        box.setObjectName(name)
        box.setAccessibleName(accessible_name)
        box.setPlaceholderText(placeholder)
        box.setMaximumWidth(110)
        box.setToolTip(AMOUNT_HINT)
        return box

    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        captioned = (
            ("&Status", self.status),
            ("Pa&yer", self.payer),
            ("Pro&vider", self.provider),
            ("Assigned &to", self.assigned),
            ("A&ge", self.age),
        )
        for column, (caption, widget) in enumerate(captioned):
            label = QLabel(caption)
            label.setBuddy(widget)
            grid.addWidget(label, 0, column)
            grid.addWidget(widget, 1, column)
        amount_label = QLabel("A&mount")
        amount_label.setBuddy(self.min_amount)
        amounts = QHBoxLayout()
        amounts.addWidget(self.min_amount)
        amounts.addWidget(QLabel("to"))
        amounts.addWidget(self.max_amount)
        grid.addWidget(amount_label, 0, len(captioned))
        grid.addLayout(amounts, 1, len(captioned))
        # The search box sits in the page's title row, where it has the width it needs.
        self.find_label = QLabel("&Find")
        self.find_label.setBuddy(self.search)
        grid.setColumnStretch(len(captioned) + 1, 1)
        grid.addWidget(self.problem, 2, 0, 1, len(captioned) + 2)

    def focus_order(self) -> list[QWidget]:
        """Return the inputs in Tab order: the search box, then the filters left to right."""
        return [
            self.search, self.status, self.payer, self.provider, self.assigned, self.age,
            self.min_amount, self.max_amount,
        ]  # fmt: skip

    def _typed(self) -> None:
        self.changed.emit()

    def set_choices(
        self, payers: Sequence[Choice], providers: Sequence[Choice], users: Sequence[Choice]
    ) -> None:
        """Offer these payers, providers and users, keeping what is chosen when still offered."""
        _fill(self.payer, "All payers", payers)
        _fill(self.provider, "All providers", providers)
        _fill(self.assigned, "Anyone", users)

    def amount_problem(self) -> str | None:
        """Return what is wrong with the typed amount range, or None when it can be used."""
        low_text, high_text = self.min_amount.text().strip(), self.max_amount.text().strip()
        low, high = parse_money(low_text), parse_money(high_text)
        if low_text and low is None:
            return f"The smallest amount {low_text!r} is not an amount. {AMOUNT_HINT}"
        if high_text and high is None:
            return f"The largest amount {high_text!r} is not an amount. {AMOUNT_HINT}"
        if low is not None and high is not None and low > high:
            return (
                f"The smallest amount {format_money(low)} is more than the largest "
                f"{format_money(high)}; swap them or clear one."
            )
        return None

    def show_problem(self, message: str | None) -> None:
        """Show `message` under the bar (None hides it)."""
        self.problem.setText(message or "")
        self.problem.setVisible(message is not None)

    def worklist_filter(self) -> WorklistFilter:
        """Return the service filter for the choices made (the age is left to the page).

        An amount that cannot be read is left out; `amount_problem` says why.
        """
        status = self.status.currentData()
        statuses = frozenset({status}) if status not in (None, NEEDS_WORK) else frozenset()
        return WorklistFilter(
            statuses=statuses,
            payer_id=self.payer.currentData(),
            provider_id=self.provider.currentData(),
            min_amount=parse_money(self.min_amount.text()),
            max_amount=parse_money(self.max_amount.text()),
            assigned_to=self.assigned.currentData(),
            text=self.search.text().strip(),
            needs_work=status == NEEDS_WORK,
        )

    def age_bucket(self) -> str | None:
        """Return the chosen aging bucket, such as "31-60", or None for any age."""
        bucket = self.age.currentData()
        return bucket if isinstance(bucket, str) else None

    def set_age_bucket(self, bucket: str | None) -> None:
        """Choose an aging bucket (None for any age); emits `changed`."""
        self.age.setCurrentIndex(max(find_data(self.age, bucket), 0))

    def set_status(self, status: str | None) -> None:
        """Choose a claim status value, "needs_work" or None (all)."""
        self.status.setCurrentIndex(max(find_data(self.status, status), 0))

    def focus_search(self) -> None:
        """Put the cursor in the search box with its text selected."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()


class AgingStrip(QWidget):
    """One button per aging bucket with its claim count and amount; a click filters by it."""

    bucket_clicked = Signal(object)  # the bucket, or None when the chosen one is clicked again

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("agingStrip")
        self.buttons: dict[str, QPushButton] = {}
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        caption = QLabel("Age in days:")
        caption.setObjectName("subtleText")
        layout.addWidget(caption)
        for bucket in AGING_BUCKETS:
            button = QPushButton(bucket)
            button.setObjectName("agingBucket")
            button.setCheckable(True)
            button.setAccessibleName(f"Claims {bucket} days old")
            button.setToolTip(f"Show only claims {bucket} days old (click again for all ages)")
            button.clicked.connect(lambda _checked=False, chosen=bucket: self._clicked(chosen))
            self.buttons[bucket] = button
            layout.addWidget(button, 1)
        self.setStyleSheet(
            "QPushButton#agingBucket { text-align: left; padding: 4px 10px; }"
            "QPushButton#agingBucket:checked { background: #dbe8f5; border: 2px solid #2f6ea5; }"
        )

    def _clicked(self, bucket: str) -> None:
        active = self.buttons[bucket].isChecked()
        self.bucket_clicked.emit(bucket if active else None)

    def show_summary(self, summary: Sequence[tuple[str, int, Decimal]], active: str | None) -> None:
        """Show each bucket's count and amount, and mark the `active` one."""
        totals = {bucket: (count, amount) for bucket, count, amount in summary}
        for bucket, button in self.buttons.items():
            count, amount = totals.get(bucket, (0, Decimal("0.00")))
            noun = "claim" if count == 1 else "claims"
            button.setText(f"{bucket}\n{count} {noun} · {format_money(amount)}")
            button.setChecked(bucket == active)
