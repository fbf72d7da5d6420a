"""The automatic daily backup while the app is open.

Every check interval (an hour by default) the scheduler checks whether a verified backup
exists from the last 24 hours, and if not it runs one on a worker thread as the system
actor. A failure is shown to whoever is signed in, because a clinic that silently stops
backing up loses data later.
"""

import logging

from PySide6.QtCore import QObject, QTimer, Signal
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.progress import Progress
from app.security.permissions import system_actor
from app.services import backup
from ui.context import AppContext

log = logging.getLogger(__name__)

CHECK_INTERVAL_MS = 60 * 60 * 1000
FIRST_CHECK_MS = 2 * 60 * 1000  # after start-up work has settled


class DailyBackup(QObject):
    """Runs a backup when none was verified in the last day."""

    finished = Signal(object)  # BackupResult
    failed = Signal(object)  # the exception

    def __init__(
        self,
        context: AppContext,
        interval_ms: int = CHECK_INTERVAL_MS,
        first_check_ms: int = FIRST_CHECK_MS,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.context = context
        self._running = False
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._first_check_ms = first_check_ms

    def start(self) -> None:
        """Check once shortly after start-up, then every interval."""
        QTimer.singleShot(self._first_check_ms, self.check)
        self._timer.start()

    def stop(self) -> None:
        """Stop checking (at shutdown)."""
        self._timer.stop()

    def check(self) -> None:
        """Start a backup on a worker thread if one is due."""
        if self._running:
            return
        self._running = True
        self.context.ops.run(
            lambda session, _progress: backup.backup_due(session, utc_now()),
            on_done=self._due_checked,
            on_error=self._failed,
            read_only=True,
        )

    def _due_checked(self, due: bool) -> None:
        if not due:
            self._running = False
            return
        log.info("daily backup is due; starting it")
        # A separate operation: the backup runs its own units of work, and those must not
        # nest inside the one that checked whether a backup is due.
        self.context.ops.run(self._backup, on_done=self._done, on_error=self._failed)

    def _backup(self, _session: Session, progress: Progress) -> backup.BackupResult:
        actor = system_actor(self.context.workstation)
        return backup.backup_database(self.context.database, actor, progress=progress)

    def _done(self, result: backup.BackupResult) -> None:
        self._running = False
        self.finished.emit(result)

    def _failed(self, error: BaseException) -> None:
        self._running = False
        log.warning("daily backup failed: %s", type(error).__name__)
        self.failed.emit(error)
