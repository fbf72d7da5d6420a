"""The Clearinghouses tab: where claim files go, the ids they carry and the SFTP login."""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, fields
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.problems import Problem
from app.progress import Progress
from app.security.permissions import Actor
from app.services import admin_records, clearinghouses
from app.services.clearinghouses import ClearinghouseForm
from app.services.outcomes import SaveOutcome
from ui.admin.common import SPIN_BOX_WIDTH, Work
from ui.admin.forms import RecordDialog, code_combo, combo_code, line, select_data
from ui.admin.listing import RecordListTab
from ui.context import AppContext

log = logging.getLogger(__name__)

# ISA05/ISA07 interchange id qualifiers that clearinghouse enrollment sheets name.
ISA_QUALIFIERS = {
    "ZZ": "Mutually defined",
    "01": "DUNS number",
    "14": "DUNS plus suffix",
    "20": "Health industry number",
    "27": "Carrier id (Medicare)",
    "28": "Fiscal intermediary id",
    "29": "Medicare provider id",
    "30": "U.S. federal tax id",
    "33": "NAIC company code",
}
USAGE_INDICATORS = {"T": "Test", "P": "Production"}
DEFAULT_SFTP_PORT = 22
MAX_PORT = 65535
# Three lines fit a pasted ssh-rsa key without hiding the fields below it.
HOST_KEY_HEIGHT = 70
PAYER_LIST_HEIGHT = 90
# Tall enough to show the ids section whole. The rest of the form scrolls.
DIALOG_WIDTH = 620
DIALOG_HEIGHT = 680
# Placeholders of the empty password field, because the stored secret is never read back.
KEYRING_SAVED_HINT = "saved in the keyring; leave empty to keep it"
KEYRING_EMPTY_HINT = "none saved yet"


class FolderField(QWidget):
    """A folder path with a "Browse…" button that opens the system's folder picker."""

    edited = Signal()

    def __init__(self, path: str, caption: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = caption
        self.path = line(path)
        self.path.textEdited.connect(lambda _text: self.edited.emit())
        self.browse_button = QPushButton("&Browse…")
        self.browse_button.setAccessibleName(f"Browse for the {caption.lower()}")
        self.browse_button.clicked.connect(self.browse)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.path, 1)
        row.addWidget(self.browse_button)

    def browse(self) -> None:
        """Let the user pick a folder and put its path in the field."""
        chosen = QFileDialog.getExistingDirectory(self, self.caption, self.path.text())
        if chosen:
            self.path.setText(chosen)
            self.edited.emit()

    def text(self) -> str:
        """Return the folder path as typed or chosen."""
        return self.path.text()


def _qualifier_combo(code: str) -> QComboBox:
    combo = code_combo(ISA_QUALIFIERS)
    # Editable, so a qualifier missing from the list can still be typed.
    combo.setEditable(True)
    select_data(combo, code or "ZZ")
    return combo


def _blank_form() -> ClearinghouseForm:
    """Return the settings a new clearinghouse starts with: the usual defaults, no ids."""
    values: dict[str, Any] = {field.name: "" for field in fields(ClearinghouseForm)}
    values.update(
        id=None,
        isa_sender_qualifier="ZZ",
        isa_receiver_qualifier="ZZ",
        usage_indicator="T",
        sftp_port=DEFAULT_SFTP_PORT,
        upload_folder="inbound",
        download_folder="outbound",
        file_name_pattern="{batch}.837",
        password_saved=False,
    )
    return ClearinghouseForm(**values)


class ClearinghouseDialog(RecordDialog):
    """Adds or edits a clearinghouse: its X12 ids, outbox folder and SFTP connection.

    The password goes to the system keyring and is never read back into the form.
    """

    def __init__(
        self,
        context: AppContext,
        record: ClearinghouseForm | None,
        payer_names: list[str],
        parent: QWidget | None = None,
    ) -> None:
        title = "Add clearinghouse" if record is None else "Edit clearinghouse"
        super().__init__(context, title, parent)
        self.record_id = record.id if record is not None else None
        values = record if record is not None else _blank_form()
        self._build_fields(values)
        self.payers = QListWidget()
        self.payers.setAccessibleName("Payers whose claims go here")
        self.payers.setMaximumHeight(PAYER_LIST_HEIGHT)
        self.payers.addItems(payer_names or ["No payer sends claims here yet."])
        self._add_fields()
        self._scroll_form()
        self.resize(DIALOG_WIDTH, DIALOG_HEIGHT)
        self.finish_building()

    def _build_fields(self, values: ClearinghouseForm) -> None:
        self.name = line(values.name, 60)
        self.submitter_id = line(values.submitter_id, 80)
        self.submitter_name = line(values.submitter_name, 60)
        self.submitter_contact = line(values.submitter_contact, 60)
        self.submitter_phone = line(values.submitter_phone, 14)
        self.receiver_id = line(values.receiver_id, 80)
        self.receiver_name = line(values.receiver_name, 60)

        self.isa_sender_qualifier = _qualifier_combo(values.isa_sender_qualifier)
        self.isa_sender_id = line(values.isa_sender_id, 15)
        self.isa_receiver_qualifier = _qualifier_combo(values.isa_receiver_qualifier)
        self.isa_receiver_id = line(values.isa_receiver_id, 15)
        self.gs_sender_code = line(values.gs_sender_code, 15)
        self.gs_receiver_code = line(values.gs_receiver_code, 15)

        self.usage_indicator = code_combo(USAGE_INDICATORS)
        select_data(self.usage_indicator, values.usage_indicator or "T")

        self.outbox_folder = FolderField(values.outbox_folder or "", "Outbox folder")
        self.sftp_host = line(values.sftp_host or "", 255)
        self.sftp_port = QSpinBox()
        self.sftp_port.setRange(1, MAX_PORT)
        self.sftp_port.setMaximumWidth(SPIN_BOX_WIDTH)
        self.sftp_port.setValue(values.sftp_port or DEFAULT_SFTP_PORT)
        self.sftp_username = line(values.sftp_username or "", 80)

        self.password = line("", 200)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText(
            KEYRING_SAVED_HINT if values.password_saved else KEYRING_EMPTY_HINT
        )

        self.sftp_host_key = QPlainTextEdit(values.sftp_host_key or "")
        self.sftp_host_key.setTabChangesFocus(True)
        self.sftp_host_key.setMaximumHeight(HOST_KEY_HEIGHT)
        self.sftp_host_key.setPlaceholderText("ssh-ed25519 AAAAC3Nza… as the clearinghouse sent it")

        self.upload_folder = line(values.upload_folder, 255)
        self.download_folder = line(values.download_folder, 255)
        self.file_name_pattern = line(values.file_name_pattern, 120)

    def _add_fields(self) -> None:
        self._add_identity_fields()
        self._add_envelope_fields()
        self._add_delivery_fields()
        self._section("Payers")
        self.form.layout_.addRow("Payers using it", self.payers)
        note = QLabel("Each payer's clearinghouse is chosen on the Payers tab.")
        note.setWordWrap(True)
        self.form.layout_.addRow("", note)

    def _section(self, title: str) -> None:
        heading = QLabel(f"<b>{title}</b>")
        heading.setContentsMargins(0, 8, 0, 0)
        self.form.layout_.addRow(heading)

    def _add_identity_fields(self) -> None:
        form = self.form
        form.add_field("name", "&Name", self.name, "How ClinicDesk lists it, such as Availity")
        form.add_field(
            "submitter_id", "Submitter id (&ETIN)", self.submitter_id,
            "The id the clearinghouse assigned to the practice, sent in loop 1000A",
        )  # fmt: skip
        form.add_field("submitter_name", "Submitter na&me", self.submitter_name,
                       "The practice's name as enrolled with the clearinghouse")  # fmt: skip
        form.add_field("submitter_contact", "Contact &person", self.submitter_contact,
                       "Who the clearinghouse calls about a file")  # fmt: skip
        form.add_field("submitter_phone", "Contact p&hone", self.submitter_phone,
                       "10 digits, such as 312-555-0100")  # fmt: skip
        form.add_field("receiver_id", "&Receiver id", self.receiver_id,
                       "The clearinghouse's id from its companion guide (loop 1000B)")  # fmt: skip
        form.add_field("receiver_name", "Receiver n&ame", self.receiver_name,
                       "The clearinghouse's name from its companion guide")  # fmt: skip

    def _add_envelope_fields(self) -> None:
        form = self.form
        self._section("File envelope (from the clearinghouse's companion guide)")
        form.add_field("isa_sender_qualifier", "ISA sender &qualifier", self.isa_sender_qualifier,
                       "ISA05; ZZ unless the companion guide says otherwise")  # fmt: skip
        form.add_field("isa_sender_id", "ISA &sender id", self.isa_sender_id,
                       "ISA06, up to 15 characters; often the submitter id")  # fmt: skip
        form.add_field("isa_receiver_qualifier", "ISA receiver q&ualifier",
                       self.isa_receiver_qualifier, "ISA07")  # fmt: skip
        form.add_field("isa_receiver_id", "ISA rece&iver id", self.isa_receiver_id,
                       "ISA08, up to 15 characters")  # fmt: skip
        form.add_field("gs_sender_code", "&GS sender code", self.gs_sender_code,
                       "GS02, up to 15 characters")  # fmt: skip
        form.add_field("gs_receiver_code", "GS recei&ver code", self.gs_receiver_code,
                       "GS03, up to 15 characters")  # fmt: skip
        form.add_field(
            "usage_indicator", "&Test or production", self.usage_indicator,
            "Send Test files until the clearinghouse approves the practice, then switch to "
            "Production. Test files are never forwarded to payers.",
        )  # fmt: skip

    def _add_delivery_fields(self) -> None:
        form = self.form
        self._section("Delivery")
        form.add_field("outbox_folder", "&Outbox folder", self.outbox_folder,
                       "Where Save to outbox writes claim files for upload by hand")  # fmt: skip
        form.add_field(
            "sftp_host", "SFTP ho&st", self.sftp_host,
            "Such as sftp.clearinghouse.example; empty when files go by outbox only",
        )  # fmt: skip
        form.add_field("sftp_port", "SFTP &port", self.sftp_port, "Usually 22")
        form.add_field("sftp_username", "SFTP &user name", self.sftp_username)
        form.add_field("password", "SFTP pass&word", self.password,
                       "Stored in the system keyring, never in the database")  # fmt: skip
        form.add_field(
            "sftp_host_key", "Server &key", self.sftp_host_key,
            "Paste the server's public key line in OpenSSH form as the clearinghouse gave it. "
            "Uploads stop when the server shows any other key.",
        )  # fmt: skip
        form.add_field("upload_folder", "Up&load folder", self.upload_folder,
                       "The server folder that claim files go to, such as inbound")  # fmt: skip
        form.add_field("download_folder", "&Download folder", self.download_folder,
                       "The server folder that 999 and 277CA responses come from")  # fmt: skip
        form.add_field(
            "file_name_pattern", "&File name pattern", self.file_name_pattern,
            "{batch}, {date} and {control} are filled in, such as CD_{date}_{batch}.837",
        )  # fmt: skip

    def _scroll_form(self) -> None:
        # The form is taller than a laptop screen, so it scrolls and the buttons stay put.
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        layout = self.layout()
        assert layout is not None
        layout.replaceWidget(self.form, scroll)
        scroll.setWidget(self.form)
        self.scroll_area = scroll

    def show_problems(self, problems: Sequence[Problem]) -> None:
        """Show the problems and scroll to the first field that has one."""
        super().show_problems(problems)
        focused = QApplication.focusWidget()
        if focused is not None and self.form.isAncestorOf(focused):
            self.scroll_area.ensureWidgetVisible(focused)

    def entered(self) -> ClearinghouseForm:
        """Return the settings as typed."""
        return ClearinghouseForm(
            id=self.record_id,
            name=self.name.text(),
            submitter_id=self.submitter_id.text(),
            submitter_name=self.submitter_name.text(),
            submitter_contact=self.submitter_contact.text(),
            submitter_phone=self.submitter_phone.text(),
            receiver_id=self.receiver_id.text(),
            receiver_name=self.receiver_name.text(),
            isa_sender_qualifier=combo_code(self.isa_sender_qualifier),
            isa_sender_id=self.isa_sender_id.text(),
            isa_receiver_qualifier=combo_code(self.isa_receiver_qualifier),
            isa_receiver_id=self.isa_receiver_id.text(),
            gs_sender_code=self.gs_sender_code.text(),
            gs_receiver_code=self.gs_receiver_code.text(),
            usage_indicator=combo_code(self.usage_indicator),
            outbox_folder=self.outbox_folder.text(),
            sftp_host=self.sftp_host.text(),
            sftp_port=self.sftp_port.value(),
            sftp_username=self.sftp_username.text(),
            sftp_host_key=self.sftp_host_key.toPlainText(),
            upload_folder=self.upload_folder.text(),
            download_folder=self.download_folder.text(),
            file_name_pattern=self.file_name_pattern.text(),
        )

    def build_work(self) -> Work:
        actor = self.context.actor
        form = self.entered()
        # An empty field keeps the stored password, so the service receives None, never "".
        password = self.password.text() or None

        def work(session: Session, _progress: Progress) -> SaveOutcome:
            outcome = clearinghouses.save_clearinghouse(session, actor, form, password)
            outcome.raise_if_rejected()
            return outcome

        return work


@dataclass(frozen=True, slots=True)
class ListedClearinghouse:
    """A clearinghouse row of the tab: its settings and the payers whose claims go there."""

    settings: ClearinghouseForm
    payer_names: tuple[str, ...]
    # The service lists active clearinghouses only, but the list tab reads the flag.
    archived: bool = False

    @property
    def id(self) -> uuid.UUID | None:
        """The clearinghouse id."""
        return self.settings.id

    @property
    def name(self) -> str:
        """The clearinghouse name, as the list and questions show it."""
        return self.settings.name


class ClearinghousesTab(RecordListTab):
    """Lists clearinghouses with the payers whose claims go to each."""

    kind = ChangeKind.SETTINGS
    noun = "clearinghouse"
    headers = ("Name", "Submitter id", "Mode", "Delivery", "Payers")

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(context, parent)
        # The clearinghouse service has no archive. A payer stops using one instead.
        self.archive_button.hide()
        self.show_archived.hide()

    def _on_changed(self, changes: Changes) -> None:
        # The payer lists change when a payer picks another clearinghouse.
        if changes.touches(ChangeKind.SETTINGS, ChangeKind.PAYERS):
            self.refresh()

    def load(self, session: Session, actor: Actor, include_archived: bool) -> list[Any]:
        records = clearinghouses.list_clearinghouses(session, actor)
        payers = admin_records.list_payers(session, actor)
        grouped = _payers_by_clearinghouse(records, payers)
        return [ListedClearinghouse(record, tuple(grouped[record.id])) for record in records]

    def cells(self, record: ListedClearinghouse) -> list[str]:
        settings = record.settings
        usage = USAGE_INDICATORS.get(settings.usage_indicator, settings.usage_indicator)
        return [
            settings.name,
            settings.submitter_id,
            usage,
            _delivery_text(settings),
            ", ".join(record.payer_names),
        ]

    def make_dialog(self, record: ListedClearinghouse | None) -> RecordDialog:
        if record is None:
            return ClearinghouseDialog(self.context, None, [], self)
        names = list(record.payer_names)
        return ClearinghouseDialog(self.context, record.settings, names, self)

    def archive(self, session: Session, actor: Actor, record_id: Any) -> Any:
        raise NotImplementedError("clearinghouses are not archived from this tab")


def _delivery_text(record: ClearinghouseForm) -> str:
    if record.sftp_host:
        return f"SFTP {record.sftp_host}"
    if record.outbox_folder:
        return f"Outbox {record.outbox_folder}"
    return "Not set up"


def _payers_by_clearinghouse(
    records: list[ClearinghouseForm], payers: list[admin_records.PayerSummary]
) -> dict[uuid.UUID | None, list[str]]:
    """Group payer names by the clearinghouse their claims go to.

    A payer that names no clearinghouse goes to the only one when there is exactly one,
    the same rule that clearinghouses.clearinghouse_for_payer applies.
    """
    grouped: dict[uuid.UUID | None, list[str]] = {record.id: [] for record in records}
    only = records[0].id if len(records) == 1 else None
    for payer in payers:
        target = payer.clearinghouse_id or only
        if target in grouped:
            grouped[target].append(payer.name)
    return grouped
