"""The practice as printed at the top of the billing forms a patient takes home.

The billing NPI is printed because patients send receipts and superbills to their
insurer. The EIN is left off: it is a tax id, and these pages leave the office.
"""

from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.services.face_sheet import practice_header
from app.services.face_sheet_values import PracticeHeader
from app.services.practice import get_practice


@dataclass(frozen=True, slots=True)
class BillingHeader:
    """Practice name, address and phone, with the billing (type 2) NPI."""

    practice: PracticeHeader
    billing_npi: str


def billing_header(session: Session) -> BillingHeader:
    """Return the practice's header for billing forms (blank values before set-up)."""
    practice = get_practice(session)
    npi = practice.billing_npi if practice is not None else ""
    return BillingHeader(practice_header(session), npi)
