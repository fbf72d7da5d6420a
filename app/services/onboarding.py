"""The practice's new-patient checklist and each patient's progress through it.

Three steps are automatic: the service derives them from the record every time it is
read, so they can never disagree with it. The other steps are manual: staff tick them,
and `patient_onboarding` stores who ticked each one and when.

Until the practice edits its checklist, the default steps are used without being written,
so reading a checklist never writes. `seed_default_steps` writes them at practice
creation, and `save_steps` writes the whole edited list.
"""

import logging
import re
import uuid
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators
from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError, ValidationError
from app.models.onboarding import OnboardingStep, PatientOnboarding
from app.models.security import User
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.onboarding_facts import (
    DEMOGRAPHICS,
    INSURANCE_CARD,
    PHOTO_ID,
    PatientFacts,
    gather_facts,
)
from app.services.patient_records import get_patient
from app.services.today import practice_today

log = logging.getLogger(__name__)

AUTOMATIC_CODES = frozenset({DEMOGRAPHICS, INSURANCE_CARD, PHOTO_ID})

DEFAULT_STEPS: tuple[tuple[str, str], ...] = (
    (DEMOGRAPHICS, "Demographics complete for billing"),
    (INSURANCE_CARD, "Insurance card scanned"),
    (PHOTO_ID, "Photo ID scanned"),
    ("privacy_notice_acknowledged", "Privacy notice acknowledged"),
    ("financial_policy_signed", "Financial policy signed"),
    ("consent_to_treat", "Consent to treat signed"),
)

MAX_LABEL_LENGTH = 80
MAX_CODE_LENGTH = 30
MAX_NOTE_LENGTH = 500
CODE_PATTERN = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True, slots=True)
class StepDefinition:
    """One active checklist step, in display order."""

    code: str
    label: str
    position: int
    automatic: bool


@dataclass(frozen=True, slots=True)
class StepInput:
    """A step as the checklist editor sends it; an empty `code` adds a new step."""

    label: str
    code: str = ""


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    """One step of one patient's checklist.

    `reason` explains an automatic step's state, such as "Missing: ZIP code". Automatic
    steps have no completed_at or completed_by_name because the record decides them.
    """

    code: str
    label: str
    done: bool
    automatic: bool
    completed_at: datetime | None
    completed_by_name: str
    reason: str
    note: str


@dataclass(frozen=True, slots=True)
class Checklist:
    """A patient's checklist items in display order, with how many are done."""

    items: tuple[ChecklistItem, ...]
    done_count: int
    total: int


# ---- the practice's steps -----------------------------------------------------------


def list_steps(session: Session, actor: Actor) -> list[StepDefinition]:
    """Return the active steps in display order (the defaults until the practice saves)."""
    require(actor, Permission.PATIENT_VIEW)
    return active_steps(session)


def active_steps(session: Session) -> list[StepDefinition]:
    """Return the active steps without a permission check (for services that already checked)."""
    rows = session.scalars(select(OnboardingStep).order_by(OnboardingStep.position)).all()
    if not rows:
        return [
            StepDefinition(code, label, position, code in AUTOMATIC_CODES)
            for position, (code, label) in enumerate(DEFAULT_STEPS)
        ]
    return [
        StepDefinition(row.code, row.label, position, row.code in AUTOMATIC_CODES)
        for position, row in enumerate(row for row in rows if not row.archived)
    ]


def seed_default_steps(session: Session, actor: Actor) -> Changes:
    """Write the default steps when the practice has none yet (safe to call again)."""
    if session.scalar(select(OnboardingStep.id).limit(1)) is not None:
        return Changes()
    for position, (code, label) in enumerate(DEFAULT_STEPS):
        session.add(
            OnboardingStep(code=code, label=label, position=position, updated_by=actor.user_id)
        )
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        "onboarding_step",
        detail=f"{len(DEFAULT_STEPS)} default steps",
    )
    return Changes.of(ChangeKind.SETTINGS)


def step_problems(steps: Sequence[StepInput]) -> list[Problem]:
    """Check an edited step list: every label present and unique, codes well formed."""
    problems: list[Problem] = []
    labels: set[str] = set()
    codes: set[str] = set()
    for index, step in enumerate(steps):
        field = f"steps[{index}]"
        problems += validators.text_problems(
            step.label, f"{field}.label", "Step name", MAX_LABEL_LENGTH
        )
        folded = step.label.strip().casefold()
        if folded and folded in labels:
            problems.append(
                Problem(
                    f"{field}.label",
                    f"Step name {validators.echo_for_message(step.label.strip())} is used "
                    "twice; rename one of them.",
                )
            )
        labels.add(folded)
        problems += _code_problems(step.code, f"{field}.code", codes)
    return problems


def _code_problems(code: str, field: str, seen: set[str]) -> list[Problem]:
    if not code:
        return []
    if len(code) > MAX_CODE_LENGTH or not CODE_PATTERN.fullmatch(code):
        return [
            Problem(
                field,
                f"Step code {validators.echo_for_message(code)} is invalid; use up to "
                f"{MAX_CODE_LENGTH} lowercase letters, digits and underscores, starting "
                "with a letter.",
            )
        ]
    if code in seen:
        return [Problem(field, f"Step code {code} is used twice; remove one of the steps.")]
    seen.add(code)
    return []


def save_steps(session: Session, actor: Actor, steps: Sequence[StepInput]) -> Changes:
    """Replace the checklist with `steps` in this order.

    Steps with a known code are renamed and moved, steps without a code are added, and
    saved steps missing from `steps` are archived, so patients' ticks on them are kept.
    Raises ValidationError listing every problem.
    """
    require(actor, Permission.PRACTICE_SETUP)
    problems = step_problems(steps)
    if has_errors(problems):
        raise ValidationError(problems)

    seed_default_steps(session, actor)
    rows = {row.code: row for row in session.scalars(select(OnboardingStep))}
    added = renamed = 0
    kept: set[str] = set()
    for position, step in enumerate(steps):
        code = step.code or _archived_code(rows.values(), step.label, kept)
        code = code or _new_code(step.label, rows.keys())
        row = rows.get(code)
        if row is None:
            row = OnboardingStep(code=code, label=step.label.strip(), position=position)
            session.add(row)
            rows[code] = row
            added += 1
        elif row.label != step.label.strip():
            renamed += 1
        row.label = step.label.strip()
        row.position = position
        row.archived = False
        row.updated_by = actor.user_id
        kept.add(code)

    archived = _archive_missing(rows.values(), kept, actor)
    session.flush()
    detail = f"{len(steps)} steps: {added} added, {renamed} renamed, {archived} archived"
    audit.record(session, actor, AuditAction.UPDATE, "onboarding_step", detail=detail)
    log.info("onboarding checklist saved: %s", detail)
    return Changes.of(ChangeKind.SETTINGS)


def _archived_code(rows: Iterable[OnboardingStep], label: str, kept: set[str]) -> str | None:
    """Return the code of a removed step named `label`, so adding it back restores its ticks."""
    wanted = label.strip().casefold()
    for row in rows:
        if row.archived and row.code not in kept and row.label.casefold() == wanted:
            return row.code
    return None


def _archive_missing(rows: Iterable[OnboardingStep], kept: set[str], actor: Actor) -> int:
    count = 0
    for row in rows:
        if row.code not in kept and not row.archived:
            row.archived = True
            row.updated_by = actor.user_id
            count += 1
    return count


def _new_code(label: str, taken: Collection[str]) -> str:
    """Return a code made from `label`, such as "flu_shot_offered", unique among `taken`."""
    base = re.sub(r"[^a-z0-9]+", "_", label.casefold()).strip("_")
    if not base or not base[0].isalpha():
        base = f"step_{base}".rstrip("_")
    base = base[:MAX_CODE_LENGTH]
    code, number = base, 2
    while code in taken:
        suffix = f"_{number}"
        code = base[: MAX_CODE_LENGTH - len(suffix)] + suffix
        number += 1
    return code


# ---- one patient's progress ---------------------------------------------------------


def _automatic_state(code: str, facts: PatientFacts) -> tuple[bool, str]:
    """Return whether automatic step `code` is done for the patient, and why."""
    if code == DEMOGRAPHICS:
        return _demographics_state(facts)
    if code == INSURANCE_CARD:
        return _insurance_card_state(facts)
    if facts.has_photo_id:
        return True, "Photo ID scanned"
    return False, "No photo ID scanned"


def _demographics_state(facts: PatientFacts) -> tuple[bool, str]:
    if facts.missing_demographics:
        return False, "Missing: " + ", ".join(facts.missing_demographics)
    return True, "Name, date of birth, sex, address and phone are on file"


def _insurance_card_state(facts: PatientFacts) -> tuple[bool, str]:
    """Ask for a front card image of every coverage in effect today.

    A secondary claim needs its member id checked as much as a primary one. A patient
    with no coverage in effect is self-pay, so the step is done.
    """
    if not facts.active_coverages:
        return True, "Self-pay: no coverage in effect"
    lacking = facts.coverages_without_card
    if lacking:
        total = len(facts.active_coverages)
        return False, f"No card front scanned for {lacking} of {total} coverages in effect"
    return True, "Card front scanned for every coverage in effect"


def _items(
    steps: Sequence[StepDefinition], facts: PatientFacts, names: dict[uuid.UUID, str]
) -> tuple[ChecklistItem, ...]:
    items = []
    for step in steps:
        if step.automatic:
            done, reason = _automatic_state(step.code, facts)
            items.append(ChecklistItem(step.code, step.label, done, True, None, "", reason, ""))
            continue
        row = facts.manual.get(step.code)
        completed_at = row.completed_at if row is not None else None
        completed_by = row.completed_by if row is not None else None
        items.append(
            ChecklistItem(
                code=step.code,
                label=step.label,
                done=completed_at is not None,
                automatic=False,
                completed_at=completed_at,
                completed_by_name=names.get(completed_by, "") if completed_by else "",
                reason="",
                note=(row.note or "") if row is not None else "",
            )
        )
    return tuple(items)


def _user_names(session: Session, facts: PatientFacts) -> dict[uuid.UUID, str]:
    ids = {row.completed_by for row in facts.manual.values() if row.completed_by is not None}
    if not ids:
        return {}
    rows = session.execute(select(User.id, User.display_name).where(User.id.in_(ids)))
    return {row.id: row.display_name for row in rows}


def patient_checklist(
    session: Session, actor: Actor, patient_id: uuid.UUID, today: date | None = None
) -> Checklist:
    """Return the patient's checklist; `today` (the practice's date by default) decides
    which coverages are in effect."""
    require(actor, Permission.PATIENT_VIEW)
    get_patient(session, patient_id)
    day = today if today is not None else practice_today(session)
    facts = gather_facts(session, [patient_id], day)[patient_id]
    items = _items(active_steps(session), facts, _user_names(session, facts))
    return Checklist(items, sum(item.done for item in items), len(items))


def checklist_summary_for_patients(
    session: Session, patient_ids: Sequence[uuid.UUID], today: date | None = None
) -> dict[uuid.UUID, tuple[int, int]]:
    """Return (done, total) for each existing patient in `patient_ids`.

    It runs a fixed number of queries whatever the number of patients. It checks no
    permission and returns only counts, so callers run it inside a service that has
    already checked its own permission (such as the Today list).
    """
    day = today if today is not None else practice_today(session)
    return summarize_checklists(active_steps(session), gather_facts(session, patient_ids, day))


def summarize_checklists(
    steps: Sequence[StepDefinition], facts_by_patient: dict[uuid.UUID, PatientFacts]
) -> dict[uuid.UUID, tuple[int, int]]:
    """Return (done, total) for each patient from facts already read with `gather_facts`.

    Callers that need other facts of the same patients (the calendar's flags) read them
    once and summarize here, instead of reading them again through
    `checklist_summary_for_patients`.
    """
    summary: dict[uuid.UUID, tuple[int, int]] = {}
    for patient_id, facts in facts_by_patient.items():
        done = 0
        for step in steps:
            if step.automatic:
                done += _automatic_state(step.code, facts)[0]
            else:
                row = facts.manual.get(step.code)
                done += row is not None and row.completed_at is not None
        summary[patient_id] = (done, len(steps))
    return summary


def set_step_done(
    session: Session,
    actor: Actor,
    patient_id: uuid.UUID,
    code: str,
    done: bool,
    *,
    note: str = "",
) -> Changes:
    """Tick or untick manual step `code` for the patient, recording who did it and when.

    Raises NotFoundError for a step that is not on the checklist and UserError for an
    automatic step, which only the record itself can complete.
    """
    require(actor, Permission.PATIENT_EDIT)
    get_patient(session, patient_id)
    step = next((step for step in active_steps(session) if step.code == code), None)
    if step is None:
        raise NotFoundError(
            f"Checklist step {code} is not on the practice's checklist. Reopen the patient "
            "to see the current checklist."
        )
    if step.automatic:
        raise UserError(
            f"{step.label} is checked automatically from the patient's record; complete "
            "the record (or scan the document) instead of ticking it."
        )
    problems = validators.text_problems(note, "note", "Note", MAX_NOTE_LENGTH, required=False)
    if has_errors(problems):
        raise ValidationError(problems)

    row = session.scalar(
        select(PatientOnboarding).where(
            PatientOnboarding.patient_id == patient_id, PatientOnboarding.step_code == code
        )
    )
    if row is None:
        row = PatientOnboarding(patient_id=patient_id, step_code=code)
        session.add(row)
    row.completed_at = utc_now() if done else None
    row.completed_by = actor.user_id if done else None
    row.note = note.strip() or None
    row.archived = False
    row.updated_by = actor.user_id
    session.flush()

    state = "done" if done else "not done"
    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        "patient_onboarding",
        row.id,
        patient_id=patient_id,
        detail=f"step {code} {state}",
    )
    log.info("onboarding step %s marked %s for patient %s", code, state, patient_id)
    return Changes.of(ChangeKind.PATIENTS)
