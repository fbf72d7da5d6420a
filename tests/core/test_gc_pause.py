"""The collector pause used by bulk work."""

import gc
import threading
from collections.abc import Iterator

import pytest

from app.gc_pause import bulk_work, bulk_work_running, collector_paused


@pytest.fixture(autouse=True)
def _collector_enabled() -> Iterator[None]:
    # The test session runs with automatic collection off, as the desktop app does. These
    # tests turn it on, so they can see the pause turn it off and back on.
    gc.enable()
    yield
    gc.disable()


def test_pause_restores_an_enabled_collector() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
        assert bulk_work_running()
        with collector_paused():
            assert not gc.isenabled()
        # The inner block ending must not turn the collector back on under the outer one.
        assert not gc.isenabled()
    assert gc.isenabled()
    assert not bulk_work_running()


def test_pause_leaves_a_disabled_collector_disabled() -> None:
    gc.disable()
    with collector_paused():
        pass
    assert not gc.isenabled()


def test_decorated_function_restores_after_error() -> None:
    seen: list[bool] = []

    @bulk_work
    def work() -> None:
        seen.append(gc.isenabled())
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        work()
    assert seen == [False]
    assert gc.isenabled()


def test_overlapping_threads_keep_pause() -> None:
    inside, release = threading.Event(), threading.Event()

    def worker() -> None:
        with collector_paused():
            inside.set()
            release.wait(5)

    thread = threading.Thread(target=worker)
    thread.start()
    inside.wait(5)
    with collector_paused():
        pass
    paused_while_worker_runs = not gc.isenabled()
    release.set()
    thread.join(5)
    assert paused_while_worker_runs
    assert gc.isenabled()
