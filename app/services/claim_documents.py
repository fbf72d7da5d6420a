"""Claim rows turned into `ClaimDocument` values for the 837P writer and the CMS-1500.

Codes and amounts come from the claim rows, so a document shows what the claim bills.
People, providers, the payer and the practice come from the current records, so a fixed
address or NPI reaches the next file without rebuilding the claim.

Everything is loaded in a fixed number of bulk queries (each IN list in chunks of 500
ids), so thousands of claims cost about ten queries, not ten per claim.
"""

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.clock import practice_zone
from app.errors import NotFoundError
from app.gc_pause import bulk_work
from app.models.charges import Encounter
from app.models.claims import Claim, ClaimDiagnosis, ClaimLine, Clearinghouse
from app.models.onboarding import PriorAuthorization
from app.models.patients import Coverage, OutsideProvider, Patient
from app.models.patients import Person as PersonRow
from app.models.practice import Location, Payer, Practice, Provider
from app.services.claim_build_rows import chunks
from app.services.claim_document_cob import OtherPayerSource, load_other_payers
from app.services.claim_document_values import (
    address,
    digits,
    payer_info,
    person_from_patient,
    x12_relationship,
)
from app.x12.claim_data import (
    BillingProvider,
    ClaimDocument,
    LineAdjudication,
    OtherPayer,
    Person,
    ReferringProvider,
    RenderingProvider,
    ServiceFacility,
    ServiceLine,
    Submitter,
)

SELF = "18"


@dataclass(frozen=True, slots=True)
class ClaimRows:
    """One claim with the rows its header draws on, from the main bulk query."""

    claim: Claim
    encounter: Encounter
    coverage: Coverage
    payer: Payer
    provider: Provider
    location: Location
    referring: OutsideProvider | None
    authorization: PriorAuthorization | None


@dataclass(frozen=True, slots=True)
class People:
    """Patients and non-patient subscribers by id."""

    patients: dict[uuid.UUID, Patient]
    persons: dict[uuid.UUID, PersonRow]


@bulk_work
def claim_documents(
    session: Session, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ClaimDocument]:
    """Return a document for each claim id found, keyed by claim id.

    Missing ids are left out. The caller checks permissions and audits any view,
    print or export of the documents.
    """
    rows = _load_claims(session, list(dict.fromkeys(claim_ids)))
    if not rows:
        return {}

    ids = [row.claim.id for row in rows]
    diagnoses = _load_diagnoses(session, ids)
    secondary = [row.claim for row in rows if row.claim.payer_sequence != "P"]
    others = load_other_payers(session, secondary)
    lines = _load_lines(session, ids)
    people = _load_people(session, [row.coverage for row in rows], others)
    practice = session.scalars(select(Practice).where(Practice.archived.is_(False))).first()
    if practice is None:
        raise NotFoundError("The practice is not set up; finish Practice set-up in Admin.")
    billing = _billing_provider(practice)
    signed_zone = practice_zone(practice.time_zone)

    documents: dict[uuid.UUID, ClaimDocument] = {}
    for row in rows:
        claim = row.claim
        signature_date = claim.created_at.astimezone(signed_zone).date()
        documents[claim.id] = _document(
            row,
            billing=billing,
            diagnoses=diagnoses.get(claim.id, []),
            lines=lines.get(claim.id, []),
            people=people,
            others=others.get(claim.id, []),
            signature_date=signature_date,
        )
    return documents


def submitter_for(session: Session, clearinghouse_id: uuid.UUID) -> Submitter:
    """Return the submitter and envelope ids of a clearinghouse; NotFoundError when missing."""
    clearinghouse = session.get(Clearinghouse, clearinghouse_id)
    if clearinghouse is None or clearinghouse.archived:
        raise NotFoundError(
            f"Clearinghouse {clearinghouse_id} was not found or is archived; choose another "
            "one for the payer in Admin, Payers."
        )
    return Submitter(
        submitter_id=clearinghouse.submitter_id,
        submitter_name=clearinghouse.submitter_name,
        contact_name=clearinghouse.submitter_contact,
        contact_phone=digits(clearinghouse.submitter_phone),
        receiver_id=clearinghouse.receiver_id,
        receiver_name=clearinghouse.receiver_name,
        isa_sender_qualifier=clearinghouse.isa_sender_qualifier,
        isa_sender_id=clearinghouse.isa_sender_id,
        isa_receiver_qualifier=clearinghouse.isa_receiver_qualifier,
        isa_receiver_id=clearinghouse.isa_receiver_id,
        gs_sender_code=clearinghouse.gs_sender_code,
        gs_receiver_code=clearinghouse.gs_receiver_code,
        usage_indicator=clearinghouse.usage_indicator,
    )


def _load_claims(session: Session, claim_ids: list[uuid.UUID]) -> list[ClaimRows]:
    query = (
        select(
            Claim,
            Encounter,
            Coverage,
            Payer,
            Provider,
            Location,
            OutsideProvider,
            PriorAuthorization,
        )
        .join(Encounter, Encounter.id == Claim.encounter_id)
        .join(Coverage, Coverage.id == Claim.coverage_id)
        .join(Payer, Payer.id == Claim.payer_id)
        .join(Provider, Provider.id == Claim.rendering_provider_id)
        .join(Location, Location.id == Claim.location_id)
        .outerjoin(OutsideProvider, OutsideProvider.id == Encounter.referring_provider_id)
        .outerjoin(PriorAuthorization, PriorAuthorization.id == Encounter.prior_authorization_id)
    )
    rows: list[ClaimRows] = []
    for part in chunks(claim_ids):
        for found in session.execute(query.where(Claim.id.in_(part))):
            rows.append(ClaimRows(*found))
    order = {claim_id: index for index, claim_id in enumerate(claim_ids)}
    rows.sort(key=lambda row: order[row.claim.id])
    return rows


def _load_diagnoses(session: Session, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    diagnoses: dict[uuid.UUID, list[str]] = defaultdict(list)
    for part in chunks(claim_ids):
        query = (
            select(ClaimDiagnosis.claim_id, ClaimDiagnosis.code)
            .where(ClaimDiagnosis.claim_id.in_(part), ClaimDiagnosis.archived.is_(False))
            .order_by(ClaimDiagnosis.position)
        )
        for claim_id, code in session.execute(query):
            diagnoses[claim_id].append(code)
    return diagnoses


def _load_lines(session: Session, claim_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[ClaimLine]]:
    lines: dict[uuid.UUID, list[ClaimLine]] = defaultdict(list)
    for part in chunks(claim_ids):
        query = (
            select(ClaimLine)
            .where(ClaimLine.claim_id.in_(part), ClaimLine.archived.is_(False))
            .order_by(ClaimLine.line_number)
        )
        for line in session.scalars(query):
            lines[line.claim_id].append(line)
    return lines


def _load_people(
    session: Session,
    coverages: list[Coverage],
    others: dict[uuid.UUID, list[OtherPayerSource]],
) -> People:
    every_coverage = coverages + [
        source.coverage for sources in others.values() for source in sources
    ]
    patient_ids = {coverage.patient_id for coverage in every_coverage}
    patient_ids |= {
        coverage.subscriber_patient_id
        for coverage in every_coverage
        if coverage.subscriber_patient_id is not None
    }
    person_ids = [
        coverage.subscriber_person_id
        for coverage in every_coverage
        if coverage.subscriber_person_id is not None
    ]
    patients: dict[uuid.UUID, Patient] = {}
    for part in chunks(list(patient_ids)):
        patients.update(
            (row.id, row) for row in session.scalars(select(Patient).where(Patient.id.in_(part)))
        )
    persons: dict[uuid.UUID, PersonRow] = {}
    for part in chunks(list(set(person_ids))):
        persons.update(
            (row.id, row)
            for row in session.scalars(select(PersonRow).where(PersonRow.id.in_(part)))
        )
    return People(patients, persons)


def _billing_provider(practice: Practice) -> BillingProvider:
    practice_address = address(
        practice.address_line1,
        practice.address_line2,
        practice.city,
        practice.state,
        practice.zip_code,
    )
    return BillingProvider(
        name=practice.legal_name,
        npi=practice.billing_npi,
        ein=digits(practice.ein),
        taxonomy_code=practice.taxonomy_code or None,
        address=practice_address,
        phone=digits(practice.phone) or None,
    )


def _subscriber(coverage: Coverage, people: People) -> Person:
    """Return the policy holder: the patient, another patient or a non-patient person.

    When the relationship is not Self but no subscriber is recorded, the patient's own
    data is returned, and the scrubber reports the missing subscriber.
    """
    patient = people.patients[coverage.patient_id]
    if coverage.relationship_code == SELF:
        return person_from_patient(patient)
    if coverage.subscriber_patient_id is not None:
        holder = people.patients.get(coverage.subscriber_patient_id)
        if holder is not None:
            return person_from_patient(holder)
    if coverage.subscriber_person_id is not None:
        person = people.persons.get(coverage.subscriber_person_id)
        if person is not None:
            return person_from_patient(person)
    return person_from_patient(patient)


def _referring(row: ClaimRows) -> ReferringProvider | None:
    referring = row.referring
    if referring is None:
        return None
    # A referring provider without an NPI is passed on with an empty one, so the scrubber
    # can name the provider whose NPI is missing.
    return ReferringProvider(
        last_name=referring.last_name,
        first_name=referring.first_name or "",
        npi=referring.npi or "",
    )


def _service_line(line: ClaimLine, adjudications: tuple[LineAdjudication, ...]) -> ServiceLine:
    modifiers = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    pointers = (line.pointer1, line.pointer2, line.pointer3, line.pointer4)
    return ServiceLine(
        line_number=line.line_number,
        line_control_number=line.line_control_number,
        service_date=line.service_date,
        procedure_code=line.procedure_code,
        modifiers=tuple(modifier for modifier in modifiers if modifier),
        charge_amount=line.charge_amount,
        units=line.units,
        place_of_service=line.place_of_service,
        pointers=tuple(pointer for pointer in pointers if pointer is not None),
        ndc_code=line.ndc_code,
        ndc_quantity=line.ndc_quantity,
        ndc_unit=line.ndc_unit,
        adjudications=adjudications,
    )


def _other_payer(source: OtherPayerSource, people: People) -> OtherPayer:
    coverage = source.coverage
    adjudication = source.adjudication
    return OtherPayer(
        payer_sequence=source.payer_sequence,
        relationship_code=x12_relationship(coverage.relationship_code),
        group_number=coverage.group_number,
        claim_filing_indicator=coverage.plan_type or source.payer.claim_filing_indicator,
        subscriber=_subscriber(coverage, people),
        member_id=coverage.member_id,
        payer=payer_info(source.payer),
        paid_amount=adjudication.paid_amount if adjudication else None,
        remaining_patient_liability=adjudication.patient_responsibility if adjudication else None,
        adjudicated_on=adjudication.adjudicated_on if adjudication else None,
        payer_claim_number=adjudication.payer_claim_number if adjudication else None,
        claim_adjustments=source.claim_adjustments,
    )


def _document(
    row: ClaimRows,
    *,
    billing: BillingProvider,
    diagnoses: list[str],
    lines: list[ClaimLine],
    people: People,
    others: list[OtherPayerSource],
    signature_date: date,
) -> ClaimDocument:
    claim, encounter, coverage, payer = row.claim, row.encounter, row.coverage, row.payer
    patient = people.patients[claim.patient_id]
    is_self = coverage.relationship_code == SELF
    service_lines = tuple(
        _service_line(
            line,
            tuple(
                adjudication
                for source in others
                for adjudication in source.line_adjudications.get(line.charge_line_id, ())
            ),
        )
        for line in lines
    )
    location = row.location
    facility_address = address(
        location.address_line1,
        location.address_line2,
        location.city,
        location.state,
        location.zip_code,
    )
    provider = row.provider
    return ClaimDocument(
        claim_number=claim.claim_number,
        total_charge=claim.total_charge,
        place_of_service=claim.place_of_service,
        frequency_code=claim.frequency_code,
        payer_claim_number=claim.payer_claim_number if claim.frequency_code != "1" else None,
        billing_provider=billing,
        payer_sequence=claim.payer_sequence,
        relationship_code=SELF if is_self else x12_relationship(coverage.relationship_code),
        group_number=coverage.group_number,
        group_name=coverage.group_name,
        claim_filing_indicator=coverage.plan_type or payer.claim_filing_indicator,
        subscriber=_subscriber(coverage, people),
        member_id=coverage.member_id,
        payer=payer_info(payer),
        patient=person_from_patient(patient),
        patient_account_number=patient.chart_number,
        diagnoses=tuple(diagnoses),
        lines=service_lines,
        rendering_provider=RenderingProvider(
            last_name=provider.last_name,
            first_name=provider.first_name,
            npi=provider.npi,
            taxonomy_code=provider.taxonomy_code or None,
        ),
        service_facility=ServiceFacility(name=location.name, address=facility_address),
        referring_provider=_referring(row),
        prior_authorization=(
            row.authorization.authorization_number if row.authorization is not None else None
        ),
        onset_date=encounter.onset_date,
        related_employment=encounter.related_employment,
        related_auto_accident=encounter.related_auto_accident,
        auto_accident_state=encounter.auto_accident_state,
        related_other_accident=encounter.related_other_accident,
        other_payers=tuple(_other_payer(source, people) for source in others),
        signature_date=signature_date,
    )
