"""Estimates of an encounter's income: the payer's share and the patient's.

The estimate uses the primary payer's allowed-amount schedule in force on the date of
service and the coverage's office copay. It is a guide for the front desk and the
biller, not a promise, because deductibles and coinsurance are known only from the remittance.
"""

import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models.practice import Payer
from app.money import ZERO, to_money
from app.security.permissions import Actor, Permission, require
from app.services.encounter_checks import line_date, normalize_modifiers
from app.services.encounter_forms import EncounterForm
from app.services.encounter_records import primary_coverage_on
from app.services.fee_schedules import allowed_for

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class ChargeEstimate:
    """The expected split of an encounter's charges.

    `allowed_total` is None when a line has no allowed amount on the payer's schedule;
    `payer_share` and `patient_share` are then None too.
    """

    payer_name: str
    allowed_total: Decimal | None
    payer_share: Decimal | None
    patient_share: Decimal | None
    copay: Decimal


def _allowed_total(session: Session, payer_id: uuid.UUID, form: EncounterForm) -> Decimal | None:
    total = ZERO
    for line in form.lines:
        day = line_date(form, line)
        if day is None:
            return None
        unit = allowed_for(
            session, payer_id, line.procedure_code, normalize_modifiers(line.modifiers), day
        )
        if unit is None:
            return None
        total += to_money(unit * line.units)
    return total


def charge_estimate(session: Session, actor: Actor, form: EncounterForm) -> ChargeEstimate | None:
    """Estimate the payer's and the patient's shares, or None for a self-pay visit."""
    require(actor, Permission.PATIENT_VIEW)
    if form.patient_id is None or form.service_date is None:
        return None
    coverage = primary_coverage_on(session, form.patient_id, form.service_date)
    if coverage is None:
        return None

    payer = session.get(Payer, coverage.payer_id)
    copay = coverage.copay_office or ZERO
    allowed = _allowed_total(session, coverage.payer_id, form)
    payer_name = payer.name if payer is not None else "the payer"
    if allowed is None:
        return ChargeEstimate(payer_name, None, None, None, copay)
    # The patient pays the copay first, and the payer pays the rest of the allowed amount.
    patient = min(copay, allowed)
    return ChargeEstimate(payer_name, allowed, allowed - patient, patient, copay)
