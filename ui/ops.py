"""The one helper for work that must not block the GUI thread.

`OperationRunner.run()` calls a service function on a pool thread with its own session
(committed on success, rolled back on error), shows a progress dialog with Cancel when
the work takes longer than a moment, and delivers the result or the error back on the
GUI thread. Results that carry `Changes` are announced through `changed`, the single
signal views refresh from.
"""

import logging
from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtCore import QObject, QRunnable, QThreadPool, QTimer, Signal, Slot
from PySide6.QtWidgets import QProgressDialog, QWidget
from sqlalchemy.orm import Session

from app.changes import Changes
from app.db.database import Database
from app.progress import Progress

log = logging.getLogger(__name__)

T = TypeVar("T")

# Work shorter than this shows no dialog, so quick saves do not flash a window.
PROGRESS_DELAY_MS = 400

Work = Callable[[Session, Progress], Any]


class _Relay(QObject):
    """Carries a worker's outcome to the GUI thread (queued signal delivery)."""

    finished = Signal(object)
    failed = Signal(object)


class _Job(QRunnable):
    def __init__(
        self, database: Database, work: Work, progress: Progress, relay: _Relay, read_only: bool
    ) -> None:
        super().__init__()
        self.database = database
        self.work = work
        self.progress = progress
        self.relay = relay
        self.read_only = read_only

    def run(self) -> None:
        unit_of_work = self.database.reading if self.read_only else self.database.transaction
        try:
            with unit_of_work() as session:
                result = self.work(session, self.progress)
        except BaseException as exc:  # noqa: BLE001 (every failure must reach the GUI thread)
            self.relay.failed.emit(exc)
        else:
            self.relay.finished.emit(result)


class Operation(QObject):
    """One running call; kept alive by the runner until it reports back."""

    def __init__(
        self,
        runner: "OperationRunner",
        title: str,
        on_done: Callable[[Any], None] | None,
        on_error: Callable[[BaseException], None] | None,
        parent_widget: QWidget | None,
    ) -> None:
        super().__init__(runner)
        self.runner = runner
        self.progress = Progress()
        # Parented, so Qt (not Python's garbage collector on a worker thread) ends its life.
        self.relay = _Relay(self)
        self.relay.finished.connect(self._finished)
        self.relay.failed.connect(self._failed)
        self._on_done = on_done
        self._on_error = on_error
        self._dialog: QProgressDialog | None = None
        self._title = title
        self._parent_widget = parent_widget
        self._poll = QTimer(self)
        self._poll.setInterval(100)
        self._poll.timeout.connect(self._update_dialog)
        QTimer.singleShot(PROGRESS_DELAY_MS, self._show_dialog)
        self.done = False

    @Slot()
    def _show_dialog(self) -> None:
        if self.done or not self._title:
            return
        dialog = QProgressDialog(self._title, "Cancel", 0, 0, self._parent_widget)
        dialog.setWindowTitle("Working…")
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        dialog.canceled.connect(self.progress.cancel)
        dialog.show()
        self._dialog = dialog
        self._poll.start()

    @Slot()
    def _update_dialog(self) -> None:
        if self._dialog is None:
            return
        done, total, message = self.progress.snapshot()
        self._dialog.setMaximum(max(total, 0))
        self._dialog.setValue(min(done, total) if total else 0)
        if message:
            self._dialog.setLabelText(f"{self._title}\n{message}")

    def _close_dialog(self) -> None:
        self.done = True
        self._poll.stop()
        if self._dialog is not None:
            self._dialog.close()
            self._dialog.deleteLater()
            self._dialog = None

    @Slot(object)
    def _finished(self, result: object) -> None:
        self._close_dialog()
        self.runner._forget(self)
        changes = result if isinstance(result, Changes) else getattr(result, "changes", None)
        if isinstance(changes, Changes) and changes.kinds:
            self.runner.changed.emit(changes)
        if self._on_done is not None:
            self._on_done(result)

    @Slot(object)
    def _failed(self, error: BaseException) -> None:
        self._close_dialog()
        self.runner._forget(self)
        if self._on_error is not None:
            self._on_error(error)
        else:
            self.runner.failed.emit(error)


class OperationRunner(QObject):
    """Runs service calls off the GUI thread against one database."""

    changed = Signal(object)  # Changes: what a finished operation wrote
    failed = Signal(object)  # an exception no caller handled; the error presenter shows it

    def __init__(self, database: Database, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.database = database
        self.pool = QThreadPool(self)
        # SQLite allows one writer; two workers keep reads responsive during a write.
        self.pool.setMaxThreadCount(2)
        self._running: set[Operation] = set()

    def run(
        self,
        work: Work,
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        title: str = "",
        parent: QWidget | None = None,
        read_only: bool = False,
    ) -> Operation:
        """Start `work(session, progress)` on a worker thread.

        `on_done` receives the result on the GUI thread; errors go to `on_error`, or, when
        that is None, to the `failed` signal. `title` non-empty shows a progress dialog
        with Cancel after a short delay. `read_only` runs work that only reads (lists,
        searches) without taking the database's write lock.
        """
        operation = Operation(self, title, on_done, on_error, parent)
        self._running.add(operation)
        job = _Job(self.database, work, operation.progress, operation.relay, read_only)
        self.pool.start(job)
        return operation

    def _forget(self, operation: Operation) -> None:
        self._running.discard(operation)
        operation.deleteLater()

    @property
    def busy(self) -> bool:
        """True while any operation is running."""
        return bool(self._running)

    def wait_for_all(self, timeout_ms: int = 30_000) -> bool:
        """Block until every worker finishes (used at shutdown and in tests)."""
        return self.pool.waitForDone(timeout_ms)
