"""scrub_claims on real claims: stored findings, status moves, events and the database edits."""

import dataclasses
import logging
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDeniedError
from app.models.charges import Encounter
from app.models.claims import Claim, ClaimEvent, ClaimFinding, Clearinghouse
from app.models.onboarding import PriorAuthorization
from app.models.practice import Payer
from app.problems import Severity
from app.services import claim_scrub, encounters
from app.services.claim_scrub_rules import Finding
from app.services.encounters import LineForm
from app.services.payer_rules import local_rules_folder
from app.services.today import practice_today
from app.x12.claim_data import ClaimDocument
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.icd10_data import import_sample
from tests.services.claims_scrub.claim_setup import (
    add_clearinghouse,
    claim_status,
    make_clean,
    rules_of,
    scrub,
    set_eligibility_checked,
    set_patient_address,
    set_payer,
    stored_findings,
)


def built(practice: ClaimPractice) -> list[uuid.UUID]:
    result = practice.build()
    assert result.claim_ids, result.skipped
    return result.claim_ids


def insured_visit(practice: ClaimPractice, day: date = VISIT_DAY, code: str = "99213") -> None:
    practice.post(practice.form([LineForm(procedure_code=code)], day=day))


def events(practice: ClaimPractice, claim_id: uuid.UUID) -> list[ClaimEvent]:
    with practice.database.reading() as session:
        query = select(ClaimEvent).where(ClaimEvent.claim_id == claim_id)
        return list(session.scalars(query.order_by(ClaimEvent.occurred_at)))


def today(practice: ClaimPractice) -> date:
    with practice.database.reading() as session:
        return practice_today(session)


# ---- storing and moving ---------------------------------------------------------------------


def test_clean_claim_moves_to_ready(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    assert result.findings == {claim_id: []}
    assert result.ready == [claim_id]
    assert result.held == []
    assert claim_status(claim_practice, claim_id) == "ready"
    assert {line.status for line in claim_practice.claim_lines(claim_id)} == {"ready"}
    assert claim_practice.claim(claim_id).last_scrubbed_at is not None
    scrubbed = events(claim_practice, claim_id)[-1]
    assert (scrubbed.event, scrubbed.status) == ("scrubbed", "ready")
    assert scrubbed.detail == "0 errors, 0 warnings"
    assert scrubbed.user_id == claim_practice.biller.user_id


def test_error_holds_claim(claim_practice: ClaimPractice) -> None:
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    assert result.held == [claim_id]
    assert claim_status(claim_practice, claim_id) == "hold"
    stored = stored_findings(claim_practice, claim_id)
    address = [row for row in stored if row.rule == "patient.address"]
    assert [(row.field, row.record_id, row.severity) for row in address] == [
        ("patient.address", claim_practice.patient_id, "error")
    ]
    assert sorted(row.rule for row in stored) == sorted(rules_of(result, claim_id))


def test_warnings_alone_leave_claim_ready(claim_practice: ClaimPractice) -> None:
    set_patient_address(claim_practice)
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    assert sorted(rules_of(result, claim_id)) == [
        "clearinghouse.missing",
        "eligibility.not_verified",
    ]
    assert result.ready == [claim_id]


def test_rescrub_replaces_findings(claim_practice: ClaimPractice) -> None:
    [claim_id] = built(claim_practice)
    scrub(claim_practice, [claim_id])
    first = {row.id for row in stored_findings(claim_practice, claim_id)}

    set_patient_address(claim_practice)
    scrub(claim_practice, [claim_id])

    second = stored_findings(claim_practice, claim_id)
    assert first.isdisjoint({row.id for row in second})
    assert "patient.address" not in {row.rule for row in second}
    with claim_practice.database.reading() as session:
        archived = session.scalar(
            select(func.count()).where(ClaimFinding.claim_id == claim_id, ClaimFinding.archived)
        )
    assert archived == len(first)
    assert claim_status(claim_practice, claim_id) == "ready"


def test_rejected_claim_becomes_ready(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    [claim_id] = built(claim_practice)
    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.status = "rejected"

    result = scrub(claim_practice, [claim_id])

    assert result.ready == [claim_id]
    assert claim_status(claim_practice, claim_id) == "ready"


def test_sent_claim_keeps_status(claim_practice: ClaimPractice) -> None:
    [claim_id] = built(claim_practice)
    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        claim.status = "submitted"

    result = scrub(claim_practice, [claim_id])

    assert result.ready == []
    assert result.held == []
    assert claim_status(claim_practice, claim_id) == "submitted"
    assert stored_findings(claim_practice, claim_id)
    scrubbed = events(claim_practice, claim_id)[-1]
    assert (scrubbed.event, scrubbed.status) == ("scrubbed", None)


def test_scrub_requires_claim_permission(claim_practice: ClaimPractice) -> None:
    [claim_id] = built(claim_practice)

    with (
        pytest.raises(PermissionDeniedError),
        claim_practice.database.transaction() as session,
    ):
        claim_scrub.scrub_claims(session, claim_practice.charge.front_desk, [claim_id])


def test_unknown_claim_id_skipped(claim_practice: ClaimPractice) -> None:
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [uuid.uuid4(), claim_id])

    assert list(result.findings) == [claim_id]


# ---- one bad claim ---------------------------------------------------------------------------


def two_claims(practice: ClaimPractice) -> list[uuid.UUID]:
    """Build a claim for the posted visit, then one for a visit the next day."""
    [first_id] = built(practice)
    insured_visit(practice, VISIT_DAY + timedelta(days=1))
    [second_id] = built(practice)
    return [first_id, second_id]


def test_failing_claim_does_not_stop_others(
    claim_practice: ClaimPractice,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    good_id, bad_id = two_claims(claim_practice)
    bad_number = claim_practice.claim(bad_id).claim_number
    real = claim_scrub.scrub_document

    def scrub_or_fail(document: ClaimDocument, *args: object) -> list[Finding]:
        if document.claim_number == bad_number:
            raise KeyError("injected fault")
        return real(document, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(claim_scrub, "scrub_document", scrub_or_fail)
    caplog.set_level(logging.ERROR, logger="app.services.claim_scrub")

    result = scrub(claim_practice, [bad_id, good_id])

    assert result.ready == [good_id]
    assert result.held == [bad_id]
    [failure] = result.findings[bad_id]
    assert failure.rule == "scrub.failed"
    assert "could not be checked (KeyError)" in failure.message
    assert claim_status(claim_practice, bad_id) == "hold"
    logged = [record for record in caplog.records if str(bad_id) in record.getMessage()]
    assert logged
    assert logged[0].exc_info is not None


def test_broken_document_isolated(
    claim_practice: ClaimPractice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    good_id, bad_id = two_claims(claim_practice)
    real = claim_scrub.claim_documents

    def documents_or_fail(
        session: object, claim_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, ClaimDocument]:
        if bad_id in claim_ids:
            raise ValueError("injected fault")
        return real(session, claim_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(claim_scrub, "claim_documents", documents_or_fail)

    result = scrub(claim_practice, [good_id, bad_id])

    assert result.ready == [good_id]
    assert rules_of(result, bad_id) == ["scrub.failed"]
    assert "ValueError" in result.findings[bad_id][0].message


def test_given_documents_not_loaded_again(
    claim_practice: ClaimPractice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    given_id, other_id = two_claims(claim_practice)
    loaded: list[list[uuid.UUID]] = []
    real = claim_scrub.claim_documents

    def recording_documents(
        session: object, claim_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, ClaimDocument]:
        loaded.append(list(claim_ids))
        return real(session, claim_ids)  # type: ignore[arg-type]

    with claim_practice.database.transaction() as session:
        documents = real(session, [given_id])
        monkeypatch.setattr(claim_scrub, "claim_documents", recording_documents)
        result = claim_scrub.scrub_claims(
            session, claim_practice.biller, [given_id, other_id], documents
        )

    assert loaded == [[other_id]]
    assert result.ready == [given_id, other_id]


def test_given_document_is_scrubbed(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    [claim_id] = built(claim_practice)

    with claim_practice.database.transaction() as session:
        document = claim_scrub.claim_documents(session, [claim_id])[claim_id]
        # A document without diagnoses proves the scrub read this copy, not the database.
        changed = dataclasses.replace(document, diagnoses=())
        result = claim_scrub.scrub_claims(
            session, claim_practice.biller, [claim_id], {claim_id: changed}
        )

    assert result.held == [claim_id]
    assert "diagnosis.count" in rules_of(result, claim_id)


# ---- database edits -------------------------------------------------------------------------


def test_timely_filing_past_is_error(claim_practice: ClaimPractice) -> None:
    days_since = (today(claim_practice) - VISIT_DAY).days
    set_payer(claim_practice, timely_filing_days=days_since - 1)
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    [item] = [item for item in result.findings[claim_id] if item.rule.startswith("timely")]
    assert item.rule == "timely_filing.past"
    assert item.severity is Severity.ERROR
    assert (item.field, item.record_id) == ("payer.timely_filing_days", claim_practice.aetna_id)
    assert "1 days ago" in item.message


@pytest.mark.parametrize(
    ("left", "expected"), [(30, "timely_filing.soon"), (0, "timely_filing.soon"), (31, None)]
)
def test_timely_filing_warning_window(
    claim_practice: ClaimPractice, left: int, expected: str | None
) -> None:
    days_since = (today(claim_practice) - VISIT_DAY).days
    set_payer(claim_practice, timely_filing_days=days_since + left)
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    found = [item for item in result.findings[claim_id] if item.rule.startswith("timely")]
    if expected is None:
        assert found == []
    else:
        assert [(item.rule, item.severity) for item in found] == [(expected, Severity.WARNING)]
        assert f"{left} days are left" in found[0].message


def test_medicare_uses_calendar_year(claim_practice: ClaimPractice) -> None:
    # One calendar year after the visit has not passed, though 10 payer days have.
    set_payer(claim_practice, timely_filing_days=10, claim_filing_indicator="MB")
    [claim_id] = built(claim_practice)
    deadline = VISIT_DAY.replace(year=VISIT_DAY.year + 1)

    result = scrub(claim_practice, [claim_id])

    left = (deadline - today(claim_practice)).days
    timely = [item.rule for item in result.findings[claim_id] if item.rule.startswith("timely")]
    if left > 30:
        expected = []
    elif left >= 0:
        expected = ["timely_filing.soon"]
    else:
        expected = ["timely_filing.past"]
    assert timely == expected


def test_eligibility_check_clears_warning(claim_practice: ClaimPractice) -> None:
    [claim_id] = built(claim_practice)
    before = scrub(claim_practice, [claim_id])
    set_eligibility_checked(claim_practice, VISIT_DAY - timedelta(days=3))

    after = scrub(claim_practice, [claim_id])

    [warning] = [
        item for item in before.findings[claim_id] if item.rule == "eligibility.not_verified"
    ]
    assert (warning.field, warning.record_id) == (
        "coverage.dates",
        claim_practice.aetna_coverage_id,
    )
    assert "never checked" in warning.message
    assert "eligibility.not_verified" not in rules_of(after, claim_id)


def test_stale_eligibility_check_warns(claim_practice: ClaimPractice) -> None:
    set_eligibility_checked(claim_practice, VISIT_DAY - timedelta(days=31))
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    [warning] = [
        item for item in result.findings[claim_id] if item.rule == "eligibility.not_verified"
    ]
    assert "last checked" in warning.message


def test_reversed_charge_needs_rebuild(claim_practice: ClaimPractice) -> None:
    set_patient_address(claim_practice)
    [claim_id] = built(claim_practice)
    [line] = claim_practice.claim_lines(claim_id)
    with claim_practice.database.transaction() as session:
        encounters.reverse_line(session, claim_practice.biller, line.charge_line_id, "Wrong code")

    result = scrub(claim_practice, [claim_id])

    [item] = [item for item in result.findings[claim_id] if item.rule == "charges.changed"]
    assert "rebuild the claim" in item.message
    assert item.line_number == 1
    assert result.held == [claim_id]
    [row] = [
        row for row in stored_findings(claim_practice, claim_id) if row.rule == "charges.changed"
    ]
    assert row.claim_line_id == line.id


def test_duplicate_claim_warns_both(claim_practice: ClaimPractice) -> None:
    [first_id] = built(claim_practice)
    insured_visit(claim_practice)
    [second_id] = built(claim_practice)

    result = scrub(claim_practice, [first_id, second_id])

    first_number = claim_practice.claim(first_id).claim_number
    second_number = claim_practice.claim(second_id).claim_number
    [on_first] = [item for item in result.findings[first_id] if item.rule == "duplicate.claim"]
    [on_second] = [item for item in result.findings[second_id] if item.rule == "duplicate.claim"]
    assert second_number in on_first.message
    assert first_number in on_second.message
    assert on_first.severity is Severity.WARNING


def test_voided_claim_is_no_duplicate(claim_practice: ClaimPractice) -> None:
    [first_id] = built(claim_practice)
    insured_visit(claim_practice)
    [second_id] = built(claim_practice)
    with claim_practice.database.transaction() as session:
        first = session.get(Claim, first_id)
        assert first is not None
        first.status = "voided"

    result = scrub(claim_practice, [second_id])

    assert "duplicate.claim" not in rules_of(result, second_id)


def test_other_day_is_no_duplicate(claim_practice: ClaimPractice) -> None:
    first_id, second_id = two_claims(claim_practice)

    result = scrub(claim_practice, [first_id, second_id])

    assert "duplicate.claim" not in rules_of(result, first_id) + rules_of(result, second_id)


def test_incomplete_clearinghouse_is_error(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    set_patient_address(claim_practice)
    clearinghouse_id = add_clearinghouse(claim_practice, tmp_path / "outbox")
    with claim_practice.database.transaction() as session:
        row = session.get(Clearinghouse, clearinghouse_id)
        assert row is not None
        row.isa_sender_id = ""
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    [item] = [item for item in result.findings[claim_id] if item.rule.startswith("clearinghouse")]
    assert item.rule == "clearinghouse.settings"
    assert (item.field, item.record_id) == ("clearinghouse.settings", clearinghouse_id)
    assert "ISA sender id" in item.message


def test_payer_clearinghouse_preferred(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    set_patient_address(claim_practice)
    first = add_clearinghouse(claim_practice, tmp_path / "one")
    with claim_practice.database.transaction() as session:
        second = Clearinghouse(
            name="Second", submitter_id="", submitter_name="", submitter_contact="",
            submitter_phone="", receiver_id="", receiver_name="", isa_sender_id="",
            isa_receiver_id="", gs_sender_code="", gs_receiver_code="",
        )  # fmt: skip
        session.add(second)
        session.flush()
        second_id = second.id
    [claim_id] = built(claim_practice)

    without_choice = scrub(claim_practice, [claim_id])
    set_payer(claim_practice, clearinghouse_id=first)
    with_choice = scrub(claim_practice, [claim_id])

    assert "clearinghouse.missing" in rules_of(without_choice, claim_id)
    assert not [
        rule for rule in rules_of(with_choice, claim_id) if rule.startswith("clearinghouse")
    ]
    set_payer(claim_practice, clearinghouse_id=second_id)
    assert "clearinghouse.settings" in rules_of(scrub(claim_practice, [claim_id]), claim_id)


# ---- authorizations and code editions ------------------------------------------------------


def require_authorization(practice: ClaimPractice) -> None:
    with practice.database.reading() as session:
        payer = session.get(Payer, practice.aetna_id)
        assert payer is not None
        payer_code = payer.payer_code
    folder = local_rules_folder()
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "aetna.toml").write_text(
        f'[match]\npayer_codes = ["{payer_code}"]\n'
        '[prior_authorization]\ncodes = ["99213"]\nwhy = "Aetna approves visits first."\n',
        encoding="utf-8",
    )


def test_no_authorization_on_file(claim_practice: ClaimPractice) -> None:
    require_authorization(claim_practice)
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    found = {item.rule: item for item in result.findings[claim_id]}
    assert "payer.prior_authorization" in found
    item = found["authorization.not_covered"]
    assert (item.field, item.record_id) == (
        "encounter.prior_authorization",
        claim_practice.encounter_id,
    )
    assert "none from this payer is on file" in item.message


def test_linked_authorization_outside_dates(claim_practice: ClaimPractice) -> None:
    require_authorization(claim_practice)
    with claim_practice.database.transaction() as session:
        authorization = PriorAuthorization(
            patient_id=claim_practice.patient_id,
            payer_id=claim_practice.aetna_id,
            authorization_number="AUTH-77",
            starts_on=VISIT_DAY + timedelta(days=1),
            ends_on=VISIT_DAY + timedelta(days=90),
            authorized=10,
        )
        session.add(authorization)
        session.flush()
        encounter = session.get(Encounter, claim_practice.encounter_id)
        assert encounter is not None
        encounter.prior_authorization_id = authorization.id
    [claim_id] = built(claim_practice)

    result = scrub(claim_practice, [claim_id])

    rules = rules_of(result, claim_id)
    assert "payer.prior_authorization" not in rules
    [item] = [
        item for item in result.findings[claim_id] if item.rule == "authorization.not_covered"
    ]
    assert "AUTH-77" in item.message
    assert "does not include" in item.message


def test_imported_edition_checks_codes(claim_practice: ClaimPractice) -> None:
    # October 2026 is in FY2027, which the bundled edition does not cover.
    day = date(2026, 10, 15)
    insured_visit(claim_practice, day)
    [claim_id] = [
        claim_id
        for claim_id in built(claim_practice)
        if claim_practice.claim(claim_id).service_date_from == day
    ]
    before = scrub(claim_practice, [claim_id])

    import_sample(
        claim_practice.database,
        claim_practice.charge.manager,
        "FY2027",
        date(2026, 10, 1),
        date(2027, 9, 30),
    )
    after = scrub(claim_practice, [claim_id])

    assert "diagnosis.edition" in rules_of(before, claim_id)
    assert "diagnosis.edition" not in rules_of(after, claim_id)
    # The sample FY2027 file lists E11.9 as billable, so the code passes there too.
    assert not [rule for rule in rules_of(after, claim_id) if rule.startswith("diagnosis.")]


def test_imported_edition_rejects_missing_code(claim_practice: ClaimPractice) -> None:
    day = date(2026, 10, 15)
    claim_practice.post(claim_practice.form(diagnoses=["J06.9"], day=day))
    import_sample(
        claim_practice.database,
        claim_practice.charge.manager,
        "FY2027",
        date(2026, 10, 1),
        date(2027, 9, 30),
    )
    claim_id = next(
        claim_id
        for claim_id in built(claim_practice)
        if claim_practice.claim(claim_id).service_date_from == day
    )

    result = scrub(claim_practice, [claim_id])

    [item] = [item for item in result.findings[claim_id] if item.rule == "diagnosis.invalid"]
    assert "J06.9" in item.message
    assert "FY2027" in item.message


def test_loaded_claim_sees_new_status(claim_practice: ClaimPractice, tmp_path: Path) -> None:
    make_clean(claim_practice, tmp_path / "outbox")
    [claim_id] = built(claim_practice)

    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        assert claim.status == "hold"
        claim_scrub.scrub_claims(session, claim_practice.biller, [claim_id])

        assert claim.status == "ready"
        assert claim.last_scrubbed_at is not None
