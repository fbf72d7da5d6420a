"""The Today page's reminder buttons: send through real SMTP, save the printed PDFs."""

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from pypdf import PdfReader
from pytestqt.qtbot import QtBot
from sqlalchemy import select

from app.db.database import Database
from app.models.scheduling import Reminder
from app.security.permissions import Actor
from app.services.mailer import SmtpSettings, save_smtp_settings
from app.services.reminders import ensure_default_templates
from app.services.today import practice_today
from tests.helpers.schedule_rows import add_visit, patients, providers
from tests.services.scheduling_find.test_reminders import Inbox, free_port
from tests.ui.conftest import settle, sign_in_as
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.pages.today import TodayPage
from ui.schedule.reminder_actions import ReminderButtons


@pytest.fixture
def admin(demo_database: Database, workstation: str) -> Actor:
    """The demo administrator, with one emailed, one lettered and one called visit tomorrow."""
    actor = sign_in_as(demo_database, "admin", workstation)
    with demo_database.transaction() as session:
        ensure_default_templates(session, actor)
        tomorrow = datetime.combine(practice_today(session) + timedelta(days=1), time(23, 0))
        emailed, lettered, called = patients(session)[:3]
        for person in (emailed, lettered, called):
            person.reminder_consent = False
            person.preferred_contact = None
            person.email = None
        emailed.reminder_consent, emailed.email = True, "pat@example.com"
        lettered.address_line1, lettered.city, lettered.zip_code = "1 Elm St", "Evanston", "60201"
        called.preferred_contact, called.phone = "phone", "+18475550199"
        for offset, person in enumerate((emailed, lettered, called)):
            add_visit(
                session, providers(session)[0], person.id, tomorrow + timedelta(minutes=offset)
            )
    return actor


@pytest.fixture
def inbox(demo_database: Database, admin: Actor) -> Iterator[Inbox]:
    """A local SMTP server that the practice's email settings point at."""
    received = Inbox()
    port = free_port()
    controller = Controller(received, hostname="127.0.0.1", port=port)
    controller.start()
    with demo_database.transaction() as session:
        settings = SmtpSettings("127.0.0.1", port, "none", "", "desk@example.com")
        save_smtp_settings(session, admin, settings)
    yield received
    controller.stop()


def buttons_for(
    qtbot: QtBot, database: Database, ops: OperationRunner, actor: Actor
) -> ReminderButtons:
    context = AppContext(database, ops, SignedInUser(actor), actor.workstation)
    widget = ReminderButtons(context, lambda: None)
    qtbot.addWidget(widget)
    return widget


def test_send_reports_counts(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, admin: Actor, inbox: Inbox
) -> None:
    widget = buttons_for(qtbot, demo_database, ops, admin)
    widget.send_button.click()
    settle(qtbot, ops)

    assert inbox.messages
    assert any("pat@example.com" in message for message in inbox.messages)
    assert widget.status.text().startswith("Queued ")
    assert f"Sent {len(inbox.messages)} email" in widget.status.text()


def test_send_without_email_setup(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, admin: Actor
) -> None:
    widget = buttons_for(qtbot, demo_database, ops, admin)
    widget.send_button.click()
    settle(qtbot, ops)

    assert "Email is not set up" in widget.status.text()
    with demo_database.reading() as session:
        emails = session.scalars(select(Reminder.status).where(Reminder.channel == "email"))
        assert set(emails) == {"queued"}


def test_print_call_list_saved(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, admin: Actor, tmp_path: Path
) -> None:
    widget = buttons_for(qtbot, demo_database, ops, admin)
    path = tmp_path / "calls.pdf"
    widget.print_calls(path)
    settle(qtbot, ops)

    assert widget.status.text().startswith("Saved calls.pdf with ")
    assert "(847) 555-0199" in PdfReader(path).pages[0].extract_text()


def test_print_letters_marks_sent(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, admin: Actor, tmp_path: Path
) -> None:
    widget = buttons_for(qtbot, demo_database, ops, admin)
    path = tmp_path / "letters.pdf"
    widget.print_letters(path)
    settle(qtbot, ops)

    assert "now marked sent" in widget.status.text()
    assert "1 ELM ST" in "".join(page.extract_text() for page in PdfReader(path).pages)
    with demo_database.reading() as session:
        letters = session.scalars(select(Reminder.status).where(Reminder.channel == "letter"))
        assert set(letters) == {"sent"}


def test_print_failure_in_words(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, admin: Actor, tmp_path: Path
) -> None:
    widget = buttons_for(qtbot, demo_database, ops, admin)
    widget.print_calls(tmp_path / "missing" / "calls.pdf")
    settle(qtbot, ops)

    assert "does not exist" in widget.status.text()


def test_today_page_has_buttons(
    qtbot: QtBot, demo_database: Database, ops: OperationRunner, admin: Actor
) -> None:
    context = AppContext(demo_database, ops, SignedInUser(admin), admin.workstation)
    page = TodayPage(context)
    qtbot.addWidget(page)
    settle(qtbot, ops)
    texts = [
        button.text()
        for button in (
            page.reminders.send_button,
            page.reminders.calls_button,
            page.reminders.letters_button,
        )
    ]

    assert texts == ["Send reminders", "Print call list", "Print letters"]
    assert not page.reminders.send_button.isHidden()
