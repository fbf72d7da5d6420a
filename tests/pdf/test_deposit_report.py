"""The deposit report PDF: every figure read back row by row, long deposits and the print audit."""

import uuid
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from app.db.database import Database
from app.models.security import AuditEvent
from app.pdf.deposit_report import render_deposit_report
from app.services.billing_header import BillingHeader
from app.services.deposits import (
    DepositItem,
    DepositReport,
    create_deposit,
    reconcile_deposit,
    write_deposit_report_pdf,
)
from app.services.face_sheet_values import PracticeHeader
from tests.helpers.deposit_data import add_payment, add_remittance, build_deposit_practice
from tests.helpers.pdf_text import PlacedText, page_count, placed_text

HEADER = BillingHeader(
    PracticeHeader(
        "Lakeside Family Medicine", "1200 Lake Shore Drive, Evanston IL", "847-555-0140"
    ),
    "1234567893",
)
DAY = date(2026, 3, 2)


def _item(
    reference: str,
    amount: str,
    *,
    method: str = "check",
    party: str = "Account T-000001",
    check_number: str | None = None,
    kind: str = "payment",
    voided: bool = False,
) -> DepositItem:
    return DepositItem(
        item_id=uuid.uuid4(),
        kind=kind,
        received_on=DAY,
        reference=reference,
        check_number=check_number,
        party=party,
        method=method,
        amount=Decimal(amount),
        voided=voided,
    )


ITEMS = (
    _item("K7Q-000101", "40.00", method="cash"),
    _item("K7Q-000102", "25.50", check_number="1042", party="Account T-000002"),
    _item(
        "CHK778812",
        "1310.75",
        check_number="CHK778812",
        party="Aetna",
        kind="remittance",
    ),
    _item("K7Q-000103", "5.00", method="cash", voided=True),
)


def _report(**changes: object) -> DepositReport:
    report = DepositReport(
        header=HEADER,
        deposit_number="K7Q-000007",
        deposited_on=date(2026, 3, 3),
        method="cash_check",
        status="reconciled",
        items=ITEMS,
        # The voided $5.00 cash item is listed but counts in no total.
        totals_by_method=(("Cash", Decimal("40.00")), ("Check", Decimal("1336.25"))),
        expected_amount=Decimal("1376.25"),
        bank_amount=Decimal("1371.25"),
        difference=Decimal("-5.00"),
        note="Bank fee",
        reconciled_on=date(2026, 3, 10),
        reconciled_by="Office Admin",
        printed_on=date(2026, 3, 11),
    )
    return replace(report, **changes)  # type: ignore[arg-type]


def _rows(runs: list[PlacedText], page: int = 0) -> list[list[str]]:
    """Return the text of each printed line of `page`, top to bottom, left to right."""
    lines: dict[float, list[PlacedText]] = {}
    for run in runs:
        if run.page == page:
            lines.setdefault(round(run.y), []).append(run)
    return [
        [run.text for run in sorted(lines[y], key=lambda run: run.x)]
        for y in sorted(lines, reverse=True)
    ]


def test_report_item_rows(tmp_path: Path) -> None:
    path = tmp_path / "deposit.pdf"
    render_deposit_report(_report(), path)

    rows = _rows(placed_text(path))

    assert ["03/02/2026", "K7Q-000101", "Account T-000001", "Cash", "$40.00"] in rows
    assert ["03/02/2026", "K7Q-000102", "1042", "Account T-000002", "Check", "$25.50"] in rows
    assert ["03/02/2026", "CHK778812", "CHK778812", "Aetna", "Check", "$1,310.75"] in rows
    assert ["03/02/2026", "K7Q-000103", "Account T-000001 (voided)", "Cash", "$5.00"] in rows
    headings = ["Received", "Receipt or trace", "Check number", "Payer or account", "Method"]
    assert [*headings, "Amount"] in rows


def test_report_header_and_block(tmp_path: Path) -> None:
    path = tmp_path / "deposit.pdf"
    render_deposit_report(_report(), path)

    rows = _rows(placed_text(path))

    assert ["Lakeside Family Medicine", "Deposit report"] in rows
    assert any(row[-1] == "Deposit K7Q-000007" for row in rows)
    assert any(row[-1] == "Printed 03/11/2026" for row in rows)
    assert ["Deposit number", "Deposited on", "Method", "Status"] in rows
    assert ["K7Q-000007", "03/03/2026", "Cash and checks", "Reconciled"] in rows


def test_report_totals_and_bank(tmp_path: Path) -> None:
    path = tmp_path / "deposit.pdf"
    render_deposit_report(_report(), path)

    rows = _rows(placed_text(path))

    assert ["Cash total", "$40.00"] in rows
    assert ["Check total", "$1,336.25"] in rows
    assert ["Expected deposit (3 items)", "$1,376.25"] in rows
    assert ["Bank statement amount", "$1,371.25"] in rows
    assert ["Difference (bank minus expected)", "-$5.00"] in rows
    assert ["Reconciled by Office Admin on 03/10/2026"] in rows
    assert ["Note: Bank fee"] in rows
    assert rows[-1] == ["Keep with the bank's deposit receipt.", "Deposit K7Q-000007   Page 1 of 1"]


def test_report_not_reconciled(tmp_path: Path) -> None:
    path = tmp_path / "deposit.pdf"
    report = _report(
        status="open",
        bank_amount=None,
        difference=None,
        note="",
        reconciled_on=None,
        reconciled_by="",
    )
    render_deposit_report(report, path)

    rows = _rows(placed_text(path))

    assert ["K7Q-000007", "03/03/2026", "Cash and checks", "Not reconciled"] in rows
    assert ["Not reconciled yet: compare this report with the bank statement."] in rows
    assert not any("Bank statement amount" in row for row in rows)


def test_long_report_pages(tmp_path: Path) -> None:
    items = tuple(_item(f"R2D-{number:06d}", f"{number}.25") for number in range(1, 121))
    total = sum((item.amount for item in items), Decimal("0"))
    report = _report(
        items=items,
        totals_by_method=(("Check", total),),
        expected_amount=total,
        bank_amount=total,
        difference=Decimal("0.00"),
    )
    path = tmp_path / "deposit.pdf"
    render_deposit_report(report, path)

    runs = placed_text(path)
    pages = page_count(path)
    assert pages == 3
    printed = [run.text for run in runs if run.text.startswith("R2D-")]
    assert printed == [item.reference for item in items]
    last = _rows(runs, pages - 1)
    assert ["Expected deposit (120 items)", "$7,290.00"] in last
    assert ["Difference (bank minus expected)", "$0.00"] in last
    footers = [run.text for run in runs if run.text.startswith("Deposit K7Q-000007   Page")]
    assert footers == [f"Deposit K7Q-000007   Page {page} of 3" for page in (1, 2, 3)]
    for page in range(pages - 1):
        assert not any("Expected deposit" in " ".join(row) for row in _rows(runs, page))


def test_report_from_database(database: Database, tmp_path: Path) -> None:
    practice = build_deposit_practice(database)
    rivera, chen, _nguyen = practice.patient_ids
    with database.transaction() as session:
        cash = add_payment(session, practice, rivera, "40.00", method="cash", received_on=DAY)
        check = add_payment(session, practice, chen, "25.50", received_on=DAY, check_number="1042")
        eob = add_remittance(
            session, practice, "310.00", trace_number="CHK778812", payment_date=DAY
        )
        outcome = create_deposit(
            session, practice.front_desk, [cash.id, check.id, eob.id], DAY, "cash_check"
        )
        assert outcome.record_id is not None
        reconcile_deposit(
            session, practice.manager, outcome.record_id, Decimal("375.50"), ""
        ).raise_if_rejected()
        receipts = (cash.receipt_number, check.receipt_number)

    path = tmp_path / "deposit.pdf"
    with database.transaction() as session:
        write_deposit_report_pdf(session, practice.front_desk, outcome.record_id, path)

    rows = _rows(placed_text(path))
    assert ["03/02/2026", receipts[0], "Account T-000001", "Cash", "$40.00"] in rows
    assert ["03/02/2026", receipts[1], "1042", "Account T-000002", "Check", "$25.50"] in rows
    assert ["03/02/2026", "CHK778812", "CHK778812", "Aetna", "Check", "$310.00"] in rows
    assert ["Cash total", "$40.00"] in rows
    assert ["Check total", "$335.50"] in rows
    assert ["Expected deposit (3 items)", "$375.50"] in rows
    assert ["Bank statement amount", "$375.50"] in rows
    assert ["Difference (bank minus expected)", "$0.00"] in rows
    with database.reading() as session:
        prints = session.scalars(
            select(AuditEvent.object_id).where(
                AuditEvent.action == "print", AuditEvent.object_type == "deposit"
            )
        ).all()
    assert prints == [str(outcome.record_id)]
