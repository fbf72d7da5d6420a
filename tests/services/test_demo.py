"""The demo practice: contents, determinism, speed, and no plaintext PHI on disk."""

import itertools
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import ValidationError
from app.models.onboarding import PriorAuthorization, Referral
from app.models.patients import Coverage, Patient
from app.models.practice import Payer, Provider
from app.models.scheduling import Appointment, AppointmentType
from app.models.security import User
from app.security.audit import verify_chain
from app.services.authorizations import list_authorizations
from app.services.demo import (
    DEMO_PAYERS,
    MAX_DEMO_PATIENTS,
    build_demo,
    create_demo_database,
    demo_days,
    demo_setup,
    demo_week,
)
from app.services.duplicates import duplicate_pairs
from app.services.practice import initialize_practice, validate_setup
from app.services.recall import recall_due_list
from app.services.referrals import list_referrals
from app.validators import claim_filing_indicator_problems, npi_problems
from tests.conftest import PASSPHRASE

PASSWORD = "Lakeside-clinic-2024!"
TODAY = date(2026, 3, 11)  # a Wednesday
NICKNAMES_USED = {"Liz", "Kate", "Peggy", "Bill", "Bob", "Tom"}


def _create(path: Path, patients: int, seed: int = 7) -> Database:
    database, _, _ = create_demo_database(
        path, PASSPHRASE, "admin", PASSWORD, patients=patients, seed=seed, today=TODAY
    )
    return database


def _patients(database: Database) -> list[tuple[str, str, date]]:
    with database.session() as session:
        rows = session.execute(
            select(Patient.first_name, Patient.last_name, Patient.date_of_birth).order_by(
                Patient.chart_number
            )
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def _member_ids(database: Database) -> list[str]:
    with database.session() as session:
        query = (
            select(Coverage.member_id)
            .join(Patient, Patient.id == Coverage.patient_id)
            .order_by(Patient.chart_number, Coverage.priority)
        )
        return list(session.scalars(query))


def _appointment_times(database: Database) -> list[tuple[datetime, int, str]]:
    with database.session() as session:
        query = select(
            Appointment.starts_at, Appointment.duration_minutes, Appointment.appointment_type
        ).order_by(Appointment.starts_at, Appointment.duration_minutes)
        return [tuple(row) for row in session.execute(query)]  # type: ignore[misc]


def test_demo_setup_valid() -> None:
    for seed in range(20):
        setup = demo_setup(seed, "admin", PASSWORD)
        assert validate_setup(setup) == []
        assert 3 <= len(setup.providers) <= 6
        assert len(setup.locations) == 2


def test_demo_payers_realistic() -> None:
    names = [payer.name for payer in DEMO_PAYERS]
    indicators = {payer.claim_filing_indicator for payer in DEMO_PAYERS}
    assert len(DEMO_PAYERS) >= 10
    assert "Blue Cross Blue Shield of Illinois" in names
    assert {"MB", "MC", "CH", "WC", "BL", "CI"} <= indicators
    for payer in DEMO_PAYERS:
        assert claim_filing_indicator_problems(payer.claim_filing_indicator, "cfi") == []


def test_demo_days_include_past_weekdays() -> None:
    # Monday: the three weekdays before are the previous Wednesday to Friday.
    days = demo_days(date(2026, 3, 9))

    assert days[:3] == [date(2026, 3, 4), date(2026, 3, 5), date(2026, 3, 6)]
    assert days[3:] == demo_week(date(2026, 3, 9))


def test_demo_week_weekdays() -> None:
    assert demo_week(TODAY)[0] == date(2026, 3, 9)
    assert demo_week(TODAY)[-1] == date(2026, 3, 13)
    assert demo_week(date(2026, 3, 14))[0] == date(2026, 3, 16)


def test_demo_contents(tmp_path: Path) -> None:
    database = _create(tmp_path / "demo.db", patients=80)
    try:
        with database.session() as session:
            providers = session.scalars(select(Provider)).all()
            patients = session.scalars(select(Patient)).all()
            usernames = set(session.scalars(select(User.username)))
            payer_count = len(session.scalars(select(Payer)).all())
            coverages_by_patient = defaultdict(list)
            for coverage in session.scalars(select(Coverage)):
                coverages_by_patient[coverage.patient_id].append(coverage.priority)
            chain_breaks = verify_chain(session)
    finally:
        database.close()

    assert 3 <= len(providers) <= 6
    for provider in providers:
        assert npi_problems(provider.npi, "npi") == []
    assert len(patients) == 80
    assert len({patient.chart_number for patient in patients}) == 80
    assert payer_count >= 10
    assert usernames == {"admin", "frontdesk", "biller", "manager", "provider"}
    assert all(sorted(p) in ([1], [1, 2]) for p in coverages_by_patient.values())
    assert len(coverages_by_patient) == 80
    assert chain_breaks == []


def test_demo_schedule_rules(tmp_path: Path) -> None:
    database = _create(tmp_path / "demo.db", patients=400)
    try:
        with database.session() as session:
            appointments = session.scalars(select(Appointment)).all()
    finally:
        database.close()

    week = set(demo_days(TODAY))
    by_provider = defaultdict(list)
    for appointment in appointments:
        start = appointment.starts_at
        end = start + timedelta(minutes=appointment.duration_minutes)
        assert start.date() in week
        assert start.hour >= 8
        assert (end.hour, end.minute) <= (17, 0)
        assert appointment.duration_minutes in (15, 30, 45)
        by_provider[appointment.provider_id].append((start, end))

    assert len(appointments) > 100
    for visits in by_provider.values():
        visits.sort()
        for (_, previous_end), (next_start, _) in itertools.pairwise(visits):
            assert next_start >= previous_end


def test_demo_appointments_have_visit_types(tmp_path: Path) -> None:
    database = _create(tmp_path / "demo.db", patients=60)
    try:
        with database.session() as session:
            pairs = session.execute(
                select(Appointment.appointment_type, AppointmentType.name).join(
                    AppointmentType,
                    AppointmentType.id == Appointment.appointment_type_id,
                    isouter=True,
                )
            ).all()
    finally:
        database.close()

    assert pairs
    assert all(type_name == visit_type for visit_type, type_name in pairs)


def test_demo_same_seed_same_data(tmp_path: Path) -> None:
    first = _create(tmp_path / "one" / "demo.db", patients=60, seed=11)
    second = _create(tmp_path / "two" / "demo.db", patients=60, seed=11)
    try:
        assert _patients(first) == _patients(second)
        assert _member_ids(first) == _member_ids(second)
        assert _appointment_times(first) == _appointment_times(second)
    finally:
        first.close()
        second.close()


def test_demo_other_seed_differs(tmp_path: Path) -> None:
    first = _create(tmp_path / "one" / "demo.db", patients=20, seed=1)
    second = _create(tmp_path / "two" / "demo.db", patients=20, seed=2)
    try:
        assert _patients(first) != _patients(second)
    finally:
        first.close()
        second.close()


def test_demo_500_patients_fast(database: Database) -> None:
    from tests.helpers.practice_data import sample_setup

    with database.transaction() as session:
        initialize_practice(session, sample_setup())

    started = time.perf_counter()
    with database.transaction() as session:
        summary = build_demo(session, today=TODAY, user_password=PASSWORD)
    elapsed = time.perf_counter() - started

    assert summary.patients == 500
    # About 1.1 s on an idle 2-core machine, 0.6 s of it three Argon2id password hashes;
    # the bound leaves room for a busy CI runner.
    assert elapsed < 10.0


def test_demo_file_has_no_plaintext(tmp_path: Path) -> None:
    folder = tmp_path / "practice"
    database = _create(folder / "demo.db", patients=200)
    # Short strings occur by chance in any random-looking file, so check long ones only.
    last_names = {name for _, name, _ in _patients(database) if len(name) >= 6}
    member_ids = set(_member_ids(database))
    database.close()

    raw = b"".join(path.read_bytes() for path in folder.iterdir() if path.is_file())
    assert len(last_names) > 20
    leaked = [value for value in last_names | member_ids if value.encode() in raw]
    assert leaked == []


@pytest.mark.parametrize("seed", [0, 5])
def test_demo_member_id_formats(seed: int) -> None:
    from app.services.demo import DemoGenerator

    generator = DemoGenerator(seed, TODAY)
    medicare = next(payer for payer in DEMO_PAYERS if payer.claim_filing_indicator == "MB")
    mbi = generator.member_id(medicare)
    assert len(mbi) == 11
    assert mbi[0] in "123456789"
    assert not set(mbi) & set("SLOIBZ")


@pytest.mark.parametrize("patients", [-5, MAX_DEMO_PATIENTS + 1])
def test_demo_rejects_patient_count(database: Database, patients: int) -> None:
    from tests.helpers.practice_data import sample_setup

    with database.transaction() as session:
        initialize_practice(session, sample_setup())

    with database.transaction() as session, pytest.raises(ValueError) as raised:
        build_demo(session, patients=patients, today=TODAY, user_password=PASSWORD)

    assert f"not {patients:,}" in str(raised.value)


def test_demo_database_rejects_count_first(tmp_path: Path) -> None:
    path = tmp_path / "demo.db"

    with pytest.raises(ValueError):
        _create(path, patients=-1)

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("password", ["Frontdesk-pass-2024", "my-BILLER-pass-2024"])
def test_demo_password_with_user_name(tmp_path: Path, password: str) -> None:
    path = tmp_path / "demo.db"

    with pytest.raises(ValidationError) as raised:
        create_demo_database(path, PASSPHRASE, "admin", password, 0, 1, TODAY)

    problem = raised.value.problems[0]
    assert problem.field == "admin.password"
    assert "frontdesk, biller, manager and provider" in problem.message
    assert list(tmp_path.iterdir()) == []


def test_demo_admin_named_like_demo_user(tmp_path: Path) -> None:
    with pytest.raises(ValidationError) as raised:
        create_demo_database(tmp_path / "demo.db", PASSPHRASE, "Manager", PASSWORD, 0, 1, TODAY)

    assert [problem.field for problem in raised.value.problems] == ["admin.username"]
    assert list(tmp_path.iterdir()) == []


def test_demo_shows_recall_referrals_duplicates(tmp_path: Path) -> None:
    database, admin, _summary = create_demo_database(
        tmp_path / "demo.db", PASSPHRASE, "admin", PASSWORD, patients=300, seed=3, today=TODAY
    )
    try:
        with database.transaction() as session:
            due = recall_due_list(session, admin, TODAY + timedelta(days=60))
            pairs = duplicate_pairs(session, admin)
            referred = session.scalars(select(Referral.patient_id)).first()
            authorized = session.scalars(select(PriorAuthorization.patient_id)).first()
            assert referred is not None
            assert authorized is not None
            referrals = list_referrals(session, admin, referred, TODAY)
            authorizations = list_authorizations(session, admin, authorized, TODAY)
    finally:
        database.close()

    assert len(due) >= 10
    assert all(
        TODAY - timedelta(days=14) <= row.due_on <= TODAY + timedelta(days=60) for row in due
    )
    assert referrals[0].provider_name
    assert authorizations[0].payer_name
    nickname_pairs = [
        pair
        for pair in pairs
        if pair.first.date_of_birth == pair.second.date_of_birth
        and {pair.first.display_name.split(", ")[-1], pair.second.display_name.split(", ")[-1]}
        & NICKNAMES_USED
    ]
    assert len(nickname_pairs) >= 2
