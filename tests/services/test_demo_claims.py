"""The demo practice's claims: built, scrubbed, the older ones sent and acknowledged."""

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from sqlalchemy import func, select

from app.models.claims import Claim, ClaimBatch, ClaimEvent, Clearinghouse, X12Response
from app.models.practice import Payer
from app.services import demo_responses
from app.services.claim_status import ClaimStatus
from app.services.demo import create_demo_database
from app.services.demo_claims import OUTBOX_FOLDER_NAME
from app.x12.ack_277ca import read_277ca
from app.x12.ack_999 import read_999
from app.x12.reader_837p import read_837p
from app.x12.validate import pyx12_errors
from tests.conftest import PASSPHRASE

PASSWORD = "Lakeside-clinic-2024!"
TODAY = date(2026, 3, 11)  # a Wednesday


def test_demo_claims_statuses(tmp_path: Path) -> None:
    database, _, _ = create_demo_database(
        tmp_path / "demo.db", PASSPHRASE, "admin", PASSWORD, patients=80, seed=3, today=TODAY
    )
    with database.session() as session:
        statuses = dict(
            session.execute(select(Claim.status, func.count()).group_by(Claim.status)).all()
        )
        routed = session.scalar(
            select(func.count()).select_from(Payer).where(Payer.clearinghouse_id.is_(None))
        )
        rejected = session.scalars(select(Claim).where(Claim.status == ClaimStatus.REJECTED)).one()
        explanation = session.scalars(
            select(ClaimEvent.detail).where(
                ClaimEvent.claim_id == rejected.id, ClaimEvent.event == "rejected"
            )
        ).first()
        responses = session.scalar(
            select(func.count()).select_from(X12Response).where(X12Response.kind != "835")
        )
        batch = session.scalars(select(ClaimBatch)).one()
    database.close()

    assert statuses.get(ClaimStatus.ACCEPTED, 0) > 0
    assert statuses.get(ClaimStatus.READY, 0) > 0
    assert statuses[ClaimStatus.REJECTED] == 1
    assert routed == 0
    assert explanation is not None
    assert "member ID" in explanation
    assert responses == 2
    assert batch.status == "accepted"


def test_demo_claim_file_valid(tmp_path: Path) -> None:
    database, _, _ = create_demo_database(
        tmp_path / "demo.db", PASSPHRASE, "admin", PASSWORD, patients=40, seed=5, today=TODAY
    )
    with database.session() as session:
        batch = session.scalars(select(ClaimBatch)).one()
        sent = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.sent_at.is_not(None))
        )
    database.close()

    files = list((tmp_path / OUTBOX_FOLDER_NAME).glob("*.837"))
    assert [path.name for path in files] == [batch.file_name]
    text = files[0].read_text(encoding="utf-8")
    assert text == batch.content
    assert pyx12_errors(text) == []
    assert len(read_837p(text)) == batch.claim_count == sent


def _clearinghouse() -> Clearinghouse:
    return Clearinghouse(
        name="Demo",
        submitter_id="DEMO01",
        submitter_name="Clinic",
        submitter_contact="Billing",
        submitter_phone="5555550100",
        receiver_id="DEMOCH",
        receiver_name="Demo Claims Exchange",
        isa_sender_qualifier="ZZ",
        isa_sender_id="DEMO01",
        isa_receiver_qualifier="ZZ",
        isa_receiver_id="DEMOCH",
        gs_sender_code="DEMO01",
        gs_receiver_code="DEMOCH",
        usage_indicator="T",
    )


def test_demo_acknowledgements_valid() -> None:
    when = datetime(2026, 3, 11, 9, 30)  # noqa: DTZ001 (local file time, as clearinghouses write it)
    batch = ClaimBatch(group_control_number="123")
    ack = demo_responses.acknowledgement_999(
        _clearinghouse(), batch, ["0001", "0002"], control=7, when=when
    )
    verdicts = [
        demo_responses.ClaimVerdict(
            "K7Q-000001",
            Decimal("120"),
            demo_responses.ACCEPTED_STATUS,
            "Peña",
            "Ana",
            "W123",
            date(2026, 3, 9),
            "PCN1",
        ),
        demo_responses.ClaimVerdict(
            "K7Q-000002",
            Decimal("80.50"),
            demo_responses.MEMBER_ID_REJECTED_STATUS,
            "Lee",
            "Bo",
            "X9",
            date(2026, 3, 9),
        ),
    ]
    status_file = demo_responses.acknowledgement_277ca(
        _clearinghouse(), "Lakeside Family Medicine", "1578901237", verdicts, control=8, when=when
    )

    assert pyx12_errors(ack) == []
    assert pyx12_errors(status_file) == []
    assert [item.accepted for item in read_999(ack)[0].sets] == [True, True]
    claims = read_277ca(status_file)
    assert [(claim.claim_number, claim.accepted) for claim in claims] == [
        ("K7Q-000001", True),
        ("K7Q-000002", False),
    ]
    assert claims[0].payer_claim_number == "PCN1"
