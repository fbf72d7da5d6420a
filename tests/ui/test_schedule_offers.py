"""The waitlist pop-up the calendar shows after a cancel: offers with a Book button."""

from datetime import timedelta

import pytest
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.models.scheduling import Appointment, WaitlistEntry
from app.security.permissions import system_actor
from app.services.calendar_view import Block
from app.services.waitlist import WaitlistInput, add_entry
from tests.ui import test_schedule
from tests.ui.conftest import settle
from tests.ui.test_schedule import Page
from ui.schedule.dialogs import CancelDialog
from ui.schedule.page import SchedulePage

# The page fixture the calendar tests use, shared rather than copied.
make_page = test_schedule.make_page
EVERY_DAY = (0, 1, 2, 3, 4, 5, 6)


def _cancel(page: SchedulePage, block: Block, monkeypatch: pytest.MonkeyPatch) -> None:
    def answer(dialog: CancelDialog) -> int:
        dialog.reason.setText("Patient is out of town")
        return CancelDialog.DialogCode.Accepted.value

    monkeypatch.setattr(CancelDialog, "exec", answer)
    page.cancel(block)


# The offscreen platform cannot stack windows, so raising the pop-up only logs a warning.
@pytest.mark.qt_log_ignore("does not support raise")
def test_popup_book_fills_freed_time(
    make_page: Page, qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = make_page()
    test_schedule._open_day(page, qtbot, test_schedule._busy_day(demo_database))
    block = test_schedule._movable(page)
    waiting_patient = next(
        other.patient_id for other in page.grid.grid.blocks if other.patient_id != block.patient_id
    )
    with demo_database.transaction() as session:
        entry_id = add_entry(
            session,
            system_actor("TST"),
            WaitlistInput(waiting_patient, block.minutes, weekdays=EVERY_DAY),
        ).entry_id

    _cancel(page, block, monkeypatch)
    settle(qtbot, page.context.ops)
    popup = page.waitlist_offers
    qtbot.waitUntil(popup.isVisible, timeout=5_000)
    offers = popup.offer_list.offers
    assert [offer.entry_id for offer in offers] == [entry_id]
    button = popup.offer_list.book_button(0)
    assert button is not None
    assert button.isEnabled()

    with qtbot.waitSignal(popup.booked) as booked:
        button.click()
        settle(qtbot, page.context.ops)

    with demo_database.reading() as session:
        appointment = session.get_one(Appointment, booked.args[0])
        entry = session.get_one(WaitlistEntry, entry_id)
        assert appointment.patient_id == waiting_patient
        assert appointment.starts_at == block.starts_at
        assert appointment.provider_id == block.provider_id
        assert entry.status == "booked"
    assert popup.offer_list.table.isHidden()
    assert "Booked from the waitlist" in page.status.text()


@pytest.mark.qt_log_ignore("does not support raise")
def test_shorter_visit_offers_freed_end(
    make_page: Page, qtbot: QtBot, demo_database: Database
) -> None:
    page = make_page()
    test_schedule._open_day(page, qtbot, test_schedule._busy_day(demo_database))
    block = next(b for b in page.grid.grid.blocks if b.status == "scheduled" and b.minutes >= 30)
    waiting_patient = next(
        other.patient_id for other in page.grid.grid.blocks if other.patient_id != block.patient_id
    )
    with demo_database.transaction() as session:
        add_entry(
            session, system_actor("TST"), WaitlistInput(waiting_patient, 15, weekdays=EVERY_DAY)
        )

    page.resize_block(block, block.minutes - 15)
    settle(qtbot, page.context.ops)

    assert page.status.text().startswith(f"Resized to {block.minutes - 15} minutes.")
    popup = page.waitlist_offers
    qtbot.waitUntil(popup.isVisible, timeout=5_000)
    freed = popup.offer_list.freed
    assert freed is not None
    assert freed.starts_at == block.ends_at - timedelta(minutes=15)
    assert freed.minutes == 15
