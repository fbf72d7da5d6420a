"""Balancing of 835 remittances: the amounts of each line, claim and payment must agree.

The 835 implementation guide (005010X221A1) sets three balancing rules, compared
here in whole cents:
- Line: SVC02 (charge) minus the line's CAS amounts equals SVC03 (paid).
- Claim: CLP03 (charge) minus the claim's and its lines' CAS amounts equals CLP04 (paid).
- Transaction: the sum of CLP04 minus the sum of the PLB amounts equals BPR02.

The claim interest (AMT*I) is paid inside CLP04, so a claim with interest balances when
CLP03 minus its adjustments plus the interest equals CLP04. Some payers send AMT*I as
information only and pay the interest with a PLB L6 instead. Their CLP04 leaves the
interest out, so a claim that balances without the interest passes too. For such a
claim `interest_in_payment` returns zero.
"""

from decimal import ROUND_HALF_UP, Decimal

from app.x12.data_835 import ClaimPayment, Remittance835

_CENT = Decimal("0.01")
_ZERO_CENTS = Decimal("0.00")
_ZERO = Decimal(0)


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def interest_in_payment(claim: ClaimPayment) -> Decimal:
    """Return the claim interest (AMT*I) that CLP04 includes, in cents; zero when none.

    CLP04 includes the interest when CLP03 minus the claim's and lines' adjustments
    falls short of CLP04 by exactly the interest. When the claim balances without it,
    the AMT*I is information only and the interest is not part of the claim payment.
    """
    if claim.interest is None or _cents(claim.interest) == _ZERO_CENTS:
        return _ZERO_CENTS
    applied = _cents(claim.charge) - _cents(_all_adjustments(claim))
    interest = _cents(claim.interest)
    return interest if applied + interest == _cents(claim.paid) else _ZERO_CENTS


def _all_adjustments(claim: ClaimPayment) -> Decimal:
    lines = sum((cas.amount for service in claim.services for cas in service.adjustments), _ZERO)
    return sum((cas.amount for cas in claim.adjustments), _ZERO) + lines


def claim_balance_problems(claim: ClaimPayment) -> list[str]:
    """Check the balancing rules of each line, then of the claim.

    Line: SVC02 minus the line's adjustments equals SVC03. Claim: CLP03 minus the claim
    and line adjustments equals CLP04, or equals CLP04 minus the claim interest (AMT*I)
    when CLP04 includes it. Amounts are compared in whole cents. Returns one message
    per problem, each naming CLP01 and the segment number.
    """
    problems = []
    where = f"Claim {claim.patient_control_number} (segment {claim.segment_number})"
    line_total = Decimal(0)
    for service in claim.services:
        adjusted = sum((cas.amount for cas in service.adjustments), Decimal(0))
        line_total += adjusted
        expected = _cents(service.charge) - _cents(adjusted)
        if expected != _cents(service.paid):
            problems.append(
                f"{where}, line {service.procedure_code} (segment {service.segment_number}): "
                f"charge {_cents(service.charge)} minus adjustments {_cents(adjusted)} is "
                f"{expected} but SVC03 says {_cents(service.paid)}."
            )

    adjusted = sum((cas.amount for cas in claim.adjustments), Decimal(0)) + line_total
    expected = _cents(claim.charge) - _cents(adjusted)
    interest = interest_in_payment(claim)
    if expected + interest == _cents(claim.paid):
        return problems
    with_interest = ""
    if claim.interest is not None and _cents(claim.interest) != _ZERO_CENTS:
        plus = expected + _cents(claim.interest)
        with_interest = f" ({plus} with the claim interest {_cents(claim.interest)})"
    problems.append(
        f"{where}: charge {_cents(claim.charge)} minus adjustments {_cents(adjusted)} is "
        f"{expected}{with_interest} but CLP04 says {_cents(claim.paid)}."
    )
    return problems


def balance_problems(remittance: Remittance835) -> list[str]:
    """Check every claim, then the transaction: the claims' payments minus the PLB
    amounts equal BPR02 (negated when BPR03 is D, a debit). Returns [] when balanced.
    """
    problems = []
    for claim in remittance.claims:
        problems.extend(claim_balance_problems(claim))

    # Sums start from 0.00, so an empty sum still prints as 0.00 in the message.
    paid = sum((_cents(claim.paid) for claim in remittance.claims), _ZERO_CENTS)
    withheld = sum((_cents(item.amount) for item in remittance.provider_adjustments), _ZERO_CENTS)
    payment = _cents(remittance.payment_amount)
    if remittance.credit_debit == "D":
        payment = -payment
    if paid - withheld != payment:
        problems.append(
            f"Transaction set {remittance.control_number} (segment "
            f"{remittance.segment_number}): claim payments {paid} minus provider adjustments "
            f"{withheld} is {paid - withheld} but BPR02 says {payment}."
        )
    return problems
