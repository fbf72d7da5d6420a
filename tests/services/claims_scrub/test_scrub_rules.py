"""The claim rules that need only the claim: one failing and one passing case per rule."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from decimal import Decimal

import pytest

from app.problems import Severity
from app.services.claim_scrub import scrub_document
from app.services.claim_scrub_rules import ClaimFacts, Finding
from app.services.payer_rules import PayerRules
from app.x12.claim_data import Address, ClaimDocument
from tests.services.claims_scrub.scrub_facts import IDS, TODAY, facts_for
from tests.x12.claim_samples import (
    ANNEX,
    DIAGNOSES,
    REFERRING_PROVIDER,
    ClaimOptions,
    build_claim,
    dependent_claim,
    sample_claims,
    secondary_claim,
    subscriber_claim,
)

NO_PAYER_RULES = PayerRules()
FIVE_DIGIT_ANNEX = replace(ANNEX.address, zip_code="62704")
Mutation = Callable[[ClaimDocument], ClaimDocument]


def scrub(document: ClaimDocument, facts: ClaimFacts | None = None) -> list[Finding]:
    return scrub_document(document, facts or facts_for(document), NO_PAYER_RULES)


def with_line(document: ClaimDocument, index: int = 0, **changes: object) -> ClaimDocument:
    """Change one line and keep the claim total equal to the sum of the lines."""
    lines = list(document.lines)
    lines[index] = replace(lines[index], **changes)  # type: ignore[arg-type]
    total = sum((line.charge_amount for line in lines), Decimal(0))
    return replace(document, lines=tuple(lines), total_charge=total)


def many_lines(count: int) -> ClaimDocument:
    document = subscriber_claim()
    first = document.lines[0]
    lines = tuple(
        replace(first, line_number=number, line_control_number=f"L{number}")
        for number in range(1, count + 1)
    )
    total = first.charge_amount * count
    return replace(document, lines=lines, total_charge=total)


def on_patient(document: ClaimDocument, **changes: object) -> ClaimDocument:
    """Change the patient, who is also the subscriber on the sample claim."""
    person = replace(document.patient, **changes)  # type: ignore[arg-type]
    return replace(document, patient=person, subscriber=person)


def on_billing(document: ClaimDocument, **changes: object) -> ClaimDocument:
    provider = replace(document.billing_provider, **changes)  # type: ignore[arg-type]
    return replace(document, billing_provider=provider)


def on_billing_address(document: ClaimDocument, **changes: object) -> ClaimDocument:
    address = replace(document.billing_provider.address, **changes)  # type: ignore[arg-type]
    return on_billing(document, address=address)


def on_first_other_payer(document: ClaimDocument, **changes: object) -> ClaimDocument:
    other = replace(document.other_payers[0], **changes)  # type: ignore[arg-type]
    return replace(document, other_payers=(other, *document.other_payers[1:]))


def overpaid_first_line(document: ClaimDocument) -> ClaimDocument:
    line = document.lines[0]
    adjudication = replace(line.adjudications[0], paid_amount=line.adjudications[0].paid_amount + 1)
    return with_line(document, 0, adjudications=(adjudication,))


@dataclass(frozen=True)
class Case:
    """A claim that breaks one rule: the rule code, field, record and severity expected."""

    name: str
    rule: str
    mutate: Mutation
    field: str
    record: str | None
    severity: Severity = Severity.ERROR
    base: Callable[[], ClaimDocument] = subscriber_claim
    line_number: int | None = None


FAILING = [
    Case("blank claim number", "claim.number", lambda d: replace(d, claim_number=""),
         "claim.claim_number", "claim"),
    Case("21-character claim number", "claim.number", lambda d: replace(d, claim_number="C" * 21),
         "claim.claim_number", "claim"),
    Case("total off by a cent", "claim.total",
         lambda d: replace(d, total_charge=d.total_charge + Decimal("0.01")),
         "claim.total_charge", "claim"),
    Case("no lines", "claim.line_count", lambda d: replace(d, lines=(), total_charge=Decimal(0)),
         "encounter.lines", "encounter"),
    Case("51 lines", "claim.line_count", lambda d: many_lines(51), "encounter.lines", "encounter"),
    Case("no diagnoses", "diagnosis.count", lambda d: replace(d, diagnoses=()),
         "encounter.diagnoses", "encounter"),
    Case("13 diagnoses", "diagnosis.count", lambda d: replace(d, diagnoses=(*DIAGNOSES, "R05")),
         "encounter.diagnoses", "encounter"),
    Case("repeated diagnosis", "diagnosis.duplicate",
         lambda d: replace(d, diagnoses=("J069", "J069")), "encounter.diagnoses", "encounter"),
    Case("unknown diagnosis", "diagnosis.invalid",
         lambda d: replace(d, diagnoses=("J069", "U999")), "encounter.diagnoses", "encounter"),
    Case("category diagnosis", "diagnosis.not_billable",
         lambda d: replace(d, diagnoses=("J069", "E11")), "encounter.diagnoses", "encounter"),
    Case("no pointers", "line.pointer_count", lambda d: with_line(d, 0, pointers=()),
         "encounter.lines", "encounter", line_number=1),
    Case("five pointers", "line.pointer_count",
         lambda d: with_line(replace(d, diagnoses=DIAGNOSES[:5]), 0, pointers=(1, 2, 3, 4, 5)),
         "encounter.lines", "encounter", line_number=1),
    Case("pointer past diagnoses", "line.pointer_range", lambda d: with_line(d, 1, pointers=(3,)),
         "encounter.lines", "encounter", line_number=2),
    Case("pointer zero", "line.pointer_range", lambda d: with_line(d, 1, pointers=(0,)),
         "encounter.lines", "encounter", line_number=2),
    Case("repeated pointer", "line.pointer_repeat", lambda d: with_line(d, 0, pointers=(1, 1)),
         "encounter.lines", "encounter", line_number=1),
    Case("zero units", "line.units", lambda d: with_line(d, 0, units=0),
         "encounter.lines", "encounter", line_number=1),
    Case("negative charge", "line.charge_negative",
         lambda d: with_line(d, 0, charge_amount=Decimal("-1.00")),
         "encounter.lines", "encounter", line_number=1),
    Case("zero charge", "line.charge_zero",
         lambda d: with_line(d, 0, charge_amount=Decimal("0.00")),
         "encounter.lines", "encounter", Severity.WARNING, line_number=1),
    Case("five modifiers", "line.modifier_count",
         lambda d: with_line(d, 0, modifiers=("25", "59", "XE", "XS", "XU")),
         "encounter.lines", "encounter", line_number=1),
    Case("one-character modifier", "line.modifier_format",
         lambda d: with_line(d, 0, modifiers=("2",)),
         "encounter.lines", "encounter", line_number=1),
    Case("modifier with a hyphen", "line.modifier_format",
         lambda d: with_line(d, 0, modifiers=("G-",)),
         "encounter.lines", "encounter", line_number=1),
    Case("future date", "line.date_future",
         lambda d: with_line(d, 0, service_date=TODAY + timedelta(days=1)),
         "encounter.lines", "encounter", line_number=1),
    Case("date before birth", "line.date_before_birth",
         lambda d: on_patient(d, date_of_birth=d.lines[0].service_date + timedelta(days=1)),
         "encounter.lines", "encounter", line_number=1),
    Case("billing NPI blank", "npi.missing", lambda d: on_billing(d, npi=""),
         "practice.billing_npi", "practice"),
    Case("billing NPI check digit", "npi.luhn", lambda d: on_billing(d, npi="1234567890"),
         "practice.billing_npi", "practice"),
    Case("rendering NPI short", "npi.format",
         lambda d: replace(d, rendering_provider=replace(d.rendering_provider, npi="12345")),
         "provider.npi", "provider"),
    Case("rendering NPI starts with 3", "npi.format",
         lambda d: replace(d, rendering_provider=replace(d.rendering_provider, npi="3234567893")),
         "provider.npi", "provider"),
    Case("referring NPI check digit", "npi.luhn",
         lambda d: replace(d, referring_provider=replace(REFERRING_PROVIDER, npi="1678901237")),
         "encounter.referring_provider", "encounter"),
    Case("five-digit billing ZIP", "billing.zip", lambda d: on_billing_address(d, zip_code="62701"),
         "practice.address", "practice"),
    Case("billing PO box", "billing.po_box", lambda d: on_billing_address(d, line1="P.O. Box 12"),
         "practice.address", "practice"),
    Case("billing lock box on line 2", "billing.po_box",
         lambda d: on_billing_address(d, line2="Lockbox 7781"), "practice.address", "practice"),
    Case("EIN missing", "billing.ein", lambda d: on_billing(d, ein=""), "practice.ein", "practice"),
    Case("EIN of 8 digits", "billing.ein", lambda d: on_billing(d, ein="37123456"),
         "practice.ein", "practice"),
    Case("facility with five-digit ZIP", "facility.zip",
         lambda d: replace(d, service_facility=replace(ANNEX, address=FIVE_DIGIT_ANNEX)),
         "location.address", "location"),
    Case("patient without last name", "patient.name", lambda d: on_patient(d, last_name=" "),
         "patient.name", "patient"),
    Case("patient without birth date", "patient.date_of_birth",
         lambda d: on_patient(d, date_of_birth=None), "patient.date_of_birth", "patient"),
    Case("patient sex X", "patient.sex", lambda d: on_patient(d, sex="X"),
         "patient.sex", "patient"),
    Case("patient without address", "patient.address", lambda d: on_patient(d, address=None),
         "patient.address", "patient"),
    Case("patient address without city", "patient.address",
         lambda d: on_patient(d, address=Address("1 Elm St", "", "", "IL", "62702")),
         "patient.address", "patient"),
    Case("subscriber without first name", "subscriber.name",
         lambda d: replace(d, subscriber=replace(d.subscriber, first_name="")),
         "coverage.subscriber", "coverage", base=dependent_claim),
    Case("member id blank", "coverage.member_id", lambda d: replace(d, member_id=" "),
         "coverage.member_id", "coverage"),
    Case("payer id blank", "payer.payer_code",
         lambda d: replace(d, payer=replace(d.payer, payer_code="")), "payer.payer_code", "payer"),
    Case("frequency 3", "claim.frequency", lambda d: replace(d, frequency_code="3"),
         "claim.frequency", "claim"),
    Case("replacement without payer number", "claim.payer_claim_number",
         lambda d: replace(d, frequency_code="7", payer_claim_number=None),
         "claim.payer_claim_number", "claim"),
    Case("void without payer number", "claim.payer_claim_number",
         lambda d: replace(d, frequency_code="8", payer_claim_number=" "),
         "claim.payer_claim_number", "claim"),
    Case("original with payer number", "claim.payer_claim_number",
         lambda d: replace(d, payer_claim_number="PHP123"), "claim.payer_claim_number", "claim"),
    Case("primary not adjudicated", "cob.not_adjudicated",
         lambda d: on_first_other_payer(d, paid_amount=None), "claim.other_payers", "claim",
         base=secondary_claim),
    Case("primary without date", "cob.not_adjudicated",
         lambda d: on_first_other_payer(d, adjudicated_on=None), "claim.other_payers", "claim",
         base=secondary_claim),
    Case("line paid off balance", "cob.line_unbalanced", overpaid_first_line,
         "claim.other_payers", "claim", base=secondary_claim, line_number=1),
    Case("claim paid off balance", "cob.claim_unbalanced",
         lambda d: on_first_other_payer(d, paid_amount=d.other_payers[0].paid_amount + 1),
         "claim.other_payers", "claim", base=secondary_claim),
]  # fmt: skip

PASSING = [
    ("20-character claim number", "claim.number", lambda d: replace(d, claim_number="C" * 20)),
    ("total with fewer decimals", "claim.total",
     lambda d: replace(d, total_charge=d.total_charge.quantize(Decimal(1)))),
    ("50 lines", "claim.line_count", lambda d: many_lines(50)),
    ("12 diagnoses", "diagnosis.count", lambda d: replace(d, diagnoses=DIAGNOSES)),
    ("four pointers", "line.pointer_count",
     lambda d: with_line(replace(d, diagnoses=DIAGNOSES[:4]), 0, pointers=(4, 3, 2, 1))),
    ("zero charge", "line.charge_negative", lambda d: with_line(d, 0, charge_amount=Decimal(0))),
    ("four modifiers", "line.modifier_count",
     lambda d: with_line(d, 0, modifiers=("25", "59", "XE", "GP"))),
    ("service today", "line.date_future", lambda d: with_line(d, 0, service_date=TODAY)),
    ("service on birth date", "line.date_before_birth",
     lambda d: on_patient(d, date_of_birth=d.lines[0].service_date)),
    ("ZIP+4 with hyphen", "billing.zip", lambda d: on_billing_address(d, zip_code="62701-1234")),
    ("street named Boxwood", "billing.po_box",
     lambda d: on_billing_address(d, line1="1200 Boxwood Dr")),
    ("replacement with payer number", "claim.payer_claim_number",
     lambda d: replace(d, frequency_code="7", payer_claim_number="PHP123")),
    ("void with payer number", "claim.payer_claim_number",
     lambda d: replace(d, frequency_code="8", payer_claim_number="PHP123")),
    ("facility at billing address", "facility.zip",
     lambda d: replace(d, service_facility=replace(d.service_facility, name="Other name"))),
]  # fmt: skip


@pytest.mark.parametrize("document", sample_claims(), ids=lambda d: d.claim_number)
def test_sample_claims_pass(document: ClaimDocument) -> None:
    assert scrub(document) == []


@pytest.mark.parametrize("case", FAILING, ids=lambda case: case.name)
def test_rule_reports_broken_claim(case: Case) -> None:
    document = case.mutate(case.base())

    found = [item for item in scrub(document) if item.rule == case.rule]

    assert found, f"expected {case.rule}"
    item = found[0]
    assert item.field == case.field
    assert item.record_id == (IDS[case.record] if case.record else None)
    assert item.severity is case.severity
    assert item.line_number == case.line_number
    assert item.message.endswith(".")
    assert item.why


@pytest.mark.parametrize(("name", "rule", "mutate"), PASSING, ids=[row[0] for row in PASSING])
def test_rule_accepts_edge_case(name: str, rule: str, mutate: Mutation) -> None:
    document = mutate(subscriber_claim())

    assert [item.rule for item in scrub(document) if item.rule == rule] == [], name


def test_messages_name_the_value() -> None:
    document = with_line(subscriber_claim(), 1, pointers=(3,))
    document = on_billing(document, npi="1234567890")

    messages = {item.rule: item.message for item in scrub(document)}

    assert "Line 2 (99214)" in messages["line.pointer_range"]
    assert "1234567890" in messages["npi.luhn"]


def test_unchecked_diagnosis_is_an_error() -> None:
    document = subscriber_claim()
    facts = replace(facts_for(document), diagnosis_checks={})

    rules = {item.rule for item in scrub(document, facts)}

    assert rules == {"diagnosis.unchecked"}


def test_edition_warning_once_per_date() -> None:
    document = subscriber_claim()
    day = document.lines[0].service_date
    facts = replace(facts_for(document), edition_warnings={day: "No edition covers it."})

    found = [item for item in scrub(document, facts) if item.rule == "diagnosis.edition"]

    assert len(found) == 1
    assert found[0].severity is Severity.WARNING
    assert found[0].field == "code_sets.icd10"
    assert found[0].record_id is None


def test_drug_code_needs_ndc() -> None:
    document = subscriber_claim()
    facts = replace(facts_for(document), ndc_codes=frozenset({"99214"}))

    found = [item for item in scrub(document, facts) if item.rule == "line.ndc"]

    assert [item.line_number for item in found] == [2]
    assert "no NDC" in found[0].message


@pytest.mark.parametrize(
    ("ndc", "quantity", "unit", "expected"),
    [
        ("0777-3105-02", "1", "ML", "not 11 digits"),
        ("0077731050", "1", "ML", "not 11 digits"),
        ("00777310502", None, "ML", "no drug quantity"),
        ("00777310502", "1", "", "no drug quantity"),
        ("00777310502", "1", "ML", None),
    ],
)
def test_ndc_form(ndc: str, quantity: str | None, unit: str, expected: str | None) -> None:
    document = with_line(subscriber_claim(), 1, ndc_code=ndc, ndc_quantity=quantity, ndc_unit=unit)
    facts = replace(facts_for(document), ndc_codes=frozenset({"99214"}))

    messages = [item.message for item in scrub(document, facts) if item.rule == "line.ndc"]

    if expected is None:
        assert messages == []
    else:
        assert len(messages) == 1
        assert expected in messages[0]


def test_later_payer_needs_no_adjudication() -> None:
    # A tertiary payer listed on a claim to the secondary has not been billed yet.
    document = secondary_claim()
    tertiary = replace(
        document.other_payers[0], payer_sequence="T", paid_amount=None, adjudicated_on=None
    )
    document = replace(document, other_payers=(*document.other_payers, tertiary))

    assert [item.rule for item in scrub(document) if item.rule.startswith("cob.")] == []


def test_claim_level_balance_without_lines() -> None:
    document = build_claim(ClaimOptions(other_payer_count=1, line_adjudication=False))
    broken = on_first_other_payer(document, claim_adjustments=())

    assert scrub(document) == []
    assert [item.rule for item in scrub(broken)] == ["cob.claim_unbalanced"]


def test_line_rules_cover_every_line() -> None:
    document = subscriber_claim()
    lines = tuple(replace(line, units=0) for line in document.lines)
    document = replace(document, lines=lines)

    found = [item.line_number for item in scrub(document) if item.rule == "line.units"]

    assert found == [1, 2]


def test_dependent_patient_checked_not_subscriber() -> None:
    document = dependent_claim()
    document = replace(document, patient=replace(document.patient, sex=""))

    found = [item for item in scrub(document) if item.rule == "patient.sex"]

    assert [item.field for item in found] == ["patient.sex"]
