"""ICD-10-CM: search, checks, parent chains, the edition by date, and edition import."""

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import PermissionDeniedError, ValidationError
from app.models.charges import IcdCode, IcdEdition
from app.models.security import AuditEvent
from app.problems import Severity
from app.services import icd10
from app.services.icd10_import import import_icd_edition, list_editions, parse_order_file
from tests.helpers.fee_data import FeePractice, build_fee_practice
from tests.helpers.icd10_data import (
    SAMPLE_CODE_COUNT,
    SAMPLE_ORDER_FILE,
    import_sample,
    order_line,
    write_order_file,
)

IN_FY2026 = date(2026, 3, 2)
FY2027_START = date(2026, 10, 1)
FY2027_END = date(2027, 9, 30)


@pytest.fixture
def practice(database: Database) -> FeePractice:
    return build_fee_practice(database)


def codes_found(database: Database, text: str, day: date = IN_FY2026, limit: int = 50) -> list[str]:
    with database.session() as session:
        return [match.code for match in icd10.search_codes(session, text, day, limit)]


def edition_counts(session: Session) -> tuple[int, int]:
    editions = session.scalar(select(func.count()).select_from(IcdEdition))
    codes = session.scalar(select(func.count()).select_from(IcdCode))
    return editions or 0, codes or 0


# ---- codes as typed and shown ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "stored"),
    [(" e11.9 ", "E119"), ("E119", "E119"), ("s72.001a", "S72001A"), ("I10", "I10"), ("", "")],
)
def test_normalize_code(typed: str, stored: str) -> None:
    assert icd10.normalize_code(typed) == stored


@pytest.mark.parametrize(
    ("stored", "shown"),
    [("E119", "E11.9"), ("I10", "I10"), ("S72001A", "S72.001A"), ("e11.9", "E11.9")],
)
def test_display_code(stored: str, shown: str) -> None:
    assert icd10.display_code(stored) == shown


@pytest.mark.parametrize(
    ("day", "year"),
    [(date(2025, 9, 30), 2025), (date(2025, 10, 1), 2026), (date(2026, 9, 30), 2026)],
)
def test_fiscal_year(day: date, year: int) -> None:
    assert icd10.fiscal_year(day) == year


# ---- search ------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["E11.9", "e11.9", "E119", "e119"])
def test_search_code_dot_or_not(database: Database, typed: str) -> None:
    assert codes_found(database, typed)[0] == "E119"


def test_search_code_prefix_billable_first(database: Database) -> None:
    found = codes_found(database, "e11", limit=500)
    with database.session() as session:
        matches = icd10.search_codes(session, "e11", IN_FY2026, 500)

    assert all(code.startswith("E11") for code in found)
    assert "E119" in found
    assert "E11" in found
    billable = [match.billable for match in matches]
    assert billable == sorted(billable, reverse=True)
    assert found.index("E119") < found.index("E11")


def test_search_keeps_typed_category(database: Database) -> None:
    # E11 has more than 50 billable codes under it; the category itself still shows, last.
    found = codes_found(database, "E11")

    assert len(found) == 50
    assert found[-1] == "E11"
    assert all(code.startswith("E11") and len(code) > 3 for code in found[:-1])


def test_search_words_any_order(database: Database) -> None:
    forward = codes_found(database, "type 2 diabetes without complications")
    backward = codes_found(database, "complications without diabetes 2 type")

    assert "E119" in forward
    assert set(forward) == set(backward)


def test_search_word_prefixes(database: Database) -> None:
    found = codes_found(database, "diab typ 2 without compl")

    assert found[0] == "E119"


def test_search_needs_every_word(database: Database) -> None:
    with database.session() as session:
        matches = icd10.search_codes(session, "diabetes hyperglycemia", IN_FY2026)

    assert matches
    for match in matches:
        assert "diabet" in match.description.lower()
        assert "hyperglycemia" in match.description.lower()


def test_search_unknown_word_finds_nothing(database: Database) -> None:
    assert codes_found(database, "diabetes zzzqx") == []


def test_search_blank_text(database: Database) -> None:
    assert codes_found(database, "   ") == []


def test_search_code_like_word(database: Database) -> None:
    # "b12" looks like a code prefix, but no code starts with B12; the vitamin is found.
    found = codes_found(database, "b12")

    assert "D519" in found


def test_search_code_and_word(database: Database) -> None:
    found = codes_found(database, "E11 kidney")

    assert found
    assert all(code.startswith("E11") for code in found)
    assert "E1122" in found


def test_search_limit(database: Database) -> None:
    assert len(codes_found(database, "fracture", limit=7)) == 7


def test_search_match_fields(database: Database) -> None:
    with database.session() as session:
        match = icd10.search_codes(session, "E11.9", IN_FY2026)[0]

    assert match == icd10.IcdMatch(
        "E119", "E11.9", "Type 2 diabetes mellitus without complications", True
    )


def test_search_ignores_accents(database: Database) -> None:
    assert codes_found(database, "sezary")[:3] == codes_found(database, "Sézary")[:3]
    assert codes_found(database, "sezary")


# ---- checks, descriptions and chains -------------------------------------------------------


def test_billable_code_has_no_problems(database: Database) -> None:
    with database.session() as session:
        assert icd10.code_problems(session, "e11.9", IN_FY2026, "diagnoses[0]") == []


def test_category_not_billable(database: Database) -> None:
    with database.session() as session:
        problems = icd10.code_problems(session, "E11", IN_FY2026, "diagnoses[0]")

    assert len(problems) == 1
    assert problems[0].field == "diagnoses[0]"
    assert problems[0].severity is Severity.ERROR
    assert problems[0].message == (
        "E11 is not billable; choose a more specific code such as E11.9."
    )


def test_subcategory_names_billable_child(database: Database) -> None:
    with database.session() as session:
        problems = icd10.code_problems(session, "S72.001", IN_FY2026, "diagnoses[1]")

    assert len(problems) == 1
    assert "S72.001 is not billable" in problems[0].message
    assert "such as S72.001" in problems[0].message


def test_invalid_code_named(database: Database) -> None:
    with database.session() as session:
        problems = icd10.code_problems(session, "e11.99", IN_FY2026, "diagnoses[2]")

    assert len(problems) == 1
    assert problems[0].severity is Severity.ERROR
    assert problems[0].message.startswith("E11.99 is not an ICD-10-CM code in FY2026")


def test_missing_code(database: Database) -> None:
    with database.session() as session:
        problems = icd10.code_problems(session, "  ", IN_FY2026, "diagnoses[0]")

    assert [problem.severity for problem in problems] == [Severity.ERROR]
    assert "missing" in problems[0].message


def test_describe_code(database: Database) -> None:
    with database.session() as session:
        assert icd10.describe_code(session, "I10", IN_FY2026) == "Essential (primary) hypertension"
        assert icd10.describe_code(session, "I10.9", IN_FY2026) is None


def test_parent_chain_chapter_first(database: Database) -> None:
    with database.session() as session:
        chain = icd10.parent_chain(session, "E11.9", IN_FY2026)

    assert [match.display_code for match in chain] == ["Chapter 4", "E08-E13", "E11"]
    assert chain[0].description.startswith("Endocrine, nutritional and metabolic diseases")
    assert not any(match.billable for match in chain)


def test_parent_chain_single_category_block(database: Database) -> None:
    # B99 is both a block and its only category; the chain lists it once.
    with database.session() as session:
        chain = icd10.parent_chain(session, "B99.9", IN_FY2026)

    assert [match.display_code for match in chain] == ["Chapter 1", "B99"]


def test_parent_chain_unknown_code(database: Database) -> None:
    with database.session() as session:
        assert icd10.parent_chain(session, "E11.99", IN_FY2026) == []


# ---- the edition for a date of service ----------------------------------------------------


@pytest.mark.parametrize("day", [date(2025, 10, 1), IN_FY2026, date(2026, 9, 30)])
def test_bundled_edition_inside(database: Database, day: date) -> None:
    with database.session() as session:
        choice = icd10.edition_for(session, day)

    assert choice == icd10.EditionChoice("FY2026", date(2025, 10, 1), date(2026, 9, 30), True)


def test_fallback_after_last_edition(database: Database) -> None:
    with database.session() as session:
        choice = icd10.edition_for(session, FY2027_START)
        problems = icd10.code_problems(session, "E11.9", FY2027_START, "diagnoses[0]")

    assert choice.name == "FY2026"
    assert choice.exact is False
    assert len(problems) == 1
    assert problems[0].severity is Severity.WARNING
    assert "FY2027" in problems[0].message
    assert "Import the CDC code file for FY2027 in Admin → Code sets" in problems[0].message


def test_fallback_before_first_edition(database: Database) -> None:
    day = date(2025, 9, 30)
    with database.session() as session:
        choice = icd10.edition_for(session, day)
        problems = icd10.code_problems(session, "E11.9", day, "diagnoses[0]")

    assert choice.name == "FY2026"
    assert choice.exact is False
    assert "FY2025" in problems[0].message


def test_fallback_warning_follows_error(database: Database) -> None:
    with database.session() as session:
        problems = icd10.code_problems(session, "E11", FY2027_START, "diagnoses[0]")

    assert [problem.severity for problem in problems] == [Severity.ERROR, Severity.WARNING]


def test_imported_edition_from_october(database: Database, practice: FeePractice) -> None:
    import_sample(database, practice.manager, "FY2027", FY2027_START, FY2027_END)

    with database.session() as session:
        before = icd10.edition_for(session, date(2026, 9, 30))
        first_day = icd10.edition_for(session, FY2027_START)
        last_day = icd10.edition_for(session, FY2027_END)
        after = icd10.edition_for(session, date(2027, 10, 1))

    assert (before.name, before.exact) == ("FY2026", True)
    assert (first_day.name, first_day.exact) == ("FY2027", True)
    assert (last_day.name, last_day.exact) == ("FY2027", True)
    assert (after.name, after.exact) == ("FY2027", False)


def test_imported_edition_preferred(database: Database, practice: FeePractice) -> None:
    # An edition imported for a range the bundled one also covers is used first.
    import_sample(database, practice.manager, "FY2026-April", date(2026, 4, 1), date(2026, 9, 30))
    in_both = date(2026, 5, 4)

    with database.session() as session:
        choice = icd10.edition_for(session, in_both)
        cholera = icd10.code_problems(session, "A00.0", in_both, "diagnoses[0]")
        earlier = icd10.code_problems(session, "A00.0", date(2026, 3, 31), "diagnoses[0]")
        found = [match.code for match in icd10.search_codes(session, "diabetes", in_both)]

    assert (choice.name, choice.exact) == ("FY2026-April", True)
    assert "not an ICD-10-CM code in FY2026-April" in cholera[0].message
    assert earlier == []
    assert found == ["E1165", "E119", "E11", "E116"]


def test_imported_edition_checks(database: Database, practice: FeePractice) -> None:
    import_sample(database, practice.manager, "FY2027", FY2027_START, FY2027_END)
    day = date(2027, 1, 4)

    with database.session() as session:
        chain = icd10.parent_chain(session, "E11.65", day)
        category = icd10.code_problems(session, "E11", day, "diagnoses[0]")
        billable = icd10.code_problems(session, "J45.20", day, "diagnoses[0]")
        description = icd10.describe_code(session, "Z00.00", day)

    assert [match.display_code for match in chain] == ["E11", "E11.6"]
    assert category[0].message == "E11 is not billable; choose a more specific code such as E11.9."
    assert billable == []
    assert (
        description == "Encounter for general adult medical examination without abnormal findings"
    )


# ---- import --------------------------------------------------------------------------------


def test_import_writes_edition(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        changes = import_icd_edition(
            session, practice.manager, SAMPLE_ORDER_FILE, " FY2027 ", FY2027_START, FY2027_END
        )

    with database.session() as session:
        edition = session.scalars(select(IcdEdition)).one()
        billable = session.scalar(
            select(func.count()).select_from(IcdCode).where(IcdCode.billable.is_(True))
        )
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "icd10_edition")
        ).one()

    assert changes.touches(ChangeKind.CODE_SETS)
    assert edition.name == "FY2027"
    assert edition.code_count == SAMPLE_CODE_COUNT
    assert edition.source.startswith("icd10cm_order_sample.txt sha256:")
    assert billable == 5
    assert audit.action == "import"
    assert audit.object_id == str(edition.id)


def test_import_rejects_bad_line(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    path = write_order_file(
        tmp_path,
        [
            order_line(1, "E11", False, "Type 2 diabetes mellitus"),
            order_line(2, "E119", True, "Type 2 diabetes mellitus without complications"),
            "00003 I10     1 Essential (primary) hypertension",
        ],
    )

    with database.transaction() as session:
        with pytest.raises(ValidationError) as raised:
            import_icd_edition(session, practice.manager, path, "FY2027", FY2027_START, FY2027_END)
        counts = edition_counts(session)

    messages = [problem.message for problem in raised.value.problems]
    assert len(messages) == 1
    assert messages[0].startswith("Line 3:")
    assert counts == (0, 0)


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (order_line(2, "E11.9", True, "Type 2 diabetes mellitus"), "E11.9 in columns 7-13"),
        (order_line(2, "E119", True, "Type 2").replace(" 1 ", " 2 ", 1), "column 15"),
        ("0000X" + order_line(2, "E119", True, "Type 2 diabetes")[5:], "columns 1-5"),
        (order_line(2, "E119", True, "Type 2 diabetes").replace(" E119", "-E119"), "columns 6, 14"),
        (order_line(2, "E119", True, " ")[:77] + "   ", "no long description"),
        (order_line(2, "E11", True, "Type 2 diabetes mellitus"), "already on line 1"),
    ],
)
def test_import_line_problems(tmp_path: Path, line: str, expected: str) -> None:
    data = (order_line(1, "E11", False, "Type 2 diabetes mellitus") + "\n" + line + "\n").encode()

    with pytest.raises(ValidationError) as raised:
        parse_order_file(data, "order.txt")

    messages = [problem.message for problem in raised.value.problems]
    assert len(messages) == 1
    assert messages[0].startswith("Line 2:")
    assert expected in messages[0]


def test_import_accepts_crlf_lines() -> None:
    lines = [
        order_line(1, "E11", False, "Type 2 diabetes mellitus"),
        order_line(2, "E119", True, "Type 2 diabetes mellitus without complications"),
    ]

    codes = parse_order_file("\r\n".join(lines).encode() + b"\r\n", "order.txt")

    assert [(code.code, code.billable) for code in codes] == [("E11", False), ("E119", True)]
    assert codes[1].description == "Type 2 diabetes mellitus without complications"


def test_import_summarizes_many_problems() -> None:
    data = b"\n".join(b"not an order line %d" % number for number in range(30))

    with pytest.raises(ValidationError) as raised:
        parse_order_file(data, "notes.txt")

    messages = [problem.message for problem in raised.value.problems]
    assert len(messages) == 21
    assert messages[-1].startswith("10 more lines have problems")


def test_import_empty_file() -> None:
    with pytest.raises(ValidationError) as raised:
        parse_order_file(b"\n\n", "empty.txt")

    assert "empty.txt contains no codes" in raised.value.problems[0].message


def test_import_rejects_duplicate_name(database: Database, practice: FeePractice) -> None:
    import_sample(database, practice.manager, "FY2027", FY2027_START, FY2027_END)

    with database.transaction() as session:
        with pytest.raises(ValidationError) as raised:
            import_icd_edition(
                session, practice.manager, SAMPLE_ORDER_FILE, "FY2027", FY2027_START, FY2027_END
            )
        counts = edition_counts(session)

    assert [problem.field for problem in raised.value.problems] == ["name"]
    assert "already exists" in raised.value.problems[0].message
    assert counts == (1, SAMPLE_CODE_COUNT)


def test_import_rejects_bundled_name(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        import_icd_edition(
            session, practice.manager, SAMPLE_ORDER_FILE, "fy2026", FY2027_START, FY2027_END
        )

    assert [problem.field for problem in raised.value.problems] == ["name"]


def test_import_rejects_reversed_dates(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session:
        with pytest.raises(ValidationError) as raised:
            import_icd_edition(
                session, practice.manager, SAMPLE_ORDER_FILE, "FY2027", FY2027_END, FY2027_START
            )
        counts = edition_counts(session)

    assert [problem.field for problem in raised.value.problems] == ["valid_to"]
    assert counts == (0, 0)


def test_import_missing_file(database: Database, practice: FeePractice, tmp_path: Path) -> None:
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        import_icd_edition(
            session, practice.manager, tmp_path / "gone.txt", "FY2027", FY2027_START, FY2027_END
        )

    assert raised.value.problems[0].field == "file"
    assert "could not be read" in raised.value.problems[0].message


def test_import_needs_code_set_edit(database: Database, practice: FeePractice) -> None:
    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        import_icd_edition(
            session, practice.biller, SAMPLE_ORDER_FILE, "FY2027", FY2027_START, FY2027_END
        )


def test_list_editions(database: Database, practice: FeePractice) -> None:
    import_sample(database, practice.manager, "FY2027", FY2027_START, FY2027_END)

    with database.session() as session:
        editions = list_editions(session, practice.manager)

    assert [(edition.name, edition.bundled) for edition in editions] == [
        ("FY2027", False),
        ("FY2026", True),
    ]
    assert editions[0].code_count == SAMPLE_CODE_COUNT
    assert editions[1].code_count > 90_000
