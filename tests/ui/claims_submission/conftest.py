"""Fixtures for the clearinghouse tab and the send, responses and print dialogs."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.models.claims import Claim
from app.security.permissions import Actor
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
from app.services.practice import initialize_practice
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.practice_data import sample_setup
from tests.helpers.sftp_server import USERNAME, SftpTestServer, running_server
from tests.services.claims_submission.clearinghouse_data import add_clearinghouse
from ui.context import AppContext, SignedInUser
from ui.ops import OperationRunner


@pytest.fixture
def admin_actor(database: Database) -> Actor:
    """The first administrator of a freshly set-up practice."""
    with database.transaction() as session:
        result = initialize_practice(session, sample_setup())
    return result.admin


def drain(qtbot: QtBot, context: AppContext) -> None:
    """Wait until every operation of `context` has reported back on the GUI thread."""
    context.ops.wait_for_all()
    qtbot.waitUntil(lambda: not context.ops.busy, timeout=15_000)


@pytest.fixture
def context_for(qtbot: QtBot) -> Iterator[Callable[[Database, Actor], AppContext]]:
    """Return a function making a context signed in as an actor; drained at teardown."""
    made: list[AppContext] = []

    def build(database: Database, actor: Actor) -> AppContext:
        context = AppContext(
            database, OperationRunner(database), SignedInUser(actor), actor.workstation
        )
        made.append(context)
        return context

    yield build
    for widget in QApplication.topLevelWidgets():
        if isinstance(widget, QMessageBox):
            widget.close()
    for context in made:
        drain(qtbot, context)


@dataclass(frozen=True)
class SendPractice:
    """A practice with built claims that are ready to send, and one clearinghouse."""

    claims: ClaimPractice
    clearinghouse_id: uuid.UUID
    claim_ids: list[uuid.UUID]
    outbox: Path

    @property
    def database(self) -> Database:
        """The practice's encrypted database."""
        return self.claims.database

    @property
    def biller(self) -> Actor:
        """The biller who sends claims."""
        return self.claims.biller

    def statuses(self) -> list[str]:
        """Return the status of each ready-made claim, in claim order."""
        return [self.claims.claim(claim_id).status for claim_id in self.claim_ids]


def mark_ready(database: Database, actor: Actor, claim_ids: list[uuid.UUID]) -> None:
    """Move claims to Ready to send, as a clean scrub does."""
    with database.transaction() as session:
        for claim_id in claim_ids:
            claim = session.get(Claim, claim_id)
            assert claim is not None
            record_event(
                session, claim, ClaimEventKind.SCRUBBED,
                user_id=actor.user_id, status=ClaimStatus.READY,
            )  # fmt: skip


@pytest.fixture
def send_practice(database: Database, tmp_path: Path) -> SendPractice:
    """Two posted visits with ready claims, and a clearinghouse with an outbox folder."""
    claims = build_claim_practice(database)
    second = claims.post(claims.form(day=VISIT_DAY - timedelta(days=7)))
    built = claims.build()
    claim_ids = sorted(built.claim_ids, key=lambda claim_id: claims.claim(claim_id).claim_number)
    assert len(claim_ids) == 2, (built.skipped, second)
    mark_ready(database, claims.biller, claim_ids)
    outbox = tmp_path / "outbox"
    outbox.mkdir()
    clearinghouse_id = add_clearinghouse(database, claims.biller, outbox_folder=str(outbox))
    return SendPractice(claims, clearinghouse_id, claim_ids, outbox)


@pytest.fixture
def sftp_server(tmp_path: Path) -> Iterator[SftpTestServer]:
    """A loopback SFTP server with inbound and outbound folders."""
    yield from running_server(tmp_path / "sftp")


def use_sftp(practice: SendPractice, server: SftpTestServer, password: str) -> None:
    """Point the practice's clearinghouse at the loopback server, with `password` saved."""
    add_clearinghouse(
        practice.database,
        practice.biller,
        password,
        id=practice.clearinghouse_id,
        outbox_folder=str(practice.outbox),
        sftp_host="127.0.0.1",
        sftp_port=server.port,
        sftp_username=USERNAME,
        sftp_host_key=server.public_key,
    )
