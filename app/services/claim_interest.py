"""Claim interest (AMT*I) on the provider account.

A payer that pays a claim late adds interest to the claim payment: CLP04 includes it and
AMT*I gives the amount. The interest is income of the practice, not a payment of the
claim's lines, so it is stored as a provider adjustment linked to the claim. Its reason
code is L6, the 835 PLB code for interest, so it is stored the same way as interest a
payer sends in a PLB segment. The claim's lines get CLP04 minus the interest. An AMT*I
that CLP04 leaves out is information only (`balance_835.interest_in_payment` returns
zero for it), and nothing is stored for it.
"""

import uuid

from sqlalchemy.orm import Session

from app.models.payments import ProviderAdjustment, Remittance
from app.money import ZERO
from app.security.permissions import Actor
from app.services.practice import get_practice
from app.x12.reader_835 import ClaimPayment, interest_in_payment

# PLB03-1 code of interest paid to the provider.
INTEREST_CODE = "L6"
# Widths of the ProviderAdjustment text columns.
_IDENTIFIER_WIDTH = 50
_REFERENCE_WIDTH = 50


def payee_identifier(session: Session) -> str:
    """Return the practice's billing NPI, which the payer pays claim interest to.

    AMT*I has no provider identifier of its own, as PLB01 has, so the interest row names
    the billing provider the claims were sent as. Returns "" before the practice is set up.
    """
    practice = get_practice(session)
    return practice.billing_npi if practice is not None else ""


def interest_adjustment(
    actor: Actor,
    remittance: Remittance,
    claim_id: uuid.UUID,
    payment: ClaimPayment,
    payee: str,
) -> ProviderAdjustment | None:
    """Return the provider-account row of the interest the claim payment includes, or None.

    The amount has the PLB sign: interest paid is negative, because it adds to the
    payment. A reversal (CLP02 22) that takes the interest back carries a negative
    AMT*I, so its row is positive. `payee` is `payee_identifier`, read once per file.
    """
    interest = interest_in_payment(payment)
    if interest == ZERO:
        return None
    reference = (payment.payer_claim_number or "").strip() or payment.patient_control_number
    return ProviderAdjustment(
        remittance_id=remittance.id,
        provider_identifier=payee[:_IDENTIFIER_WIDTH],
        fiscal_period_date=remittance.payment_date,
        reason_code=INTEREST_CODE,
        reference=reference.strip()[:_REFERENCE_WIDTH],
        amount=-interest,
        claim_id=claim_id,
        updated_by=actor.user_id,
    )
