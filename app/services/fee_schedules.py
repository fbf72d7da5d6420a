"""Fee schedules: the practice's charges and each payer's contracted allowed amounts.

A schedule is in force from `effective_from` through `effective_to` (open when None).
Two active schedules of the same kind, and for allowed amounts the same payer, never
overlap, so one date of service finds at most one schedule. A price is per unit of the
code. An item with a modifier applies to lines whose first modifier is that modifier
(such as a lower price with modifier 52) and wins over the item without a modifier.
Items and schedules are archived, never deleted, because they may have synced.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.errors import NotFoundError
from app.models.charges import FeeSchedule, FeeScheduleItem, ProcedureCode
from app.models.practice import Payer
from app.money import to_money
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.outcomes import SaveOutcome
from app.services.procedure_codes import find_procedure_code, normalize_procedure_code

log = logging.getLogger(__name__)

OBJECT_TYPE = "fee_schedule"
ITEM_OBJECT_TYPE = "fee_schedule_item"
NAME_MAX_LENGTH = 60
# A fee above this is a typing mistake (an extra digit), not a price for one unit.
MAX_FEE = Decimal("999999.99")


class ScheduleKind(StrEnum):
    """The kind of price a fee schedule lists: charges or contracted allowed amounts."""

    PRACTICE = "practice"
    ALLOWED = "allowed"

    @property
    def label(self) -> str:
        """Name shown on screens."""
        return "Practice charges" if self is ScheduleKind.PRACTICE else "Payer allowed amounts"


@dataclass(slots=True)
class FeeScheduleForm:
    """A fee schedule as typed; `id` is None for a new one, `effective_to` None for open."""

    name: str = ""
    kind: str = ScheduleKind.PRACTICE.value
    payer_id: uuid.UUID | None = None
    effective_from: date | None = None
    effective_to: date | None = None
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class FeeScheduleSummary:
    """A fee schedule as lists show it."""

    id: uuid.UUID
    name: str
    kind: str
    payer_id: uuid.UUID | None
    payer_name: str
    effective_from: date
    effective_to: date | None
    item_count: int
    archived: bool


@dataclass(slots=True)
class FeeItemForm:
    """One price as typed; `amount` is text such as "$1,234.50" or a Decimal."""

    fee_schedule_id: uuid.UUID | None = None
    procedure_code: str = ""
    modifier: str = ""
    amount: str | Decimal = ""
    id: uuid.UUID | None = None


@dataclass(frozen=True, slots=True)
class FeeItemView:
    """One price of a schedule with the code's description, as the items grid shows it."""

    id: uuid.UUID
    procedure_code: str
    modifier: str
    amount: Decimal
    description: str


def format_date(value: date | None) -> str:
    """Format a date as US screens show it, such as 03/10/2026; None is "open"."""
    return value.strftime("%m/%d/%Y") if value is not None else "open"


def describe_dates(effective_from: date, effective_to: date | None) -> str:
    """Return a schedule's dates in words, such as "01/01/2026 to open"."""
    return f"{format_date(effective_from)} to {format_date(effective_to)}"


# ---- lookups used by charge entry -------------------------------------------------------


def _normalize_modifier(text: str) -> str:
    return text.strip().upper()


def _schedule_in_force(
    session: Session, kind: ScheduleKind, payer_id: uuid.UUID | None, service_date: date
) -> FeeSchedule | None:
    query = select(FeeSchedule).where(
        FeeSchedule.kind == kind.value,
        FeeSchedule.archived.is_(False),
        FeeSchedule.effective_from <= service_date,
        (FeeSchedule.effective_to.is_(None)) | (FeeSchedule.effective_to >= service_date),
    )
    if payer_id is not None:
        query = query.where(FeeSchedule.payer_id == payer_id)
    return session.scalars(query.order_by(FeeSchedule.effective_from.desc())).first()


def _price(
    session: Session, schedule: FeeSchedule | None, procedure_code: str, modifiers: Sequence[str]
) -> Decimal | None:
    if schedule is None:
        return None
    first = _normalize_modifier(modifiers[0]) if modifiers else ""
    candidates = {"", first}
    items = session.scalars(
        select(FeeScheduleItem).where(
            FeeScheduleItem.fee_schedule_id == schedule.id,
            FeeScheduleItem.procedure_code == normalize_procedure_code(procedure_code),
            FeeScheduleItem.modifier.in_(candidates),
            FeeScheduleItem.archived.is_(False),
        )
    ).all()
    by_modifier = {item.modifier: item.amount for item in items}
    if first and first in by_modifier:
        return by_modifier[first]
    return by_modifier.get("")


def fee_for(
    session: Session, procedure_code: str, modifiers: Sequence[str], service_date: date
) -> Decimal | None:
    """Return the per-unit charge for a code from the practice schedule in force on a date.

    The item whose modifier equals the first of `modifiers` wins over the item without a
    modifier. Returns None when no practice schedule covers `service_date` or it has no
    price for the code.
    """
    schedule = _schedule_in_force(session, ScheduleKind.PRACTICE, None, service_date)
    return _price(session, schedule, procedure_code, modifiers)


def allowed_for(
    session: Session,
    payer_id: uuid.UUID,
    procedure_code: str,
    modifiers: Sequence[str],
    service_date: date,
) -> Decimal | None:
    """Return the per-unit allowed amount from the payer's schedule in force on a date.

    Items are chosen as in fee_for. Returns None when the payer has no allowed-amount
    schedule for `service_date` or it has no price for the code.
    """
    schedule = _schedule_in_force(session, ScheduleKind.ALLOWED, payer_id, service_date)
    return _price(session, schedule, procedure_code, modifiers)


# ---- schedules --------------------------------------------------------------------------


def _payer_names(session: Session) -> dict[uuid.UUID, str]:
    return dict(session.execute(select(Payer.id, Payer.name)).all())


def list_fee_schedules(
    session: Session, actor: Actor, include_archived: bool = False
) -> list[FeeScheduleSummary]:
    """Return the schedules: practice charges first, then by payer, newest dates first."""
    del actor  # every signed-in user may read prices, as charge entry does
    count_query = (
        select(FeeScheduleItem.fee_schedule_id, func.count())
        .where(FeeScheduleItem.archived.is_(False))
        .group_by(FeeScheduleItem.fee_schedule_id)
    )
    counts: dict[uuid.UUID, int] = dict(session.execute(count_query).all())
    payers = _payer_names(session)
    query = select(FeeSchedule)
    if not include_archived:
        query = query.where(FeeSchedule.archived.is_(False))
    summaries = [
        FeeScheduleSummary(
            id=row.id,
            name=row.name,
            kind=row.kind,
            payer_id=row.payer_id,
            payer_name=payers.get(row.payer_id, "") if row.payer_id else "",
            effective_from=row.effective_from,
            effective_to=row.effective_to,
            item_count=counts.get(row.id, 0),
            archived=row.archived,
        )
        for row in session.scalars(query)
    ]
    # Sorting is stable, so the second sort keeps the newest first within each group.
    summaries.sort(key=lambda s: s.effective_from, reverse=True)
    summaries.sort(key=lambda s: (s.kind != ScheduleKind.PRACTICE, s.payer_name.casefold()))
    return summaries


def find_fee_schedule(session: Session, name: str) -> FeeSchedule | None:
    """Return the active schedule named `name` (any case, outer spaces ignored), or None."""
    query = select(FeeSchedule).where(
        func.lower(FeeSchedule.name) == name.strip().lower(), FeeSchedule.archived.is_(False)
    )
    return session.scalars(query).first()


def get_fee_schedule(session: Session, schedule_id: uuid.UUID) -> FeeSchedule:
    """Return the active schedule with `schedule_id`, or raise NotFoundError."""
    schedule = session.get(FeeSchedule, schedule_id)
    if schedule is None or schedule.archived:
        raise NotFoundError(
            f"Fee schedule {schedule_id} was not found or is archived. Refresh the list and "
            "choose it again."
        )
    return schedule


def fee_schedule_problems(form: FeeScheduleForm) -> list[Problem]:
    """Return every problem with a schedule as typed (no database needed)."""
    problems = v.text_problems(form.name, "name", "Name", NAME_MAX_LENGTH)
    kinds = {kind.value for kind in ScheduleKind}
    if form.kind not in kinds:
        message = f"Kind {v.echo_for_message(form.kind)} is unknown; choose practice or allowed."
        problems.append(Problem("kind", message))
    elif form.kind == ScheduleKind.ALLOWED and form.payer_id is None:
        message = "No payer is chosen; an allowed-amount schedule belongs to one payer."
        problems.append(Problem("payer_id", message))
    elif form.kind == ScheduleKind.PRACTICE and form.payer_id is not None:
        message = "A practice schedule has no payer; clear the payer or choose allowed amounts."
        problems.append(Problem("payer_id", message))
    if form.effective_from is None:
        message = "Effective from is missing; enter the first date of service it prices."
        problems.append(Problem("effective_from", message))
    elif form.effective_to is not None and form.effective_to < form.effective_from:
        message = (
            f"Effective to {format_date(form.effective_to)} is before effective from "
            f"{format_date(form.effective_from)}; enter a later date or leave it open."
        )
        problems.append(Problem("effective_to", message))
    return problems


def _payer_problems(session: Session, form: FeeScheduleForm) -> list[Problem]:
    if form.payer_id is None:
        return []
    payer = session.get(Payer, form.payer_id)
    if payer is None or payer.archived:
        message = f"Payer {form.payer_id} was not found or is archived; choose another payer."
        return [Problem("payer_id", message)]
    return []


def _name_problems(session: Session, form: FeeScheduleForm) -> list[Problem]:
    existing = find_fee_schedule(session, form.name)
    if existing is None or existing.id == form.id:
        return []
    message = (
        f"A fee schedule named {v.echo_for_message(form.name.strip())} already exists; choose "
        "another name, such as one with the year."
    )
    return [Problem("name", message)]


def _overlap_problems(session: Session, form: FeeScheduleForm) -> list[Problem]:
    assert form.effective_from is not None  # checked by fee_schedule_problems
    query = select(FeeSchedule).where(
        FeeSchedule.kind == form.kind,
        FeeSchedule.archived.is_(False),
        (FeeSchedule.effective_to.is_(None)) | (FeeSchedule.effective_to >= form.effective_from),
    )
    if form.effective_to is not None:
        query = query.where(FeeSchedule.effective_from <= form.effective_to)
    if form.kind == ScheduleKind.ALLOWED:
        query = query.where(FeeSchedule.payer_id == form.payer_id)
    if form.id is not None:
        query = query.where(FeeSchedule.id != form.id)
    mine = f"{form.name.strip()} ({describe_dates(form.effective_from, form.effective_to)})"
    problems = []
    for other in session.scalars(query.order_by(FeeSchedule.effective_from)):
        theirs = f"{other.name} ({describe_dates(other.effective_from, other.effective_to)})"
        message = (
            f"{mine} overlaps {theirs}; a date of service must find one schedule. End "
            f"{other.name} earlier or start this one later."
        )
        problems.append(Problem("effective_from", message))
    return problems


def check_fee_schedule(session: Session, form: FeeScheduleForm) -> list[Problem]:
    """Return every problem with a schedule, including names and dates of other schedules."""
    problems = fee_schedule_problems(form)
    if has_errors(problems):
        return problems
    return [
        *_payer_problems(session, form),
        *_name_problems(session, form),
        *_overlap_problems(session, form),
    ]


def save_fee_schedule(session: Session, actor: Actor, form: FeeScheduleForm) -> SaveOutcome:
    """Create (`form.id` None) or update a schedule; rejects overlaps, naming both schedules."""
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    problems = check_fee_schedule(session, form)
    if has_errors(problems):
        log.info("fee schedule save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    created = form.id is None
    schedule = FeeSchedule() if form.id is None else get_fee_schedule(session, form.id)
    assert form.effective_from is not None  # checked above
    schedule.name = form.name.strip()
    schedule.kind = form.kind
    schedule.payer_id = form.payer_id
    schedule.effective_from = form.effective_from
    schedule.effective_to = form.effective_to
    schedule.updated_by = actor.user_id
    session.add(schedule)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(session, actor, action, OBJECT_TYPE, schedule.id)
    log.info("%s fee schedule %s", "created" if created else "updated", schedule.id)
    return SaveOutcome(schedule.id, created, tuple(problems), Changes.of(ChangeKind.CODE_SETS))


def archive_fee_schedule(session: Session, actor: Actor, schedule_id: uuid.UUID) -> SaveOutcome:
    """Archive a schedule: lookups stop using it; charges already entered keep their fees."""
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    schedule = get_fee_schedule(session, schedule_id)
    schedule.archived = True
    schedule.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, OBJECT_TYPE, schedule.id)
    log.info("archived fee schedule %s", schedule.id)
    return SaveOutcome(schedule.id, changes=Changes.of(ChangeKind.CODE_SETS))


# ---- items ------------------------------------------------------------------------------


def list_fee_items(
    session: Session, actor: Actor, schedule_id: uuid.UUID, text: str = ""
) -> list[FeeItemView]:
    """Return a schedule's active prices by code and modifier; `text` filters by code prefix
    or description words as procedure code search does."""
    del actor  # every signed-in user may read prices, as charge entry does
    query = (
        select(FeeScheduleItem, ProcedureCode.description)
        .outerjoin(ProcedureCode, ProcedureCode.code == FeeScheduleItem.procedure_code)
        .where(FeeScheduleItem.fee_schedule_id == schedule_id, FeeScheduleItem.archived.is_(False))
        .order_by(FeeScheduleItem.procedure_code, FeeScheduleItem.modifier)
    )
    words = text.casefold().split()
    prefix = text.strip().upper()
    views = []
    for item, description in session.execute(query):
        label = description or ""
        matches_words = all(word in label.casefold() for word in words)
        if words and not item.procedure_code.startswith(prefix) and not matches_words:
            continue
        views.append(FeeItemView(item.id, item.procedure_code, item.modifier, item.amount, label))
    return views


def modifier_format_problems(modifier: str, field: str) -> list[Problem]:
    """Check that a modifier is blank or two letters and digits, such as 25 or TC."""
    text = _normalize_modifier(modifier)
    if not text or (len(text) == 2 and text.isascii() and text.isalnum()):
        return []
    message = (
        f"Modifier {v.echo_for_message(modifier.strip())} is invalid; a modifier is 2 letters "
        "or digits, such as 25 or TC, or blank for the price without a modifier."
    )
    return [Problem(field, message)]


def amount_problems(amount: str | Decimal, field: str) -> tuple[Decimal | None, list[Problem]]:
    """Parse a fee as typed; return it with the problems found (the amount is None on error)."""
    if isinstance(amount, str) and not amount.strip():
        return None, [Problem(field, "Fee is missing; enter the price per unit, such as 125.00.")]
    try:
        value = to_money(amount)
    except ValueError:
        message = (
            f"Fee {v.echo_for_message(str(amount).strip())} is not an amount; type digits with "
            "an optional decimal point, such as 125.00 or $1,234.50."
        )
        return None, [Problem(field, message)]
    if value < 0 or value > MAX_FEE:
        message = f"Fee {value} is out of range; enter an amount from 0.00 to {MAX_FEE:,}."
        return None, [Problem(field, message)]
    return value, []


def _existing_item(
    session: Session, schedule_id: uuid.UUID, code: str, modifier: str
) -> FeeScheduleItem | None:
    query = select(FeeScheduleItem).where(
        FeeScheduleItem.fee_schedule_id == schedule_id,
        FeeScheduleItem.procedure_code == code,
        FeeScheduleItem.modifier == modifier,
    )
    return session.scalars(query).first()


def _item_problems(session: Session, form: FeeItemForm) -> tuple[Decimal | None, list[Problem]]:
    code = normalize_procedure_code(form.procedure_code)
    problems: list[Problem] = []
    if not code:
        problems.append(Problem("procedure_code", "Code is missing; enter a procedure code."))
    elif find_procedure_code(session, code) is None:
        message = (
            f"Code {v.echo_for_message(code)} is not an active procedure code; add it on the "
            "Procedure codes tab first, or restore it there if it is archived."
        )
        problems.append(Problem("procedure_code", message))
    problems += modifier_format_problems(form.modifier, "modifier")
    amount, found = amount_problems(form.amount, "amount")
    problems += found
    if has_errors(problems) or form.fee_schedule_id is None:
        return amount, problems
    existing = _existing_item(
        session, form.fee_schedule_id, code, _normalize_modifier(form.modifier)
    )
    if existing is not None and not existing.archived and existing.id != form.id:
        modifier = _normalize_modifier(form.modifier)
        which = f"{code} with modifier {modifier}" if modifier else f"{code} without a modifier"
        message = f"The schedule already prices {which}; edit that price instead."
        problems.append(Problem("procedure_code", message))
    return amount, problems


def save_fee_item(session: Session, actor: Actor, form: FeeItemForm) -> SaveOutcome:
    """Create (`form.id` None) or update one price; an archived price for the same code and
    modifier is restored with the new amount."""
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    if form.fee_schedule_id is None:
        raise NotFoundError("No fee schedule is chosen. Select a schedule, then add the price.")
    schedule = get_fee_schedule(session, form.fee_schedule_id)
    amount, problems = _item_problems(session, form)
    if has_errors(problems) or amount is None:
        log.info("fee item save rejected with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    code = normalize_procedure_code(form.procedure_code)
    modifier = _normalize_modifier(form.modifier)
    item = _item_for_save(session, form, schedule.id, code, modifier)
    created = item.id is None or item.archived
    item.procedure_code = code
    item.modifier = modifier
    item.amount = amount
    item.archived = False
    item.updated_by = actor.user_id
    session.add(item)
    session.flush()

    action = AuditAction.CREATE if created else AuditAction.UPDATE
    audit.record(
        session, actor, action, ITEM_OBJECT_TYPE, item.id, detail=f"schedule {schedule.id}"
    )
    log.info("saved fee item %s of schedule %s", item.id, schedule.id)
    return SaveOutcome(item.id, created, tuple(problems), Changes.of(ChangeKind.CODE_SETS))


def _item_for_save(
    session: Session, form: FeeItemForm, schedule_id: uuid.UUID, code: str, modifier: str
) -> FeeScheduleItem:
    if form.id is not None:
        item = session.get(FeeScheduleItem, form.id)
        if item is None or item.archived or item.fee_schedule_id != schedule_id:
            raise NotFoundError(
                f"Fee item {form.id} was not found or is archived. Refresh the list and "
                "choose it again."
            )
        return item
    archived = _existing_item(session, schedule_id, code, modifier)
    if archived is not None:
        return archived
    return FeeScheduleItem(fee_schedule_id=schedule_id)


def archive_fee_item(session: Session, actor: Actor, item_id: uuid.UUID) -> SaveOutcome:
    """Remove one price from its schedule (archived, so adding it again restores the row)."""
    require(actor, Permission.FEE_SCHEDULE_EDIT)
    item = session.get(FeeScheduleItem, item_id)
    if item is None or item.archived:
        raise NotFoundError(
            f"Fee item {item_id} was not found or is already removed. Refresh the list."
        )
    item.archived = True
    item.updated_by = actor.user_id
    session.flush()

    audit.record(session, actor, AuditAction.ARCHIVE, ITEM_OBJECT_TYPE, item.id)
    log.info("archived fee item %s", item.id)
    return SaveOutcome(item.id, changes=Changes.of(ChangeKind.CODE_SETS))
