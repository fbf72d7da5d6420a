"""Queries behind the sections of the face sheet, each returning display values."""

import uuid
from datetime import UTC, date, datetime, time, tzinfo
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.clock import practice_zone
from app.contact import display_phone
from app.models.ledger import LedgerEntry
from app.models.onboarding import PriorAuthorization, Referral
from app.models.patients import (
    Coverage,
    OutsideProvider,
    Patient,
    PatientAlert,
    PatientPhone,
    Person,
    VisitHistory,
)
from app.models.practice import Payer, Practice, Provider
from app.models.scheduling import Appointment
from app.services.face_sheet_values import (
    AlertLine,
    Balance,
    CoverageLine,
    PhoneLine,
    VisitLine,
)
from app.services.patient_forms import COB_ORDER, PLAN_TYPES, RELATIONSHIP_CODES
from app.services.patient_records import display_name

VISIT_COUNT = 5
ALERT_ORDER = {"critical": 0, "warning": 1, "info": 2}
# Appointments that did not happen; the upcoming list leaves them out.
NOT_HAPPENING = ("cancelled", "no_show", "rescheduled")


def address_lines(patient: Patient) -> tuple[str, ...]:
    """Return the mailing address as printed lines, leaving out blank parts."""
    city_line = " ".join(
        part
        for part in (f"{patient.city}," if patient.city else "", patient.state, patient.zip_code)
        if part
    )
    lines = (patient.address_line1, patient.address_line2, city_line)
    return tuple(line for line in lines if line)


def phones(session: Session, patient: Patient) -> tuple[PhoneLine, ...]:
    """Return the patient's phones in calling order (the stored main phone when none are listed)."""
    rows = session.scalars(
        select(PatientPhone)
        .where(PatientPhone.patient_id == patient.id, PatientPhone.archived.is_(False))
        .order_by(PatientPhone.position)
    ).all()
    if not rows and patient.phone:
        return (PhoneLine("Phone", display_phone(patient.phone)),)
    lines = []
    for row in rows:
        number = display_phone(row.number)
        if row.extension:
            number += f" ext. {row.extension}"
        lines.append(PhoneLine(row.kind.capitalize(), number))
    return tuple(lines)


def provider_name(session: Session, provider_id: uuid.UUID | None) -> str:
    """Return the practice provider's display name, or "" when none is set."""
    provider = session.get(Provider, provider_id) if provider_id else None
    return provider.display_name if provider is not None else ""


def outside_provider_name(session: Session, provider_id: uuid.UUID | None) -> str:
    """Return an outside provider's name with credentials, or "" when none is set."""
    provider = session.get(OutsideProvider, provider_id) if provider_id else None
    if provider is None:
        return ""
    name = " ".join(part for part in (provider.first_name, provider.last_name) if part)
    return f"{name}, {provider.credentials}" if provider.credentials else name


def _person_name(person: Person) -> str:
    return f"{person.last_name}, {person.first_name}"


def guarantor(session: Session, patient: Patient) -> str:
    """Return who is responsible for the bills: "Self", another patient or a person."""
    if patient.guarantor_patient_id is not None:
        other = session.get(Patient, patient.guarantor_patient_id)
        if other is not None:
            return f"{display_name(other)} (chart {other.chart_number})"
    if patient.guarantor_person_id is not None:
        person = session.get(Person, patient.guarantor_person_id)
        if person is not None:
            phone = display_phone(person.phone)
            return _person_name(person) + (f", {phone}" if phone else "")
    return "Self"


def _subscriber(session: Session, coverage: Coverage, patient: Patient) -> str:
    if coverage.subscriber_patient_id is not None:
        other = session.get(Patient, coverage.subscriber_patient_id)
        if other is not None:
            return display_name(other)
    if coverage.subscriber_person_id is not None:
        person = session.get(Person, coverage.subscriber_person_id)
        if person is not None:
            return _person_name(person)
    return display_name(patient)


def _money(amount: Decimal | None) -> str:
    return "" if amount is None else f"${amount:,.2f}"


def _copays(coverage: Coverage) -> str:
    named = (
        ("office", coverage.copay_office),
        ("specialist", coverage.copay_specialist),
        ("urgent care", coverage.copay_urgent_care),
        ("emergency", coverage.copay_emergency),
    )
    return ", ".join(f"{label} {_money(amount)}" for label, amount in named if amount is not None)


def _effective(coverage: Coverage) -> str:
    start = f"{coverage.effective_date:%m/%d/%Y}" if coverage.effective_date else "open"
    end = f"{coverage.termination_date:%m/%d/%Y}" if coverage.termination_date else "open"
    return "" if start == end == "open" else f"{start} to {end}"


def coverages(session: Session, patient: Patient) -> tuple[CoverageLine, ...]:
    """Return the patient's active coverages in coordination-of-benefits order."""
    rows = session.execute(
        select(Coverage, Payer.name)
        .join(Payer, Payer.id == Coverage.payer_id)
        .where(Coverage.patient_id == patient.id, Coverage.archived.is_(False))
        .order_by(Coverage.priority, Coverage.effective_date)
    ).all()
    lines = []
    for coverage, payer_name in rows:
        plan_type = PLAN_TYPES.get(coverage.plan_type or "", coverage.plan_type or "")
        plan = " — ".join(part for part in (coverage.plan_name, plan_type) if part)
        lines.append(
            CoverageLine(
                order=COB_ORDER.get(coverage.priority, str(coverage.priority)),
                payer=payer_name,
                plan=plan,
                member_id=coverage.member_id,
                group_number=coverage.group_number or "",
                subscriber=_subscriber(session, coverage, patient),
                relationship=RELATIONSHIP_CODES.get(
                    coverage.relationship_code, coverage.relationship_code
                ),
                effective=_effective(coverage),
                copays=_copays(coverage),
            )
        )
    return tuple(lines)


def balance(session: Session, patient_id: uuid.UUID) -> Balance:
    """Return the ledger balance, split into the patient's part and the insurers' part."""
    rows = session.execute(
        select(LedgerEntry.responsible_party, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.patient_id == patient_id)
        .group_by(LedgerEntry.responsible_party)
    ).all()
    patient_part = insurance_part = Decimal("0.00")
    for party, amount in rows:
        value = Decimal(amount or 0)
        if party == "patient":
            patient_part += value
        else:
            insurance_part += value
    return Balance(patient_part, insurance_part)


def visits(
    session: Session, patient_id: uuid.UUID, today: date
) -> tuple[tuple[VisitLine, ...], tuple[VisitLine, ...]]:
    """Return the next VISIT_COUNT appointments from `today` and the last VISIT_COUNT visits.

    Past visits merge the practice's appointments before `today` with imported visit
    history, newest first. Imported start instants are converted to the practice's
    wall-clock time so both kinds sort together.
    """
    midnight = datetime.combine(today, time.min)
    upcoming_rows = session.execute(
        select(Appointment, Provider)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.archived.is_(False),
            Appointment.starts_at >= midnight,
            Appointment.status.not_in(NOT_HAPPENING),
        )
        .order_by(Appointment.starts_at)
        .limit(VISIT_COUNT)
    ).all()
    upcoming = tuple(_appointment_line(row, provider) for row, provider in upcoming_rows)
    return upcoming, _past(session, patient_id, midnight)


def _appointment_line(appointment: Appointment, provider: Provider) -> VisitLine:
    return VisitLine(
        when=appointment.starts_at,
        description=appointment.appointment_type,
        provider=provider.display_name,
        status=appointment.status.replace("_", " ").capitalize(),
    )


def _past(session: Session, patient_id: uuid.UUID, before: datetime) -> tuple[VisitLine, ...]:
    appointment_rows = session.execute(
        select(Appointment, Provider)
        .join(Provider, Provider.id == Appointment.provider_id)
        .where(
            Appointment.patient_id == patient_id,
            Appointment.archived.is_(False),
            Appointment.starts_at < before,
        )
        .order_by(Appointment.starts_at.desc())
        .limit(VISIT_COUNT)
    ).all()
    lines = [_appointment_line(row, provider) for row, provider in appointment_rows]
    zone = _practice_zone(session)
    history = session.scalars(
        select(VisitHistory)
        .where(VisitHistory.patient_id == patient_id, VisitHistory.archived.is_(False))
        .order_by(VisitHistory.started_at.desc())
        .limit(VISIT_COUNT)
    )
    for visit in history:
        started = visit.started_at.astimezone(zone).replace(tzinfo=None)
        if started < before:
            description = visit.visit_type or "Visit"
            lines.append(
                VisitLine(started, f"{description} (imported)", visit.provider_name or "", "")
            )
    lines.sort(key=lambda line: line.when, reverse=True)
    return tuple(lines[:VISIT_COUNT])


def _practice_zone(session: Session) -> tzinfo:
    zone_name = session.scalar(select(Practice.time_zone).where(Practice.archived.is_(False)))
    try:
        return practice_zone(zone_name) if zone_name else UTC
    except ValueError:
        return UTC


def alerts(session: Session, patient_id: uuid.UUID) -> tuple[AlertLine, ...]:
    """Return the patient's alerts, critical ones first."""
    rows = session.scalars(
        select(PatientAlert).where(
            PatientAlert.patient_id == patient_id, PatientAlert.archived.is_(False)
        )
    ).all()
    ordered = sorted(rows, key=lambda row: (ALERT_ORDER.get(row.severity, 3), row.created_at))
    return tuple(AlertLine(row.severity, row.message) for row in ordered)


def referral_count(session: Session, patient_id: uuid.UUID, today: date) -> int:
    """Return how many referrals are on file and not expired on `today`."""
    statement = (
        select(func.count())
        .select_from(Referral)
        .where(
            Referral.patient_id == patient_id,
            Referral.archived.is_(False),
            or_(Referral.expires_on.is_(None), Referral.expires_on >= today),
        )
    )
    return session.scalar(statement) or 0


def authorization_count(session: Session, patient_id: uuid.UUID, today: date) -> int:
    """Return how many prior authorizations are in effect on `today`."""
    statement = (
        select(func.count())
        .select_from(PriorAuthorization)
        .where(
            PriorAuthorization.patient_id == patient_id,
            PriorAuthorization.archived.is_(False),
            PriorAuthorization.starts_on <= today,
            PriorAuthorization.ends_on >= today,
        )
    )
    return session.scalar(statement) or 0
