"""Logs of every charge-capture flow carry ids and counts, never a patient's details."""

import logging
from datetime import date
from pathlib import Path

import pytest

from app.db.database import Database
from app.errors import ValidationError
from app.services import encounters, ledger, superbill, unbilled, walkout
from app.services.encounters import LineForm
from app.services.ledger_verify import ledger_check
from app.services.ledger_view import LedgerQuery, ledger_view
from app.services.merge import merge_patients
from tests.helpers.charge_data import ChargePractice, book_visit, check_in_and_out
from tests.services.charges_break.flows import line_ids, post, posted, save, saved

# Details the sample practice stores about its patients, as a log line might spell them.
PATIENT_DETAILS = (
    "Maria",
    "Rivera",
    "Chen",
    "1980-05-17",
    "05/17/1980",
    "W123456789",
    "E119",
    "E11.9",
    "I10",
    "R05.9",
    "120.00",
    "175.00",
    "Not done at this visit",
)


def run_every_flow(database: Database, practice: ChargePractice, tmp_path: Path) -> None:
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)
    save(database, practice.biller, practice.form([LineForm(procedure_code="99213", units=0)]))
    two = [LineForm(procedure_code="99213"), LineForm(procedure_code="99214", pointers=[1, 2])]
    encounter_id = posted(database, practice, practice.form(two, diagnoses=["E11.9", "I10"]))
    first, second = line_ids(database, encounter_id)
    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, first, "Not done at this visit")
        correction = LineForm(procedure_code="99213", pointers=[2])
        encounters.correct_line(session, practice.biller, second, correction, "Wrong level")
        walkout.walkout_pdf(session, practice.biller, encounter_id, tmp_path / "walkout.pdf")
        superbill.superbill_pdf(session, practice.biller, appointment_id, tmp_path / "sb.pdf")
        ledger_view(session, practice.biller, LedgerQuery(practice.patient_id, family=True))
        unbilled.unbilled_visits(session, practice.biller)
    future = practice.form(diagnoses=["R05.9", "Z99.99999"], day=date(2099, 1, 1))
    future_id = saved(database, practice.biller, future)
    with pytest.raises(ValidationError):
        post(database, practice.biller, future_id)
    with database.transaction() as session:
        ledger.set_ledger_lock_date(session, practice.manager, date(2026, 1, 31))
        merge_patients(
            session, practice.manager, practice.scheduling.patient_ids[1], practice.patient_id, {}
        )
        ledger_check(session, practice.manager)


def test_flows_log_no_patient_details(
    database: Database, practice: ChargePractice, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)

    run_every_flow(database, practice, tmp_path)

    logged = [
        record.getMessage() + (record.exc_text or "")
        for record in caplog.records
        if record.name.startswith("app.")
    ]
    assert len(logged) > 10
    for text in logged:
        for detail in PATIENT_DETAILS:
            assert detail not in text, text
