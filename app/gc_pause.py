"""Pause Python's cyclic garbage collector while bulk work builds many objects.

Building, scrubbing and writing thousands of claims, or posting a large remittance,
creates hundreds of thousands of ORM objects and rows that stay alive until the work
ends. Each collection of the oldest generation walks all of them, and measured on 5,000
claims the collector took about a third of the CPU time. Reference counting still frees
almost everything; the collector only finds cycles, and those wait until the work ends.
A counter keeps the collector paused while any thread is inside bulk work, so two
workers that overlap do not turn it back on under each other. The desktop app collects from
a GUI-thread timer instead of automatically (ui/garbage.py). That timer checks
`bulk_work_running` and skips its collection while bulk work runs.
"""

import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")


class _PauseState:
    """How many blocks are inside bulk work, and whether the collector ran before the first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.depth = 0
        self.was_enabled = False


_state = _PauseState()


@contextmanager
def collector_paused() -> Iterator[None]:
    """Disable the cyclic collector inside the block; restore it when the last block ends."""
    with _state.lock:
        if _state.depth == 0:
            _state.was_enabled = gc.isenabled()
            gc.disable()
        _state.depth += 1
    try:
        yield
    finally:
        with _state.lock:
            _state.depth -= 1
            if _state.depth == 0 and _state.was_enabled:
                gc.enable()


def bulk_work_running() -> bool:
    """True while any thread is inside bulk work."""
    with _state.lock:
        return _state.depth > 0


def bulk_work(function: Callable[P, R]) -> Callable[P, R]:
    """Decorate a function that builds many objects to run it with the collector paused."""

    @wraps(function)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        with collector_paused():
            return function(*args, **kwargs)

    return run
