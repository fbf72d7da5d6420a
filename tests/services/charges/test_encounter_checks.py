"""The checks an encounter passes before posting: codes, pointers, units, dates, fees, NDCs."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.db.database import Database
from app.problems import Problem, Severity
from app.security.permissions import Actor
from app.services import encounters, icd10, ledger
from app.services.encounter_ndc import normalize_ndc
from app.services.encounters import EncounterForm, LineForm
from app.services.today import practice_today
from tests.helpers.charge_data import VISIT_DAY, ChargePractice, build_charge_practice


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def problems_of(database: Database, actor: Actor, form: EncounterForm) -> list[Problem]:
    with database.reading() as session:
        return encounters.check_encounter(session, actor, form)


def errors_on(problems: list[Problem], field: str) -> list[str]:
    return [p.message for p in problems if p.field == field and p.severity is Severity.ERROR]


def test_complete_form_passes(database: Database, practice: ChargePractice) -> None:
    problems = problems_of(database, practice.biller, practice.form())

    assert problems == []


# ---- diagnoses ------------------------------------------------------------------------------


def test_invalid_diagnosis_rejected(database: Database, practice: ChargePractice) -> None:
    problems = problems_of(database, practice.biller, practice.form(diagnoses=["Q99.99X"]))

    messages = errors_on(problems, "diagnoses[0]")
    assert len(messages) == 1
    assert "Q99.99X is not an ICD-10-CM code" in messages[0]


def test_category_not_billable(database: Database, practice: ChargePractice) -> None:
    problems = problems_of(database, practice.biller, practice.form(diagnoses=["E11"]))

    messages = errors_on(problems, "diagnoses[0]")
    assert len(messages) == 1
    assert "E11 is not billable" in messages[0]


def test_missing_edition_warned_once(database: Database, practice: ChargePractice) -> None:
    # Fiscal year 2027 starts on October 1, 2026; only FY2026 ships with ClinicDesk.
    form = practice.form(diagnoses=["E11.9", "I10"], day=date(2026, 11, 2))

    problems = problems_of(database, practice.biller, form)

    warnings = [p for p in problems if p.severity is Severity.WARNING and "FY2027" in p.message]
    assert len(warnings) == 1
    assert warnings[0].field == "diagnoses"
    assert errors_on(problems, "diagnoses[0]") == []


def test_repeated_diagnosis_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form(diagnoses=["E11.9", "I10", "e119"])

    problems = problems_of(database, practice.biller, form)

    assert errors_on(problems, "diagnoses[0]") == []
    assert errors_on(problems, "diagnoses[1]") == []
    messages = errors_on(problems, "diagnoses[2]")
    assert len(messages) == 1
    assert "already diagnosis 1" in messages[0]


def test_no_diagnosis_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form(diagnoses=[], lines=[LineForm(procedure_code="99213", pointers=[1])])

    problems = problems_of(database, practice.biller, form)

    assert len(errors_on(problems, "diagnoses")) == 1
    assert len(errors_on(problems, "lines[0].pointers")) == 1


def test_blank_diagnosis_rejected(database: Database, practice: ChargePractice) -> None:
    problems = problems_of(database, practice.biller, practice.form(diagnoses=["E11.9", " "]))

    assert errors_on(problems, "diagnoses[1]") == [
        "Diagnosis 2 is blank; type a code or remove the row."
    ]


def test_thirteen_diagnoses_warn_of_split(database: Database, practice: ChargePractice) -> None:
    with database.reading() as session:
        matches = icd10.search_codes(session, "E11", VISIT_DAY, limit=50)
    codes = [match.code for match in matches if match.billable][:13]
    assert len(codes) == 13

    problems = problems_of(database, practice.biller, practice.form(diagnoses=codes))

    assert [p.severity for p in problems] == [Severity.WARNING]
    assert problems[0].field == "diagnoses"
    assert "more than one claim" in problems[0].message


# ---- pointers, units, modifiers -------------------------------------------------------------


@pytest.mark.parametrize(
    ("pointers", "expected"),
    [
        ([3], "points to diagnosis 3, but the encounter lists 2 diagnoses"),
        ([0], "points to diagnosis 0"),
        ([1, 2, 1], "points to diagnosis 1 twice"),
        ([], "points to no diagnosis"),
        ([1, 2, 3, 4, 5], "points to 5 diagnoses"),
    ],
)
def test_pointer_rules(
    database: Database, practice: ChargePractice, pointers: list[int], expected: str
) -> None:
    line = LineForm(procedure_code="99213", pointers=pointers)
    form = practice.form([line], diagnoses=["E11.9", "I10"])

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].pointers")

    assert any(expected in message for message in messages), messages


def test_two_pointers_pass(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", pointers=[2, 1])
    form = practice.form([line], diagnoses=["E11.9", "I10"])

    assert problems_of(database, practice.biller, form) == []


@pytest.mark.parametrize("units", [0, -1])
def test_units_must_be_positive(database: Database, practice: ChargePractice, units: int) -> None:
    form = practice.form([LineForm(procedure_code="99213", units=units)])

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].units")

    assert messages == [f"Line 1 has {units} units; enter 1 or more."]


def test_five_modifiers_rejected(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", modifiers=["25", "GA", "GY", "GZ", "KX"])

    messages = errors_on(
        problems_of(database, practice.biller, practice.form([line])), "lines[0].modifiers"
    )

    assert any("5 modifiers" in message for message in messages), messages


def test_unknown_modifier_rejected(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", modifiers=["Q9"])

    messages = errors_on(
        problems_of(database, practice.biller, practice.form([line])), "lines[0].modifiers"
    )

    assert len(messages) == 1
    assert "Q9" in messages[0]


def test_payer_modifier_rule(database: Database, practice: ChargePractice) -> None:
    bare = LineForm(procedure_code="97110", units=2)
    with_gp = replace(bare, modifiers=["GP"])

    aetna = problems_of(database, practice.biller, practice.form([bare]))
    satisfied = problems_of(database, practice.biller, practice.form([with_gp]))
    uninsured = problems_of(
        database,
        practice.biller,
        practice.form([bare], patient_id=practice.uninsured_patient_id),
    )

    messages = errors_on(aetna, "lines[0].modifiers")
    assert len(messages) == 1
    assert messages[0].startswith("97110 needs")
    assert "GP, GO for Aetna" in messages[0]
    assert satisfied == []
    assert uninsured == []


# ---- procedure codes and fees ---------------------------------------------------------------


def test_unknown_code_names_fix(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99499")])

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].procedure_code")

    assert len(messages) == 1
    assert "99499" in messages[0]
    assert "Admin > Procedure codes" in messages[0]
    assert "import" in messages[0]


def test_blank_code_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code=" ")])

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].procedure_code")

    assert messages == ["Line 1 has no procedure code; type a CPT or HCPCS code."]


def test_missing_fee_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="T1001")])

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].unit_fee")

    assert len(messages) == 1
    assert "no fee for T1001" in messages[0]


def test_typed_fee_fills_missing_price(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="T1001", unit_fee=Decimal("35.00"))])

    assert problems_of(database, practice.biller, form) == []


def test_fee_missing_before_schedules(database: Database, practice: ChargePractice) -> None:
    form = practice.form(day=date(2024, 12, 2))

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].unit_fee")

    assert len(messages) == 1
    assert "no fee for 99213" in messages[0]


def test_fee_change_needs_permission(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal("99.00"))])

    biller = errors_on(problems_of(database, practice.biller, form), "lines[0].unit_fee")
    manager = errors_on(problems_of(database, practice.manager, form), "lines[0].unit_fee")

    assert len(biller) == 1
    assert "does not allow changing fees" in biller[0]
    assert manager == []


def test_schedule_fee_typed_needs_nothing(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal("120.00"))])

    assert problems_of(database, practice.biller, form) == []


def test_negative_fee_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal("-1.00"))])

    messages = errors_on(problems_of(database, practice.manager, form), "lines[0].unit_fee")

    assert messages == ["Line 1 has a negative fee -1.00; enter 0 or more."]


# ---- NDC ------------------------------------------------------------------------------------


def test_drug_code_needs_ndc(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="J1100")])

    problems = problems_of(database, practice.biller, form)

    assert len(errors_on(problems, "lines[0].ndc_code")) == 1
    assert len(errors_on(problems, "lines[0].ndc_quantity")) == 1
    assert len(errors_on(problems, "lines[0].ndc_unit")) == 1


def test_drug_line_with_ndc_passes(database: Database, practice: ChargePractice) -> None:
    line = LineForm(
        procedure_code="J1100", ndc_code="0777-3105-02", ndc_quantity="2.5", ndc_unit="ml"
    )

    assert problems_of(database, practice.biller, practice.form([line])) == []


@pytest.mark.parametrize(
    ("quantity", "unit", "field"),
    [
        ("0", "ML", "lines[0].ndc_quantity"),
        ("1.2345", "ML", "lines[0].ndc_quantity"),
        ("two", "ML", "lines[0].ndc_quantity"),
        ("1", "MG", "lines[0].ndc_unit"),
    ],
)
def test_ndc_quantity_and_unit(
    database: Database, practice: ChargePractice, quantity: str, unit: str, field: str
) -> None:
    line = LineForm(
        procedure_code="J1100", ndc_code="00777310502", ndc_quantity=quantity, ndc_unit=unit
    )

    problems = problems_of(database, practice.biller, practice.form([line]))

    assert len(errors_on(problems, field)) == 1
    assert [p.field for p in problems] == [field]


def test_partial_ndc_on_other_code(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", ndc_code="0777-3105-02")

    problems = problems_of(database, practice.biller, practice.form([line]))

    assert len(errors_on(problems, "lines[0].ndc_quantity")) == 1
    assert len(errors_on(problems, "lines[0].ndc_unit")) == 1


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("00777-3105-02", "00777310502"),
        ("0777-3105-02", "00777310502"),
        ("12345-678-90", "12345067890"),
        ("12345-6789-1", "12345678901"),
        (" 00777310502 ", "00777310502"),
        ("0777310502", None),
        ("0777-31050-2", None),
        ("0777-3105-0A", None),
        ("", None),
    ],
)
def test_ndc_normalized_to_eleven(typed: str, expected: str | None) -> None:
    assert normalize_ndc(typed) == expected


# ---- header ---------------------------------------------------------------------------------


def test_future_date_rejected(database: Database, practice: ChargePractice) -> None:
    with database.reading() as session:
        tomorrow = practice_today(session) + timedelta(days=1)
    form = practice.form()
    form.service_date = tomorrow

    messages = errors_on(problems_of(database, practice.biller, form), "service_date")

    assert len(messages) == 1
    assert "is in the future" in messages[0]


def test_date_before_birth_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form(day=date(1980, 5, 16))

    messages = errors_on(problems_of(database, practice.biller, form), "service_date")

    assert len(messages) == 1
    assert "before the patient's date of birth" in messages[0]


def test_line_date_checked(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", service_date=date(1979, 1, 1))])

    messages = errors_on(problems_of(database, practice.biller, form), "lines[0].service_date")

    assert len(messages) == 1
    assert "before the patient's date of birth" in messages[0]


def test_missing_provider_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form()
    form.rendering_provider_id = None

    messages = errors_on(problems_of(database, practice.biller, form), "rendering_provider_id")

    assert len(messages) == 1
    assert "Rendering provider is missing" in messages[0]


def test_auto_accident_needs_state(database: Database, practice: ChargePractice) -> None:
    form = practice.form()
    form.related_auto_accident = True

    missing = errors_on(problems_of(database, practice.biller, form), "auto_accident_state")
    form.auto_accident_state = "XX"
    invalid = errors_on(problems_of(database, practice.biller, form), "auto_accident_state")
    form.auto_accident_state = "il"
    valid = errors_on(problems_of(database, practice.biller, form), "auto_accident_state")

    assert len(missing) == 1
    assert "Auto accident state is missing" in missing[0]
    assert len(invalid) == 1
    assert valid == []


def test_onset_after_visit_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form()
    form.onset_date = VISIT_DAY + timedelta(days=1)

    messages = errors_on(problems_of(database, practice.biller, form), "onset_date")

    assert len(messages) == 1
    assert "after the date of service" in messages[0]


def test_unknown_place_rejected(database: Database, practice: ChargePractice) -> None:
    form = practice.form()
    form.place_of_service = "98"

    messages = errors_on(problems_of(database, practice.biller, form), "place_of_service")

    assert len(messages) == 1
    assert "98" in messages[0]


def test_closed_period_rejected(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session:
        ledger.set_ledger_lock_date(session, practice.manager, date(2026, 2, 28))

    messages = errors_on(problems_of(database, practice.biller, practice.form()), "service_date")

    assert len(messages) == 1
    assert "closed period" in messages[0]


def test_no_lines_rejected(database: Database, practice: ChargePractice) -> None:
    problems = problems_of(database, practice.biller, practice.form([]))

    assert errors_on(problems, "lines") == [
        "The encounter has no service lines; add at least one procedure."
    ]
