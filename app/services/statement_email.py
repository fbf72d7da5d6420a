"""The email that carries a statement: its password, its wording and the locked PDF.

The PDF goes out locked with a password the guarantor already has: their date of
birth, or the digits of their account number, as the practice chooses in Admin. The
email states which of the two opens it and never contains the password itself, the
account number or anything about the care given. It states only the practice, the
statement date and the amount due.
"""

import io
import secrets
import string
import textwrap
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from email.message import EmailMessage

from pypdf import PdfReader, PdfWriter

from app.money import ZERO, format_money
from app.services.statement_settings import EMAIL_PASSWORDS

BODY_WIDTH = 72

# Examples shown in the email. Each has a second choice, used when the first happens
# to be the guarantor's real password, so the email can never give the password away.
_DOB_EXAMPLES = ((date(1980, 3, 7), "March 7, 1980"), (date(1975, 11, 24), "November 24, 1975"))
# "1" is not in the workstation code alphabet (app/services/numbering.py), so neither
# example is a real account number.
_ACCOUNT_EXAMPLES = (("A1BC-000123", "1000123"), ("A1DE-000456", "1000456"))


@dataclass(frozen=True, slots=True)
class EmailFacts:
    """The facts an email states about one statement, none of them identifying a patient."""

    practice_name: str
    practice_phone: str
    statement_number: str
    statement_date: date
    due_on: date
    amount_due: Decimal
    insurance_pending: Decimal


def attachment_password(
    rule: str, date_of_birth: date | None, account_number: str
) -> tuple[str | None, str]:
    """Return (password, "") for the rule, or (None, why it cannot be formed).

    The reason is written for the statements list, so it names no person.
    """
    if rule == "dob":
        if date_of_birth is None:
            return None, (
                "The guarantor has no date of birth on file, so the PDF password (date of "
                "birth) cannot be formed. Add the date of birth, or print this statement."
            )
        return f"{date_of_birth:%m%d%Y}", ""

    if rule == "account":
        digits = "".join(character for character in account_number if character in string.digits)
        if not digits:
            return None, (
                "The account number has no digits, so the PDF password (account number "
                "digits) cannot be formed. Choose the date of birth rule in Admin, "
                "Statements tab, or print this statement."
            )
        return digits, ""

    return None, (
        f"The email password rule {rule!r} is not one of {', '.join(EMAIL_PASSWORDS)}; "
        "choose a rule in Admin, Statements tab."
    )


def password_instructions(rule: str, password: str) -> str:
    """Return the sentence telling the reader which password opens the PDF.

    `password` is only compared with the examples, so that no example equals it.
    """
    if rule == "dob":
        example = next((day, text) for day, text in _DOB_EXAMPLES if f"{day:%m%d%Y}" != password)
        return (
            "The password is the date of birth of the person this email is addressed to, "
            "written as 8 digits: two for the month, two for the day and four for the "
            f"year, with no spaces or slashes. For example, {example[1]} is "
            f"{example[0]:%m%d%Y}."
        )
    account, digits = next(
        (account, digits) for account, digits in _ACCOUNT_EXAMPLES if digits != password
    )
    return (
        "The password is the digits of your account number with us, in the order printed "
        "on your earlier statements and receipts, leaving out letters and dashes. For "
        f"example, account {account} has the password {digits}."
    )


def subject_line(facts: EmailFacts) -> str:
    """Return the subject, such as "Your statement from Lakeside Clinic dated 06/30/2026"."""
    # Mail programs show subjects on lock screens and in lists, so the amount stays out.
    return f"Your statement from {facts.practice_name} dated {facts.statement_date:%m/%d/%Y}"


def body_text(facts: EmailFacts, instructions: str) -> str:
    """Return the plain-text body: practice, date, amount due and how to open the PDF."""
    amounts = (
        f"Amount due: {format_money(facts.amount_due)}, please pay by {facts.due_on:%m/%d/%Y}."
    )
    if facts.insurance_pending > ZERO:
        amounts += (
            f" Pending with insurance: {format_money(facts.insurance_pending)}. This part is "
            "not due from you now."
        )
    paragraphs = [
        "Hello,",
        f"Your statement from {facts.practice_name}, dated {facts.statement_date:%m/%d/%Y}, "
        "is attached as a PDF file.",
        amounts,
        f"To protect your information, the PDF is locked with a password. {instructions}",
    ]
    if facts.practice_phone:
        paragraphs.append(f"Questions about your bill? Call us at {facts.practice_phone}.")
    paragraphs.append(facts.practice_name)
    # Plain-text mail programs show lines as sent, so each paragraph is wrapped here.
    wrapped = (
        textwrap.fill(text, BODY_WIDTH, break_long_words=False, break_on_hyphens=False)
        for text in paragraphs
    )
    return "\n\n".join(wrapped) + "\n"


def attachment_name(statement_number: str) -> str:
    """Return the PDF's file name, such as "statement-SK7Q-000012.pdf"."""
    return f"statement-{statement_number}.pdf"


def lock_pdf(pdf: bytes, password: str) -> bytes:
    """Return `pdf` encrypted with AES-256, opened by `password`, printing allowed.

    The owner password is random and not kept, because the emailed copy is never edited.
    """
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.encrypt(
        user_password=password, owner_password=secrets.token_urlsafe(24), algorithm="AES-256"
    )
    output = io.BytesIO()
    writer.write(output)
    return output.getvalue()


def build_message(
    to_address: str, facts: EmailFacts, rule: str, password: str, locked_pdf: bytes
) -> EmailMessage:
    """Return the email with the locked PDF attached. The transport adds the From header."""
    message = EmailMessage()
    message["To"] = to_address
    message["Subject"] = subject_line(facts)
    message.set_content(body_text(facts, password_instructions(rule, password)))
    message.add_attachment(
        locked_pdf,
        maintype="application",
        subtype="pdf",
        filename=attachment_name(facts.statement_number),
    )
    return message
