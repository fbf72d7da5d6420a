"""A payer's 277CA rejection as a claim finding, pointing at the field to fix.

The rejection shows with the scrub findings, errors first, so the biller sees why the
payer rejected the claim and Go to field opens the record that holds the bad value. The
next scrub replaces the findings, like any other: by then the biller has fixed the value.
"""

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.models.claims import Claim, ClaimFinding
from app.x12.ack_277ca import ClaimAck, StatusCode

RULE = "payer.rejected"
WHY = (
    "The payer's front end checked the claim and did not accept it into adjudication. A "
    "rejected claim never reached the payer's claim system: fix the value and send it again."
)

# Claim status codes (STC01-2) that name one value, with the field that contains it.
_FIELD_BY_STATUS = {
    "33": "coverage.member_id",  # subscriber and subscriber id not found
    "164": "coverage.member_id",  # entity's contract or member number
    "158": "patient.date_of_birth",  # entity's date of birth
    "145": "provider.taxonomy_code",  # entity's specialty or taxonomy code
    "254": "encounter.diagnoses",  # principal diagnosis code
    "255": "encounter.diagnoses",  # diagnosis code
}
# The entity (STC01-3) a status concerns, used when the status code names no field.
_FIELD_BY_ENTITY = {
    "IL": "coverage.member_id",  # subscriber
    "QC": "patient.name",  # patient
    "85": "practice.billing_npi",  # billing provider
    "82": "provider.npi",  # rendering provider
    "PR": "payer.payer_code",  # payer
    "77": "location.address",  # service facility
}
_DEFAULT_FIELD = "claim.rejection"


@dataclass(frozen=True, slots=True)
class _Target:
    field: str
    record_id: uuid.UUID | None


def _field_for(status: StatusCode) -> str | None:
    if status.code == "562":  # entity's NPI: whose depends on the entity
        return "provider.npi" if status.entity == "82" else "practice.billing_npi"
    return _FIELD_BY_STATUS.get(status.code) or _FIELD_BY_ENTITY.get(status.entity)


def _record_for(claim: Claim, field: str) -> uuid.UUID | None:
    records = {
        "coverage": claim.coverage_id,
        "patient": claim.patient_id,
        "provider": claim.rendering_provider_id,
        "payer": claim.payer_id,
        "location": claim.location_id,
        "encounter": claim.encounter_id,
        "claim": claim.id,
    }
    return records.get(field.split(".", 1)[0])


def _target(claim: Claim, ack: ClaimAck) -> _Target:
    statuses = list(ack.statuses) + [status for _line, line in ack.lines for status in line]
    for status in statuses:
        field = _field_for(status)
        if field is not None:
            return _Target(field, _record_for(claim, field))
    return _Target(_DEFAULT_FIELD, claim.id)


def add_rejection_finding(session: Session, claim: Claim, ack: ClaimAck, explanation: str) -> None:
    """Add the payer's rejection of `claim` as an error finding with the field to fix."""
    target = _target(claim, ack)
    session.add(
        ClaimFinding(
            claim_id=claim.id,
            rule=RULE,
            severity="error",
            message=f"The payer rejected the claim: {explanation}",
            why=WHY,
            field=target.field,
            record_id=target.record_id,
        )
    )
