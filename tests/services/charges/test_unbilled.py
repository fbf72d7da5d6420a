"""The "Appointments not billed" report and its CSV export."""

import csv
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.security import AuditEvent
from app.services.today import practice_today
from app.services.unbilled import CSV_HEADERS, export_unbilled_csv, unbilled_visits
from tests.helpers.ledger_data import (
    LedgerPractice,
    add_encounter,
    add_visit,
    build_ledger_practice,
)
from tests.helpers.scheduling_data import wall


@pytest.fixture
def practice(database: Database) -> LedgerPractice:
    """Five visits: two not billed (one with a draft), one posted, one arrived, one no-show."""
    built = build_ledger_practice(database)
    rivera, chen, _nguyen = built.patient_ids
    with database.transaction() as session:
        draft_visit = add_visit(session, built, wall(2026, 2, 3, 9), patient=1)
        add_encounter(session, built, chen, date(2026, 2, 3), appointment_id=draft_visit)
        add_visit(session, built, wall(2026, 2, 2, 10))
        posted_visit = add_visit(session, built, wall(2026, 2, 1, 9))
        add_encounter(
            session, built, rivera, date(2026, 2, 1), status="posted", appointment_id=posted_visit
        )
        add_visit(session, built, wall(2026, 2, 4, 9), "arrived")
        add_visit(session, built, wall(2026, 2, 4, 10), "no_show")
    return built


def test_lists_unbilled_oldest_first(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        visits = unbilled_visits(session, practice.biller)
        today = practice_today(session)

    assert [visit.service_date for visit in visits] == [date(2026, 2, 2), date(2026, 2, 3)]
    assert [visit.patient_name for visit in visits] == ["Rivera, Maria", "Chen, Maria"]
    assert visits[0].days_since == (today - date(2026, 2, 2)).days
    assert visits[0].encounter_id is None
    assert visits[0].encounter_number == ""
    assert visits[1].encounter_id is not None
    assert visits[1].encounter_number.startswith("E-T")
    assert visits[0].provider_name


def test_provider_may_see_report(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        assert len(unbilled_visits(session, practice.provider)) == 2


def test_front_desk_denied(database: Database, practice: LedgerPractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        unbilled_visits(session, practice.front_desk)


def test_report_is_audited(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        unbilled_visits(session, practice.biller)

    with database.session() as session:
        details = list(
            session.scalars(
                select(AuditEvent.detail).where(AuditEvent.object_type == "unbilled_report")
            )
        )
    assert details == ["2 visits"]


def test_export_writes_csv(database: Database, practice: LedgerPractice, tmp_path: Path) -> None:
    target = tmp_path / "not-billed.csv"
    with database.transaction() as session:
        count = export_unbilled_csv(session, practice.biller, target)

    with target.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.reader(handle))
    assert count == 2
    assert rows[0] == list(CSV_HEADERS)
    assert rows[1][0] == "2026-02-02"
    assert rows[1][2] == "Rivera, Maria"
    assert rows[2][6].startswith("E-T")
