"""Claim batches: creating 837P files, saving them to the outbox and uploading them by SFTP."""

import hashlib
import re
import uuid
from pathlib import Path

import keyring
import pytest
from sqlalchemy import select

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import FileWriteError, PermissionDeniedError, UserError
from app.models.claims import ClaimBatch, ClaimFinding, ClaimLine, Clearinghouse
from app.models.practice import Payer
from app.models.security import AuditEvent
from app.problems import Severity
from app.progress import OperationCancelledError, Progress
from app.services import claim_batches
from app.services.claim_batches import BatchStatus
from app.services.claim_status import ClaimEventKind, ClaimStatus
from app.services.clearinghouses import KEYRING_SERVICE
from app.sftp import HostKeyMismatchError, SftpError
from app.x12.validate import pyx12_errors
from tests.helpers.sftp_server import (
    SftpTestServer,
    new_host_key,
    public_key_of,
)
from tests.services.claims_submission.clearinghouse_data import add_clearinghouse
from tests.services.claims_submission.submission_data import (
    SubmissionPractice,
    build_sftp_practice,
    build_submission_practice,
    mark_ready,
)

SUBMITTED = ClaimStatus.SUBMITTED.value
READY = ClaimStatus.READY.value


@pytest.fixture
def outbox(tmp_path: Path) -> Path:
    folder = tmp_path / "outbox"
    folder.mkdir()
    return folder


@pytest.fixture
def practice(database: Database, outbox: Path) -> SubmissionPractice:
    return build_submission_practice(database, outbox)


@pytest.fixture
def sftp_practice(database: Database, sftp_server: SftpTestServer) -> SubmissionPractice:
    """Ready claims whose clearinghouse is the loopback SFTP server, password saved."""
    return build_sftp_practice(database, sftp_server)


def _create(
    practice: SubmissionPractice, claim_ids: list[uuid.UUID] | None = None
) -> claim_batches.BatchResult:
    with practice.database.transaction() as session:
        return claim_batches.create_batches(session, practice.biller, claim_ids)


def _one_batch(practice: SubmissionPractice) -> ClaimBatch:
    result = _create(practice)
    assert len(result.batch_ids) == 1, result.problems
    return practice.batch(result.batch_ids[0])


def _upload(practice: SubmissionPractice, batch: ClaimBatch, *, resend: bool = False) -> None:
    with practice.database.transaction() as session:
        claim_batches.upload_batch(session, practice.biller, batch.id, resend=resend)


def _audit_actions(practice: SubmissionPractice, batch: ClaimBatch) -> list[str]:
    with practice.database.reading() as session:
        query = select(AuditEvent.action).where(AuditEvent.object_id == str(batch.id))
        return list(session.scalars(query.order_by(AuditEvent.sequence)))


def _audit_outcomes(practice: SubmissionPractice, batch: ClaimBatch) -> list[str]:
    with practice.database.reading() as session:
        query = select(AuditEvent.outcome).where(AuditEvent.object_id == str(batch.id))
        return list(session.scalars(query.order_by(AuditEvent.sequence)))


# ---- creating -----------------------------------------------------------------------------


def test_create_writes_one_valid_file(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)

    assert batch.claim_count == 3
    assert batch.status == BatchStatus.CREATED
    assert batch.usage_indicator == "T"
    assert batch.content.startswith("ISA*")
    assert batch.sha256 == hashlib.sha256(batch.content.encode("utf-8")).hexdigest()
    assert re.fullmatch(r"\d{9}", batch.interchange_control_number)
    assert f"*{batch.interchange_control_number}*" in batch.content.split("~")[0]
    assert "GS*HC*LFM123456*LCX001*" in batch.content
    assert batch.file_name == f"{batch.batch_number}.837"
    assert pyx12_errors(batch.content) == []


def test_create_records_transaction_per_claim(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)
    items = practice.items(batch.id)

    assert set(items) == set(practice.claim_ids)
    for claim_id, number in items.items():
        assert f"ST*837*{number}*" in batch.content
        assert practice.claim(claim_id).clearinghouse_id == practice.clearinghouse_id
    assert len(set(items.values())) == 3


def test_create_leaves_claims_ready(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)

    assert practice.statuses() == [READY, READY, READY]
    assert _audit_actions(practice, batch) == ["create"]


def test_create_total_is_sum_of_claims(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)

    expected = sum(practice.claim(claim_id).total_charge for claim_id in practice.claim_ids)
    assert batch.total_charge == expected


def test_create_only_given_ready_claims(practice: SubmissionPractice) -> None:
    first, _, third = practice.claim_ids
    practice.set_status(third, ClaimStatus.HOLD)

    result = _create(practice, [first, third])

    assert len(result.batch_ids) == 1
    assert set(practice.items(result.batch_ids[0])) == {first}
    assert [problem.severity for problem in result.problems] == [Severity.WARNING]
    assert practice.claim_number(third) in result.problems[0].message
    assert "On hold" in result.problems[0].message


def test_claim_never_in_two_unsent_batches(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)

    again = _create(practice)

    assert again.batch_ids == []
    assert len(again.problems) == 3
    assert all(batch.batch_number in problem.message for problem in again.problems)


def test_payer_without_clearinghouse_left_out(
    database: Database, practice: SubmissionPractice
) -> None:
    # A second clearinghouse means Aetna, naming none, has no obvious one.
    add_clearinghouse(database, practice.biller, name="Second Exchange")
    with database.transaction() as session:
        payer = session.get(Payer, practice.claims.aetna_id)
        assert payer is not None
        payer.clearinghouse_id = None

    result = _create(practice)

    assert result.batch_ids == []
    assert len(result.problems) == 3
    assert {problem.field for problem in result.problems} == {"payer.clearinghouse"}
    assert {problem.severity for problem in result.problems} == {Severity.ERROR}
    assert "Aetna has no clearinghouse" in result.problems[0].message


def _break_ndc(practice: SubmissionPractice, claim_id: uuid.UUID) -> None:
    """Give the claim's first line an NDC of 3 digits, which no 837P can carry."""
    with practice.database.transaction() as session:
        line = session.scalars(select(ClaimLine).where(ClaimLine.claim_id == claim_id)).first()
        assert line is not None
        line.ndc_code = "123"
        line.ndc_quantity = "1"
        line.ndc_unit = "ML"


def test_unwritable_claim_held_others_written(practice: SubmissionPractice) -> None:
    first, bad, third = practice.claim_ids
    _break_ndc(practice, bad)

    result = _create(practice)

    assert len(result.batch_ids) == 1
    batch = practice.batch(result.batch_ids[0])
    assert set(practice.items(batch.id)) == {first, third}
    assert batch.claim_count == 2
    assert practice.claim_number(bad) not in batch.content
    assert pyx12_errors(batch.content) == []
    assert practice.statuses() == [READY, ClaimStatus.HOLD.value, READY]
    (problem,) = result.problems
    assert practice.claim_number(bad) in problem.message
    assert "NDC" in problem.message
    assert ChangeKind.CLAIMS in result.changes.kinds


def test_unwritable_claim_gets_finding_and_event(practice: SubmissionPractice) -> None:
    bad = practice.claim_ids[1]
    _break_ndc(practice, bad)

    _create(practice)

    with practice.database.reading() as session:
        (finding,) = session.scalars(select(ClaimFinding).where(ClaimFinding.claim_id == bad))
        assert finding.rule == "x12.write"
        assert finding.severity == Severity.ERROR.value
        assert "NDC" in finding.message
        assert finding.field == "claim.claim_number"
        assert finding.record_id == bad
    event = practice.events(bad)[-1]
    assert event.event == ClaimEventKind.NOTE.value
    assert event.status == ClaimStatus.HOLD.value
    assert event.detail is not None
    assert "put on hold" in event.detail


def test_all_claims_unwritable_no_batch(practice: SubmissionPractice) -> None:
    for claim_id in practice.claim_ids:
        _break_ndc(practice, claim_id)

    result = _create(practice)

    assert result.batch_ids == []
    assert len(result.problems) == 3
    assert practice.statuses() == [ClaimStatus.HOLD.value] * 3
    with practice.database.reading() as session:
        assert session.scalars(select(ClaimBatch)).first() is None


def test_bad_clearinghouse_setting_holds_nothing(database: Database, outbox: Path) -> None:
    practice = build_submission_practice(database, outbox)
    _break_ndc(practice, practice.claim_ids[0])
    with database.transaction() as session:
        clearinghouse = session.get(Clearinghouse, practice.clearinghouse_id)
        assert clearinghouse is not None
        clearinghouse.usage_indicator = "X"

    result = _create(practice)

    assert result.batch_ids == []
    (problem,) = result.problems
    assert problem.field == "claim_file"
    assert "usage indicator" in problem.message
    assert practice.statuses() == [READY, READY, READY]


def test_batches_grouped_by_clearinghouse(database: Database, practice: SubmissionPractice) -> None:
    cigna_id = practice.claims.cigna_id
    # The patient without coverage gets Cigna, and their posted visit a Cigna claim.
    patient_id = practice.claims.charge.uninsured_patient_id
    practice.claims.add_coverage(cigna_id, 1, patient_id=patient_id)
    second = add_clearinghouse(database, practice.biller, name="Another Exchange")
    with database.transaction() as session:
        payer = session.get(Payer, cigna_id)
        assert payer is not None
        payer.clearinghouse_id = second
    built = practice.claims.build([practice.claims.uninsured_encounter_id])
    assert len(built.claim_ids) == 1, built.skipped
    mark_ready(database, built.claim_ids)

    result = _create(practice)

    assert len(result.batch_ids) == 2
    by_clearinghouse = {
        practice.batch(batch_id).clearinghouse_id: practice.batch(batch_id)
        for batch_id in result.batch_ids
    }
    assert by_clearinghouse[practice.clearinghouse_id].claim_count == 3
    assert by_clearinghouse[second].claim_count == 1
    numbers = {batch.interchange_control_number for batch in by_clearinghouse.values()}
    assert len(numbers) == 2


def test_file_name_pattern_applied(database: Database) -> None:
    practice = build_submission_practice(
        database, file_name_pattern="LFM_{date}_{control}_{batch}.837"
    )

    batch = _one_batch(practice)

    # GS04 is the creation date the {date} field repeats.
    gs04 = batch.content.split("GS*")[1].split("*")[3]
    expected = f"LFM_{gs04}_{batch.interchange_control_number}_{batch.batch_number}.837"
    assert batch.file_name == expected


def test_front_desk_cannot_create(practice: SubmissionPractice) -> None:
    front_desk = practice.claims.charge.front_desk
    with pytest.raises(PermissionDeniedError), practice.database.transaction() as session:
        claim_batches.create_batches(session, front_desk)


# ---- exporting ----------------------------------------------------------------------------


def test_export_writes_file_and_marks_claims(practice: SubmissionPractice, outbox: Path) -> None:
    batch = _one_batch(practice)

    with practice.database.transaction() as session:
        path = claim_batches.export_batch(session, practice.biller, batch.id)

    assert path == outbox / batch.file_name
    assert path.read_bytes() == batch.content.encode("utf-8")
    assert practice.statuses() == [SUBMITTED, SUBMITTED, SUBMITTED]
    exported = practice.batch(batch.id)
    assert exported.status == BatchStatus.EXPORTED
    assert exported.send_count == 1
    assert exported.sent_to == str(path)
    last = practice.events(practice.claim_ids[0])[-1]
    assert last.event == ClaimEventKind.EXPORTED
    assert last.batch_id == batch.id
    assert practice.claim(practice.claim_ids[0]).sent_at is not None
    assert _audit_actions(practice, batch) == ["create", "export"]


def test_export_to_chosen_folder(practice: SubmissionPractice, tmp_path: Path) -> None:
    batch = _one_batch(practice)
    chosen = tmp_path / "chosen"
    chosen.mkdir()

    with practice.database.transaction() as session:
        path = claim_batches.export_batch(session, practice.biller, batch.id, chosen)

    assert path == chosen / batch.file_name
    assert path.exists()


def test_export_missing_folder_marks_nothing(practice: SubmissionPractice, tmp_path: Path) -> None:
    batch = _one_batch(practice)
    missing = tmp_path / "no-such-folder"

    with pytest.raises(FileWriteError) as raised, practice.database.transaction() as session:
        claim_batches.export_batch(session, practice.biller, batch.id, missing)

    message = str(raised.value)
    assert str(missing) in message
    assert "does not exist" in message
    assert "Choose another folder" in message
    assert "Nothing was marked as sent" in message
    assert practice.statuses() == [READY, READY, READY]
    assert practice.batch(batch.id).send_count == 0


def test_export_onto_a_file_marks_nothing(practice: SubmissionPractice, tmp_path: Path) -> None:
    batch = _one_batch(practice)
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("x")

    with (
        pytest.raises(FileWriteError, match="is a file, not a folder"),
        practice.database.transaction() as session,
    ):
        claim_batches.export_batch(session, practice.biller, batch.id, not_a_folder)

    assert practice.statuses() == [READY, READY, READY]


def test_export_without_outbox_asks_for_folder(database: Database) -> None:
    practice = build_submission_practice(database)
    batch = _one_batch(practice)

    with (
        pytest.raises(UserError, match="No outbox folder is set"),
        practice.database.transaction() as session,
    ):
        claim_batches.export_batch(session, practice.biller, batch.id)


def test_second_export_needs_resend(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)
    with practice.database.transaction() as session:
        claim_batches.export_batch(session, practice.biller, batch.id)

    with pytest.raises(UserError, match="already sent"), practice.database.transaction() as session:
        claim_batches.export_batch(session, practice.biller, batch.id)
    with practice.database.transaction() as session:
        claim_batches.export_batch(session, practice.biller, batch.id, resend=True)

    assert practice.batch(batch.id).send_count == 2


def test_export_refused_when_claim_held(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)
    on_hold = practice.claim_ids[1]
    practice.set_status(on_hold, ClaimStatus.HOLD)

    with (
        pytest.raises(UserError, match=practice.claim_number(on_hold)),
        practice.database.transaction() as session,
    ):
        claim_batches.export_batch(session, practice.biller, batch.id)

    assert practice.statuses() == [READY, ClaimStatus.HOLD.value, READY]


# ---- uploading ----------------------------------------------------------------------------


def test_upload_delivers_and_marks_claims(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)

    _upload(sftp_practice, batch)

    delivered = sftp_server.root / "inbound" / batch.file_name
    assert delivered.read_bytes() == batch.content.encode("utf-8")
    assert sftp_practice.statuses() == [SUBMITTED, SUBMITTED, SUBMITTED]
    uploaded = sftp_practice.batch(batch.id)
    assert uploaded.status == BatchStatus.UPLOADED
    assert uploaded.sent_to == f"sftp://127.0.0.1:{sftp_server.port}/inbound/{batch.file_name}"
    assert uploaded.send_count == 1
    last = sftp_practice.events(sftp_practice.claim_ids[2])[-1]
    assert last.event == ClaimEventKind.SENT
    assert last.status == SUBMITTED
    assert _audit_actions(sftp_practice, batch) == ["create", "submit"]


def test_upload_wrong_host_key_sends_nothing(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    with sftp_practice.database.transaction() as session:
        row = session.get(Clearinghouse, sftp_practice.clearinghouse_id)
        assert row is not None
        row.sftp_host_key = public_key_of(new_host_key())

    with pytest.raises(HostKeyMismatchError, match="the server's key does not match"):
        _upload(sftp_practice, batch)

    assert list((sftp_server.root / "inbound").iterdir()) == []
    assert sftp_server.state.logins == 0
    assert sftp_practice.statuses() == [READY, READY, READY]
    assert sftp_practice.batch(batch.id).send_count == 0


def test_upload_wrong_password_marks_nothing(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    keyring.set_password(KEYRING_SERVICE, str(sftp_practice.clearinghouse_id), "wrong")

    with pytest.raises(SftpError, match="rejected the user name or password"):
        _upload(sftp_practice, batch)

    assert sftp_server.state.rejected_logins >= 1
    assert sftp_practice.statuses() == [READY, READY, READY]
    assert _audit_actions(sftp_practice, batch) == ["create", "submit"]
    assert _audit_outcomes(sftp_practice, batch) == ["success", "failure"]


def test_upload_dropped_then_retry_works(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    sftp_server.state.drop_after_bytes = 1

    with pytest.raises(SftpError, match="connection was lost"):
        _upload(sftp_practice, batch)

    assert not (sftp_server.root / "inbound" / batch.file_name).exists()
    assert sftp_practice.statuses() == [READY, READY, READY]
    assert sftp_practice.batch(batch.id).status == BatchStatus.CREATED

    sftp_server.state.drop_after_bytes = None
    _upload(sftp_practice, batch)

    assert (sftp_server.root / "inbound" / batch.file_name).exists()
    assert sftp_practice.statuses() == [SUBMITTED, SUBMITTED, SUBMITTED]


def test_failed_upload_number_not_reused(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    sftp_server.stop()
    with pytest.raises(SftpError):
        _upload(sftp_practice, batch)
    # The same claims go into a new file after the failed one is set aside.
    with sftp_practice.database.transaction() as session:
        row = session.get(ClaimBatch, batch.id)
        assert row is not None
        row.archived = True

    newer = _one_batch(sftp_practice)

    assert int(newer.interchange_control_number) > int(batch.interchange_control_number)
    assert newer.batch_number != batch.batch_number


def test_upload_server_down_marks_nothing(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    sftp_server.stop()

    with pytest.raises(SftpError, match="refused the connection"):
        _upload(sftp_practice, batch)

    assert sftp_practice.statuses() == [READY, READY, READY]


def test_second_upload_needs_resend(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    _upload(sftp_practice, batch)

    with pytest.raises(UserError, match="already sent on"):
        _upload(sftp_practice, batch)
    # The clearinghouse collected the first copy, so the resend can use the name again.
    (sftp_server.root / "inbound" / batch.file_name).unlink()
    _upload(sftp_practice, batch, resend=True)

    resent = sftp_practice.batch(batch.id)
    assert resent.send_count == 2
    assert (sftp_server.root / "inbound" / batch.file_name).exists()
    assert _audit_actions(sftp_practice, batch) == ["create", "submit", "submit"]


def test_upload_without_password(sftp_practice: SubmissionPractice) -> None:
    batch = _one_batch(sftp_practice)
    keyring.delete_password(KEYRING_SERVICE, str(sftp_practice.clearinghouse_id))

    with pytest.raises(UserError, match="No SFTP password is saved"):
        _upload(sftp_practice, batch)


def test_upload_without_sftp_settings(practice: SubmissionPractice) -> None:
    batch = _one_batch(practice)

    with pytest.raises(UserError, match=r"SFTP is not set up .* host, user name, host key"):
        _upload(practice, batch)


def test_cancelled_upload_sends_nothing(
    sftp_practice: SubmissionPractice, sftp_server: SftpTestServer
) -> None:
    batch = _one_batch(sftp_practice)
    progress = Progress()
    progress.cancel()

    with pytest.raises(OperationCancelledError), sftp_practice.database.transaction() as session:
        claim_batches.upload_batch(session, sftp_practice.biller, batch.id, progress=progress)

    assert list((sftp_server.root / "inbound").iterdir()) == []
    assert sftp_server.state.logins == 0
    assert sftp_practice.statuses() == [READY, READY, READY]


def test_upload_reports_progress(sftp_practice: SubmissionPractice) -> None:
    batch = _one_batch(sftp_practice)
    progress = Progress()

    with sftp_practice.database.transaction() as session:
        claim_batches.upload_batch(session, sftp_practice.biller, batch.id, progress=progress)

    done, total, message = progress.snapshot()
    assert (done, total) == (0, 1)
    assert batch.file_name in message
