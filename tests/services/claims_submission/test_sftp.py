"""The SFTP client against a real asyncssh server on 127.0.0.1."""

import socket
import subprocess
import sys
from pathlib import Path

import asyncssh
import pytest

from app.sftp import (
    PARTIAL_SUFFIX,
    HostKeyMismatchError,
    RemoteFile,
    SftpError,
    SftpTarget,
    host_key_fingerprint,
    list_and_download,
    normalize_host_key,
    parse_host_key,
    upload_file,
)
from tests.helpers.sftp_server import USERNAME, SftpTestServer, new_host_key, public_key_of

CONTENT = b"ISA*00*" + b"X" * 5000 + b"~"


def test_upload_arrives_under_final_name(sftp_server: SftpTestServer) -> None:
    remote = upload_file(sftp_server.target(), "inbound", "B-1.837", CONTENT)

    assert remote == "inbound/B-1.837"
    assert (sftp_server.root / "inbound" / "B-1.837").read_bytes() == CONTENT
    assert list((sftp_server.root / "inbound").iterdir()) == [
        sftp_server.root / "inbound" / "B-1.837"
    ]


def test_upload_never_replaces_existing_file(sftp_server: SftpTestServer) -> None:
    existing = sftp_server.root / "inbound" / "B-1.837"
    existing.write_bytes(b"first")

    with pytest.raises(SftpError, match="already there"):
        upload_file(sftp_server.target(), "inbound", "B-1.837", CONTENT)

    assert existing.read_bytes() == b"first"


def test_upload_to_missing_folder(sftp_server: SftpTestServer) -> None:
    with pytest.raises(SftpError, match="does not exist on the server"):
        upload_file(sftp_server.target(), "no-such-folder", "B-1.837", CONTENT)


def test_wrong_host_key_sends_nothing(sftp_server: SftpTestServer) -> None:
    other_key = public_key_of(new_host_key())

    with pytest.raises(HostKeyMismatchError, match="the server's key does not match"):
        upload_file(sftp_server.target(host_key=other_key), "inbound", "B-1.837", CONTENT)

    assert list((sftp_server.root / "inbound").iterdir()) == []
    assert sftp_server.state.logins == 0
    assert sftp_server.state.rejected_logins == 0


def test_host_key_of_other_type_is_a_mismatch(sftp_server: SftpTestServer) -> None:
    rsa_key = public_key_of(asyncssh.generate_private_key("ssh-rsa", key_size=2048))

    with pytest.raises(HostKeyMismatchError, match="the server's key does not match"):
        upload_file(sftp_server.target(host_key=rsa_key), "inbound", "B-1.837", CONTENT)


def test_wrong_password(sftp_server: SftpTestServer) -> None:
    with pytest.raises(SftpError, match="rejected the user name or password") as raised:
        upload_file(sftp_server.target(password="wrong"), "inbound", "B-1.837", CONTENT)

    assert "wrong" not in str(raised.value)
    assert list((sftp_server.root / "inbound").iterdir()) == []


def test_dropped_connection_leaves_no_final_file(sftp_server: SftpTestServer) -> None:
    sftp_server.state.drop_after_bytes = 1

    with pytest.raises(SftpError, match="connection was lost"):
        upload_file(sftp_server.target(), "inbound", "B-1.837", CONTENT)

    assert not (sftp_server.root / "inbound" / "B-1.837").exists()


def test_retry_after_drop_delivers(sftp_server: SftpTestServer) -> None:
    sftp_server.state.drop_after_bytes = 1
    with pytest.raises(SftpError):
        upload_file(sftp_server.target(), "inbound", "B-1.837", CONTENT)

    sftp_server.state.drop_after_bytes = None
    upload_file(sftp_server.target(), "inbound", "B-1.837", CONTENT)

    assert (sftp_server.root / "inbound" / "B-1.837").read_bytes() == CONTENT
    assert not (sftp_server.root / "inbound" / ("B-1.837" + PARTIAL_SUFFIX)).exists()


def test_server_down_is_refused(sftp_server: SftpTestServer) -> None:
    sftp_server.stop()

    with pytest.raises(SftpError, match="refused the connection"):
        upload_file(sftp_server.target(), "inbound", "B-1.837", CONTENT)


def test_silent_server_times_out() -> None:
    # A socket that accepts connections but never sends the SSH banner.
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        target = SftpTarget(
            "127.0.0.1", port, USERNAME, "x", public_key_of(new_host_key()), 0.5, 0.5
        )
        with pytest.raises(SftpError, match="did not answer in time"):
            upload_file(target, "inbound", "B-1.837", CONTENT)


def test_download_lists_and_filters(sftp_server: SftpTestServer) -> None:
    outbound = sftp_server.root / "outbound"
    (outbound / "a.999").write_bytes(b"first")
    (outbound / "b.277").write_bytes(b"second file")
    (outbound / "folder").mkdir()
    listings: list[list[RemoteFile]] = []

    def choose(listing: list[RemoteFile]) -> list[RemoteFile]:
        listings.append(listing)
        return [remote for remote in listing if remote.name != "a.999"]

    files = list_and_download(sftp_server.target(), "outbound", choose)

    assert listings == [[RemoteFile("a.999", 5), RemoteFile("b.277", 11)]]
    assert [(file.name, file.size, file.content) for file in files] == [
        ("b.277", 11, b"second file")
    ]


def test_download_missing_folder(sftp_server: SftpTestServer) -> None:
    with pytest.raises(SftpError, match=r"Download from 127\.0\.0\.1:.* does not exist"):
        list_and_download(sftp_server.target(), "nowhere", lambda listing: listing)


def test_host_key_forms() -> None:
    key = public_key_of(new_host_key())
    key_type, data = key.split()[:2]

    assert normalize_host_key(f"sftp.example.com {key_type} {data}") == f"{key_type} {data}"
    assert normalize_host_key(f"  {key_type} {data} comment here\n") == f"{key_type} {data}"
    assert host_key_fingerprint(key).startswith("SHA256:")
    with pytest.raises(ValueError, match="not an OpenSSH public key"):
        parse_host_key("ssh-ed25519 not-base64")


@pytest.mark.parametrize(
    "line",
    [
        "ssh-dss AAAAB3NzaC1kc3MAAACBAP1",
        "sftp.example.com ssh-dss AAAAB3NzaC1kc3MAAACBAP1",
    ],
)
def test_dsa_host_key_refused(line: str) -> None:
    with pytest.raises(ValueError, match=r"DSA key \(ssh-dss\).*ssh-ed25519"):
        parse_host_key(line)


@pytest.mark.slow
def test_sftp_loads_with_warnings_as_errors() -> None:
    # The suite's own filter hides cryptography's DSA warning for the test server. A fresh
    # interpreter shows whether app.sftp hides it for the program itself.
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", "import app.sftp"],
        capture_output=True,
        text=True,
        check=False,
        cwd=Path(__file__).resolve().parents[3],
    )

    assert result.returncode == 0, result.stderr
