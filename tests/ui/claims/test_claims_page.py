"""The Claims page's worklist: building claims, filters, the aging strip and the detail pane."""

from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import func, select

from app.models.claims import Claim
from app.services.claim_worklist import AGING_BUCKETS
from tests.helpers.claim_data import ClaimPractice
from tests.ui.claims.conftest import ContextFor, settle, show_page
from ui.claims.page import NO_PERMISSION, ClaimsPage
from ui.claims.worklist import COLUMNS, WARNING_COLOR
from ui.widgets import find_data


def built_page(qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor) -> ClaimsPage:
    """Build and scrub the insured visit's claim through the page, then show every status."""
    page = show_page(qtbot, context_for(claim_practice.biller))
    page.filters.set_status(None)
    page.actions.build.trigger()
    settle(qtbot, page)
    return page


def cell(page: ClaimsPage, row: int, column: str) -> str:
    return str(page.model.index(row, COLUMNS.index(column)).data())


def claim_count(claim_practice: ClaimPractice) -> int:
    with claim_practice.database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(Claim)) or 0)


def test_build_action_creates_claims(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = show_page(qtbot, context_for(claim_practice.biller))
    page.filters.set_status(None)
    settle(qtbot, page)
    assert page.model.rows == []

    page.actions.build.trigger()
    settle(qtbot, page)

    # The uninsured patient's visit is self-pay, so only the insured visit is billed.
    assert claim_count(claim_practice) == 1
    assert len(page.model.rows) == 1
    assert page.status.text().startswith("Built 1 claim:")
    assert page.table.current_row() is not None


def test_build_twice_builds_nothing_new(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)

    page.actions.build.trigger()
    settle(qtbot, page)

    assert claim_count(claim_practice) == 1
    assert page.status.text().startswith("No new claims")


def test_worklist_shows_claim_cells(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    row = page.model.rows[0]

    assert cell(page, 0, "Claim") == row.claim_number
    assert cell(page, 0, "Date of service") == "02/02/2026"
    assert cell(page, 0, "Amount") == "$120.00"
    assert cell(page, 0, "Payer") == row.payer_name
    assert cell(page, 0, "Status") == row.status_label
    assert page.count.text() == "1 claim · $120.00"


def test_search_narrows_list(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    number = page.model.rows[0].claim_number

    page.filters.search.setText(number)
    page.filters.changed.emit()
    settle(qtbot, page)
    assert [row.claim_number for row in page.model.rows] == [number]

    page.filters.search.setText("no such claim zz")
    page.filters.changed.emit()
    settle(qtbot, page)
    assert page.model.rows == []
    assert page.empty.isVisibleTo(page)


def test_typing_search_reloads_after_pause(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    page.filters.focus_search()

    qtbot.keyClicks(page.filters.search, "zzz-none")
    qtbot.waitUntil(lambda: not page.filters.typing.isActive(), timeout=3_000)
    settle(qtbot, page)

    assert page.model.rows == []


def test_status_filter_narrows_list(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    status = page.model.rows[0].status
    other = "paid"
    assert status != other

    page.filters.set_status(other)
    settle(qtbot, page)
    assert page.model.rows == []

    page.filters.set_status(status)
    settle(qtbot, page)
    assert len(page.model.rows) == 1


def test_payer_filter_narrows_list(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    payer = page.filters.payer
    assert find_data(payer, claim_practice.cigna_id) > 0

    payer.setCurrentIndex(find_data(payer, claim_practice.cigna_id))
    settle(qtbot, page)
    assert page.model.rows == []

    payer.setCurrentIndex(find_data(payer, claim_practice.aetna_id))
    settle(qtbot, page)
    assert len(page.model.rows) == 1


def test_amount_range_narrows_list(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)

    page.filters.min_amount.setText("121")
    page.filters.changed.emit()
    settle(qtbot, page)
    assert page.model.rows == []

    page.filters.min_amount.setText("100")
    page.filters.max_amount.setText("$120.00")
    page.filters.changed.emit()
    settle(qtbot, page)
    assert len(page.model.rows) == 1


def test_unreadable_amount_says_how_to_fix(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)

    page.filters.max_amount.setText("12o")
    page.filters.changed.emit()
    settle(qtbot, page)

    assert page.filters.problem.isVisibleTo(page)
    assert "'12o' is not an amount" in page.filters.problem.text()
    assert "such as 125" in page.filters.problem.text()
    # The unreadable bound is left out, so the list still shows the claim.
    assert len(page.model.rows) == 1


def test_aging_click_filters_list(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    bucket = page.model.rows[0].aging_bucket
    other = next(name for name in AGING_BUCKETS if name != bucket)
    assert page.aging.buttons[bucket].text().endswith("1 claim · $120.00")
    assert page.aging.buttons[other].text().endswith("0 claims · $0.00")

    qtbot.mouseClick(page.aging.buttons[other], Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.filters.age_bucket() == other
    assert page.model.rows == []
    # The strip keeps counting every age while one bucket is chosen.
    assert page.aging.buttons[bucket].text().endswith("1 claim · $120.00")

    qtbot.mouseClick(page.aging.buttons[bucket], Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert len(page.model.rows) == 1
    assert page.aging.buttons[bucket].isChecked()

    qtbot.mouseClick(page.aging.buttons[bucket], Qt.MouseButton.LeftButton)
    settle(qtbot, page)
    assert page.filters.age_bucket() is None


def test_enter_opens_detail(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    row = page.model.rows[0]
    page.detail.clear()
    page.table.setFocus()
    page.table.selectRow(0)
    page.detail_timer.stop()

    qtbot.keyClick(page.table, Qt.Key.Key_Return)
    settle(qtbot, page)

    view = page.detail.view
    assert view is not None
    assert view.claim_number == row.claim_number
    assert view.total == Decimal("120.00")
    assert row.claim_number in page.detail.header.text()
    assert page.detail.lines.rowCount() == 1
    assert page.detail.lines.item(0, 2).text() == "99213"
    assert page.detail.history.rowCount() >= 1
    assert page.detail.tabs.currentIndex() == 0
    assert QApplication.focusWidget() is page.detail.findings


def test_filing_days_red_near_limit(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    row = page.model.rows[0]
    index = page.model.index(0, COLUMNS.index("Filing days left"))
    brush = index.data(Qt.ItemDataRole.ForegroundRole)

    assert row.filing_days_left is not None
    if row.filing_days_left <= 30:
        assert brush is not None
        assert brush.color() == WARNING_COLOR
    else:
        assert brush is None


def test_lock_clears_claims(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    page = built_page(qtbot, claim_practice, context_for)
    assert page.detail.view is not None

    page.clear_data()

    assert page.model.rows == []
    assert page.detail.view is None
    assert "Select a claim" in page.detail.header.text()


def test_front_desk_loads_nothing(
    qtbot: QtBot, claim_practice: ClaimPractice, context_for: ContextFor
) -> None:
    claim_practice.build()
    page = show_page(qtbot, context_for(claim_practice.charge.front_desk))

    assert page.model.rows == []
    assert not page.actions.build.isEnabled()
    assert page.empty.isVisibleTo(page)
    assert page.empty.text() == NO_PERMISSION
