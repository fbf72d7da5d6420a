"""Valid clearinghouse settings for the submission tests, saved through the service."""

import dataclasses
import uuid
from typing import Any

from app.db.database import Database
from app.security.permissions import Actor
from app.services import clearinghouses
from app.services.clearinghouses import ClearinghouseForm

# A made-up clearinghouse with ids of the lengths real enrollment papers give.
FORM = ClearinghouseForm(
    id=None,
    name="Lakeshore Claims Exchange",
    submitter_id="LFM123456",
    submitter_name="Lakeside Family Medicine",
    submitter_contact="Dana Whitaker",
    submitter_phone="(847) 555-0140",
    receiver_id="LCX001",
    receiver_name="Lakeshore Claims Exchange",
    isa_sender_qualifier="ZZ",
    isa_sender_id="LFM123456",
    isa_receiver_qualifier="ZZ",
    isa_receiver_id="LCX001",
    gs_sender_code="LFM123456",
    gs_receiver_code="LCX001",
    usage_indicator="T",
    outbox_folder="",
    sftp_host="",
    sftp_port=22,
    sftp_username="",
    sftp_host_key="",
    upload_folder="inbound",
    download_folder="outbound",
    file_name_pattern="{batch}.837",
)


def clearinghouse_form(**changes: Any) -> ClearinghouseForm:
    """Return the valid form with the given fields replaced."""
    return dataclasses.replace(FORM, **changes)


def add_clearinghouse(
    database: Database, actor: Actor, password: str | None = None, **changes: Any
) -> uuid.UUID:
    """Save a clearinghouse (the valid form with `changes`) and return its id."""
    with database.transaction() as session:
        outcome = clearinghouses.save_clearinghouse(
            session, actor, clearinghouse_form(**changes), password
        )
        outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id
