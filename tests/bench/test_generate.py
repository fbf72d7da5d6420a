"""The large-practice generator, run with its small preset."""

import itertools
import re
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from app.db.database import Database
from app.models import (
    Appointment,
    Coverage,
    LedgerEntry,
    Patient,
    PatientPhone,
    PatientPreviousName,
    Provider,
)
from app.security.audit import verify_chain
from bench import generate
from tests.conftest import PASSPHRASE

TODAY = "2026-03-11"


def _count(database: Database, model: type) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


@pytest.fixture
def small_db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "bench.db"
    exit_code = generate.main(["--db", str(path), "--small", "--seed", "1", "--today", TODAY])
    assert exit_code == 0
    return path


def test_generate_small_row_counts(small_db: Path) -> None:
    database = Database.open(small_db)
    try:
        assert _count(database, Patient) == 200
        assert _count(database, Appointment) == 1000
        assert _count(database, LedgerEntry) == 2000
        assert _count(database, Provider) == 20
        assert _count(database, Coverage) >= 200
    finally:
        database.close()


def test_generate_small_data_sound(small_db: Path) -> None:
    database = Database.open(small_db)
    try:
        with database.session() as session:
            appointments = session.scalars(select(Appointment)).all()
            entries = session.scalars(select(LedgerEntry)).all()
            chart_numbers = session.scalars(select(Patient.chart_number)).all()
            chain_breaks = verify_chain(session)
    finally:
        database.close()

    by_provider = defaultdict(list)
    for appointment in appointments:
        end = appointment.starts_at + timedelta(minutes=appointment.duration_minutes)
        by_provider[appointment.provider_id].append((appointment.starts_at, end))
    for visits in by_provider.values():
        visits.sort()
        for (_, previous_end), (next_start, _) in itertools.pairwise(visits):
            assert next_start >= previous_end

    # Whole visits (six rows each) sum to zero; the cut-off last visit may not.
    whole = entries[: len(entries) // 6 * 6]
    assert sum((entry.amount for entry in whole), Decimal(0)) == 0
    assert all(entry.service_date <= date.fromisoformat(TODAY) for entry in entries)
    assert len(set(chart_numbers)) == 200
    assert chain_breaks == []


def test_generate_rejects_existing_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    path = tmp_path / "exists.db"
    path.write_bytes(b"")
    assert generate.main(["--db", str(path), "--small"]) == 2


def test_generate_needs_passphrase(tmp_path: Path) -> None:
    assert generate.main(["--db", str(tmp_path / "x.db"), "--small"]) == 2
    assert not (tmp_path / "x.db").exists()


def test_generate_stored_forms_match_orm(small_db: Path) -> None:
    stamp = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}$"
    database = Database.open(small_db)
    try:
        with database.session() as session:
            orm_written = session.execute(text("SELECT created_at FROM practice")).scalar_one()
            raw = session.execute(
                text(
                    "SELECT p.created_at, a.starts_at, typeof(a.id), l.posted_at,"
                    " typeof(l.amount), l.service_date"
                    " FROM patient p, appointment a, ledger_entry l LIMIT 1"
                )
            ).one()
    finally:
        database.close()

    assert re.match(stamp, orm_written)
    assert re.match(stamp, raw[0])
    assert re.match(stamp, raw[1])
    assert raw[2] == "blob"
    assert re.match(stamp, raw[3])
    assert raw[4] == "integer"
    assert re.match(r"^\d{4}-\d\d-\d\d$", raw[5])


def test_generate_small_registration(small_db: Path) -> None:
    database = Database.open(small_db)
    try:
        with database.session() as session:
            patients = session.scalars(select(Patient)).all()
            phones = session.scalars(select(PatientPhone)).all()
        previous = _count(database, PatientPreviousName)
    finally:
        database.close()

    first_phones = {phone.patient_id: phone.number for phone in phones if phone.position == 0}
    assert all(first_phones[patient.id] == patient.phone for patient in patients)
    assert all(re.match(r"^\+1[2-9]\d{9}$", phone.number) for phone in phones)
    assert len(phones) > len(patients)
    with_ssn = [patient.ssn for patient in patients if patient.ssn]
    assert all(re.match(r"^\d{9}$", ssn) and not ssn.startswith("666") for ssn in with_ssn)
    # Shares of 90%, 10% and 5% of 200 patients, with room for chance.
    assert 150 <= len(with_ssn) <= 200
    assert 5 <= previous <= 40
    assert 1 <= sum(1 for patient in patients if patient.preferred_name) <= 25
