"""Importing 999 and 277CA responses: claim statuses, events, duplicates and other kinds."""

from pathlib import Path

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.claims import ClaimBatch, ClaimFinding, X12Response
from app.models.security import AuditEvent
from app.services import claim_batches, x12_responses
from app.services.claim_batches import BatchStatus
from app.services.claim_status import ClaimEventKind, ClaimStatus
from app.services.today import practice_today
from app.services.x12_responses import AlreadyImportedError, ResponseImport
from app.x12.segments import X12FormatError
from tests.services.claims_submission.submission_data import (
    ClaimStatusLine,
    SubmissionPractice,
    ack_277ca,
    ack_999,
    ack_ta1,
    build_submission_practice,
)

CORPUS = Path(__file__).parents[3] / "../shared/corpus/x12"
SUBMITTED = ClaimStatus.SUBMITTED.value
REJECTED = ClaimStatus.REJECTED.value
ACCEPTED = ClaimStatus.ACCEPTED.value


@pytest.fixture
def practice(database: Database, tmp_path: Path) -> SubmissionPractice:
    return build_submission_practice(database, tmp_path)


@pytest.fixture
def sent_batch(practice: SubmissionPractice) -> ClaimBatch:
    """The practice's three claims in one batch, saved to the outbox (so SUBMITTED)."""
    with practice.database.transaction() as session:
        result = claim_batches.create_batches(session, practice.biller)
        claim_batches.export_batch(session, practice.biller, result.batch_ids[0])
    return practice.batch(result.batch_ids[0])


def _import(practice: SubmissionPractice, text: str, name: str = "reply.txt") -> ResponseImport:
    with practice.database.transaction() as session:
        return x12_responses.import_response(session, practice.biller, text, name)


def _corpus(relative: str) -> str:
    path = CORPUS / relative
    if not path.exists():
        pytest.skip(f"the X12 corpus file {relative} is not present")
    return path.read_text(encoding="utf-8-sig")


def _transactions(practice: SubmissionPractice, batch: ClaimBatch) -> list[str]:
    items = practice.items(batch.id)
    return [items[claim_id] for claim_id in practice.claim_ids]


# ---- 999 ----------------------------------------------------------------------------------


def test_accepting_999_acknowledges_claims(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    text = ack_999(sent_batch, _transactions(practice, sent_batch))

    result = _import(practice, text, "batch.999")

    assert result.kind == "999"
    assert result.accepted == 3
    assert result.rejected == 0
    assert result.unmatched == []
    assert result.error is None
    assert sent_batch.batch_number in result.summary
    assert practice.statuses() == [SUBMITTED, SUBMITTED, SUBMITTED]
    last = practice.events(practice.claim_ids[0])[-1]
    assert last.event == ClaimEventKind.ACKNOWLEDGED
    assert last.user_id is None
    assert last.response_id == result.response_id
    assert practice.batch(sent_batch.id).status == BatchStatus.ACCEPTED


def test_rejected_set_rejects_its_claim(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    numbers = _transactions(practice, sent_batch)

    result = _import(practice, ack_999(sent_batch, numbers, rejected=[numbers[1]]))

    assert (result.accepted, result.rejected) == (2, 1)
    assert practice.statuses() == [SUBMITTED, REJECTED, SUBMITTED]
    rejected = practice.claim(practice.claim_ids[1])
    assert rejected.follow_up_on == _today(practice)
    last = practice.events(practice.claim_ids[1])[-1]
    assert last.event == ClaimEventKind.REJECTED
    assert last.detail is not None
    assert sent_batch.batch_number in last.detail
    assert "payer never received" in last.detail
    # A partly accepted file keeps its status; its claims show the outcome.
    assert practice.batch(sent_batch.id).status == BatchStatus.EXPORTED


def test_group_rejection_rejects_every_claim(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    result = _import(practice, ack_999(sent_batch, [], group_code="R"))

    assert result.rejected == 3
    assert practice.statuses() == [REJECTED, REJECTED, REJECTED]
    assert practice.batch(sent_batch.id).status == BatchStatus.REJECTED


def test_999_with_padded_group_number(practice: SubmissionPractice, sent_batch: ClaimBatch) -> None:
    text = ack_999(sent_batch, _transactions(practice, sent_batch))
    padded = text.replace(
        f"AK1*HC*{sent_batch.group_control_number}*",
        f"AK1*HC*{int(sent_batch.group_control_number):09d}*",
    )

    result = _import(practice, padded)

    assert result.accepted == 3


def test_999_unknown_transaction_is_unmatched(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    result = _import(practice, ack_999(sent_batch, ["0099"]))

    assert result.unmatched == [f"transaction 0099 of group {sent_batch.group_control_number}"]
    assert practice.statuses() == [SUBMITTED, SUBMITTED, SUBMITTED]


def test_rejection_leaves_paid_claim_alone(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    numbers = _transactions(practice, sent_batch)
    practice.set_status(practice.claim_ids[0], ClaimStatus.PAID)

    _import(practice, ack_999(sent_batch, numbers, rejected=[numbers[0]]))

    assert practice.statuses()[0] == ClaimStatus.PAID.value
    assert practice.events(practice.claim_ids[0])[-1].event == ClaimEventKind.REJECTED


@pytest.mark.parametrize(
    "name",
    [
        "999/emedny-999-accepted.999",
        "999/emedny-999-rejected-ik3-ik5.999",
        "999/dhs-wisconsin-999-partial-ik3-ik4-ctx.999",
    ],
)
def test_corpus_999_for_other_batches(practice: SubmissionPractice, name: str) -> None:
    result = _import(practice, _corpus(name), Path(name).name)

    assert result.kind == "999"
    assert result.accepted == 0
    assert result.rejected == 0
    assert len(result.unmatched) == 1
    assert result.unmatched[0].startswith("group ")
    with practice.database.reading() as session:
        stored = session.scalars(select(X12Response)).one()
    assert stored.file_name == Path(name).name
    assert stored.kind == "999"


@pytest.mark.parametrize(("code", "status"), [("A", SUBMITTED), ("R", REJECTED)])
def test_ta1_acknowledges_interchange(
    practice: SubmissionPractice, sent_batch: ClaimBatch, code: str, status: str
) -> None:
    result = _import(practice, ack_ta1(sent_batch, code), "envelope.ta1")

    assert result.kind == "TA1"
    assert practice.statuses() == [status, status, status]
    expected = (0, 3) if code == "R" else (3, 0)
    assert (result.accepted, result.rejected) == expected


def test_ta1_for_unknown_interchange(practice: SubmissionPractice) -> None:
    batch = ClaimBatch(interchange_control_number="000000042")

    result = _import(practice, ack_ta1(batch, "R"))

    assert result.unmatched == ["interchange 000000042"]


# ---- 277CA --------------------------------------------------------------------------------


def test_accepting_277ca_sets_payer_number(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    first = practice.claim_ids[0]
    line = ClaimStatusLine(practice.claim_number(first), "A2:20", "PCN-2026-0001")

    result = _import(practice, ack_277ca([line]), "claims.277")

    assert result.kind == "277CA"
    assert result.accepted == 1
    claim = practice.claim(first)
    assert claim.status == ACCEPTED
    assert claim.payer_claim_number == "PCN-2026-0001"
    last = practice.events(first)[-1]
    assert last.event == ClaimEventKind.ACCEPTED
    assert last.detail is not None
    assert "PCN-2026-0001" in last.detail


def test_rejecting_277ca_explains(practice: SubmissionPractice, sent_batch: ClaimBatch) -> None:
    second = practice.claim_ids[1]
    line = ClaimStatusLine(practice.claim_number(second), "A7:562:85")

    result = _import(practice, ack_277ca([line]))

    assert result.rejected == 1
    claim = practice.claim(second)
    assert claim.status == REJECTED
    assert claim.follow_up_on == _today(practice)
    detail = practice.events(second)[-1].detail
    assert detail is not None
    assert "A7:562:85" in detail
    assert "The payer rejected the claim" in detail


@pytest.mark.parametrize(
    ("status", "field"),
    [
        ("A7:562:85", "practice.billing_npi"),
        ("A7:164:IL", "coverage.member_id"),
        ("A8:158:QC", "patient.date_of_birth"),
        ("A3:21", "claim.rejection"),
    ],
)
def test_rejection_becomes_finding(
    practice: SubmissionPractice, sent_batch: ClaimBatch, status: str, field: str
) -> None:
    second = practice.claim_ids[1]
    line = ClaimStatusLine(practice.claim_number(second), status)

    _import(practice, ack_277ca([line]))

    with practice.database.reading() as session:
        findings = list(
            session.scalars(select(ClaimFinding).where(ClaimFinding.claim_id == second))
        )
    rejection = [finding for finding in findings if finding.rule == "payer.rejected"]
    assert len(rejection) == 1
    assert rejection[0].severity == "error"
    assert rejection[0].field == field
    # The practice has one row, so its fields need no record id.
    assert (rejection[0].record_id is None) == field.startswith("practice.")
    assert rejection[0].message.startswith("The payer rejected the claim:")


def test_277ca_unknown_claims_listed(practice: SubmissionPractice, sent_batch: ClaimBatch) -> None:
    known = practice.claim_number(practice.claim_ids[2])
    lines = [ClaimStatusLine("NOPE-000001", "A2:20"), ClaimStatusLine(known, "A1:20")]

    result = _import(practice, ack_277ca(lines))

    assert result.unmatched == ["NOPE-000001"]
    assert result.accepted == 1
    assert "NOPE-000001" in result.summary
    assert practice.statuses()[2] == ACCEPTED


def test_rejected_claim_accepted_later(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    number = practice.claim_number(practice.claim_ids[0])
    _import(practice, ack_277ca([ClaimStatusLine(number, "A7:562:85")], control=701))

    _import(practice, ack_277ca([ClaimStatusLine(number, "A2:20")], control=702))

    assert practice.statuses()[0] == ACCEPTED


@pytest.mark.parametrize(
    ("name", "accepted", "rejected"),
    [
        ("277ca/emedny-277ca-accepted.277", 0, 0),
        ("277ca/emedny-277ca-rejected-a7-562.277", 0, 0),
    ],
)
def test_corpus_277ca_claims_unmatched(
    practice: SubmissionPractice, name: str, accepted: int, rejected: int
) -> None:
    result = _import(practice, _corpus(name), Path(name).name)

    assert result.kind == "277CA"
    assert (result.accepted, result.rejected) == (accepted, rejected)
    assert len(result.unmatched) == 1


# ---- duplicates, other kinds, permissions -------------------------------------------------


def test_second_import_changes_nothing(
    practice: SubmissionPractice, sent_batch: ClaimBatch
) -> None:
    text = ack_999(sent_batch, _transactions(practice, sent_batch))
    _import(practice, text, "first.999")
    events_before = len(practice.events(practice.claim_ids[0]))

    with pytest.raises(AlreadyImportedError, match=r"already imported on \d\d/\d\d/20") as raised:
        _import(practice, text, "second.999")

    assert "as first.999" in str(raised.value)
    assert len(practice.events(practice.claim_ids[0])) == events_before
    with practice.database.reading() as session:
        assert len(session.scalars(select(X12Response)).all()) == 1


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("271/", "eligibility"),
        ("277ca/lfh-277-x212-claim-status-response-not-ca.277", "277CA"),
    ],
)
def test_other_kinds_point_elsewhere(practice: SubmissionPractice, name: str, words: str) -> None:
    path = CORPUS / name
    if path.is_dir():
        files = sorted(file for file in path.iterdir() if file.is_file())
        if not files:
            pytest.skip(f"no corpus files under {name}")
        name = f"{name}{files[0].name}"

    with pytest.raises(UserError, match=words):
        _import(practice, _corpus(name), Path(name).name)

    with practice.database.reading() as session:
        assert session.scalars(select(X12Response)).all() == []


def test_not_x12_is_a_format_error(practice: SubmissionPractice) -> None:
    with pytest.raises(X12FormatError):
        _import(practice, "Dear biller, your claims are fine.", "letter.txt")


def test_import_is_audited(practice: SubmissionPractice, sent_batch: ClaimBatch) -> None:
    result = _import(practice, ack_999(sent_batch, _transactions(practice, sent_batch)))

    with practice.database.reading() as session:
        event = session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(result.response_id))
        ).one()
    assert event.action == "import"
    assert event.detail == "999: 3 accepted, 0 rejected, 0 unmatched"


def test_front_desk_cannot_import(practice: SubmissionPractice, sent_batch: ClaimBatch) -> None:
    text = ack_999(sent_batch, _transactions(practice, sent_batch))
    front_desk = practice.claims.charge.front_desk

    with pytest.raises(PermissionDeniedError), practice.database.transaction() as session:
        x12_responses.import_response(session, front_desk, text, "reply.999")


def _today(practice: SubmissionPractice) -> object:
    with practice.database.reading() as session:
        return practice_today(session)
