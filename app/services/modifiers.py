"""Procedure modifiers and the practice's rules for when a procedure needs one.

A modifier is two letters or digits added to a procedure code on a claim line (RT, GT,
25). ClinicDesk seeds only HCPCS Level II modifiers, which CMS publishes as public data.
CPT modifiers (25, 59, 26, 50 and the rest of the two-digit ones) belong to the AMA's CPT
code set, so practices type them in with their own labels.

A modifier rule says that lines with a procedure code need one of a set of modifiers,
either for every payer or for one payer's claims. Modifiers and rules are archived,
never deleted, because they may have synced.
"""

import logging
import re
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import NotFoundError
from app.models.charges import Modifier, ModifierRule
from app.models.practice import Payer
from app.problems import Problem, Severity, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome
from app.services.procedure_codes import find_procedure_code, normalize_procedure_code

log = logging.getLogger(__name__)

OBJECT_TYPE = "procedure_modifier"
RULE_OBJECT_TYPE = "modifier_rule"
LABEL_MAX_LENGTH = 80
NOTE_MAX_LENGTH = 500
RULE_MODIFIERS_MAX_LENGTH = 40
SOURCE_TYPED = "typed"
SOURCE_HCPCS = "CMS HCPCS Level II"
_MODIFIER = re.compile(r"[0-9A-Z]{2}")
_RULE_SEPARATORS = re.compile(r"[\s,;]+")

# HCPCS Level II modifiers (CMS, public) with labels written for ClinicDesk.
STANDARD_MODIFIERS: tuple[tuple[str, str], ...] = (
    ("AI", "Principal physician of record"),
    ("E1", "Upper left eyelid"),
    ("E2", "Lower left eyelid"),
    ("E3", "Upper right eyelid"),
    ("E4", "Lower right eyelid"),
    ("F1", "Left hand, second digit"),
    ("F2", "Left hand, third digit"),
    ("F3", "Left hand, fourth digit"),
    ("F4", "Left hand, fifth digit"),
    ("F5", "Right hand, thumb"),
    ("F6", "Right hand, second digit"),
    ("F7", "Right hand, third digit"),
    ("F8", "Right hand, fourth digit"),
    ("F9", "Right hand, fifth digit"),
    ("FA", "Left hand, thumb"),
    ("FS", "Split or shared visit with another practitioner"),
    ("GA", "Waiver of liability (ABN) on file"),
    ("GC", "Done in part by a resident under a teaching physician"),
    ("GN", "Under an outpatient speech-language pathology plan"),
    ("GO", "Under an outpatient occupational therapy plan"),
    ("GP", "Under an outpatient physical therapy plan"),
    ("GT", "Telehealth by live audio and video"),
    ("GV", "Attending physician not employed by the hospice"),
    ("GW", "Not related to the hospice patient's terminal condition"),
    ("GX", "Voluntary notice of liability given"),
    ("GY", "Not a covered benefit by law"),
    ("GZ", "Expected denial as not necessary, no ABN on file"),
    ("JW", "Drug amount discarded, not given"),
    ("JZ", "No drug amount discarded"),
    ("KX", "Medical policy requirements met"),
    ("LT", "Left side"),
    ("Q5", "Substitute physician, reciprocal arrangement"),
    ("Q6", "Substitute physician, paid for time (locum tenens)"),
    ("QW", "CLIA-waived test"),
    ("RT", "Right side"),
    ("SL", "State-supplied vaccine"),
    ("T1", "Left foot, second toe"),
    ("T2", "Left foot, third toe"),
    ("T3", "Left foot, fourth toe"),
    ("T4", "Left foot, fifth toe"),
    ("T5", "Right foot, great toe"),
    ("T6", "Right foot, second toe"),
    ("T7", "Right foot, third toe"),
    ("T8", "Right foot, fourth toe"),
    ("T9", "Right foot, fifth toe"),
    ("TA", "Left foot, great toe"),
    ("TC", "Technical component only"),
    ("XE", "Separate encounter"),
    ("XP", "Separate practitioner"),
    ("XS", "Separate structure or organ"),
    ("XU", "Unusual service that does not overlap the main one"),
)


@dataclass(slots=True)
class ModifierForm:
    """A modifier as typed; `id` is None for a new one. The code of a saved one is fixed."""

    code: str = ""
    label: str = ""
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ModifierSummary:
    """A modifier as the Code sets screen lists it."""

    id: uuid.UUID
    code: str
    label: str
    source: str
    archived: bool


@dataclass(slots=True)
class ModifierRuleForm:
    """A rule as typed: `modifiers` separated by spaces; `payer_id` None for every payer."""

    procedure_code: str = ""
    modifiers: str = ""
    payer_id: uuid.UUID | None = None
    note: str = ""
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class ModifierRuleSummary:
    """A rule as the Code sets screen lists it; `payer_name` is "" for every payer."""

    id: uuid.UUID
    procedure_code: str
    modifiers: tuple[str, ...]
    payer_id: uuid.UUID | None
    payer_name: str
    note: str
    archived: bool = False


def normalize_modifier(text: str) -> str:
    """Return a modifier as stored: trimmed and upper case (" rt " gives "RT")."""
    return text.strip().upper()


def split_modifiers(text: str) -> list[str]:
    """Split modifiers typed with spaces, commas or semicolons between them."""
    return [normalize_modifier(part) for part in _RULE_SEPARATORS.split(text) if part.strip()]


# ---- checks for charge entry -----------------------------------------------------------


def modifier_labels(session: Session) -> dict[str, str]:
    """Return the active modifiers by code, with their labels, in code order."""
    rows = session.execute(
        select(Modifier.code, Modifier.label)
        .where(Modifier.archived.is_(False))
        .order_by(Modifier.code)
    )
    return {row.code: row.label for row in rows}


def modifier_problems(session: Session, modifiers: Sequence[str], field: str) -> list[Problem]:
    """Check a line's modifiers: two letters or digits each, known, none repeated.

    Blank entries are ignored, so a form may pass its four boxes as typed.
    """
    codes = [normalize_modifier(text) for text in modifiers if text.strip()]
    problems: list[Problem] = []
    malformed = [code for code in codes if _MODIFIER.fullmatch(code) is None]
    for code in dict.fromkeys(malformed):
        problems.append(
            Problem(
                field,
                f"Modifier {v.echo_for_message(code)} is not valid; a modifier is two letters "
                f"or digits, such as RT or 25.{v.lookalike_note(code)}",
            )
        )

    known = modifier_labels(session)
    unknown = [code for code in dict.fromkeys(codes) if code not in malformed and code not in known]
    for code in unknown:
        problems.append(
            Problem(
                field,
                f"Modifier {code} is not in the practice's modifier list; check the code, or "
                "add it in Admin → Code sets.",
            )
        )

    for code, count in Counter(codes).items():
        if count > 1:
            problems.append(
                Problem(field, f"Modifier {code} is entered {count} times; enter it once.")
            )
    return problems


def _payer_name(session: Session, payer_id: uuid.UUID | None) -> str:
    payer = session.get(Payer, payer_id) if payer_id is not None else None
    return payer.name if payer is not None else ""


def required_modifier_problems(
    session: Session,
    procedure_code: str,
    modifiers: Sequence[str],
    payer_id: uuid.UUID | None,
    field: str,
) -> list[Problem]:
    """Return an error for each rule of the code that the line's modifiers do not meet.

    Rules for every payer always apply; rules for one payer apply when `payer_id` is that
    payer. A rule is met when the line has any one of the rule's modifiers.
    """
    code = normalize_procedure_code(procedure_code)
    if not code:
        return []
    payer_match: ColumnElement[bool] = ModifierRule.payer_id.is_(None)
    if payer_id is not None:
        payer_match = or_(payer_match, ModifierRule.payer_id == payer_id)
    rules = session.scalars(
        select(ModifierRule)
        .where(
            ModifierRule.procedure_code == code,
            ModifierRule.archived.is_(False),
            payer_match,
        )
        .order_by(ModifierRule.created_at)
    )
    present = {normalize_modifier(text) for text in modifiers if text.strip()}
    problems: list[Problem] = []
    for rule in rules:
        allowed = split_modifiers(rule.modifiers)
        if present.intersection(allowed):
            continue
        if len(allowed) == 1:
            choices = f"modifier {allowed[0]}"
        else:
            choices = "one of the modifiers " + ", ".join(allowed)
        scope = f" for {_payer_name(session, rule.payer_id)}" if rule.payer_id is not None else ""
        note = (rule.note or "").strip().rstrip(".")
        reason = f" ({note})" if note else ""
        problems.append(
            Problem(
                field,
                f"{code} needs {choices}{scope}{reason}; add it to the line.",
            )
        )
    return problems


# ---- modifiers -------------------------------------------------------------------------


def _summary(row: Modifier) -> ModifierSummary:
    return ModifierSummary(row.id, row.code, row.label, row.source, row.archived)


def list_modifiers(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[ModifierSummary]:
    """Return the practice's modifiers in code order."""
    require(actor, Permission.CODE_SET_EDIT)
    query = select(Modifier).order_by(Modifier.code)
    if not include_archived:
        query = query.where(Modifier.archived.is_(False))
    return [_summary(row) for row in session.scalars(query)]


def _get_modifier(session: Session, modifier_id: uuid.UUID) -> Modifier:
    row = session.get(Modifier, modifier_id)
    if row is None:
        raise NotFoundError(
            f"Modifier {modifier_id} was not found. Refresh the list and choose it again."
        )
    return row


def _find_by_code(session: Session, code: str) -> Modifier | None:
    return session.scalar(select(Modifier).where(Modifier.code == code))


def check_modifier(session: Session, form: ModifierForm) -> list[Problem]:
    """Return every problem with a modifier as typed."""
    problems = v.text_problems(form.label, "label", "Label", LABEL_MAX_LENGTH)
    if form.id is not None:
        return problems

    code = normalize_modifier(form.code)
    if not code:
        problems.insert(
            0, Problem("code", "The modifier code is missing; enter two letters or digits.")
        )
    elif _MODIFIER.fullmatch(code) is None:
        problems.insert(
            0,
            Problem(
                "code",
                f"Modifier {v.echo_for_message(code)} is not valid; a modifier is two letters "
                "or digits, such as RT or 25.",
            ),
        )
    else:
        existing = _find_by_code(session, code)
        if existing is not None and not existing.archived:
            problems.insert(
                0,
                Problem("code", f"Modifier {code} is already in the list; edit its label there."),
            )
    return problems


def save_modifier(session: Session, actor: Actor, form: ModifierForm) -> SaveOutcome:
    """Create a modifier (`form.id` None) or change a saved one's label.

    Creating a code that was archived restores it with the new label.
    """
    require(actor, Permission.CODE_SET_EDIT)
    problems = check_modifier(session, form)
    if has_errors(problems):
        return SaveOutcome.rejected(problems)

    created = False
    if form.id is not None:
        row = _get_modifier(session, form.id)
    else:
        code = normalize_modifier(form.code)
        found = _find_by_code(session, code)
        created = found is None
        row = found if found is not None else Modifier(code=code, source=SOURCE_TYPED)
        row.archived = False
    row.label = form.label.strip()
    row.updated_by = actor.user_id
    session.add(row)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, OBJECT_TYPE, row.id)
    log.info("%s modifier %s", "created" if created else "updated", row.id)
    return SaveOutcome(row.id, created, tuple(problems), Changes.of(ChangeKind.CODE_SETS))


def archive_modifier(session: Session, actor: Actor, modifier_id: uuid.UUID) -> SaveOutcome:
    """Archive a modifier: charge entry stops accepting it; posted lines keep it."""
    require(actor, Permission.CODE_SET_EDIT)
    row = _get_modifier(session, modifier_id)
    row.archived = True
    row.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, OBJECT_TYPE, row.id)
    log.info("archived modifier %s", row.id)
    return SaveOutcome(row.id, changes=Changes.of(ChangeKind.CODE_SETS))


def seed_standard_modifiers(session: Session, actor: Actor) -> Changes:
    """Add the HCPCS Level II modifiers the practice does not have yet.

    Codes already in the list, active or archived, are left as they are, so labels the
    practice changed and modifiers it archived stay that way.
    """
    require(actor, Permission.CODE_SET_EDIT)
    existing = set(session.scalars(select(Modifier.code)))
    added = 0
    for code, label in STANDARD_MODIFIERS:
        if code in existing:
            continue
        session.add(Modifier(code=code, label=label, source=SOURCE_HCPCS, updated_by=actor.user_id))
        added += 1
    if not added:
        return Changes()
    session.flush()
    audit.record(
        session, actor, AuditAction.CREATE, OBJECT_TYPE, detail=f"seeded {added} HCPCS modifiers"
    )
    log.info("seeded %d HCPCS Level II modifiers", added)
    return Changes.of(ChangeKind.CODE_SETS)


# ---- rules -----------------------------------------------------------------------------


def list_modifier_rules(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[ModifierRuleSummary]:
    """Return the rules by procedure code, the rule for every payer before payer rules."""
    require(actor, Permission.CODE_SET_EDIT)
    query = select(ModifierRule, Payer.name).outerjoin(Payer, Payer.id == ModifierRule.payer_id)
    if not include_archived:
        query = query.where(ModifierRule.archived.is_(False))
    rules = [
        ModifierRuleSummary(
            rule.id,
            rule.procedure_code,
            tuple(split_modifiers(rule.modifiers)),
            rule.payer_id,
            payer_name or "",
            rule.note or "",
            rule.archived,
        )
        for rule, payer_name in session.execute(query)
    ]
    return sorted(
        rules, key=lambda rule: (rule.procedure_code, rule.payer_id is not None, rule.payer_name)
    )


def payer_choices(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Return the active payers by name, for choosing the payer of a rule."""
    require(actor, Permission.CODE_SET_EDIT)
    rows = session.execute(
        select(Payer.id, Payer.name).where(Payer.archived.is_(False)).order_by(Payer.name)
    )
    return [(row.id, row.name) for row in rows]


def _get_rule(session: Session, rule_id: uuid.UUID) -> ModifierRule:
    rule = session.get(ModifierRule, rule_id)
    if rule is None or rule.archived:
        raise NotFoundError(
            f"Modifier rule {rule_id} was not found or was removed. Refresh the list."
        )
    return rule


def _rule_code_problems(session: Session, code: str) -> list[Problem]:
    if not code:
        return [
            Problem(
                "procedure_code", "The procedure code is missing; enter the code the rule is for."
            )
        ]
    if len(code) > 5 or not code.isalnum():
        return [
            Problem(
                "procedure_code",
                f"Procedure code {v.echo_for_message(code)} is not valid; enter up to five "
                "letters or digits, such as 97110 or G0438.",
            )
        ]
    if find_procedure_code(session, code) is None:
        return [
            Problem(
                "procedure_code",
                f"{code} is not in the practice's procedure codes yet; the rule applies once "
                "the code is added.",
                Severity.WARNING,
            )
        ]
    return []


def _rule_modifier_problems(session: Session, text: str) -> list[Problem]:
    codes = split_modifiers(text)
    if not codes:
        return [
            Problem("modifiers", "No modifier is listed; enter one or more, such as GP or 25 59.")
        ]
    problems = modifier_problems(session, codes, "modifiers")
    joined = " ".join(dict.fromkeys(codes))
    if len(joined) > RULE_MODIFIERS_MAX_LENGTH:
        problems.append(
            Problem(
                "modifiers",
                f"The modifiers take {len(joined)} characters; list at most "
                f"{RULE_MODIFIERS_MAX_LENGTH} (about 13 modifiers).",
            )
        )
    return problems


def _rule_payer_problems(session: Session, payer_id: uuid.UUID | None) -> list[Problem]:
    if payer_id is None:
        return []
    payer = session.get(Payer, payer_id)
    if payer is None or payer.archived:
        return [Problem("payer_id", "The payer was not found or is archived; choose another.")]
    return []


def _duplicate_rule_problems(session: Session, form: ModifierRuleForm, code: str) -> list[Problem]:
    query = select(ModifierRule.id).where(
        ModifierRule.procedure_code == code,
        ModifierRule.archived.is_(False),
        ModifierRule.payer_id.is_(None)
        if form.payer_id is None
        else ModifierRule.payer_id == form.payer_id,
    )
    if form.id is not None:
        query = query.where(ModifierRule.id != form.id)
    if session.scalar(query) is None:
        return []
    scope = (
        "every payer"
        if form.payer_id is None
        else _payer_name(session, form.payer_id) or "this payer"
    )
    return [
        Problem(
            "procedure_code",
            f"A rule for {code} and {scope} already exists; edit that rule instead.",
        )
    ]


def check_modifier_rule(session: Session, form: ModifierRuleForm) -> list[Problem]:
    """Return every problem with a rule as typed; an unknown procedure code is a warning."""
    code = normalize_procedure_code(form.procedure_code)
    problems = _rule_code_problems(session, code)
    problems += _rule_modifier_problems(session, form.modifiers)
    problems += _rule_payer_problems(session, form.payer_id)
    problems += v.text_problems(form.note, "note", "Note", NOTE_MAX_LENGTH, required=False)
    if code and not has_errors(problems):
        problems += _duplicate_rule_problems(session, form, code)
    return problems


def save_modifier_rule(session: Session, actor: Actor, form: ModifierRuleForm) -> SaveOutcome:
    """Create (`form.id` None) or update a rule; validates and audits."""
    require(actor, Permission.CODE_SET_EDIT)
    problems = check_modifier_rule(session, form)
    if has_errors(problems):
        return SaveOutcome.rejected(problems)

    created = form.id is None
    rule = ModifierRule() if form.id is None else _get_rule(session, form.id)
    rule.procedure_code = normalize_procedure_code(form.procedure_code)
    rule.modifiers = " ".join(dict.fromkeys(split_modifiers(form.modifiers)))
    rule.payer_id = form.payer_id
    rule.note = form.note.strip() or None
    rule.updated_by = actor.user_id
    session.add(rule)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, RULE_OBJECT_TYPE, rule.id)
    log.info("%s modifier rule %s", "created" if created else "updated", rule.id)
    return SaveOutcome(rule.id, created, tuple(problems), Changes.of(ChangeKind.CODE_SETS))


def remove_modifier_rule(session: Session, actor: Actor, rule_id: uuid.UUID) -> SaveOutcome:
    """Remove a rule from use by archiving it."""
    require(actor, Permission.CODE_SET_EDIT)
    rule = _get_rule(session, rule_id)
    rule.archived = True
    rule.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, RULE_OBJECT_TYPE, rule.id)
    log.info("removed modifier rule %s", rule.id)
    return SaveOutcome(rule.id, changes=Changes.of(ChangeKind.CODE_SETS))
