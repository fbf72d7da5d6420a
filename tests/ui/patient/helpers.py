"""Shared steps of the patient record tests: saved patients and open windows."""

import uuid
from collections.abc import Callable
from datetime import date

from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services.patient_forms import AlertEntry, PatientForm, PhoneEntry
from app.services.registration import save_patient
from ui.context import AppContext
from ui.patient.record import PatientRecordWindow, open_patient

Settle = Callable[[AppContext], None]
TODAY = date(2026, 3, 10)


def valid_form(**changes: object) -> PatientForm:
    """Return a form the service saves, with `changes` applied."""
    form = PatientForm(
        first_name="Maria",
        last_name="Garcia",
        sex="F",
        date_of_birth=date(1980, 5, 17),
        address_line1="500 Main Street",
        city="Evanston",
        state="IL",
        zip_code="60201",
        phones=[PhoneEntry("mobile", "(847) 555-0199")],
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def saved_patient(database: Database, actor: Actor, **changes: object) -> uuid.UUID:
    """Save a patient through the service and return its id."""
    with database.transaction() as session:
        outcome = save_patient(session, actor, valid_form(**changes), TODAY)
    assert outcome.patient_id is not None, outcome.problems
    return outcome.patient_id


def critical_alert(text: str) -> list[AlertEntry]:
    """Return one critical alert."""
    return [AlertEntry(text, "critical")]


def open_record(
    qtbot: QtBot, context: AppContext, settle: Settle, patient_id: uuid.UUID | None = None
) -> PatientRecordWindow:
    """Open a record window, wait until it has loaded and make it the active window."""
    window = open_patient(context, patient_id)
    qtbot.waitExposed(window)
    settle(context)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    return window
