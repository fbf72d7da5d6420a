"""Fetching remittances from the clearinghouse's SFTP folder."""

import uuid
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import keyring
import pytest

from app.models.claims import Clearinghouse
from app.services.clearinghouses import KEYRING_SERVICE
from app.services.era_import import fetch_remittances
from tests.helpers.era_data import EraPractice, write_remittance, written_claim
from tests.helpers.sftp_server import PASSWORD, USERNAME, SftpTestServer, running_server
from tests.services.era.era_steps import balance, cas, control, new_claim, new_payer, trace

PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpTestServer]:
    """An SFTP server on 127.0.0.1 serving tmp_path/sftp, with inbound and outbound folders."""
    yield from running_server(tmp_path / "sftp")


def _clearinghouse(practice: EraPractice, server: SftpTestServer) -> uuid.UUID:
    with practice.database.transaction() as session:
        row = Clearinghouse(
            name=f"Fetch test {uuid.uuid4().hex[:8]}",
            submitter_id="SUB01",
            submitter_name="Lakeside Family Medicine",
            submitter_contact="Billing office",
            submitter_phone="8475550140",
            receiver_id="CH01",
            receiver_name="Test clearinghouse",
            isa_sender_id="LAKESIDE",
            isa_receiver_id="TESTHOUSE",
            gs_sender_code="LAKESIDE",
            gs_receiver_code="TESTHOUSE",
            sftp_host="127.0.0.1",
            sftp_port=server.port,
            sftp_username=USERNAME,
            sftp_host_key=server.public_key,
        )
        session.add(row)
        session.flush()
        clearinghouse_id = row.id
    keyring.set_password(KEYRING_SERVICE, str(clearinghouse_id), PASSWORD)
    return clearinghouse_id


def test_fetch_imports_835_only(era_practice: EraPractice, sftp_server: SftpTestServer) -> None:
    clearinghouse_id = _clearinghouse(era_practice, sftp_server)
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    outbound = sftp_server.root / "outbound"
    (outbound / "a.835").write_text(text)
    (outbound / "b.835").write_text(text.replace("CLP*", "CLP", 1))
    (outbound / "c.999").write_text("ISA*not a remittance")

    with era_practice.database.transaction() as session:
        results = fetch_remittances(session, era_practice.biller, clearinghouse_id)

    assert [result.file_name for result in results] == ["a.835", "b.835"]
    assert results[0].error is None
    assert results[0].posted == 1
    assert results[1].error is not None
    assert results[1].error.startswith("Segment ")
    assert balance(era_practice, claim) == Decimal("10.00")

    with era_practice.database.transaction() as session:
        again = fetch_remittances(session, era_practice.biller, clearinghouse_id)

    # a.835 was imported; b.835 failed and is offered again.
    assert [result.file_name for result in again] == ["b.835"]
