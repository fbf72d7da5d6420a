"""A real SFTP server on 127.0.0.1 for tests, run by asyncssh in a thread of its own.

It listens on a random free port with a host key generated for the test, accepts one
user name and password, and serves a folder under tmp_path as the root of every path.
`drop_after_bytes` makes it cut the connection during an upload.
"""

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import asyncssh

from app.sftp import SftpTarget

USERNAME = "clinicdesk"
PASSWORD = "Sftp-test-pass-2026"
START_TIMEOUT_SECONDS = 10.0


@dataclass
class ServerState:
    """Settings the running server reads on each request, changeable between calls."""

    drop_after_bytes: int | None = None
    uploaded_bytes: int = 0
    logins: int = 0
    rejected_logins: int = 0


class _Server(asyncssh.SSHServer):
    def __init__(self, state: ServerState) -> None:
        self._state = state

    def begin_auth(self, username: str) -> bool:
        return True

    def password_auth_supported(self) -> bool:
        return True

    def validate_password(self, username: str, password: str) -> bool:
        valid = username == USERNAME and password == PASSWORD
        if valid:
            self._state.logins += 1
        else:
            self._state.rejected_logins += 1
        return valid


class _DroppingSftpServer(asyncssh.SFTPServer):
    """Serves the root folder and aborts the connection once enough bytes were written."""

    def __init__(self, channel: asyncssh.SSHServerChannel[bytes], root: Path, state: ServerState):
        super().__init__(channel, chroot=str(root).encode())
        self._state = state

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        # The base class writes synchronously to a local file and returns the count.
        written = cast(int, super().write(file_obj, offset, data))
        self._state.uploaded_bytes += len(data)
        limit = self._state.drop_after_bytes
        if limit is not None and self._state.uploaded_bytes >= limit:
            self.connection.abort()
        return written


@dataclass
class SftpTestServer:
    """A running loopback SFTP server; `target()` returns the settings that reach it."""

    root: Path
    host_key: asyncssh.SSHKey
    state: ServerState = field(default_factory=ServerState)
    port: int = 0
    _loop: asyncio.AbstractEventLoop = field(default_factory=asyncio.new_event_loop)
    _thread: threading.Thread | None = None
    _acceptor: Any = None

    @property
    def public_key(self) -> str:
        """The server's host key in OpenSSH form, as a clearinghouse would give it."""
        return self.host_key.export_public_key("openssh").decode("ascii").strip()

    def target(self, **changes: Any) -> SftpTarget:
        """Return settings that reach this server, with any field replaced by `changes`."""
        values: dict[str, Any] = {
            "host": "127.0.0.1",
            "port": self.port,
            "username": USERNAME,
            "password": PASSWORD,
            "host_key": self.public_key,
            "connect_timeout": 5.0,
            "login_timeout": 5.0,
        }
        values.update(changes)
        return SftpTarget(**values)

    def start(self) -> None:
        """Start the event loop thread and listen on a free port of 127.0.0.1."""
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._acceptor = self._call(self._listen())
        self.port = self._acceptor.sockets[0].getsockname()[1]

    def stop(self) -> None:
        """Stop listening and drop open connections; the port then refuses connections."""
        if self._acceptor is not None:
            acceptor, self._acceptor = self._acceptor, None
            self._call(_close(acceptor))

    def close(self) -> None:
        """Stop the server and its thread."""
        self.stop()
        if self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(START_TIMEOUT_SECONDS)
            self._thread = None
        self._loop.close()

    async def _listen(self) -> Any:
        return await asyncssh.create_server(
            lambda: _Server(self.state),
            "127.0.0.1",
            self.port,
            server_host_keys=[self.host_key],
            sftp_factory=lambda channel: _DroppingSftpServer(channel, self.root, self.state),
            allow_scp=False,
        )

    def _call(self, work: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(work, self._loop)
        return future.result(START_TIMEOUT_SECONDS)


async def _close(acceptor: Any) -> None:
    acceptor.close()
    await acceptor.wait_closed()


def new_host_key() -> asyncssh.SSHKey:
    """Generate an Ed25519 host key, so each test server has a key of its own."""
    return asyncssh.generate_private_key("ssh-ed25519")


def public_key_of(key: asyncssh.SSHKey) -> str:
    """Return the public half of `key` in OpenSSH form."""
    return key.export_public_key("openssh").decode("ascii").strip()


def running_server(root: Path) -> Iterator[SftpTestServer]:
    """Yield a started server with `inbound` and `outbound` folders under `root`."""
    (root / "inbound").mkdir(parents=True, exist_ok=True)
    (root / "outbound").mkdir(parents=True, exist_ok=True)
    server = SftpTestServer(root=root, host_key=new_host_key())
    server.start()
    try:
        yield server
    finally:
        server.close()
