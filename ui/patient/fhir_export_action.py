"""The "Export for referral (FHIR)" action of a patient record."""

import logging
import uuid
from pathlib import Path

from PySide6.QtWidgets import QFileDialog, QMessageBox, QWidget
from sqlalchemy.orm import Session

from app.progress import Progress
from app.services.fhir_export import write_patient_bundle
from app.services.today import practice_today
from ui.admin.common import run_for
from ui.context import AppContext
from ui.ops import Operation

log = logging.getLogger(__name__)

ACTION_TEXT = "Export for referral (FHIR)…"


def export_patient_fhir(
    context: AppContext, patient_id: uuid.UUID, parent: QWidget, path: Path | None = None
) -> Operation | None:
    """Ask where to save, then write the patient's FHIR bundle off the GUI thread.

    With `path` given, no dialog opens and the operation is returned. Otherwise the save
    dialog opens and the export starts when a file is chosen, so None is returned.
    """
    if path is not None:
        return _export(context, patient_id, parent, path)
    dialog = QFileDialog(parent, "Export the patient for referral", "referral.fhir.json")
    dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
    dialog.setNameFilter("FHIR JSON (*.json)")
    dialog.setDefaultSuffix("json")
    dialog.fileSelected.connect(lambda chosen: _export(context, patient_id, parent, Path(chosen)))
    dialog.open()
    return None


def _export(context: AppContext, patient_id: uuid.UUID, parent: QWidget, path: Path) -> Operation:
    actor = context.actor

    def work(session: Session, _progress: Progress) -> int:
        return write_patient_bundle(session, actor, patient_id, practice_today(session), path)

    def done(entries: int) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Exported",
            f"The patient's record was written to {path} as a FHIR bundle with {entries} "
            "resources. Send it to the receiving practice over a secure channel.",
            QMessageBox.StandardButton.Ok,
            parent,
        )
        box.setObjectName("fhirExportDone")
        box.open()

    return run_for(parent, context, work, done, title="Exporting the patient…")
