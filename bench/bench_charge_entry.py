"""Time the keyboard charge-entry flow: from the Charges queue to posted ledger rows.

    python bench/bench_charge_entry.py --runs 10

The script builds a new encrypted database in a temporary folder with the charge-entry
practice of tests/helpers/charge_data.py and checks out one follow-up visit per run (its
visit type bills 99213). Each run drives the real widgets with key presses only, the
way a biller works, and waits for every service call the keys start:

    Enter (open the draft from the queue), E11.9 Enter (diagnosis), Insert, 97110 Tab
    (a second line, priced from the fee schedule), GP (its modifier), Ctrl+Enter (save,
    check, confirm), Enter (post)

That is 18 key presses. The time measured is how long the program takes to react to
them, with no pause between keys. A person adds their own typing and reading time.
Prints a Markdown table.
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_charge_entry.py` find the app package
    sys.path.insert(0, str(ROOT))

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import keyring  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402
from PySide6.QtTest import QTest  # noqa: E402
from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from app.db.database import Database  # noqa: E402
from app.models.ledger import LedgerEntry  # noqa: E402
from app.services import booking, encounters  # noqa: E402
from tests.helpers import charge_data  # noqa: E402
from tests.helpers.memory_keyring import MemoryKeyring  # noqa: E402
from tests.helpers.scheduling_data import wall  # noqa: E402
from ui.application import create_application  # noqa: E402
from ui.charges import windows  # noqa: E402
from ui.charges.page import ChargesPage  # noqa: E402
from ui.context import AppContext, SignedInUser  # noqa: E402
from ui.ops import OperationRunner  # noqa: E402

# The database is made for this run in a temporary folder and contains made-up data only.
PASSPHRASE = "bench charge entry passphrase"  # noqa: S105 (throwaway test database)
FIRST_HOUR = 8
TIMEOUT_S = 30.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=10, help="visits to post, one per run")
    return parser.parse_args(argv)


def settle(app: QApplication, context: AppContext) -> None:
    """Process events until no operation of `context` is running."""
    deadline = time.monotonic() + TIMEOUT_S
    while time.monotonic() < deadline:
        context.ops.wait_for_all()
        app.processEvents()
        if not context.ops.busy:
            app.processEvents()
            return
    raise TimeoutError(f"background work did not finish within {TIMEOUT_S:.0f} s")


def focused() -> QWidget:
    widget = QApplication.focusWidget()
    if widget is None:
        raise RuntimeError("no widget has the keyboard focus; the flow lost its place")
    return widget


def wait_for_focus(app: QApplication, widget: QWidget) -> None:
    """Process events until `widget` has the focus (new windows activate asynchronously)."""
    deadline = time.monotonic() + TIMEOUT_S
    while QApplication.focusWidget() is not widget:
        if time.monotonic() > deadline:
            raise TimeoutError("the expected field never took the keyboard focus")
        app.processEvents()


def check_out_visits(database: Database, practice: charge_data.ChargePractice, count: int) -> None:
    """Book `count` follow-ups on the visit day and check each out (which creates its draft)."""
    day = charge_data.VISIT_DAY
    for number in range(count):
        hour, minute = divmod(FIRST_HOUR * 60 + number * 30, 60)
        request = practice.scheduling.request(
            wall(day.year, day.month, day.day, hour, minute),
            patient=number % 3,
            appointment_type_id=practice.visit_type_id,
        )
        with database.transaction() as session:
            appointment_id = booking.book(session, practice.front_desk, request).appointment_id
        assert appointment_id is not None
        charge_data.check_in_and_out(database, practice, appointment_id)
        with database.transaction() as session:
            encounters.encounter_for_appointment(session, practice.biller, appointment_id)


def charge_count(database: Database) -> int:
    with database.reading() as session:
        return int(session.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


def post_one(app: QApplication, context: AppContext, page: ChargesPage) -> float:
    """Drive the flow on the first draft in the queue; return the seconds it took."""
    page.activateWindow()
    page.table.setFocus()
    page.table.selectRow(0)
    wait_for_focus(app, page.table)
    started = time.perf_counter()
    QTest.keyClick(focused(), Qt.Key.Key_Return)
    settle(app, context)
    editor = windows.open_editors()[-1]
    editor.activateWindow()
    wait_for_focus(app, editor.diagnoses.picker)

    QTest.keyClicks(focused(), "E11.9")
    QTest.keyClick(focused(), Qt.Key.Key_Return)
    QTest.keyClick(focused(), Qt.Key.Key_Insert)
    QTest.keyClicks(focused(), "97110")
    QTest.keyClick(focused(), Qt.Key.Key_Tab)
    settle(app, context)
    QTest.keyClicks(focused(), "GP")

    QTest.keyClick(focused(), Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)
    settle(app, context)
    box = editor.confirm_box
    if box is None:
        raise RuntimeError(f"the draft was not ready to post: {editor.state_label.text()}")
    wait_for_focus(app, box.defaultButton())
    QTest.keyClick(focused(), Qt.Key.Key_Return)
    settle(app, context)
    elapsed = time.perf_counter() - started

    if editor.status != "posted":
        raise RuntimeError(f"the encounter was not posted: {editor.state_label.text()}")
    editor.close_now()
    settle(app, context)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    arguments = parse_args(argv)
    keyring.set_keyring(MemoryKeyring())
    app = create_application([])
    folder = Path(tempfile.mkdtemp(prefix="clinicdesk-bench-"))
    database = Database.create(folder / "charges.db", PASSPHRASE)
    try:
        practice = charge_data.build_charge_practice(database)
        check_out_visits(database, practice, arguments.runs)
        runner = OperationRunner(database)
        context = AppContext(database, runner, SignedInUser(practice.biller), "BNCH")
        page = ChargesPage(context)
        page.resize(1100, 600)
        page.show()
        times = []
        for _ in range(arguments.runs):
            page.refresh()
            settle(app, context)
            times.append(post_one(app, context, page))
        rows = charge_count(database)
    finally:
        database.close()
        shutil.rmtree(folder, ignore_errors=True)

    print("| flow | runs | median | max | ledger rows |")
    print("| --- | ---: | ---: | ---: | ---: |")
    print(
        f"| queue to posted, 18 keys | {len(times)} | {statistics.median(times):.2f} s "
        f"| {max(times):.2f} s | {rows} |"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
