"""Recall due dates and the list of patients due."""

import csv
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import FileWriteError, PermissionDeniedError, ValidationError
from app.models.patients import Patient, VisitHistory
from app.models.practice import Provider
from app.models.security import AuditEvent
from app.services import recall
from tests.helpers.chart_rows import Staff, add_appointment, add_patient, set_up_practice


@pytest.fixture
def staff(database: Database) -> Staff:
    return set_up_practice(database)


def nine_am(day: date) -> datetime:
    """Return 9:00 on `day` as practice wall-clock time."""
    return datetime(day.year, day.month, day.day, 9, 0)  # noqa: DTZ001 (appointments are wall-clock)


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2025, 11, 15), 3, date(2026, 2, 15)),
        (date(2025, 6, 30), 12, date(2026, 6, 30)),
    ],
)
def test_add_months(start: date, months: int, expected: date) -> None:
    assert recall.add_months(start, months) == expected


def test_due_from_last_completed_visit(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        add_appointment(session, patient, nine_am(date(2025, 9, 2)), "completed")
        add_appointment(session, patient, nine_am(date(2025, 11, 20)), "no_show")
        recall.set_recall(session, staff.front_desk, patient.id, 6)
        stored = session.get(Patient, patient.id)
    assert stored is not None
    assert stored.recall_due_on == date(2026, 3, 2)
    assert stored.recall_interval_months == 6


def test_imported_visit_counts(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        add_appointment(session, patient, nine_am(date(2025, 9, 2)), "checked_out")
        session.add(
            VisitHistory(
                patient_id=patient.id,
                started_at=datetime(2025, 10, 1, 15, 0, tzinfo=UTC),
                source="fhir",
            )
        )
        session.flush()
        assert recall.last_visit_date(session, patient.id) == date(2025, 10, 1)


def test_due_from_today_without_visit(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        recall.set_recall(session, staff.front_desk, patient.id, 12)
        today = recall.practice_today(session)
        assert patient.recall_due_on == recall.add_months(today, 12)


def test_explicit_due_date_wins(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        recall.set_recall(session, staff.front_desk, patient.id, 6, date(2026, 5, 5))
        event = session.scalars(select(AuditEvent).where(AuditEvent.detail == "recall set")).one()
    assert patient.recall_due_on == date(2026, 5, 5)
    assert event.patient_id == patient.id


def test_invalid_interval_rejected(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        with pytest.raises(ValidationError, match="Recall interval 0 months is invalid"):
            recall.set_recall(session, staff.front_desk, patient.id, 0)


def test_provider_cannot_set_recall(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        patient = add_patient(session)
        with pytest.raises(PermissionDeniedError):
            recall.set_recall(session, staff.provider, patient.id, 6)


def test_due_list_sorted_and_filtered(database: Database, staff: Staff) -> None:
    through = date(2026, 4, 30)
    with database.transaction() as session:
        late = add_patient(session, last_name="Late", recall_due_on=date(2026, 4, 1))
        early = add_patient(session, last_name="Early", recall_due_on=date(2026, 1, 5))
        add_patient(session, last_name="Future", recall_due_on=date(2026, 5, 1))
        add_patient(session, last_name="Gone", recall_due_on=date(2026, 1, 1), status="deceased")
        add_patient(session, last_name="Idle", recall_due_on=date(2026, 1, 1), status="inactive")
        add_patient(session, last_name="Old", recall_due_on=date(2026, 1, 1), archived=True)
        add_patient(session, last_name="Never")
        add_appointment(session, early, nine_am(date(2025, 7, 5)), "completed")
        rows = recall.recall_due_list(session, staff.front_desk, through)
    assert [row.patient_id for row in rows] == [early.id, late.id]
    assert rows[0].name == "Early, Maria"
    assert rows[0].phones == ("Mobile (847) 555-0123",)
    assert rows[0].last_visit == date(2025, 7, 5)
    assert rows[0].preferred_contact == "Text"
    assert rows[0].reminder_consent


def test_overdue_days_from_practice_today(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        today = recall.practice_today(session)
        add_patient(session, recall_due_on=recall.add_months(today, -1))
        add_patient(session, recall_due_on=today)
        rows = recall.recall_due_list(session, staff.front_desk, today)
    assert rows[0].overdue_days == (today - recall.add_months(today, -1)).days
    assert rows[1].overdue_days == 0


def test_due_list_by_provider(database: Database, staff: Staff) -> None:
    with database.transaction() as session:
        providers = session.scalars(select(Provider).order_by(Provider.last_name)).all()
        mine = add_patient(
            session, recall_due_on=date(2026, 1, 1), primary_provider_id=providers[0].id
        )
        add_patient(session, recall_due_on=date(2026, 1, 1), primary_provider_id=providers[1].id)
        rows = recall.recall_due_list(
            session, staff.front_desk, date(2026, 2, 1), provider_id=providers[0].id
        )
    assert [row.patient_id for row in rows] == [mine.id]


def test_export_csv_audited(database: Database, staff: Staff, tmp_path: Path) -> None:
    target = tmp_path / "recall.csv"
    with database.transaction() as session:
        add_patient(session, recall_due_on=date(2026, 1, 5))
        count = recall.export_recall_csv(session, staff.front_desk, date(2026, 2, 1), target)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).one()
    with target.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))
    assert count == 1
    assert lines[0] == list(recall.CSV_HEADERS)
    assert lines[1][0] == "Ortega, Maria"
    assert lines[1][8] == "2026-01-05"
    assert event.detail == "1 patients due through 2026-02-01"
    assert target.stat().st_mode & 0o077 == 0
    assert sorted(path.name for path in tmp_path.iterdir()) == ["practice", "recall.csv"]


def test_export_csv_neutralizes_formulas(database: Database, staff: Staff, tmp_path: Path) -> None:
    target = tmp_path / "recall.csv"
    with database.transaction() as session:
        add_patient(
            session,
            last_name='=HYPERLINK("http://example.com";"x")',
            email="=1+2@example.com",
            recall_due_on=date(2026, 1, 5),
        )
        recall.export_recall_csv(session, staff.front_desk, date(2026, 2, 1), target)
    with target.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle))

    assert lines[1][0].startswith("'=HYPERLINK(")
    assert lines[1][4] == "'=1+2@example.com"


def test_export_csv_missing_folder(database: Database, staff: Staff, tmp_path: Path) -> None:
    target = tmp_path / "missing" / "recall.csv"
    with database.transaction() as session:
        add_patient(session, recall_due_on=date(2026, 1, 5))

    with (
        pytest.raises(FileWriteError, match=r"the folder .*missing does not exist"),
        database.transaction() as session,
    ):
        recall.export_recall_csv(session, staff.front_desk, date(2026, 2, 1), target)
    assert not target.parent.exists()
