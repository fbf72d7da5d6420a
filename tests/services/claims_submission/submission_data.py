"""Ready claims, a clearinghouse, and the 999 and 277CA files a clearinghouse would send back.

Claims are built from posted encounters by `build_claims` and then moved to READY with a
SCRUBBED event, the way a clean scrub leaves them, so these tests do not depend on the
scrubber's rules.
"""

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import keyring
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.models.claims import Claim, ClaimBatch, ClaimBatchItem, ClaimEvent
from app.models.practice import Payer
from app.security.permissions import Actor
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
from app.services.clearinghouses import KEYRING_SERVICE
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.sftp_server import PASSWORD, USERNAME, SftpTestServer
from tests.services.claims_submission.clearinghouse_data import add_clearinghouse

# Posting days after the practice's first visit, each a weekday priced by the 2026 fees.
EXTRA_VISIT_DAYS = (date(2026, 2, 3), date(2026, 2, 4))


@dataclass(frozen=True)
class SubmissionPractice:
    """A claim practice with READY Aetna claims and a clearinghouse that Aetna uses."""

    database: Database
    claims: ClaimPractice
    clearinghouse_id: uuid.UUID
    claim_ids: tuple[uuid.UUID, ...]

    @property
    def biller(self) -> Actor:
        """A biller, who may create and send claim files."""
        return self.claims.biller

    def statuses(self, claim_ids: Sequence[uuid.UUID] | None = None) -> list[str]:
        """Return the claims' statuses, in the order of `claim_ids` (default: all)."""
        wanted = claim_ids if claim_ids is not None else self.claim_ids
        with self.database.reading() as session:
            return [_claim(session, claim_id).status for claim_id in wanted]

    def events(self, claim_id: uuid.UUID) -> list[ClaimEvent]:
        """Return the claim's events, oldest first (detached, for reading)."""
        with self.database.reading() as session:
            query = (
                select(ClaimEvent)
                .where(ClaimEvent.claim_id == claim_id)
                .order_by(ClaimEvent.occurred_at, ClaimEvent.id)
            )
            return list(session.scalars(query))

    def claim(self, claim_id: uuid.UUID) -> Claim:
        """Load a claim (detached, for reading its columns)."""
        return self.claims.claim(claim_id)

    def batch(self, batch_id: uuid.UUID) -> ClaimBatch:
        """Load a batch (detached, for reading its columns)."""
        with self.database.reading() as session:
            batch = session.get(ClaimBatch, batch_id)
            assert batch is not None
            return batch

    def items(self, batch_id: uuid.UUID) -> dict[uuid.UUID, str]:
        """Map each claim in the batch to the ST02 that carries it."""
        with self.database.reading() as session:
            query = select(ClaimBatchItem.claim_id, ClaimBatchItem.transaction_control_number)
            rows = session.execute(query.where(ClaimBatchItem.batch_id == batch_id))
            return dict(rows.all())

    def claim_number(self, claim_id: uuid.UUID) -> str:
        """Return the claim's number (its CLM01)."""
        return self.claim(claim_id).claim_number

    def set_status(self, claim_id: uuid.UUID, status: ClaimStatus) -> None:
        """Move a claim to `status` with a NOTE event, as another part of the app would."""
        with self.database.transaction() as session:
            claim = _claim(session, claim_id)
            record_event(
                session, claim, ClaimEventKind.NOTE, user_id=None, status=status, detail="test"
            )


def _claim(session: Session, claim_id: uuid.UUID) -> Claim:
    claim = session.get(Claim, claim_id)
    assert claim is not None
    return claim


def build_submission_practice(
    database: Database, outbox: Path | None = None, **clearinghouse_changes: Any
) -> SubmissionPractice:
    """Build three READY Aetna claims and a clearinghouse for them with the given settings."""
    claims = build_claim_practice(database)
    encounter_ids = [claims.encounter_id]
    for day in EXTRA_VISIT_DAYS:
        encounter_ids.append(claims.post(claims.form(day=day)))
    built = claims.build(encounter_ids)
    assert len(built.claim_ids) == 3, built.skipped

    mark_ready(database, built.claim_ids)
    outbox_folder = str(outbox) if outbox is not None else ""
    clearinghouse_id = add_clearinghouse(
        database, claims.biller, outbox_folder=outbox_folder, **clearinghouse_changes
    )
    with database.transaction() as session:
        payer = session.get(Payer, claims.aetna_id)
        assert payer is not None
        payer.clearinghouse_id = clearinghouse_id
    return SubmissionPractice(database, claims, clearinghouse_id, tuple(built.claim_ids))


def build_sftp_practice(database: Database, server: SftpTestServer) -> SubmissionPractice:
    """Build the practice with the loopback SFTP server as its clearinghouse, password saved."""
    built = build_submission_practice(
        database,
        sftp_host="127.0.0.1",
        sftp_port=server.port,
        sftp_username=USERNAME,
        sftp_host_key=server.public_key,
    )
    keyring.set_password(KEYRING_SERVICE, str(built.clearinghouse_id), PASSWORD)
    return built


def mark_ready(database: Database, claim_ids: Sequence[uuid.UUID]) -> None:
    """Move claims to READY with a SCRUBBED event, as a scrub without findings does."""
    with database.transaction() as session:
        for claim_id in claim_ids:
            claim = _claim(session, claim_id)
            record_event(
                session,
                claim,
                ClaimEventKind.SCRUBBED,
                user_id=None,
                status=ClaimStatus.READY,
                detail="No problems found.",
            )


# ---- responses ----------------------------------------------------------------------------


def _isa(control: int, kind_usage: str = "T") -> str:
    sender = "LCX001".ljust(15)
    receiver = "LFM123456".ljust(15)
    return (
        f"ISA*00*{' ' * 10}*00*{' ' * 10}*ZZ*{sender}*ZZ*{receiver}*260205*0930*^*00501*"
        f"{control:09d}*0*{kind_usage}*:~"
    )


def _envelope(control: int, functional_id: str, version: str, body: list[str]) -> str:
    transaction = [f"ST*{'999' if functional_id == 'FA' else '277'}*0001*{version}", *body]
    transaction.append(f"SE*{len(transaction) + 1}*0001")
    segments = [
        _isa(control),
        f"GS*{functional_id}*LCX001*LFM123456*20260205*0930*{control}*X*{version}~",
        *(segment + "~" for segment in transaction),
        f"GE*1*{control}~",
        f"IEA*1*{control:09d}~",
    ]
    return "\n".join(segments) + "\n"


def ack_999(
    batch: ClaimBatch,
    transaction_numbers: Sequence[str],
    rejected: Sequence[str] = (),
    *,
    control: int = 501,
    group_code: str | None = None,
) -> str:
    """Write a 999 acknowledging `batch`: an AK2 per ST02, with IK5 R for those in `rejected`.

    With no transaction numbers the 999 carries only the group verdict (AK9).
    """
    body = [f"AK1*HC*{batch.group_control_number}*005010X222A1"]
    for number in transaction_numbers:
        body.append(f"AK2*837*{number}*005010X222A1")
        if number in rejected:
            body.append("IK3*NM1*17*2010BA*8")
            body.append("IK4*9*67*7*XX12345")
            body.append("IK5*R*5")
        else:
            body.append("IK5*A")
    count = len(transaction_numbers)
    accepted = count - len(rejected)
    if group_code is None and not rejected:
        group_code = "A"
    elif group_code is None and accepted == 0:
        group_code = "R"
    elif group_code is None:
        group_code = "P"
    body.append(f"AK9*{group_code}*{count or 1}*{count or 1}*{accepted}")
    return _envelope(control, "FA", "005010X231A1", body)


def ack_ta1(batch: ClaimBatch, code: str, *, control: int = 801) -> str:
    """Write an interchange acknowledgment (TA1) of `batch` with TA104 `code` (A, E or R)."""
    note = "000" if code == "A" else "024"
    segments = [
        _isa(control),
        f"TA1*{batch.interchange_control_number}*260205*0930*{code}*{note}~",
        f"IEA*0*{control:09d}~",
    ]
    return "\n".join(segments) + "\n"


@dataclass(frozen=True)
class ClaimStatusLine:
    """One claim in a 277CA: its number, its STC01 composite and any payer claim number."""

    claim_number: str
    status: str  # such as "A2:20" or "A7:562:85"
    payer_claim_number: str | None = None
    amount: str = "120"


def ack_277ca(claims: Sequence[ClaimStatusLine], *, control: int = 601) -> str:
    """Write a 277CA with one patient level (HL PT) and status per claim."""
    body = [
        "BHT*0085*08*0001*20260205*0930*TH",
        "HL*1**20*1",
        "NM1*PR*2*LAKESHORE CLAIMS EXCHANGE*****46*LCX001",
        "TRN*1*0001",
        "DTP*050*D8*20260205",
        "DTP*009*D8*20260205",
        "HL*2*1*21*1",
        "NM1*41*2*LAKESIDE FAMILY MEDICINE*****46*LFM123456",
        "TRN*2*0001",
        "STC*A1:20*20260205*WQ*360",
        "HL*3*2*19*1",
        "NM1*85*2*LAKESIDE FAMILY MEDICINE*****XX*1234567893",
        "TRN*1*0001",
    ]
    level = 4
    for line in claims:
        action = "WQ" if line.status.startswith(("A1", "A2")) else "U"
        body.extend(
            [
                f"HL*{level}*3*PT",
                "NM1*QC*1*RIVERA*ANA****MI*W123456789",
                f"TRN*2*{line.claim_number}",
                f"STC*{line.status}*20260205*{action}*{line.amount}",
            ]
        )
        if line.payer_claim_number:
            body.append(f"REF*1K*{line.payer_claim_number}")
        body.append("DTP*472*D8*20260202")
        level += 1
    return _envelope(control, "HN", "005010X214", body)
