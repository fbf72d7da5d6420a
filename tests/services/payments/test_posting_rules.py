"""The built-in posting table, a practice's overrides, and the admin services for them."""

import uuid
from collections.abc import Iterator
from decimal import Decimal

import pytest

from app.errors import NotFoundError, PermissionDeniedError
from app.problems import Severity
from app.services.claim_cob import AdjudicationForm, AdjustmentForm, LineAdjudicationForm
from app.services.line_balances import Bucket
from app.services.outcomes import SaveOutcome
from app.services.posting_rules import (
    ACTIONS,
    ANY_REASON,
    PostingRuleForm,
    action_for,
    built_in_rules,
    default_action,
    delete_rule,
    list_rules,
    load_rules,
    save_rule,
)
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    PAID_ON,
    claim_buckets,
    ledger_findings,
    module_claim_practice,
    new_claim,
    new_patient,
    record_and_post,
)

D = Decimal


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


def save(practice: ClaimPractice, form: PostingRuleForm) -> SaveOutcome:
    with practice.database.transaction() as session:
        return save_rule(session, practice.charge.manager, form)


def saved_id(practice: ClaimPractice, form: PostingRuleForm) -> uuid.UUID:
    outcome = save(practice, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def delete(practice: ClaimPractice, rule_id: uuid.UUID) -> None:
    with practice.database.transaction() as session:
        delete_rule(session, practice.charge.manager, rule_id)


def lookup(practice: ClaimPractice, payer_id: uuid.UUID | None, group: str, reason: str) -> str:
    with practice.database.reading() as session:
        return action_for(session, payer_id, group, reason)


# ---- the built-in table ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("group", "reason", "action"),
    [
        ("CO", "45", "write_off"),
        ("CO", "253", "write_off"),
        ("PI", "45", "write_off"),
        ("CO", "16", "denial"),
        ("CO", "22", "denial"),
        ("CO", "27", "denial"),
        ("CO", "29", "denial"),
        ("CO", "50", "denial"),
        ("CO", "96", "denial"),
        ("CO", "197", "denial"),
        ("CO", "204", "denial"),
        ("PI", "197", "denial"),
        ("CO", "18", "review"),
        ("CO", "97", "write_off_flag"),
        ("PI", "97", "write_off_flag"),
        ("PR", "1", "next_payer"),
        ("PR", "2", "next_payer"),
        ("PR", "3", "next_payer"),
        ("PR", "96", "next_payer"),
        ("OA", "23", "write_off"),
        ("OA", "18", "review"),
        ("OA", "94", "review"),
        ("CR", "45", "review"),
        ("co", " 45 ", "write_off"),
    ],
)
def test_default_action(group: str, reason: str, action: str) -> None:
    assert default_action(group, reason) == action


def test_built_in_rows_match_table() -> None:
    rows = built_in_rules()

    assert rows
    for row in rows:
        assert row.action in ACTIONS
        assert row.why
        if row.reason_code != ANY_REASON:
            assert default_action(row.group_code, row.reason_code) == row.action, row


# ---- overrides ------------------------------------------------------------------------------


def test_payer_rule_wins_over_any_payer(practice: ClaimPractice) -> None:
    any_payer = saved_id(practice, PostingRuleForm("CO", "59", "review"))
    aetna = saved_id(practice, PostingRuleForm("CO", "59", "denial", payer_id=practice.aetna_id))

    assert lookup(practice, practice.aetna_id, "CO", "59") == "denial"
    assert lookup(practice, practice.cigna_id, "CO", "59") == "review"
    assert lookup(practice, None, "CO", "59") == "review"

    delete(practice, aetna)
    assert lookup(practice, practice.aetna_id, "CO", "59") == "review"
    delete(practice, any_payer)
    assert lookup(practice, practice.aetna_id, "CO", "59") == "write_off"


def test_wildcard_reason(practice: ClaimPractice) -> None:
    wildcard = saved_id(
        practice, PostingRuleForm("OA", "*", "write_off", payer_id=practice.cigna_id)
    )
    exact = saved_id(practice, PostingRuleForm("OA", "94", "patient", payer_id=practice.cigna_id))

    assert lookup(practice, practice.cigna_id, "OA", "94") == "patient"
    assert lookup(practice, practice.cigna_id, "OA", "100") == "write_off"
    assert lookup(practice, practice.aetna_id, "OA", "100") == "review"
    with practice.database.reading() as session:
        book = load_rules(session)
    assert book.action(practice.cigna_id, "OA", "94") == "patient"
    assert book.action(practice.cigna_id, "OA", "100") == "write_off"
    assert book.action(practice.aetna_id, "OA", "100") == "review"

    delete(practice, exact)
    delete(practice, wildcard)


def test_payer_wildcard_wins_over_any_payer_exact(practice: ClaimPractice) -> None:
    any_exact = saved_id(practice, PostingRuleForm("PI", "104", "denial"))
    payer_wildcard = saved_id(
        practice, PostingRuleForm("PI", "*", "review", payer_id=practice.aetna_id)
    )

    assert lookup(practice, practice.aetna_id, "PI", "104") == "review"
    assert lookup(practice, practice.cigna_id, "PI", "104") == "denial"

    delete(practice, payer_wildcard)
    delete(practice, any_exact)


def test_override_changes_posting(practice: ClaimPractice) -> None:
    rule_id = saved_id(practice, PostingRuleForm("CO", "45", "review", payer_id=practice.aetna_id))
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    (line,) = practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("105.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=D("105.00"),
                adjustments=[AdjustmentForm("CO", "45", D("15.00"))],
            )
        ],
    )

    try:
        _, result = record_and_post(practice, form)
    finally:
        delete(practice, rule_id)

    assert result.written_off == D("0.00")
    assert claim_buckets(practice, claim_id) == [{Bucket("primary", practice.aetna_id): D("15.00")}]
    assert ledger_findings(practice) == []


# ---- the admin services ---------------------------------------------------------------------


def test_list_rules_order(practice: ClaimPractice) -> None:
    first = saved_id(
        practice, PostingRuleForm("CO", "100", "write_off", payer_id=practice.cigna_id)
    )
    second = saved_id(practice, PostingRuleForm("CO", "*", "review"))
    third = saved_id(practice, PostingRuleForm("CO", "45", "write_off", note="Contract"))

    with practice.database.reading() as session:
        rows = list_rules(session, practice.biller)

    assert [row.rule_id for row in rows] == [second, third, first]
    assert rows[0].payer_name == "Any payer"
    assert rows[2].payer_name == "Cigna"
    assert rows[1].note == "Contract"
    assert rows[1].action_label == "Write off"
    assert rows[0].default_action == "write_off"
    for rule_id in (first, second, third):
        delete(practice, rule_id)


def test_save_rule_problems(practice: ClaimPractice) -> None:
    outcome = save(practice, PostingRuleForm("XX", "4567890", "pay_it"))

    assert not outcome.saved
    fields = sorted(problem.field for problem in outcome.problems)
    assert fields == ["action", "group_code", "reason_code"]
    messages = " ".join(problem.message for problem in outcome.problems)
    assert "XX" in messages
    assert "4567890" in messages
    assert "pay_it" in messages


def test_save_rule_unknown_payer(practice: ClaimPractice) -> None:
    outcome = save(practice, PostingRuleForm("CO", "45", "review", payer_id=uuid.uuid4()))

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["payer_id"]


def test_save_rule_duplicate(practice: ClaimPractice) -> None:
    rule_id = saved_id(practice, PostingRuleForm("CO", "131", "review"))

    outcome = save(practice, PostingRuleForm("co", "131", "denial"))

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["reason_code"]
    assert "already exists" in outcome.problems[0].message
    delete(practice, rule_id)


def test_patient_write_off_warns(practice: ClaimPractice) -> None:
    outcome = save(practice, PostingRuleForm("PR", "3", "write_off"))

    assert outcome.saved
    (problem,) = outcome.problems
    assert problem.severity is Severity.WARNING
    assert "Medicare" in problem.message
    assert outcome.record_id is not None
    delete(practice, outcome.record_id)


def test_edit_rule(practice: ClaimPractice) -> None:
    rule_id = saved_id(practice, PostingRuleForm("OA", "121", "review"))

    outcome = save(practice, PostingRuleForm("OA", "121", "write_off", rule_id=rule_id))

    assert outcome.record_id == rule_id
    assert not outcome.created
    assert lookup(practice, None, "OA", "121") == "write_off"
    delete(practice, rule_id)


def test_deleted_rule_comes_back(practice: ClaimPractice) -> None:
    rule_id = saved_id(practice, PostingRuleForm("OA", "B13", "review", payer_id=practice.aetna_id))
    delete(practice, rule_id)

    outcome = save(practice, PostingRuleForm("OA", "b13", "patient", payer_id=practice.aetna_id))

    assert outcome.record_id == rule_id
    assert lookup(practice, practice.aetna_id, "OA", "B13") == "patient"
    delete(practice, rule_id)


def test_delete_missing_rule(practice: ClaimPractice) -> None:
    rule_id = saved_id(practice, PostingRuleForm("OA", "132", "review"))
    delete(practice, rule_id)

    with practice.database.transaction() as session, pytest.raises(NotFoundError):
        delete_rule(session, practice.charge.manager, rule_id)


def test_biller_cannot_change_rules(practice: ClaimPractice) -> None:
    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        save_rule(session, practice.biller, PostingRuleForm("CO", "45", "review"))
