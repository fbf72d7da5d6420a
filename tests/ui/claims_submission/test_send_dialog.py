"""The send dialog: ready claims per clearinghouse, claim files, outbox, upload and resend."""

from collections.abc import Callable

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from tests.helpers.sftp_server import PASSWORD, SftpTestServer
from tests.services.claims_submission.clearinghouse_data import add_clearinghouse
from tests.ui.claims_submission.conftest import SendPractice, drain, use_sftp
from ui.claims.send_data import NO_CLEARINGHOUSE
from ui.claims.send_dialog import RESULT_COLUMN, SendClaimsDialog
from ui.context import AppContext

MakeContext = Callable[[Database, Actor], AppContext]


def open_dialog(
    qtbot: QtBot, context: AppContext, claim_ids: list | None = None
) -> SendClaimsDialog:
    dialog = SendClaimsDialog(context, claim_ids)
    qtbot.addWidget(dialog)
    dialog.show()
    drain(qtbot, context)
    return dialog


def create_files(qtbot: QtBot, dialog: SendClaimsDialog) -> None:
    dialog.create_button.click()
    drain(qtbot, dialog.context)
    drain(qtbot, dialog.context)


def message_boxes() -> list[QMessageBox]:
    widgets = QApplication.topLevelWidgets()
    return [box for box in widgets if isinstance(box, QMessageBox) and box.isVisible()]


def test_ready_claims_grouped(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)

    assert dialog.groups.column_texts(0) == ["Lakeshore Claims Exchange"]
    assert dialog.groups.column_texts(1) == ["2"]
    assert "Ready to send: 2 claims to 1 clearinghouse." in dialog.summary.text()
    assert dialog.create_button.isEnabled()
    assert not dialog.upload_button.isEnabled()
    assert not dialog.chosen.isVisibleTo(dialog)


def test_chosen_claims_listed(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context, send_practice.claim_ids[:1])

    assert dialog.chosen.isVisibleTo(dialog)
    assert dialog.chosen.rowCount() == 1
    assert dialog.chosen.column_texts(4) == ["Ready to send"]
    assert dialog.groups.column_texts(1) == ["1"]
    assert "1 claim chosen, 1 ready to send." in dialog.summary.text()


def test_outbox_writes_file_marks_sent(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)

    create_files(qtbot, dialog)

    assert dialog.batch_table.rowCount() == 1
    assert dialog.batch_table.column_texts(2) == ["2"]
    assert dialog.batch_table.column_texts(4) == ["Not sent"]
    assert [batch.batch_id for batch in dialog.selected_batches()] == dialog.new_batch_ids

    dialog.outbox_button.click()
    drain(qtbot, context)
    drain(qtbot, context)

    written = list(send_practice.outbox.iterdir())
    assert len(written) == 1
    assert written[0].read_text(encoding="ascii").startswith("ISA*")
    assert send_practice.statuses() == ["submitted", "submitted"]
    assert dialog.batch_table.item(0, RESULT_COLUMN).text().startswith("Saved to ")
    assert dialog.batch_table.column_texts(4)[0].startswith("Saved to outbox")
    assert "1 of 1 claim file saved or uploaded." in dialog.status.text()
    assert dialog.groups.rowCount() == 0


def test_resend_asks_first(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext
) -> None:
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)
    create_files(qtbot, dialog)
    dialog.outbox_button.click()
    drain(qtbot, context)
    drain(qtbot, context)
    first = next(iter(send_practice.outbox.iterdir()))
    first.unlink()

    dialog.batch_table.selectRow(0)
    dialog.outbox_button.click()
    boxes = message_boxes()
    assert len(boxes) == 1
    assert "sent before" in boxes[0].text()
    cancel = next(b for b in boxes[0].buttons() if b.text() == "Cancel")
    cancel.click()
    drain(qtbot, context)
    assert list(send_practice.outbox.iterdir()) == []

    dialog.batch_table.selectRow(0)
    dialog.outbox_button.click()
    send_again = next(b for b in message_boxes()[0].buttons() if b.text() == "Send again")
    send_again.click()
    drain(qtbot, context)
    drain(qtbot, context)
    assert len(list(send_practice.outbox.iterdir())) == 1


def test_upload_over_sftp(
    qtbot: QtBot,
    send_practice: SendPractice,
    sftp_server: SftpTestServer,
    context_for: MakeContext,
) -> None:
    use_sftp(send_practice, sftp_server, PASSWORD)
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)
    create_files(qtbot, dialog)

    dialog.upload_button.click()
    qtbot.waitUntil(lambda: " uploaded." in dialog.status.text(), timeout=20_000)
    drain(qtbot, context)

    uploaded = list((sftp_server.root / "inbound").iterdir())
    assert len(uploaded) == 1
    assert uploaded[0].read_text(encoding="ascii").startswith("ISA*")
    assert dialog.batch_table.item(0, RESULT_COLUMN).text() == "Uploaded"
    assert send_practice.statuses() == ["submitted", "submitted"]


def test_failed_upload_leaves_ready(
    qtbot: QtBot,
    send_practice: SendPractice,
    sftp_server: SftpTestServer,
    context_for: MakeContext,
) -> None:
    use_sftp(send_practice, sftp_server, "Not-the-password-1")
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)
    create_files(qtbot, dialog)

    dialog.upload_button.click()
    qtbot.waitUntil(lambda: " uploaded." in dialog.status.text(), timeout=20_000)
    drain(qtbot, context)

    result = dialog.batch_table.item(0, RESULT_COLUMN).text()
    assert result.startswith("Failed: ")
    assert "password" in result.lower()
    assert "0 of 1 claim file saved or uploaded." in dialog.status.text()
    assert list((sftp_server.root / "inbound").iterdir()) == []
    assert send_practice.statuses() == ["ready", "ready"]


def test_payer_without_clearinghouse_listed(
    qtbot: QtBot, send_practice: SendPractice, context_for: MakeContext
) -> None:
    # With a second clearinghouse, a payer that names none has no clearinghouse at all.
    add_clearinghouse(send_practice.database, send_practice.biller, name="Prairie EDI")
    context = context_for(send_practice.database, send_practice.biller)
    dialog = open_dialog(qtbot, context)

    assert dialog.groups.column_texts(0) == [NO_CLEARINGHOUSE]
    assert dialog.groups.column_texts(1) == ["2"]
    assert "2 ready claims cannot be sent" in dialog.summary.text()
    assert "Admin > Payers" in dialog.summary.text()
    assert not dialog.create_button.isEnabled()
