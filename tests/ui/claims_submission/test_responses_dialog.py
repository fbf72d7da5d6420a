"""The responses dialog: importing 277CA files from disk and fetching them over SFTP."""

from collections.abc import Callable
from pathlib import Path

from pytestqt.qtbot import QtBot

from app.changes import ChangeKind, Changes
from app.db.database import Database
from app.security.permissions import Actor
from app.services import claim_batches
from tests.helpers.sftp_server import PASSWORD, SftpTestServer
from tests.ui.claims_submission.conftest import SendPractice, drain, use_sftp
from ui.claims.responses_dialog import FetchResponsesDialog
from ui.context import AppContext

MakeContext = Callable[[Database, Actor], AppContext]

# A real 277CA that rejects one claim (STC A7:562, entity 85) with the payer's claim
# number in REF*1K. The test puts its own claim number into the patient's TRN02.
REJECTION_277CA = Path(__file__).parents[2] / "data" / "x12" / "emedny-277ca-rejected-a7-562.277"
SAMPLE_CLAIM_NUMBER = "3920394930203"


def send_to_outbox(practice: SendPractice) -> None:
    """Put the ready claims into a file and save it, so they wait for a response."""
    with practice.database.transaction() as session:
        created = claim_batches.create_batches(session, practice.biller, practice.claim_ids)
        for batch_id in created.batch_ids:
            claim_batches.export_batch(session, practice.biller, batch_id)


def rejection_for(practice: SendPractice, folder: Path, name: str) -> Path:
    """Write a 277CA that rejects the practice's first claim."""
    claim_number = practice.claims.claim(practice.claim_ids[0]).claim_number
    text = REJECTION_277CA.read_text(encoding="ascii")
    assert SAMPLE_CLAIM_NUMBER in text
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text.replace(SAMPLE_CLAIM_NUMBER, claim_number), encoding="ascii")
    return path


def open_dialog(qtbot: QtBot, context: AppContext) -> FetchResponsesDialog:
    dialog = FetchResponsesDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def wait_until_idle(qtbot: QtBot, dialog: FetchResponsesDialog) -> None:
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=20_000)
    drain(qtbot, dialog.context)


def import_rejection(
    qtbot: QtBot, practice: SendPractice, context_for: MakeContext, folder: Path
) -> tuple[FetchResponsesDialog, Path]:
    """Send the claims, then import a 277CA rejecting the first one through the dialog."""
    send_to_outbox(practice)
    path = rejection_for(practice, folder / "downloads", "response.277")
    context = context_for(practice.database, practice.biller)
    dialog = open_dialog(qtbot, context)
    dialog.import_files([path])
    wait_until_idle(qtbot, dialog)
    return dialog, path


def test_277ca_import_rejects_claim(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    dialog, _path = import_rejection(qtbot, send_practice, context_for, tmp_path)

    assert dialog.table.column_texts(0) == ["response.277"]
    assert dialog.table.column_texts(1) == ["277CA"]
    assert dialog.table.column_texts(2) == ["0"]
    assert dialog.table.column_texts(3) == ["1"]
    assert dialog.table.column_texts(4) == ["0"]
    assert dialog.table.column_texts(5) == [""]
    assert send_practice.statuses() == ["rejected", "submitted"]
    assert dialog.status.text() == "1 response file read."


def test_import_announces_claim_changes(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    send_to_outbox(send_practice)
    path = rejection_for(send_practice, tmp_path / "downloads", "response.277")
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)
    announced: list[Changes] = []
    context.ops.changed.connect(announced.append)

    dialog.import_files([path])
    wait_until_idle(qtbot, dialog)

    assert any(changes.touches(ChangeKind.CLAIMS) for changes in announced)


def test_failed_import_announces_nothing(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("Call Aetna about the March claims.", encoding="utf-8")
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)
    announced: list[Changes] = []
    context.ops.changed.connect(announced.append)

    dialog.import_files([bad])
    wait_until_idle(qtbot, dialog)

    assert announced == []


def test_bad_file_keeps_others(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    send_to_outbox(send_practice)
    folder = tmp_path / "downloads"
    good = rejection_for(send_practice, folder, "response.277")
    bad = folder / "notes.txt"
    bad.write_text("Call Aetna about the March claims.", encoding="utf-8")
    missing = folder / "gone.999"
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)

    dialog.import_files([bad, missing, good])
    wait_until_idle(qtbot, dialog)

    files = dialog.table.column_texts(0)
    errors = dict(zip(files, dialog.table.column_texts(5), strict=True))
    assert sorted(files) == ["gone.999", "notes.txt", "response.277"]
    assert errors["response.277"] == ""
    assert "ISA" in errors["notes.txt"]
    assert "gone.999" in errors["gone.999"]
    rejected = dict(zip(files, dialog.table.column_texts(3), strict=True))
    assert rejected == {"gone.999": "", "notes.txt": "", "response.277": "1"}

    error_item = dialog.table.item(files.index("notes.txt"), 5)
    assert error_item is not None
    assert error_item.toolTip() == errors["notes.txt"]

    dialog.table.selectRow(files.index("notes.txt"))
    assert dialog.details.text().startswith("notes.txt: ")
    assert errors["notes.txt"] in dialog.details.text()
    assert send_practice.statuses() == ["rejected", "submitted"]
    assert "2 could not be read" in dialog.status.text()
    assert "Select a file" in dialog.status.text()


def test_second_import_is_refused(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext, tmp_path: Path
) -> None:
    dialog, path = import_rejection(qtbot, send_practice, context_for, tmp_path)

    dialog.import_files([path])
    wait_until_idle(qtbot, dialog)

    assert dialog.table.rowCount() == 2
    assert "already imported" in dialog.table.item(0, 5).text()


def test_check_fetches_over_sftp(
    qtbot: QtBot,
    send_practice: SendPractice,
    sftp_server: SftpTestServer,
    context_for: MakeContext,
) -> None:
    use_sftp(send_practice, sftp_server, PASSWORD)
    send_to_outbox(send_practice)
    rejection_for(send_practice, sftp_server.root / "outbound", "R0001.277")
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)

    dialog.check_button.click()
    wait_until_idle(qtbot, dialog)

    assert dialog.table.column_texts(0) == ["R0001.277"]
    assert dialog.table.column_texts(3) == ["1"]
    assert send_practice.statuses() == ["rejected", "submitted"]


def test_check_without_sftp_explains(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)

    dialog.check_button.click()
    wait_until_idle(qtbot, dialog)

    assert dialog.table.rowCount() == 0
    assert "No clearinghouse has an SFTP host" in dialog.status.text()
