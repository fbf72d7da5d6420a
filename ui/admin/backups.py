"""The Backups tab: the last verified backup, recent attempts, Back up now and settings."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from PySide6.QtWidgets import (
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from app import paths
from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import UserError
from app.models.system import BackupRecord
from app.progress import Progress
from app.security.permissions import Permission
from app.services import backup
from app.services.backup import BackupResult
from app.services.settings import backup_settings, save_setting
from ui.admin.common import (
    SPIN_BOX_WIDTH,
    RecordTable,
    format_instant,
    format_size,
    load_zone,
    run_for,
    show_error,
)
from ui.admin.forms import ERROR_COLOR
from ui.context import AppContext

log = logging.getLogger(__name__)

HEADERS = ("Started", "File", "Size", "Result", "Tables", "Rows", "Message")
RECENT_LIMIT = 50
MAX_KEEP_LAST = 365
# Matches the daily automatic backup: a verified copy older than this counts as overdue.
OVERDUE_AFTER = timedelta(hours=24)


@dataclass(frozen=True)
class BackupRow:
    """One backup attempt as the tab shows it."""

    id: object
    started_at: datetime
    finished_at: datetime | None
    file_name: str
    folder: str
    size_bytes: int
    verified: bool
    table_count: int
    row_count: int
    message: str


@dataclass(frozen=True)
class BackupOverview:
    """Everything the tab shows, loaded in one background call."""

    last_verified: BackupRow | None
    recent: list[BackupRow]
    folder: str
    default_folder: str
    keep_last: int
    zone: ZoneInfo | None


def _row(record: BackupRecord) -> BackupRow:
    return BackupRow(
        id=record.id,
        started_at=record.started_at,
        finished_at=record.finished_at,
        file_name=record.file_name,
        folder=record.folder,
        size_bytes=record.size_bytes,
        verified=record.verified,
        table_count=record.table_count,
        row_count=record.row_count,
        message=record.message,
    )


def load_overview(session: Session, database_path: Path) -> BackupOverview:
    """Read the backup records and settings (runs on a worker thread)."""
    last = backup.last_verified_backup(session)
    settings = backup_settings(session)
    return BackupOverview(
        last_verified=_row(last) if last is not None else None,
        recent=[_row(record) for record in backup.list_backups(session, limit=RECENT_LIMIT)],
        folder=settings.folder,
        default_folder=str(paths.backup_dir(database_path)),
        keep_last=settings.keep_last,
        zone=load_zone(session),
    )


def last_backup_text(row: BackupRow | None, zone: ZoneInfo | None) -> tuple[str, bool]:
    """Describe the last verified backup, with a flag that is True when it needs attention."""
    if row is None:
        return "No verified backup yet. Choose Back up now to make one.", True
    when = row.finished_at or row.started_at
    lines = [
        f"Finished: {format_instant(when, zone)}",
        f"File: {Path(row.folder) / row.file_name}",
        f"Size: {format_size(row.size_bytes)}",
        f"Checked: {row.table_count} tables, {row.row_count:,} rows match the database",
    ]
    overdue = utc_now() - when > OVERDUE_AFTER
    if overdue:
        lines.append("This backup is more than a day old. Choose Back up now.")
    return "\n".join(lines), overdue


class BackupsTab(QWidget):
    """Shows backup health and runs a verified backup on request."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.overview: BackupOverview | None = None
        self.last_label = QLabel("Loading…")
        self.last_label.setWordWrap(True)
        self.last_label.setAccessibleName("Last verified backup")
        self.backup_button = QPushButton("&Back up now")
        self.backup_button.clicked.connect(self.back_up_now)
        self.result_label = QLabel()
        self.result_label.setWordWrap(True)
        self.result_label.setAccessibleName("Backup result")
        self.table = RecordTable(HEADERS, "Recent backups")
        layout = QVBoxLayout(self)
        layout.addWidget(self._last_box())
        layout.addWidget(QLabel("Recent backups, newest first:"))
        layout.addWidget(self.table, 1)
        layout.addWidget(self._settings_box())
        context.ops.changed.connect(self._on_changed)
        self.refresh()

    def _last_box(self) -> QGroupBox:
        box = QGroupBox("Last verified backup")
        row = QHBoxLayout(box)
        column = QVBoxLayout()
        column.addWidget(self.last_label)
        column.addWidget(self.result_label)
        row.addLayout(column, 1)
        row.addWidget(self.backup_button)
        return box

    def _settings_box(self) -> QGroupBox:
        box = QGroupBox("Backup settings")
        self.folder = QLineEdit()
        self.folder.setAccessibleName("Backup folder")
        self.choose_button = QPushButton("C&hoose…")
        self.choose_button.clicked.connect(self.choose_folder)
        self.keep_last = QSpinBox()
        self.keep_last.setRange(1, MAX_KEEP_LAST)
        self.keep_last.setSuffix(" backups")
        self.keep_last.setAccessibleName("Number of backups to keep")
        self.keep_last.setMaximumWidth(SPIN_BOX_WIDTH)
        self.save_button = QPushButton("&Save settings")
        self.save_button.clicked.connect(self.save_settings)
        self.settings_status = QLabel()
        folder_row = QHBoxLayout()
        folder_row.addWidget(self.folder, 1)
        folder_row.addWidget(self.choose_button)
        form = QFormLayout(box)
        folder_label = QLabel("Backup &folder")
        folder_label.setBuddy(self.folder)
        form.addRow(folder_label, folder_row)
        form.addRow("&Keep the newest", self.keep_last)
        form.addRow(self.save_button, self.settings_status)
        if not self.context.can(Permission.PRACTICE_SETUP):
            for widget in (self.folder, self.choose_button, self.keep_last, self.save_button):
                widget.setEnabled(False)
            self.settings_status.setText("Only an administrator can change these settings.")
        return box

    def _on_changed(self, changes: Changes) -> None:
        if changes.touches(ChangeKind.BACKUPS, ChangeKind.SETTINGS):
            self.refresh()

    def refresh(self) -> None:
        """Reload backup records and settings."""
        path = self.context.database.path
        run_for(self, self.context, lambda session, _p: load_overview(session, path), self._show)

    def _show(self, overview: BackupOverview) -> None:
        self.overview = overview
        text, attention = last_backup_text(overview.last_verified, overview.zone)
        self.last_label.setText(text)
        self.last_label.setStyleSheet(f"color: {ERROR_COLOR};" if attention else "")
        rows = [(row.id, self._cells(row, overview.zone)) for row in overview.recent]
        self.table.set_rows(rows)
        self.folder.setPlaceholderText(f"Beside the database: {overview.default_folder}")
        self.folder.setText(overview.folder)
        self.keep_last.setValue(overview.keep_last)

    @staticmethod
    def _cells(row: BackupRow, zone: ZoneInfo | None) -> list[str]:
        return [
            format_instant(row.started_at, zone),
            row.file_name,
            format_size(row.size_bytes),
            "Verified" if row.verified else "Failed",
            str(row.table_count),
            f"{row.row_count:,}",
            row.message,
        ]

    def back_up_now(self) -> None:
        """Write and verify a backup with progress, then refresh the list."""
        database, actor = self.context.database, self.context.actor

        def work(_session: Session, progress: Progress) -> BackupResult:
            return backup.backup_database(database, actor, progress=progress)

        self.backup_button.setEnabled(False)
        self.result_label.setText("Backing up…")
        run_for(
            self, self.context, work, self._backed_up, self._backup_failed,
            title="Backing up the database…",
        )  # fmt: skip

    def _backed_up(self, result: BackupResult) -> None:
        self.backup_button.setEnabled(True)
        self.result_label.setStyleSheet("")
        self.result_label.setText(
            f"Backup verified: {result.path} ({format_size(result.size_bytes)}). Keep the key "
            f"file {result.key_path.name} with it; a restore needs both."
        )

    def _backup_failed(self, error: BaseException) -> None:
        self.backup_button.setEnabled(True)
        self.result_label.setStyleSheet(f"color: {ERROR_COLOR};")
        self.result_label.setText(f"Backup failed: {error}")
        if not isinstance(error, UserError):
            show_error(self, error)
        self.refresh()

    def choose_folder(self) -> None:
        """Pick the backup folder with a folder dialog."""
        dialog = QFileDialog(self, "Choose the backup folder", self.folder.text())
        dialog.setFileMode(QFileDialog.FileMode.Directory)
        dialog.setOption(QFileDialog.Option.ShowDirsOnly, True)
        dialog.fileSelected.connect(self.folder.setText)
        dialog.open()

    def save_settings(self) -> None:
        """Store the backup folder and how many backups to keep."""
        actor, folder, keep = self.context.actor, self.folder.text().strip(), self.keep_last.value()
        if folder and not Path(folder).is_absolute():
            self.settings_status.setStyleSheet(f"color: {ERROR_COLOR};")
            self.settings_status.setText(
                f"Backup folder {folder} is not a full path. Choose it with Choose…, or leave "
                "it empty to keep backups beside the database."
            )
            return
        self.settings_status.setStyleSheet("")

        def work(session: Session, _progress: Progress) -> Changes:
            save_setting(session, actor, "backup.folder", folder)
            save_setting(session, actor, "backup.keep_last", keep)
            return Changes.of(ChangeKind.SETTINGS)

        def saved(_changes: Changes) -> None:
            self.settings_status.setText("Saved.")

        run_for(self, self.context, work, saved)
