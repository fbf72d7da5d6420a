"""A practice with two payers and actors of the roles that edit or read fee schedules."""

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.db.database import Database
from app.security.permissions import Actor, Role
from app.services import fee_schedules, procedure_codes
from app.services.fee_schedules import FeeItemForm, FeeScheduleForm, ScheduleKind
from app.services.procedure_codes import ProcedureCodeForm
from tests.helpers.referral_data import build_referral_practice

# Made-up local labels: ClinicDesk ships no CPT descriptions, not even in tests.
SAMPLE_CODES = (
    ("99213", "Office visit, est. level 3"),
    ("99214", "Office visit, est. level 4"),
    ("J1100", "Dexamethasone injection"),
)


@dataclass(frozen=True)
class FeePractice:
    """Actors and payer ids the fee tests use."""

    manager: Actor
    biller: Actor
    aetna_id: uuid.UUID
    cigna_id: uuid.UUID


def build_fee_practice(database: Database) -> FeePractice:
    """Set up the sample practice and add the sample procedure codes."""
    base = build_referral_practice(database)
    admin = base.admin
    manager = Actor(admin.user_id, "manager", Role.MANAGER, admin.workstation)
    biller = Actor(admin.user_id, "biller", Role.BILLER, admin.workstation)
    with database.transaction() as session:
        for code, description in SAMPLE_CODES:
            form = ProcedureCodeForm(code=code, description=description)
            procedure_codes.save_procedure_code(session, manager, form).raise_if_rejected()
    return FeePractice(manager, biller, base.aetna_id, base.cigna_id)


def add_schedule(
    database: Database,
    actor: Actor,
    name: str,
    starts: date,
    ends: date | None = None,
    *,
    payer_id: uuid.UUID | None = None,
    prices: dict[tuple[str, str], str] | None = None,
) -> uuid.UUID:
    """Create a schedule, of allowed amounts when `payer_id` is set, priced by (code, modifier)."""
    kind = ScheduleKind.ALLOWED if payer_id else ScheduleKind.PRACTICE
    form = FeeScheduleForm(name, kind.value, payer_id, starts, ends)
    with database.transaction() as session:
        outcome = fee_schedules.save_fee_schedule(session, actor, form)
        outcome.raise_if_rejected()
        assert outcome.record_id is not None
        for (code, modifier), amount in (prices or {}).items():
            item = FeeItemForm(outcome.record_id, code, modifier, Decimal(amount))
            fee_schedules.save_fee_item(session, actor, item).raise_if_rejected()
    return outcome.record_id
