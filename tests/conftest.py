"""Fixtures shared by every test: an isolated keyring, cheap key derivation, a database."""

import gc
import os
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backends.fail import Keyring as FailKeyring

# Qt must never try to open a real display in tests.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from app.db.database import Database
from app.security import keys
from tests.helpers.memory_keyring import MemoryKeyring
from ui.garbage import collect_if_due

PASSPHRASE = "correct horse battery staple"

# Production Argon2id settings cost about a quarter second; tests wrap keys hundreds of times.
FAST_KDF = keys.KdfParameters(time_cost=1, memory_cost_kib=1024, parallelism=1)


@pytest.fixture(autouse=True, scope="session")
def _collect_garbage_on_main_thread() -> Iterator[tuple[int, int, int]]:
    # Automatic collection may run on an operation-runner worker and destroy Qt objects
    # there, which crashes the process; the app avoids it the same way (ui/garbage.py).
    thresholds = gc.get_threshold()
    gc.disable()
    yield thresholds
    gc.enable()


@pytest.fixture(autouse=True)
def _collect_after_test(_collect_garbage_on_main_thread: tuple[int, int, int]) -> Iterator[None]:
    yield
    collect_if_due(_collect_garbage_on_main_thread)


@pytest.fixture(autouse=True)
def _isolate_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    keys.set_default_kdf(FAST_KDF)
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    home = tmp_path_factory.mktemp("home")
    for variable in ("CLINICDESK_DB", "CLINICDESK_PASSWORD", "CLINICDESK_PASSPHRASE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    yield
    keyring.set_keyring(previous)
    keys.set_default_kdf(keys.KdfParameters())


@pytest.fixture
def no_keyring() -> None:
    """Make the keyring unavailable, as on a headless Linux workstation."""
    keyring.set_keyring(FailKeyring())


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "practice" / "clinicdesk.db"


@pytest.fixture
def database(db_path: Path) -> Iterator[Database]:
    """A new, empty, migrated database."""
    opened = Database.create(db_path, PASSPHRASE)
    yield opened
    opened.close()
