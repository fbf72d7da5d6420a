"""The SFTP client that sends claim files to a clearinghouse and fetches its responses.

Each call opens one connection in an event loop of its own (`asyncio.run`), so callers
stay synchronous. The UI calls these functions on a worker thread. The server must
present exactly the host key saved in the clearinghouse settings. There is no
trust-on-first-use, and no ~/.ssh/known_hosts, config, agent or key file is read.
Nothing here logs a password or file content.
"""

import asyncio
import logging
import posixpath
import socket
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from cryptography.utils import CryptographyDeprecationWarning

from app.errors import UserError

# cryptography (51.0.1 at least) warns that DSA is deprecated when the DSA key classes are
# named, and asyncssh names them when it loads. DSA host keys are rejected below, so the
# warning does not apply here. Without the filter it would print at every start.
with warnings.catch_warnings():
    warnings.filterwarnings(
        "ignore", message="DSA is deprecated", category=CryptographyDeprecationWarning
    )
    import asyncssh

log = logging.getLogger(__name__)

T = TypeVar("T")

CONNECT_TIMEOUT_SECONDS = 20.0
LOGIN_TIMEOUT_SECONDS = 30.0
# A file is uploaded under this suffix and renamed when complete, so a clearinghouse that
# collects every file in its inbound folder never picks up half a file.
PARTIAL_SUFFIX = ".uploading"
DSA_KEY_TYPE = "ssh-dss"


class SftpError(UserError):
    """An SFTP connection, upload or download failed; the message names the step and the fix."""


class HostKeyMismatchError(SftpError):
    """The server presented a host key other than the one saved for it; nothing was sent."""


@dataclass(frozen=True, slots=True)
class SftpTarget:
    """How to reach and sign in to one SFTP server."""

    host: str
    port: int
    username: str
    password: str
    host_key: str  # the server's public key in OpenSSH form
    connect_timeout: float = CONNECT_TIMEOUT_SECONDS
    login_timeout: float = LOGIN_TIMEOUT_SECONDS

    @property
    def address(self) -> str:
        """The server as users type it: host, and the port when it is not 22."""
        return self.host if self.port == 22 else f"{self.host}:{self.port}"


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A regular file in a server folder."""

    name: str
    size: int


@dataclass(frozen=True, slots=True)
class DownloadedFile:
    """A file read from the server, with its exact bytes."""

    name: str
    size: int
    content: bytes


def parse_host_key(text: str) -> asyncssh.SSHKey:
    """Parse an OpenSSH public key, such as a line of `ssh-keyscan` output.

    A leading host name (the known_hosts and ssh-keyscan form) is skipped, and so are
    blank lines and `#` comment lines, which ssh-keyscan prints before each key. Raises
    ValueError naming the expected form when the text contains no public key or more than one.
    """
    keys: list[asyncssh.SSHKey] = []
    for line in text.splitlines():
        if line.strip() and not line.strip().startswith("#"):
            if DSA_KEY_TYPE in line.split()[:2]:
                raise ValueError(
                    "a DSA key (ssh-dss), a type no longer considered safe; ask the "
                    "clearinghouse for its ssh-ed25519 key, or its ECDSA or RSA key"
                )
            key = _parse_key_line(line)
            if key is None:
                raise ValueError(
                    "not an OpenSSH public key; paste one line such as 'ssh-ed25519 "
                    "AAAAC3Nza...' as the clearinghouse gave it"
                )
            keys.append(key)

    distinct = {key.export_public_key("openssh") for key in keys}
    if not distinct:
        raise ValueError("empty; paste one line such as 'ssh-ed25519 AAAAC3Nza...'")
    if len(distinct) > 1:
        raise ValueError(
            f"not one key but {len(distinct)} different keys; paste only the line of the "
            "key type the clearinghouse named, such as the ssh-ed25519 line"
        )
    return keys[0]


def _parse_key_line(line: str) -> asyncssh.SSHKey | None:
    # split() also splits at no-break spaces, which a key copied from an email may contain.
    parts = line.split()
    candidates = [" ".join(parts)]
    if len(parts) >= 3:
        candidates.append(" ".join(parts[1:]))
    for candidate in candidates:
        try:
            return asyncssh.import_public_key(candidate)
        except (asyncssh.KeyImportError, ValueError):
            continue
    return None


def normalize_host_key(text: str) -> str:
    """Return the key in the single-line form stored in the settings (type and data)."""
    exported = parse_host_key(text).export_public_key("openssh").decode("ascii")
    key_type, data = exported.split()[:2]
    return f"{key_type} {data}"


def host_key_fingerprint(text: str) -> str:
    """Return the key's SHA-256 fingerprint as OpenSSH shows it (SHA256:...)."""
    return parse_host_key(text).get_fingerprint("sha256")


def upload_file(target: SftpTarget, folder: str, file_name: str, content: bytes) -> str:
    """Upload `content` as `folder/file_name` and return that remote path.

    The bytes go to a temporary name first and are renamed once complete; an existing
    file of the same name is never replaced. Raises SftpError (HostKeyMismatchError for
    a wrong host key) when the file did not arrive under its final name.
    """
    remote_path = posixpath.join(folder, file_name) if folder else file_name
    _run(target, "Upload", _upload(target, remote_path, content))
    log.info("uploaded %d bytes to %s", len(content), target.address)
    return remote_path


def list_and_download(
    target: SftpTarget, folder: str, choose: Callable[[list[RemoteFile]], list[RemoteFile]]
) -> list[DownloadedFile]:
    """List the regular files in `folder` and download the ones `choose` returns, by name.

    `choose` gets the whole listing sorted by name, so the caller can look all of them up
    at once. One connection does both steps. Raises SftpError when listing or any
    download fails.
    """
    files = _run(target, "Download", _download(target, folder, choose))
    log.info("downloaded %d files from %s", len(files), target.address)
    return files


# ---- connection -------------------------------------------------------------------------


def _run(target: SftpTarget, step: str, work: Coroutine[Any, Any, T]) -> T:
    """Run `work` in an event loop of its own and turn its failures into SftpError."""
    try:
        return asyncio.run(work)
    except SftpError:
        raise
    except (asyncssh.Error, OSError) as error:
        log.warning("%s with %s failed: %s", step.lower(), target.address, type(error).__name__)
        raise _error_for(target, step, error) from error


async def _connect(target: SftpTarget) -> asyncssh.SSHClientConnection:
    trusted = parse_host_key(target.host_key)
    return await asyncssh.connect(
        target.host,
        target.port,
        username=target.username,
        password=target.password,
        # Only the saved key is trusted, with no CA keys and no revoked keys.
        known_hosts=([trusted], [], []),
        # Offer every key type, not just the saved key's, so a server with a key of
        # another type fails as a key mismatch instead of a failed negotiation.
        server_host_key_algs="default",
        client_keys=None,
        agent_path=None,
        config=None,
        preferred_auth="password,keyboard-interactive",
        connect_timeout=target.connect_timeout,
        login_timeout=target.login_timeout,
    )


async def _upload(target: SftpTarget, remote_path: str, content: bytes) -> None:
    partial_path = remote_path + PARTIAL_SUFFIX
    async with await _connect(target) as connection, connection.start_sftp_client() as sftp:
        if await sftp.exists(remote_path):
            raise SftpError(
                f"Upload to {target.address} failed: a file named {remote_path} is already "
                "there, so nothing was sent. Ask the clearinghouse whether they received it "
                "before sending it again."
            )

        async with sftp.open(partial_path, "wb") as remote_file:
            await remote_file.write(content)
        await _rename(sftp, target, partial_path, remote_path)


async def _rename(
    sftp: asyncssh.SFTPClient, target: SftpTarget, partial_path: str, remote_path: str
) -> None:
    try:
        await sftp.rename(partial_path, remote_path)
    except asyncssh.SFTPError as error:
        # Leave no half-named copy behind for the clearinghouse to find.
        await _remove_quietly(sftp, partial_path)
        raise SftpError(
            f"Upload to {target.address} failed: the server would not rename "
            f"{partial_path} to {remote_path} ({error.reason}), so the file was not delivered. "
            "Try again, or ask the clearinghouse whether the folder accepts new files."
        ) from error


async def _remove_quietly(sftp: asyncssh.SFTPClient, path: str) -> None:
    try:
        await sftp.remove(path)
    except asyncssh.SFTPError as error:
        log.warning("could not remove a partial upload: %s", error.reason)


async def _download(
    target: SftpTarget, folder: str, choose: Callable[[list[RemoteFile]], list[RemoteFile]]
) -> list[DownloadedFile]:
    downloaded: list[DownloadedFile] = []
    async with await _connect(target) as connection, connection.start_sftp_client() as sftp:
        for remote in choose(await _list_files(sftp, folder or ".")):
            path = posixpath.join(folder, remote.name) if folder else remote.name
            async with sftp.open(path, "rb") as remote_file:
                # asyncssh types read() as AnyStr; "rb" mode returns bytes.
                content = cast(bytes, await remote_file.read())
            downloaded.append(DownloadedFile(remote.name, len(content), content))
    return downloaded


async def _list_files(sftp: asyncssh.SFTPClient, folder: str) -> list[RemoteFile]:
    files = []
    for entry in await sftp.readdir(folder):
        name = entry.filename
        assert isinstance(name, str)  # a str folder gives str names
        if entry.attrs.type != asyncssh.FILEXFER_TYPE_REGULAR:
            continue
        files.append(RemoteFile(name, entry.attrs.size or 0))
    return sorted(files, key=lambda remote: remote.name)


# ---- errors -----------------------------------------------------------------------------

_SETTINGS = "Admin > Clearinghouses"

# Fixed wording per failure type, checked in order (subclasses before their bases).
_REASONS: tuple[tuple[type[BaseException], str], ...] = (
    (
        asyncssh.PermissionDenied,
        f"the server rejected the user name or password. Check both in {_SETTINGS}",
    ),
    (
        asyncssh.ConnectionLost,
        "the connection was lost part-way. Try again",
    ),
    (
        asyncssh.SFTPConnectionLost,
        "the connection was lost part-way. Try again",
    ),
    (
        asyncssh.SFTPNoSuchFile,
        f"the folder or file does not exist on the server. Check the folders in {_SETTINGS}",
    ),
    (
        asyncssh.SFTPPermissionDenied,
        f"the server does not allow this user there. Check the folders in {_SETTINGS}",
    ),
    (
        ConnectionRefusedError,
        f"the server refused the connection. Check the host and port in {_SETTINGS}, or try "
        "again later",
    ),
    (
        TimeoutError,
        f"the server did not answer in time. Check the host and port in {_SETTINGS}, or try "
        "again later",
    ),
    (
        socket.gaierror,
        f"the host name could not be found. Check the host in {_SETTINGS}",
    ),
)


def _error_for(target: SftpTarget, step: str, error: BaseException) -> SftpError:
    prefix = f"{step} {'to' if step == 'Upload' else 'from'} {target.address} failed"
    if isinstance(error, asyncssh.HostKeyNotVerifiable):
        return HostKeyMismatchError(
            f"{prefix}: the server's key does not match the host key saved for this "
            "clearinghouse, so nothing was sent. Confirm the server's current key with the "
            f"clearinghouse, then paste it into {_SETTINGS}."
        )
    for kind, text in _REASONS:
        if isinstance(error, kind):
            return SftpError(f"{prefix}: {text}.")
    if isinstance(error, asyncssh.DisconnectError | asyncssh.SFTPError):
        return SftpError(f"{prefix}: {error.reason}. Try again.")
    if isinstance(error, OSError):
        reason = error.strerror or type(error).__name__
        return SftpError(f"{prefix}: the server could not be reached ({reason}). Try again later.")
    return SftpError(f"{prefix}: {type(error).__name__}. Try again.")
