"""Printed reminders: the call list and window-envelope letters, read back with pypdf."""

from collections.abc import Iterator
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from app.db.database import Database
from app.errors import FileWriteError
from app.models.scheduling import Reminder, ReminderAttempt
from app.models.security import AuditEvent
from app.security.permissions import system_actor
from app.services.reminder_printing import print_call_list, print_reminder_letters
from app.services.reminders import ensure_default_templates, queue_due_reminders
from tests.helpers.schedule_rows import MONDAY, add_visit, demo_practice, patients, providers

ACTOR = system_actor("TST")
NOW = datetime.combine(MONDAY, time(14), UTC)  # 9:00 in Chicago
TOMORROW_10 = datetime.combine(MONDAY + timedelta(days=1), time(10))
TOMORROW_14 = datetime.combine(MONDAY + timedelta(days=1), time(14, 30))


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Database]:
    """Two patients who asked for calls and two with only a mailing address."""
    database = demo_practice(tmp_path)
    with database.transaction() as session:
        ensure_default_templates(session, ACTOR)
        first = providers(session)[0]
        people = patients(session)[:4]
        for person in people:
            person.reminder_consent = False
            person.email = None
            person.preferred_contact = None
        people[0].preferred_contact = "phone"
        people[0].phone = "+18475550199"
        people[1].preferred_contact = "text"
        people[1].phone = "+13125550123"
        for person, zip_code in ((people[2], "60201"), (people[3], "60614")):
            person.address_line1, person.city = "1 Elm St", "Evanston"
            person.state, person.zip_code = "IL", zip_code
        for person, starts in zip(people, (TOMORROW_14, TOMORROW_10) * 2, strict=True):
            add_visit(session, first, person.id, starts)
        queue_due_reminders(session, ACTOR, NOW)
    yield database
    database.close()


def pages_text(path: Path) -> list[str]:
    return [page.extract_text() for page in PdfReader(path).pages]


def test_call_list_rows_in_time_order(practice: Database, tmp_path: Path) -> None:
    path = tmp_path / "calls.pdf"
    with practice.transaction() as session:
        outcome = print_call_list(session, ACTOR, MONDAY, path)
        first, second = patients(session)[1], patients(session)[0]
        names = (
            f"{first.last_name}, {first.first_name}",
            f"{second.last_name}, {second.first_name}",
        )

    text = pages_text(path)[0]
    assert outcome.count == 2
    assert "Reminder calls" in text
    assert "(312) 555-0123" in text
    assert "(847) 555-0199" in text
    assert "Text message" in text
    assert "Phone call" in text
    assert text.index(names[0]) < text.index(names[1])
    assert "10:00 AM" in text


def test_call_list_leaves_calls_queued(practice: Database, tmp_path: Path) -> None:
    with practice.transaction() as session:
        print_call_list(session, ACTOR, MONDAY, tmp_path / "calls.pdf")
        statuses = set(session.scalars(select(Reminder.status).where(Reminder.channel == "call")))
        audit = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "print"))

        assert statuses == {"queued"}
        assert list(audit) == ["call list PDF, 2 calls"]


def test_call_list_empty_day(practice: Database, tmp_path: Path) -> None:
    path = tmp_path / "calls.pdf"
    with practice.transaction() as session:
        outcome = print_call_list(session, ACTOR, MONDAY + timedelta(days=2), path)

    assert outcome.count == 0
    assert "No reminder calls are queued." in pages_text(path)[0]


def test_letters_one_page_each(practice: Database, tmp_path: Path) -> None:
    path = tmp_path / "letters.pdf"
    with practice.transaction() as session:
        outcome = print_reminder_letters(session, ACTOR, MONDAY, path)
        lettered = patients(session)[2:4]

    pages = pages_text(path)
    assert outcome.count == 2
    assert len(pages) == 2
    for page, person in zip(pages, lettered, strict=True):
        assert f"{person.first_name} ".upper() in page
        assert person.last_name.upper() in page
        assert "1 ELM ST" in page
        assert f"EVANSTON, IL {person.zip_code}" in page
        assert f"Dear {person.preferred_name or person.first_name}" in page
        assert "June 2, 2025" in page


def test_letters_marked_sent(practice: Database, tmp_path: Path) -> None:
    with practice.transaction() as session:
        outcome = print_reminder_letters(session, ACTOR, MONDAY, tmp_path / "letters.pdf")
        again = print_reminder_letters(session, ACTOR, MONDAY, tmp_path / "again.pdf")
        statuses = set(session.scalars(select(Reminder.status).where(Reminder.channel == "letter")))
        attempts = session.scalars(select(ReminderAttempt.detail)).all()

    assert outcome.changes.kinds
    assert statuses == {"sent"}
    assert attempts == ["printed letter", "printed letter"]
    assert again.count == 0


def test_letters_failed_write_keeps_queue(practice: Database, tmp_path: Path) -> None:
    with practice.transaction() as session:
        with pytest.raises(FileWriteError, match="does not exist"):
            print_reminder_letters(session, ACTOR, MONDAY, tmp_path / "missing" / "letters.pdf")
        statuses = set(session.scalars(select(Reminder.status).where(Reminder.channel == "letter")))

    assert statuses == {"queued"}
