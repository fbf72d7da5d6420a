"""The Remittances tab: importing an 835, the review queue and posting by keyboard."""

from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services import remark_codes
from app.x12.writer_835 import WrittenCas
from tests.helpers.era_data import (
    DEFAULT_SERVICE_DAY,
    EraPractice,
    LineSpec,
    add_claim,
    add_payer,
    build_era_practice,
    write_remittance,
    written_claim,
)
from tests.ui.admin.conftest import drain
from ui.admin.common import RecordTable
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner
from ui.payments.remittances import RemittancesTab, ReviewDialog


@pytest.fixture
def era(database: Database) -> EraPractice:
    return build_era_practice(database)


@pytest.fixture
def biller_context(qtbot: QtBot, era: EraPractice) -> Iterator[AppContext]:
    actor = era.biller
    context = AppContext(era.database, OperationRunner(era.database), SignedInUser(actor), "W1")
    yield context
    drain(qtbot, context)


def open_tab(qtbot: QtBot, context: AppContext) -> RemittancesTab:
    tab = RemittancesTab(context)
    qtbot.addWidget(tab)
    tab.resize(1300, 700)
    tab.show()
    drain(qtbot, context)
    return tab


def review_file(
    era: EraPractice,
    tmp_path: Path,
    interest: Decimal | None = None,
    payer_spelling: tuple[str, str] | None = None,
) -> Path:
    """Write an 835 from a payer in review mode that pays one claim, and return its path.

    `payer_spelling` is the (last, first) name the 835 sends in place of the patient's.
    """
    with era.database.transaction() as session:
        payer_id = add_payer(session, "Aetna", "60054", mode="review")
        claim = add_claim(
            session, era, payer_id, last="Rivera", first="Ana", member_id="W123",
            service_date=DEFAULT_SERVICE_DAY, lines=[LineSpec("99213", Decimal("120.00"))],
        )  # fmt: skip
    payment = written_claim(
        claim,
        paid=["85.00"],
        adjustments=[
            [WrittenCas("CO", "45", Decimal("15.00")), WrittenCas("PR", "2", Decimal("20.00"))]
        ],
        interest=interest,
    )
    if payer_spelling is not None:
        payment = replace(payment, patient_last=payer_spelling[0], patient_first=payer_spelling[1])
    path = tmp_path / "remit.835"
    path.write_text(write_remittance([payment], payer=("AETNA", "60054"), trace_number="EFT991"))
    return path


def test_empty_tab(qtbot: QtBot, biller_context: AppContext) -> None:
    tab = open_tab(qtbot, biller_context)

    assert tab.list.rowCount() == 0
    assert tab.empty.isVisibleTo(tab)
    assert [tab.pages.tabText(index).replace("&", "") for index in range(4)] == [
        "Remittances", "Review (0)", "Unapplied (0)", "Held (0)",
    ]  # fmt: skip


def test_malformed_file_shows_message(
    qtbot: QtBot, biller_context: AppContext, tmp_path: Path
) -> None:
    path = tmp_path / "broken.835"
    path.write_text("ISA*00*this is not an 835~", encoding="ascii")
    tab = open_tab(qtbot, biller_context)

    tab.import_file(path)
    drain(qtbot, biller_context)

    assert tab.summary.text()
    assert "segment" in tab.summary.text().lower()
    assert tab.list.rowCount() == 0
    assert tab.import_button.isEnabled()


def test_review_and_post_by_keyboard(
    qtbot: QtBot, era: EraPractice, biller_context: AppContext, tmp_path: Path
) -> None:
    tab = open_tab(qtbot, biller_context)

    tab.import_file(review_file(era, tmp_path))
    drain(qtbot, biller_context)

    assert tab.summary.text().startswith("remit.835: 0 posted ($0.00), 1 to review")
    assert tab.pages.currentWidget() is tab.queues["review"]
    queue = tab.queues["review"]
    assert queue.rowCount() == 1
    queue.selectRow(0)
    queue.setFocus()
    qtbot.keyClick(queue, Qt.Key.Key_Return)
    drain(qtbot, biller_context)
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None
    groups = dialog.adjustments.column_texts(3)
    actions = dialog.adjustments.column_texts(6)
    assert groups == ["CO: Contractual obligation", "PR: Patient responsibility"]
    assert dialog.adjustments.column_texts(5) == ["$15.00", "$20.00"]
    assert dialog.adjustments.column_texts(7) == ["(wording not imported)"] * 2
    assert actions[0] == "Write off"
    assert dialog.post_button.isEnabled()

    qtbot.keyClick(dialog, Qt.Key.Key_P, Qt.KeyboardModifier.ControlModifier)
    drain(qtbot, biller_context)

    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert queue.rowCount() == 0
    assert tab.list.column_texts(6) == ["1"]
    assert tab.list.column_texts(3) == ["Check"]
    assert tab.summary.text() == "Posted."


def test_unapplied_matched_to_claim(
    qtbot: QtBot, era: EraPractice, biller_context: AppContext, tmp_path: Path
) -> None:
    with era.database.transaction() as session:
        payer_id = add_payer(session, "Aetna", "60054", mode="matched")
        claim = add_claim(
            session, era, payer_id, last="Rivera", first="Ana", member_id="W123",
            service_date=DEFAULT_SERVICE_DAY, lines=[LineSpec("99213", Decimal("120.00"))],
        )  # fmt: skip
    payment = written_claim(
        claim,
        paid=["120.00"],
        patient_control_number="UNKNOWN-77",
        payer_claim_number="AET-1",
        control_numbers=False,
    )
    payment = replace(payment, patient_last="NOBODY", patient_first="NEMO", member_id="X999")
    path = tmp_path / "unapplied.835"
    path.write_text(write_remittance([payment], payer=("AETNA", "60054"), trace_number="EFT7"))
    tab = open_tab(qtbot, biller_context)
    tab.import_file(path)
    drain(qtbot, biller_context)
    queue = tab.queues["unapplied"]
    assert queue.rowCount() == 1, tab.summary.text()
    queue.selectRow(0)
    tab.open_review("unapplied")
    drain(qtbot, biller_context)
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None
    assert not dialog.post_button.isEnabled()
    header = dialog.findChild(QLabel, "reviewHeader")
    assert header is not None
    assert "Patient NOBODY, NEMO (as the payer sent it) · member X999" in header.text()

    dialog.match_button.click()
    qtbot.keyClicks(dialog.claim_number, claim.claim_number)
    qtbot.keyClick(dialog.claim_number, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert not shiboken6.isValid(dialog) or not dialog.isVisible()
    assert queue.rowCount() == 0


def test_review_columns_fit(
    qtbot: QtBot, era: EraPractice, biller_context: AppContext, tmp_path: Path
) -> None:
    wording = tmp_path / "carc.csv"
    long_text = "Charge exceeds fee schedule/maximum allowable or contracted fee arrangement."
    wording.write_text(f"Code,Description\n45,{long_text}\n", encoding="utf-8")
    with era.database.transaction() as session:
        remark_codes.import_remark_codes(session, era.admin, wording, "carc")
    tab = open_tab(qtbot, biller_context)
    tab.import_file(review_file(era, tmp_path))
    drain(qtbot, biller_context)
    tab.queues["review"].selectRow(0)

    tab.open_review("review")
    drain(qtbot, biller_context)
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None
    qtbot.waitExposed(dialog)
    billed = dialog.findChild(RecordTable, "billedLines")
    assert billed is not None

    # Every column, Charge last, shows without scrolling sideways.
    assert billed.horizontalHeader().length() <= billed.viewport().width()
    assert billed.column_texts(4) == ["$120.00"]
    # Long wording stretches in the last column; Amount and Posting will stay in sight.
    adjustments = dialog.adjustments
    posting_will = adjustments.horizontalHeader().sectionViewportPosition(6)
    assert posting_will + adjustments.columnWidth(6) <= adjustments.viewport().width()
    assert adjustments.column_texts(7)[0] == long_text


def test_set_aside_by_keyboard(
    qtbot: QtBot, era: EraPractice, biller_context: AppContext, tmp_path: Path
) -> None:
    tab = open_tab(qtbot, biller_context)
    tab.import_file(review_file(era, tmp_path))
    drain(qtbot, biller_context)
    tab.queues["review"].selectRow(0)
    tab.open_review("review")
    drain(qtbot, biller_context)
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None

    dialog.aside_button.click()
    assert dialog.focusWidget() is dialog.note
    qtbot.keyClicks(dialog.note, "Not our patient")
    qtbot.keyClick(dialog.note, Qt.Key.Key_Return)
    drain(qtbot, biller_context)

    assert tab.queues["review"].rowCount() == 0
    assert tab.queues["unapplied"].rowCount() == 1
    assert "Unapplied queue" in tab.summary.text()


def test_front_desk_sees_remittances_without_posting(qtbot: QtBot, era: EraPractice) -> None:
    actor = era.front_desk
    context = AppContext(era.database, OperationRunner(era.database), SignedInUser(actor), "W1")
    tab = open_tab(qtbot, context)

    assert not tab.import_button.isVisibleTo(tab)
    assert not tab.fetch_button.isVisibleTo(tab)
    assert tab.summary.text().startswith("Billers import and post remittances")
    drain(qtbot, context)


def open_header(qtbot: QtBot, context: AppContext, path: Path) -> tuple[ReviewDialog, str]:
    """Import `path`, open the review screen of its one claim payment, return the header."""
    tab = open_tab(qtbot, context)
    tab.import_file(path)
    drain(qtbot, context)
    tab.queues["review"].selectRow(0)
    tab.open_review("review")
    drain(qtbot, context)
    dialog = tab.findChild(ReviewDialog)
    assert dialog is not None
    header = dialog.findChild(QLabel, "reviewHeader")
    assert header is not None
    return dialog, header.text()


def test_review_header_names_interest(
    qtbot: QtBot, era: EraPractice, biller_context: AppContext, tmp_path: Path
) -> None:
    path = review_file(era, tmp_path, interest=Decimal("3.25"))

    _dialog, header = open_header(qtbot, biller_context, path)

    assert "paid $88.25 (of which interest $3.25, posted to the practice)" in header


@pytest.mark.parametrize(
    ("spelling", "expected", "payer_sent"),
    [
        (("RIVERA", "ANA M"), "Patient Rivera, Ana (payer sent RIVERA, ANA M) · member W123", 1),
        (("RIVERA", "ANA"), "Patient Rivera, Ana · member W123", 0),
    ],
)
def test_review_header_names_our_patient(
    qtbot: QtBot,
    era: EraPractice,
    biller_context: AppContext,
    tmp_path: Path,
    *,
    spelling: tuple[str, str],
    expected: str,
    payer_sent: int,
) -> None:
    path = review_file(era, tmp_path, payer_spelling=spelling)

    dialog, header = open_header(qtbot, biller_context, path)

    assert expected in header
    # A spelling that differs only in capitals is left out.
    assert header.count("payer sent") == payer_sent
    assert dialog.windowTitle() == "Review payment: Rivera, Ana"
