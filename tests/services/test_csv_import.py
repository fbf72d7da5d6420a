"""CSV patient import against a real database: plan, apply, re-import, all or nothing."""

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.patients import Coverage, ExternalReference, Patient, PatientPhone
from app.models.security import AuditEvent
from app.problems import Severity
from app.progress import Progress
from app.security.permissions import Role
from app.services import csv_import
from app.services.csv_import import (
    ImportMode,
    ImportPlan,
    ImportRefusedError,
    ImportReport,
    RowAction,
    RowResult,
)
from app.services.csv_mapping import suggest_mapping
from app.services.csv_reading import read_csv_preview
from tests.helpers.csv_import_data import (
    GOOD_ROWS,
    SYNTHEA_PATIENTS,
    CsvPractice,
    build_csv_practice,
    patient_count,
    write_csv,
)
from tests.ui.admin.conftest import add_user

TODAY = date(2026, 1, 10)
SOURCE = "OldPM"


@pytest.fixture
def practice(database: Database) -> CsvPractice:
    return build_csv_practice(database)


def _plan(
    database: Database, practice: CsvPractice, path: Path, source: str = SOURCE
) -> ImportPlan:
    csv_file = read_csv_preview(path)
    with database.transaction() as session:
        return csv_import.validate_rows(
            session, practice.admin, csv_file, suggest_mapping(csv_file.headers), TODAY,
            source=source,
        )  # fmt: skip


def _apply(
    database: Database, practice: CsvPractice, plan: ImportPlan, **options: Any
) -> ImportReport:
    with database.transaction() as session:
        return csv_import.apply_plan(
            session, practice.admin, plan, plan.default_selection(), **options
        )


def test_plan_counts_and_preview(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS))

    assert (plan.new_count, plan.update_count, plan.error_count) == (3, 0, 0)
    first = plan.rows[0]
    assert first.action is RowAction.CREATE
    assert first.preview[2:6] == ("Ruiz", "Ana", "03/14/1980", "F")
    assert first.preview[6] == "(847) 555-0142"
    assert first.preview[8:10] == ("Aetna", "W123456789")
    assert plan.rows[1].preview[7] == "9 Elm St, Boston, MA 02155"


def test_nothing_written_before_apply(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS))

    assert patient_count(database) == 0


def test_apply_saves_normalized_values(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS))

    report = _apply(database, practice, plan)

    assert report.count(RowResult.CREATED) == 3
    with database.reading() as session:
        ana = session.scalars(select(Patient).where(Patient.last_name == "Ruiz")).one()
        bo = session.scalars(select(Patient).where(Patient.last_name == "Lee")).one()
        assert ana.phone == "+18475550142"
        assert ana.date_of_birth == date(1980, 3, 14)
        assert bo.sex == "M"
        assert bo.state == "MA"
        assert bo.zip_code == "02155"
        phones = session.scalars(select(PatientPhone).where(PatientPhone.patient_id == bo.id))
        assert [(phone.kind, phone.number) for phone in phones] == [("mobile", "+16175550199")]
        coverage = session.scalars(select(Coverage).where(Coverage.patient_id == bo.id)).one()
        assert coverage.member_id == "W987"
        assert coverage.priority == 1
        assert coverage.relationship_code == "18"


def test_payer_by_name_or_code(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS))

    # Row 2 names the payer "Aetna", row 3 its payer code 60054.
    assert plan.rows[0].preview[8] == "Aetna"
    assert plan.rows[1].preview[8] == "Aetna"


def test_unknown_payer_is_row_error(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    row = "A200,Di,Kim,02/03/1970,F,,,,,,,Humana Gold,H55,"

    plan = _plan(database, practice, write_csv(tmp_path, row))

    errors = [problem for problem in plan.problems() if problem.severity is Severity.ERROR]
    assert len(errors) == 1
    assert errors[0].column == "Insurance"
    assert errors[0].text.startswith("Row 2, column Insurance: Humana Gold is not a payer")
    assert "Admin → Payers" in errors[0].message


def test_bad_row_does_not_block_good_rows(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    bad = "A103,Ed,Fox,31/02/1980,F,,,,,,,,,"
    plan = _plan(database, practice, write_csv(tmp_path, GOOD_ROWS[0], bad, GOOD_ROWS[1]))

    assert plan.error_count == 1
    assert plan.default_selection() == [2, 4]
    texts = [problem.text for problem in plan.problems() if problem.severity is Severity.ERROR]
    assert texts[0].startswith("Row 3, column DOB: 31/02/1980 is not a date;")
    assert "use MM/DD/YYYY" in texts[0]
    # The unreadable date is reported once, not again as "date of birth is missing".
    assert len(texts) == 1

    report = _apply(database, practice, plan)

    assert report.count(RowResult.CREATED) == 2
    assert report.count(RowResult.SKIPPED) == 1
    assert patient_count(database) == 2


def test_registration_rules_name_their_column(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    row = "A104,,Fox,02/03/2090,F,,,,,(847) 555-01,,,,"

    plan = _plan(database, practice, write_csv(tmp_path, row))

    columns = {problem.column for problem in plan.problems() if problem.severity is Severity.ERROR}
    assert {"First Name", "DOB", "Phone"} <= columns


def test_reimport_updates_instead_of_duplicating(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    _apply(database, practice, _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS)))
    changed = GOOD_ROWS[0].replace("12 Oak St", "40 Pine Ave")
    second = write_csv(tmp_path, changed, *GOOD_ROWS[1:], name="again.csv")

    plan = _plan(database, practice, second)

    assert (plan.new_count, plan.update_count) == (0, 3)
    report = _apply(database, practice, plan)
    assert report.count(RowResult.UPDATED) == 3
    assert patient_count(database) == 3
    with database.reading() as session:
        ana = session.scalars(select(Patient).where(Patient.last_name == "Ruiz")).one()
        assert ana.address_line1 == "40 Pine Ave"
        coverages = session.scalars(select(Coverage).where(Coverage.patient_id == ana.id)).all()
        assert len(coverages) == 1
        references = session.scalars(select(ExternalReference)).all()
        assert {reference.system for reference in references} == {"csv:OldPM"}
        assert len(references) == 3


def test_other_source_flags_existing_patients(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    path = write_csv(tmp_path, *GOOD_ROWS)
    _apply(database, practice, _plan(database, practice, path))

    plan = _plan(database, practice, path, source="OtherPM")

    assert plan.new_count == 3
    assert all(row.likely_duplicate for row in plan.rows)
    assert plan.default_selection() == []
    assert plan.rows[0].problems[-1].message.startswith("The same name and date of birth as")
    assert "already in ClinicDesk" in plan.rows[0].problems[-1].message


def test_nickname_of_stored_patient_flagged(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    thomas = "A200,Thomas,Monroe,05/06/1971,M,4 Pine St,Evanston,IL,60202,(224) 555-0199,,,,"
    _apply(database, practice, _plan(database, practice, write_csv(tmp_path, thomas)))
    thom = thomas.replace("A200,Thomas", "Z1,Thom")
    stranger = "Z2,Dana,Wells,08/09/1985,F,,,,,,,,,"

    plan = _plan(database, practice, write_csv(tmp_path, thom, stranger), source="OtherPM")

    thom_row, stranger_row = plan.rows
    assert thom_row.likely_duplicate
    assert not thom_row.has_errors
    warning = thom_row.problems[-1]
    assert warning.severity is Severity.WARNING
    assert warning.message.startswith("This may be patient ")
    assert "same phone" in warning.message
    assert not stranger_row.likely_duplicate
    assert plan.default_selection() == [3]


def test_report_messages_start_capitalized(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    bad = "A103,Ed,Fox,02/03/1980,Q,,,,,,,,,"
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS, bad))

    with database.transaction() as session:
        report = csv_import.apply_plan(session, practice.admin, plan, [2, 3])

    messages = {outcome.row_number: outcome.message for outcome in report.outcomes}
    assert messages[4] == "Not selected"
    assert messages[5].startswith("Not imported because of errors: Row 5, column Sex:")


def test_duplicates_inside_file(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    twin = GOOD_ROWS[0].replace("A100", "A900").replace("Ana,Ruiz", "ANA,ruiz")
    same_id = GOOD_ROWS[1].replace("Bo,Lee", "Cal,Ng")
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS, twin, same_id))

    twin_row, same_id_row = plan.rows[3], plan.rows[4]
    assert twin_row.likely_duplicate
    assert not twin_row.has_errors
    assert twin_row.problems[-1].message.startswith("The same name and date of birth as row 2")
    assert same_id_row.has_errors
    assert "also the ID of row 3" in same_id_row.problems[-1].message
    assert plan.default_selection() == [2, 3, 4]


def test_all_or_nothing_writes_nothing(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    bad = "A103,Ed,Fox,02/03/1980,Q,,,,,,,,,"
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS, bad))

    with pytest.raises(ImportRefusedError, match="1 of 4 rows have errors"):
        _apply(database, practice, plan, mode=ImportMode.ALL_OR_NOTHING)

    assert patient_count(database) == 0


def test_failure_mid_way_rolls_back(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    plan = _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS))
    progress = Progress()
    progress.cancel()

    # Cancelling raises from the first progress report, after the plan was accepted.
    with pytest.raises(UserError, match="cancelled"):
        _apply(database, practice, plan, progress=progress)

    assert patient_count(database) == 0


def test_ragged_rows_become_row_errors(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    plan = _plan(database, practice, write_csv(tmp_path, GOOD_ROWS[0], "A105,Short,Row"))

    assert plan.error_count == 1
    assert plan.rows[1].row_number == 3
    assert plan.rows[1].problems[0].message.startswith("The row has 3 fields but the header has 14")


def test_zip_padding_is_a_warning(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    plan = _plan(database, practice, write_csv(tmp_path, GOOD_ROWS[1]))

    warnings = [problem for problem in plan.problems() if problem.column == "Zip"]
    assert warnings[0].severity is Severity.WARNING
    assert "2155 was read as 02155" in warnings[0].message


def test_import_needs_permission(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    desk = add_user(database, practice.admin, "reception", Role.FRONT_DESK)
    csv_file = read_csv_preview(write_csv(tmp_path, *GOOD_ROWS))

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        csv_import.validate_rows(
            session, desk, csv_file, suggest_mapping(csv_file.headers), TODAY, source=SOURCE
        )


def test_audit_holds_counts_only(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    _apply(database, practice, _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS)))

    with database.reading() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.object_type == "patient_import")
        ).one()
    assert event.detail == "csv import: 3 created, 0 updated, 0 skipped, 0 failed"


def test_missing_source_rejected(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    with pytest.raises(UserError, match="source name is missing"):
        _plan(database, practice, write_csv(tmp_path, *GOOD_ROWS), source="  ")


def test_mapping_to_missing_column_rejected(
    database: Database, practice: CsvPractice, tmp_path: Path
) -> None:
    csv_file = read_csv_preview(write_csv(tmp_path, *GOOD_ROWS))

    with pytest.raises(UserError, match="no such column"), database.transaction() as session:
        csv_import.validate_rows(
            session, practice.admin, csv_file, {"first_name": "FNAME"}, TODAY, source=SOURCE
        )


@pytest.mark.skipif(not SYNTHEA_PATIENTS.exists(), reason="the Synthea sample export is absent")
def test_synthea_patients_import(database: Database, practice: CsvPractice) -> None:
    plan = _plan(database, practice, SYNTHEA_PATIENTS, source="Synthea")

    assert len(plan.rows) == 27
    assert plan.error_count == 0
    # Synthea writes 999-xx-xxxx test SSNs, which registration accepts with a warning.
    assert {problem.column for problem in plan.problems()} == {"SSN"}
    report = _apply(database, practice, plan)
    assert report.count(RowResult.CREATED) == 27
    with database.reading() as session:
        states = set(session.scalars(select(Patient.state)))
        deceased = session.scalars(select(Patient).where(Patient.status == "deceased")).all()
    assert states == {"MA"}
    assert len(deceased) == 2


def test_progress_reported(database: Database, practice: CsvPractice, tmp_path: Path) -> None:
    rows = [f"C{index},Pat,Tester{index},01/02/1960,F,,,,,,,,," for index in range(120)]
    plan = _plan(database, practice, write_csv(tmp_path, *rows))
    progress = Progress()

    _apply(database, practice, plan, progress=progress)

    done, total, message = progress.snapshot()
    assert (done, total) == (100, 120)
    assert message == "Saving row 102"
