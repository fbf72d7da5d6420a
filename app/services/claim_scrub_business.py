"""Claim scrub edits that need the database: filing deadlines, authorizations, duplicates,
eligibility, changed charges, clearinghouses and ICD-10-CM code checks.

`load_scrub_data` reads what every edit needs for a set of claims in a fixed number of
bulk queries (IN lists in chunks of 500), so scrubbing thousands of claims does not run
a query per claim. The per-claim functions then only read that data, except the
authorization check, which runs its own lookups for the few lines a payer rule lists.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.charges import Encounter, ProcedureCode
from app.models.claims import Claim, ClaimLine
from app.models.onboarding import PriorAuthorization
from app.models.patients import Coverage
from app.models.practice import Payer, Practice
from app.problems import Severity
from app.security.permissions import Actor
from app.services import icd10
from app.services.authorization_check import authorization_for
from app.services.authorizations import authorized_codes
from app.services.claim_build_rows import chunks
from app.services.claim_scrub_rules import ClaimFacts, CodeCheck, Finding, finding
from app.services.claim_status import DEAD_STATUSES
from app.services.clearinghouses import ClearinghouseForm, check_clearinghouse, list_clearinghouses
from app.services.eligibility import check_is_stale
from app.services.encounter_records import reversed_line_ids
from app.services.payer_rules import PayerRules, TimelyFiling, matching_rules
from app.services.scheduling_settings import scheduling_settings
from app.services.today import practice_today
from app.x12.claim_data import ClaimDocument

log = logging.getLogger(__name__)

# A claim whose filing deadline is this many days away or fewer gets a warning.
FILING_WARNING_DAYS = 30
DEAD_STATUS_VALUES = tuple(status.value for status in DEAD_STATUSES)
VOID_FREQUENCY = "8"
# A duplicate warning names this many other claims at most.
MAX_NAMED_CLAIMS = 3

WHY_TIMELY = (
    "Payers deny claims received after their filing limit, counted from the date of service, "
    "and a rejected claim does not stop the clock."
)
WHY_AUTHORIZATION = (
    "The payer pays these services only under a prior authorization that covers the code "
    "and the date of service; without one the claim is denied."
)
WHY_DUPLICATE = (
    "Payers deny a second claim for the same patient, date, code and payer as a duplicate "
    "(CARC 18) unless a modifier such as 76 or 77 says it was a repeat service."
)
WHY_ELIGIBILITY = (
    "A claim for a policy nobody confirmed was active on the date of service is the most "
    "common reason for a denial the office could have prevented."
)
WHY_REVERSED = (
    "The claim still bills a charge that was reversed on the ledger, so it would bill "
    "money the practice no longer charges."
)
WHY_NO_CLEARINGHOUSE = (
    "Without a clearinghouse the claim cannot be sent electronically; it can only be "
    "printed on a CMS-1500 form and mailed."
)
WHY_CLEARINGHOUSE_SETTINGS = (
    "The clearinghouse rejects a file whose envelope ids or submitter details are missing "
    "or wrong, and with it every claim in the file."
)


def add_years(day: date, years: int) -> date:
    """Return the same calendar date `years` later; February 29 becomes February 28."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def filing_deadline(service_date: date, timely_filing_days: int, rule: TimelyFiling) -> date:
    """Return the last day the payer accepts a claim for `service_date`."""
    if rule is TimelyFiling.ONE_CALENDAR_YEAR:
        return add_years(service_date, 1)
    return service_date + timedelta(days=timely_filing_days)


def filing_days_left(
    service_date: date, timely_filing_days: int, rule: TimelyFiling, today: date
) -> int:
    """Return the days until the filing deadline: 0 is the last day, negative is past it."""
    return (filing_deadline(service_date, timely_filing_days, rule) - today).days


@dataclass(frozen=True, slots=True)
class ScrubLine:
    """The columns of a claim line the edits read.

    Plain values instead of ORM rows keep thousands of lines out of the session's
    identity map, which every later UPDATE of claim lines would scan.
    """

    id: uuid.UUID
    claim_id: uuid.UUID
    charge_line_id: uuid.UUID
    line_number: int
    service_date: date
    procedure_code: str


@dataclass(frozen=True, slots=True)
class BilledClaims:
    """The live claims that bill one patient, payer, date of service and code."""

    numbers: tuple[tuple[str, uuid.UUID], ...]  # (claim number, claim id) by claim number
    ids: frozenset[uuid.UUID]


@dataclass
class ScrubData:
    """Rows and settings the database edits read, loaded in bulk for a set of claims."""

    today: date
    practice_id: uuid.UUID | None = None
    payers: dict[uuid.UUID, Payer] = field(default_factory=dict)
    coverages: dict[uuid.UUID, Coverage] = field(default_factory=dict)
    encounters: dict[uuid.UUID, Encounter] = field(default_factory=dict)
    authorizations: dict[uuid.UUID, PriorAuthorization] = field(default_factory=dict)
    lines: dict[uuid.UUID, list[ScrubLine]] = field(default_factory=dict)  # claim id -> lines
    reversed_charge_lines: set[uuid.UUID] = field(default_factory=set)
    # (patient id, payer id, service date, procedure code) -> the live claims billing it
    billed: dict[tuple[Any, ...], BilledClaims] = field(default_factory=dict)
    # claim id -> the claims it replaces, voids or resubmits, and the ones that do so to it
    related: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)
    ndc_codes: frozenset[str] = frozenset()
    clearinghouses: dict[uuid.UUID, ClearinghouseForm] = field(default_factory=dict)
    clearinghouse_problems: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    eligibility_max_age_days: int = 30
    code_checks: dict[tuple[str, date], CodeCheck] = field(default_factory=dict)
    edition_warnings: dict[date, str] = field(default_factory=dict)


def _rows_by_id(
    session: Session, model: Any, ids: Iterable[uuid.UUID | None]
) -> dict[uuid.UUID, Any]:
    wanted = sorted({row_id for row_id in ids if row_id is not None})
    found: dict[uuid.UUID, Any] = {}
    for chunk in chunks(wanted):
        for row in session.scalars(select(model).where(model.id.in_(chunk))):
            found[row.id] = row
    return found


def load_scrub_data(
    session: Session,
    actor: Actor,
    claims: Sequence[Claim],
    documents: dict[uuid.UUID, ClaimDocument],
) -> ScrubData:
    """Read everything the edits need for `claims` in bulk."""
    data = ScrubData(today=practice_today(session))
    data.practice_id = session.scalar(select(Practice.id).where(Practice.archived.is_(False)))
    data.payers = _rows_by_id(session, Payer, (claim.payer_id for claim in claims))
    data.coverages = _rows_by_id(session, Coverage, (claim.coverage_id for claim in claims))
    data.encounters = _rows_by_id(session, Encounter, (claim.encounter_id for claim in claims))
    data.authorizations = _rows_by_id(
        session,
        PriorAuthorization,
        (encounter.prior_authorization_id for encounter in data.encounters.values()),
    )
    data.lines = _claim_lines(session, [claim.id for claim in claims])
    charge_line_ids = [line.charge_line_id for lines in data.lines.values() for line in lines]
    for chunk in chunks(charge_line_ids):
        data.reversed_charge_lines |= reversed_line_ids(session, chunk)
    _load_billed(session, data, sorted({claim.patient_id for claim in claims}))
    data.ndc_codes = frozenset(
        session.scalars(
            select(ProcedureCode.code).where(
                ProcedureCode.requires_ndc.is_(True), ProcedureCode.archived.is_(False)
            )
        )
    )
    _load_clearinghouses(session, actor, data)
    data.eligibility_max_age_days = scheduling_settings(session).eligibility_max_age_days
    _load_code_checks(session, data, documents.values())
    return data


def _claim_lines(
    session: Session, claim_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[ScrubLine]]:
    found: dict[uuid.UUID, list[ScrubLine]] = defaultdict(list)
    for chunk in chunks(sorted(claim_ids)):
        query = (
            select(
                ClaimLine.id,
                ClaimLine.claim_id,
                ClaimLine.charge_line_id,
                ClaimLine.line_number,
                ClaimLine.service_date,
                ClaimLine.procedure_code,
            )
            .where(ClaimLine.claim_id.in_(chunk), ClaimLine.archived.is_(False))
            .order_by(ClaimLine.claim_id, ClaimLine.line_number)
        )
        for row in session.execute(query):
            found[row.claim_id].append(ScrubLine(*row))
    return found


def _load_billed(session: Session, data: ScrubData, patient_ids: Sequence[uuid.UUID]) -> None:
    """Index every live claim line of these patients by patient, payer, date and code."""
    billed: dict[tuple[Any, ...], set[tuple[str, uuid.UUID]]] = defaultdict(set)
    related: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
    for chunk in chunks(patient_ids):
        query = (
            select(
                Claim.id,
                Claim.claim_number,
                Claim.original_claim_id,
                Claim.patient_id,
                Claim.payer_id,
                ClaimLine.service_date,
                ClaimLine.procedure_code,
            )
            .join(ClaimLine, ClaimLine.claim_id == Claim.id)
            .where(
                Claim.patient_id.in_(chunk),
                Claim.archived.is_(False),
                Claim.status.not_in(DEAD_STATUS_VALUES),
                Claim.frequency_code != VOID_FREQUENCY,
                ClaimLine.archived.is_(False),
            )
        )
        for claim_id, number, original_id, patient_id, payer_id, day, code in session.execute(
            query
        ):
            billed[(patient_id, payer_id, day, code)].add((number, claim_id))
            if original_id is not None:
                related[claim_id].add(original_id)
                related[original_id].add(claim_id)
    data.billed = {
        key: BilledClaims(
            tuple(sorted(claims)), frozenset(claim_id for _number, claim_id in claims)
        )
        for key, claims in billed.items()
    }
    data.related = related


def _load_clearinghouses(session: Session, actor: Actor, data: ScrubData) -> None:
    for form in list_clearinghouses(session, actor):
        assert form.id is not None
        data.clearinghouses[form.id] = form
        data.clearinghouse_problems[form.id] = [
            problem.message
            for problem in check_clearinghouse(session, form)
            if problem.severity is Severity.ERROR
        ]


def _load_code_checks(
    session: Session, data: ScrubData, documents: Iterable[ClaimDocument]
) -> None:
    """Check each distinct diagnosis once per ICD-10-CM edition its dates of service use."""
    wanted: dict[date, set[str]] = defaultdict(set)
    for document in documents:
        codes = {code.strip().upper() for code in document.diagnoses}
        for line in document.lines:
            wanted[line.service_date] |= codes

    by_edition: dict[tuple[str, str], CodeCheck] = {}
    for day, codes in wanted.items():
        choice = icd10.edition_for(session, day)
        warnings = icd10.edition_problems(choice, day, "diagnoses")
        if warnings:
            data.edition_warnings[day] = warnings[0].message
        for code in codes:
            key = (choice.name, code)
            if key not in by_edition:
                by_edition[key] = _check_code(session, code, day)
            data.code_checks[(code, day)] = by_edition[key]


def _check_code(session: Session, code: str, day: date) -> CodeCheck:
    known = icd10.describe_code(session, code, day) is not None
    errors = [
        problem.message
        for problem in icd10.code_problems(session, code, day, "diagnoses")
        if problem.severity is Severity.ERROR
    ]
    return CodeCheck(
        known=known, billable=known and not errors, message=errors[0] if errors else ""
    )


def facts_for(claim: Claim, data: ScrubData) -> ClaimFacts:
    """Return the ClaimFacts of one claim from the bulk data."""
    return ClaimFacts(
        today=data.today,
        claim_id=claim.id,
        practice_id=data.practice_id,
        encounter_id=claim.encounter_id,
        patient_id=claim.patient_id,
        coverage_id=claim.coverage_id,
        payer_id=claim.payer_id,
        rendering_provider_id=claim.rendering_provider_id,
        location_id=claim.location_id,
        diagnosis_checks=data.code_checks,
        edition_warnings=data.edition_warnings,
        ndc_codes=data.ndc_codes,
    )


# ---- the edits -------------------------------------------------------------------------


def timely_filing_findings(claim: Claim, rules: PayerRules, data: ScrubData) -> list[Finding]:
    """Error past the payer's filing deadline, warning within 30 days of it."""
    payer = data.payers.get(claim.payer_id)
    if payer is None:
        return []
    deadline = filing_deadline(
        claim.service_date_from, payer.timely_filing_days, rules.timely_filing
    )
    left = (deadline - data.today).days
    if left > FILING_WARNING_DAYS:
        return []
    why = rules.timely_filing_why or WHY_TIMELY
    field_name = "payer.timely_filing_days"
    if left < 0:
        message = (
            f"The filing deadline of {payer.name} for {claim.service_date_from:%m/%d/%Y} was "
            f"{deadline:%m/%d/%Y}, {-left} days ago; send it only with proof of timely "
            "filing (such as an earlier acknowledgement), or write the charges off."
        )
        return [finding("timely_filing.past", message, why, field_name, payer.id)]
    message = (
        f"{left} days are left to file with {payer.name}: the deadline for "
        f"{claim.service_date_from:%m/%d/%Y} is {deadline:%m/%d/%Y}. Send the claim soon."
    )
    return [
        finding("timely_filing.soon", message, why, field_name, payer.id, severity=Severity.WARNING)
    ]


def authorization_findings(
    session: Session,
    actor: Actor,
    claim: Claim,
    rules: PayerRules,
    data: ScrubData,
) -> list[Finding]:
    """Check that an authorization on file covers each line whose code the payer lists."""
    encounter = data.encounters.get(claim.encounter_id)
    linked = None
    if encounter is not None and encounter.prior_authorization_id is not None:
        linked = data.authorizations.get(encounter.prior_authorization_id)
    findings: list[Finding] = []
    for line in data.lines.get(claim.id, []):
        if not matching_rules(rules.prior_authorization, line.procedure_code):
            continue
        if linked is not None:
            reason = _linked_gap(session, linked, claim, line)
        else:
            check = authorization_for(
                session,
                actor,
                claim.patient_id,
                claim.payer_id,
                line.service_date,
                line.procedure_code,
            )
            # A covering authorization that is not linked is reported by the payer rule
            # that requires the number on the claim.
            reason = None if check.covered else check.reason
        if reason:
            findings.append(
                finding(
                    "authorization.not_covered",
                    f"Line {line.line_number}: {reason}",
                    WHY_AUTHORIZATION,
                    "encounter.prior_authorization",
                    claim.encounter_id,
                    line.line_number,
                )
            )
    return findings


def _linked_gap(
    session: Session, authorization: PriorAuthorization, claim: Claim, line: ScrubLine
) -> str | None:
    """Say why the encounter's authorization does not cover the line, or None when it does.

    Units are not compared: scheduling already counted this visit against the
    authorization when it was booked.
    """
    number = authorization.authorization_number
    if authorization.archived:
        return f"authorization {number} on the encounter was removed; link a current one."
    if authorization.payer_id != claim.payer_id:
        return (
            f"authorization {number} on the encounter is from another payer than the one "
            "billed; link this payer's authorization or check the coverage."
        )
    if not authorization.starts_on <= line.service_date <= authorization.ends_on:
        return (
            f"authorization {number} runs {authorization.starts_on:%m/%d/%Y} to "
            f"{authorization.ends_on:%m/%d/%Y}, which does not include "
            f"{line.service_date:%m/%d/%Y}; ask the payer to extend it or link another."
        )
    codes = authorized_codes(session, authorization.id)
    if codes and line.procedure_code not in codes:
        return (
            f"authorization {number} does not list {line.procedure_code}; ask the payer to add "
            "the code or link another authorization."
        )
    return None


def duplicate_findings(claim: Claim, data: ScrubData) -> list[Finding]:
    """Warn when another live claim bills the same patient, payer, date and code."""
    findings: list[Finding] = []
    ignore = {claim.id, *data.related.get(claim.id, set())}
    for line in data.lines.get(claim.id, []):
        key = (claim.patient_id, claim.payer_id, line.service_date, line.procedure_code)
        others = _other_claims(data.billed.get(key), ignore)
        if not others:
            continue
        message = (
            f"Line {line.line_number}: {line.procedure_code} on {line.service_date:%m/%d/%Y} "
            f"is also billed to this payer on claim {others}; void one of them, or add "
            "modifier 76 or 77 if the service was repeated."
        )
        findings.append(
            finding(
                "duplicate.claim",
                message,
                WHY_DUPLICATE,
                "encounter.lines",
                claim.encounter_id,
                line.line_number,
                severity=Severity.WARNING,
            )
        )
    return findings


def _other_claims(billed: BilledClaims | None, ignore: set[uuid.UUID]) -> str:
    """Name up to MAX_NAMED_CLAIMS of the billing claims outside `ignore`, and count the rest.

    Returns "" when no other claim bills the line. Only the first entries of the sorted
    list are read, so a line billed on thousands of claims stays cheap.
    """
    if billed is None:
        return ""
    count = len(billed.ids) - len(billed.ids & ignore)
    if count == 0:
        return ""
    shown: list[str] = []
    for number, claim_id in billed.numbers:
        if len(shown) == MAX_NAMED_CLAIMS:
            break
        if claim_id not in ignore:
            shown.append(number)
    more = count - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more else "")


def eligibility_findings(claim: Claim, data: ScrubData) -> list[Finding]:
    """Warn when the billed coverage's eligibility was not checked for the date of service."""
    coverage = data.coverages.get(claim.coverage_id)
    if coverage is None:
        return []
    checked_on = coverage.eligibility_checked_on
    max_age = data.eligibility_max_age_days
    if not check_is_stale(checked_on, claim.service_date_from, max_age):
        return []

    payer = data.payers.get(claim.payer_id)
    payer_name = payer.name if payer is not None else "the payer"
    day = f"{claim.service_date_from:%m/%d/%Y}"
    if checked_on is None:
        when = f"was never checked for the date of service {day}"
    else:
        when = (
            f"was last checked {checked_on:%m/%d/%Y}, more than {max_age} days before the "
            f"date of service {day}"
        )
    message = (
        f"Eligibility of the coverage with {payer_name} {when}; check it with the payer and "
        "record the check on the patient's insurance."
    )

    return [
        finding(
            "eligibility.not_verified",
            message,
            WHY_ELIGIBILITY,
            "coverage.dates",
            claim.coverage_id,
            severity=Severity.WARNING,
        )
    ]


def reversed_charge_findings(claim: Claim, data: ScrubData) -> list[Finding]:
    """Error for each line whose charge was reversed on the ledger after the claim was built."""
    return [
        finding(
            "charges.changed",
            f"Line {line.line_number} ({line.procedure_code}) bills a charge that was reversed "
            "after the claim was built; rebuild the claim from the current charges.",
            WHY_REVERSED,
            "encounter.lines",
            claim.encounter_id,
            line.line_number,
        )
        for line in data.lines.get(claim.id, [])
        if line.charge_line_id in data.reversed_charge_lines
    ]


def clearinghouse_findings(claim: Claim, data: ScrubData) -> list[Finding]:
    """Warn when the payer has no clearinghouse, and error when its settings are incomplete."""
    payer = data.payers.get(claim.payer_id)
    if payer is None:
        return []
    clearinghouse_id = payer.clearinghouse_id
    if clearinghouse_id is None and len(data.clearinghouses) == 1:
        clearinghouse_id = next(iter(data.clearinghouses))
    form = data.clearinghouses.get(clearinghouse_id) if clearinghouse_id is not None else None
    if form is None or clearinghouse_id is None:
        message = (
            f"Payer {payer.name} has no clearinghouse, so this claim can only be printed; "
            "choose the clearinghouse in Admin, Payers to send it electronically."
        )
        return [
            finding(
                "clearinghouse.missing",
                message,
                WHY_NO_CLEARINGHOUSE,
                "payer.clearinghouse",
                payer.id,
                severity=Severity.WARNING,
            )
        ]
    problems = data.clearinghouse_problems.get(clearinghouse_id, [])
    if not problems:
        return []
    message = (
        f"The settings of clearinghouse {form.name} are incomplete: {problems[0]} Fix them in "
        "Admin, Clearinghouses."
    )
    return [
        finding(
            "clearinghouse.settings",
            message,
            WHY_CLEARINGHOUSE_SETTINGS,
            "clearinghouse.settings",
            clearinghouse_id,
        )
    ]


def business_findings(
    session: Session, actor: Actor, claim: Claim, rules: PayerRules, data: ScrubData
) -> list[Finding]:
    """Run every database-backed edit on one claim."""
    return [
        *timely_filing_findings(claim, rules, data),
        *authorization_findings(session, actor, claim, rules, data),
        *duplicate_findings(claim, data),
        *eligibility_findings(claim, data),
        *reversed_charge_findings(claim, data),
        *clearinghouse_findings(claim, data),
    ]
