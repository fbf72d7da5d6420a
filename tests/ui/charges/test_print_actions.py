"""The superbill and walkout print actions: write the PDF in the background, then open it."""

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.services import encounters
from tests.helpers.charge_data import ChargePractice, book_visit, build_charge_practice
from tests.helpers.pdf_text import placed_text
from ui.charges.print_actions import print_superbill, print_walkout
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


@pytest.fixture
def context(database: Database, practice: ChargePractice) -> Iterator[AppContext]:
    """A front-desk context: the role that prints at check-in and check-out."""
    actor = practice.front_desk
    runner = OperationRunner(database)
    yield AppContext(database, runner, SignedInUser(actor), actor.workstation)
    runner.wait_for_all()


@pytest.fixture
def parent(qtbot: QtBot) -> QWidget:
    widget = QWidget()
    qtbot.addWidget(widget)
    return widget


@pytest.fixture
def appointment_id(database: Database, practice: ChargePractice) -> uuid.UUID:
    return book_visit(database, practice)


@pytest.fixture
def encounter_id(
    database: Database, practice: ChargePractice, appointment_id: uuid.UUID
) -> uuid.UUID:
    with database.transaction() as session:
        return encounters.encounter_for_appointment(session, practice.biller, appointment_id)


def _drain(qtbot: QtBot, context: AppContext) -> None:
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


def _texts(path: Path) -> list[str]:
    return [piece.text for piece in placed_text(path)]


def test_superbill_written_and_opened(
    qtbot: QtBot, context: AppContext, parent: QWidget, tmp_path: Path, appointment_id: uuid.UUID
) -> None:
    opened: list[Path] = []
    target = tmp_path / "superbill.pdf"
    print_superbill(context, appointment_id, parent, path=target, open_file=opened.append)
    _drain(qtbot, context)
    texts = _texts(target)
    assert opened == [target]
    assert "Office visit, est. level 3" in texts
    assert "Rivera, Maria" in texts


def test_blank_superbill_without_visit(
    qtbot: QtBot, context: AppContext, parent: QWidget, tmp_path: Path
) -> None:
    opened: list[Path] = []
    target = tmp_path / "blank.pdf"
    print_superbill(context, None, parent, path=target, open_file=opened.append)
    _drain(qtbot, context)
    texts = _texts(target)
    assert opened == [target]
    assert "Office visit, est. level 3" in texts
    assert "Rivera, Maria" not in texts


def test_walkout_written_and_opened(
    qtbot: QtBot, context: AppContext, parent: QWidget, tmp_path: Path, encounter_id: uuid.UUID
) -> None:
    opened: list[Path] = []
    target = tmp_path / "walkout.pdf"
    print_walkout(context, encounter_id, parent, path=target, open_file=opened.append)
    _drain(qtbot, context)
    texts = _texts(target)
    assert opened == [target]
    assert "Rivera, Maria" in texts
    assert "99213" in texts


def test_failed_write_shows_error(
    qtbot: QtBot, context: AppContext, parent: QWidget, tmp_path: Path
) -> None:
    opened: list[Path] = []
    target = tmp_path / "missing-folder" / "blank.pdf"
    print_superbill(context, None, parent, path=target, open_file=opened.append)
    _drain(qtbot, context)
    box = parent.findChild(QMessageBox, "userErrorBox")
    assert opened == []
    assert not target.exists()
    assert box is not None
    assert "missing-folder does not exist" in box.text()
    box.close()
