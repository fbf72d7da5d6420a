"""Patient statements and notices as letter pages, one PDF per statement or per run.

The first page has the practice header, the guarantor's address where a #10 window
envelope shows it, the amount due beside it, the account summary, the notice message
and how to pay, and the balance by age. The visits and activity tables follow and
continue on further pages. The first page ends with the financial-assistance notice and
the tear-off remittance stub. Keeping the stub on page 1 means a statement folded in
thirds always mails with the address in the window and the stub at the bottom,
however many pages follow.

Every header prints "Page 2 of 3", so each statement is first laid out on a canvas that
draws nothing, to count its pages, and then drawn once. That layout first tries page 1
alone, with no room kept for "Continued on page 2", and a statement continues only when
it does not fit there. A run makes one PDF per statement and joins the printed ones into
its batch without drawing them again.
"""

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from pypdf import PdfReader, PdfWriter
from reportlab.lib.colors import Color  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import letter  # type: ignore[import-untyped]
from reportlab.lib.pdfencrypt import StandardEncryption  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.pdf.charge_forms import HEADER_RULE, draw_section_title, printable
from app.pdf.common import (
    BOLD,
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    Column,
    draw_column_headings,
)
from app.pdf.statement_document import (
    StatementDocument,
    balance_text,
    change_text,
    dollars,
)
from app.pdf.statement_flow import (
    CONTINUED_ROOM,
    LAST_ROW_ROOM,
    MeasuringCanvas,
    StatementFlow,
)
from app.pdf.statement_tables import activity_table, visits_table
from app.pdf.statement_text import TextFitter
from app.services.statement_figures import StatementFigures

__all__ = [
    "StatementDocument",
    "TextFitter",
    "batch_pdf_bytes",
    "join_statement_pdfs",
    "statement_pdf_bytes",
]

RIGHT = PAGE_WIDTH - MARGIN
COLUMN_GAP = 18
HALF_WIDTH = (CONTENT_WIDTH - COLUMN_GAP) / 2
EM_DASH = "\u2014"
# The PDF's Subject, for one statement and for a batch; the Author is the practice.
SUBJECT = "Patient statement"
BATCH_SUBJECT = "Patient statements"

# The guarantor's address block: 7/8 inch from the left edge and 2.1 inches from the
# top, where the window of a #10 envelope shows it with the page folded in thirds.
# NOTE: placed for the common #10 window of 4.5 by 1.125 inches, 7/8 inch from the left
# and 1/2 inch from the bottom. Check it against the envelopes the office buys.
ADDRESS_X = 63.0
ADDRESS_TOP: float = PAGE_HEIGHT - 2.1 * 72
ADDRESS_WIDTH = 250
ADDRESS_MAX_LINES = 5
# A guarantor's name wraps onto a second line rather than being cut. With at most three
# address lines (streets, then city), the block still fits the window's five lines.
NAME_MAX_LINES = 2
# The "Patients" value lists the account's patients on up to this many lines. A longer
# list ends with "and 2 more" after the last whole name that fits, because page 1 has
# no room to spare above the stub. The visits table names every patient in full.
PATIENT_LIST_MAX_LINES = 3
INFO_VALUE_MAX_LINES = 2

# The statement facts and the amount due, right of the address.
INFO_X = 342.0
INFO_WIDTH = RIGHT - INFO_X
INFO_LABEL_WIDTH = 82
DUE_BOX_HEIGHT = 58
# The credit sentence in the due box: its size, made smaller for a credit of $100 or
# more so it stays inside the box. At 7 points a credit of $9,999,999.99 still fits.
CREDIT_SIZE = 11
MIN_CREDIT_SIZE = 7

AGING_LABELS = (
    "Current",
    "31\u201360 days",
    "61\u201390 days",
    "91\u2013120 days",
    "Over 120 days",
)


def statement_pdf_bytes(
    document: StatementDocument, password: str | None = None, text: TextFitter | None = None
) -> bytes:
    """Return `document` as a PDF, opened only with `password` when one is given.

    Pass one `text` to every call of a run, so text that repeats across statements is
    wrapped only once.

    The password protection uses reportlab's 128-bit RC4 standard encryption and allows
    printing and copying text but not changing the document. The owner password is random
    and discarded, so no password that lifts those limits is kept anywhere.
    NOTE: the permission flags are advisory, and some readers (pypdf among them) ignore
    them once the user password has opened the file.
    Raises ValueError for an empty password: pass None for a PDF without one.
    """
    if password is not None and not password:
        raise ValueError("The statement password is empty. Pass None for a PDF without one.")
    text = text or TextFitter()
    layout = _layout(document, text)
    buffer = io.BytesIO()
    canvas = _canvas(
        buffer,
        _Metadata(f"Statement {document.statement_number}", _author(document), SUBJECT),
        password,
    )
    _draw(canvas, document, layout, text)
    canvas.save()
    return buffer.getvalue()


def batch_pdf_bytes(documents: Sequence[StatementDocument]) -> bytes:
    """Return every statement in `documents` as one PDF, in order, each numbering its pages.

    Raises ValueError for an empty sequence.
    NOTE: a statement with an odd page count is followed directly by the next one, so a
    batch printed on both sides would start statements on the back of a sheet.
    """
    if not documents:
        raise ValueError("The statement batch is empty. Pass at least one statement.")
    buffer = io.BytesIO()
    canvas = _canvas(buffer, _Metadata("Statements", _author(documents[0]), BATCH_SUBJECT), None)
    text = TextFitter()
    for document in documents:
        _draw(canvas, document, _layout(document, text), text)
    canvas.save()
    return buffer.getvalue()


def join_statement_pdfs(pdfs: Sequence[bytes]) -> bytes:
    """Return the pages of `pdfs`, PDFs without passwords, in order as one PDF.

    A run joins the statements it has already drawn, which takes a fraction of the time
    drawing them again would. The batch's Author is the first statement's, which is the
    practice's name. Raises ValueError for an empty sequence.
    NOTE: as in batch_pdf_bytes, a statement with an odd page count is followed directly
    by the next one.
    """
    if not pdfs:
        raise ValueError("The statement batch is empty. Pass at least one statement.")
    writer = PdfWriter()
    author = ""
    for number, pdf in enumerate(pdfs):
        reader = PdfReader(io.BytesIO(pdf))
        if number == 0 and reader.metadata is not None:
            author = reader.metadata.author or ""
        for page in reader.pages:
            writer.add_page(page)
    writer.add_metadata(
        {
            "/Title": "Statements",
            "/Author": author,
            "/Subject": BATCH_SUBJECT,
            "/Creator": "ClinicDesk",
        }
    )
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class _Metadata:
    """The PDF's document information. Without it, reportlab writes "anonymous" as the
    Author and "unspecified" as the Subject."""

    title: str
    author: str
    subject: str


@dataclass(frozen=True, slots=True)
class _Layout:
    """The layout of one statement: its page count and the room kept under each page's rows."""

    page_total: int
    end_room: float


def _author(document: StatementDocument) -> str:
    return printable(document.header.practice.name)


def _canvas(buffer: io.BytesIO, metadata: _Metadata, password: str | None) -> Canvas:
    encryption = None
    if password is not None:
        encryption = StandardEncryption(
            password,
            ownerPassword=secrets.token_urlsafe(24),
            canPrint=1,
            canModify=0,
            canCopy=1,
            canAnnotate=0,
            strength=128,
        )
    canvas = Canvas(buffer, pagesize=letter, pageCompression=1, encrypt=encryption)
    canvas.setTitle(metadata.title)
    canvas.setAuthor(metadata.author)
    canvas.setSubject(metadata.subject)
    canvas.setCreator("ClinicDesk")
    return canvas


def _layout(document: StatementDocument, text: TextFitter) -> _Layout:
    """Measure the statement: on page 1 alone when it fits there, else over several pages.

    Page 1 alone needs no room for "Continued on page 2", so its tables may use that
    room too. Only a statement that does not fit is measured a second time.
    """
    if _draw(MeasuringCanvas(), document, _Layout(0, LAST_ROW_ROOM), text) == 1:
        return _Layout(1, LAST_ROW_ROOM)
    page_total = _draw(MeasuringCanvas(), document, _Layout(0, CONTINUED_ROOM), text)
    return _Layout(page_total, CONTINUED_ROOM)


def _draw(canvas: Canvas, document: StatementDocument, layout: _Layout, text: TextFitter) -> int:
    """Draw all pages of `document` on `canvas` and return how many there were."""
    flow = StatementFlow(canvas, document, layout.page_total, text, layout.end_room)
    address_bottom = _address(flow)
    info_bottom = _statement_info(flow)
    flow.y = min(address_bottom, info_bottom) - 4
    _summary_and_message(flow)
    _aging(flow)
    # Visits come first, so page 1 shows what each service still owes even when the
    # activity has to continue on page 2.
    visits_table(flow)
    activity_table(flow)
    flow.finish_page()
    canvas.showPage()
    return flow.page + 1


def _address(flow: StatementFlow) -> float:
    canvas = flow.canvas
    guarantor = flow.document.figures.guarantor
    name = flow.text.lines(guarantor.name, REGULAR, 10, ADDRESS_WIDTH, NAME_MAX_LINES)
    address = [flow.text.line(line, REGULAR, 10, ADDRESS_WIDTH) for line in guarantor.address_lines]
    y = ADDRESS_TOP - 10
    canvas.setFillColor(INK)
    for line in (*name, *address)[:ADDRESS_MAX_LINES]:
        canvas.setFont(REGULAR, 10)
        canvas.drawString(ADDRESS_X, y, line)
        y -= 12.5
    return y


def _statement_info(flow: StatementFlow) -> float:
    """Draw the statement's facts and the amount due box, and return the y under them."""
    canvas = flow.canvas
    document = flow.document
    figures = document.figures
    width = INFO_WIDTH - INFO_LABEL_WIDTH
    rows = (
        ("Statement date", _info_lines(flow, f"{figures.statement_date:%m/%d/%Y}", REGULAR)),
        ("Account number", _info_lines(flow, figures.account_number, BOLD)),
        ("Statement", _info_lines(flow, document.statement_number, REGULAR)),
        ("Patients", _patient_list(flow, figures.patient_names, width)),
    )
    y = HEADER_RULE - 4
    for label, lines in rows:
        y -= 12
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(INFO_X, y, label)
        canvas.setFont(BOLD if label == "Account number" else REGULAR, 9)
        canvas.setFillColor(INK)
        for number, line in enumerate(lines):
            if number:
                y -= 11
            canvas.drawString(INFO_X + INFO_LABEL_WIDTH, y, line)
    y = _due_box(canvas, document, y - 10)
    return _contact_line(flow, y)


def _info_lines(flow: StatementFlow, value: str, font: str) -> tuple[str, ...]:
    return flow.text.lines(value, font, 9, INFO_WIDTH - INFO_LABEL_WIDTH, INFO_VALUE_MAX_LINES)


def _patient_list(flow: StatementFlow, names: Sequence[str], width: float) -> tuple[str, ...]:
    """Wrap the patients' names, ending with "and N more" when all do not fit.

    Names are dropped from the end until the rest and the count of those left out fit
    on PATIENT_LIST_MAX_LINES, so no name is cut. A single name too long for them is
    the exception, and is cut with an ellipsis.
    """
    limit = PATIENT_LIST_MAX_LINES
    for shown in range(len(names), 0, -1):
        text = ", ".join(names[:shown])
        if shown < len(names):
            text += f" and {len(names) - shown} more"
        lines = flow.text.lines(text, REGULAR, 9, width, limit + 1)
        if len(lines) <= limit:
            return lines
    return flow.text.lines(", ".join(names), REGULAR, 9, width, limit)


def _due_box(canvas: Canvas, document: StatementDocument, top: float) -> float:
    """Draw what is due now and what waits on insurance, apart, and return the box's bottom."""
    figures = document.figures
    bottom = top - DUE_BOX_HEIGHT
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1)
    canvas.rect(INFO_X, bottom, INFO_WIDTH, DUE_BOX_HEIGHT)
    left, right = INFO_X + 8, RIGHT - 8

    if figures.credit > 0:
        # A credit never prints as an amount due, so the box states the credit in words.
        text = f"Credit balance {dollars(figures.credit)} {EM_DASH} nothing is due"
        canvas.setFont(BOLD, _fitting_size(text, BOLD, CREDIT_SIZE, right - left))
        canvas.setFillColor(INK)
        canvas.drawString(left, top - 18, text)
    else:
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(left, top - 15, "AMOUNT DUE NOW")
        canvas.setFont(BOLD, 16)
        canvas.setFillColor(INK)
        canvas.drawRightString(right, top - 19, dollars(figures.amount_due))
        canvas.setFont(REGULAR, 8.5)
        if figures.amount_due > 0:
            canvas.drawString(left, top - 31, f"Please pay by {document.due_on:%m/%d/%Y}")
        else:
            canvas.drawString(left, top - 31, "Nothing is due now")

    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(INFO_X, top - 38, RIGHT, top - 38)
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(INK)
    canvas.drawString(left, bottom + 7, "Pending with insurance")
    canvas.drawRightString(right, bottom + 7, dollars(figures.insurance_pending))
    return bottom


def _fitting_size(text: str, font: str, size: float, width: float) -> float:
    """Return `size`, or the largest smaller size down to MIN_CREDIT_SIZE at which `text` fits."""
    while size > MIN_CREDIT_SIZE and stringWidth(text, font, size) > width:
        size -= 0.5
    return size


def _contact_line(flow: StatementFlow, top: float) -> float:
    canvas = flow.canvas
    document = flow.document
    notes = []
    if document.figures.insurance_pending > 0:
        notes.append("Not due now. We bill you for any part insurance does not pay.")
    phone = document.header.practice.phone
    if phone:
        notes.append(f"Questions about this statement? Call {phone}.")
    y = top
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    for note in notes:
        y -= 10
        canvas.drawString(INFO_X, y, flow.text.line(note, REGULAR, 7.5, INFO_WIDTH))
    return y


def _summary_and_message(flow: StatementFlow) -> None:
    document = flow.document
    left = Column(flow.canvas, MARGIN, flow.y, HALF_WIDTH)
    _summary(left, document.figures)

    right = Column(flow.canvas, MARGIN + HALF_WIDTH + COLUMN_GAP, flow.y, HALF_WIDTH)
    right.heading("Message")
    _paragraph(flow, right, document.message, REGULAR, 9, 4)
    if document.plan_line:
        right.y -= 2
        _paragraph(flow, right, document.plan_line, BOLD, 8.5, 2)
    if document.payment_options:
        right.heading("How to pay")
        _paragraph(flow, right, document.payment_options, REGULAR, 8.5, 4)
    flow.y = min(left.y, right.y)


def _paragraph(  # noqa: PLR0917 (where and how one paragraph is drawn)
    flow: StatementFlow, column: Column, value: str, font: str, size: float, max_lines: int
) -> None:
    """Write a wrapped paragraph across the column as Column.text does, wrapped by `flow.text`."""
    column.canvas.setFont(font, size)
    column.canvas.setFillColor(INK)
    for line in flow.text.lines(value, font, size, column.width, max_lines):
        column.y -= size + 2.5
        column.canvas.drawString(column.x, column.y, line)


def _summary(column: Column, figures: StatementFigures) -> None:
    column.heading("Account summary")
    previous = "Previous balance"
    if figures.last_statement_on is not None:
        previous += f" ({figures.last_statement_on:%m/%d/%Y})"
    rows = (
        (previous, balance_text(figures.previous_balance)),
        ("New charges", change_text(figures.new_charges)),
        ("Payments", change_text(figures.payments)),
        ("Adjustments", change_text(figures.adjustments)),
    )
    for label, amount in rows:
        _amount_row(column, label, amount, REGULAR)
    column.y -= 4
    column.canvas.setStrokeColor(RULE)
    column.canvas.setLineWidth(0.6)
    column.canvas.line(column.x, column.y, column.x + column.width, column.y)
    _amount_row(column, "Balance", balance_text(figures.balance), BOLD)
    if figures.last_payment_on is not None:
        column.y -= 2
        _amount_row(
            column, "Last payment received", f"{figures.last_payment_on:%m/%d/%Y}", REGULAR, MUTED
        )


def _amount_row(column: Column, label: str, amount: str, font: str, color: Color = INK) -> None:
    column.y -= 12
    column.canvas.setFont(font, 9)
    column.canvas.setFillColor(color)
    column.canvas.drawString(column.x, column.y, label)
    column.canvas.drawRightString(column.x + column.width, column.y, amount)


def _aging(flow: StatementFlow) -> None:
    figures = flow.document.figures
    aging = figures.aging
    amounts = (aging.current, aging.days_31_60, aging.days_61_90, aging.days_91_120, aging.over_120)
    cell = CONTENT_WIDTH / len(amounts)
    rights = [MARGIN + cell * (number + 1) for number in range(len(amounts))]

    flow.y -= 14
    draw_section_title(flow.canvas, MARGIN, flow.y, "Balance by age (days since the service)")
    flow.y -= 12
    flow.y = draw_column_headings(
        flow.canvas, flow.y, (), list(zip(rights, AGING_LABELS, strict=True))
    )
    flow.y -= 12
    flow.canvas.setFont(REGULAR, 9)
    flow.canvas.setFillColor(INK)
    for right, amount in zip(rights, amounts, strict=True):
        flow.canvas.drawRightString(right, flow.y, balance_text(amount))
