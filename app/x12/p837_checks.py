"""Checks of claim values before the 837P builders write them.

Some code values (place of service, frequency, relationship, payer sequence, sex, CAS
group) are written without cleaning, and cleaning others (modifiers) would change their
meaning. So each code must match its format here. Otherwise a delimiter in one of them
would split an element or end a segment early.

Messages name the claim, the field and where to correct it, but never the patient's
values, because callers log them and logs must not contain patient data.
"""

import re
from datetime import date
from decimal import Decimal

from app.validators import US_STATES
from app.x12.claim_data import Address, ClaimDocument, PayerInfo, Person, Submitter
from app.x12.envelope import X12WriteError
from app.x12.p837_claim import CLAIM_NUMBER_LENGTH, REPLACEMENT_FREQUENCIES
from app.x12.text import clean_element, digits_only

_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
_FREQUENCY = re.compile(r"[0-9]")
_RELATIONSHIP = re.compile(r"[0-9]{2}")
_PAYER_SEQUENCE = re.compile(r"[A-HPSTU]")  # SBR01 codes of 005010X222A1
_SEX = re.compile(r"[FMU]")
_GROUP_CODE = re.compile(r"CO|CR|OA|PI|PR")
_MODIFIER = re.compile(r"[A-Za-z0-9]{2}")


def check_claim_codes(document: ClaimDocument) -> None:
    """Raise X12WriteError naming the claim, the field and the fix for an invalid code."""
    claim = document.claim_number
    _check(claim, "place of service", document.place_of_service, _PLACE_OF_SERVICE, "the visit")
    _check(claim, "claim frequency code", document.frequency_code, _FREQUENCY, "the claim")
    _check(claim, "payer sequence", document.payer_sequence, _PAYER_SEQUENCE, "the coverage")
    _check(claim, "patient relationship", document.relationship_code, _RELATIONSHIP, "the coverage")
    _check_person(claim, document.subscriber)
    _check_person(claim, document.patient)

    for other in document.other_payers:
        _check(claim, "other payer sequence", other.payer_sequence, _PAYER_SEQUENCE, "the coverage")
        _check(
            claim,
            "other payer relationship",
            other.relationship_code,
            _RELATIONSHIP,
            "the coverage",
        )
        _check_person(claim, other.subscriber)
        for adjustment in other.claim_adjustments:
            _check(claim, "adjustment group code", adjustment.group_code, _GROUP_CODE, "the EOB")

    for line in document.lines:
        where = f"line {line.line_number} "
        if line.place_of_service:
            _check(
                claim,
                where + "place of service",
                line.place_of_service,
                _PLACE_OF_SERVICE,
                "the charge",
            )
        for modifier in line.modifiers:
            _check(claim, where + "modifier", modifier, _MODIFIER, "the charge")
        for adjudication in line.adjudications:
            for modifier in adjudication.modifiers:
                _check(claim, where + "paid modifier", modifier, _MODIFIER, "the EOB")
            for adjustment in adjudication.adjustments:
                _check(
                    claim,
                    where + "adjustment group code",
                    adjustment.group_code,
                    _GROUP_CODE,
                    "the EOB",
                )


def _check_person(claim: str, person: Person) -> None:
    # DMG03 is sent only with a birth date (see demographics), so only then must it be valid.
    if person.date_of_birth is not None:
        _check(claim, "sex", person.sex, _SEX, "the patient or subscriber record (F, M or U)")


def _check(claim: str, name: str, value: str, pattern: re.Pattern[str], record: str) -> None:
    if not pattern.fullmatch(value):
        raise X12WriteError(
            f"Claim {claim}: the {name} is invalid. Correct it in {record} "
            "and create the batch again."
        )


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


def _require(claim: str, name: str, value: str, record: str) -> None:
    if clean_element(value, 80):
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


def check_claim_number(document: ClaimDocument) -> None:
    """Raise X12WriteError unless CLM01 carries the claim number exactly as ClinicDesk stores it.

    The 999, the 277CA and the 835 return CLM01 to match the claim, so a number that
    cleaning would change (a delimiter, a lower-case letter or more than 20 characters)
    would leave every response for the claim unmatched.
    """
    number = document.claim_number
    if (
        clean_element(number, CLAIM_NUMBER_LENGTH + 1) != number
        or len(number) > CLAIM_NUMBER_LENGTH
    ):
        raise X12WriteError(
            f"The claim number {number[:30]!r} cannot be sent unchanged: an 837P claim number "
            f"has at most {CLAIM_NUMBER_LENGTH} upper-case letters, digits, spaces or common "
            "punctuation other than * ~ : ^ | >. Rebuild the claim so it gets a new number."
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


def check_submitter(submitter: Submitter) -> None:
    """Raise X12WriteError when a 1000A or 1000B value that the 837P requires is empty.

    Names and ids are cleaned like all text, and PER04 carries only the phone's digits,
    so a setting of only delimiters, emoji or letters would leave a required element empty.
    """
    for name, value in (
        ("submitter name", submitter.submitter_name),
        ("submitter id", submitter.submitter_id),
        ("receiver name", submitter.receiver_name),
        ("receiver id", submitter.receiver_id),
    ):
        if not clean_element(value, 80):
            raise X12WriteError(
                f"The clearinghouse {name} {value[:20]!r} is missing or contains no character "
                "that X12 allows. Correct it in the clearinghouse settings."
            )

    if not digits_only(submitter.contact_phone):
        raise X12WriteError(
            f"The clearinghouse contact phone {submitter.contact_phone[:20]!r} has no digits. "
            "Enter the phone number of the practice's EDI contact in the clearinghouse settings."
        )


_ZIP_CODE = re.compile(r"[0-9]{5}(-?[0-9]{4})?")


def check_addresses(document: ClaimDocument) -> None:
    """Raise X12WriteError for an address whose state or ZIP code the 837P cannot carry.

    Cleaning would cut "IéL" to "IE" and digits_only would turn "627O2" into "6272", so
    a mistyped state or ZIP code would reach the payer as another valid-looking value.
    """
    claim = document.claim_number
    addresses: list[tuple[str, Address | None, str]] = [
        ("billing provider", document.billing_provider.address, "the practice settings"),
        ("service location", document.service_facility.address, "the location settings"),
        ("subscriber", document.subscriber.address, "the subscriber's record"),
        ("patient", document.patient.address, "the patient's record"),
        ("payer", document.payer.address, "the payer settings"),
    ]
    for other in document.other_payers:
        addresses.append(("other subscriber", other.subscriber.address, "the coverage"))
        addresses.append(("other payer", other.payer.address, "the payer settings"))

    # NOTE: pyx12 4.0's state list lacks PW (Palau), so a Palau address passes here but
    # fails the pyx12 check of the written file.
    for role, address, record in addresses:
        if address is None:
            continue
        if address.state.strip().upper() not in US_STATES:
            _address_error(claim, f"{role} state is not a US state code", record)
        if not _ZIP_CODE.fullmatch(address.zip_code.strip()):
            _address_error(claim, f"{role} ZIP code is not 5 or 9 digits", record)


def _address_error(claim: str, problem: str, record: str) -> None:
    raise X12WriteError(
        f"Claim {claim}: the {problem}. Correct it in {record} and create the batch again."
    )
