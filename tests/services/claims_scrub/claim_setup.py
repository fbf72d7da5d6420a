"""Changes to the claim practice that the scrub and worklist tests share.

The claim practice's first patient has no address, no eligibility check and no
clearinghouse, so the scrub holds its claims. `make_clean` fixes all three through the
records a practice would edit. The other helpers change one thing each.
"""

import uuid
from datetime import date
from pathlib import Path

from sqlalchemy import select

from app.models.claims import Claim, ClaimFinding
from app.models.patients import Coverage, Patient
from app.models.practice import Payer
from app.services import clearinghouses
from app.services.claim_scrub import ScrubResult, scrub_claims
from app.services.clearinghouses import ClearinghouseForm
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice


def clearinghouse_form(outbox: Path, **changes: object) -> ClearinghouseForm:
    """Return complete settings of a clearinghouse that takes files from an outbox folder."""
    values: dict[str, object] = {
        "id": None,
        "name": "Example Clearinghouse",
        "submitter_id": "CLINICDESK01",
        "submitter_name": "Lakeside Family Medicine",
        "submitter_contact": "Billing Office",
        "submitter_phone": "8475550140",
        "receiver_id": "EXAMPLECH",
        "receiver_name": "Example Clearinghouse",
        "isa_sender_qualifier": "ZZ",
        "isa_sender_id": "CLINICDESK01",
        "isa_receiver_qualifier": "ZZ",
        "isa_receiver_id": "EXAMPLECH",
        "gs_sender_code": "CLINICDESK01",
        "gs_receiver_code": "EXAMPLECH",
        "usage_indicator": "T",
        "outbox_folder": str(outbox),
        "sftp_host": "",
        "sftp_port": 22,
        "sftp_username": "",
        "sftp_host_key": "",
        "upload_folder": "inbound",
        "download_folder": "outbound",
        "file_name_pattern": "{batch}.837",
    }
    values.update(changes)
    return ClearinghouseForm(**values)  # type: ignore[arg-type]


def add_clearinghouse(practice: ClaimPractice, outbox: Path) -> uuid.UUID:
    """Save a complete clearinghouse through the service and return its id."""
    outbox.mkdir(parents=True, exist_ok=True)
    with practice.database.transaction() as session:
        outcome = clearinghouses.save_clearinghouse(
            session, practice.biller, clearinghouse_form(outbox)
        )
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def set_patient_address(practice: ClaimPractice, patient_id: uuid.UUID | None = None) -> None:
    with practice.database.transaction() as session:
        patient = session.get(Patient, patient_id or practice.patient_id)
        assert patient is not None
        patient.address_line1 = "18 Elm Street"
        patient.city = "Evanston"
        patient.state = "IL"
        patient.zip_code = "60201"


def set_eligibility_checked(practice: ClaimPractice, checked_on: date | None = VISIT_DAY) -> None:
    with practice.database.transaction() as session:
        coverage = session.get(Coverage, practice.aetna_coverage_id)
        assert coverage is not None
        coverage.eligibility_checked_on = checked_on


def make_clean(practice: ClaimPractice, outbox: Path) -> None:
    """Give the first patient an address and an eligibility check, and add a clearinghouse."""
    set_patient_address(practice)
    set_eligibility_checked(practice)
    add_clearinghouse(practice, outbox)


def set_payer(practice: ClaimPractice, **values: object) -> Payer:
    """Change Aetna's columns and return the detached row."""
    with practice.database.transaction() as session:
        payer = session.get(Payer, practice.aetna_id)
        assert payer is not None
        for name, value in values.items():
            setattr(payer, name, value)
        return payer


def scrub(practice: ClaimPractice, claim_ids: list[uuid.UUID]) -> ScrubResult:
    with practice.database.transaction() as session:
        return scrub_claims(session, practice.biller, claim_ids)


def rules_of(result: ScrubResult, claim_id: uuid.UUID) -> list[str]:
    return [item.rule for item in result.findings[claim_id]]


def stored_findings(practice: ClaimPractice, claim_id: uuid.UUID) -> list[ClaimFinding]:
    """Return the claim's active findings as stored."""
    with practice.database.reading() as session:
        query = select(ClaimFinding).where(
            ClaimFinding.claim_id == claim_id, ClaimFinding.archived.is_(False)
        )
        return list(session.scalars(query))


def claim_status(practice: ClaimPractice, claim_id: uuid.UUID) -> str:
    with practice.database.reading() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        return claim.status
