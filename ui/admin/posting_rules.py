"""The Posting rules tab: what payment posting does with each adjustment code.

The upper list contains the practice's own rules, which win over the built-in table shown
below it. Managers and administrators add, edit and delete rules; anyone who posts
payments may read them, so a biller can see why posting wrote something off.
"""

import logging
import uuid
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import (
    QComboBox,
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
from app.services import admin_records, posting_rules
from app.services.outcomes import SaveOutcome
from app.services.posting_rules import (
    ACTION_LABELS,
    ANY_REASON,
    GROUP_LABELS,
    PostingRuleForm,
    PostingRuleRow,
)
from ui.admin.common import RecordTable, Work, run_for
from ui.admin.forms import RecordDialog, ask, line
from ui.context import AppContext
from ui.widgets import find_data

log = logging.getLogger(__name__)

ANY_PAYER = "Any payer"
HEADERS = ("Payer", "Group", "Reason", "Action", "Built-in action", "Note")
BUILT_IN_HEADERS = ("Group", "Reason", "Action", "Why")
NO_PERMISSION = (
    "Only managers and administrators change posting rules, because a rule decides what "
    "every later remittance writes off or bills to patients."
)


def _saved_or_raise(outcome: SaveOutcome) -> SaveOutcome:
    # Raising inside the work rolls the unit of work back and shows the problems in the form.
    outcome.raise_if_rejected()
    return outcome


def group_text(group_code: str) -> str:
    """Return "CO: Contractual obligation" for a group code."""
    label = GROUP_LABELS.get(group_code)
    return f"{group_code}: {label}" if label else group_code


def reason_text(reason_code: str) -> str:
    """Return the reason code, or "Any reason" for the wildcard."""
    return "Any reason (*)" if reason_code == ANY_REASON else reason_code


class PostingRuleDialog(RecordDialog):
    """Adds or edits a posting rule, showing the built-in action it replaces."""

    def __init__(
        self,
        context: AppContext,
        rule: PostingRuleRow | None,
        payers: list[tuple[uuid.UUID, str]],
        parent: QWidget | None = None,
    ) -> None:
        title = "Add posting rule" if rule is None else "Edit posting rule"
        super().__init__(context, title, parent)
        self.setObjectName("postingRuleDialog")
        self.rule = rule

        self.payer = QComboBox()
        self.payer.addItem(ANY_PAYER, None)
        for payer_id, name in payers:
            self.payer.addItem(name, payer_id)
        if rule is not None and rule.payer_id is not None:
            if find_data(self.payer, rule.payer_id) < 0:
                # An archived payer's rule keeps its payer until the user picks another.
                self.payer.addItem(rule.payer_name, rule.payer_id)
            self.payer.setCurrentIndex(find_data(self.payer, rule.payer_id))

        self.group = QComboBox()
        for code in GROUP_LABELS:
            self.group.addItem(group_text(code), code)
        self.group.setCurrentIndex(max(0, find_data(self.group, rule.group_code if rule else "CO")))
        self.reason = line(rule.reason_code if rule else "", posting_rules.MAX_REASON_LENGTH)
        self.reason.setPlaceholderText("Such as 45, or * for every reason of the group")
        self.action = QComboBox()
        for action, label in ACTION_LABELS.items():
            self.action.addItem(label, action)
        if rule is not None:
            self.action.setCurrentIndex(max(0, find_data(self.action, rule.action)))
        self.note = line(rule.note if rule else "", posting_rules.MAX_NOTE_LENGTH)

        self.built_in = QLabel()
        self.built_in.setObjectName("subtleText")
        self.built_in.setWordWrap(True)
        self._add_fields()
        self.group.currentIndexChanged.connect(self._show_built_in)
        self.reason.textChanged.connect(self._show_built_in)
        self._show_built_in()
        self.finish_building()

    def _add_fields(self) -> None:
        form = self.form
        form.add_field(
            "payer_id", "P&ayer", self.payer,
            "The payer whose remittances the rule applies to; a payer's rule wins over Any payer",
        )  # fmt: skip
        form.add_field("group_code", "&Group", self.group, "The CAS group code of the adjustment")
        form.add_field(
            "reason_code", "&Reason code", self.reason,
            "The claim adjustment reason code (CARC) as the remittance shows it, or * for all",
        )  # fmt: skip
        form.add_field("action", "A&ction", self.action, "What posting does with the amount")
        form.add_field("note", "&Note", self.note, "Why the practice chose this; billers see it")
        form.layout_.addRow("", self.built_in)

    def _show_built_in(self) -> None:
        group = str(self.group.currentData() or "")
        reason = self.reason.text().strip().upper()
        if not reason:
            self.built_in.setText("Type a reason code to see what posting does without a rule.")
            return
        default = posting_rules.default_action(group, reason)
        hint = posting_rules.denial_hint(reason) if group in ("CO", "PI") else None
        text = f"Without a rule, posting does: {ACTION_LABELS[default]}."
        if hint and reason != ANY_REASON:
            text += f" ({hint})"
        self.built_in.setText(text)

    def build_work(self) -> Work:
        actor = self.context.actor
        payer_id = self.payer.currentData()
        form = PostingRuleForm(
            group_code=str(self.group.currentData() or ""),
            reason_code=self.reason.text(),
            action=str(self.action.currentData() or ""),
            payer_id=payer_id if isinstance(payer_id, uuid.UUID) else None,
            note=self.note.text(),
            rule_id=self.rule.rule_id if self.rule else None,
        )
        return lambda session, _p: _saved_or_raise(posting_rules.save_rule(session, actor, form))


class PostingRulesTab(QWidget):
    """The practice's posting rules with Add, Edit and Delete, and the built-in table."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("postingRulesTab")
        self.context = context
        self.rules: list[PostingRuleRow] = []
        self.payers: list[tuple[uuid.UUID, str]] = []
        self.dialog: QWidget | None = None

        intro = QLabel(
            "Each adjustment on a remittance has a group code and a reason code. Posting "
            "looks up what to do with its amount: a rule for the remittance's payer first, "
            "then a rule for any payer, then the built-in table below."
        )
        intro.setWordWrap(True)
        self.table = RecordTable(HEADERS, "Posting rules")
        self.table.setObjectName("postingRulesTable")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.edit_rule)
        self.table.installEventFilter(self)
        self.add_button = self._button("&Add rule…", self.add_rule)
        self.edit_button = self._button("&Edit…", self.edit_rule)
        self.delete_button = self._button("&Delete", self.delete_rule)
        self.permission_note = QLabel(NO_PERMISSION)
        self.permission_note.setObjectName("subtleText")
        self.permission_note.setWordWrap(True)
        self.empty = QLabel("No rules yet: posting follows the built-in table.")
        self.empty.setObjectName("subtleText")
        self.built_in = RecordTable(BUILT_IN_HEADERS, "Built-in posting table")
        self.built_in.setObjectName("builtInPostingTable")
        self.built_in.set_rows(
            [
                (
                    index,
                    [
                        group_text(row.group_code),
                        reason_text(row.reason_code),
                        ACTION_LABELS[row.action],
                        row.why,
                    ],
                )
                for index, row in enumerate(posting_rules.built_in_rules())
            ]
        )
        self._lay_out(intro)
        self._update_buttons()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _lay_out(self, intro: QLabel) -> None:
        buttons = QHBoxLayout()
        for button in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        built_in_title = QLabel("<b>Built-in table</b> (used when no rule matches)")
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(buttons)
        layout.addWidget(self.permission_note)
        layout.addWidget(self.table, 2)
        layout.addWidget(self.empty)
        layout.addWidget(built_in_title)
        layout.addWidget(self.built_in, 3)

    @staticmethod
    def _button(text: str, slot: Any) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(text.replace("&", "").rstrip("…"))
        button.clicked.connect(slot)
        return button

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.SETTINGS, ChangeKind.PAYERS):
            self.refresh()

    def refresh(self) -> None:
        """Reload the rules and the payers the dialog offers, in the background."""
        if not self.context.user.signed_in:
            return
        actor = self.context.actor

        def work(
            session: Session, _progress: Progress
        ) -> tuple[list[PostingRuleRow], list[tuple[uuid.UUID, str]]]:
            rules = posting_rules.list_rules(session, actor)
            payers = [
                (payer.id, payer.name)
                for payer in admin_records.list_payers(session, actor, include_archived=False)
            ]
            return rules, payers

        run_for(self, self.context, work, self._show, read_only=True)

    def _show(self, loaded: tuple[list[PostingRuleRow], list[tuple[uuid.UUID, str]]]) -> None:
        self.rules, self.payers = loaded
        rows = [
            (
                rule.rule_id,
                [
                    rule.payer_name,
                    group_text(rule.group_code),
                    reason_text(rule.reason_code),
                    rule.action_label,
                    ACTION_LABELS.get(rule.default_action, rule.default_action),
                    rule.note,
                ],
            )
            for rule in self.rules
        ]
        self.table.set_rows(rows)
        self.empty.setVisible(not rows)
        self._update_buttons()

    def selected_rule(self) -> PostingRuleRow | None:
        """Return the selected rule, or None."""
        rule_id = self.table.selected_id()
        return next((rule for rule in self.rules if rule.rule_id == rule_id), None)

    def _update_buttons(self) -> None:
        allowed = self.context.can(posting_rules.RULE_PERMISSION)
        selected = self.selected_rule() is not None
        self.add_button.setEnabled(allowed)
        self.edit_button.setEnabled(allowed and selected)
        self.delete_button.setEnabled(allowed and selected)
        self.permission_note.setVisible(not allowed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        """Open the selected rule when Enter is pressed in the table."""
        if watched is self.table and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit_rule()
                return True
        return super().eventFilter(watched, event)

    def add_rule(self) -> PostingRuleDialog | None:
        """Open the dialog for a new rule and return it."""
        if not self.context.can(Permission.PAYMENT_VOID):
            return None
        return self._open(PostingRuleDialog(self.context, None, self.payers, self))

    def edit_rule(self) -> PostingRuleDialog | None:
        """Open the dialog for the selected rule and return it."""
        rule = self.selected_rule()
        if rule is None or not self.context.can(Permission.PAYMENT_VOID):
            return None
        return self._open(PostingRuleDialog(self.context, rule, self.payers, self))

    def _open(self, dialog: PostingRuleDialog) -> PostingRuleDialog:
        self.dialog = dialog
        dialog.open()
        return dialog

    def delete_rule(self) -> None:
        """Delete the selected rule after asking."""
        rule = self.selected_rule()
        if rule is None:
            return
        actor, rule_id = self.context.actor, rule.rule_id
        default = ACTION_LABELS.get(rule.default_action, rule.default_action)
        question = (
            f"Delete the rule for {rule.group_code}-{rule.reason_code} ({rule.payer_name})? "
            f"Posting then follows the next rule in order, or the built-in action: {default}."
        )

        def delete() -> None:
            run_for(
                self,
                self.context,
                lambda session, _p: posting_rules.delete_rule(session, actor, rule_id),
            )

        ask(self, "Delete posting rule", question, "Delete", delete)
