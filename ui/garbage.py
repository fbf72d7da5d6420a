"""Run Python's cyclic garbage collector on the GUI thread only.

Automatic collection runs on whichever thread happens to allocate, often a worker of the
operation runner. When a collected cycle contains a Qt object that lives on the GUI thread,
PySide destroys it on the worker, which crashes the process. So automatic collection is
turned off and this timer collects on the GUI thread, using the collector's own thresholds.
"""

import gc
import logging

from PySide6.QtCore import QObject, QTimer

from app.gc_pause import bulk_work_running

log = logging.getLogger(__name__)

CHECK_INTERVAL_MS = 1000


class MainThreadGarbageCollector(QObject):
    """Disables automatic collection and collects from a GUI-thread timer instead."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = CHECK_INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        gc.disable()
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.check)
        self._timer.start()

    def check(self) -> None:
        """Collect the oldest generation whose count passed its threshold.

        Nothing is collected while a worker is inside bulk work: it allocates hundreds of
        thousands of objects that stay alive until it ends, and walking them each second
        would slow it down for nothing.
        """
        if bulk_work_running():
            return
        collect_if_due(self.thresholds)


def collect_if_due(thresholds: tuple[int, int, int]) -> None:
    """Collect as automatic collection would have: the oldest generation past its threshold."""
    counts = gc.get_count()
    for generation in (2, 1, 0):
        if counts[generation] > thresholds[generation]:
            gc.collect(generation)
            return
