"""Encounters: charge entry for one visit, posting to the ledger, and line corrections.

A draft encounter can be edited and saved freely. Posting validates it, writes one
ledger charge per service line and freezes the lines (database triggers reject later
changes). A posted line is corrected by a ledger reversal plus a new line that names
the line it replaces.
"""

import logging
import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError
from app.models.charges import Encounter, ProcedureCode
from app.problems import Problem
from app.security.emergency import require_or_emergency
from app.security.permissions import Actor, Permission, require
from app.services import encounter_posting as posting
from app.services.encounter_checks import (
    encounter_problems,
    fee_permission_problems,
    line_date,
    shape_problems,
)
from app.services.encounter_drafts import (
    default_form,
    draft_for_appointment,
    priced,
    write_draft,
)
from app.services.encounter_forms import (
    STATUS_POSTED,
    EncounterForm,
    EncounterSummary,
    LineForm,
    PostedLine,
)
from app.services.encounter_lists import provider_favorites, queue_rows, replace_favorites
from app.services.encounter_records import (
    active_lines,
    encounter_form,
    get_encounter,
    line_form,
    line_modifiers,
    reversed_line_ids,
)
from app.services.outcomes import SaveOutcome
from app.services.scheduling_settings import practice_zone

log = logging.getLogger(__name__)

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
    """Return an unsaved form with the defaults for the patient's visit on `service_date`.

    Provider, location and place of service come from the patient's appointment that day,
    else from their latest earlier encounter. The referring provider comes from an
    active referral, and the prior authorization from one that covers a default code.
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    return default_form(session, actor, patient_id, service_date)


def encounter_for_appointment(
    session: Session, actor: Actor, appointment_id: uuid.UUID
) -> uuid.UUID:
    """Create the draft encounter for an appointment, or return the one that exists."""
    require(actor, Permission.CHARGE_POST)
    return draft_for_appointment(session, actor, appointment_id)


def load_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID) -> EncounterForm:
    """Return the encounter as a form, with `loaded_at` set for stale-save detection.

    A posted encounter's form lists only the lines still billed; `posted_lines` lists
    every line, reversed ones included.
    """
    encounter = get_encounter(session, encounter_id)
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, encounter.patient_id)
    return encounter_form(session, encounter)


def encounter_status(session: Session, actor: Actor, encounter_id: uuid.UUID) -> tuple[str, str]:
    """Return the encounter's status ("draft" or "posted") and its number."""
    encounter = get_encounter(session, encounter_id)
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, encounter.patient_id)
    return encounter.status, encounter.encounter_number


def posted_lines(session: Session, actor: Actor, encounter_id: uuid.UUID) -> list[PostedLine]:
    """Return every line of the encounter in position order, reversed ones included."""
    encounter = get_encounter(session, encounter_id)
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, encounter.patient_id)
    lines = active_lines(session, encounter.id)
    reversed_ids = reversed_line_ids(session, [line.id for line in lines])
    return [
        PostedLine(
            id=line.id,
            position=line.position,
            procedure_code=line.procedure_code,
            modifiers=line_modifiers(line),
            units=line.units,
            charge_amount=line.charge_amount,
            reversed=line.id in reversed_ids,
            replaces_id=line.replaces_id,
        )
        for line in lines
    ]


def check_encounter(session: Session, actor: Actor, form: EncounterForm) -> list[Problem]:
    """Return every problem with the encounter, errors and warnings, in field order."""
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, form.patient_id)
    return encounter_problems(session, actor, form)


def priced_line(session: Session, actor: Actor, form: EncounterForm, index: int) -> LineForm:
    """Return line `index` with the schedule's unit fee and, on a new line, default units.

    A typed fee is kept, and so are the units of a line already stored. Writes nothing.
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, form.patient_id)
    line = form.lines[index]
    return priced(session, line, line_date(form, line))


def _stale_problems(session: Session, form: EncounterForm, encounter: Encounter) -> list[Problem]:
    if encounter.status == STATUS_POSTED:
        return [
            Problem(
                "record",
                f"Encounter {encounter.encounter_number} is posted, so it can no longer be "
                "edited; reverse or correct its lines instead.",
            )
        ]
    if form.loaded_at is not None and encounter.updated_at > form.loaded_at:
        saved_at = encounter.updated_at.astimezone(practice_zone(session)).strftime("%H:%M")
        return [
            Problem(
                "record",
                f"Someone else saved encounter {encounter.encounter_number} at {saved_at} "
                "after you opened it; reopen it to see their changes, then make yours again.",
            )
        ]
    return []


def save_encounter(session: Session, actor: Actor, form: EncounterForm) -> SaveOutcome:
    """Create (`form.id` None) or update a draft encounter, and audit the write.

    Only what keeps the draft from being stored rejects the save: a missing patient, date,
    provider or location; on a line more than four modifiers, no pointer, units outside 1
    to 9,999, a fee past the maximum, or a fee typed by a role that may not change fees; a
    posted encounter or a stale form. A saved outcome
    still lists every other problem `check_encounter` finds, errors included, because they
    must be fixed before posting.
    """
    require(actor, Permission.CHARGE_POST)
    stored = get_encounter(session, form.id) if form.id is not None else None
    if stored is not None and stored.patient_id != form.patient_id:
        raise NotFoundError(
            f"Encounter {stored.encounter_number} belongs to another patient; reopen it from "
            "the Charges queue."
        )
    blocking = shape_problems(session, form) + fee_permission_problems(session, actor, form)
    if stored is not None:
        blocking += _stale_problems(session, form, stored)
    problems = encounter_problems(session, actor, form)
    if blocking:
        log.info("encounter save rejected with %d problems", len(blocking))
        return SaveOutcome.rejected(list(dict.fromkeys(blocking + problems)))

    encounter = write_draft(session, actor, form, stored)
    return SaveOutcome(
        encounter.id, stored is None, tuple(problems), Changes.of(ChangeKind.ENCOUNTERS)
    )


def post_encounter(session: Session, actor: Actor, encounter_id: uuid.UUID) -> Changes:
    """Check the draft and post one ledger charge per line; raises ValidationError.

    Lines are billed to the payer of the primary coverage in force on the date of
    service, or to the patient when none is. Everything is written in the caller's unit of
    work, so a failure on any line leaves nothing posted.
    """
    require(actor, Permission.CHARGE_POST)
    return posting.post(session, actor, encounter_id)


def reverse_line(session: Session, actor: Actor, line_id: uuid.UUID, reason: str) -> Changes:
    """Reverse the ledger charge of one posted line; `reason` is required and audited."""
    require(actor, Permission.CHARGE_POST)
    return posting.reverse(session, actor, line_id, reason)


def correct_line(
    session: Session, actor: Actor, line_id: uuid.UUID, line: LineForm, reason: str
) -> Changes:
    """Reverse one posted line and post `line` in its place, with replaces_id set."""
    require(actor, Permission.CHARGE_POST)
    return posting.correct(session, actor, line_id, line, reason)


def previous_visit_lines(
    session: Session, actor: Actor, patient_id: uuid.UUID, before: date
) -> list[LineForm]:
    """Return the billed lines of the patient's last posted encounter before `before`.

    The lines are unsaved copies: no id, the new encounter's date and the schedule's fee.
    """
    require_or_emergency(session, actor, Permission.PATIENT_VIEW, patient_id)
    last = session.scalars(
        select(Encounter)
        .where(
            Encounter.patient_id == patient_id,
            Encounter.archived.is_(False),
            Encounter.status == STATUS_POSTED,
            Encounter.service_date < before,
        )
        .order_by(Encounter.service_date.desc(), Encounter.posted_at.desc())
    ).first()
    if last is None:
        return []

    lines = active_lines(session, last.id)
    reversed_ids = reversed_line_ids(session, [line.id for line in lines])
    copies: list[LineForm] = []
    for line in lines:
        if line.id in reversed_ids:
            continue
        copy = line_form(line)
        copy.id = None
        copy.service_date = None
        copy.unit_fee = None
        copy.note = ""
        copies.append(copy)
    return copies


def favorite_codes(session: Session, actor: Actor, provider_id: uuid.UUID) -> list[ProcedureCode]:
    """Return the provider's favorite procedure codes in their order, archived codes left out."""
    require(actor, Permission.PATIENT_VIEW)
    return provider_favorites(session, provider_id)


def set_favorite_codes(
    session: Session, actor: Actor, provider_id: uuid.UUID, codes: list[str]
) -> Changes:
    """Replace the provider's favorite procedure codes with `codes`, in that order.

    Raises UserError naming the first code that is not one of the practice's codes.
    """
    require(actor, Permission.CHARGE_POST)
    return replace_favorites(session, actor, provider_id, codes)


def encounter_queue(
    session: Session, actor: Actor, status: str | None = None, limit: int = 500
) -> list[EncounterSummary]:
    """Return the Charges queue: drafts first (oldest visit first), then newest posted.

    `status` "draft" or "posted" lists only those; None lists both, at most `limit` rows.
    """
    require(actor, Permission.PATIENT_VIEW)
    return queue_rows(session, status, limit)
