"""Write 835 remittances (005010X221A1), as the payer simulator and the tests send them.

One file contains one interchange (ISA/IEA) with one functional group (GS/GE, GS01 HP)
and one transaction set (ST/SE) per remittance. Each transaction set pays one payee.
BPR and TRN carry the payment, and loops 1000A and 1000B name the payer and the payee.
One LX groups the claims (loop 2100, CLP) with their service lines (loop 2110, SVC), and
PLB segments carry the provider-level adjustments. The files pass pyx12's 005010X221A1
checks and read back through `app.x12.reader_835.read_835` with the same amounts.

The payer simulator has no bank, address or contact data, so ACH payments carry fixed
placeholder bank numbers and the payer a placeholder address and contact.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation

from app.gc_pause import bulk_work
from app.x12.codes_835 import (
    CLAIM_FILING_INDICATORS,
    CLAIM_STATUSES,
    PROVIDER_ADJUSTMENT_CODES,
)
from app.x12.envelope import (
    SEGMENT_TERMINATOR,
    X12WriteError,
    composite,
    ge_segment,
    iea_segment,
    isa_segment,
    se_segment,
    segment,
)
from app.x12.text import (
    DELIMITER_CHARACTERS,
    clean_element,
    digits_only,
    format_amount,
    format_date,
)

__all__ = [
    "VERSION_835",
    "WrittenCas",
    "WrittenClaim",
    "WrittenPlb",
    "WrittenRemittance",
    "WrittenService",
    "X12WriteError",
    "write_835",
]

VERSION_835 = "005010X221A1"
SEGMENT_END = SEGMENT_TERMINATOR + "\n"

# Placeholder bank data of the simulated ACH payments (BPR06 to BPR09, BPR12 to BPR15).
_PAYER_BANK = ("01", "999999992", "DA", "123456789")
_PAYEE_BANK = ("01", "999999993", "DA", "987654321")
_PAYER_ADDRESS = ("PO BOX 1000", "SPRINGFIELD", "IL", "62701")
_PAYER_CONTACT_URL = "WWW.EXAMPLE.COM"

_NAME_LENGTH = 60  # N102 and NM103
_FIRST_NAME_LENGTH = 35  # NM104
_MAX_CAS_TRIPLETS = 6  # a CAS segment has room for six adjustments
_MAX_PLB_PAIRS = 6  # a PLB segment has room for six adjustments
_MAX_CAS_SEGMENTS = 99  # in loop 2100 and in each loop 2110
_MAX_MODIFIERS = 4  # SVC01-3 to SVC01-6
_ID_CODE_LENGTH = 80  # NM109, which X12 requires to have at least 2 characters
_MAX_AMOUNT_DIGITS = 18  # an X12 decimal number (type R) without its sign and point
_ZERO = Decimal(0)


@dataclass(slots=True)
class WrittenCas:
    """One adjustment (CAS triplet) to write."""

    group_code: str  # CO, OA, PI or PR
    reason_code: str  # CARC
    amount: Decimal


@dataclass(slots=True)
class WrittenService:
    """One service line (loop 2110) to write."""

    procedure_code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: int | Decimal
    service_date: date
    line_control_number: str | None  # REF*6R, echoed from the 837P line
    adjustments: list[WrittenCas]
    allowed: Decimal | None = None  # AMT*B6
    submitted_code: str | None = None  # SVC06 when the payer changed the code
    remarks: tuple[str, ...] = ()  # LQ*HE remark codes


@dataclass(slots=True)
class WrittenClaim:
    """One claim (loop 2100) to write."""

    patient_control_number: str  # CLP01, the claim number the practice sent
    status_code: str  # CLP02
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    payer_claim_number: str  # CLP07
    patient_last: str
    patient_first: str
    member_id: str
    services: list[WrittenService]
    adjustments: list[WrittenCas] = field(default_factory=list)  # claim-level CAS
    filing_indicator: str = "12"  # CLP06
    crossover_payer: str | None = None  # NM1*TT name, for CLP02 19, 20 or 21
    crossover_payer_id: str = ""  # NM1*TT NM109; the payer's name when empty
    interest: Decimal | None = None  # AMT*I, which `paid` includes


@dataclass(slots=True)
class WrittenPlb:
    """One provider-level adjustment: positive lowers the payment, negative raises it."""

    reason_code: str  # such as WO, FB or L6
    reference: str  # PLB03-2, often a payer claim number
    amount: Decimal


@dataclass(slots=True)
class WrittenRemittance:
    """One remittance (transaction set): a payment from one payer to one payee."""

    payer_name: str
    payer_identifier: str  # REF*2U
    payee_name: str
    payee_npi: str
    trace_number: str  # TRN02, the check or EFT number
    payment_date: date  # BPR16
    claims: list[WrittenClaim]
    provider_adjustments: list[WrittenPlb] = field(default_factory=list)
    payment_method: str = "ACH"  # ACH or CHK; a zero payment is always NON
    payment_amount: Decimal | None = None  # None = the claims' payments minus the PLB


@bulk_work
def write_835(
    remittances: list[WrittenRemittance],
    *,
    control_number: int,
    sender_id: str,
    receiver_id: str,
    usage: str = "P",
    when: datetime | None = None,
) -> str:
    """Write `remittances` as one 835 interchange and return its text.

    `control_number` is ISA13 and GS06, `sender_id` the payer's interchange id and
    `receiver_id` the practice's. Raises X12WriteError when a value cannot be written,
    such as an identifier containing a delimiter or a negative payment.
    """
    if not remittances:
        raise X12WriteError("An 835 file needs at least one remittance.")
    created_at = when or datetime.now(UTC)
    sender = _application_code(sender_id, "sender")
    receiver = _application_code(receiver_id, "receiver")

    lines = [
        isa_segment(
            sender_qualifier="ZZ",
            sender_id=sender,
            receiver_qualifier="ZZ",
            receiver_id=receiver,
            interchange_number=control_number,
            usage_indicator=usage,
            created_at=created_at,
        ),
        segment(
            "GS",
            "HP",
            sender,
            receiver,
            format_date(created_at.date()),
            created_at.strftime("%H%M"),
            str(control_number),
            "X",
            VERSION_835,
        ),
    ]
    for index, remittance in enumerate(remittances, start=1):
        lines.extend(_transaction(remittance, f"{index:04d}", created_at.date()))
    lines.append(ge_segment(len(remittances), control_number))
    lines.append(iea_segment(1, control_number))
    return "".join(line + SEGMENT_END for line in lines)


def _transaction(remittance: WrittenRemittance, number: str, created_on: date) -> list[str]:
    body = [*_payment_header(remittance, created_on), *_parties(remittance)]
    if remittance.claims:
        # LX opens loop 2000, which must contain a claim, so a remittance of provider
        # adjustments alone has none.
        body.append(segment("LX", "1"))
    for claim in remittance.claims:
        body.extend(_claim(claim))
    body.extend(_provider_adjustments(remittance))

    segments = [segment("ST", "835", number), *body]
    segments.append(se_segment(len(segments) + 1, number))
    return segments


def payment_amount(remittance: WrittenRemittance) -> Decimal:
    """Return BPR02: the given amount, or the claims' payments minus the PLB amounts."""
    if remittance.payment_amount is not None:
        return remittance.payment_amount
    paid = sum((claim.paid for claim in remittance.claims), _ZERO)
    withheld = sum((item.amount for item in remittance.provider_adjustments), _ZERO)
    return paid - withheld


def _payment_header(remittance: WrittenRemittance, created_on: date) -> list[str]:
    try:
        amount = payment_amount(remittance)
    except InvalidOperation as error:
        # Decimal raises it for infinity minus infinity and for a signaling NaN.
        raise X12WriteError(
            f"The remittance {remittance.trace_number!r} contains an amount that is not a "
            "number. Correct the amounts."
        ) from error
    written_amount = _amount(amount, "payment amount")
    if amount < 0:
        raise X12WriteError(
            f"The remittance {remittance.trace_number!r} pays {amount}, but a payment cannot "
            "be negative. Carry the negative balance forward with a PLB FB adjustment."
        )
    originator = _originator(remittance.payer_identifier)
    method = remittance.payment_method if amount > 0 else "NON"
    paid_on = format_date(remittance.payment_date)

    if method == "NON":
        payment = segment("BPR", "H", written_amount, "C", "NON", *[""] * 11, paid_on)
    elif method == "CHK":
        payment = segment("BPR", "C", written_amount, "C", "CHK", *[""] * 11, paid_on)
    elif method == "ACH":
        payment = segment(
            "BPR",
            "C",
            written_amount,
            "C",
            "ACH",
            "CCP",
            *_PAYER_BANK,
            originator,
            "",
            *_PAYEE_BANK,
            paid_on,
        )
    else:
        raise X12WriteError(
            f"The payment method {remittance.payment_method!r} cannot be written. Use ACH or CHK."
        )

    return [
        payment,
        segment("TRN", "1", _identifier(remittance.trace_number, "trace number", 50), originator),
        segment("DTM", "405", format_date(created_on)),
    ]


def _parties(remittance: WrittenRemittance) -> list[str]:
    payer_id = _identifier(remittance.payer_identifier, "payer identifier", 50)
    npi = _npi(remittance.payee_npi)
    street, city, state, postal_code = _PAYER_ADDRESS
    return [
        segment("N1", "PR", _name(remittance.payer_name, "payer")),
        segment("N3", street),
        segment("N4", city, state, postal_code),
        segment("REF", "2U", payer_id),
        segment("PER", "BL", "", "UR", _PAYER_CONTACT_URL),
        segment("N1", "PE", _name(remittance.payee_name, "payee"), "XX", npi),
    ]


def _claim(claim: WrittenClaim) -> list[str]:
    control_number = _identifier(claim.patient_control_number, "patient control number", 38)
    status = claim.status_code.strip()
    if status not in CLAIM_STATUSES:
        raise X12WriteError(
            f"The claim status {claim.status_code!r} is not a CLP02 code. Use one of "
            f"{', '.join(sorted(CLAIM_STATUSES, key=int))}."
        )
    filing_indicator = claim.filing_indicator.strip()
    if filing_indicator not in CLAIM_FILING_INDICATORS:
        raise X12WriteError(
            f"The claim filing indicator {claim.filing_indicator!r} is not a CLP06 code, "
            "such as 12 or MB."
        )

    segments = [
        segment(
            "CLP",
            control_number,
            status,
            _amount(claim.charge, "claim charge"),
            _amount(claim.paid, "claim payment"),
            _amount(claim.patient_responsibility, "patient responsibility"),
            filing_indicator,
            _identifier(claim.payer_claim_number, "payer claim number", 50),
        ),
        *_adjustment_segments(claim.adjustments),
        _patient(claim),
    ]
    if claim.crossover_payer:
        name = _name(claim.crossover_payer, "crossover payer")
        crossover_id = _identifier(
            claim.crossover_payer_id or name, "crossover payer id", _ID_CODE_LENGTH, 2
        )
        segments.append(segment("NM1", "TT", "2", name, "", "", "", "", "PI", crossover_id))
    if claim.interest is not None:
        segments.append(segment("AMT", "I", _amount(claim.interest, "claim interest")))
    for service in claim.services:
        segments.extend(_service(service))
    return segments


def _patient(claim: WrittenClaim) -> str:
    last = _name(claim.patient_last, "patient last name")
    first = clean_element(claim.patient_first, _FIRST_NAME_LENGTH)
    if not claim.member_id.strip():
        return segment("NM1", "QC", "1", last, first)
    member_id = _member_id(claim.member_id)
    return segment("NM1", "QC", "1", last, first, "", "", "", "MI", member_id)


def _service(service: WrittenService) -> list[str]:
    if len(service.modifiers) > _MAX_MODIFIERS:
        raise X12WriteError(
            f"The procedure {service.procedure_code!r} has {len(service.modifiers)} modifiers "
            f"{service.modifiers!r}, but SVC01 has room for {_MAX_MODIFIERS}."
        )
    procedure = composite(
        "HC",
        _identifier(service.procedure_code, "procedure code", 48),
        *(_identifier(modifier, "modifier", 2) for modifier in service.modifiers),
    )
    submitted = ""
    if service.submitted_code:
        submitted = composite("HC", _identifier(service.submitted_code, "procedure code", 48))

    segments = [
        segment(
            "SVC",
            procedure,
            _amount(service.charge, "line charge"),
            _amount(service.paid, "line payment"),
            "",
            _amount(Decimal(service.units), "units"),
            submitted,
        ),
        segment("DTM", "472", format_date(service.service_date)),
        *_adjustment_segments(service.adjustments),
    ]
    if service.line_control_number:
        control_number = _identifier(service.line_control_number, "line control number", 50)
        segments.append(segment("REF", "6R", control_number))
    if service.allowed is not None:
        segments.append(segment("AMT", "B6", _amount(service.allowed, "allowed amount")))
    for remark in service.remarks:
        segments.append(segment("LQ", "HE", _identifier(remark, "remark code", 30)))
    return segments


def _adjustment_segments(adjustments: Iterable[WrittenCas]) -> list[str]:
    """Write one CAS per group code, in first-seen order, six triplets at most per CAS."""
    by_group: dict[str, list[WrittenCas]] = {}
    for adjustment in adjustments:
        group = adjustment.group_code.strip()
        if group not in {"CO", "OA", "PI", "PR"}:
            raise X12WriteError(
                f"The adjustment group {adjustment.group_code!r} is invalid. Use CO, OA, PI or PR."
            )
        by_group.setdefault(group, []).append(adjustment)

    segments = []
    for group, items in by_group.items():
        for start in range(0, len(items), _MAX_CAS_TRIPLETS):
            triplets: list[str] = []
            for item in items[start : start + _MAX_CAS_TRIPLETS]:
                reason = _identifier(item.reason_code, "adjustment reason code", 5)
                triplets.extend((reason, _amount(item.amount, "adjustment amount"), ""))
            segments.append(segment("CAS", group, *triplets))
    if len(segments) > _MAX_CAS_SEGMENTS:
        raise X12WriteError(
            f"The adjustments need {len(segments)} CAS segments, but a claim or service "
            f"line has room for {_MAX_CAS_SEGMENTS}."
        )
    return segments


def _provider_adjustments(remittance: WrittenRemittance) -> list[str]:
    items = remittance.provider_adjustments
    if not items:
        return []
    provider = _npi(remittance.payee_npi)
    period_end = format_date(date(remittance.payment_date.year, 12, 31))

    segments = []
    # NOTE: pyx12 4.0 reports a second PLB as "Loop FOOTER exceeded max count", although
    # the 835 guide lets PLB repeat, so files with more than six adjustments fail its check.
    for start in range(0, len(items), _MAX_PLB_PAIRS):
        pairs: list[str] = []
        for item in items[start : start + _MAX_PLB_PAIRS]:
            reason = item.reason_code.strip()
            if reason not in PROVIDER_ADJUSTMENT_CODES:
                raise X12WriteError(
                    f"The provider adjustment reason {item.reason_code!r} is not a PLB03 "
                    "code, such as WO, FB or L6."
                )
            reference = ""
            if item.reference.strip():
                # The reference is often the payer claim number a posting matches on.
                reference = _identifier(item.reference, "provider adjustment reference", 50)
            pairs.extend(
                (composite(reason, reference), _amount(item.amount, "provider adjustment amount"))
            )
        segments.append(segment("PLB", provider, period_end, *pairs))
    return segments


# --- element values ----------------------------------------------------------------------------


def _identifier(value: str, name: str, max_length: int, min_length: int = 1) -> str:
    """Return an identifier exactly as given, because the receiver matches on it.

    Raises X12WriteError when it is empty, too short or long or contains a character that
    cannot be sent, instead of changing it.
    """
    text = value.strip()
    if not text:
        raise X12WriteError(f"The {name} is missing.")
    if not min_length <= len(text) <= max_length or clean_element(text, max_length) != text:
        raise X12WriteError(
            f"The {name} {value!r} cannot be written: use {min_length} to {max_length} capital "
            f"letters, digits and punctuation other than {''.join(sorted(DELIMITER_CHARACTERS))}."
        )
    return text


def _amount(value: Decimal, name: str) -> str:
    """Format an amount, raising X12WriteError for one X12 cannot carry.

    An X12 decimal number (type R) has at most 18 digits, and readers such as
    `read_835` and pyx12 reject a longer one.
    """
    if not value.is_finite():
        raise X12WriteError(f"The {name} {value} is not a number. Correct the amount.")
    text = format_amount(value)
    digits = sum(character.isdigit() for character in text)
    if digits > _MAX_AMOUNT_DIGITS:
        raise X12WriteError(
            f"The {name} {text} has {digits} digits, but X12 allows at most "
            f"{_MAX_AMOUNT_DIGITS}. Correct the amount."
        )
    return text


def _member_id(value: str) -> str:
    """Return the member id upper-cased, as the 837P sends it.

    Matching remittances to coverages ignores case, so upper-casing is harmless. Raises
    X12WriteError when cleaning would change anything else, such as dropping a delimiter.
    """
    member_id = clean_element(value, _ID_CODE_LENGTH)
    if member_id != value.strip().upper() or len(member_id) < 2:
        raise X12WriteError(
            f"The member id {value!r} cannot be written: use 2 to {_ID_CODE_LENGTH} "
            "letters, digits and punctuation other than "
            f"{''.join(sorted(DELIMITER_CHARACTERS))}."
        )
    return member_id


def _npi(value: str) -> str:
    npi = value.strip()
    if not (len(npi) == 10 and npi.isascii() and npi.isdigit()):
        raise X12WriteError(f"The payee NPI {value!r} is invalid: an NPI has 10 digits.")
    return npi


def _name(value: str, role: str) -> str:
    name = clean_element(value, _NAME_LENGTH)
    if not name:
        raise X12WriteError(
            f"The {role} name {value!r} is empty after removing characters X12 cannot send."
        )
    return name


def _originator(payer_identifier: str) -> str:
    """Return TRN03 and BPR10: "1" and nine digits, the form of a payer's tax id."""
    digits = digits_only(payer_identifier)[-9:]
    return "1" + digits.zfill(9)


def _application_code(value: str, role: str) -> str:
    # The id goes into ISA06/ISA08 and GS02/GS03 unchanged, because the receiver routes on it.
    code = value.strip()
    if not 2 <= len(code) <= 15 or clean_element(code, 15) != code:
        raise X12WriteError(
            f"The {role} id {value!r} is invalid: it must have 2 to 15 capital letters, "
            f"digits and punctuation other than {''.join(sorted(DELIMITER_CHARACTERS))}."
        )
    return code
