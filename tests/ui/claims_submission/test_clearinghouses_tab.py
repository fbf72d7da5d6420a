"""The Clearinghouses admin tab: adding, validating and editing, against a real database."""

import uuid
from collections.abc import Callable

import keyring
import shiboken6
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.security.permissions import Actor
from app.services import admin_records
from app.services.admin_records import PayerInput
from app.services.clearinghouses import KEYRING_SERVICE
from tests.helpers.sftp_server import new_host_key, public_key_of
from tests.ui.claims_submission.conftest import drain
from ui.admin.clearinghouses import (
    KEYRING_SAVED_HINT,
    ClearinghouseDialog,
    ClearinghousesTab,
)
from ui.context import AppContext

MakeContext = Callable[[Database, Actor], AppContext]


def open_tab(qtbot: QtBot, context: AppContext) -> ClearinghousesTab:
    tab = ClearinghousesTab(context)
    qtbot.addWidget(tab)
    tab.show()
    drain(qtbot, context)
    return tab


def open_add_dialog(tab: ClearinghousesTab) -> ClearinghouseDialog:
    tab.add_button.click()
    dialog = tab.findChild(ClearinghouseDialog)
    assert dialog is not None
    return dialog


def fill_required(qtbot: QtBot, dialog: ClearinghouseDialog) -> None:
    """Type the ids every clearinghouse needs, as from an enrollment letter."""
    qtbot.keyClicks(dialog.name, "Lakeside Claims Exchange")
    qtbot.keyClicks(dialog.submitter_id, "CDK4471")
    qtbot.keyClicks(dialog.submitter_name, "Lakeside Family Medicine")
    qtbot.keyClicks(dialog.submitter_contact, "Dana Ortiz")
    qtbot.keyClicks(dialog.submitter_phone, "312-555-0142")
    qtbot.keyClicks(dialog.receiver_id, "LCX01")
    qtbot.keyClicks(dialog.receiver_name, "Lakeside Claims Exchange")
    qtbot.keyClicks(dialog.isa_sender_id, "CDK4471")
    qtbot.keyClicks(dialog.isa_receiver_id, "LCX01")
    qtbot.keyClicks(dialog.gs_sender_code, "CDK4471")
    qtbot.keyClicks(dialog.gs_receiver_code, "LCX01")


def fill_sftp(qtbot: QtBot, dialog: ClearinghouseDialog, host_key: str) -> None:
    qtbot.keyClicks(dialog.sftp_host, "sftp.lakeside-claims.example")
    qtbot.keyClicks(dialog.sftp_username, "lakeside01")
    qtbot.keyClicks(dialog.password, "Upload-pass-2026")
    dialog.sftp_host_key.setPlainText(host_key)


def add_with_sftp(qtbot: QtBot, tab: ClearinghousesTab) -> None:
    """Add a clearinghouse with SFTP settings through the tab's dialog."""
    dialog = open_add_dialog(tab)
    fill_required(qtbot, dialog)
    fill_sftp(qtbot, dialog, public_key_of(new_host_key()))
    dialog.accept()
    drain(qtbot, tab.context)


def test_clearinghouse_saved_with_password(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: MakeContext
) -> None:
    context = context_for(database, admin_actor)
    tab = open_tab(qtbot, context)
    dialog = open_add_dialog(tab)
    fill_required(qtbot, dialog)
    fill_sftp(qtbot, dialog, public_key_of(new_host_key()))
    dialog.usage_indicator.setCurrentIndex(1)

    dialog.accept()
    drain(qtbot, context)

    assert not shiboken6.isValid(dialog)
    assert tab.table.column_texts(0) == ["Lakeside Claims Exchange"]
    assert tab.table.column_texts(2) == ["Production"]
    assert tab.table.column_texts(3) == ["SFTP sftp.lakeside-claims.example"]
    saved = tab.records[0].settings
    assert saved.usage_indicator == "P"
    assert saved.submitter_phone == "3125550142"
    stored = keyring.get_password(KEYRING_SERVICE, str(saved.id))
    assert stored == "Upload-pass-2026"


def test_edit_shows_saved_password(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: MakeContext
) -> None:
    context = context_for(database, admin_actor)
    tab = open_tab(qtbot, context)
    add_with_sftp(qtbot, tab)

    tab.table.selectRow(0)
    tab.edit_button.click()
    editor = tab.findChild(ClearinghouseDialog)
    assert editor is not None
    assert editor.password.text() == ""
    assert editor.password.placeholderText() == KEYRING_SAVED_HINT
    assert editor.sftp_username.text() == "lakeside01"

    editor.file_name_pattern.setText("LFM_{date}_{batch}.837")
    editor.mark_dirty()
    editor.accept()
    drain(qtbot, context)

    assert tab.records[0].settings.file_name_pattern == "LFM_{date}_{batch}.837"
    saved_id = tab.records[0].settings.id
    assert keyring.get_password(KEYRING_SERVICE, str(saved_id)) == "Upload-pass-2026"


def test_problems_shown_at_fields(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: MakeContext
) -> None:
    context = context_for(database, admin_actor)
    tab = open_tab(qtbot, context)
    dialog = open_add_dialog(tab)
    fill_required(qtbot, dialog)
    dialog.submitter_id.clear()
    fill_sftp(qtbot, dialog, "ssh-ed25519 not-a-key")
    dialog.sftp_username.clear()

    dialog.accept()
    drain(qtbot, context)

    assert dialog.isVisible()
    assert "submitter id" in dialog.form.problem_text("submitter_id")
    assert "host key" in dialog.form.problem_text("sftp_host_key")
    assert "user name" in dialog.form.problem_text("sftp_username")
    assert dialog.submitter_id.property("invalid") is True
    assert dialog.form.problem_text("name") == ""
    assert tab.table.rowCount() == 0
    assert dialog.name.text() == "Lakeside Claims Exchange"


def test_dsa_host_key_refused(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: MakeContext
) -> None:
    context = context_for(database, admin_actor)
    tab = open_tab(qtbot, context)
    dialog = open_add_dialog(tab)
    fill_required(qtbot, dialog)
    fill_sftp(qtbot, dialog, "sftp.lakeside-claims.example ssh-dss AAAAB3NzaC1kc3MAAACBAP1")

    dialog.accept()
    drain(qtbot, context)

    assert dialog.isVisible()
    problem = dialog.form.problem_text("sftp_host_key")
    assert "DSA key (ssh-dss)" in problem
    assert "ssh-ed25519" in problem
    assert tab.table.rowCount() == 0


def add_payer(database: Database, actor: Actor, name: str, via: uuid.UUID | None) -> None:
    data = PayerInput(
        name=name,
        payer_code="60054",
        claim_filing_indicator="CI",
        timely_filing_days=180,
        clearinghouse_id=via,
    )
    with database.transaction() as session:
        admin_records.save_payer(session, actor, None, data)


def test_payers_listed_per_clearinghouse(
    qtbot: QtBot, database: Database, admin_actor: Actor, context_for: MakeContext
) -> None:
    context = context_for(database, admin_actor)
    tab = open_tab(qtbot, context)
    for name in ("Lakeside Claims Exchange", "Prairie EDI"):
        dialog = open_add_dialog(tab)
        fill_required(qtbot, dialog)
        dialog.name.setText(name)
        dialog.accept()
        drain(qtbot, context)
    prairie = next(row for row in tab.records if row.name == "Prairie EDI")
    add_payer(database, admin_actor, "Aetna", prairie.id)
    add_payer(database, admin_actor, "Cigna", None)
    tab.refresh()
    drain(qtbot, context)

    row = tab.table.column_texts(0).index("Prairie EDI")
    assert tab.table.item(row, 4).text() == "Aetna"
    tab.table.selectRow(row)
    tab.edit_button.click()
    editor = tab.findChild(ClearinghouseDialog)
    assert editor is not None
    names = [editor.payers.item(index).text() for index in range(editor.payers.count())]
    assert names == ["Aetna"]
