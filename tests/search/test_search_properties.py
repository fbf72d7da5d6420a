"""Properties of the search: any registered patient is found by every way of typing
what the front desk has on record, for a role with and without PATIENT_VIEW_SSN."""

import string
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.db.database import Database
from app.models import Patient, PatientPhone, PatientPreviousName
from app.search.folding import fold, name_parts
from app.security.permissions import Actor, Role
from app.services.patient_search import MAX_LIMIT, search_patients

NOW = datetime(2026, 6, 1, 15, 0, tzinfo=UTC)
ACTORS = [
    Actor(user_id=None, username="desk", role=Role.FRONT_DESK, workstation="TST"),
    Actor(user_id=None, username="manager", role=Role.MANAGER, workstation="TST"),
]
# Two-digit years resolve to the latest year not after today, so "M/D/YY" names the
# right patient only for the last hundred years.
OLDEST = date(NOW.year - 99, 1, 1)

LETTERS = string.ascii_letters + "áéíóúñüçøłßÁÉÑÖ"
CHUNK = st.text(alphabet=LETTERS, min_size=1, max_size=9)
# One to three chunks of letters joined by spaces, hyphens or apostrophes, such as
# "Ñúñez-O'brien".
NAME = (
    st.lists(st.tuples(CHUNK, st.sampled_from([" ", "-", "'"])), min_size=1, max_size=3)
    .map(lambda pairs: "".join(chunk + separator for chunk, separator in pairs).strip(" -'"))
    .filter(lambda name: len(fold(name)) >= 2)
)
PHONE = st.builds(
    "+1{}{:02d}{}{:02d}{:04d}".format,
    st.integers(2, 9),
    st.integers(0, 99),
    st.integers(2, 9),
    st.integers(0, 99),
    st.integers(0, 9999),
)
PROPERTY_SETTINGS = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _found(database: Database, actor: Actor, query: str) -> set[object]:
    with database.transaction() as session:
        matches = search_patients(session, actor, query, limit=MAX_LIMIT, now=NOW)
    return {match.patient_id for match in matches}


def _date_forms(born: date) -> list[str]:
    return [
        f"{born.month}/{born.day}/{born.year % 100:02d}",
        born.strftime("%m/%d/%Y"),
        born.isoformat(),
        born.strftime("%m%d%Y"),
    ]


def _prefix_lengths(length: int) -> list[int]:
    """Return the shortest, a middle and the whole prefix length of a part: every length
    would make an example take seconds, and hypothesis varies the parts' lengths."""
    return sorted({size for size in (2, 3, (length + 2) // 2, length) if 2 <= size <= length})


def _queries(names: list[str], born: date, phones: list[str], chart: str) -> list[tuple[str, str]]:
    """Return (what is typed, why) for every way the patient must be found."""
    queries = [
        (part[:length], f"prefix of name part {part!r}")
        for name in names
        for part in name_parts(name)
        for length in _prefix_lengths(len(part))
    ]
    queries += [(form, "date of birth") for form in _date_forms(born)]
    for number in phones:
        queries += [(number[2:], "phone digits"), (number[5:], "phone without area code")]
        queries.append((number, "phone as E.164"))
    queries.append((chart, "chart number"))
    return queries


def _remove(database: Database, patient_id: object) -> None:
    """Delete the example's rows, so each example searches a practice of its own."""
    with database.transaction() as session:
        for table in ("patient_phone", "patient_previous_name"):
            session.execute(text(f"DELETE FROM {table} WHERE patient_id = :id"), {"id": patient_id})
        session.execute(text("DELETE FROM patient WHERE id = :id"), {"id": patient_id})


@dataclass(frozen=True)
class Registration:
    """What the front desk registered for one patient."""

    first: str
    last: str
    preferred: str | None
    previous_last: str | None
    born: date
    phones: list[str]
    chart: str

    def names(self) -> list[str]:
        return [n for n in (self.first, self.last, self.preferred, self.previous_last) if n]


REGISTRATION = st.builds(
    Registration,
    first=NAME,
    last=NAME,
    preferred=st.none() | NAME,
    previous_last=st.none() | NAME,
    born=st.dates(OLDEST, NOW.date()),
    phones=st.lists(PHONE, min_size=1, max_size=3, unique=True),
    chart=st.integers(1, 999_999).map("TST-{:06d}".format),
)


def _register(database: Database, person: Registration) -> uuid.UUID:
    with database.transaction() as session:
        patient = Patient(
            chart_number=person.chart, first_name=person.first, last_name=person.last,
            preferred_name=person.preferred, date_of_birth=person.born, sex="U",
            phone=person.phones[0],
        )  # fmt: skip
        session.add(patient)
        session.flush()
        for position, number in enumerate(person.phones):
            session.add(
                PatientPhone(patient_id=patient.id, kind="home", number=number, position=position)
            )
        if person.previous_last:
            session.add(
                PatientPreviousName(
                    patient_id=patient.id, first_name=person.first, last_name=person.previous_last
                )
            )
        return patient.id


@PROPERTY_SETTINGS
@given(person=REGISTRATION)
def test_patient_always_found(database: Database, person: Registration) -> None:
    patient_id = _register(database, person)
    try:
        for query, reason in _queries(person.names(), person.born, person.phones, person.chart):
            for actor in ACTORS:
                assert patient_id in _found(database, actor, query), (query, reason, actor.role)
    finally:
        _remove(database, patient_id.bytes)
