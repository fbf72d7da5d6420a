"""Payer-specific claim scrub rules, driven by the payer rule files (payer_rules.py).

Each message names the rule file that asked for the check, so an administrator who
disagrees with a finding can find the file to change.
"""

from collections import defaultdict
from datetime import date
from uuid import UUID

from app.services.claim_scrub_parties import REFERRING_FIELD
from app.services.claim_scrub_rules import (
    LINES_FIELD,
    WHY_NDC,
    ClaimFacts,
    Finding,
    finding,
    ndc_findings,
)
from app.services.payer_rules import CodeRule, PayerRules, matching_rules
from app.validators import taxonomy_problems
from app.x12.claim_data import ClaimDocument, ServiceLine

AUTHORIZATION_FIELD = "encounter.prior_authorization"
PRACTICE_TAXONOMY_FIELD = "practice.taxonomy_code"
PROVIDER_TAXONOMY_FIELD = "provider.taxonomy_code"
WHY_TAXONOMY_FORMAT = (
    "A taxonomy code has 9 letters or digits and a final X; payers reject any other value "
    "in the PRV segment."
)


def _label(line: ServiceLine) -> str:
    return f"Line {line.line_number} ({line.procedure_code})"


def _listed_code_findings(
    document: ClaimDocument,
    rules: tuple[CodeRule, ...],
    rule_code: str,
    target: tuple[str, UUID | None],
    wording: tuple[str, str],
) -> list[Finding]:
    """Report each line whose code a rule lists; `wording` is what the line needs and the fix."""
    need, fix = wording
    field_name, record_id = target
    findings: list[Finding] = []
    for line in document.lines:
        for rule in matching_rules(rules, line.procedure_code):
            message = (
                f"{_label(line)} needs {need} for {document.payer.name} (rule in {rule.source}); "
                f"{fix}"
            )
            findings.append(
                finding(rule_code, message, rule.why, field_name, record_id, line.line_number)
            )
    return findings


def referring_findings(
    document: ClaimDocument, rules: PayerRules, facts: ClaimFacts
) -> list[Finding]:
    """Require a referring provider when a line's code is listed by the payer's rules."""
    if document.referring_provider is not None:
        return []
    return _listed_code_findings(
        document,
        rules.referring_provider,
        "payer.referring_provider",
        (REFERRING_FIELD, facts.encounter_id),
        (
            "the ordering or referring provider",
            "choose the referring provider on the encounter.",
        ),
    )


def authorization_findings(
    document: ClaimDocument, rules: PayerRules, facts: ClaimFacts
) -> list[Finding]:
    """Require a prior authorization number when a line's code is listed by the payer's rules."""
    if (document.prior_authorization or "").strip():
        return []
    return _listed_code_findings(
        document,
        rules.prior_authorization,
        "payer.prior_authorization",
        (AUTHORIZATION_FIELD, facts.encounter_id),
        (
            "a prior authorization number",
            "link the patient's authorization on the encounter, or record the one the payer "
            "issued.",
        ),
    )


def taxonomy_findings(
    document: ClaimDocument, rules: PayerRules, facts: ClaimFacts
) -> list[Finding]:
    """Check the billing and rendering taxonomy codes: required by rule, valid when present."""
    rendering = document.rendering_provider
    holders = (
        (
            "The practice",
            document.billing_provider.taxonomy_code,
            PRACTICE_TAXONOMY_FIELD,
            facts.practice_id,
        ),
        (
            f"Rendering provider {rendering.first_name} {rendering.last_name}",
            rendering.taxonomy_code,
            PROVIDER_TAXONOMY_FIELD,
            facts.rendering_provider_id,
        ),
    )
    findings: list[Finding] = []
    for who, code, field_name, record_id in holders:
        if not (code or "").strip():
            if rules.taxonomy_required:
                message = (
                    f"{who} has no taxonomy code, which {document.payer.name} requires (rule in "
                    f"{_taxonomy_source(rules)}); enter it from the NPPES record."
                )
                findings.append(
                    finding("payer.taxonomy", message, rules.taxonomy_why, field_name, record_id)
                )
            continue
        findings += [
            finding(
                "taxonomy.format",
                f"{who}: {problem.message}",
                WHY_TAXONOMY_FORMAT,
                field_name,
                record_id,
            )
            for problem in taxonomy_problems(code, field_name)
        ]
    return findings


def _taxonomy_source(rules: PayerRules) -> str:
    # The last file that applies decides the taxonomy setting; name the matched file if any.
    return rules.sources[-1] if rules.sources else "the payer rules"


def drug_findings(document: ClaimDocument, rules: PayerRules, facts: ClaimFacts) -> list[Finding]:
    """Check the NDC of lines the practice marks as drugs or the payer's rules list."""
    findings: list[Finding] = []
    for line in document.lines:
        code = line.procedure_code.strip().upper()
        if code in facts.ndc_codes:
            findings += ndc_findings(line, WHY_NDC, facts)
            continue
        listed = matching_rules(rules.ndc, code)
        if listed:
            findings += ndc_findings(line, f"{listed[0].why} (Rule in {listed[0].source}.)", facts)
    return findings


def unit_limit_findings(
    document: ClaimDocument, rules: PayerRules, facts: ClaimFacts
) -> list[Finding]:
    """Check the units of each code per day against the payer's maximums."""
    findings: list[Finding] = []
    for limit in rules.unit_limits:
        totals: dict[tuple[str, date], list[ServiceLine]] = defaultdict(list)
        for line in document.lines:
            if limit.codes.matches(line.procedure_code):
                totals[(line.procedure_code, line.service_date)].append(line)
        for (code, day), lines in totals.items():
            units = sum(line.units for line in lines)
            if units <= limit.max_units:
                continue
            message = (
                f"{code} is billed for {units} units on {day:%m/%d/%Y}, more than the "
                f"{limit.max_units} {document.payer.name} pays per day (rule in {limit.source}); "
                "correct the units, or add the modifier the payer accepts for a separate service."
            )
            findings.append(
                finding(
                    "payer.max_units",
                    message,
                    limit.why,
                    LINES_FIELD,
                    facts.encounter_id,
                    lines[0].line_number,
                )
            )
    return findings


def modifier_requirement_findings(
    document: ClaimDocument, rules: PayerRules, facts: ClaimFacts
) -> list[Finding]:
    """Require one of the listed modifiers on lines whose code the payer's rules list."""
    findings: list[Finding] = []
    for line in document.lines:
        present = {modifier.strip().upper() for modifier in line.modifiers}
        for requirement in rules.required_modifiers:
            if (
                not requirement.codes.matches(line.procedure_code)
                or present & requirement.modifiers
            ):
                continue
            choices = " or ".join(sorted(requirement.modifiers))
            message = (
                f"{_label(line)} needs modifier {choices} for {document.payer.name} (rule in "
                f"{requirement.source}); add it to the charge line."
            )
            findings.append(
                finding(
                    "payer.modifier",
                    message,
                    requirement.why,
                    LINES_FIELD,
                    facts.encounter_id,
                    line.line_number,
                )
            )
    return findings


def payer_findings(document: ClaimDocument, rules: PayerRules, facts: ClaimFacts) -> list[Finding]:
    """Run every payer-specific rule."""
    return [
        *referring_findings(document, rules, facts),
        *authorization_findings(document, rules, facts),
        *taxonomy_findings(document, rules, facts),
        *drug_findings(document, rules, facts),
        *unit_limit_findings(document, rules, facts),
        *modifier_requirement_findings(document, rules, facts),
    ]
