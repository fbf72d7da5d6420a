"""The Today query and the patient list, over a small demo practice."""

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from app.db.database import Database
from app.security.permissions import system_actor
from app.services.demo import create_demo_database
from app.services.patient_list import MAX_LIMIT, list_patients
from app.services.today import practice_today, todays_appointments
from tests.conftest import PASSPHRASE

DAY = date(2025, 3, 12)  # a Wednesday, so the demo week has appointments on it


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Database]:
    database, _admin, _summary = create_demo_database(
        tmp_path / "d.db", PASSPHRASE, "admin", "Lakeside-desk-2024!", 30, 3, DAY
    )
    yield database
    database.close()


ACTOR = system_actor("TST")


def test_today_rows_sorted(demo: Database) -> None:
    with demo.transaction() as session:
        rows = todays_appointments(session, ACTOR, DAY)

    assert rows
    assert all(row.starts_at.date() == DAY for row in rows)
    assert [row.starts_at for row in rows] == sorted(row.starts_at for row in rows)
    assert all(", " in row.patient_name for row in rows)


def test_today_other_day_empty(demo: Database) -> None:
    with demo.transaction() as session:
        rows = todays_appointments(session, ACTOR, date(2020, 1, 1))

    assert rows == []


def test_practice_today_uses_zone(demo: Database) -> None:
    # 03:00 UTC on March 13 is still March 12 in Chicago.
    instant = datetime(2025, 3, 13, 3, 0, tzinfo=UTC)

    with demo.transaction() as session:
        assert practice_today(session, instant) == date(2025, 3, 12)


def test_patient_list_prefix(demo: Database) -> None:
    with demo.transaction() as session:
        everyone = list_patients(session, ACTOR)
        prefix = everyone[0].last_name[:2].upper()
        found = list_patients(session, ACTOR, prefix)

    assert len(everyone) == 30
    assert found
    assert all(row.last_name.casefold().startswith(prefix.casefold()) for row in found)


def test_patient_list_chart_number(demo: Database) -> None:
    with demo.transaction() as session:
        target = list_patients(session, ACTOR)[5]
        found = list_patients(session, ACTOR, target.chart_number)

    assert [row.patient_id for row in found] == [target.patient_id]


def test_patient_list_last_first(demo: Database) -> None:
    with demo.transaction() as session:
        target = list_patients(session, ACTOR)[0]
        text = f"{target.last_name}, {target.first_name[:2]}"
        found = list_patients(session, ACTOR, text)

    assert target.patient_id in {row.patient_id for row in found}
    assert all(row.first_name.startswith(target.first_name[:2]) for row in found)


def test_patient_list_like_wildcards(demo: Database) -> None:
    with demo.transaction() as session:
        assert list_patients(session, ACTOR, "%") == []
        assert list_patients(session, ACTOR, "_") == []


def test_patient_list_limit(demo: Database) -> None:
    with demo.transaction() as session:
        assert len(list_patients(session, ACTOR, limit=7)) == 7
        assert len(list_patients(session, ACTOR, limit=MAX_LIMIT + 5)) == 30
