"""Mapping FHIR R4 resources onto ClinicDesk's patient form, payers and coverages.

Nothing here touches the database: each function turns parsed resources into plain
values and notes for the import report, and `app.services.fhir_import` writes them.
"""

import re
from dataclasses import dataclass, field
from datetime import date

from app.contact import email_problems, normalize_email, normalize_phone_e164, parse_phone
from app.services.fhir_bundle import (
    SSN_SYSTEM,
    SYNTHEA_SYSTEM,
    URI_SYSTEM,
    Address,
    FhirCoverage,
    FhirPatient,
    HumanName,
    Identifier,
    InsuranceUse,
    Resource,
)
from app.services.patient_forms import PatientForm, PhoneEntry, PreviousNameEntry
from app.validators import US_STATES, digits_only, normalize_zip

# Synthea appends a number to every generated name ("Leta870 Kihn564") so names stay
# unique; a name part of letters followed by digits is such an artefact.
_SYNTHEA_NAME = re.compile(r"(?P<name>.*\D)\d+")

GENDERS = {"female": "F", "male": "M"}

# HL7 v3 MaritalStatus codes onto the registration form's choices; codes without a
# counterpart (I interlocutory, UNK) are left blank.
MARITAL_STATUSES = {
    "S": "single",
    "U": "single",
    "A": "single",
    "M": "married",
    "P": "married",
    "T": "partner",
    "D": "divorced",
    "L": "separated",
    "W": "widowed",
}

# FHIR subscriber-relationship codes onto X12 individual relationship codes (SBR02).
RELATIONSHIPS = {
    "self": "18",
    "spouse": "01",
    "child": "19",
    "common": "53",
    "parent": "G8",
    "other": "G8",
    "injured": "21",
}

PHONE_USES = {"mobile": "mobile", "home": "home", "work": "work"}

# The payer name Synthea writes when a patient had no insurance for a claim.
NO_INSURANCE = "NO_INSURANCE"

# Member id stored for a coverage known only from claims, which carry none. The patient
# gets an alert asking the desk to copy the real id from the card.
UNKNOWN_MEMBER_ID = "UNKNOWN"

_STATE_BY_NAME = {name.upper(): code for code, name in US_STATES.items()}
_STATE_NAME_LIMIT = 40


@dataclass
class MappedPatient:
    """A patient form built from a FHIR Patient, and notes on what was left out."""

    form: PatientForm
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class PayerKey:
    """The lookup key of an imported payer: its name and, when known, an identifier."""

    name: str
    identifier: Identifier | None = None


@dataclass
class PlannedCoverage:
    """A coverage to write for an imported patient, before payer ids are known."""

    payer: PayerKey
    member_id: str
    relationship_code: str
    priority: int
    effective_date: date | None
    termination_date: date | None
    plan_name: str = ""
    source: Identifier | None = None
    from_claims: bool = False


# ---- identity -------------------------------------------------------------------------


def resource_identity(resource: Resource, source_name: str) -> Identifier:
    """Return the identifier a resource is found by on the next import of the same data.

    Synthea's own identifier comes first, then the urn:uuid full URL (unique by
    construction), then the resource id qualified by the bundle file's name.
    """
    for identifier in resource.identifiers:
        if identifier.system == SYNTHEA_SYSTEM:
            return Identifier(SYNTHEA_SYSTEM, identifier.value)
    if resource.full_url.startswith("urn:uuid:"):
        return Identifier(URI_SYSTEM, resource.full_url)
    return Identifier(f"urn:clinicdesk:fhir-file:{source_name}", resource.id)


def strip_synthea_digits(text: str) -> str:
    """Return a name part without Synthea's numeric suffix ("Leta870" becomes "Leta")."""
    match = _SYNTHEA_NAME.fullmatch(text)
    return match["name"] if match else text


# ---- patient --------------------------------------------------------------------------


def _official_name(names: tuple[HumanName, ...]) -> HumanName | None:
    ranked = sorted(names, key=lambda name: name.use not in ("official", "usual", ""))
    return ranked[0] if ranked else None


def _clean(text: str, synthea: bool) -> str:
    return strip_synthea_digits(text) if synthea else text


def _apply_name(form: PatientForm, patient: FhirPatient, synthea: bool) -> None:
    name = _official_name(patient.names)
    if name is not None:
        given = [_clean(part, synthea) for part in name.given]
        form.first_name = given[0] if given else ""
        form.middle_name = " ".join(given[1:])
        form.last_name = _clean(name.family, synthea)
        form.suffix = " ".join(name.suffix)
    for other in patient.names:
        if other is name or other.use not in ("maiden", "old"):
            continue
        form.previous_names.append(
            PreviousNameEntry(
                first_name=_clean(other.given[0], synthea) if other.given else form.first_name,
                last_name=_clean(other.family, synthea),
            )
        )


def state_code(text: str) -> str:
    """Return the USPS code of a state given by code or full name ("Massachusetts" is MA)."""
    cleaned = text.strip().upper()
    if cleaned in US_STATES:
        return cleaned
    return _STATE_BY_NAME.get(cleaned, text.strip()[:_STATE_NAME_LIMIT])


def _apply_address(form: PatientForm, addresses: tuple[Address, ...], notes: list[str]) -> None:
    if not addresses:
        return
    address = addresses[0]
    form.address_line1 = address.lines[0] if address.lines else ""
    form.address_line2 = ", ".join(address.lines[1:])
    form.city = address.city
    form.state = state_code(address.state) if address.state else ""
    if address.postal_code:
        form.zip_code = normalize_zip(address.postal_code)
    elif form.address_line1:
        notes.append("The address has no ZIP code; add it before sending claims or mail.")


def _apply_telecom(form: PatientForm, patient: FhirPatient, notes: list[str]) -> None:
    for point in patient.telecom:
        if point.system == "email" and not form.email:
            if email_problems(point.value, "email"):
                notes.append("An email address was skipped: it is not a valid address.")
            else:
                form.email = normalize_email(point.value)
        elif point.system in ("phone", "sms"):
            kind = "mobile" if point.system == "sms" else PHONE_USES.get(point.use, "other")
            if parse_phone(point.value) is None:
                notes.append(f"A {kind} phone number was skipped: it is not a valid number.")
                continue
            number = normalize_phone_e164(point.value)
            if all(phone.number != number for phone in form.phones):
                form.phones.append(PhoneEntry(kind=kind, number=number))


def _ssn(identifiers: tuple[Identifier, ...]) -> str:
    for identifier in identifiers:
        if identifier.system == SSN_SYSTEM or identifier.type_code == "SS":
            return digits_only(identifier.value)
    return ""


def _apply_status(form: PatientForm, patient: FhirPatient, notes: list[str]) -> None:
    if not patient.deceased:
        return
    if patient.deceased_on is None:
        form.status = "inactive"
        notes.append(
            "The record says the patient died but gives no date; imported as inactive. "
            "Set the status to deceased with the date when it is known."
        )
        return
    form.status = "deceased"
    form.deceased_on = patient.deceased_on


def patient_form(patient: FhirPatient, strip_digits: bool = False) -> MappedPatient:
    """Build the registration form for a FHIR Patient, with notes on skipped values.

    `strip_digits` removes Synthea's numbers from the names; pass the bundle's
    `synthea_names`, which is True only when every name in the bundle ends in digits.
    """
    form = PatientForm()
    notes: list[str] = []
    _apply_name(form, patient, strip_digits)
    form.date_of_birth = patient.birth_date
    form.sex = GENDERS.get(patient.gender, "U")
    form.ssn = _ssn(patient.base.identifiers)
    _apply_address(form, patient.addresses, notes)
    _apply_telecom(form, patient, notes)
    form.marital_status = MARITAL_STATUSES.get(patient.marital_status, "")
    form.preferred_language = patient.language
    _apply_status(form, patient, notes)
    return MappedPatient(form, notes)


# ---- payers ---------------------------------------------------------------------------


def claim_filing_indicator(name: str, type_codes: tuple[str, ...] = ()) -> str:
    """Return the X12 claim filing indicator a payer's name or type suggests: MB, MC or CI."""
    words = " ".join((name, *type_codes)).lower()
    if "medicare" in words:
        return "MB"
    if "medicaid" in words:
        return "MC"
    return "CI"


def payer_code_from_name(name: str) -> str:
    """Return a stable payer id made from a payer's name, such as "FHIR-BLUE-CROSS".

    Imported payers rarely carry the clearinghouse's payer id, so this placeholder keeps
    the column filled and the same name always gives the same code. The prefix marks it
    as one to replace from the clearinghouse's payer list before claims go out.
    """
    words = re.findall(r"[A-Za-z0-9]+", name.upper())
    return ("FHIR-" + "-".join(words))[:80].rstrip("-") if words else "FHIR-UNNAMED"


# ---- coverages ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DateRange:
    """A coverage's dates; None at either end means unbounded."""

    start: date | None
    end: date | None

    def overlaps(self, other: "DateRange") -> bool:
        """Return True when the two ranges share at least one day."""
        starts_before_other_ends = (
            self.start is None or other.end is None or self.start <= other.end
        )
        ends_after_other_starts = self.end is None or other.start is None or other.start <= self.end
        return starts_before_other_ends and ends_after_other_starts


def _member_id(coverage: FhirCoverage) -> str:
    if coverage.subscriber_id:
        return coverage.subscriber_id
    for identifier in coverage.base.identifiers:
        if identifier.system != SYNTHEA_SYSTEM:
            return identifier.value
    return ""


def coverage_from_resource(
    coverage: FhirCoverage, payer: PayerKey, source: Identifier
) -> tuple[PlannedCoverage, list[str]]:
    """Plan the coverage for a FHIR Coverage whose payor resolved to `payer`."""
    notes = []
    member_id = _member_id(coverage)
    if not member_id:
        member_id = UNKNOWN_MEMBER_ID
        notes.append(f"Coverage with {payer.name} has no member id; stored as {member_id}.")
    relationship = RELATIONSHIPS.get(
        coverage.relationship, "18" if not coverage.relationship else "G8"
    )
    period = coverage.period
    planned = PlannedCoverage(
        payer=payer,
        member_id=member_id,
        relationship_code=relationship,
        priority=coverage.order if coverage.order in (1, 2, 3) else 1,
        effective_date=period.start.date() if period.start else None,
        termination_date=period.end.date() if period.end else None,
        plan_name=coverage.plan_name,
        source=source,
    )
    return planned, notes


def coverage_from_claims(uses: list[InsuranceUse]) -> tuple[PlannedCoverage | None, list[str]]:
    """Plan a coverage from the payer of the most recent Claim or ExplanationOfBenefit.

    Synthea writes no Coverage resources, only the payer's name on each claim. The
    coverage starts with the first claim of the latest unbroken run of that payer and
    stays open. A latest claim billed to NO_INSURANCE means the patient is self-pay.
    """
    dated = sorted((use for use in uses if use.billed_at), key=lambda use: use.billed_at or 0)
    if not dated:
        return None, []
    latest = dated[-1]
    name = latest.payer.display
    if not name or name.upper() == NO_INSURANCE:
        return None, ["The most recent claim was billed to no insurance; no coverage added."]

    start = latest.billed_at
    for use in reversed(dated):
        if use.payer.display != name:
            break
        start = use.billed_at
    planned = PlannedCoverage(
        payer=PayerKey(name),
        member_id=UNKNOWN_MEMBER_ID,
        relationship_code="18",
        priority=1,
        effective_date=start.date() if start else None,
        termination_date=None,
        from_claims=True,
    )
    note = (
        f"Coverage with {name} was taken from the claims, which carry no member id; "
        f"stored as {UNKNOWN_MEMBER_ID}. Copy the id from the insurance card."
    )
    return planned, [note]


def assign_priorities(
    planned: list[PlannedCoverage], taken: list[tuple[int, DateRange]]
) -> tuple[list[PlannedCoverage], list[str]]:
    """Move coverages that would overlap another of the same priority to a free priority.

    `taken` contains the priority and dates of the patient's other saved coverages. A
    coverage that fits no priority from 1 to 3 is dropped with a note.
    """
    kept: list[PlannedCoverage] = []
    notes: list[str] = []
    occupied = list(taken)
    order = sorted(planned, key=lambda item: (item.priority, item.effective_date or date.min))
    for item in order:
        dates = DateRange(item.effective_date, item.termination_date)
        free = [
            priority
            for priority in range(item.priority, 4)
            if not any(p == priority and dates.overlaps(other) for p, other in occupied)
        ]
        if not free:
            notes.append(f"Coverage with {item.payer.name} overlaps three others; not imported.")
            continue
        if free[0] != item.priority:
            notes.append(
                f"Coverage with {item.payer.name} overlaps another with priority "
                f"{item.priority}; imported with priority {free[0]}."
            )
            item.priority = free[0]
        occupied.append((item.priority, dates))
        kept.append(item)
    return kept, notes
