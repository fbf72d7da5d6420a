"""The one-box patient search over a real encrypted database."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models import (
    Appointment,
    Coverage,
    LedgerEntry,
    Location,
    Patient,
    PatientSearchKey,
    Payer,
    Provider,
    User,
)
from app.search.query import MatchKind
from app.security.permissions import ROLE_PERMISSIONS, Actor, Role, system_actor
from app.services.patient_search import MAX_LIMIT, PatientMatch, search_patients

ACTOR = system_actor("TST")
NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)

PEOPLE = [
    # chart, first, middle, last, date of birth, phone
    ("TST-000001", "José", None, "Núñez", date(1981, 3, 4), "(312) 555-0101"),
    ("TST-000002", "Siobhan", None, "O'Brien", date(1975, 11, 20), "(773) 555-0102"),
    ("TST-000003", "Mary", "Ann", "Smith-Jones", date(1990, 1, 2), "(630) 555-0103"),
    ("TST-000004", "William", None, "Turner", date(1962, 7, 15), "(312) 555-0104"),
    ("TST-000005", "Katherine", None, "Johnson", date(2001, 12, 31), "(312) 555-0105"),
    ("TST-000006", "Kate", None, "Johnston", date(1999, 5, 5), None),
    ("TST-000007", "Robert", None, "Smith", date(1950, 2, 28), "(847) 555-0107"),
    ("TST-000008", "Smith", None, "Roberts", date(1988, 8, 8), "(847) 555-0108"),
]


def _wall(*parts: int) -> datetime:
    """Return a naive practice wall-clock time, the form appointments store."""
    return datetime(*parts, tzinfo=UTC).replace(tzinfo=None)


def _add_people(session: Session) -> dict[str, uuid.UUID]:
    ids: dict[str, uuid.UUID] = {}
    for chart, first, middle, last, born, phone in PEOPLE:
        patient = Patient(
            chart_number=chart,
            first_name=first,
            middle_name=middle,
            last_name=last,
            date_of_birth=born,
            sex="U",
            phone=phone,
        )
        session.add(patient)
        session.flush()
        ids[last] = patient.id
    return ids


@pytest.fixture
def people(database: Database) -> dict[str, uuid.UUID]:
    with database.transaction() as session:
        return _add_people(session)


def _search(database: Database, query: str, limit: int = 25) -> list[PatientMatch]:
    with database.transaction() as session:
        return search_patients(session, ACTOR, query, limit=limit, now=NOW)


def _names(database: Database, query: str) -> list[str]:
    return [match.display_name for match in _search(database, query)]


def test_accents_folded(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "nunez") == ["Núñez, José"]
    assert _names(database, "NÚÑEZ jose") == ["Núñez, José"]


def test_apostrophe_folded(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "obrien") == ["O'Brien, Siobhan"]
    assert _names(database, "o'brien") == ["O'Brien, Siobhan"]
    assert _names(database, "brien") == ["O'Brien, Siobhan"]


def test_hyphen_parts(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "smith jones")[0] == "Smith-Jones, Mary Ann"
    assert _names(database, "smithjones") == ["Smith-Jones, Mary Ann"]
    assert _names(database, "Smith-Jones") == ["Smith-Jones, Mary Ann"]


def test_any_word_order(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "jose nunez")[0] == "Núñez, José"
    assert _names(database, "nunez, jose")[0] == "Núñez, José"
    assert _names(database, "3/4/81 nu")[0] == "Núñez, José"


@pytest.mark.parametrize("typed", ["3/4/81", "03/04/1981", "1981-03-04", "03041981", "3-4-81"])
def test_date_of_birth_formats(
    database: Database, people: dict[str, uuid.UUID], typed: str
) -> None:
    assert _names(database, typed) == ["Núñez, José"]


def test_partial_date_prefix(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "12/31") == ["Johnson, Katherine"]
    assert _names(database, "12/31/20") == ["Johnson, Katherine"]


def test_phone_digits(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "7735550102") == ["O'Brien, Siobhan"]
    assert _names(database, "(773) 555-0102") == ["O'Brien, Siobhan"]
    assert _names(database, "555-0102") == ["O'Brien, Siobhan"]
    assert len(_search(database, "312555")) == 3


def test_chart_number(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "TST-000004") == ["Turner, William"]
    assert _names(database, "tst000004") == ["Turner, William"]
    assert _names(database, "4") == ["Turner, William"]


def test_member_id_and_change(database: Database, people: dict[str, uuid.UUID]) -> None:
    with database.transaction() as session:
        payer = Payer(name="Test Health", payer_code="TST01", claim_filing_indicator="CI")
        session.add(payer)
        session.flush()
        coverage = Coverage(
            patient_id=people["Turner"], payer_id=payer.id, priority=1, member_id="XQ-77812"
        )
        session.add(coverage)

    assert _names(database, "xq778") == ["Turner, William"]

    with database.transaction() as session:
        stored = session.get(Coverage, coverage.id)
        assert stored is not None
        stored.member_id = "ZZ9900"
    assert _names(database, "xq778") == []
    assert _names(database, "zz99") == ["Turner, William"]


def test_nickname_both_ways(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "bill") == ["Turner, William"]
    assert _names(database, "bob smith")[0] == "Smith, Robert"
    assert "Johnson, Katherine" in _names(database, "kate")


def test_nickname_below_prefix(database: Database, people: dict[str, uuid.UUID]) -> None:
    results = _search(database, "kate")
    assert results[0].display_name == "Johnston, Kate"
    assert results[0].best_match is MatchKind.EXACT
    assert results[1].best_match is MatchKind.NICKNAME


def test_one_typo_found(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "trunER") == ["Turner, William"]
    assert _names(database, "wiliam") == ["Turner, William"]
    assert _names(database, "turnerr") == ["Turner, William"]


def test_two_typos_not_found(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _names(database, "tunrre") == []


def test_typo_below_prefix(database: Database, people: dict[str, uuid.UUID]) -> None:
    results = _search(database, "johnson")
    assert [match.display_name for match in results] == ["Johnson, Katherine", "Johnston, Kate"]
    assert results[0].best_match is MatchKind.EXACT
    assert results[1].best_match is MatchKind.TYPO


def test_more_words_first(database: Database, people: dict[str, uuid.UUID]) -> None:
    # "smith robert" matches Robert Smith and Smith Roberts on both words (exact and
    # prefix), and Smith-Jones on one.
    names = _names(database, "smith robert")
    assert names[:2] == ["Smith, Robert", "Roberts, Smith"]
    assert names[2:] == ["Smith-Jones, Mary Ann"]


def test_exact_before_prefix(database: Database, people: dict[str, uuid.UUID]) -> None:
    # By name alone "Roberts" would sort first; the exact first name ranks above it.
    assert _names(database, "robert") == ["Smith, Robert", "Roberts, Smith"]


def test_ties_last_name_then_name(database: Database, people: dict[str, uuid.UUID]) -> None:
    # All three match "smith" exactly. The two whose last name has the part "smith"
    # come before the one whose first name is Smith, and those two are in name order.
    names = _names(database, "smith")
    assert names == ["Smith, Robert", "Smith-Jones, Mary Ann", "Roberts, Smith"]


def test_limit(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert len(_search(database, "555", limit=2)) == 2
    assert _search(database, "555", limit=0) == []
    assert len(_search(database, "555", limit=MAX_LIMIT + 5)) == 7


def test_empty_query(database: Database, people: dict[str, uuid.UUID]) -> None:
    assert _search(database, "") == []
    assert _search(database, "  - ' ") == []


def test_archived_hidden(database: Database, people: dict[str, uuid.UUID]) -> None:
    with database.transaction() as session:
        patient = session.get(Patient, people["Turner"])
        assert patient is not None
        patient.archived = True
    assert _names(database, "turner") == []


def test_rename_updates_index(database: Database, people: dict[str, uuid.UUID]) -> None:
    with database.transaction() as session:
        patient = session.get(Patient, people["Turner"])
        assert patient is not None
        patient.last_name = "Ávila"
    assert _names(database, "turner") == []
    assert _names(database, "avila") == ["Ávila, William"]
    assert _names(database, "avilla") == ["Ávila, William"]


def test_plain_sql_insert_found(database: Database) -> None:
    patient_id = uuid.uuid4()
    with database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO patient (id, chart_number, first_name, last_name, date_of_birth, "
                "sex, phone, status, created_at, updated_at, archived) VALUES (:id, 'RAW-1', "
                "'Zoë', 'Ødegård', '1970-04-05', 'F', '630.555.0199', 'active', "
                "'2026-01-01 00:00:00', '2026-01-01 00:00:00', 0)"
            ),
            {"id": patient_id.bytes},
        )

    found = _search(database, "zoe odegard 4/5/70")
    assert [match.patient_id for match in found] == [patient_id]


def test_balance_and_next_visit(database: Database, people: dict[str, uuid.UUID]) -> None:
    patient_id = people["Turner"]
    with database.transaction() as session:
        user = User(username="biller", display_name="B", role="biller", password_hash="x")
        location = Location(
            name="Main", address_line1="1 Main St", city="Chicago", state="IL", zip_code="60601"
        )
        provider = Provider(first_name="A", last_name="B", npi="1234567893", taxonomy_code="X")
        session.add_all([user, location, provider])
        session.flush()
        for amount in ("125.00", "-100.00", "-5.50"):
            session.add(
                LedgerEntry(
                    posted_by=user.id,
                    entry_type="charge",
                    amount=Decimal(amount),
                    patient_id=patient_id,
                    responsible_party="patient",
                )
            )
        for starts, status in (
            (_wall(2026, 5, 1, 9), "completed"),
            (_wall(2026, 6, 2, 9), "cancelled"),
            (_wall(2026, 6, 9, 10), "scheduled"),
            (_wall(2026, 7, 1, 8), "scheduled"),
        ):
            session.add(
                Appointment(
                    patient_id=patient_id,
                    provider_id=provider.id,
                    location_id=location.id,
                    starts_at=starts,
                    duration_minutes=15,
                    appointment_type="follow-up",
                    status=status,
                )
            )

    (match,) = _search(database, "turner")
    assert match.balance == Decimal("19.50")
    assert match.next_appointment == _wall(2026, 6, 9, 10)
    assert _search(database, "nunez")[0].balance == Decimal("0.00")
    assert _search(database, "nunez")[0].next_appointment is None


def test_result_fields(database: Database, people: dict[str, uuid.UUID]) -> None:
    (match,) = _search(database, "siobhan")
    assert match.patient_id == people["O'Brien"]
    assert match.date_of_birth == date(1975, 11, 20)
    assert match.phone == "(773) 555-0102"
    assert match.chart_number == "TST-000002"
    assert match.matched_words == 1


def test_requires_patient_view(
    database: Database, people: dict[str, uuid.UUID], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every shipped role may view patients, so the test takes the permission away.
    monkeypatch.setitem(ROLE_PERMISSIONS, Role.FRONT_DESK, frozenset())
    desk = Actor(user_id=None, username="desk", role=Role.FRONT_DESK, workstation="TST")

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        search_patients(session, desk, "turner", now=NOW)


def test_provider_may_search(database: Database, people: dict[str, uuid.UUID]) -> None:
    provider = Actor(user_id=None, username="doc", role=Role.PROVIDER, workstation="TST")
    with database.transaction() as session:
        found = search_patients(session, provider, "turner", now=NOW)
    assert [match.patient_id for match in found] == [people["Turner"]]


def test_search_writes_no_audit(database: Database, people: dict[str, uuid.UUID]) -> None:
    with database.transaction() as session:
        before = session.scalar(text("SELECT count(*) FROM audit_event"))
    _search(database, "turner")
    with database.transaction() as session:
        after = session.scalar(text("SELECT count(*) FROM audit_event"))
    assert after == before


def test_index_keys_stored(database: Database, people: dict[str, uuid.UUID]) -> None:
    with database.transaction() as session:
        keys = set(
            session.scalars(
                select(PatientSearchKey.key).where(
                    PatientSearchKey.patient_id == people["Smith-Jones"]
                )
            )
        )
    assert {"n:smithjones", "n:smith", "n:jones", "n:mary", "n:ann"} <= keys
    assert {"d:01021990", "p:6305550103", "p:5550103", "c:tst000003", "c:3"} <= keys


def test_upgrade_indexes_existing(database: Database, people: dict[str, uuid.UUID]) -> None:
    from alembic import command

    from app.db.migrate import _config

    config = _config()
    with database.engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    with database.engine.begin() as connection:
        connection.exec_driver_sql(
            "UPDATE patient SET last_name = 'Quintana' WHERE last_name = 'Turner'"
        )
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    assert _names(database, "quintana bill") == ["Quintana, William"]
    assert _names(database, "quintanq") == ["Quintana, William"]
    assert _names(database, "nunez 3/4/81") == ["Núñez, José"]
