"""Hostile values on service lines: pointers, modifiers, units and codes as typed."""

from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import ValidationError
from app.problems import Problem, Severity
from app.services import encounters
from app.services.encounters import EncounterForm, LineForm
from tests.helpers.charge_data import ChargePractice
from tests.services.charges_break.flows import ledger_amounts, line_ids, post, posted, save, saved


@pytest.mark.parametrize("units", [10_000, 10**15, 10**19])
def test_units_past_limit_rejected(
    database: Database, practice: ChargePractice, units: int
) -> None:
    form = practice.form([LineForm(procedure_code="99213", units=units)])

    outcome = save(database, practice.biller, form)

    assert outcome.record_id is None
    assert "lines[0].units" in [problem.field for problem in outcome.problems]


def test_most_units_post(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", units=9999)])

    posted(database, practice, form)

    assert ledger_amounts(database) == [Decimal("1199880.00")]


def test_correction_units_past_limit(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    huge = LineForm(procedure_code="99213", units=10**19)

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        encounters.correct_line(session, practice.biller, line_id, huge, "Wrong units")

    assert [problem.field for problem in error.value.problems] == ["lines[0].units"]
    assert ledger_amounts(database) == [Decimal("120.00")]


def check(database: Database, practice: ChargePractice, form: EncounterForm) -> list[Problem]:
    """Return the errors check_encounter finds in the form, as the biller sees them."""
    with database.reading() as session:
        problems = encounters.check_encounter(session, practice.biller, form)
    return [problem for problem in problems if problem.severity is Severity.ERROR]


@pytest.mark.parametrize(
    ("pointers", "expected"),
    [
        ([0], "points to diagnosis 0"),
        ([5], "points to diagnosis 5"),
        ([-1], "points to diagnosis -1"),
        ([1, 1], "points to diagnosis 1 twice"),
    ],
)
def test_bad_pointers_not_posted(
    database: Database, practice: ChargePractice, pointers: list[int], expected: str
) -> None:
    form = practice.form([LineForm(procedure_code="99213", pointers=pointers)])
    encounter_id = saved(database, practice.biller, form)

    errors = check(database, practice, form)
    with pytest.raises(ValidationError):
        post(database, practice.biller, encounter_id)

    assert [problem.field for problem in errors] == ["lines[0].pointers"]
    assert expected in errors[0].message
    assert ledger_amounts(database) == []


def test_thirteen_diagnoses_post(database: Database, practice: ChargePractice) -> None:
    codes = [
        "E11.9", "I10", "J06.9", "R05.9", "M54.50", "K21.9", "F41.1",
        "E78.5", "N39.0", "R51.9", "J45.909", "L30.9", "H10.9",
    ]  # fmt: skip
    line = LineForm(procedure_code="99213", pointers=[13, 12, 1, 2])
    form = practice.form([line], diagnoses=codes)

    encounter_id = posted(database, practice, form)

    with database.reading() as session:
        stored = encounters.load_encounter(session, practice.biller, encounter_id)
    assert len(stored.diagnoses) == 13
    assert stored.lines[0].pointers == [13, 12, 1, 2]
    assert ledger_amounts(database) == [Decimal("120.00")]


def test_five_modifiers_not_saved(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", modifiers=["25", "GP", "KX", "RT", "LT"])

    outcome = save(database, practice.biller, practice.form([line]))

    assert outcome.record_id is None
    assert "lines[0].modifiers" in [problem.field for problem in outcome.problems]


def test_four_modifiers_posted(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", modifiers=["25", "gp", " kx ", "RT"])

    encounter_id = posted(database, practice, practice.form([line]))

    with database.reading() as session:
        (stored,) = encounters.posted_lines(session, practice.biller, encounter_id)
    assert stored.modifiers == ("25", "GP", "KX", "RT")
    assert ledger_amounts(database) == [Decimal("130.00")]


def test_codes_typed_loosely_normalized(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code=" 99213 ", modifiers=[" 25", ""], pointers=[1, 2])
    form = practice.form([line], diagnoses=[" e11.9 ", "i 10"])

    encounter_id = posted(database, practice, form)

    with database.reading() as session:
        stored = encounters.load_encounter(session, practice.biller, encounter_id)
    assert stored.diagnoses == ["E119", "I10"]
    assert stored.lines[0].procedure_code == "99213"
    assert stored.lines[0].modifiers == ["25"]


@pytest.mark.parametrize(
    ("diagnosis", "line", "field"),
    [
        ("\u0415119", LineForm(procedure_code="99213"), "diagnoses[0]"),
        ("E11\u200b.9", LineForm(procedure_code="99213"), "diagnoses[0]"),
        ("\uff2511.9", LineForm(procedure_code="99213"), "diagnoses[0]"),
        ("E11.9", LineForm(procedure_code="\u04081100"), "lines[0].procedure_code"),
        ("E11.9", LineForm(procedure_code="992.13"), "lines[0].procedure_code"),
        ("E11.9", LineForm(procedure_code="99 213"), "lines[0].procedure_code"),
        ("E11.9", LineForm(procedure_code="99213", modifiers=["2\u0665"]), "lines[0].modifiers"),
        ("E11.9", LineForm(procedure_code="99213", modifiers=["G\u0420"]), "lines[0].modifiers"),
    ],
)
def test_lookalike_codes_rejected(
    database: Database, practice: ChargePractice, diagnosis: str, line: LineForm, field: str
) -> None:
    form = practice.form([line], diagnoses=[diagnosis])
    encounter_id = saved(database, practice.biller, form)

    errors = check(database, practice, form)
    with pytest.raises(ValidationError):
        post(database, practice.biller, encounter_id)

    assert [problem.field for problem in errors] == [field]
    assert "\u200b" not in errors[0].message
    assert ledger_amounts(database) == []


@pytest.mark.parametrize(
    ("diagnosis", "line", "character"),
    [
        ("\u0415119", LineForm(procedure_code="99213"), "U+0415"),
        ("E11.9", LineForm(procedure_code="\u04081100"), "U+0408"),
        ("E11.9", LineForm(procedure_code="99213", modifiers=["G\u0420"]), "U+0420"),
    ],
)
def test_lookalike_character_named(
    database: Database, practice: ChargePractice, diagnosis: str, line: LineForm, character: str
) -> None:
    form = practice.form([line], diagnoses=[diagnosis])

    errors = check(database, practice, form)

    assert len(errors) == 1
    assert character in errors[0].message
    assert "retype" in errors[0].message


@pytest.mark.parametrize("units", [0, -1, -(10**19)])
def test_units_below_one_rejected(database: Database, practice: ChargePractice, units: int) -> None:
    form = practice.form([LineForm(procedure_code="99213", units=units)])

    outcome = save(database, practice.biller, form)
    errors = check(database, practice, form)

    assert outcome.record_id is None
    assert [problem.field for problem in errors] == ["lines[0].units"]
    assert errors[0].message == f"Line 1 has {units} units; enter 1 or more."
