"""Databases for the remittance tests: one per module where the tests can share it."""

from collections.abc import Callable, Iterator
from pathlib import Path

import keyring
import pytest

from app.db.database import Database
from app.security import keys
from tests.conftest import FAST_KDF, PASSPHRASE
from tests.helpers.era_data import EraPractice, build_era_practice
from tests.helpers.memory_keyring import MemoryKeyring


def create_database(path: Path) -> Database:
    """Create a database outside a test's own keyring, for fixtures wider than one test."""
    previous = keyring.get_keyring()
    keys.set_default_kdf(FAST_KDF)
    keyring.set_keyring(MemoryKeyring())
    try:
        return Database.create(path, PASSPHRASE)
    finally:
        keyring.set_keyring(previous)
        keys.set_default_kdf(keys.KdfParameters())


@pytest.fixture(scope="module")
def new_practice(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Callable[[], EraPractice]]:
    """Make practices in databases of their own, closed when the module ends."""
    opened: list[Database] = []

    def make() -> EraPractice:
        folder = tmp_path_factory.mktemp("era")
        database = create_database(folder / "clinicdesk.db")
        opened.append(database)
        return build_era_practice(database)

    yield make
    for database in opened:
        database.close()


@pytest.fixture(scope="module")
def era_practice(new_practice: Callable[[], EraPractice]) -> EraPractice:
    """One practice shared by a module's tests; each test adds the claims it needs."""
    return new_practice()
