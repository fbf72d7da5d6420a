"""The GUI-thread garbage collector replaces automatic collection."""

import gc

from pytestqt.qtbot import QtBot

from app.gc_pause import collector_paused
from ui.garbage import MainThreadGarbageCollector


class _Cycle:
    def __init__(self) -> None:
        self.me = self


def test_collector_disables_automatic_gc(qtbot: QtBot) -> None:
    collector = MainThreadGarbageCollector(interval_ms=60_000)
    try:
        assert not gc.isenabled()
    finally:
        collector.deleteLater()


def test_check_collects_past_threshold(qtbot: QtBot) -> None:
    collector = MainThreadGarbageCollector(interval_ms=60_000)
    collector.thresholds = (10, 1_000_000, 1_000_000)
    for _ in range(100):
        _Cycle()
    assert gc.get_count()[0] > 10

    collector.check()

    assert gc.get_count()[0] < 10
    collector.deleteLater()


def test_check_waits_while_bulk_work_runs(qtbot: QtBot) -> None:
    collector = MainThreadGarbageCollector(interval_ms=60_000)
    collector.thresholds = (10, 1_000_000, 1_000_000)
    for _ in range(100):
        _Cycle()

    with collector_paused():
        collector.check()
        assert gc.get_count()[0] > 10
    collector.check()

    assert gc.get_count()[0] < 10
    collector.deleteLater()
