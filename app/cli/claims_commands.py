"""The `claims` and `x12` commands: build, check, send and print claims, read X12 files."""

import argparse
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from app.cli.common import EXIT_OK, EXIT_USER_ERROR, Outcome, _opened, _sign_in, source_path
from app.errors import UserError
from app.validators import shorten_for_message

# Finding lines printed as text; --json always carries all of them.
MAX_TEXT_FINDINGS = 200

# The kinds pyx12 4.0 has 5010 maps for; for others only the envelope is checked.
PYX12_KINDS = frozenset({"837P", "835", "999", "277CA"})


def _finding_data(claim_number: str, finding: Any) -> dict[str, Any]:
    return {
        "claim": claim_number,
        "rule": finding.rule,
        "severity": str(finding.severity),
        "message": finding.message,
        "why": finding.why,
        "field": finding.field,
        "line": finding.line_number,
    }


def _claim_numbers(session: Any, claim_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    from sqlalchemy import select

    from app.models.claims import Claim

    if not claim_ids:
        return {}
    query = select(Claim.id, Claim.claim_number).where(Claim.id.in_(list(claim_ids)))
    return {row.id: row.claim_number for row in session.execute(query)}


def _claim_ids(session: Any, numbers: Sequence[str]) -> list[uuid.UUID]:
    """Return the ids of the claims numbered `numbers`; raises UserError for unknown ones."""
    from sqlalchemy import select

    from app.models.claims import Claim

    wanted = [number.strip().upper() for number in numbers]
    query = select(Claim.claim_number, Claim.id).where(Claim.claim_number.in_(wanted))
    found = {row.claim_number: row.id for row in session.execute(query)}
    missing = [number for number in wanted if number not in found]
    if missing:
        shown = ", ".join(shorten_for_message(number) for number in missing[:5])
        raise UserError(
            f"No claim is numbered {shown}. Copy the claim number from the Claims page "
            "(such as K7Q-000317)."
        )
    return [found[number] for number in wanted]


def _scrub_outcome(session: Any, result: Any) -> Outcome:
    numbers = _claim_numbers(session, list(result.findings))
    findings = [
        _finding_data(numbers.get(claim_id, str(claim_id)), finding)
        for claim_id, claim_findings in result.findings.items()
        for finding in claim_findings
    ]
    data = {"ready": len(result.ready), "held": len(result.held), "findings": findings}
    text = [f"ready to send: {len(result.ready)}, on hold: {len(result.held)}"]
    text += [
        f"{item['claim']} {item['severity']}: {item['message']}"
        for item in findings[:MAX_TEXT_FINDINGS]
    ]
    if len(findings) > MAX_TEXT_FINDINGS:
        text.append(f"... {len(findings) - MAX_TEXT_FINDINGS} more findings (use --json)")
    return Outcome(data, text, EXIT_USER_ERROR if result.held else EXIT_OK)


def cmd_claims_build(args: argparse.Namespace) -> Outcome:
    """Build claims from posted charges not billed yet, then scrub the new claims."""
    from app.services.claim_build import build_claims
    from app.services.claim_scrub import scrub_claims

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            built = build_claims(session, actor)
        with database.transaction() as session:
            scrubbed = scrub_claims(session, actor, built.claim_ids)
            outcome = _scrub_outcome(session, scrubbed)

    skipped = [{"field": problem.field, "message": problem.message} for problem in built.skipped]
    data = {"built": len(built.claim_ids), "skipped": skipped, **outcome.data}
    text = [f"claims built: {len(built.claim_ids)}, encounters skipped: {len(skipped)}"]
    text += [f"skipped: {item['message']}" for item in skipped[:MAX_TEXT_FINDINGS]]
    return Outcome(data, text + outcome.text, outcome.code)


def _claims_to_scrub(session: Any, numbers: Sequence[str]) -> list[uuid.UUID]:
    from sqlalchemy import select

    from app.models.claims import Claim
    from app.services.claim_status import ClaimStatus

    if numbers:
        return _claim_ids(session, numbers)
    open_statuses = (ClaimStatus.HOLD, ClaimStatus.READY, ClaimStatus.REJECTED)
    query = select(Claim.id).where(
        Claim.status.in_([str(status) for status in open_statuses]), Claim.archived.is_(False)
    )
    return list(session.scalars(query))


def cmd_claims_scrub(args: argparse.Namespace) -> Outcome:
    """Check claims on hold, ready or rejected (or the ones named) and list the findings."""
    from app.services.claim_scrub import scrub_claims

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            claim_ids = _claims_to_scrub(session, args.claims)
            result = scrub_claims(session, actor, claim_ids)
            return _scrub_outcome(session, result)


def _batch_lines(result: Any) -> list[str]:
    return [f"not batched: {problem.message}" for problem in result.problems]


def _export_target(out: Path, batch_count: int) -> tuple[Path, str | None]:
    """Return the folder to export into and the file name to use, if --out names a file."""
    if out.is_dir():
        return out, None
    if batch_count > 1:
        raise UserError(
            f"{out} is a file name, but the claims make {batch_count} files (one per "
            "clearinghouse). Give a folder with --out instead."
        )
    return out.parent, out.name


def cmd_claims_export(args: argparse.Namespace) -> Outcome:
    """Write the ready claims to 837P files for manual upload to the clearinghouse."""
    from app.services.claim_batches import create_batches, export_batch, get_batch

    out = Path(args.out).expanduser()
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            result = create_batches(session, actor)
            if not result.batch_ids:
                text = ["no claims are ready to send", *_batch_lines(result)]
                return Outcome({"files": [], "problems": text[1:]}, text, EXIT_USER_ERROR)
            folder, file_name = _export_target(out, len(result.batch_ids))
            if file_name is not None:
                get_batch(session, result.batch_ids[0]).file_name = file_name
            paths = [
                export_batch(session, actor, batch_id, folder) for batch_id in result.batch_ids
            ]
            claims = sum(get_batch(session, batch_id).claim_count for batch_id in result.batch_ids)

    files = [str(path) for path in paths]
    text = [f"claims written: {claims} in {len(files)} file(s)", *files, *_batch_lines(result)]
    return Outcome({"files": files, "claims": claims}, text)


def cmd_claims_submit(args: argparse.Namespace) -> Outcome:
    """Send the ready claims: upload over SFTP, or save to the outbox folder without SFTP."""
    from app.services.claim_batches import create_batches, export_batch, get_batch, upload_batch
    from app.services.clearinghouses import get_clearinghouse

    sent: list[dict[str, Any]] = []
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            result = create_batches(session, actor)
        for batch_id in result.batch_ids:
            # One transaction per file: a failed upload leaves the files sent before it marked.
            with database.transaction() as session:
                batch = get_batch(session, batch_id)
                clearinghouse = get_clearinghouse(session, batch.clearinghouse_id)
                if clearinghouse.sftp_host:
                    upload_batch(session, actor, batch_id)
                    how = "uploaded"
                else:
                    export_batch(session, actor, batch_id)
                    how = "saved to the outbox"
                sent.append({"file": batch.file_name, "claims": batch.claim_count, "how": how})

    text = [f"{item['file']}: {item['claims']} claims {item['how']}" for item in sent]
    if not sent:
        text = ["no claims are ready to send"]
    text += _batch_lines(result)
    return Outcome({"sent": sent}, text, EXIT_OK if sent else EXIT_USER_ERROR)


def cmd_claims_print(args: argparse.Namespace) -> Outcome:
    """Write a claim as a CMS-1500 PDF: the whole form, or data only for red forms."""
    from app.services.claim_printing import print_claims

    out = Path(args.out).expanduser()
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            claim_ids = _claim_ids(session, args.claims)
            pages = print_claims(session, actor, claim_ids, out, mode=args.mode)
    return Outcome({"file": str(out), "pages": pages}, [f"{out}: {pages} page(s)"])


def cmd_x12_import(args: argparse.Namespace) -> Outcome:
    """Read a 999 or 277CA and update the claims it acknowledges, or post an 835 remittance."""
    from app.services.x12_responses import import_response
    from app.x12.kinds import detect_kind
    from app.x12.segments import read_x12_file

    path = source_path(args.path, "X12 file")
    text = read_x12_file(path)
    if detect_kind(text) == "835":
        return _import_remittance(args, path, text)
    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            result = import_response(session, actor, text, path.name)

    data = {
        "kind": result.kind,
        "summary": result.summary,
        "accepted": result.accepted,
        "rejected": result.rejected,
        "unmatched": result.unmatched,
    }
    text_lines = [f"{path.name} ({result.kind}): {result.summary}"]
    text_lines += [f"not found: claim {number}" for number in result.unmatched]
    return Outcome(data, text_lines)


def _import_remittance(args: argparse.Namespace, path: Path, text: str) -> Outcome:
    """Post an 835 and report each count a biller acts on."""
    from app.services.era_import import import_835

    with _opened(args) as database:
        actor = _sign_in(database, args)
        with database.transaction() as session:
            result = import_835(session, actor, text, path.name)

    data = {
        "kind": "835",
        "remittances": result.remittances,
        "claims": result.claims,
        "posted": result.posted,
        "review": result.review,
        "unapplied": result.unapplied,
        "held": result.held,
        "duplicates": result.duplicates,
        "paid_total": str(result.paid_total),
        "messages": list(result.messages),
    }
    text_lines = [
        f"{path.name} (835): {result.remittances} payment(s), {result.claims} claim "
        f"payment(s): {result.posted} posted, {result.review} to review, "
        f"{result.unapplied} unapplied; {result.held} held, {result.duplicates} "
        f"already imported; ${result.paid_total} posted",
        *result.messages,
    ]
    return Outcome(data, text_lines)


def cmd_x12_validate(args: argparse.Namespace) -> Outcome:
    """Check an X12 file: its envelope with our reader, then its guide with pyx12."""
    from app.x12.kinds import detect_kind
    from app.x12.segments import parse_segments, read_x12_file
    from app.x12.validate import pyx12_errors

    path = source_path(args.path, "X12 file")
    text = read_x12_file(path)
    kind = detect_kind(text)
    _delimiters, segments = parse_segments(text)
    if kind not in PYX12_KINDS:
        data = {"kind": kind, "segments": len(segments), "valid": True, "errors": []}
        note = f"{path.name}: {kind} envelope and counts are valid; pyx12 has no guide for {kind}"
        return Outcome(data, [note, f"{len(segments)} segments"])
    errors = pyx12_errors(text)

    data = {"kind": kind, "segments": len(segments), "valid": not errors, "errors": errors}
    if not errors:
        return Outcome(data, [f"{path.name}: valid {kind}, {len(segments)} segments"])
    text_lines = [f"{path.name}: {kind} with {len(errors)} problem(s) found by pyx12"]
    text_lines += errors[:MAX_TEXT_FINDINGS]
    return Outcome(data, text_lines, EXIT_USER_ERROR)
