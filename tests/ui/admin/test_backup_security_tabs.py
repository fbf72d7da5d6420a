"""The Backups, Security and Emergency access tabs against a real database."""

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security import emergency
from app.security.permissions import Actor, Permission, Role
from app.services.settings import backup_settings, security_settings
from tests.ui.admin.conftest import add_user
from ui.admin import AdminPage
from ui.admin.backups import BackupsTab
from ui.admin.emergency import EmergencyTab, ReviewDialog
from ui.admin.security import SecurityTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]
ContextFor = Callable[[Actor], AppContext]


def open_page(qtbot: QtBot, context: AppContext, settle: Settle) -> AdminPage:
    page = AdminPage(context)
    qtbot.addWidget(page)
    settle(context)
    return page


def test_back_up_now_lists_backup(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    page = open_page(qtbot, admin_context, settle)
    tab = page.open_tab("Backups")
    assert isinstance(tab, BackupsTab)
    settle(admin_context)
    assert tab.last_label.text().startswith("No verified backup")

    tab.backup_button.click()
    settle(admin_context)

    assert tab.table.column_texts(3) == ["Verified"]
    assert tab.last_label.text().startswith("Finished")
    assert tab.result_label.text().startswith("Backup verified")
    backups = list((database.path.parent / "backups").glob("*.db"))
    assert [path.name for path in backups] == tab.table.column_texts(1)


def test_backup_settings_saved(
    qtbot: QtBot,
    database: Database,
    admin_context: AppContext,
    settle: Settle,
    tmp_path: Path,
) -> None:
    page = open_page(qtbot, admin_context, settle)
    tab = page.open_tab("Backups")
    assert isinstance(tab, BackupsTab)
    settle(admin_context)

    tab.folder.setText(str(tmp_path / "offsite"))
    tab.keep_last.setValue(7)
    tab.save_button.click()
    settle(admin_context)

    with database.transaction() as session:
        stored = backup_settings(session)
    assert stored.folder == str(tmp_path / "offsite")
    assert stored.keep_last == 7


def test_backup_folder_must_be_full_path(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    page = open_page(qtbot, admin_context, settle)
    tab = page.open_tab("Backups")
    assert isinstance(tab, BackupsTab)
    settle(admin_context)

    tab.folder.setText("backups")
    tab.save_button.click()

    assert "not a full path" in tab.settings_status.text()
    assert not admin_context.ops.busy


def test_manager_cannot_edit_backup_settings(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: ContextFor, settle: Settle
) -> None:
    context = context_for(add_user(database, admin_actor, "manager", Role.MANAGER))
    page = open_page(qtbot, context, settle)
    tab = page.open_tab("Backups")
    assert isinstance(tab, BackupsTab)

    assert tab.backup_button.isEnabled()
    assert not tab.save_button.isEnabled()


def test_security_settings_saved(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    page = open_page(qtbot, admin_context, settle)
    tab = page.open_tab("Security")
    assert isinstance(tab, SecurityTab)
    settle(admin_context)
    assert tab.inputs["idle_lock_minutes"].value() == 10

    tab.inputs["idle_lock_minutes"].setValue(3)
    tab.inputs["password_min_length"].setValue(12)
    tab.save_button.click()
    settle(admin_context)

    with database.transaction() as session:
        stored = security_settings(session)
    assert stored.idle_lock_minutes == 3
    assert stored.password_min_length == 12
    assert stored.lockout_attempts == 5
    assert tab.status.text() == "Saved."


def test_review_emergency_grant(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    clerk = add_user(database, admin_context.actor, "clerk", Role.FRONT_DESK)
    with database.transaction() as session:
        emergency.grant_emergency_access(
            session, clerk, Permission.PATIENT_VIEW_SSN, "Hospital called for the SSN on file"
        )
    page = open_page(qtbot, admin_context, settle)
    tab = page.open_tab("Emergency access")
    assert isinstance(tab, EmergencyTab)
    settle(admin_context)
    assert tab.table.column_texts(0) == ["clerk"]

    tab.table.selectRow(0)
    tab.review_button.click()
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None
    dialog.accept()
    settle(admin_context)
    assert "Write what you checked" in dialog.form.problem_text("note")

    qtbot.keyClicks(dialog.note, "Confirmed with the hospital")
    dialog.accept()
    settle(admin_context)

    assert tab.table.rowCount() == 0
    tab.show_reviewed.setChecked(True)
    settle(admin_context)
    assert tab.table.column_texts(7) == ["Confirmed with the hospital"]
