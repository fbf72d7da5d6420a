"""Search over the registration data: preferred and previous names, phone rows, SSN
last four, merged records, year-and-month dates and the name part of ranking.

Every test that does not depend on the role runs for a front-desk actor (no
PATIENT_VIEW_SSN) and for a manager (PATIENT_VIEW_SSN).
"""

import uuid
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.models import Patient, PatientPhone, PatientPreviousName, PatientSearchKey
from app.security.permissions import Actor, Permission, Role
from app.services.patient_search import PatientMatch, search_patients

NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
Ids = dict[str, uuid.UUID]  # last name to patient id
FRONT_DESK = Actor(user_id=None, username="desk", role=Role.FRONT_DESK, workstation="TST")
MANAGER = Actor(user_id=None, username="manager", role=Role.MANAGER, workstation="TST")

PEOPLE = [
    # chart, first, middle, last, preferred, date of birth, SSN, phones (first is patient.phone)
    ("TST-000101", "Ana", None, "García", None, date(1981, 3, 4), "123456789",
     ["+13125550111", "+17735550112"]),
    ("TST-000102", "Garth", None, "Brooks", None, date(1981, 3, 20), "987650000",
     ["+16305550113"]),
    ("TST-000103", "Josephine", None, "Park", "Jo", date(1990, 1, 2), None, []),
    ("TST-006789", "Walter", None, "Ng", None, date(1962, 7, 15), "555550001",
     ["+18475550114"]),
    ("TST-000105", "Mary", None, "Lee", None, date(1970, 5, 5), None, []),
    ("TST-000106", "Mary", None, "Ann Lee-Mary", None, date(1971, 6, 6), None, []),
]  # fmt: skip


def _add(session: Session, person: tuple[object, ...]) -> Patient:
    chart, first, middle, last, preferred, born, ssn, phones = person
    assert isinstance(phones, list)
    patient = Patient(
        chart_number=chart,
        first_name=first,
        middle_name=middle,
        last_name=last,
        preferred_name=preferred,
        date_of_birth=born,
        sex="U",
        ssn=ssn,
        phone=phones[0] if phones else None,
    )
    session.add(patient)
    session.flush()
    for position, number in enumerate(phones):
        session.add(
            PatientPhone(patient_id=patient.id, kind="mobile", number=number, position=position)
        )
    return patient


@pytest.fixture
def people(database: Database) -> Ids:
    with database.transaction() as session:
        ids = {str(person[3]): _add(session, person).id for person in PEOPLE}
        session.add(
            PatientPreviousName(
                patient_id=ids["García"], first_name="Ana", last_name="Delgado", used_until=None
            )
        )
    return ids


@pytest.fixture(params=[FRONT_DESK, MANAGER], ids=["front_desk", "manager"])
def actor(request: pytest.FixtureRequest) -> Actor:
    assert isinstance(request.param, Actor)
    return request.param


def _search(database: Database, actor: Actor, query: str) -> list[PatientMatch]:
    with database.transaction() as session:
        return search_patients(session, actor, query, now=NOW)


def _names(database: Database, actor: Actor, query: str) -> list[str]:
    return [match.display_name for match in _search(database, actor, query)]


def _keys(database: Database, patient_id: uuid.UUID) -> set[str]:
    with database.transaction() as session:
        query = select(PatientSearchKey.key).where(PatientSearchKey.patient_id == patient_id)
        return set(session.scalars(query))


def test_roles_differ_on_ssn() -> None:
    assert not FRONT_DESK.can(Permission.PATIENT_VIEW_SSN)
    assert MANAGER.can(Permission.PATIENT_VIEW_SSN)


def test_preferred_name_found(database: Database, people: Ids, actor: Actor) -> None:
    assert _names(database, actor, "jo park") == ["Park, Josephine"]
    assert _names(database, actor, "jo") == ["Park, Josephine"]


def test_preferred_name_change(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        patient = session.get(Patient, people["Park"])
        assert patient is not None
        patient.preferred_name = "Josie"
    assert _names(database, actor, "jo park") == ["Park, Josephine"]  # "jo" begins Josephine
    assert _names(database, actor, "josie") == ["Park, Josephine"]
    assert "n:jo" not in _keys(database, people["Park"])


def test_previous_name_found(database: Database, people: Ids, actor: Actor) -> None:
    assert _names(database, actor, "delgado") == ["García, Ana"]
    assert _names(database, actor, "ana delg") == ["García, Ana"]
    assert _names(database, actor, "delgadp") == ["García, Ana"]  # one typo


def test_previous_name_archived(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        (old,) = session.scalars(select(PatientPreviousName)).all()
        old.archived = True
    assert _names(database, actor, "delgado") == []
    assert _names(database, actor, "garcia") == ["García, Ana"]


def test_previous_name_edit_delete(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        (old,) = session.scalars(select(PatientPreviousName)).all()
        old.last_name = "Ibarra"
    assert _names(database, actor, "delgado") == []
    assert _names(database, actor, "ibarra") == ["García, Ana"]

    with database.transaction() as session:
        (old,) = session.scalars(select(PatientPreviousName)).all()
        session.delete(old)
    assert _names(database, actor, "ibarra") == []
    assert _names(database, actor, "ana garcia") == ["García, Ana"]


@pytest.mark.parametrize(
    "typed", ["7735550112", "(773) 555-0112", "+17735550112", "17735550112", "555-0112"]
)
def test_second_phone_found(database: Database, people: Ids, actor: Actor, typed: str) -> None:
    assert _names(database, actor, typed) == ["García, Ana"]


def test_phone_prefix_while_typing(database: Database, people: Ids, actor: Actor) -> None:
    # E.164 as stored: "+1" is the country code, so "+1773" begins the area code 773.
    assert _names(database, actor, "+1773") == ["García, Ana"]
    assert _names(database, actor, "773555") == ["García, Ana"]


def test_phone_row_changes(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        session.add(
            PatientPhone(patient_id=people["Park"], kind="work", number="+12245550120", position=0)
        )
    assert _names(database, actor, "2245550120") == ["Park, Josephine"]

    with database.transaction() as session:
        phone = session.scalars(
            select(PatientPhone).where(PatientPhone.patient_id == people["Park"])
        ).one()
        phone.number = "+12245550121"
    assert _names(database, actor, "2245550120") == []
    assert _names(database, actor, "2245550121") == ["Park, Josephine"]

    with database.transaction() as session:
        phone = session.scalars(
            select(PatientPhone).where(PatientPhone.patient_id == people["Park"])
        ).one()
        phone.archived = True
    assert _names(database, actor, "2245550121") == []


def test_phone_row_deleted_keeps_patient_phone(
    database: Database, people: Ids, actor: Actor
) -> None:
    # patient.phone contains the first number too, so its keys stay when the row goes.
    with database.transaction() as session:
        for phone in session.scalars(
            select(PatientPhone).where(PatientPhone.patient_id == people["García"])
        ):
            session.delete(phone)
    assert _names(database, actor, "3125550111") == ["García, Ana"]
    assert _names(database, actor, "7735550112") == []


def test_phone_moved_between_patients(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        phone = session.scalars(
            select(PatientPhone).where(PatientPhone.number == "+17735550112")
        ).one()
        phone.patient_id = people["Park"]
    assert _names(database, actor, "7735550112") == ["Park, Josephine"]


def test_archived_patient_hides_children(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        patient = session.get(Patient, people["García"])
        assert patient is not None
        patient.archived = True
    assert _keys(database, people["García"]) == set()
    for typed in ("delgado", "7735550112", "garcia", "TST-000101"):
        assert _names(database, actor, typed) == []


def test_patient_edit_keeps_children(database: Database, people: Ids, actor: Actor) -> None:
    with database.transaction() as session:
        patient = session.get(Patient, people["García"])
        assert patient is not None
        patient.first_name = "Anita"
    assert _names(database, actor, "anita delgado") == ["García, Anita"]
    assert _names(database, actor, "7735550112") == ["García, Anita"]


def test_ssn_keys_stored(database: Database, people: Ids) -> None:
    assert "s:6789" in _keys(database, people["García"])
    assert not any(key.startswith("s:") for key in _keys(database, people["Park"]))


def test_ssn_last_four_manager(database: Database, people: Ids) -> None:
    assert _names(database, MANAGER, "6789") == ["García, Ana", "Ng, Walter"]
    assert _names(database, MANAGER, "0000") == ["Brooks, Garth"]
    best = _search(database, MANAGER, "6789 ana")[0]
    assert best.display_name == "García, Ana"
    assert best.matched_words == 2


def test_ssn_not_for_front_desk(database: Database, people: Ids) -> None:
    # Walter Ng's chart number ends in 6789, which every role may search for.
    assert _names(database, FRONT_DESK, "6789") == ["Ng, Walter"]
    assert _names(database, FRONT_DESK, "0000") == []
    by_name = {match.display_name: match for match in _search(database, FRONT_DESK, "6789 ana")}
    assert by_name["García, Ana"].matched_words == 1


def test_four_digits_other_meanings(database: Database, people: Ids, actor: Actor) -> None:
    assert _names(database, actor, "3125") == ["García, Ana"]  # the beginning of a phone
    assert _names(database, actor, "0106") == ["Ann Lee-Mary, Mary"]  # chart TST-000106
    # Chart TST-000102 and the date of birth 01/02 (January 2).
    assert set(_names(database, actor, "0102")) == {"Brooks, Garth", "Park, Josephine"}
    assert _names(database, actor, "0123") == []  # SSN digits, but not the last four


def test_merged_chart_finds_survivor(database: Database, people: Ids, actor: Actor) -> None:
    survivor = people["García"]
    with database.transaction() as session:
        merged = _add(session, ("TST-000199", "Anna", None, "Garcia", None, date(1981, 3, 4),
                                None, ["+13125550199"]))  # fmt: skip
        merged_id = merged.id
    with database.transaction() as session:
        record = session.get(Patient, merged_id)
        assert record is not None
        record.merged_into_id = survivor
        record.archived = True

    assert _names(database, actor, "TST-000199") == ["García, Ana"]
    assert _names(database, actor, "199") == ["García, Ana"]
    assert _names(database, actor, "3125550199") == []
    found = {match.patient_id for match in _search(database, actor, "anna garcia")}
    assert merged_id not in found


def _merge(database: Database, survivor: uuid.UUID, merged: uuid.UUID) -> None:
    with database.transaction() as session:
        record = session.get(Patient, merged)
        assert record is not None
        record.merged_into_id = survivor
        record.archived = True


def test_unmerge_restores_record(database: Database, people: Ids, actor: Actor) -> None:
    _merge(database, people["García"], people["Brooks"])
    assert _names(database, actor, "TST-000102") == ["García, Ana"]

    with database.transaction() as session:
        record = session.get(Patient, people["Brooks"])
        assert record is not None
        record.merged_into_id = None
        record.archived = False
    assert _names(database, actor, "TST-000102") == ["Brooks, Garth"]
    assert not any(key.startswith("r:") for key in _keys(database, people["García"]))


def test_survivor_edit_keeps_merged(database: Database, people: Ids, actor: Actor) -> None:
    _merge(database, people["García"], people["Brooks"])
    with database.transaction() as session:
        survivor = session.get(Patient, people["García"])
        assert survivor is not None
        survivor.last_name = "Garcia Ruiz"
    assert _names(database, actor, "TST-000102") == ["Garcia Ruiz, Ana"]


def test_survivor_archived_restored(database: Database, people: Ids, actor: Actor) -> None:
    _merge(database, people["García"], people["Brooks"])
    for archived, expected in ((True, []), (False, ["García, Ana"])):
        with database.transaction() as session:
            survivor = session.get(Patient, people["García"])
            assert survivor is not None
            survivor.archived = archived
        assert _names(database, actor, "TST-000102") == expected


def test_last_name_prefix_first(database: Database, people: Ids, actor: Actor) -> None:
    # By name alone "Brooks, Garth" sorts first; "gar" begins García's last name.
    assert _names(database, actor, "gar") == ["García, Ana", "Brooks, Garth"]


def test_full_name_match_first(database: Database, people: Ids, actor: Actor) -> None:
    # Both match "lee" and "mary" exactly. "Ann Lee-Mary" sorts first by name and has
    # more last-name words, but only Mary Lee is spelled by the words typed.
    for typed in ("mary lee", "lee mary", "lee, mary"):
        assert _names(database, actor, typed) == ["Lee, Mary", "Ann Lee-Mary, Mary"]


def test_year_month_date(database: Database, people: Ids, actor: Actor) -> None:
    assert _names(database, actor, "1981-03") == ["Brooks, Garth", "García, Ana"]
    assert _names(database, actor, "1981-3") == ["Brooks, Garth", "García, Ana"]
    assert _names(database, actor, "1981-03-2") == ["Brooks, Garth"]
    assert _names(database, actor, "1981-03-04") == ["García, Ana"]
    assert _names(database, actor, "garcia 1981-03")[0] == "García, Ana"


def test_year_alone_not_a_date(database: Database, people: Ids, actor: Actor) -> None:
    # "1981" stays a phone, chart or member id beginning, as before year-month dates.
    assert _names(database, actor, "1981") == []
