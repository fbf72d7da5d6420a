"""Notice levels: the steps of the dunning ladder, each with its wait and printed message.

The ladder has five fixed steps in this order: statement, second, third, final and
collections. Their positions follow that order and never change. An administrator
edits each step's label, wait, message and whether it is used. The first step
(statement) must stay active, because every account's first statement uses it. The
collections step is never printed: an account that reaches it is listed for placement
with a collection agency.

Until an administrator saves a level, the defaults below apply without any stored row.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.models.statements import NoticeLevel
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome

log = logging.getLogger(__name__)

OBJECT_TYPE = "notice_level"

LEVEL_CODES = ("statement", "second", "third", "final", "collections")
FIRST_LEVEL = LEVEL_CODES[0]
COLLECTIONS_LEVEL = LEVEL_CODES[-1]

# A reminder sent to an account whose payment plan missed an installment. It is not a
# step of the ladder, so a plan reminder neither raises nor resets the account's level.
PLAN_REMINDER = "plan_reminder"
PLAN_REMINDER_LABEL = "Payment plan reminder"
PLAN_REMINDER_MESSAGE = (
    "We have not received an installment of your payment plan. Please pay the amount due "
    "now, or call our billing office, so your plan stays in good standing."
)

MAX_DAYS = 365
MAX_MESSAGE_LENGTH = 600
# The width of notice_level.label.
MAX_LABEL_LENGTH = 40

CHANGES = Changes.of(ChangeKind.SETTINGS, ChangeKind.PAYMENTS)


@dataclass(frozen=True, slots=True)
class NoticeLevelRow:
    """One ladder step as stored, or as the default when none is stored (`level_id` None)."""

    code: str
    position: int
    label: str
    days_after_previous: int
    message: str
    active: bool
    level_id: uuid.UUID | None = None


def _default(code: str, label: str, days: int, message: str) -> NoticeLevelRow:
    return NoticeLevelRow(code, LEVEL_CODES.index(code) + 1, label, days, message, True)


# The first message asks for payment by the printed due date (statement settings' due
# days), so it never contradicts the "Please pay by" date beside the amount due. It fits
# on one line of the statement's message column, which leaves room for the tables on
# page 1. Changing a default leaves the messages a practice already stored as they are.
DEFAULT_LEVELS: tuple[NoticeLevelRow, ...] = (
    _default(
        "statement", "Statement", 0, "Thank you. Please pay the amount due by the date shown."
    ),
    _default(
        "second",
        "2nd notice",
        30,
        "Your balance is past due. Please pay it now, or call our billing office to set "
        "up a payment plan.",
    ),
    _default(
        "third",
        "3rd notice",
        30,
        "Your balance is seriously past due. Please pay it now, or call our billing "
        "office today to discuss it.",
    ),
    _default(
        "final",
        "Final notice",
        30,
        "Final notice: unless we receive payment or hear from you, this account will be "
        "sent to a collection agency in 30 days. Please pay now or call our billing office.",
    ),
    _default(
        "collections",
        "Collections",
        30,
        "This account has been referred to a collection agency.",
    ),
)


# --- reading ------------------------------------------------------------------------


def list_levels(session: Session) -> list[NoticeLevelRow]:
    """Return the five ladder steps in ladder order, with defaults for any not stored."""
    stored = {
        row.code: row
        for row in session.scalars(select(NoticeLevel).where(NoticeLevel.archived.is_(False)))
    }
    levels = []
    for default in DEFAULT_LEVELS:
        row = stored.get(default.code)
        levels.append(default if row is None else _to_row(row))
    return levels


def _to_row(level: NoticeLevel) -> NoticeLevelRow:
    # The position comes from the code, so a stored position can never reorder the ladder.
    return NoticeLevelRow(
        code=level.code,
        position=LEVEL_CODES.index(level.code) + 1,
        label=level.label,
        days_after_previous=level.days_after_previous,
        message=level.message,
        active=level.active,
        level_id=level.id,
    )


def level_label(levels: Sequence[NoticeLevelRow], code: str) -> str:
    """Return the printed label of a level code, or of the plan reminder."""
    if code == PLAN_REMINDER:
        return PLAN_REMINDER_LABEL
    for level in levels:
        if level.code == code:
            return level.label
    return code


def level_message(levels: Sequence[NoticeLevelRow], code: str) -> str:
    """Return the message printed on a statement of a level code, or of the plan reminder."""
    if code == PLAN_REMINDER:
        return PLAN_REMINDER_MESSAGE
    for level in levels:
        if level.code == code:
            return level.message
    return ""


# --- writing ------------------------------------------------------------------------


def ensure_default_levels(session: Session, actor: Actor) -> Changes:
    """Store the default row of every level not stored yet (one audit event for them all)."""
    require(actor, Permission.PRACTICE_SETUP)
    stored = set(session.scalars(select(NoticeLevel.code)))
    missing = [default for default in DEFAULT_LEVELS if default.code not in stored]
    if not missing:
        return Changes()

    session.add_all(
        NoticeLevel(
            code=default.code,
            position=default.position,
            label=default.label,
            days_after_previous=default.days_after_previous,
            message=default.message,
            active=default.active,
            updated_by=actor.user_id,
        )
        for default in missing
    )
    session.flush()
    codes = " ".join(default.code for default in missing)
    audit.record(session, actor, AuditAction.CREATE, OBJECT_TYPE, detail=f"default levels: {codes}")
    log.info("stored %d default notice levels", len(missing))
    return CHANGES


def save_level(  # noqa: PLR0917 (the signature the statements contract fixes)
    session: Session,
    actor: Actor,
    code: str,
    label: str,
    days_after_previous: int,
    message: str,
    active: bool,
) -> SaveOutcome:
    """Check and store one level's label, wait, message and active flag.

    Returns the problems, and writes nothing, when a value is invalid. The code picks
    the level and never changes, so neither does its position.
    """
    require(actor, Permission.PRACTICE_SETUP)
    label = label.strip()
    message = message.strip()
    problems = level_problems(
        list_levels(session),
        code,
        label=label,
        days_after_previous=days_after_previous,
        message=message,
        active=active,
    )
    if has_errors(problems):
        log.info("notice level %s rejected with %d problems", code, len(problems))
        return SaveOutcome.rejected(problems)

    ensure_default_levels(session, actor)
    row = session.scalars(select(NoticeLevel).where(NoticeLevel.code == code)).one()
    changed = _changed_fields(row, label, days_after_previous, message, active)
    if not changed:
        return SaveOutcome(row.id, False, tuple(problems), Changes())

    before = f"days {row.days_after_previous}, active {row.active}"
    row.label = label
    row.days_after_previous = days_after_previous
    row.message = message
    row.active = active
    row.position = LEVEL_CODES.index(code) + 1
    row.archived = False
    row.updated_by = actor.user_id
    session.flush()

    # Labels and messages are long free text, so the audit names the fields that changed
    # and gives only the numbers and flags before and after.
    detail = (
        f"level {code}: changed {', '.join(changed)}; {before} -> "
        f"days {days_after_previous}, active {active}"
    )
    audit.record(session, actor, AuditAction.UPDATE, OBJECT_TYPE, row.id, detail=detail)
    log.info("notice level %s saved", code)
    return SaveOutcome(row.id, False, tuple(problems), CHANGES)


def _changed_fields(
    row: NoticeLevel, label: str, days: int, message: str, active: bool
) -> list[str]:
    changed = []
    if row.label != label:
        changed.append("label")
    if row.days_after_previous != days:
        changed.append("days")
    if row.message != message:
        changed.append("message")
    if row.active != active:
        changed.append("active")
    return changed


def level_problems(
    levels: Sequence[NoticeLevelRow],
    code: str,
    *,
    label: str,
    days_after_previous: int,
    message: str,
    active: bool,
) -> list[Problem]:
    """Return every problem with the values typed for level `code` (empty when valid).

    `levels` are the current levels, against which the label must be unique.
    """
    if code not in LEVEL_CODES:
        return [
            Problem(
                "code",
                f"The notice level {code!r} is not one of {', '.join(LEVEL_CODES)}; "
                "choose one of them.",
            )
        ]
    problems = _label_problems(levels, code, label)
    if not 0 <= days_after_previous <= MAX_DAYS:
        problems.append(
            Problem(
                "days_after_previous",
                f"The wait of {days_after_previous} days is outside 0 to {MAX_DAYS}; "
                f"type a number of days from 0 to {MAX_DAYS}.",
            )
        )
    if not message:
        problems.append(
            Problem("message", "The message is missing; type the text printed on the notice.")
        )
    elif len(message) > MAX_MESSAGE_LENGTH:
        problems.append(
            Problem(
                "message",
                f"The message has {len(message)} characters, more than the "
                f"{MAX_MESSAGE_LENGTH} that fit on the statement; shorten it.",
            )
        )
    if code == FIRST_LEVEL and not active:
        problems.append(
            Problem(
                "active",
                "The first level (statement) cannot be turned off, because every account's "
                "first statement uses it; keep it active.",
            )
        )
    return problems


def _label_problems(levels: Sequence[NoticeLevelRow], code: str, label: str) -> list[Problem]:
    if not label:
        return [Problem("label", "The label is missing; type the name printed on the notice.")]
    if len(label) > MAX_LABEL_LENGTH:
        return [
            Problem(
                "label",
                f"The label {label!r} has {len(label)} characters, more than "
                f"{MAX_LABEL_LENGTH}; shorten it.",
            )
        ]
    if label.casefold() == PLAN_REMINDER_LABEL.casefold():
        return [
            Problem(
                "label",
                f"The label {label!r} is the one payment plan reminders print; choose "
                "another label so the notices can be told apart.",
            )
        ]
    for other in levels:
        if other.code != code and other.label.casefold() == label.casefold():
            return [
                Problem(
                    "label",
                    f"The label {label!r} is already used by the {other.code} level; "
                    "choose a label of its own so the notices can be told apart.",
                )
            ]
    return []
