"""Progress reporting and cancellation for long service calls, free of any GUI."""

import threading

from app.errors import UserError


class OperationCancelledError(UserError):
    """The user cancelled a long operation; whatever it wrote was rolled back."""

    def __init__(self) -> None:
        super().__init__("The operation was cancelled. Nothing was saved.")


class Progress:
    """Passed to long service calls: they report steps and check for cancellation.

    Thread-safe: the worker calls `report`, the GUI thread reads `snapshot` and calls
    `cancel`.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._done = 0
        self._total = 0
        self._message = ""
        self._cancelled = threading.Event()

    def report(self, done: int, total: int, message: str = "") -> None:
        """Record that `done` of `total` steps are finished; raise if cancelled."""
        with self._lock:
            self._done, self._total, self._message = done, total, message
        self.check_cancelled()

    def snapshot(self) -> tuple[int, int, str]:
        """Return (done, total, message) as last reported."""
        with self._lock:
            return self._done, self._total, self._message

    def cancel(self) -> None:
        """Ask the operation to stop at its next report."""
        self._cancelled.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called."""
        return self._cancelled.is_set()

    def check_cancelled(self) -> None:
        """Raise OperationCancelledError if the user asked to stop."""
        if self._cancelled.is_set():
            raise OperationCancelledError
