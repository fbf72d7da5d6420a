"""Posting rules: the action payment posting takes for each adjustment (CAS group and CARC).

A remittance explains every dollar it did not pay with an adjustment: a group code (CO
contractual obligation, PI payer-initiated reduction, PR patient responsibility, OA
other) and a claim adjustment reason code (CARC). Posting looks up one action per
adjustment:

- write_off: an adjustment row takes the amount off the payer's bucket for good;
- write_off_flag: written off the same way, and the claim gets a warning telling a
  biller what to check, because a correction may still get the amount paid;
- patient: a transfer moves the amount to the patient's bucket;
- next_payer: a transfer moves it to the next payer in coordination-of-benefits order
  on the date of service, or to the patient when there is none;
- denial: nothing moves. The claim becomes a denial work item, and the amount stays
  with the payer until a biller corrects and resubmits, appeals, or writes it off;
- review: nothing moves; a biller decides, and the claim shows a warning saying so;
- ignore: nothing moves and nothing is flagged.

The built-in table (`default_action`) follows common practice. A practice overrides it
with PostingRule rows: a rule for the claim's payer wins over a rule for any payer, an
exact reason code wins over the wildcard "*", and any rule wins over the built-in table.
Saving and deleting rules needs PAYMENT_VOID (managers and administrators), because a
rule decides what is written off or billed to patients on every later remittance, as a
manager's write-off would. Anyone who posts payments (PAYMENT_POST) may read them.
"""

import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError
from app.models.payments import PostingRule
from app.models.practice import Payer
from app.problems import Problem, Severity, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome

log = logging.getLogger(__name__)

WRITE_OFF = "write_off"
WRITE_OFF_FLAG = "write_off_flag"
PATIENT = "patient"
NEXT_PAYER = "next_payer"
DENIAL = "denial"
REVIEW = "review"
IGNORE = "ignore"
ACTIONS = (WRITE_OFF, WRITE_OFF_FLAG, PATIENT, NEXT_PAYER, DENIAL, REVIEW, IGNORE)
# Actions that take the amount off the payer's bucket with an adjustment row.
WRITE_OFF_ACTIONS = frozenset({WRITE_OFF, WRITE_OFF_FLAG})

ACTION_LABELS = {
    WRITE_OFF: "Write off",
    WRITE_OFF_FLAG: "Write off and flag for a biller",
    PATIENT: "Bill the patient",
    NEXT_PAYER: "Bill the next payer, else the patient",
    DENIAL: "Denial work item",
    REVIEW: "Hold for review",
    IGNORE: "Ignore",
}

# The 5010 835 uses these four groups; CR (corrections) exists only in 837 COB loops.
GROUP_CODES = ("CO", "OA", "PI", "PR")
GROUP_LABELS = {
    "CO": "Contractual obligation",
    "OA": "Other adjustment",
    "PI": "Payer-initiated reduction",
    "PR": "Patient responsibility",
}
ANY_REASON = "*"
RULE_PERMISSION = Permission.PAYMENT_VOID
READ_PERMISSION = Permission.PAYMENT_POST
OBJECT_TYPE = "posting_rule"
MAX_REASON_LENGTH = 5
MAX_NOTE_LENGTH = 500

# CO and PI reasons that mean the payer refused the service rather than reduced it. The
# amount is owed by no one until a biller acts, so these become denial work items
# instead of write-offs, which would hide lost revenue.
_DENIAL_REASONS = {
    "4": "the modifier does not fit the procedure; correct it and resubmit",
    "5": "the procedure or bill type does not fit the place of service; correct and resubmit",
    "11": "the diagnosis does not support the procedure; check coding and resubmit",
    "16": "the claim lacks information named by the remark codes; add it and resubmit",
    "22": "another payer may be primary; update coordination of benefits and rebill",
    "27": "coverage ended before the date of service; check eligibility and bill the right payer",
    "29": "the filing limit passed; appeal with proof of timely filing, or write it off",
    "31": "the payer cannot identify the patient as its member; check the member id",
    "50": "the payer found the service not medically necessary; appeal with records",
    "96": "the service is not covered; appeal, or bill the patient only with a signed waiver",
    "109": "this payer does not cover the claim; bill the right payer",
    "119": "the benefit maximum is reached; check the plan, then bill the next payer",
    "167": "the diagnosis is not covered; check coding and appeal",
    "197": "authorization or precertification was missing; obtain it and appeal",
    "204": "the plan does not cover the service; appeal, or bill the patient with a waiver",
}
# CO and PI reasons a biller must look at before anything moves. An exact duplicate
# (CARC 18) means the payer already processed the service, so posting it would count
# the money twice.
_REVIEW_REASONS = {
    "18": "the payer calls it a duplicate; find the first claim's payment before posting",
}
# CO and PI reasons written off by contract that a correction may still get paid. A
# bundled service (CARC 97) is included in another service's payment, and the patient
# may not be billed for it. It stays written off unless the service was distinct and a
# modifier such as 59 or XU was missing.
_FLAGGED_REASONS = {
    "97": (
        "the payer bundled the service into another one. If it was a separate service, "
        "add the modifier that shows it (such as 59 or XU), then correct and resubmit the "
        "claim"
    ),
}
# The built-in action of each CO and PI reason named above.
_CONTRACT_REASON_ACTIONS = (
    dict.fromkeys(_DENIAL_REASONS, DENIAL)
    | dict.fromkeys(_REVIEW_REASONS, REVIEW)
    | dict.fromkeys(_FLAGGED_REASONS, WRITE_OFF_FLAG)
)
# OA reasons with a known meaning. OA 23 is the earlier payer's share on a secondary
# remittance: that money was already paid or written off when the primary was posted,
# so only what is left in this payer's bucket is written off.
_OTHER_ADJUSTMENT_ACTIONS = {
    "23": WRITE_OFF,
    "18": REVIEW,
}


@dataclass(frozen=True, slots=True)
class BuiltInRule:
    """One row of the built-in table, for the admin screen and the guide."""

    group_code: str
    reason_code: str
    action: str
    why: str


@dataclass(frozen=True, slots=True)
class PostingRuleRow:
    """A practice's posting rule as the admin tab lists it."""

    rule_id: uuid.UUID
    payer_id: uuid.UUID | None
    payer_name: str
    group_code: str
    reason_code: str
    action: str
    action_label: str
    default_action: str
    note: str


@dataclass(slots=True)
class PostingRuleForm:
    """A posting rule being added (rule_id None) or changed; payer_id None means any payer."""

    group_code: str
    reason_code: str
    action: str
    payer_id: uuid.UUID | None = None
    note: str = ""
    rule_id: uuid.UUID | None = None


def default_action(group_code: str, reason_code: str) -> str:
    """Return the built-in action for a CAS group code and reason code."""
    group = group_code.strip().upper()
    reason = reason_code.strip().upper()
    if group in ("CO", "PI"):
        # Everything else the payer reduced by contract (45 fee schedule, 253
        # sequestration, 59 multiple procedures ...) may not be billed to the patient.
        return _CONTRACT_REASON_ACTIONS.get(reason, WRITE_OFF)
    if group == "PR":
        # Deductible (1), coinsurance (2), copay (3) and any other patient share go to
        # the next payer first. Posting sends them to the patient when there is none.
        return NEXT_PAYER
    if group == "OA":
        # Other OA reasons have no fixed meaning, so a person decides.
        return _OTHER_ADJUSTMENT_ACTIONS.get(reason, REVIEW)
    # CR or an unknown group: not valid on a 5010 835.
    return REVIEW


def denial_hint(reason_code: str) -> str | None:
    """Return what a biller does about a denial reason code, or None when it has no hint."""
    reason = reason_code.strip().upper()
    return (
        _DENIAL_REASONS.get(reason) or _REVIEW_REASONS.get(reason) or _FLAGGED_REASONS.get(reason)
    )


def built_in_rules() -> list[BuiltInRule]:
    """Return the built-in table as rows: the named reasons, then each group's default."""
    rows = [
        BuiltInRule(group, reason, DENIAL, why)
        for reason, why in _DENIAL_REASONS.items()
        for group in ("CO", "PI")
    ]
    rows += [
        BuiltInRule(group, reason, REVIEW, why)
        for reason, why in _REVIEW_REASONS.items()
        for group in ("CO", "PI")
    ]
    rows += [
        BuiltInRule(group, reason, WRITE_OFF_FLAG, why)
        for reason, why in _FLAGGED_REASONS.items()
        for group in ("CO", "PI")
    ]
    rows += [
        BuiltInRule("OA", "23", WRITE_OFF, "the earlier payer's share, already settled"),
        BuiltInRule("OA", "18", REVIEW, "a duplicate; find the first claim's payment"),
        BuiltInRule("CO", ANY_REASON, WRITE_OFF, "a contractual reduction the patient never owes"),
        BuiltInRule("PI", ANY_REASON, WRITE_OFF, "a payer reduction the patient never owes"),
        BuiltInRule("PR", ANY_REASON, NEXT_PAYER, "the patient's share: next payer, else patient"),
        BuiltInRule("OA", ANY_REASON, REVIEW, "no fixed meaning; a biller decides"),
    ]
    return rows


class RuleBook:
    """The practice's posting rules, loaded once for posting many claims."""

    def __init__(self, rules: Iterable[PostingRule]) -> None:
        self._actions: dict[tuple[uuid.UUID | None, str, str], str] = {
            (rule.payer_id, rule.group_code, rule.reason_code): rule.action for rule in rules
        }

    def action(self, payer_id: uuid.UUID | None, group_code: str, reason_code: str) -> str:
        """Return the action: payer rule, then any-payer rule (exact before "*"), then built-in."""
        group = group_code.strip().upper()
        reason = reason_code.strip().upper()
        owners = [payer_id, None] if payer_id is not None else [None]
        for owner in owners:
            for code in (reason, ANY_REASON):
                found = self._actions.get((owner, group, code))
                if found is not None:
                    return found
        return default_action(group, reason)


def load_rules(session: Session) -> RuleBook:
    """Load every rule in force (not archived) into a RuleBook."""
    return RuleBook(session.scalars(select(PostingRule).where(PostingRule.archived.is_(False))))


def action_for(
    session: Session, payer_id: uuid.UUID | None, group_code: str, reason_code: str
) -> str:
    """Return the action for one adjustment of a payer, overrides first (see the module)."""
    group = group_code.strip().upper()
    reason = reason_code.strip().upper()
    query = select(PostingRule).where(
        PostingRule.archived.is_(False),
        PostingRule.group_code == group,
        PostingRule.reason_code.in_([reason, ANY_REASON]),
    )
    if payer_id is None:
        query = query.where(PostingRule.payer_id.is_(None))
    else:
        query = query.where((PostingRule.payer_id == payer_id) | PostingRule.payer_id.is_(None))
    return RuleBook(session.scalars(query)).action(payer_id, group, reason)


# --- the admin tab ------------------------------------------------------------------


def list_rules(session: Session, actor: Actor) -> list[PostingRuleRow]:
    """Return the practice's rules: any-payer rules first, then by payer, group and reason."""
    require(actor, READ_PERMISSION)
    rows = session.execute(
        select(PostingRule, Payer.name)
        .outerjoin(Payer, Payer.id == PostingRule.payer_id)
        .where(PostingRule.archived.is_(False))
    )
    listed = [_row(rule, payer_name) for rule, payer_name in rows]
    listed.sort(
        key=lambda row: (
            row.payer_id is not None,
            row.payer_name.lower(),
            row.group_code,
            row.reason_code != ANY_REASON,
            row.reason_code.zfill(MAX_REASON_LENGTH),
        )
    )
    return listed


def save_rule(session: Session, actor: Actor, form: PostingRuleForm) -> SaveOutcome:
    """Add or change a posting rule; every problem comes back as data and nothing is saved.

    A rule for a payer, group and reason that was deleted earlier is brought back rather
    than added twice.
    """
    require(actor, RULE_PERMISSION)
    group = form.group_code.strip().upper()
    reason = form.reason_code.strip().upper()
    note = form.note.strip()
    problems = _form_problems(session, form, group, reason, note)
    if has_errors(problems):
        log.info("posting rule rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    rule, created = _target_rule(session, form, group, reason)
    rule.payer_id = form.payer_id
    rule.group_code = group
    rule.reason_code = reason
    rule.action = form.action
    rule.note = note
    rule.archived = False
    rule.updated_by = actor.user_id
    session.flush()
    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, OBJECT_TYPE, rule.id, detail=f"{group}-{reason}")
    log.info("posting rule %s saved (%s)", rule.id, "new" if created else "changed")
    return SaveOutcome(rule.id, created, tuple(problems), Changes.of(ChangeKind.SETTINGS))


def delete_rule(session: Session, actor: Actor, rule_id: uuid.UUID) -> Changes:
    """Archive a posting rule, so the next rule in order (or the built-in table) applies.

    Raises NotFoundError when the rule does not exist or is already deleted.
    """
    require(actor, RULE_PERMISSION)
    rule = session.get(PostingRule, rule_id)
    if rule is None or rule.archived:
        raise NotFoundError(
            f"Posting rule {rule_id} was not found or is already deleted; refresh the list."
        )
    rule.archived = True
    rule.updated_by = actor.user_id
    session.flush()
    audit.record(session, actor, AuditAction.ARCHIVE, OBJECT_TYPE, rule.id)
    log.info("posting rule %s deleted", rule.id)
    return Changes.of(ChangeKind.SETTINGS)


def _row(rule: PostingRule, payer_name: str | None) -> PostingRuleRow:
    return PostingRuleRow(
        rule_id=rule.id,
        payer_id=rule.payer_id,
        payer_name=payer_name if rule.payer_id is not None and payer_name else "Any payer",
        group_code=rule.group_code,
        reason_code=rule.reason_code,
        action=rule.action,
        action_label=ACTION_LABELS.get(rule.action, rule.action),
        default_action=default_action(rule.group_code, rule.reason_code),
        note=rule.note,
    )


def _target_rule(
    session: Session, form: PostingRuleForm, group: str, reason: str
) -> tuple[PostingRule, bool]:
    edited = session.get(PostingRule, form.rule_id) if form.rule_id is not None else None
    archived = _same_rule(session, form.payer_id, group, reason, archived=True)
    if archived is not None:
        # The table allows one row per payer, group and reason, deleted rows included,
        # so the deleted twin comes back and an edited rule gives way to it.
        if edited is not None:
            edited.archived = True
        return archived, False
    if edited is not None:
        return edited, False
    rule = PostingRule(
        payer_id=form.payer_id, group_code=group, reason_code=reason, action=form.action
    )
    session.add(rule)
    return rule, True


def _same_rule(
    session: Session,
    payer_id: uuid.UUID | None,
    group: str,
    reason: str,
    *,
    archived: bool,
) -> PostingRule | None:
    owner = PostingRule.payer_id.is_(None) if payer_id is None else PostingRule.payer_id == payer_id
    query = select(PostingRule).where(
        owner,
        PostingRule.group_code == group,
        PostingRule.reason_code == reason,
        PostingRule.archived.is_(archived),
    )
    return session.scalars(query).first()


def _form_problems(
    session: Session, form: PostingRuleForm, group: str, reason: str, note: str
) -> list[Problem]:
    problems: list[Problem] = []
    if form.rule_id is not None:
        existing = session.get(PostingRule, form.rule_id)
        if existing is None or existing.archived:
            problems.append(
                Problem(
                    "rule",
                    f"Posting rule {form.rule_id} was not found or was deleted; refresh the "
                    "list and add the rule again.",
                )
            )
            return problems
    if group not in GROUP_CODES:
        problems.append(
            Problem(
                "group_code",
                f"Group code {group or '(blank)'} is not valid; use CO, OA, PI or PR.",
            )
        )
    if reason != ANY_REASON and (
        not reason or len(reason) > MAX_REASON_LENGTH or not reason.isalnum()
    ):
        problems.append(
            Problem(
                "reason_code",
                f"Reason code {reason or '(blank)'} is not valid; enter a claim adjustment "
                "reason code (CARC) such as 45 or B7, or * for every reason of the group.",
            )
        )
    if form.action not in ACTIONS:
        problems.append(
            Problem(
                "action",
                f"Action {form.action or '(blank)'} is not valid; choose one of "
                f"{', '.join(ACTION_LABELS.values())}.",
            )
        )
    if len(note) > MAX_NOTE_LENGTH:
        problems.append(
            Problem(
                "note",
                f"The note has {len(note)} characters; shorten it to {MAX_NOTE_LENGTH}.",
            )
        )
    problems += _payer_problems(session, form.payer_id)
    problems += _duplicate_problems(session, form, group, reason)
    if group == "PR" and form.action in WRITE_OFF_ACTIONS:
        problems.append(
            Problem(
                "action",
                "Writing off patient responsibility waives what the patient owes on every "
                "remittance. Routine waivers of Medicare and other federal-program "
                "deductibles and copays are not allowed; use this only under a written "
                "policy your compliance advisor approved.",
                Severity.WARNING,
            )
        )
    return problems


def _payer_problems(session: Session, payer_id: uuid.UUID | None) -> list[Problem]:
    if payer_id is None:
        return []
    payer = session.get(Payer, payer_id)
    if payer is not None and not payer.archived:
        return []
    return [
        Problem(
            "payer_id",
            "The payer chosen was not found or is archived; choose another payer or Any payer.",
        )
    ]


def _duplicate_problems(
    session: Session, form: PostingRuleForm, group: str, reason: str
) -> list[Problem]:
    existing = _same_rule(session, form.payer_id, group, reason, archived=False)
    if existing is None or existing.id == form.rule_id:
        return []
    return [
        Problem(
            "reason_code",
            f"A rule for {group}-{reason} and this payer already exists (action "
            f"{ACTION_LABELS.get(existing.action, existing.action)}); change that rule "
            "instead of adding another.",
        )
    ]
