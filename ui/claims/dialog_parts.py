"""Pieces the send, responses and print dialogs share: work run item by item, and messages."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtWidgets import QLabel, QWidget

from app.changes import Changes
from app.errors import UserError
from app.progress import Progress
from ui.admin.common import run_for
from ui.context import AppContext
from ui.errors import show_error

log = logging.getLogger(__name__)

T = TypeVar("T")

# Work for one item, run on a worker thread in its own transaction.
ItemWork = Callable[[Any, Progress, T], Any]


@dataclass
class ItemOutcome(Generic[T]):
    """The result of one item's work, or the error that stopped it."""

    item: T
    result: Any = None
    error: BaseException | None = None


class ItemQueue(Generic[T]):
    """Runs the same work for each item in turn, each in its own transaction.

    One item's failure rolls back only that item and never stops the others, so one
    unreachable clearinghouse or one bad file still lets the rest go through. After the
    last item, `changes` is announced to every page when at least one item succeeded.
    """

    def __init__(
        self,
        widget: QWidget,
        context: AppContext,
        work: ItemWork[T],
        on_item: Callable[[ItemOutcome[T]], None],
        on_finished: Callable[[list[ItemOutcome[T]]], None],
        *,
        title: str,
        changes: Changes,
    ) -> None:
        self.widget = widget
        self.context = context
        self.work = work
        self.on_item = on_item
        self.on_finished = on_finished
        self.title = title
        self.changes = changes
        self.pending: list[T] = []
        self.outcomes: list[ItemOutcome[T]] = []
        self.running = False

    def start(self, items: Sequence[T]) -> None:
        """Run the work for `items`, one after another."""
        self.pending = list(items)
        self.outcomes = []
        self.running = True
        self._next()

    def _next(self) -> None:
        if not shiboken6.isValid(self.widget):
            return
        if not self.pending:
            self.running = False
            self._announce_changes()
            self.on_finished(self.outcomes)
            return
        item = self.pending.pop(0)
        work = self.work

        def run(session: Any, progress: Progress) -> Any:
            return work(session, progress, item)

        run_for(
            self.widget, self.context, run,
            lambda result: self._record(ItemOutcome(item, result=result)),
            lambda error: self._record(ItemOutcome(item, error=error)),
            title=self.title,
        )  # fmt: skip

    def _announce_changes(self) -> None:
        # Item results are not Changes values, so the runner does not announce them and
        # pages such as the claims worklist would keep showing the old statuses.
        if any(outcome.error is None for outcome in self.outcomes):
            self.context.ops.changed.emit(self.changes)

    def _record(self, outcome: ItemOutcome[T]) -> None:
        if outcome.error is not None:
            report_unexpected(self.widget, outcome.error)
        self.outcomes.append(outcome)
        self.on_item(outcome)
        self._next()


def report_unexpected(widget: QWidget, error: BaseException) -> None:
    """Open the report dialog for a bug; a UserError needs only its message in the dialog."""
    if not isinstance(error, UserError):
        show_error(widget, error)


def error_text(error: BaseException) -> str:
    """Return the message a user reads for a failed item."""
    if isinstance(error, UserError):
        return str(error)
    return f"Unexpected error ({type(error).__name__}). The details were written to the log."


def status_label(accessible_name: str) -> QLabel:
    """Return a wrapping label for a dialog's outcome line, empty until something happens."""
    label = QLabel()
    label.setWordWrap(True)
    label.setAccessibleName(accessible_name)
    return label


def counted(count: int, noun: str) -> str:
    """Return "1 file" or "3 files" (nouns with a plain -s plural only)."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
