"""Posting an encounter to the ledger, and reversing or correcting a posted line.

Posting runs in the caller's unit of work: the lines are priced, the encounter is marked
posted and one ledger charge per line is written. Any failure, such as a ledger row
refused for a locked period, raises and the unit of work rolls all of it back.
"""

import logging
import uuid
from dataclasses import replace

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import UserError, ValidationError
from app.models.charges import ChargeLine, Encounter
from app.problems import Problem, Severity
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor
from app.services import ledger
from app.services.encounter_checks import encounter_problems
from app.services.encounter_drafts import write_line
from app.services.encounter_forms import STATUS_POSTED, EncounterForm, LineForm
from app.services.encounter_records import (
    CHARGE_ENTRY_TYPE,
    LINE_OBJECT_TYPE,
    OBJECT_TYPE,
    active_lines,
    encounter_form,
    get_encounter,
    get_line,
    line_charges,
    primary_payer_on,
    reversed_line_ids,
)

log = logging.getLogger(__name__)

RESPONSIBLE_PRIMARY = "primary"


def _errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity is Severity.ERROR]


def _post_line_charge(
    session: Session, actor: Actor, encounter: Encounter, line: ChargeLine
) -> None:
    """Write the ledger charge of one line, billed to the primary payer on the encounter's date."""
    payer_id = primary_payer_on(session, encounter.patient_id, encounter.service_date)
    responsible = RESPONSIBLE_PRIMARY if payer_id is not None else ledger.RESPONSIBLE_PATIENT
    ledger.post_entry(
        session,
        actor,
        entry_type=CHARGE_ENTRY_TYPE,
        amount=line.charge_amount,
        patient_id=encounter.patient_id,
        responsible_party=responsible,
        payer_id=payer_id,
        service_date=line.service_date,
        source_type=ledger.CHARGE_LINE_SOURCE,
        source_id=line.id,
        memo=f"Encounter {encounter.encounter_number} line {line.position}",
        charge_line_id=line.id,
    )


def post(session: Session, actor: Actor, encounter_id: uuid.UUID) -> Changes:
    """Check the draft, price its lines, mark it posted and write one ledger charge per line.

    Raises ValidationError with every error when a check fails, and UserError when the
    encounter is already posted or its lines already have ledger charges. The caller
    checks CHARGE_POST.
    """
    encounter = get_encounter(session, encounter_id)
    if encounter.status == STATUS_POSTED:
        raise UserError(
            f"Encounter {encounter.encounter_number} is already posted; correct a line with "
            "Reverse line or Correct line instead."
        )
    lines = active_lines(session, encounter.id)
    if line_charges(session, [line.id for line in lines]):
        # Only a status changed outside ClinicDesk gets here, and the ledger is the record
        # of what was billed.
        log.warning("encounter %s is a draft but its lines have ledger charges", encounter.id)
        raise UserError(
            f"Encounter {encounter.encounter_number} already has ledger charges although it "
            "is marked as a draft, so posting it again would bill it twice. Run ledger "
            "verify and report the finding to your administrator."
        )
    form = encounter_form(session, encounter)
    errors = _errors(encounter_problems(session, actor, form))
    if errors:
        log.info("posting encounter %s rejected with %d errors", encounter.id, len(errors))
        raise ValidationError(errors)

    # Price every line with the schedule in force now, before the triggers freeze them.
    for line, typed in zip(lines, form.lines, strict=True):
        write_line(session, form, typed, line, line.position)
        line.updated_by = actor.user_id
    encounter.status = STATUS_POSTED
    encounter.posted_at = utc_now()
    encounter.posted_by = actor.user_id
    encounter.updated_by = actor.user_id
    session.flush()

    for line in lines:
        _post_line_charge(session, actor, encounter, line)
    audit.record(
        session,
        actor,
        AuditAction.POST,
        OBJECT_TYPE,
        encounter.id,
        patient_id=encounter.patient_id,
        detail=f"posted {len(lines)} lines",
    )
    log.info("posted encounter %s with %d lines", encounter.id, len(lines))
    return Changes.of(ChangeKind.ENCOUNTERS, ChangeKind.LEDGER)


def _posted_line(session: Session, line_id: uuid.UUID) -> tuple[ChargeLine, Encounter]:
    line = get_line(session, line_id)
    encounter = get_encounter(session, line.encounter_id)
    if encounter.status != STATUS_POSTED:
        raise UserError(
            f"Line {line.position} of encounter {encounter.encounter_number} is not posted "
            "yet; edit or delete it in the draft instead of reversing it."
        )
    if line.id in reversed_line_ids(session, [line.id]):
        raise UserError(
            f"Line {line.position} of encounter {encounter.encounter_number} is already "
            "reversed; correct the line that replaced it, if any."
        )
    return line, encounter


def _required_reason(reason: str) -> str:
    text = reason.strip()
    if not text:
        raise UserError(
            "The reason is missing; say why the line is reversed, such as the wrong code "
            "or units, so the ledger explains the change."
        )
    return text


def _reverse(
    session: Session, actor: Actor, line: ChargeLine, encounter: Encounter, reason: str
) -> None:
    charge = line_charges(session, [line.id]).get(line.id)
    if charge is None:
        raise UserError(
            f"Line {line.position} of encounter {encounter.encounter_number} has no ledger "
            "charge to reverse; run ledger verify and report the finding."
        )
    reversal = ledger.reverse_entry(session, actor, charge.id, reason)
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        LINE_OBJECT_TYPE,
        line.id,
        patient_id=encounter.patient_id,
        detail=f"reversed by ledger entry {reversal.id}: {reason}",
    )
    log.info("reversed line %s of encounter %s", line.id, encounter.id)


def reverse(session: Session, actor: Actor, line_id: uuid.UUID, reason: str) -> Changes:
    """Reverse the ledger charge of one posted line; the caller checks CHARGE_POST."""
    text = _required_reason(reason)
    line, encounter = _posted_line(session, line_id)
    _reverse(session, actor, line, encounter, text)
    return Changes.of(ChangeKind.ENCOUNTERS, ChangeKind.LEDGER)


def _replacement_problems(
    session: Session, actor: Actor, encounter: Encounter, line: LineForm
) -> list[Problem]:
    """Check `line` as the only line of the encounter; return the errors on that line."""
    form: EncounterForm = encounter_form(session, encounter)
    form.lines = [line]
    form.loaded_at = None
    problems = encounter_problems(session, actor, form)
    return _errors([problem for problem in problems if problem.field.startswith("lines[0]")])


def correct(
    session: Session, actor: Actor, line_id: uuid.UUID, replacement: LineForm, reason: str
) -> Changes:
    """Reverse a posted line and post `replacement` as a new line that names the old one.

    Raises ValidationError, writing nothing, when the new line fails a check. The caller
    checks CHARGE_POST.
    """
    text = _required_reason(reason)
    old, encounter = _posted_line(session, line_id)
    # Checked as the old line, so a fee a manager typed on it may be kept without CHARGE_CHANGE_FEE.
    errors = _replacement_problems(session, actor, encounter, replace(replacement, id=old.id))
    if errors:
        raise ValidationError(errors)

    _reverse(session, actor, old, encounter, text)
    last_position = session.scalar(
        select(func.max(ChargeLine.position)).where(ChargeLine.encounter_id == encounter.id)
    )
    form = encounter_form(session, encounter)
    new = ChargeLine(encounter_id=encounter.id, replaces_id=old.id, updated_by=actor.user_id)
    write_line(session, form, replacement, new, (last_position or 0) + 1)
    session.add(new)
    session.flush()
    _post_line_charge(session, actor, encounter, new)
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        LINE_OBJECT_TYPE,
        new.id,
        patient_id=encounter.patient_id,
        detail=f"replaces line {old.id}: {text}",
    )
    log.info("corrected line %s of encounter %s with line %s", old.id, encounter.id, new.id)
    return Changes.of(ChangeKind.ENCOUNTERS, ChangeKind.LEDGER)
