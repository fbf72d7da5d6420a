"""ClaimFacts for the sample claims, with diagnosis checks from the bundled ICD-10-CM edition."""

import uuid
from datetime import date

from app.services.claim_scrub_rules import ClaimFacts, CodeCheck
from app.services.icd10 import display_code, load_bundled_edition
from app.x12.claim_data import ClaimDocument

# A day after every sample's date of service, inside the bundled edition's year.
TODAY = date(2026, 4, 1)

IDS = {
    name: uuid.uuid5(uuid.NAMESPACE_URL, f"clinicdesk-test/{name}")
    for name in (
        "claim",
        "practice",
        "encounter",
        "patient",
        "coverage",
        "payer",
        "provider",
        "location",
    )
}


def bundled_checks(document: ClaimDocument) -> dict[tuple[str, date], CodeCheck]:
    """Check each of the document's diagnoses on each date of service, as the scrub does."""
    index = load_bundled_edition()
    checks: dict[tuple[str, date], CodeCheck] = {}
    for line in document.lines:
        for code in document.diagnoses:
            row = index.get(code)
            if row is None:
                check = CodeCheck(False, False, f"{display_code(code)} is not a code.")
            elif not row.billable:
                check = CodeCheck(True, False, f"{display_code(code)} is not billable.")
            else:
                check = CodeCheck(True, True)
            checks[(code, line.service_date)] = check
    return checks


def facts_for(document: ClaimDocument, today: date = TODAY) -> ClaimFacts:
    """Return facts with fixed record ids, the bundled code checks and no drug codes."""
    return ClaimFacts(
        today=today,
        claim_id=IDS["claim"],
        practice_id=IDS["practice"],
        encounter_id=IDS["encounter"],
        patient_id=IDS["patient"],
        coverage_id=IDS["coverage"],
        payer_id=IDS["payer"],
        rendering_provider_id=IDS["provider"],
        location_id=IDS["location"],
        diagnosis_checks=bundled_checks(document),
    )
