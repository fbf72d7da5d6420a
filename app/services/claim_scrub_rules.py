"""Claim scrub rules that need nothing but the claim: its header, diagnoses and lines.

Every rule returns Findings. A finding has a stable rule code, a severity (an error puts
the claim on hold, a warning does not), a message that names the value and the fix, why
payers reject it, and the field to open with the id of the record that contains it. The
rules read only a ClaimDocument and the ClaimFacts the database part gathered, so tests
can run them on values built by hand. claim_scrub_parties.py contains the rules about
people and providers, and claim_scrub_payer.py the payer-specific ones.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from uuid import UUID

from app.money import format_money
from app.problems import Severity
from app.services.icd10 import display_code
from app.x12.claim_data import ClaimDocument, ServiceLine

MAX_CLAIM_NUMBER_LENGTH = 20
MAX_DIAGNOSES = 12
MAX_LINES = 50
MAX_POINTERS = 4
MAX_MODIFIERS = 4

# Fields that "Go to field" opens; the contract between the scrubber and the Claims page.
CLAIM_NUMBER_FIELD = "claim.claim_number"
CLAIM_TOTAL_FIELD = "claim.total_charge"
DIAGNOSES_FIELD = "encounter.diagnoses"
LINES_FIELD = "encounter.lines"


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem the scrub found on a claim; `line_number` is the LX number of a line's."""

    rule: str
    severity: Severity
    message: str
    why: str
    field: str
    record_id: UUID | None
    line_number: int | None = None


@dataclass(frozen=True, slots=True)
class CodeCheck:
    """Result of checking one diagnosis code in the ICD-10-CM edition for a date of service.

    `message` explains the problem when the code is unknown or not billable.
    """

    known: bool
    billable: bool
    message: str = ""


@dataclass(frozen=True, slots=True)
class ClaimFacts:
    """Data the rules need beyond the claim document: today, record ids and code checks.

    The ids name the record that "Go to field" opens, and are None for a claim built by
    hand. `diagnosis_checks` is keyed by (code without the dot, date of service), and
    `edition_warnings` contains a warning for each date of service that no ICD-10-CM
    edition covers. `ndc_codes` are the procedure codes the practice marks as drugs.
    """

    today: date
    claim_id: UUID | None = None
    practice_id: UUID | None = None
    encounter_id: UUID | None = None
    patient_id: UUID | None = None
    coverage_id: UUID | None = None
    payer_id: UUID | None = None
    rendering_provider_id: UUID | None = None
    location_id: UUID | None = None
    diagnosis_checks: Mapping[tuple[str, date], CodeCheck] = field(default_factory=dict)
    edition_warnings: Mapping[date, str] = field(default_factory=dict)
    ndc_codes: frozenset[str] = frozenset()


def finding(  # noqa: PLR0917 (rule, message, why, field and record read best in this order)
    rule: str,
    message: str,
    why: str,
    field_name: str,
    record_id: UUID | None,
    line_number: int | None = None,
    *,
    severity: Severity = Severity.ERROR,
) -> Finding:
    """Build a Finding; errors are the default because most rules block sending."""
    return Finding(rule, severity, message, why, field_name, record_id, line_number)


def service_dates(document: ClaimDocument) -> list[date]:
    """Return the distinct dates of service on the claim's lines, earliest first."""
    return sorted({line.service_date for line in document.lines})


# ---- claim header ----------------------------------------------------------------------

WHY_CLAIM_NUMBER = (
    "The claim number (CLM01) is how the payer's acknowledgements and remittances find the "
    "claim again; payers store at most 20 characters and reject a claim without one."
)
WHY_TOTAL = (
    "The claim total (CLM02) must equal the sum of the line charges to the cent, or the "
    "clearinghouse rejects the whole claim as out of balance."
)
WHY_LINE_COUNT = (
    "An 837P claim carries 1 to 50 service lines; a claim outside that range is rejected "
    "by the clearinghouse before any payer sees it."
)


def claim_number_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check that the claim number is present and at most 20 characters."""
    number = document.claim_number.strip()
    if not number:
        message = "The claim has no claim number; rebuild the claim so it gets one."
    elif len(number) > MAX_CLAIM_NUMBER_LENGTH:
        message = (
            f"Claim number {number} has {len(number)} characters, more than the "
            f"{MAX_CLAIM_NUMBER_LENGTH} payers store; rebuild the claim to get a shorter number."
        )
    else:
        return []
    return [finding("claim.number", message, WHY_CLAIM_NUMBER, CLAIM_NUMBER_FIELD, facts.claim_id)]


def total_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check that the claim total equals the sum of the line charges to the cent."""
    line_sum = sum((line.charge_amount for line in document.lines), Decimal(0))
    if document.total_charge.quantize(Decimal("0.01")) == line_sum.quantize(Decimal("0.01")):
        return []
    message = (
        f"The claim total {format_money(document.total_charge)} differs from the sum of its "
        f"line charges, {format_money(line_sum)}; rebuild the claim from its charges."
    )
    return [finding("claim.total", message, WHY_TOTAL, CLAIM_TOTAL_FIELD, facts.claim_id)]


def line_count_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check that the claim has 1 to 50 lines."""
    count = len(document.lines)
    if count == 0:
        message = "The claim has no service lines; add the services on the encounter and rebuild."
    elif count > MAX_LINES:
        message = (
            f"The claim has {count} service lines, more than the {MAX_LINES} an 837P claim "
            "allows; rebuild it so ClinicDesk splits it into several claims."
        )
    else:
        return []
    return [finding("claim.line_count", message, WHY_LINE_COUNT, LINES_FIELD, facts.encounter_id)]


# ---- diagnoses -------------------------------------------------------------------------

WHY_DIAGNOSIS_COUNT = (
    "An 837P claim carries 1 to 12 diagnosis codes (HI segment); payers reject a claim "
    "without a diagnosis, and the format has no room for a 13th."
)
WHY_DIAGNOSIS_DUPLICATE = (
    "Each diagnosis may appear once; payers reject claims that repeat a code in the HI segment."
)
WHY_DIAGNOSIS_CODE = (
    "Payers accept only billable (most specific) ICD-10-CM codes valid on the date of "
    "service, in the edition of the federal fiscal year that starts each October 1."
)
WHY_EDITION = (
    "Codes change every October 1; a code checked against the wrong year's edition may be "
    "rejected by the payer."
)


def diagnosis_count_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check that the claim has 1 to 12 diagnoses."""
    count = len(document.diagnoses)
    if count == 0:
        message = "The claim has no diagnosis; add at least one on the encounter and rebuild."
    elif count > MAX_DIAGNOSES:
        message = (
            f"The claim has {count} diagnoses, more than the {MAX_DIAGNOSES} a claim carries; "
            "rebuild it so ClinicDesk splits it, or remove diagnoses no line points to."
        )
    else:
        return []
    rule = "diagnosis.count"
    return [finding(rule, message, WHY_DIAGNOSIS_COUNT, DIAGNOSES_FIELD, facts.encounter_id)]


def duplicate_diagnosis_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Report each diagnosis code that appears more than once."""
    counts = Counter(code.strip().upper() for code in document.diagnoses)
    return [
        finding(
            "diagnosis.duplicate",
            f"Diagnosis {display_code(code)} appears {count} times; keep it once on the "
            "encounter and point the lines at that one.",
            WHY_DIAGNOSIS_DUPLICATE,
            DIAGNOSES_FIELD,
            facts.encounter_id,
        )
        for code, count in counts.items()
        if count > 1
    ]


CODE_SETS_FIELD = "code_sets.icd10"


def diagnosis_code_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Check each diagnosis against the ICD-10-CM edition of each date of service."""
    findings: list[Finding] = []
    for service_date in service_dates(document):
        warning = facts.edition_warnings.get(service_date)
        if warning:
            findings.append(
                finding(
                    "diagnosis.edition",
                    warning,
                    WHY_EDITION,
                    # The fix is importing the year's edition, not editing the encounter.
                    CODE_SETS_FIELD,
                    None,
                    severity=Severity.WARNING,
                )
            )
        for code in dict.fromkeys(code.strip().upper() for code in document.diagnoses):
            findings.extend(_code_findings(code, service_date, facts))
    return findings


def _code_findings(code: str, service_date: date, facts: ClaimFacts) -> list[Finding]:
    check = facts.diagnosis_checks.get((code, service_date))
    if check is None:
        rule = "diagnosis.unchecked"
        message = (
            f"Diagnosis {display_code(code)} could not be checked for "
            f"{service_date:%m/%d/%Y}; scrub the claim again."
        )
    elif not check.known:
        rule, message = "diagnosis.invalid", check.message
    elif not check.billable:
        rule, message = "diagnosis.not_billable", check.message
    else:
        return []
    return [finding(rule, message, WHY_DIAGNOSIS_CODE, DIAGNOSES_FIELD, facts.encounter_id)]


# ---- service lines ---------------------------------------------------------------------

WHY_POINTERS = (
    "Each line points to 1 to 4 of the claim's diagnoses (SV107) to say why the service "
    "was done; payers reject a line whose pointer is missing, repeated or past the last "
    "diagnosis."
)
WHY_UNITS = "Payers reject a line with zero or negative units (SV104)."
WHY_CHARGE = (
    "Line charges (SV102) cannot be negative; a zero charge is allowed but is usually a "
    "missing fee and pays nothing."
)
WHY_MODIFIERS = (
    "A line carries at most four modifiers of two letters or digits each (SV101-3 to "
    "SV101-6); anything else is rejected."
)
WHY_DATE = (
    "Payers reject services dated in the future or before the patient's birth date, "
    "because such a date cannot be right."
)
WHY_NDC = (
    "Drug codes are paid by the National Drug Code: the line needs the 11-digit NDC "
    "(5-4-2 form without hyphens) with its quantity and unit (loop 2410), or the payer "
    "rejects it."
)


def line_findings(document: ClaimDocument, facts: ClaimFacts) -> list[Finding]:
    """Run the per-line rules on every line."""
    findings: list[Finding] = []
    for line in document.lines:
        findings += pointer_findings(line, len(document.diagnoses), facts)
        findings += units_findings(line, facts)
        findings += charge_findings(line, facts)
        findings += modifier_findings(line, facts)
        findings += date_findings(line, document.patient.date_of_birth, facts)
    return findings


def _line_finding(
    rule: str, message: str, why: str, line: ServiceLine, facts: ClaimFacts
) -> Finding:
    return finding(rule, message, why, LINES_FIELD, facts.encounter_id, line.line_number)


def pointer_findings(line: ServiceLine, diagnosis_count: int, facts: ClaimFacts) -> list[Finding]:
    """Check a line's diagnosis pointers: 1 to 4, each within the diagnoses, none repeated."""
    label = f"Line {line.line_number} ({line.procedure_code})"
    pointers = line.pointers
    findings: list[Finding] = []
    if not pointers or len(pointers) > MAX_POINTERS:
        message = (
            f"{label} points to {len(pointers)} diagnoses; point it to 1 to {MAX_POINTERS} of "
            "the encounter's diagnoses."
        )
        findings.append(_line_finding("line.pointer_count", message, WHY_POINTERS, line, facts))
    outside = [pointer for pointer in pointers if not 1 <= pointer <= diagnosis_count]
    if outside:
        message = (
            f"{label} points to diagnosis {', '.join(map(str, outside))}, but the claim has "
            f"{diagnosis_count}; point it to a diagnosis on the encounter."
        )
        findings.append(_line_finding("line.pointer_range", message, WHY_POINTERS, line, facts))
    repeated = sorted(pointer for pointer, count in Counter(pointers).items() if count > 1)
    if repeated:
        message = (
            f"{label} points to diagnosis {', '.join(map(str, repeated))} more than once; "
            "remove the repeat."
        )
        findings.append(_line_finding("line.pointer_repeat", message, WHY_POINTERS, line, facts))
    return findings


def units_findings(line: ServiceLine, facts: ClaimFacts) -> list[Finding]:
    """Check that a line has more than zero units."""
    if line.units > 0:
        return []
    message = (
        f"Line {line.line_number} ({line.procedure_code}) has {line.units} units; enter 1 or "
        "more by correcting the charge line."
    )
    return [_line_finding("line.units", message, WHY_UNITS, line, facts)]


def charge_findings(line: ServiceLine, facts: ClaimFacts) -> list[Finding]:
    """Reject a negative charge and warn about a zero one."""
    label = f"Line {line.line_number} ({line.procedure_code})"
    if line.charge_amount < 0:
        message = (
            f"{label} charges {format_money(line.charge_amount)}; a charge cannot be negative, "
            "so correct the charge line (a credit belongs on the ledger as an adjustment)."
        )
        return [_line_finding("line.charge_negative", message, WHY_CHARGE, line, facts)]
    if line.charge_amount == 0:
        message = (
            f"{label} charges $0.00; check the fee schedule price for {line.procedure_code} "
            "if the service is billable."
        )
        warning = finding(
            "line.charge_zero",
            message,
            WHY_CHARGE,
            LINES_FIELD,
            facts.encounter_id,
            line.line_number,
            severity=Severity.WARNING,
        )
        return [warning]
    return []


def modifier_findings(line: ServiceLine, facts: ClaimFacts) -> list[Finding]:
    """Check 0 to 4 modifiers of two letters or digits each."""
    label = f"Line {line.line_number} ({line.procedure_code})"
    findings: list[Finding] = []
    if len(line.modifiers) > MAX_MODIFIERS:
        message = (
            f"{label} has {len(line.modifiers)} modifiers ({' '.join(line.modifiers)}); keep "
            f"at most {MAX_MODIFIERS}."
        )
        findings.append(_line_finding("line.modifier_count", message, WHY_MODIFIERS, line, facts))
    invalid = [
        modifier
        for modifier in line.modifiers
        if len(modifier) != 2 or not modifier.isascii() or not modifier.isalnum()
    ]
    if invalid:
        message = (
            f"{label} has modifier {', '.join(repr(modifier) for modifier in invalid)}; a "
            "modifier is two letters or digits, such as 25 or GP."
        )
        findings.append(_line_finding("line.modifier_format", message, WHY_MODIFIERS, line, facts))
    return findings


def date_findings(line: ServiceLine, birth_date: date | None, facts: ClaimFacts) -> list[Finding]:
    """Reject a service date after today or before the patient's birth date."""
    label = f"Line {line.line_number} ({line.procedure_code})"
    day = f"{line.service_date:%m/%d/%Y}"
    if line.service_date > facts.today:
        message = (
            f"{label} is dated {day}, after today ({facts.today:%m/%d/%Y}); correct the "
            "date of service, or wait until the service has happened."
        )
        return [_line_finding("line.date_future", message, WHY_DATE, line, facts)]
    if birth_date is not None and line.service_date < birth_date:
        message = (
            f"{label} is dated {day}, before the patient's birth date "
            f"({birth_date:%m/%d/%Y}); correct the date of service or the birth date."
        )
        return [_line_finding("line.date_before_birth", message, WHY_DATE, line, facts)]
    return []


def ndc_findings(line: ServiceLine, why: str, facts: ClaimFacts) -> list[Finding]:
    """Check a drug line's NDC (11 digits), quantity and unit; `why` is the requirement's reason."""
    label = f"Line {line.line_number} ({line.procedure_code})"
    ndc = (line.ndc_code or "").strip()
    if not ndc:
        message = f"{label} is a drug code but has no NDC; enter the 11-digit NDC from the vial."
    elif len(ndc) != 11 or not ndc.isascii() or not ndc.isdigit():
        message = (
            f"{label} has NDC {ndc}, which is not 11 digits; enter it in 5-4-2 form, "
            "padding each part with leading zeros (0777-3105-02 becomes 00777310502)."
        )
    elif not (line.ndc_quantity or "").strip() or not (line.ndc_unit or "").strip():
        message = f"{label} has NDC {ndc} but no drug quantity or unit; enter both."
    else:
        return []
    return [_line_finding("line.ndc", message, why, line, facts)]
