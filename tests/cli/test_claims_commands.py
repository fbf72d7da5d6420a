"""The `clinicdesk claims` and `x12` commands: build, scrub, export, print, import, validate."""

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from app import cli
from app.db.database import Database
from app.logging_setup import stop_logging
from app.models.claims import Claim, Clearinghouse
from app.models.patients import Patient
from app.services.claim_status import ClaimStatus
from app.x12.validate import pyx12_errors
from tests.conftest import PASSPHRASE
from tests.helpers.claim_data import add_clearinghouse, build_claim_practice, set_practice_zip
from tests.helpers.practice_data import ADMIN_PASSWORD

DATA = Path(__file__).resolve().parents[1] / "data" / "x12"


@pytest.fixture(autouse=True)
def _secrets(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("CLINICDESK_PASSWORD", ADMIN_PASSWORD)
    monkeypatch.setenv("CLINICDESK_PASSPHRASE", PASSPHRASE)
    yield
    stop_logging()


@pytest.fixture
def billing_db(database: Database, tmp_path: Path) -> Path:
    """A practice with one insured visit posted, a ZIP+4 and a clearinghouse outbox."""
    practice = build_claim_practice(database)
    _give_address(database, practice.patient_id)
    set_practice_zip(database, "60201-4412")
    clearinghouse_id = add_clearinghouse(database)
    with database.transaction() as session:
        clearinghouse = session.get_one(Clearinghouse, clearinghouse_id)
        clearinghouse.outbox_folder = str(tmp_path / "outbox")
    (tmp_path / "outbox").mkdir()
    path = database.path
    database.close()
    return path


def _give_address(database: Database, patient_id: uuid.UUID) -> None:
    # The subscriber's address goes on the claim, so a claim without one is held.
    with database.transaction() as session:
        patient = session.get_one(Patient, patient_id)
        patient.address_line1 = "12 Lake Street"
        patient.city = "Evanston"
        patient.state = "IL"
        patient.zip_code = "60201"


def _run(path: Path, *arguments: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = cli.main(["--db", str(path), "--user", "admin", "--json", *arguments])
    return code, json.loads(capsys.readouterr().out)


def _claims(path: Path) -> list[Claim]:
    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.session() as session:
            return list(session.scalars(select(Claim).order_by(Claim.claim_number)))
    finally:
        database.close()


def test_build_then_export(
    billing_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, built = _run(billing_db, "claims", "build", capsys=capsys)

    assert code == 0, built["findings"]
    assert built["built"] == 1
    assert built["ready"] == 1
    [claim] = _claims(billing_db)
    assert claim.status == ClaimStatus.READY

    out = tmp_path / "today.837"
    code, exported = _run(billing_db, "claims", "export", "--out", str(out), capsys=capsys)

    assert code == 0
    assert exported["files"] == [str(out)]
    assert pyx12_errors(out.read_text(encoding="utf-8")) == []
    assert _claims(billing_db)[0].status == ClaimStatus.SUBMITTED


def test_export_with_nothing_ready(billing_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, result = _run(billing_db, "claims", "export", "--out", "x.837", capsys=capsys)

    assert code == 1
    assert result["files"] == []


def test_scrub_holds_claim_without_zip4(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    practice = build_claim_practice(database)
    _give_address(database, practice.patient_id)
    set_practice_zip(database, "60201")
    add_clearinghouse(database)
    path = database.path
    database.close()

    code, built = _run(path, "claims", "build", capsys=capsys)

    assert code == 1
    assert built["held"] == 1
    fields = {finding["field"] for finding in built["findings"]}
    assert "practice.address" in fields
    code, scrubbed = _run(path, "claims", "scrub", capsys=capsys)
    assert code == 1
    assert scrubbed["held"] == 1


def test_submit_saves_to_outbox(
    billing_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(billing_db, "claims", "build", capsys=capsys)

    code, result = _run(billing_db, "claims", "submit", capsys=capsys)

    assert code == 0
    assert [item["how"] for item in result["sent"]] == ["saved to the outbox"]
    assert len(list((tmp_path / "outbox").glob("*.837"))) == 1
    code, again = _run(billing_db, "claims", "submit", capsys=capsys)
    assert code == 1
    assert again["sent"] == []


def test_print_claim(billing_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _run(billing_db, "claims", "build", capsys=capsys)
    [claim] = _claims(billing_db)
    out = tmp_path / "claim.pdf"

    code, result = _run(
        billing_db, "claims", "print", claim.claim_number, "--out", str(out), capsys=capsys
    )

    assert code == 0
    assert result["pages"] == 1
    assert out.read_bytes().startswith(b"%PDF")


def test_print_unknown_claim(billing_db: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(
        ["--db", str(billing_db), "--user", "admin", "claims", "print", "NOPE-1", "--out", "a.pdf"]
    )

    assert code == 1
    assert "No claim is numbered NOPE-1" in capsys.readouterr().err


def test_x12_import_277ca(
    billing_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(billing_db, "claims", "build", capsys=capsys)
    _run(billing_db, "claims", "submit", capsys=capsys)
    [claim] = _claims(billing_db)
    answer = tmp_path / "answer.277"
    answer.write_text(_status_file(claim.claim_number), encoding="utf-8")

    code, result = _run(billing_db, "x12", "import", str(answer), capsys=capsys)

    assert code == 0
    assert result["kind"] == "277CA"
    assert result["rejected"] == 1
    assert _claims(billing_db)[0].status == ClaimStatus.REJECTED
    code, again = _run(billing_db, "x12", "import", str(answer), capsys=capsys)
    assert code == 1
    assert "imported" in again["error"]


def _status_file(claim_number: str) -> str:
    segments = [
        "ISA*00*          *00*          *ZZ*TESTHOUSE      *ZZ*LAKESIDE       *260205*0930*^"
        "*00501*000000601*0*T*:",
        "GS*HN*TESTHOUSE*LAKESIDE*20260205*0930*601*X*005010X214",
        "ST*277*0001*005010X214",
        "BHT*0085*08*0001*20260205*0930*TH",
        "HL*1**20*1",
        "NM1*PR*2*TEST CLEARINGHOUSE*****46*CH01",
        "TRN*1*0001",
        "DTP*050*D8*20260205",
        "DTP*009*D8*20260205",
        "HL*2*1*21*1",
        "NM1*41*2*LAKESIDE FAMILY MEDICINE*****46*SUB01",
        "TRN*2*0001",
        "STC*A1:20*20260205*WQ*120",
        "HL*3*2*19*1",
        "NM1*85*2*LAKESIDE FAMILY MEDICINE*****XX*1234567893",
        "TRN*1*0001",
        "STC*A1:20**WQ*120",
        "HL*4*3*PT",
        "NM1*QC*1*RIVERA*ANA****MI*W123456789",
        f"TRN*2*{claim_number}",
        "STC*A7:164:IL*20260205*U*120",
        "DTP*472*D8*20260202",
        "SE*21*0001",
        "GE*1*601",
        "IEA*1*000000601",
    ]
    return "".join(f"{segment}~\n" for segment in segments)


def test_x12_validate_good_and_bad(capsys: pytest.CaptureFixture[str]) -> None:
    good = DATA / "uhin-minimal-single-claim.837"

    assert cli.main(["x12", "validate", str(good)]) == 0
    assert ": valid 837P" in capsys.readouterr().out


def test_x12_validate_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = (DATA / "uhin-minimal-single-claim.837").read_text(encoding="utf-8")
    broken = tmp_path / "broken.837"
    broken.write_text(good.replace("NM1*85*2*", "NM1*85*9*", 1), encoding="utf-8")

    assert cli.main(["x12", "validate", "--json", str(broken)]) == 1
    result = json.loads(capsys.readouterr().out)
    assert result["valid"] is False
    assert result["errors"]


def test_x12_import_835_posts_or_queues(
    billing_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _run(billing_db, "claims", "build", capsys=capsys)
    _run(billing_db, "claims", "submit", capsys=capsys)
    remittance = tmp_path / "payment.835"
    remittance.write_text(_remittance_file(billing_db), encoding="utf-8")

    code, result = _run(billing_db, "x12", "import", str(remittance), capsys=capsys)

    assert code == 0, result
    assert result["kind"] == "835"
    assert result["claims"] == 1
    # The simulated payer denies a lone claim, and matched mode leaves a denial for review.
    assert result["review"] == 1
    assert result["posted"] == 0
    code, again = _run(billing_db, "x12", "import", str(remittance), capsys=capsys)
    assert code == 1
    assert "imported" in again["error"]


def _remittance_file(path: Path) -> str:
    from datetime import date

    from app.services.payer_simulator import SimulationPlan, simulate_remittances
    from app.x12.writer_835 import write_835

    database = Database.open(path, lambda _path: PASSPHRASE)
    try:
        with database.session() as session:
            claim_ids = [claim.id for claim in session.scalars(select(Claim))]
            plan = SimulationPlan(seed=3, payment_date=date(2026, 2, 20), interest=False)
            [simulated] = simulate_remittances(session, claim_ids, plan)
    finally:
        database.close()
    return write_835(
        [simulated.remittance], control_number=7001, sender_id="TESTHOUSE", receiver_id="LAKESIDE"
    )
