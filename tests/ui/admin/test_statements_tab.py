"""The Statements Admin tab: notice levels and statement settings, saved through the services."""

from collections.abc import Callable
from decimal import Decimal

import pytest
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services.notice_levels import list_levels
from app.services.statement_settings import StatementSettings, statement_settings
from tests.ui.admin.conftest import add_user
from ui.admin.statements import COLLECTIONS_MESSAGE_NOTE, StatementsTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]


def open_tab(qtbot: QtBot, context: AppContext, settle: Settle) -> StatementsTab:
    tab = StatementsTab(context)
    qtbot.addWidget(tab)
    settle(context)
    return tab


def stored_levels(database: Database) -> dict[str, tuple[str, int, str, bool]]:
    with database.reading() as session:
        return {
            level.code: (level.label, level.days_after_previous, level.message, level.active)
            for level in list_levels(session)
        }


def stored_settings(database: Database) -> StatementSettings:
    with database.reading() as session:
        return statement_settings(session)


def test_tab_shows_defaults(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, settle)

    assert list(tab.levels) == ["statement", "second", "third", "final", "collections"]
    assert tab.levels["statement"].label.text() == "Statement"
    assert tab.levels["second"].label.text() == "2nd notice"
    assert tab.levels["second"].days.value() == 30
    assert "collection agency" in tab.levels["final"].message.toPlainText()
    assert all(row.active.isChecked() for row in tab.levels.values())
    assert tab.minimum_balance.text() == "5.00"
    assert tab.due_days.value() == 21
    assert tab.email_password.currentData() == "dob"
    assert "03071980" in tab.email_password.currentText()
    assert tab.retry_minutes.value() == 30
    assert tab.max_attempts.value() == 5
    assert tab.save_button.isEnabled()
    assert tab.permission_note.isHidden()


def test_save_stores_levels_and_settings(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    second = tab.levels["second"]
    second.label.setText("Second notice")
    second.days.setValue(28)
    second.message.setPlainText("Please pay your past-due balance.")
    tab.levels["third"].active.setChecked(False)
    tab.minimum_balance.setText("$10")
    tab.due_days.setValue(14)
    tab.payment_options.setPlainText("Pay online or at the front desk.")
    tab.email_password.setCurrentIndex(tab.email_password.findData("account"))
    tab.retry_minutes.setValue(45)
    tab.max_attempts.setValue(3)
    assert tab.status.text() == "Not saved yet."

    tab.save_button.click()
    settle(admin_context)

    assert tab.status.text().startswith("Saved")
    levels = stored_levels(database)
    assert levels["second"] == ("Second notice", 28, "Please pay your past-due balance.", True)
    assert levels["third"][3] is False
    assert levels["statement"][0] == "Statement"
    settings = stored_settings(database)
    assert settings.minimum_balance == Decimal("10.00")
    assert settings.due_days == 14
    assert settings.payment_options == "Pay online or at the front desk."
    assert settings.email_password == "account"
    assert settings.retry_minutes == 45
    assert settings.max_attempts == 3


def test_saved_values_shown_again(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.levels["final"].days.setValue(45)
    tab.email_password.setCurrentIndex(tab.email_password.findData("account"))
    tab.save_button.click()
    settle(admin_context)

    again = open_tab(qtbot, admin_context, settle)

    assert again.levels["final"].days.value() == 45
    assert again.email_password.currentData() == "account"
    assert again.status.text() == ""


def test_bad_minimum_beside_field(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.minimum_balance.setText("five")
    tab.due_days.setValue(30)
    tab.save_button.click()
    settle(admin_context)

    assert "five" in tab.form.problem_text("minimum_balance")
    assert tab.status.text().startswith("Not saved")
    assert stored_settings(database).due_days == 21


def test_level_problems_under_rows(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.levels["statement"].active.setChecked(False)
    tab.levels["second"].label.setText("")
    tab.levels["third"].days.setValue(20)
    tab.payment_options.setPlainText("")
    tab.save_button.click()
    settle(admin_context)

    assert "cannot be turned off" in tab.level_problem_text("statement")
    assert "label is missing" in tab.level_problem_text("second")
    assert tab.level_problem_text("third") == ""
    assert tab.levels["second"].label.property("invalid") is True
    assert "payment options are missing" in tab.form.problem_text("payment_options")
    assert tab.status.text().startswith("Not saved")
    # One problem stops the whole save, so the valid third level was not stored either.
    assert stored_levels(database)["third"][1] == 30


def test_editing_clears_level_problem(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.levels["second"].label.setText("")
    tab.save_button.click()
    settle(admin_context)
    assert tab.level_problem_text("second") != ""

    qtbot.keyClicks(tab.levels["second"].label, "Past due")

    assert tab.level_problem_text("second") == ""
    assert tab.levels["second"].label.property("invalid") is False


def test_duplicate_label_rejected(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.levels["third"].label.setText("2nd notice")
    tab.save_button.click()
    settle(admin_context)

    assert "already used by the second level" in tab.level_problem_text("third")
    assert stored_levels(database)["third"][0] == "3rd notice"


def test_revert_drops_edits(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.levels["second"].label.setText("Changed")
    tab.due_days.setValue(60)

    tab.revert_button.click()
    settle(admin_context)

    assert tab.levels["second"].label.text() == "2nd notice"
    assert tab.due_days.value() == 21


@pytest.mark.parametrize("role", [Role.BILLER, Role.MANAGER])
def test_non_admin_cannot_save(  # noqa: PLR0917 (pytest passes fixtures by position)
    qtbot: QtBot,
    database: Database,
    admin_actor: Actor,
    context_for: Callable[[Actor], AppContext],
    settle: Settle,
    role: Role,
) -> None:
    user = add_user(database, admin_actor, role.value.replace("_", ""), role)
    tab = open_tab(qtbot, context_for(user), settle)

    assert not tab.save_button.isEnabled()
    assert tab.permission_note.isVisibleTo(tab)
    assert tab.levels["statement"].label.text() == "Statement"
    # Read-only: every field is disabled, so none invites typing that cannot be saved.
    fields = [*tab.form.fields.values()]
    for row in tab.levels.values():
        fields += [row.label, row.days, row.message, row.active]
    assert len(fields) == 27
    for field in fields:
        assert not field.isEnabled(), field.accessibleName()


def test_admin_fields_editable(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, settle)

    for field in [*tab.form.fields.values(), tab.levels["second"].message]:
        assert field.isEnabled(), field.accessibleName()


def test_collections_message_marked_not_printed(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, settle)
    tab.show()
    collections = tab.levels["collections"]

    assert not collections.message.isVisibleTo(tab)
    assert collections.message_cell.isVisibleTo(tab)
    assert collections.message_cell.text() == COLLECTIONS_MESSAGE_NOTE  # type: ignore[attr-defined]
    assert COLLECTIONS_MESSAGE_NOTE.startswith("Not printed: ")
    assert tab.levels["final"].message.isVisibleTo(tab)


def test_disabled_fields_grayed(
    qtbot: QtBot,
    database: Database,
    admin_actor: Actor,
    context_for: Callable[[Actor], AppContext],
    settle: Settle,
) -> None:
    user = add_user(database, admin_actor, "biller", Role.BILLER)
    tab = open_tab(qtbot, context_for(user), settle)
    tab.resize(1000, 700)
    tab.show()
    qtbot.waitExposed(tab)

    # A disabled text box is drawn on the gray of a disabled line edit, not on white.
    box = tab.levels["second"].message
    pixel = box.grab().toImage().pixelColor(box.width() // 2, box.height() - 6)
    assert pixel.name() == "#eef1f4"
