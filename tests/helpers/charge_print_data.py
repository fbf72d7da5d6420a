"""Procedure codes, a practice fee schedule and visit types for the printed billing forms.

Rows go straight to the models, as in chart_rows, so the superbill and walkout tests
need no code-set screens. The labels are made up: ClinicDesk ships no CPT descriptions.
"""

from datetime import date
from decimal import Decimal

from sqlalchemy.orm import Session

from app.models.charges import FeeSchedule, FeeScheduleItem, ProcedureCode
from app.models.scheduling import AppointmentType, AppointmentTypeCode
from app.services.procedure_codes import infer_kind

SAMPLE_CODES = (
    ("99213", "Office visit, established, level 3", "110.00"),
    ("99214", "Office visit, established, level 4", "165.00"),
    ("90715", "Tdap vaccine", "48.00"),
    ("36415", "Blood draw", "12.00"),
    ("J1100", "Dexamethasone injection", "9.50"),
    ("NS01", "Missed appointment fee", "25.00"),
)


def add_codes(
    session: Session, codes: tuple[tuple[str, str, str], ...] = SAMPLE_CODES
) -> FeeSchedule:
    """Add `codes` as (code, label, fee) with a practice fee schedule from 2020 on."""
    schedule = FeeSchedule(name="Standard", kind="practice", effective_from=date(2020, 1, 1))
    session.add(schedule)
    session.flush()
    for code, description, fee in codes:
        session.add(ProcedureCode(code=code, kind=infer_kind(code).value, description=description))
        session.add(
            FeeScheduleItem(fee_schedule_id=schedule.id, procedure_code=code, amount=Decimal(fee))
        )
    session.flush()
    return schedule


def many_codes(count: int) -> tuple[tuple[str, str, str], ...]:
    """Return `count` made-up surgery codes with long labels, to fill more than a page."""
    return tuple(
        (f"{10000 + index * 7:05d}", f"Minor procedure number {index} with a long label", "75.00")
        for index in range(count)
    )


def add_visit_type(session: Session, name: str, codes: tuple[str, ...]) -> AppointmentType:
    """Add a visit type that bills `codes` by default."""
    visit_type = AppointmentType(name=name, default_minutes=20)
    session.add(visit_type)
    session.flush()
    for position, code in enumerate(codes):
        session.add(
            AppointmentTypeCode(appointment_type_id=visit_type.id, code=code, position=position)
        )
    session.flush()
    return visit_type
