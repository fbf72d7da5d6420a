"""Likely duplicates before saving, "different person" decisions, and the practice report."""

import random
import uuid
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.errors import PermissionDeniedError, UserError
from app.models import AuditEvent, DuplicateDecision
from app.search.phonetic import nysiis
from app.services.duplicate_scoring import make_facts, score_pair
from app.services.duplicates import (
    DuplicatePair,
    duplicate_pairs,
    likely_duplicates,
    record_different_person,
    record_new_patient_decisions,
)
from app.services.patient_forms import CoverageForm, PatientForm, PhoneEntry
from tests.helpers.duplicate_records import (
    Practice,
    add_coverage,
    add_patient,
    add_phone,
    make_practice,
)

BORN = date(1981, 3, 4)


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Practice]:
    yield from make_practice(tmp_path / "dup" / "clinicdesk.db")


def _form(first: str, last: str, born: date | None = BORN, **values: object) -> PatientForm:
    return PatientForm(first_name=first, last_name=last, date_of_birth=born, sex="F", **values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "second"),
    [("Smith", "Smyth"), ("MacDonald", "McDonald"), ("Knight", "Night"), ("Phillips", "Filips")],
)
def test_nysiis_alike_names(first: str, second: str) -> None:
    assert nysiis(first) == nysiis(second)


def test_nysiis_different_names() -> None:
    assert nysiis("Smith") != nysiis("Jones")
    assert nysiis("") == ""
    assert nysiis("Núñez") == nysiis("Nunez")


names = st.sampled_from(["Robert", "Bob", "Smith", "Smyth", "Ann", "Anne", "J", "Lee", ""])
dates = st.one_of(
    st.none(), st.sampled_from([date(1981, 3, 4), date(1981, 4, 3), date(1990, 1, 1)])
)
phones = st.lists(st.sampled_from(["+13125550101", "(312) 555-0101", "+17735550102"]), max_size=2)


@st.composite
def facts(draw: st.DrawFn) -> object:
    return make_facts(
        patient_id=uuid.uuid4(),
        first_name=draw(names),
        last_name=draw(names),
        date_of_birth=draw(dates),
        sex=draw(st.sampled_from(["F", "M", "U"])),
        phones=draw(phones),
        address_line1=draw(st.sampled_from(["12 Oak St", "12 oak st.", None])),
        zip_code=draw(st.sampled_from(["60201", "60201-1234", None])),
        member_ids=draw(st.lists(st.sampled_from(["W123", "w-123", "X9"]), max_size=2)),
        previous_last_names=draw(st.lists(names, max_size=1)),
    )


@given(facts(), facts())
def test_score_symmetric(a: object, b: object) -> None:
    forward = score_pair(a, b)  # type: ignore[arg-type]
    backward = score_pair(b, a)  # type: ignore[arg-type]

    assert forward.score == backward.score
    assert 0 <= forward.score <= 100
    assert len(forward.reasons) == len(backward.reasons)


def test_same_person_found(practice: Practice) -> None:
    with practice.database.transaction() as session:
        existing = add_patient(session, "Robert", "Smith", BORN, phone="+13125550101")
        add_patient(session, "Maria", "Garcia", date(1970, 1, 1))

    with practice.database.transaction() as session:
        found = likely_duplicates(
            session,
            practice.front_desk,
            _form("Bob", "Smyth", phones=[PhoneEntry(number="(312) 555-0101")]),
        )

    assert [match.patient_id for match in found] == [existing]
    reasons = found[0].reasons
    assert "same date of birth" in reasons
    assert "last name sounds the same (Smyth / Smith)" in reasons
    assert "first name is a nickname (Bob / Robert)" in reasons
    assert "same phone (312) 555-0101" in reasons
    assert found[0].phone == "(312) 555-0101"


def test_swapped_birth_date_found(practice: Practice) -> None:
    with practice.database.transaction() as session:
        existing = add_patient(session, "Ana", "Lopez", date(1981, 4, 3))

    with practice.database.transaction() as session:
        found = likely_duplicates(session, practice.front_desk, _form("Ana", "Lopez"))

    assert [match.patient_id for match in found] == [existing]
    assert "date of birth with day and month swapped (03/04/1981 / 04/03/1981)" in found[0].reasons


def test_name_typo_other_birth_date(practice: Practice) -> None:
    # Found through the name index alone: the birth dates differ completely.
    with practice.database.transaction() as session:
        existing = add_patient(
            session, "Katherine", "Johnson", date(1950, 1, 1), address="12 Oak St", zip_code="60201"
        )
        add_phone(session, existing, "+17735550102")

    form = _form(
        "Katherine",
        "Jonson",
        date(1960, 2, 2),
        address_line1="12 oak st.",
        zip_code="60201-4412",
        phones=[PhoneEntry(number="773-555-0102")],
    )
    with practice.database.transaction() as session:
        found = likely_duplicates(session, practice.front_desk, form)

    assert [match.patient_id for match in found] == [existing]
    assert "same address" in found[0].reasons
    assert "same phone (773) 555-0102" in found[0].reasons


def test_member_id_found(practice: Practice) -> None:
    with practice.database.transaction() as session:
        existing = add_patient(session, "Lee", "Chan", date(1999, 9, 9))
        add_coverage(session, existing, practice.payers[0], "XOF123456789")

    form = _form("Lee", "Chan", date(1999, 9, 19))
    form.coverages = [CoverageForm(member_id="xof-123456789")]
    with practice.database.transaction() as session:
        found = likely_duplicates(session, practice.front_desk, form)

    assert [match.patient_id for match in found] == [existing]
    assert "same member id on a coverage" in found[0].reasons


def test_archived_and_merged_left_out(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", BORN)
        add_patient(session, "Ann", "Lee", BORN, archived=True)
        add_patient(session, "Ann", "Lee", BORN, merged_into_id=survivor)

    with practice.database.transaction() as session:
        found = likely_duplicates(session, practice.front_desk, _form("Ann", "Lee"))

    assert [match.patient_id for match in found] == [survivor]


def test_weak_match_left_out(practice: Practice) -> None:
    # A same birth date alone is common and not enough.
    with practice.database.transaction() as session:
        add_patient(session, "Maria", "Garcia", BORN)

    with practice.database.transaction() as session:
        assert likely_duplicates(session, practice.front_desk, _form("Ann", "Lee")) == []


def test_decision_hides_pair_everywhere(practice: Practice) -> None:
    with practice.database.transaction() as session:
        first = add_patient(session, "Ann", "Lee", BORN)
        second = add_patient(session, "Ann", "Lee", BORN)

    with practice.database.transaction() as session:
        assert len(duplicate_pairs(session, practice.front_desk)) == 1
        record_different_person(session, practice.front_desk, second, first, "twins")

    with practice.database.transaction() as session:
        form = _form("Ann", "Lee", id=first)
        assert likely_duplicates(session, practice.front_desk, form) == []
        assert duplicate_pairs(session, practice.front_desk) == []
        decision = session.scalars(select(DuplicateDecision)).one()

    assert (decision.first_patient_id, decision.second_patient_id) == tuple(sorted((first, second)))
    assert decision.note == "twins"
    assert decision.decided_by == practice.front_desk.user_id


def test_new_patient_decisions_recorded(practice: Practice) -> None:
    with practice.database.transaction() as session:
        existing = [add_patient(session, "Ann", "Lee", BORN) for _ in range(2)]
        new = add_patient(session, "Ann", "Lee", BORN)
        record_new_patient_decisions(session, practice.front_desk, new, existing)

    with practice.database.transaction() as session:
        decisions = session.scalars(select(DuplicateDecision)).all()
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "duplicate_decision")
        ).all()

    assert len(decisions) == 2
    assert all(d.first_patient_id < d.second_patient_id for d in decisions)
    assert {event.patient_id for event in events} == {new, *existing}
    assert all("Ann" not in event.detail for event in events)


def test_decision_needs_edit_permission(practice: Practice) -> None:
    with practice.database.transaction() as session:
        first = add_patient(session, "Ann", "Lee", BORN)
        second = add_patient(session, "Ann", "Lee", BORN)

    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        record_different_person(session, practice.provider, first, second)


def test_decision_same_record_rejected(practice: Practice) -> None:
    with practice.database.transaction() as session:
        first = add_patient(session, "Ann", "Lee", BORN)
        with pytest.raises(UserError, match="itself"):
            record_different_person(session, practice.front_desk, first, first)


PEOPLE = [
    ("Robert", "Smith", date(1981, 3, 4), "+13125550101"),
    ("Bob", "Smyth", date(1981, 3, 4), None),
    ("Roberta", "Smith", date(1981, 4, 3), "+13125550101"),
    ("Katherine", "Johnson", date(1950, 1, 1), "+17735550102"),
    ("Kathy", "Johnson", date(1950, 1, 1), "+17735550102"),
    ("Ana", "Lopez", date(2001, 12, 31), None),
    ("Ana", "Lopes", date(2001, 12, 31), None),
    ("Lee", "Chan", date(1999, 9, 9), "+18475550107"),
    ("Chan", "Lee", date(1999, 9, 9), None),
    ("Maria", "Garcia", date(1970, 1, 1), None),
]


def _report_by_name(practice: Practice, order: list[int]) -> set[tuple[str, str, int]]:
    """Create PEOPLE in `order` and return the report as (name, name, score) triples."""
    with practice.database.transaction() as session:
        for index in order:
            first, last, born, phone = PEOPLE[index]
            add_patient(session, first, last, born, phone=phone, chart_number=f"P-{index:02d}")
    with practice.database.transaction() as session:
        pairs = duplicate_pairs(session, practice.front_desk, min_score=40)
    _check_pairs_once(pairs)
    return {
        (*sorted((pair.first.chart_number, pair.second.chart_number)), pair.score)  # type: ignore[misc]
        for pair in pairs
    }


def _check_pairs_once(pairs: list[DuplicatePair]) -> None:
    ids = [(pair.first.patient_id, pair.second.patient_id) for pair in pairs]
    assert all(first < second for first, second in ids)
    assert len(set(ids)) == len(ids)


def test_report_independent_of_order(tmp_path: Path) -> None:
    order = list(range(len(PEOPLE)))
    results = []
    for run, shuffled in enumerate(
        [order, order[::-1], random.Random(3).sample(order, len(order))]
    ):
        for practice in make_practice(tmp_path / f"run{run}" / "clinicdesk.db"):
            results.append(_report_by_name(practice, shuffled))

    assert results[0] == results[1] == results[2]
    charts = {(a, b) for a, b, _score in results[0]}
    assert ("P-00", "P-01") in charts  # Robert Smith / Bob Smyth
    assert ("P-03", "P-04") in charts  # Katherine / Kathy Johnson
    assert ("P-05", "P-06") in charts  # Lopez / Lopes
    assert ("P-07", "P-08") in charts  # names swapped
    assert not any("P-09" in pair for pair in charts)


def test_report_reports_progress(practice: Practice) -> None:
    from app.progress import Progress

    with practice.database.transaction() as session:
        add_patient(session, "Ann", "Lee", BORN)
        add_patient(session, "Ann", "Lee", BORN)
    progress = Progress()

    with practice.database.transaction() as session:
        pairs = duplicate_pairs(session, practice.front_desk, progress=progress)

    assert len(pairs) == 1
    assert progress.snapshot() == (1, 1, "Done")
