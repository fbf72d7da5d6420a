"""Coverage checks: fields, subscribers, copays, card images and overlapping priorities."""

from datetime import date
from decimal import Decimal

from app.ids import new_id
from app.models.practice import Payer
from app.problems import Problem
from app.services.coverage_checks import coverage_problems
from app.services.patient_forms import CardImage, CoverageForm, PartyChoice, PersonForm
from app.services.registration import save_patient
from tests.services.registration.conftest import TODAY, Practice, coverage, valid_form

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + bytes(40)
JPEG = b"\xff\xd8\xff\xe0" + bytes(40)
PDF = b"%PDF-1.7\n" + bytes(40)


def _check(
    practice: Practice, coverages: list[CoverageForm], patient_id: object = None
) -> list[Problem]:
    with practice.database.reading() as session:
        return coverage_problems(session, patient_id, coverages, TODAY)  # type: ignore[arg-type]


def _fields(problems: list[Problem]) -> set[str]:
    return {problem.field for problem in problems}


def _subscriber(**changes: object) -> PartyChoice:
    person = PersonForm("Luis", last_name="Gonzalez", date_of_birth=date(1958, 2, 1), sex="M")
    for name, value in changes.items():
        setattr(person, name, value)
    return PartyChoice(kind="person", person=person)


def test_valid_coverage_has_no_problems(practice: Practice) -> None:
    assert (
        _check(practice, [coverage(practice.aetna, plan_type="CI", copay_office=Decimal("25.00"))])
        == []
    )


def test_each_rule_names_its_field(practice: Practice) -> None:
    rules: list[tuple[dict[str, object], str]] = [
        ({"payer_id": None}, "coverages[0].payer_id"),
        ({"payer_id": new_id()}, "coverages[0].payer_id"),
        ({"member_id": ""}, "coverages[0].member_id"),
        ({"member_id": "W 123"}, "coverages[0].member_id"),
        ({"member_id": "W123!"}, "coverages[0].member_id"),
        ({"member_id": "W" * 81}, "coverages[0].member_id"),
        ({"plan_type": "XX"}, "coverages[0].plan_type"),
        ({"priority": 0}, "coverages[0].priority"),
        ({"priority": 4}, "coverages[0].priority"),
        ({"relationship_code": "19"}, "coverages[0].relationship_code"),
        ({"relationship_code": "99"}, "coverages[0].relationship_code"),
        ({"subscriber": _subscriber()}, "coverages[0].relationship_code"),
        (
            {"subscriber": _subscriber(date_of_birth=None), "relationship_code": "19"},
            "coverages[0].subscriber.person.date_of_birth",
        ),
        (
            {"subscriber": _subscriber(sex=""), "relationship_code": "19"},
            "coverages[0].subscriber.person.sex",
        ),
        (
            {"subscriber": _subscriber(first_name=""), "relationship_code": "19"},
            "coverages[0].subscriber.person.first_name",
        ),
        (
            {"subscriber": PartyChoice(kind="patient"), "relationship_code": "19"},
            "coverages[0].subscriber.patient_id",
        ),
        (
            {"effective_date": date(2025, 6, 1), "termination_date": date(2025, 5, 31)},
            "coverages[0].termination_date",
        ),
        ({"copay_office": Decimal("-0.01")}, "coverages[0].copay_office"),
        ({"copay_specialist": Decimal("10000.00")}, "coverages[0].copay_specialist"),
        ({"copay_urgent_care": Decimal("12.345")}, "coverages[0].copay_urgent_care"),
        ({"copay_emergency": Decimal("NaN")}, "coverages[0].copay_emergency"),
        ({"card_front": CardImage(PNG, "image/gif")}, "coverages[0].card_front"),
        ({"card_front": CardImage(b"", "image/png")}, "coverages[0].card_front"),
        ({"card_back": CardImage(PNG, "image/jpeg")}, "coverages[0].card_back"),
        ({"card_back": CardImage(b"GIF89a" + bytes(10), "image/png")}, "coverages[0].card_back"),
        (
            {"card_back": CardImage(b"%PDF-" + bytes(10 * 1024 * 1024), "application/pdf")},
            "coverages[0].card_back",
        ),
        ({"plan_name": "P~lan"}, "coverages[0].plan_name"),
        ({"group_number": "G*1"}, "coverages[0].group_number"),
        ({"group_name": "G:r^p"}, "coverages[0].group_name"),
        (
            {"subscriber": _subscriber(city="Spring*field"), "relationship_code": "19"},
            "coverages[0].subscriber.person.city",
        ),
    ]
    with practice.database.reading() as session:
        for changes, field in rules:
            found = _fields(
                coverage_problems(session, None, [coverage(practice.aetna, **changes)], TODAY)
            )
            assert field in found, f"{changes} should report {field}, got {found}"


def test_accepted_values(practice: Practice) -> None:
    accepted: list[dict[str, object]] = [
        {"subscriber": _subscriber(), "relationship_code": "19"},
        {"subscriber": _subscriber(sex="U"), "relationship_code": "01"},
        {"copay_office": Decimal("0"), "copay_emergency": Decimal("9999.99")},
        {"card_front": CardImage(PNG, "image/png"), "card_back": CardImage(JPEG, "image/jpeg")},
        {"card_front": CardImage(PDF, "application/pdf")},
        {"member_id": "XOF-123456789"},
        {"effective_date": date(2025, 6, 1), "termination_date": date(2025, 6, 1)},
        {"relationship_code": "19", "archived": True},
    ]
    with practice.database.reading() as session:
        for changes in accepted:
            problems = coverage_problems(
                session, None, [coverage(practice.aetna, **changes)], TODAY
            )
            assert problems == [], f"{changes} should be accepted, got {problems}"


def test_archived_payer_rejected(practice: Practice) -> None:
    with practice.database.transaction() as session:
        payer = session.get(Payer, practice.cigna)
        assert payer is not None
        payer.archived = True

    assert "coverages[0].payer_id" in _fields(_check(practice, [coverage(practice.cigna)]))


def test_overlap_message_names_both(practice: Practice) -> None:
    first = coverage(practice.aetna, member_id="W123", effective_date=date(2025, 1, 1))
    second = coverage(practice.cigna, member_id="C9", effective_date=date(2026, 3, 1))

    problems = _check(practice, [first, second])

    assert [problem.field for problem in problems] == ["coverages[1].priority"]
    assert problems[0].message == (
        "Two primary coverages overlap on 2026-03-01: Aetna (member W123) and Cigna "
        "(member C9). End one of them or make one secondary."
    )


def test_adjacent_ranges_allowed(practice: Practice) -> None:
    first = coverage(
        practice.aetna, effective_date=date(2025, 1, 1), termination_date=date(2025, 12, 31)
    )
    second = coverage(practice.cigna, effective_date=date(2026, 1, 1))

    assert _check(practice, [first, second]) == []


def test_open_ranges_overlap(practice: Practice) -> None:
    ended = coverage(practice.aetna, effective_date=None, termination_date=date(2025, 12, 31))
    open_start = coverage(practice.cigna, effective_date=None)

    problems = _check(practice, [ended, open_start])

    assert len(problems) == 1
    assert "Two primary coverages overlap" in problems[0].message


def test_same_day_range_overlaps(practice: Practice) -> None:
    first = coverage(
        practice.aetna, effective_date=date(2025, 1, 1), termination_date=date(2025, 12, 31)
    )
    second = coverage(practice.cigna, effective_date=date(2025, 12, 31))

    problems = _check(practice, [first, second])

    assert "on 2025-12-31" in problems[0].message


def test_different_priorities_allowed(practice: Practice) -> None:
    primary = coverage(practice.aetna)
    secondary = coverage(practice.cigna, priority=2)

    assert _check(practice, [primary, secondary]) == []


def test_secondary_overlap_suggests_tertiary(practice: Practice) -> None:
    first = coverage(practice.aetna, priority=2)
    second = coverage(practice.cigna, priority=2)

    problems = _check(practice, [first, second])

    assert "Two secondary coverages overlap" in problems[0].message
    assert problems[0].message.endswith("make one tertiary.")


def test_archived_entry_not_counted(practice: Practice) -> None:
    first = coverage(practice.aetna, archived=True)
    second = coverage(practice.cigna)

    assert _check(practice, [first, second]) == []


def test_saved_coverage_counts(practice: Practice) -> None:
    with practice.database.transaction() as session:
        saved = save_patient(
            session, practice.front_desk, valid_form(coverages=[coverage(practice.aetna)]), TODAY
        )
    new = coverage(practice.cigna, member_id="C9", effective_date=date(2026, 3, 1))

    problems = _check(practice, [new], saved.patient_id)

    assert [problem.field for problem in problems] == ["coverages[0].priority"]
    assert "Aetna (member W123456789)" in problems[0].message


def test_saved_coverage_listed_not_doubled(practice: Practice) -> None:
    with practice.database.transaction() as session:
        saved = save_patient(
            session, practice.front_desk, valid_form(coverages=[coverage(practice.aetna)]), TODAY
        )
    assert saved.patient_id is not None
    from app.services.registration import load_patient_form

    with practice.database.transaction() as session:
        loaded = load_patient_form(session, practice.front_desk, saved.patient_id)

    assert _check(practice, loaded.coverages, saved.patient_id) == []


def test_saved_coverage_dropped_on_save_not_counted(practice: Practice) -> None:
    with practice.database.transaction() as session:
        saved = save_patient(
            session, practice.front_desk, valid_form(coverages=[coverage(practice.aetna)]), TODAY
        )
    replacement = valid_form(id=saved.patient_id, coverages=[coverage(practice.cigna)])

    with practice.database.transaction() as session:
        outcome = save_patient(session, practice.front_desk, replacement, TODAY)

    assert outcome.problems == []


def test_archived_payer_kept_on_saved_coverage(practice: Practice) -> None:
    with practice.database.transaction() as session:
        saved = save_patient(
            session, practice.front_desk, valid_form(coverages=[coverage(practice.cigna)]), TODAY
        )
    assert saved.patient_id is not None
    from app.services.registration import load_patient_form

    with practice.database.transaction() as session:
        payer = session.get(Payer, practice.cigna)
        assert payer is not None
        payer.archived = True
        loaded = load_patient_form(session, practice.front_desk, saved.patient_id)

    assert _check(practice, loaded.coverages, saved.patient_id) == []
