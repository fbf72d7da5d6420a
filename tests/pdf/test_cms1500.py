"""The CMS-1500 PDF: data read back at each item's position, pages, modes and offsets."""

import io
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import getAscent  # type: ignore[import-untyped]

from app.pdf.cms1500 import (
    BOX_POSITIONS,
    Cms1500Error,
    form_text,
    render_alignment_page,
    render_cms1500,
)
from app.pdf.cms1500_layout import (
    COLUMN_WIDTH,
    FONT,
    FONT_SIZE,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    PRINT_MARGIN,
)
from app.x12.claim_data import Address, ClaimDocument
from tests.helpers.pdf_text import PlacedText, page_count, placed_text
from tests.x12.claim_samples import (
    BILLING_PROVIDER,
    GROUP_NPI,
    REFERRING_NPI,
    RENDERING_NPI,
    ClaimOptions,
    build_claim,
    dependent_claim,
    ndc_claim,
    replacement_claim,
    secondary_claim,
    subscriber_claim,
)

POINTS_PER_MM = 72 / 25.4


def nine_line_claim() -> ClaimDocument:
    """A claim with nine lines and twelve diagnoses: two forms, six lines and three."""
    return build_claim(ClaimOptions(claim_number="CD260302009", line_count=9, diagnosis_count=12))


def render(
    documents: list[ClaimDocument],
    path: Path,
    mode: str = "data",
    offset_x_mm: float = 0,
    offset_y_mm: float = 0,
) -> list[PlacedText]:
    render_cms1500(documents, path, mode=mode, offset_x_mm=offset_x_mm, offset_y_mm=offset_y_mm)
    return placed_text(path)


def text_at(
    runs: list[PlacedText], key: str, page: int = 0, dx: float = 0, dy: float = 0
) -> str | None:
    """Return the text printed at item `key` on `page`, moved by (dx, dy) points."""
    x, y = BOX_POSITIONS[key]
    for run in runs:
        if run.page == page and abs(run.x - (x + dx)) < 0.5 and abs(run.y - (y + dy)) < 0.5:
            return run.text
    return None


def test_patient_name_in_box_2(tmp_path: Path) -> None:
    runs = render([subscriber_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "2") == "PENA JOSE L"
    assert text_at(runs, "4") == "PENA JOSE L"
    assert text_at(runs, "3.date") == "07 19 1984"
    assert text_at(runs, "3.male") == "X"
    assert text_at(runs, "3.female") is None
    assert text_at(runs, "6.self") == "X"


def test_dependent_patient_and_insured(tmp_path: Path) -> None:
    runs = render([dependent_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "2") == "PENA LUCIA"
    assert text_at(runs, "4") == "PENA JOSE L"
    assert text_at(runs, "6.child") == "X"
    assert text_at(runs, "11a.date") == "07 19 1984"
    assert text_at(runs, "5.street") == "42 ELM ST APT 3"
    assert text_at(runs, "5.city") == "SPRINGFIELD"
    assert text_at(runs, "5.state") == "IL"
    assert text_at(runs, "5.zip") == "62702"


def test_carrier_program_and_member(tmp_path: Path) -> None:
    runs = render([subscriber_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "carrier.name") == "PRAIRIE HEALTH PLAN"
    assert text_at(runs, "carrier.street") == "PO BOX 4000"
    assert text_at(runs, "carrier.street2") == "CHICAGO IL 606804000"
    assert text_at(runs, "1.group") == "X"
    assert text_at(runs, "1a") == "PHP01M1048829"
    assert text_at(runs, "11") == "GRP-4471"
    assert text_at(runs, "11c") == "SPRINGFIELD PUBLIC SCHOOLS"
    assert text_at(runs, "11d.no") == "X"


def test_diagnosis_codes_in_box_21(tmp_path: Path) -> None:
    runs = render([nine_line_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "21.indicator") == "0"
    expected = {
        "A": "J069",
        "B": "R509",
        "C": "E119",
        "D": "I10",
        "E": "M5450",
        "H": "N390",
        "L": "Z23",
    }
    for letter, code in expected.items():
        assert text_at(runs, f"21.{letter}") == code, letter
    # Every form of a continued claim lists all its diagnoses.
    assert text_at(runs, "21.L", page=1) == "Z23"


def test_service_lines_in_box_24(tmp_path: Path) -> None:
    document = dependent_claim()
    runs = render([document], tmp_path / "claim.pdf")

    assert text_at(runs, "24.1.A.from") == "03 02 26"
    assert text_at(runs, "24.1.A.to") == "03 02 26"
    assert text_at(runs, "24.1.B") == "11"
    assert text_at(runs, "24.1.D") == "99213"
    assert text_at(runs, "24.1.D.modifiers") == "25"
    assert text_at(runs, "24.1.E") == "A"
    assert text_at(runs, "24.1.F") == "125"
    assert text_at(runs, "24.1.F.cents") == "00"
    assert text_at(runs, "24.1.G") == "1"
    assert text_at(runs, "24.1.J") == RENDERING_NPI
    assert text_at(runs, "24.2.D") == "99214"
    assert text_at(runs, "24.2.E") == "BC"
    assert text_at(runs, "24.2.F") == "360"
    assert text_at(runs, "24.2.G") == "2"
    assert text_at(runs, "24.3.E") == "CAB"
    assert text_at(runs, "24.4.D") is None


def test_ndc_on_the_shaded_line(tmp_path: Path) -> None:
    runs = render([ndc_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "24.2.shaded") == "N400641036725 ML2"
    assert text_at(runs, "24.2.D") == "J1100"
    assert text_at(runs, "24.1.shaded") is None
    assert text_at(runs, "32.name") == "MAPLE STREET ANNEX"
    assert text_at(runs, "32.city") == "SPRINGFIELD IL 627045678"


def test_totals_per_page(tmp_path: Path) -> None:
    document = nine_line_claim()
    path = tmp_path / "claim.pdf"
    runs = render([document], path)

    assert page_count(path) == 2
    first = sum((line.charge_amount for line in document.lines[:6]), Decimal(0))
    rest = sum((line.charge_amount for line in document.lines[6:]), Decimal(0))
    for page, total in ((0, first), (1, rest)):
        dollars, cents = divmod(int(total * 100), 100)
        assert text_at(runs, "28", page) == str(dollars), page
        assert text_at(runs, "28.cents", page) == f"{cents:02d}", page
    assert text_at(runs, "24.6.D", page=0) is not None
    assert text_at(runs, "24.1.D", page=1) == document.lines[6].procedure_code
    assert text_at(runs, "24.4.D", page=1) is None


def test_continued_note_on_all_but_last(tmp_path: Path) -> None:
    runs = render([nine_line_claim(), subscriber_claim()], tmp_path / "claims.pdf")

    assert text_at(runs, "continued", page=0) == "CONTINUED PAGE 1 OF 2"
    assert text_at(runs, "continued", page=1) is None
    assert text_at(runs, "continued", page=2) is None
    assert text_at(runs, "26", page=0) == "CD260302009"
    assert text_at(runs, "26", page=1) == "CD260302009"
    assert text_at(runs, "26", page=2) == "CD260302001"


def test_amount_paid_per_page(tmp_path: Path) -> None:
    document = secondary_claim()
    runs = render([document], tmp_path / "claim.pdf")

    paid = sum(
        (
            adjudication.paid_amount
            for line in document.lines
            for adjudication in line.adjudications
        ),
        Decimal(0),
    )
    dollars, cents = divmod(int(paid * 100), 100)
    assert text_at(runs, "29") == str(dollars)
    assert text_at(runs, "29.cents") == f"{cents:02d}"


def test_claim_level_payment_on_page_one(tmp_path: Path) -> None:
    document = build_claim(
        ClaimOptions(
            claim_number="CD260302010",
            line_count=7,
            other_payer_count=1,
            line_adjudication=False,
        )
    )
    runs = render([document], tmp_path / "claim.pdf")

    other_paid = document.other_payers[0].paid_amount
    assert other_paid is not None and document.patient_paid is not None
    dollars, cents = divmod(int((other_paid + document.patient_paid) * 100), 100)
    assert text_at(runs, "29", page=0) == str(dollars)
    assert text_at(runs, "29.cents", page=0) == f"{cents:02d}"
    assert text_at(runs, "29", page=1) is None


def test_other_insured_with_second_payer(tmp_path: Path) -> None:
    runs = render([secondary_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "9") == "PENA JOSE L"
    assert text_at(runs, "9a") == "PHP01M550"
    assert text_at(runs, "9d") == "PRAIRIE HEALTH PLAN"
    assert text_at(runs, "11d.yes") == "X"
    assert text_at(runs, "11d.no") is None


def test_no_other_insured_without_second_payer(tmp_path: Path) -> None:
    runs = render([subscriber_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "9") is None
    assert text_at(runs, "9a") is None
    assert text_at(runs, "9d") is None


def test_onset_referring_and_authorization(tmp_path: Path) -> None:
    runs = render([dependent_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "14.date") == "02 26 26"
    assert text_at(runs, "14.qualifier") == "431"
    assert text_at(runs, "17.qualifier") == "DN"
    assert text_at(runs, "17") == "JURGEN MULLER"
    assert text_at(runs, "17b") == REFERRING_NPI
    assert text_at(runs, "23") == "PA88213"


def test_replacement_and_accident(tmp_path: Path) -> None:
    runs = render([replacement_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "22.code") == "7"
    assert text_at(runs, "22.original") == "PHPCD260302006"
    assert text_at(runs, "10b.yes") == "X"
    assert text_at(runs, "10b.state") == "IL"
    assert text_at(runs, "10a.no") == "X"
    assert text_at(runs, "10c.no") == "X"


def test_original_claim_has_no_box_22(tmp_path: Path) -> None:
    runs = render([subscriber_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "22.code") is None
    assert text_at(runs, "22.original") is None


def test_provider_items(tmp_path: Path) -> None:
    runs = render([subscriber_claim()], tmp_path / "claim.pdf")

    assert text_at(runs, "25") == BILLING_PROVIDER.ein
    assert text_at(runs, "25.ein") == "X"
    assert text_at(runs, "25.ssn") is None
    assert text_at(runs, "26") == "CD260302001"
    assert text_at(runs, "27.yes") == "X"
    assert text_at(runs, "12") == "SIGNATURE ON FILE"
    assert text_at(runs, "13") == "SIGNATURE ON FILE"
    assert text_at(runs, "31") == "SIGNATURE ON FILE"
    assert text_at(runs, "31.date") == "03 03 26"
    assert text_at(runs, "24.1.J") == GROUP_NPI
    assert text_at(runs, "33a") == GROUP_NPI
    assert text_at(runs, "32a") == GROUP_NPI
    assert text_at(runs, "33.name") == "MAPLE STREET FAMILY MEDICINE"
    assert text_at(runs, "33.street") == "100 MAPLE ST SUITE 200"
    assert text_at(runs, "33.city") == "SPRINGFIELD IL 627011234"
    assert text_at(runs, "33.area_code") == "217"
    assert text_at(runs, "33.phone") == "5550100"
    assert text_at(runs, "32.name") == "MAPLE STREET FAMILY MEDICI"


def test_amounts_have_no_symbols(tmp_path: Path) -> None:
    runs = render([nine_line_claim()], tmp_path / "claim.pdf")

    keys = [f"24.{number}.F" for number in range(1, 7)] + ["28", "28.cents", "29"]
    for key in keys:
        text = text_at(runs, key)
        if text is not None:
            assert text.isdigit(), (key, text)
    assert not any("$" in run.text for run in runs)


def test_names_upper_case_without_punctuation(tmp_path: Path) -> None:
    base = subscriber_claim()
    patient = replace(
        base.patient,
        last_name="O'Brien-Núñez",
        first_name="Zoë Ann",
        middle_name="j.",
        suffix="Jr.",
    )
    document = replace(base, patient=patient, subscriber=patient)
    runs = render([document], tmp_path / "claim.pdf")

    assert text_at(runs, "2") == "OBRIEN-NUNEZ JR ZOE ANN J"


def test_form_text_rules() -> None:
    assert form_text("Straße 5, Apt. #2", 30) == "STRASSE 5 APT 2"
    assert form_text("  many    spaces  ", 30) == "MANY SPACES"
    assert form_text("E11.9", 8, keep=".") == "E11.9"
    assert form_text("ABCDEFGHIJ KLM", 11) == "ABCDEFGHIJ"


def test_nothing_outside_the_margins(tmp_path: Path) -> None:
    path = tmp_path / "claim.pdf"
    runs = render([nine_line_claim(), dependent_claim(), ndc_claim()], path)
    render_alignment_page(tmp_path / "align.pdf", offset_x_mm=0, offset_y_mm=0)
    runs += placed_text(tmp_path / "align.pdf")

    character_width = COLUMN_WIDTH * FONT_SIZE / 12
    ascent = getAscent(FONT, FONT_SIZE)
    for run in runs:
        assert run.x >= PRINT_MARGIN, run
        assert run.x + len(run.text) * character_width <= PAGE_WIDTH - PRINT_MARGIN, run
        assert run.y >= PRINT_MARGIN, run
        assert run.y + ascent <= PAGE_HEIGHT - PRINT_MARGIN, run


def test_drawn_form_inside_the_margins(tmp_path: Path) -> None:
    runs = render([nine_line_claim()], tmp_path / "claim.pdf", mode="form")

    for run in runs:
        assert PRINT_MARGIN <= run.x <= PAGE_WIDTH - PRINT_MARGIN, run
        assert PRINT_MARGIN <= run.y <= PAGE_HEIGHT - PRINT_MARGIN, run


def test_form_mode_keeps_data_positions(tmp_path: Path) -> None:
    data = render([dependent_claim()], tmp_path / "data.pdf", mode="data")
    form = render([dependent_claim()], tmp_path / "form.pdf", mode="form")

    assert len(form) > len(data)
    for key in ("2", "21.A", "24.1.D", "28", "33a"):
        assert text_at(form, key) == text_at(data, key), key
    assert "HEALTH INSURANCE CLAIM FORM" in {run.text for run in form}


def test_offsets_move_text(tmp_path: Path) -> None:
    still = render([dependent_claim()], tmp_path / "still.pdf")
    moved = render([dependent_claim()], tmp_path / "moved.pdf", offset_x_mm=3, offset_y_mm=-2)

    dx, dy = 3 * POINTS_PER_MM, 2 * POINTS_PER_MM
    assert len(moved) == len(still)
    for before, after in zip(still, moved, strict=True):
        assert after.text == before.text
        assert after.x == pytest.approx(before.x + dx, abs=0.01)
        assert after.y == pytest.approx(before.y + dy, abs=0.01)
    assert text_at(moved, "2", dx=dx, dy=dy) == "PENA LUCIA"


def title_position(path: Path) -> tuple[float, float]:
    """Return where the drawn form's title sits, with the page's translation applied."""
    found: list[tuple[float, float]] = []

    def visit(text: str, cm: Any, tm: Any, _font: Any, _size: Any) -> None:
        if text.strip() == "HEALTH INSURANCE CLAIM FORM":
            found.append((float(cm[4]) + float(tm[4]), float(cm[5]) + float(tm[5])))

    PdfReader(path).pages[0].extract_text(visitor_text=visit)
    return found[0]


def test_offsets_move_drawn_form(tmp_path: Path) -> None:
    render_cms1500([subscriber_claim()], tmp_path / "still.pdf", mode="form")
    render_cms1500(
        [subscriber_claim()], tmp_path / "moved.pdf", mode="form", offset_x_mm=-4, offset_y_mm=1
    )

    still_x, still_y = title_position(tmp_path / "still.pdf")
    moved_x, moved_y = title_position(tmp_path / "moved.pdf")
    assert moved_x == pytest.approx(still_x - 4 * POINTS_PER_MM, abs=0.01)
    assert moved_y == pytest.approx(still_y - 1 * POINTS_PER_MM, abs=0.01)


def test_alignment_page_marks(tmp_path: Path) -> None:
    path = tmp_path / "align.pdf"
    render_alignment_page(path, offset_x_mm=1.5, offset_y_mm=2)
    runs = placed_text(path)

    dx, dy = 1.5 * POINTS_PER_MM, -2 * POINTS_PER_MM
    assert page_count(path) == 1
    assert text_at(runs, "2", dx=dx, dy=dy) == "2 PATIENT NAME"
    assert text_at(runs, "1.medicare", dx=dx, dy=dy) == "X"
    assert text_at(runs, "24.1.F", dx=dx, dy=dy) == "12345"
    assert text_at(runs, "33a", dx=dx, dy=dy) == "1234567890"
    assert text_at(runs, "continued", dx=dx, dy=dy) == "ALIGNMENT OFFSET X +1.5 MM Y +2.0 MM"


def test_writes_to_a_file_object() -> None:
    buffer = io.BytesIO()
    pages = render_cms1500([nine_line_claim()], buffer, mode="form")

    assert pages == 2
    assert len(PdfReader(io.BytesIO(buffer.getvalue())).pages) == 2


def test_page_is_letter_size(tmp_path: Path) -> None:
    path = tmp_path / "claim.pdf"
    render_cms1500([subscriber_claim()], path)

    box = PdfReader(path).pages[0].mediabox
    assert (float(box.width), float(box.height)) == (PAGE_WIDTH, PAGE_HEIGHT)


def test_charge_too_large_for_box_24f(tmp_path: Path) -> None:
    base = subscriber_claim()
    line = replace(base.lines[0], charge_amount=Decimal("100000.00"))
    document = replace(base, lines=(line,), total_charge=Decimal("100000.00"))

    with pytest.raises(Cms1500Error, match="CD260302001"):
        render_cms1500([document], tmp_path / "claim.pdf")
    assert not (tmp_path / "claim.pdf").exists()


def test_claim_number_too_long(tmp_path: Path) -> None:
    document = replace(subscriber_claim(), claim_number="CD2603020011234567")

    with pytest.raises(Cms1500Error, match="item 26"):
        render_cms1500([document], tmp_path / "claim.pdf")


@pytest.mark.parametrize(
    ("mode", "offset"),
    [("fax", 0.0), ("data", 10.5), ("form", -11.0)],
)
def test_rejects_bad_options(tmp_path: Path, mode: str, offset: float) -> None:
    with pytest.raises(ValueError):
        render_cms1500([subscriber_claim()], tmp_path / "claim.pdf", mode=mode, offset_x_mm=offset)


def test_rejects_no_claims(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no claims"):
        render_cms1500([], tmp_path / "claim.pdf")
    assert not (tmp_path / "claim.pdf").exists()


def test_long_street_abbreviated_to_fit(tmp_path: Path) -> None:
    base = nine_line_claim()
    street = Address("1800 Sherman Avenue", "Suite 400", "Evanston", "IL", "602013779")
    facility = replace(base.service_facility, address=street)
    billing = replace(base.billing_provider, address=street)
    runs = render(
        [replace(base, service_facility=facility, billing_provider=billing)], tmp_path / "c.pdf"
    )

    assert text_at(runs, "32.street") == "1800 SHERMAN AVE STE 400"
    assert text_at(runs, "33.street") == "1800 SHERMAN AVENUE SUITE 400"
