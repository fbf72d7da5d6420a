"""Fixtures for the clearinghouse tab and the send, responses and print dialogs."""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from app.db.database import Database
from app.models.claims import Claim
from app.security.permissions import Actor
from app.services import clearinghouses
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event
from app.services.clearinghouses import ClearinghouseForm
from app.services.practice import initialize_practice
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.practice_data import sample_setup
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


def clearinghouse_form(outbox: Path, **changes: Any) -> ClearinghouseForm:
    """Return valid clearinghouse settings that save claim files to `outbox`."""
    values: dict[str, Any] = {
        "id": None,
        "name": "Lakeside Claims Exchange",
        "submitter_id": "CDK4471",
        "submitter_name": "Lakeside Family Medicine",
        "submitter_contact": "Dana Ortiz",
        "submitter_phone": "3125550142",
        "receiver_id": "LCX01",
        "receiver_name": "Lakeside Claims Exchange",
        "isa_sender_qualifier": "ZZ",
        "isa_sender_id": "CDK4471",
        "isa_receiver_qualifier": "ZZ",
        "isa_receiver_id": "LCX01",
        "gs_sender_code": "CDK4471",
        "gs_receiver_code": "LCX01",
        "usage_indicator": "T",
        "outbox_folder": str(outbox),
        "sftp_host": "",
        "sftp_port": 22,
        "sftp_username": "",
        "sftp_host_key": "",
        "upload_folder": "inbound",
        "download_folder": "outbound",
        "file_name_pattern": "{batch}.837",
    }
    values.update(changes)
    return ClearinghouseForm(**values)


def save_settings(
    database: Database, actor: Actor, form: ClearinghouseForm, password: str | None = None
) -> uuid.UUID:
    """Save clearinghouse settings through the service and return the clearinghouse id."""
    with database.transaction() as session:
        outcome = clearinghouses.save_clearinghouse(session, actor, form, password)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


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
    clearinghouse_id = save_settings(database, claims.biller, clearinghouse_form(outbox))
    return SendPractice(claims, clearinghouse_id, claim_ids, outbox)
