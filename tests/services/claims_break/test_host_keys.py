"""Host keys pasted with comments, blank lines and odd spaces, against a loopback server."""

import pytest

from app.models.claims import Clearinghouse
from app.sftp import normalize_host_key, parse_host_key, upload_file
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.sftp_server import SftpTestServer, new_host_key, public_key_of
from tests.services.claims_submission.clearinghouse_data import add_clearinghouse


def keyscan_output(server: SftpTestServer) -> str:
    """Return what `ssh-keyscan -p PORT 127.0.0.1` prints, its comment line included."""
    return (
        f"# 127.0.0.1:{server.port} SSH-2.0-AsyncSSH_2\n"
        f"[127.0.0.1]:{server.port} {server.public_key}\n"
    )


def test_keyscan_output_uploads(sftp_server: SftpTestServer) -> None:
    target = sftp_server.target(host_key=keyscan_output(sftp_server))

    remote = upload_file(target, "inbound", "B-1.837", b"ISA~")

    assert remote == "inbound/B-1.837"
    assert (sftp_server.root / "inbound" / "B-1.837").read_bytes() == b"ISA~"


def test_no_break_spaces_upload(sftp_server: SftpTestServer) -> None:
    pasted = sftp_server.public_key.replace(" ", "\u00a0") + "\u00a0clearinghouse key"
    target = sftp_server.target(host_key=pasted)

    assert upload_file(target, "inbound", "B-2.837", b"ISA~") == "inbound/B-2.837"


@pytest.mark.parametrize(
    "decorate",
    [
        lambda key: f"\n\n  {key}  \r\n\n",
        lambda key: f"# from the clearinghouse welcome letter\n{key} sftp.example.com\n",
        lambda key: key.replace(" ", "\t"),
    ],
)
def test_decorated_key_normalizes(sftp_server: SftpTestServer, decorate: object) -> None:
    text = decorate(sftp_server.public_key)  # type: ignore[operator]

    assert normalize_host_key(text) == sftp_server.public_key


def test_two_different_keys_rejected() -> None:
    text = f"{public_key_of(new_host_key())}\n{public_key_of(new_host_key())}\n"

    with pytest.raises(ValueError, match="not one key but 2 different keys; paste only the line"):
        parse_host_key(text)


def test_only_comments_rejected() -> None:
    with pytest.raises(ValueError, match="empty; paste one line"):
        parse_host_key("# 127.0.0.1:22 SSH-2.0-OpenSSH_9.6\n\n")


def test_clearinghouse_stores_key_line(
    claim_practice: ClaimPractice, sftp_server: SftpTestServer
) -> None:
    clearinghouse_id = add_clearinghouse(
        claim_practice.database,
        claim_practice.biller,
        sftp_host="127.0.0.1",
        sftp_port=sftp_server.port,
        sftp_username="clinic",
        sftp_host_key=keyscan_output(sftp_server),
    )

    with claim_practice.database.reading() as session:
        row = session.get(Clearinghouse, clearinghouse_id)
        assert row is not None
        assert row.sftp_host_key == sftp_server.public_key
