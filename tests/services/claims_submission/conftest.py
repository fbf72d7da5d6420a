"""Fixtures for the claim submission tests: a loopback SFTP server."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.helpers.sftp_server import SftpTestServer, running_server


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpTestServer]:
    """An SFTP server on 127.0.0.1 serving tmp_path/sftp, with inbound and outbound folders."""
    yield from running_server(tmp_path / "sftp")
