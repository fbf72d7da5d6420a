"""Encounters: charge entry for one visit, posting to the ledger, and line corrections.

A draft encounter can be edited and saved freely. Posting validates it, writes one
ledger charge per service line and freezes the lines (database triggers reject later
changes). A posted line is corrected by a ledger reversal plus a new line that names
the line it replaces.
"""

import uuid
from datetime import date

from sqlalchemy.orm import Session

from app.changes import Changes
from app.models.charges import ProcedureCode
from app.problems import Problem
from app.security.permissions import Actor
from app.services.encounter_forms import (
    EncounterForm,
    EncounterSummary,
    LineForm,
    PostedLine,
)
from app.services.outcomes import SaveOutcome

__all__ = [
    "EncounterForm",
    "EncounterSummary",
    "LineForm",
    "PostedLine",
    "check_encounter",
    "correct_line",
    "encounter_for_appointment",
    "encounter_queue",
    "encounter_status",
    "favorite_codes",
    "load_encounter",
    "new_encounter_form",
    "post_encounter",
    "posted_lines",
    "previous_visit_lines",
    "priced_line",
    "reverse_line",
    "save_encounter",
    "set_favorite_codes",
]


def new_encounter_form(
    session: Session, actor: Actor, patient_id: uuid.UUID, service_date: date
) -> EncounterForm:
    """Return an unsaved form with the defaults for the patient's visit on `service_date`."""
    raise NotImplementedError


def encounter_for_appointment(
    session: Session, actor: Actor, appointment_id: uuid.UUID
) -> uuid.UUID:
    """Create the draft encounter for an appointment, or return the one that exists."""
    raise NotImplementedError


def load_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID) -> EncounterForm:
    """Return the encounter as a form, with `loaded_at` set for stale-save detection."""
    raise NotImplementedError


def encounter_status(session: Session, actor: Actor, encounter_id: uuid.UUID) -> tuple[str, str]:
    """Return the encounter's status ("draft" or "posted") and its number."""
    raise NotImplementedError


def posted_lines(session: Session, actor: Actor, encounter_id: uuid.UUID) -> list[PostedLine]:
    """Return every line of the encounter in position order, reversed ones included."""
    raise NotImplementedError


def check_encounter(session: Session, actor: Actor, form: EncounterForm) -> list[Problem]:
    """Return every problem with the encounter, errors and warnings, in field order."""
    raise NotImplementedError


def priced_line(session: Session, actor: Actor, form: EncounterForm, index: int) -> LineForm:
    """Return line `index` with its unit fee from the fee schedule and default units."""
    raise NotImplementedError


def save_encounter(session: Session, actor: Actor, form: EncounterForm) -> SaveOutcome:
    """Create or update a draft encounter; a posted encounter is rejected."""
    raise NotImplementedError


def post_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID) -> Changes:
    """Validate the draft and post one ledger charge per line; raises ValidationError."""
    raise NotImplementedError


def reverse_line(session: Session, actor: Actor, line_id: uuid.UUID, reason: str) -> Changes:
    """Reverse the ledger charge of one posted line."""
    raise NotImplementedError


def correct_line(
    session: Session, actor: Actor, line_id: uuid.UUID, line: LineForm, reason: str
) -> Changes:
    """Reverse one posted line and post `line` in its place, with replaces_id set."""
    raise NotImplementedError


def previous_visit_lines(
    session: Session, actor: Actor, patient_id: uuid.UUID, before: date
) -> list[LineForm]:
    """Return the lines of the patient's last posted encounter before `before`, unsaved."""
    raise NotImplementedError


def favorite_codes(session: Session, actor: Actor, provider_id: uuid.UUID) -> list[ProcedureCode]:
    """Return the provider's favorite procedure codes in their order."""
    raise NotImplementedError


def set_favorite_codes(
    session: Session, actor: Actor, provider_id: uuid.UUID, codes: list[str]
) -> Changes:
    """Replace the provider's favorite procedure codes with `codes`, in that order."""
    raise NotImplementedError


def encounter_queue(
    session: Session, actor: Actor, status: str | None = None, limit: int = 500
) -> list[EncounterSummary]:
    """Return the Charges queue: drafts first (oldest first), then recently posted."""
    raise NotImplementedError
