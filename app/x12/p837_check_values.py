"""Checks of the names, ids, dates, amounts and line values in an 837P claim.

Cleaning empties a value of only delimiters or emoji, the TR3 limits amounts, pointers
and units, and pyx12 rejects dates before 1800. A value outside these limits raises
X12WriteError here instead of making pyx12 or the payer reject the file. Messages name
the claim, the field and where to correct it, but never the patient's values, because
callers log them.
"""

import re
from datetime import date
from decimal import Decimal

from app.x12.claim_data import Address, ClaimDocument, PayerInfo, Person
from app.x12.envelope import X12WriteError
from app.x12.p837_claim import REPLACEMENT_FREQUENCIES
from app.x12.text import clean_element, digits_only


def check_required_text(document: ClaimDocument) -> None:
    """Raise X12WriteError when a value that the 837P requires is empty once cleaned.

    Cleaning drops delimiters and characters outside the X12 set, so a name of only emoji
    or an id of only "*" becomes empty, and the TR3 requires these elements.
    """
    claim = document.claim_number
    provider = document.billing_provider
    _require(claim, "billing provider name", provider.name, "the practice settings")
    _require(claim, "billing provider NPI", digits_only(provider.npi), "the practice settings")
    _require(claim, "billing provider EIN", digits_only(provider.ein), "the practice settings")
    _require_address(claim, "billing provider", provider.address, "the practice settings")

    _require_person(claim, "subscriber", document.subscriber)
    _require(claim, "member id", document.member_id, "the coverage")
    _require_payer(claim, "payer", document.payer)
    if not document.patient_is_subscriber:
        _require_person(claim, "patient", document.patient)

    # The TR3 requires REF*F8 with frequency 7 (replacement) and 8 (void), because it
    # names the claim to replace. Payers reject such a claim without it.
    if document.frequency_code in REPLACEMENT_FREQUENCIES:
        _require(
            claim,
            f"payer claim number (needed for frequency {document.frequency_code})",
            document.payer_claim_number or "",
            "the claim (copy it from the payer's remittance)",
        )

    for index, code in enumerate(document.diagnoses, start=1):
        _require(claim, f"diagnosis {index}", code.replace(".", ""), "the visit's diagnoses")
    for line in document.lines:
        _require(
            claim, f"line {line.line_number} procedure code", line.procedure_code, "the charge"
        )

    _require_providers(document)
    for other in document.other_payers:
        _require_person(claim, "other payer's subscriber", other.subscriber)
        _require(claim, "other payer's member id", other.member_id, "the coverage")
        _require_payer(claim, "other payer", other.payer)


def _require_providers(document: ClaimDocument) -> None:
    # The 2310 loops are written only in some cases, but checking their names always is
    # harmless: a provider or location without a name is a data error either way.
    claim = document.claim_number
    rendering = document.rendering_provider
    _require(claim, "rendering provider last name", rendering.last_name, "the provider record")
    _require(claim, "rendering provider NPI", digits_only(rendering.npi), "the provider record")

    referring = document.referring_provider
    if referring is not None:
        _require(claim, "referring provider last name", referring.last_name, "the visit")
        _require(claim, "referring provider NPI", digits_only(referring.npi), "the visit")

    facility = document.service_facility
    _require(claim, "service location name", facility.name, "the location settings")
    _require_address(claim, "service location", facility.address, "the location settings")


def _require_person(claim: str, role: str, person: Person) -> None:
    record = f"the {role}'s record"
    _require(claim, f"{role} last name", person.last_name, record)
    if person.address is not None:
        _require_address(claim, role, person.address, record)


def _require_payer(claim: str, role: str, payer: PayerInfo) -> None:
    _require(claim, f"{role} name", payer.name, "the payer settings")
    _require(claim, f"{role} id", payer.payer_code, "the payer settings")
    if payer.address is not None:
        _require_address(claim, role, payer.address, "the payer settings")


def _require_address(claim: str, role: str, address: Address, record: str) -> None:
    _require(claim, f"{role} street address", address.line1, record)
    _require(claim, f"{role} city", address.city, record)


# A letter or digit always survives cleaning, so a value holding one needs no cleaning
# to pass; this check runs a hundred times per claim.
_KEPT = re.compile(r"[A-Za-z0-9]")


def _require(claim: str, name: str, value: str, record: str) -> None:
    if _KEPT.search(value) or clean_element(value, 80):
        return

    if not value.strip():
        problem = "is missing"
    else:
        problem = (
            "contains no character that X12 allows (delimiters such as * ~ : ^ "
            "and emoji are removed)"
        )
    raise X12WriteError(
        f"Claim {claim}: the {name} {problem}. Correct it in {record} and create the batch again."
    )


# pyx12 4.0 (validation.is_valid_date) rejects every date before 1800, and such a date
# is a typing error in a practice's records anyway.
EARLIEST_DATE = date(1800, 1, 1)


def check_dates(document: ClaimDocument) -> None:
    """Raise X12WriteError for a date before 1800, naming the claim, the date and its record."""
    claim = document.claim_number
    _check_date(claim, "onset date", document.onset_date, "the visit")
    _check_date(
        claim,
        "subscriber's birth date",
        document.subscriber.date_of_birth,
        "the subscriber's record",
    )
    _check_date(
        claim, "patient's birth date", document.patient.date_of_birth, "the patient's record"
    )

    for other in document.other_payers:
        _check_date(
            claim, "other subscriber's birth date", other.subscriber.date_of_birth, "the coverage"
        )
        _check_date(claim, "other payer's adjudication date", other.adjudicated_on, "the EOB")

    for line in document.lines:
        _check_date(claim, f"line {line.line_number} service date", line.service_date, "the charge")
        for adjudication in line.adjudications:
            _check_date(
                claim,
                f"line {line.line_number} adjudication date",
                adjudication.adjudicated_on,
                "the EOB",
            )


def _check_date(claim: str, name: str, day: date | None, record: str) -> None:
    if day is not None and day < EARLIEST_DATE:
        raise X12WriteError(
            f"Claim {claim}: the {name} is before 1800, which claim "
            f"validators reject. Correct it in {record} and create the batch again."
        )


MAX_POINTERS = 4  # SV107 has four diagnosis pointer components
MAX_MODIFIERS = 4  # SV101-03 to SV101-06
MAX_UNIT_DIGITS = 15  # SV104 is at most 15 characters


def check_service_lines(document: ClaimDocument) -> None:
    """Raise X12WriteError for a line whose pointers, modifiers or units SV1 cannot carry.

    The builders would otherwise drop pointers and modifiers past the fourth without a
    word, or write an SV1 that pyx12 rejects (no pointer, or too many unit digits).
    """
    claim = document.claim_number
    diagnosis_count = len(document.diagnoses)
    if diagnosis_count == 0:
        return  # A claim without diagnoses is a programming error that diagnoses() raises.

    for line in document.lines:
        where = f"Claim {claim}, line {line.line_number}"
        if not 1 <= len(line.pointers) <= MAX_POINTERS:
            _line_error(where, f"has {len(line.pointers)} diagnosis pointers instead of 1 to 4")
        for pointer in line.pointers:
            if not 1 <= pointer <= diagnosis_count:
                _line_error(
                    where,
                    f"points to diagnosis {pointer}, but the claim has {diagnosis_count}",
                )
        if len(line.modifiers) > MAX_MODIFIERS:
            _line_error(where, f"has {len(line.modifiers)} modifiers, but a claim line carries 4")
        if not 0 < line.units < 10**MAX_UNIT_DIGITS:
            _line_error(
                where, f"has {line.units} units instead of a positive number of at most 15 digits"
            )


def _line_error(where: str, problem: str) -> None:
    raise X12WriteError(f"{where} {problem}. Correct the charge line and create the batch again.")


# HIPAA limits a monetary amount (data element 782) to 10 digits including the cents,
# so 99999999.99 is the largest (005010 TR3 appendix B.1.1.3.1.2, "Decimal").
MAX_AMOUNT = Decimal("99999999.99")
CENT = Decimal("0.01")


def check_amounts(document: ClaimDocument) -> None:
    """Raise X12WriteError for an amount with more than 2 decimals or over 99,999,999.99.

    format_amount writes every digit it is given, so "125.555" would reach the payer, who
    then rounds it its own way.
    """
    claim = document.claim_number
    _check_amount(claim, "total charge", document.total_charge)
    if document.patient_paid is not None:
        _check_amount(claim, "patient paid amount", document.patient_paid)

    for other in document.other_payers:
        for name, amount in (
            ("other payer's paid amount", other.paid_amount),
            ("other payer's remaining patient liability", other.remaining_patient_liability),
        ):
            if amount is not None:
                _check_amount(claim, name, amount)
        for adjustment in other.claim_adjustments:
            _check_amount(claim, "other payer's adjustment", adjustment.amount)

    for line in document.lines:
        where = f"line {line.line_number} "
        _check_amount(claim, where + "charge", line.charge_amount)
        for adjudication in line.adjudications:
            _check_amount(claim, where + "paid amount", adjudication.paid_amount)
            for adjustment in adjudication.adjustments:
                _check_amount(claim, where + "adjustment", adjustment.amount)


def _check_amount(claim: str, name: str, amount: Decimal) -> None:
    if amount.is_finite() and abs(amount) <= MAX_AMOUNT and amount == amount.quantize(CENT):
        return
    raise X12WriteError(
        f"Claim {claim}: the {name} is invalid, because an 837P amount has at most "
        "2 decimals and at most 99,999,999.99. Correct the amount on the charge or payment and "
        "create the batch again."
    )
