"""The Users tab: accounts, roles, password resets, lockouts and two-step sign-in."""

import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Role
from app.security.totp import disable_totp
from app.services import users
from app.services.users import UserSummary
from ui.admin.common import RecordTable, Work, format_instant, load_zone, run_for
from ui.admin.forms import RecordDialog, ask
from ui.admin.totp import TotpEnrollmentDialog
from ui.context import AppContext

log = logging.getLogger(__name__)

HEADERS = ("User name", "Name", "Role", "Status", "Two-step sign-in", "Last sign-in")


@dataclass(frozen=True)
class UserListing:
    """The user accounts and the zone their sign-in times are shown in."""

    users: list[UserSummary]
    zone: ZoneInfo | None


def user_status(user: UserSummary) -> str:
    """Return the status word shown for an account: Active, Locked or Archived."""
    if user.archived:
        return "Archived"
    if user.locked:
        return "Locked"
    return "Active"


def role_combo(selected: Role = Role.FRONT_DESK) -> QComboBox:
    """Return a combo box listing every role, with `selected` chosen."""
    combo = QComboBox()
    for role in Role:
        combo.addItem(role.label, role)
    combo.setCurrentIndex(list(Role).index(selected))
    return combo


def password_field() -> QLineEdit:
    """Return a masked line edit for a password."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


def mismatch_problems(password: str, repeated: str) -> list[Problem]:
    """Return a problem on the repeat field when the two passwords differ."""
    if password == repeated:
        return []
    return [Problem("repeat_password", "The two passwords differ. Type the same password twice.")]


class UserDialog(RecordDialog):
    """Adds an account (user name, name, role, first password) or edits name and role."""

    def __init__(
        self, context: AppContext, user: UserSummary | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(context, "Add user" if user is None else "Edit user", parent)
        self.user = user
        self.username = QLineEdit(user.username if user else "")
        self.username.setReadOnly(user is not None)
        self.display_name = QLineEdit(user.display_name if user else "")
        self.role = role_combo(user.role if user else Role.FRONT_DESK)
        self.password = password_field()
        self.repeat_password = password_field()
        form = self.form
        form.add_field("username", "&User name", self.username, "3 to 40 letters, digits, . - _")
        form.add_field("display_name", "&Name", self.display_name, "As shown on screens")
        form.add_field("role", "&Role", self.role)
        if user is None:
            form.add_field("password", "&Password", self.password)
            form.add_field("repeat_password", "Repeat pass&word", self.repeat_password)
        self.finish_building()

    def local_problems(self) -> list[Problem]:
        if self.user is not None:
            return []
        return mismatch_problems(self.password.text(), self.repeat_password.text())

    def build_work(self) -> Work:
        actor = self.context.actor
        username, name = self.username.text(), self.display_name.text()
        role = Role(self.role.currentData())
        password = self.password.text()
        existing = self.user
        if existing is None:
            return lambda session, _progress: users.create_user(
                session, actor, username, name, role, password
            )
        return lambda session, _progress: users.update_user(session, actor, existing.id, name, role)


class ResetPasswordDialog(RecordDialog):
    """Sets a temporary password that the user must change at the next sign-in."""

    def __init__(self, context: AppContext, user: UserSummary, parent: QWidget | None = None):
        super().__init__(context, f"Reset password for {user.username}", parent)
        self.user = user
        self.password = password_field()
        self.repeat_password = password_field()
        explain = QLabel(
            "The user signs in once with this temporary password and then chooses a new one."
        )
        explain.setWordWrap(True)
        self.layout().insertWidget(0, explain)
        self.form.add_field("password", "New &password", self.password)
        self.form.add_field("repeat_password", "Repeat pass&word", self.repeat_password)
        self.finish_building()

    def local_problems(self) -> list[Problem]:
        return mismatch_problems(self.password.text(), self.repeat_password.text())

    def build_work(self) -> Work:
        actor, user_id, password = self.context.actor, self.user.id, self.password.text()
        return lambda session, _progress: users.reset_password(session, actor, user_id, password)


class UsersTab(QWidget):
    """Lists accounts and offers every account action an administrator needs."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.listing = UserListing([], None)
        self.show_archived = QCheckBox("Show &archived")
        self.show_archived.setAccessibleName("Show archived users")
        self.show_archived.toggled.connect(self.refresh)
        self.table = RecordTable(HEADERS, "Users")
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self.table.doubleClicked.connect(self.edit_user)
        self.buttons = self._build_buttons()
        layout = QVBoxLayout(self)
        layout.addLayout(self._button_row())
        layout.addWidget(self.table)
        self._update_buttons()
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _build_buttons(self) -> dict[str, QPushButton]:
        actions = {
            "add": ("&Add user…", self.add_user),
            "edit": ("&Edit…", self.edit_user),
            "reset_password": ("Reset &password…", self.reset_password),
            "unlock": ("&Unlock", self.unlock_user),
            "reset_totp": ("Reset &two-step sign-in", self.reset_totp),
            "archive": ("Archi&ve", self.archive_user),
            "enroll": ("Set up my two-step sign-in…", self.enroll_self),
        }
        buttons = {}
        for key, (text, slot) in actions.items():
            button = QPushButton(text)
            button.setAccessibleName(text.replace("&", "").rstrip("…"))
            button.clicked.connect(slot)
            buttons[key] = button
        return buttons

    def _button_row(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for key in ("add", "edit", "reset_password", "unlock", "reset_totp", "archive"):
            row.addWidget(self.buttons[key])
        row.addStretch(1)
        row.addWidget(self.show_archived)
        row.addWidget(self.buttons["enroll"])
        return row

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.USERS, ChangeKind.PRACTICE):
            self.refresh()

    def refresh(self) -> None:
        """Reload the accounts in the background."""
        actor, archived = self.context.actor, self.show_archived.isChecked()

        def work(session: Session, _progress: Progress) -> UserListing:
            found = users.list_users(session, actor, include_archived=archived)
            return UserListing(found, load_zone(session))

        run_for(self, self.context, work, self._show)

    def _show(self, listing: UserListing) -> None:
        self.listing = listing
        rows = [(user.id, self._cells(user, listing.zone)) for user in listing.users]
        self.table.set_rows(rows)
        self._update_buttons()

    @staticmethod
    def _cells(user: UserSummary, zone: ZoneInfo | None) -> list[str]:
        return [
            user.username,
            user.display_name,
            user.role.label,
            user_status(user),
            "On" if user.totp_enabled else "Off",
            format_instant(user.last_sign_in_at, zone) or "Never",
        ]

    def selected_user(self) -> UserSummary | None:
        """Return the account selected in the table, or None."""
        user_id = self.table.selected_id()
        return next((user for user in self.listing.users if user.id == user_id), None)

    def _update_buttons(self) -> None:
        user = self.selected_user()
        active = user is not None and not user.archived
        self.buttons["edit"].setEnabled(active)
        self.buttons["reset_password"].setEnabled(active)
        self.buttons["unlock"].setEnabled(active and user is not None and user.locked)
        self.buttons["reset_totp"].setEnabled(active and user is not None and user.totp_enabled)
        self.buttons["archive"].setEnabled(active and user.id != self.context.actor.user_id)
        self.buttons["enroll"].setEnabled(self.context.actor.user_id is not None)

    def add_user(self) -> None:
        """Open the Add user dialog."""
        UserDialog(self.context, None, self).open()

    def edit_user(self) -> None:
        """Open the Edit dialog for the selected account."""
        user = self.selected_user()
        if user is not None and not user.archived:
            UserDialog(self.context, user, self).open()

    def reset_password(self) -> None:
        """Open the Reset password dialog for the selected account."""
        user = self.selected_user()
        if user is not None:
            ResetPasswordDialog(self.context, user, self).open()

    def unlock_user(self) -> None:
        """End the selected account's lockout now."""
        user = self.selected_user()
        if user is None:
            return
        actor, user_id = self.context.actor, user.id
        run_for(self, self.context, lambda s, _p: users.unlock_user(s, actor, user_id))

    def reset_totp(self) -> None:
        """Turn off two-step sign-in for the selected account, after asking."""
        user = self.selected_user()
        if user is None:
            return
        actor, user_id = self.context.actor, user.id
        text = (
            f"Turn off two-step sign-in for {user.username}? They sign in with their password "
            "alone until they set it up again."
        )

        def turn_off() -> None:
            run_for(self, self.context, lambda s, _p: disable_totp(s, actor, user_id))

        ask(self, "Reset two-step sign-in", text, "Turn off", turn_off)

    def archive_user(self) -> None:
        """Archive the selected account, after asking."""
        user = self.selected_user()
        if user is None:
            return
        actor, user_id = self.context.actor, user.id
        text = (
            f"Archive {user.username}? The account can no longer sign in. "
            "Its history stays in the audit log."
        )

        def archive() -> None:
            run_for(self, self.context, lambda s, _p: users.archive_user(s, actor, user_id))

        ask(self, "Archive user", text, "Archive", archive)

    def enroll_self(self) -> None:
        """Start two-step sign-in set-up for the signed-in user."""
        TotpEnrollmentDialog.start(self.context, self)
