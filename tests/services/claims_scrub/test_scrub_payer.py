"""Payer-specific rules from the rule files: referring provider, authorization, taxonomy,
NDC, daily units and modifiers, each failing and passing."""

import tomllib
from dataclasses import replace

from app.services.claim_scrub import scrub_document
from app.services.claim_scrub_rules import Finding
from app.services.payer_rules import (
    PayerRules,
    bundled_rules_folder,
    load_payer_rules,
    parse_rule_file,
)
from app.x12.claim_data import ClaimDocument
from tests.services.claims_scrub.scrub_facts import IDS, facts_for
from tests.x12.claim_samples import (
    ClaimOptions,
    build_claim,
    ndc_claim,
    subscriber_claim,
)

BOOK = load_payer_rules([bundled_rules_folder()])
MEDICARE = BOOK.rules_for("MEDICARE", "MB")
MEDICAID = BOOK.rules_for("ILMCD", "MC")
DEFAULT = BOOK.rules_for("PHP01", "CI")


def rules_from(text: str) -> PayerRules:
    rule_file = parse_rule_file("test.toml", tomllib.loads(text))
    return replace(BOOK, files=(rule_file,)).rules_for("X", "CI")


def found(document: ClaimDocument, rules: PayerRules, rule: str) -> list[Finding]:
    return [
        item for item in scrub_document(document, facts_for(document), rules) if item.rule == rule
    ]


def lab_claim(referring: bool) -> ClaimDocument:
    # The third sample line is 85025, a lab code on Medicare's referring provider list.
    return build_claim(ClaimOptions(line_count=3, diagnosis_count=3, referring=referring))


def test_medicare_lab_needs_referring() -> None:
    items = found(lab_claim(referring=False), MEDICARE, "payer.referring_provider")

    assert [item.line_number for item in items] == [3]
    assert items[0].field == "encounter.referring_provider"
    assert items[0].record_id == IDS["encounter"]
    assert "medicare.toml" in items[0].message
    assert "ordering or referring provider" in items[0].why


def test_medicare_lab_with_referring_passes() -> None:
    assert found(lab_claim(referring=True), MEDICARE, "payer.referring_provider") == []


def test_commercial_lab_needs_no_referring() -> None:
    assert found(lab_claim(referring=False), DEFAULT, "payer.referring_provider") == []


def test_listed_code_needs_authorization() -> None:
    rules = rules_from(
        '[match]\npayer_codes = ["X"]\n'
        '[prior_authorization]\ncodes = ["99214"]\nwhy = "Approval first."\n'
    )
    document = subscriber_claim()

    items = found(document, rules, "payer.prior_authorization")

    assert [(item.line_number, item.field) for item in items] == [
        (2, "encounter.prior_authorization")
    ]
    assert items[0].why == "Approval first."
    assert (
        found(replace(document, prior_authorization="PA1"), rules, "payer.prior_authorization")
        == []
    )


def test_medicaid_requires_taxonomy() -> None:
    document = subscriber_claim()
    document = replace(
        document,
        billing_provider=replace(document.billing_provider, taxonomy_code=None),
        rendering_provider=replace(document.rendering_provider, taxonomy_code=""),
    )

    items = found(document, MEDICAID, "payer.taxonomy")

    assert [(item.field, item.record_id) for item in items] == [
        ("practice.taxonomy_code", IDS["practice"]),
        ("provider.taxonomy_code", IDS["provider"]),
    ]
    assert found(document, DEFAULT, "payer.taxonomy") == []
    assert found(subscriber_claim(), MEDICAID, "payer.taxonomy") == []


def test_malformed_taxonomy_always_reported() -> None:
    document = subscriber_claim()
    document = replace(
        document, billing_provider=replace(document.billing_provider, taxonomy_code="207Q0000")
    )

    items = found(document, DEFAULT, "taxonomy.format")

    assert [item.field for item in items] == ["practice.taxonomy_code"]
    assert "207Q0000" in items[0].message


def test_medicaid_drug_line_needs_ndc() -> None:
    document = ndc_claim()
    drug_line = document.lines[-1]
    without_ndc = replace(document, lines=(*document.lines[:-1], replace(drug_line, ndc_code=None)))

    items = found(without_ndc, MEDICAID, "line.ndc")

    assert [item.line_number for item in items] == [drug_line.line_number]
    assert "medicaid.toml" in items[0].why
    assert found(without_ndc, DEFAULT, "line.ndc") == []
    assert found(document, MEDICAID, "line.ndc") == []


def test_units_over_daily_maximum() -> None:
    # The second sample line bills 99214 for 2 units; default.toml allows 1 visit a day.
    document = subscriber_claim()

    items = found(document, DEFAULT, "payer.max_units")

    assert [item.line_number for item in items] == [2]
    assert "2 units" in items[0].message
    one_unit = replace(document.lines[1], units=1)
    assert (
        found(replace(document, lines=(document.lines[0], one_unit)), DEFAULT, "payer.max_units")
        == []
    )


def test_units_add_up_across_lines() -> None:
    document = subscriber_claim()
    twin = replace(document.lines[0], line_number=3, line_control_number="X-3")
    document = replace(document, lines=(*document.lines, twin))

    items = found(document, DEFAULT, "payer.max_units")

    assert [item.message.split(" is billed")[0] for item in items] == ["99213", "99214"]
    assert [item.line_number for item in items] == [1, 2]


def test_therapy_code_needs_modifier() -> None:
    document = subscriber_claim()
    therapy = replace(document.lines[1], procedure_code="97110", modifiers=())
    document = replace(document, lines=(document.lines[0], therapy))

    items = found(document, MEDICARE, "payer.modifier")

    assert [item.line_number for item in items] == [2]
    assert "GN or GO or GP" in items[0].message
    with_gp = replace(therapy, modifiers=("GP",))
    assert (
        found(replace(document, lines=(document.lines[0], with_gp)), MEDICARE, "payer.modifier")
        == []
    )
