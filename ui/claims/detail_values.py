"""The detail pane's values for one claim, built from the service's ClaimDetail.

`view_of` is the one place that reads ClaimDetail, so the pane's widgets depend only on
the values here.
"""

import html
import logging
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from app.money import format_money
from app.services.claim_worklist import (
    BatchEntry,
    ClaimDetail,
    DetailDiagnosis,
    DetailLine,
    TimelineEntry,
)
from ui.claims.go_to_field import ClaimRefs, Destination, destination_for

log = logging.getLogger(__name__)

SEQUENCE_LABELS = {"P": "primary", "S": "secondary", "T": "tertiary"}
SEVERITY_ORDER = {"error": 0, "warning": 1}
# Statuses the scrub may move between hold and ready; others keep their status.
SCRUBBABLE_STATUSES = frozenset({"hold", "ready", "rejected"})


@dataclass(frozen=True, slots=True)
class FindingView:
    """One finding as the pane shows it, with where Go to field leads."""

    severity: str
    message_text: str
    why_text: str
    field: str
    line_number: int | None
    destination: Destination

    @property
    def message_html(self) -> str:
        """The message escaped for a rich-text label, with the line number in front."""
        prefix = f"Line {self.line_number}: " if self.line_number else ""
        return html.escape(prefix + self.message_text)

    @property
    def where(self) -> str:
        """The screen Go to field opens, such as "Admin ▸ Providers"."""
        return self.destination.where


@dataclass(frozen=True, slots=True)
class DetailView:
    """The claim the pane shows: the service's detail, with each finding's destination."""

    detail: ClaimDetail
    refs: ClaimRefs
    findings: tuple[FindingView, ...]

    @property
    def claim_id(self) -> uuid.UUID:
        """The claim's id."""
        return self.refs.claim_id

    @property
    def claim_number(self) -> str:
        """The claim number (CLM01)."""
        return self.detail.claim_number

    @property
    def payer_name(self) -> str:
        """The payer the claim is billed to."""
        return self.detail.payer_name

    @property
    def payer_claim_number(self) -> str | None:
        """The payer's number for the claim, once a 277CA or remittance brought it."""
        return self.detail.payer_claim_number

    @property
    def total(self) -> Decimal:
        """The claim's total charge."""
        return self.detail.total_charge

    @property
    def lines(self) -> tuple[DetailLine, ...]:
        """The claim's service lines in line order."""
        return self.detail.lines

    @property
    def can_scrub(self) -> bool:
        """True when scrubbing may still move the claim between on hold and ready."""
        return self.detail.status in SCRUBBABLE_STATUSES


def view_of(detail: ClaimDetail, encounter_id: uuid.UUID | None = None) -> DetailView:
    """Return the pane's values for the service's claim detail, errors first."""
    refs = ClaimRefs(detail.claim_id, detail.patient_id, encounter_id)
    findings = [
        FindingView(
            severity=str(finding.severity),
            message_text=finding.message,
            why_text=finding.why,
            field=finding.field,
            line_number=finding.line_number,
            destination=destination_for(finding.field, finding.record_id, refs),
        )
        for finding in detail.findings
    ]
    findings.sort(key=lambda finding: SEVERITY_ORDER.get(finding.severity, 2))
    return DetailView(detail, refs, tuple(findings))


def _date(value: date | None) -> str:
    return f"{value:%m/%d/%Y}" if value is not None else ""


def _instant(value: datetime | None) -> str:
    # Instants are stored in UTC; the local zone of this computer is the practice's.
    return value.astimezone().strftime("%m/%d/%Y %I:%M %p") if value is not None else ""


def header_html(view: DetailView) -> str:
    """Return the pane's header: claim, patient, payer, provider, dates, total and frequency."""
    detail, escape = view.detail, html.escape
    dates = _date(detail.service_date_from)
    if detail.service_date_to != detail.service_date_from:
        dates += f" to {_date(detail.service_date_to)}"
    payer_number = detail.payer_claim_number or "not received yet"
    frequency = f"{detail.frequency_label} ({detail.frequency_code})"
    if detail.original_claim_number:
        frequency += f" of claim {detail.original_claim_number}"
    sequence = SEQUENCE_LABELS.get(detail.payer_sequence, detail.payer_sequence)
    return (
        f"<b>Claim {escape(detail.claim_number)}</b> · {escape(detail.status_label)}<br>"
        f"Patient: <b>{escape(detail.patient_name)}</b> (chart {escape(detail.chart_number)})"
        f" · Payer: {escape(detail.payer_name)} ({escape(sequence)})"
        f" · Provider: {escape(detail.provider_name)} at {escape(detail.location_name)}<br>"
        f"Date of service: {dates} · Total: <b>{format_money(detail.total_charge)}</b>"
        f" · Frequency: {escape(frequency)} · Payer's claim number: {escape(payer_number)}"
    )


def diagnosis_text(diagnosis: DetailDiagnosis) -> str:
    """Return a diagnosis as the pane lists it, such as "1. E11.9 Type 2 diabetes"."""
    text = f"{diagnosis.position}. {diagnosis.display_code}"
    return f"{text} {diagnosis.description}" if diagnosis.description else text


def line_cells(line: DetailLine) -> tuple[str, ...]:
    """Return the lines table's texts for one line."""
    return (
        str(line.line_number),
        _date(line.service_date),
        line.procedure_code,
        " ".join(line.modifiers),
        str(line.units),
        format_money(line.charge_amount),
        " ".join(str(pointer) for pointer in line.pointers),
        line.status_label,
    )


def event_cells(event: TimelineEntry) -> tuple[str, ...]:
    """Return the history table's texts for one event."""
    what = event.event_label
    if event.line_number is not None:
        what += f" (line {event.line_number})"
    return (_instant(event.occurred_at), event.user_name, what, event.status_label, event.detail)


def batch_cells(batch: BatchEntry) -> tuple[str, ...]:
    """Return the batches table's texts for one batch."""
    return (
        batch.batch_number,
        batch.clearinghouse_name,
        _instant(batch.created_at),
        _instant(batch.sent_at),
        batch.status.capitalize(),
        batch.file_name,
    )
