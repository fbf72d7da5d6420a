"""The CMS-1500 print dialog: paper mode, printer offsets, alignment page and the PDF.

The PDF opens in the system viewer, which prints it, because ClinicDesk drives no
printer itself. Offsets move every printed value on the page, so a printer that feeds red forms
a little off can be corrected once and kept in the practice settings.
"""

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.pdf.cms1500 import MAX_OFFSET_MM
from app.progress import Progress
from app.security.permissions import Actor
from app.services import claim_printing
from ui.admin.common import SPIN_BOX_WIDTH, Work, run_for
from ui.charges.print_actions import open_pdf
from ui.claims.dialog_parts import counted, error_text, report_unexpected, status_label
from ui.context import AppContext
from ui.widgets import documents_path

log = logging.getLogger(__name__)

MODE_FORM = "form"
MODE_DATA = "data"
OFFSET_STEP_MM = 0.5
DIALOG_MIN_WIDTH = 480

OpenFile = Callable[[Path], None]


@dataclass(frozen=True, slots=True)
class Printed:
    """A written PDF: where, how many pages, and the offsets now stored."""

    path: Path
    pages: int
    offsets: tuple[float, float]
    changes: Changes


def _offset_box(name: str) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setRange(-MAX_OFFSET_MM, MAX_OFFSET_MM)
    box.setSingleStep(OFFSET_STEP_MM)
    box.setDecimals(1)
    box.setSuffix(" mm")
    box.setMaximumWidth(SPIN_BOX_WIDTH)
    box.setAccessibleName(name)
    return box


class PrintClaimsDialog(QDialog):
    """Writes the chosen claims as a CMS-1500 PDF and opens it for printing."""

    def __init__(
        self, context: AppContext, claim_ids: list[uuid.UUID], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.context = context
        self.claim_ids = list(claim_ids)
        self.saved_offsets: tuple[float, float] | None = None
        # Receives each written PDF. The default opens the PDF viewer, and tests replace it.
        self.open_file: OpenFile = lambda path: open_pdf(path, self)
        self.setWindowTitle("Print CMS-1500 claims")
        self.setMinimumWidth(DIALOG_MIN_WIDTH)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._build()
        self._load_offsets()

    def _build(self) -> None:
        count = len(self.claim_ids)
        intro = QLabel(f"{counted(count, 'claim')} chosen. Each claim prints on its own form.")
        intro.setWordWrap(True)

        self.form_mode = QRadioButton("&Full form on plain paper")
        self.form_mode.setToolTip("Prints the red form and the claim data, for copies and files")
        self.data_mode = QRadioButton("&Data only, on pre-printed red forms")
        self.data_mode.setToolTip("Prints only the values, for payers that scan red CMS-1500 forms")
        self.modes = QButtonGroup(self)
        self.modes.addButton(self.form_mode)
        self.modes.addButton(self.data_mode)
        self.data_mode.setChecked(True)

        mode_box = QGroupBox("Paper")
        mode_layout = QVBoxLayout(mode_box)
        mode_layout.addWidget(self.form_mode)
        mode_layout.addWidget(self.data_mode)

        self.offset_x = _offset_box("Move right")
        self.offset_y = _offset_box("Move down")
        self.offset_x.setToolTip("Positive moves the print right, negative left")
        self.offset_y.setToolTip("Positive moves the print down, negative up")
        offsets = QGroupBox("Printer offsets")
        offset_form = QFormLayout(offsets)
        offset_form.addRow("Move &right", self.offset_x)
        offset_form.addRow("Move do&wn", self.offset_y)
        self.alignment_button = QPushButton("Print &alignment page…")
        self.alignment_button.setToolTip(
            "Print the marks page on a red form, measure how far they miss their boxes, "
            "and enter that distance above"
        )
        # A named slot, because clicked(bool) would fill the `path` argument with False.
        self.alignment_button.clicked.connect(self._alignment_clicked)
        offset_form.addRow("", self.alignment_button)
        how = QLabel(
            "On red forms, print the alignment page, measure how far its marks miss their "
            "boxes and enter that distance. Negative values move left or up."
        )
        how.setWordWrap(True)
        offset_form.addRow(how)
        self._build_footer(intro, mode_box, offsets)

    def _build_footer(self, intro: QLabel, mode_box: QGroupBox, offsets: QGroupBox) -> None:
        self.save_button = QPushButton("&Save PDF…")
        self.save_button.setDefault(True)
        self.save_button.setEnabled(bool(self.claim_ids))
        self.save_button.clicked.connect(self._save_clicked)
        self.status = status_label("Print status")
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        footer = QHBoxLayout()
        footer.addWidget(self.save_button)
        footer.addStretch(1)
        footer.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(mode_box)
        layout.addWidget(offsets)
        layout.addWidget(self.status)
        layout.addLayout(footer)

    # ---- offsets ------------------------------------------------------------------------

    def _load_offsets(self) -> None:
        def work(session: Session, _progress: Progress) -> tuple[float, float]:
            return claim_printing.get_print_offsets(session)

        run_for(self, self.context, work, self._show_offsets, read_only=True)

    def _show_offsets(self, offsets: tuple[float, float]) -> None:
        self.saved_offsets = offsets
        self.offset_x.setValue(offsets[0])
        self.offset_y.setValue(offsets[1])

    def offsets(self) -> tuple[float, float]:
        """Return the offsets as entered, in millimeters."""
        return self.offset_x.value(), self.offset_y.value()

    def mode(self) -> str:
        """Return the renderer mode: "form" for plain paper, "data" for red forms."""
        return MODE_FORM if self.form_mode.isChecked() else MODE_DATA

    # ---- printing -----------------------------------------------------------------------

    def save_pdf(self, path: Path | None = None) -> None:
        """Write the claims to a PDF (asking where without `path`) and open it."""
        target = path or self._choose_path("cms1500-claims.pdf")
        if target is None:
            return
        actor, claim_ids, mode = self.context.actor, self.claim_ids, self.mode()
        offsets, saved = self.offsets(), self.saved_offsets

        def work(session: Session, _progress: Progress) -> Printed:
            _store_changed_offsets(session, actor, offsets, saved)
            pages = claim_printing.print_claims(session, actor, claim_ids, target, mode=mode)
            # Printing adds a Printed event to each claim's history.
            return Printed(target, pages, offsets, Changes.of(ChangeKind.CLAIMS))

        self._start(work, "Writing the CMS-1500 forms…")

    def _save_clicked(self) -> None:
        self.save_pdf()

    def _alignment_clicked(self) -> None:
        self.print_alignment_page()

    def print_alignment_page(self, path: Path | None = None) -> None:
        """Write the alignment page (asking where without `path`) and open it."""
        target = path or self._choose_path("cms1500-alignment.pdf")
        if target is None:
            return
        actor, offsets, saved = self.context.actor, self.offsets(), self.saved_offsets

        def work(session: Session, _progress: Progress) -> Printed:
            _store_changed_offsets(session, actor, offsets, saved)
            claim_printing.print_alignment_page(session, actor, target)
            return Printed(target, 1, offsets, Changes())

        self._start(work, "Writing the alignment page…")

    def _start(self, work: Work, title: str) -> None:
        self._set_busy(True)
        self.status.clear()
        run_for(self, self.context, work, self._printed, self._failed, title=title)

    def _printed(self, printed: Printed) -> None:
        self._set_busy(False)
        self.saved_offsets = printed.offsets
        self.status.setText(f"Wrote {counted(printed.pages, 'page')} to {printed.path}.")
        log.info("CMS-1500 PDF written: %d pages", printed.pages)
        self.open_file(printed.path)

    def _failed(self, error: BaseException) -> None:
        self._set_busy(False)
        report_unexpected(self, error)
        self.status.setText(error_text(error))

    def _set_busy(self, busy: bool) -> None:
        self.save_button.setEnabled(not busy and bool(self.claim_ids))
        self.alignment_button.setEnabled(not busy)

    def _choose_path(self, default_name: str) -> Path | None:
        name, _filter = QFileDialog.getSaveFileName(
            self, "Save PDF", documents_path(default_name), "PDF files (*.pdf)"
        )
        return Path(name) if name else None


def _store_changed_offsets(
    session: Session,
    actor: Actor,
    offsets: tuple[float, float],
    saved: tuple[float, float] | None,
) -> None:
    """Store offsets the user changed, in the same transaction as the print that uses them."""
    if offsets != saved:
        claim_printing.set_print_offsets(session, actor, *offsets)


def open_print_dialog(
    context: AppContext, claim_ids: list[uuid.UUID], parent: QWidget | None = None
) -> PrintClaimsDialog:
    """Open the print dialog without blocking and return it."""
    dialog = PrintClaimsDialog(context, claim_ids, parent)
    dialog.open()
    return dialog
