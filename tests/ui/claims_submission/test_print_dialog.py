"""The CMS-1500 print dialog: mode, stored offsets, the alignment page and the claims PDF."""

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services import claim_printing
from tests.helpers.pdf_text import placed_text
from tests.ui.claims_submission.conftest import SendPractice, drain
from ui.claims.print_dialog import MODE_DATA, MODE_FORM, PrintClaimsDialog
from ui.context import AppContext

MakeContext = Callable[[Database, Actor], AppContext]


def open_dialog(qtbot: QtBot, context: AppContext, practice: SendPractice) -> PrintClaimsDialog:
    dialog = PrintClaimsDialog(context, practice.claim_ids)
    qtbot.addWidget(dialog)
    dialog.show()
    drain(qtbot, context)
    return dialog


def stored_offsets(practice: SendPractice) -> tuple[float, float]:
    with practice.database.reading() as session:
        return claim_printing.get_print_offsets(session)


def test_pdf_written_and_opened(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context, send_practice)
    opened: list[Path] = []
    dialog.open_file = opened.append
    assert dialog.mode() == MODE_DATA
    dialog.form_mode.setChecked(True)
    target = tmp_path / "claims.pdf"

    dialog.save_pdf(target)
    drain(qtbot, context)

    assert opened == [target]
    assert dialog.mode() == MODE_FORM
    assert target.read_bytes().startswith(b"%PDF")
    texts = " ".join(piece.text for piece in placed_text(target))
    for claim_id in send_practice.claim_ids:
        assert send_practice.claims.claim(claim_id).claim_number in texts
    assert dialog.status.text().startswith("Wrote 2 pages to ")


def test_offsets_saved_with_print(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context, send_practice)
    dialog.open_file = lambda _path: None
    assert dialog.offsets() == stored_offsets(send_practice)

    dialog.offset_x.setValue(2.5)
    dialog.offset_y.setValue(-1.0)
    target = tmp_path / "alignment.pdf"
    dialog.print_alignment_page(target)
    drain(qtbot, context)

    assert target.read_bytes().startswith(b"%PDF")
    assert stored_offsets(send_practice) == (2.5, -1.0)
    assert dialog.status.text().startswith("Wrote 1 page to ")

    reopened = open_dialog(qtbot, context, send_practice)
    assert reopened.offsets() == (2.5, -1.0)
