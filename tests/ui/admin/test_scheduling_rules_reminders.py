"""The Scheduling rules and Reminders Admin tabs, saving through the real services."""

from collections.abc import Callable, Iterator
from decimal import Decimal

import keyring
import pytest
from aiosmtpd.controller import Controller
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.scheduling import ReminderTemplate
from app.services.mailer import KEYRING_SERVICE, smtp_settings
from app.services.scheduling_settings import scheduling_settings
from tests.services.scheduling_find.test_reminders import Inbox, free_port
from ui.admin.page import AdminPage
from ui.admin.scheduling.reminders import RemindersTab
from ui.admin.scheduling.rules import SchedulingRulesTab
from ui.context import AppContext

Settle = Callable[[AppContext], None]


@pytest.fixture
def smtp_server() -> Iterator[tuple[Inbox, int]]:
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


# Tabs live as long as their Admin page, so the pages stay referenced until teardown.
_pages: list[AdminPage] = []


@pytest.fixture(autouse=True)
def _release_pages() -> Iterator[None]:
    yield
    _pages.clear()


def open_tab(qtbot: QtBot, context: AppContext, title: str, settle: Settle) -> object:
    page = AdminPage(context)
    qtbot.addWidget(page)
    _pages.append(page)
    tab = page.open_tab(title)
    settle(context)
    return tab


def test_tabs_follow_scheduling_tabs(qtbot: QtBot, admin_context: AppContext) -> None:
    page = AdminPage(admin_context)
    qtbot.addWidget(page)
    titles = page.tab_titles()
    start = titles.index("Resources") + 1

    assert titles[start : start + 2] == ["Scheduling rules", "Reminders"]


def test_rules_show_defaults(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, "Scheduling rules", settle)
    assert isinstance(tab, SchedulingRulesTab)

    assert tab.policies["provider_overlap"].currentData() == "block"
    assert tab.policies["blockout"].currentData() == "warning"
    assert tab.late_cancel_hours.value() == 24
    assert tab.no_show_fee.text() == ""
    assert tab.grid_minutes.currentData() == 15


def test_rules_saved(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Scheduling rules", settle)
    assert isinstance(tab, SchedulingRulesTab)
    tab.policies["outside_hours"].setCurrentIndex(tab.policies["outside_hours"].findData("block"))
    tab.late_cancel_hours.setValue(48)
    tab.no_show_fee.setText("$35")
    tab.grid_minutes.setCurrentIndex(tab.grid_minutes.findData(10))
    tab.save_button.click()
    settle(admin_context)

    assert tab.status.text().startswith("Saved")
    with database.reading() as session:
        stored = scheduling_settings(session)
    assert stored.policy("outside_hours") == "block"
    assert stored.late_cancel_hours == 48
    assert stored.no_show_fee == Decimal("35.00")
    assert stored.grid_minutes == 10


def test_rules_eligibility_age_saved(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Scheduling rules", settle)
    assert isinstance(tab, SchedulingRulesTab)
    assert tab.eligibility_max_age_days.value() == 30

    tab.eligibility_max_age_days.setValue(14)
    tab.save_button.click()
    settle(admin_context)

    assert tab.status.text().startswith("Saved")
    with database.reading() as session:
        assert scheduling_settings(session).eligibility_max_age_days == 14


def test_rules_bad_fee_beside_field(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Scheduling rules", settle)
    assert isinstance(tab, SchedulingRulesTab)
    tab.no_show_fee.setText("twenty")
    tab.save_button.click()
    settle(admin_context)

    assert "twenty" in tab.form.problem_text("no_show_fee")
    with database.reading() as session:
        assert scheduling_settings(session).no_show_fee is None


def test_rules_zero_fee_rejected(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, "Scheduling rules", settle)
    assert isinstance(tab, SchedulingRulesTab)
    tab.no_show_fee.setText("0")
    tab.save_button.click()
    settle(admin_context)

    assert "above 0" in tab.form.problem_text("no_show_fee")
    assert tab.status.text().startswith("Not saved")


def test_smtp_saved_password_in_keyring(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    box = tab.smtp
    box.host.setText("smtp.example.com")
    box.port.setValue(465)
    box.security.setCurrentIndex(box.security.findData("tls"))
    box.username.setText("desk")
    box.password.setText("s3cret-pass")
    box.from_address.setText("desk@example.com")
    box.save_button.click()
    settle(admin_context)

    assert box.status.text() == "Saved."
    assert box.password.text() == ""
    assert keyring.get_password(KEYRING_SERVICE, "desk") == "s3cret-pass"
    with database.reading() as session:
        stored = smtp_settings(session)
    assert (stored.host, stored.port, stored.security) == ("smtp.example.com", 465, "tls")


def test_smtp_problems_beside_fields(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    tab.smtp.host.setText("smtp example com")
    tab.smtp.from_address.setText("desk.example.com")
    tab.smtp.save_button.click()
    settle(admin_context)

    assert "host" in tab.smtp.form.problem_text("host")
    assert "@" in tab.smtp.form.problem_text("from_address")


def test_test_email_delivered(
    qtbot: QtBot, admin_context: AppContext, settle: Settle, smtp_server: tuple[Inbox, int]
) -> None:
    inbox, port = smtp_server
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    box = tab.smtp
    box.host.setText("127.0.0.1")
    box.port.setValue(port)
    box.security.setCurrentIndex(box.security.findData("none"))
    box.from_address.setText("desk@example.com")
    box.test_address.setText("me@example.com")
    box.test_button.click()
    settle(admin_context)

    assert box.status.text().startswith("Test email sent to me@example.com")
    assert len(inbox.messages) == 1
    assert "ClinicDesk test email" in inbox.messages[0]


def test_test_email_failure_in_words(
    qtbot: QtBot, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    box = tab.smtp
    box.host.setText("127.0.0.1")
    box.port.setValue(free_port())
    box.security.setCurrentIndex(box.security.findData("none"))
    box.from_address.setText("desk@example.com")
    box.test_address.setText("me@example.com")
    box.test_button.click()
    settle(admin_context)

    assert "could not be reached" in box.status.text()
    assert box.test_button.isEnabled()


def test_test_email_needs_address(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    tab.smtp.test_button.click()

    assert "address" in tab.smtp.form.problem_text("test_address")


def test_default_templates_listed(qtbot: QtBot, admin_context: AppContext, settle: Settle) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    box = tab.templates
    names = [box.list.item(index).text() for index in range(box.list.count())]

    assert names == ["Email reminder (Email)", "Letter reminder (Letter)"]
    assert box.name.text() == "Email reminder"
    assert "{first_name}" in box.placeholders.text()


def test_template_edited_and_saved(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    box = tab.templates
    box.list.setCurrentRow(1)
    box.lead_days.setValue(5)
    box.body.setPlainText("Dear {first_name}, see you on {date}.")
    box.save_button.click()
    settle(admin_context)

    assert box.status.text() == "Saved."
    with database.reading() as session:
        letter = session.scalars(
            select(ReminderTemplate).where(ReminderTemplate.channel == "letter")
        ).one()
    assert letter.lead_days == 5
    assert letter.body == "Dear {first_name}, see you on {date}."


def test_template_problems_beside_fields(
    qtbot: QtBot, database: Database, admin_context: AppContext, settle: Settle
) -> None:
    tab = open_tab(qtbot, admin_context, "Reminders", settle)
    assert isinstance(tab, RemindersTab)
    box = tab.templates
    box.new_button.click()
    box.name.setText("Postcard")
    box.channel.setCurrentIndex(box.channel.findData("email"))
    box.body.setPlainText("Hi {first_name}, born {date_of_birth}")
    box.save_button.click()
    settle(admin_context)

    assert "{date_of_birth}" in box.form.problem_text("body")
    assert box.form.problem_text("subject") != ""
    with database.reading() as session:
        assert len(session.scalars(select(ReminderTemplate)).all()) == 2
