"""The printed recovery sheet: what an administrator needs to reopen the database."""

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

from PySide6.QtCore import QMarginsF, QRectF, Qt
from PySide6.QtGui import QFont, QPagedPaintDevice, QPageLayout, QPageSize, QPainter, QPdfWriter

from app.paths import key_file_path


@dataclass(frozen=True, slots=True)
class RecoverySheet:
    """The facts printed on the sheet."""

    practice_name: str
    database_path: Path
    database_id: UUID
    created_on: date
    passphrase: str

    @property
    def key_file(self) -> Path:
        """The key file that sits beside the database."""
        return key_file_path(self.database_path)

    def lines(self) -> list[tuple[str, str]]:
        """Return (label, value) pairs in the order they are printed."""
        return [
            ("Practice", self.practice_name),
            ("Database file", str(self.database_path)),
            ("Key file", str(self.key_file)),
            ("Database id", str(self.database_id)),
            ("Created on", self.created_on.strftime("%B %d, %Y")),
        ]


INSTRUCTIONS = (
    "Keep this sheet in a locked place away from the computer. The passphrase below opens "
    "the encrypted ClinicDesk database when this computer's keyring no longer has the key: "
    "after Windows or macOS is reinstalled, after the database moves to a new computer, or "
    "when a backup is restored. Without the passphrase and the key file, nobody, including "
    "ClinicDesk support, can read the database."
)


def _paint(painter: QPainter, page: QRectF, sheet: RecoverySheet) -> None:
    top = page.top()
    painter.setFont(QFont("Sans Serif", 18, QFont.Weight.Bold))
    painter.drawText(QRectF(page.left(), top, page.width(), 40), "ClinicDesk recovery sheet")
    top += 50

    painter.setFont(QFont("Sans Serif", 10))
    flags = int(Qt.TextFlag.TextWordWrap)
    bounds = painter.boundingRect(QRectF(page.left(), top, page.width(), 400), flags, INSTRUCTIONS)
    painter.drawText(bounds, flags, INSTRUCTIONS)
    top = bounds.bottom() + 24

    for label, value in sheet.lines():
        painter.setFont(QFont("Sans Serif", 10, QFont.Weight.Bold))
        painter.drawText(QRectF(page.left(), top, 140, 20), label)
        painter.setFont(QFont("Sans Serif", 10))
        area = QRectF(page.left() + 140, top, page.width() - 140, 60)
        used = painter.boundingRect(area, flags, value)
        painter.drawText(used, flags, value)
        top = max(top + 22, used.bottom() + 6)

    top += 24
    painter.setFont(QFont("Sans Serif", 11, QFont.Weight.Bold))
    painter.drawText(QRectF(page.left(), top, page.width(), 20), "Recovery passphrase")
    painter.setFont(QFont("Monospace", 16, QFont.Weight.Bold))
    painter.drawText(QRectF(page.left(), top + 28, page.width(), 40), sheet.passphrase)


def render_recovery_sheet(device: QPagedPaintDevice, sheet: RecoverySheet) -> None:
    """Draw the sheet on one page of `device` (a QPrinter or QPdfWriter)."""
    painter = QPainter(device)
    try:
        scale = device.logicalDpiX() / 72.0
        painter.scale(scale, scale)
        width = device.width() / scale
        height = device.height() / scale
        _paint(painter, QRectF(0, 0, width, height), sheet)
    finally:
        painter.end()


# Owner read and write only, because the sheet contains the recovery passphrase.
PRIVATE_FILE_MODE = 0o600


def _create_private_file(path: Path) -> None:
    """Create (or empty) `path` readable only by its owner, before anything is written."""
    if os.name != "posix":
        # NOTE: on Windows the file gets the folder's inherited access rights.
        return
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    os.close(descriptor)
    # os.open applies the mode only when it creates the file, so an existing one is changed too.
    os.chmod(path, PRIVATE_FILE_MODE)


def save_recovery_sheet_pdf(path: Path, sheet: RecoverySheet) -> None:
    """Write the sheet as a one-page US Letter PDF at `path` (mode 0600 on POSIX systems)."""
    _create_private_file(path)
    writer = QPdfWriter(str(path))
    writer.setTitle("ClinicDesk recovery sheet")
    writer.setPageLayout(
        QPageLayout(
            QPageSize(QPageSize.PageSizeId.Letter),
            QPageLayout.Orientation.Portrait,
            QMarginsF(20, 20, 20, 20),
            QPageLayout.Unit.Millimeter,
        )
    )
    render_recovery_sheet(writer, sheet)
