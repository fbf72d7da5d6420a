"""Reading CSV exports, suggesting a column mapping and parsing cell values."""

import codecs
from datetime import date
from pathlib import Path

import pytest

from app.services.csv_mapping import load_mapping, save_mapping, suggest_mapping
from app.services.csv_reading import CsvReadError, read_csv_preview
from app.services.csv_values import (
    CellValueError,
    parse_date,
    parse_marital_status,
    parse_plan_type,
    parse_sex,
    parse_ssn,
    parse_state,
    repair_zip,
)

TODAY = date(2026, 1, 10)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(codecs.BOM_UTF8 + "First Name,Last Name\nZoë,Núñez\n".encode())

    csv_file = read_csv_preview(path)

    assert csv_file.encoding == "utf-8-sig"
    assert csv_file.headers == ("First Name", "Last Name")
    assert csv_file.rows == (("Zoë", "Núñez"),)


def test_cp1252_accents(tmp_path: Path) -> None:
    path = _write(tmp_path / "old.csv", "FNAME,LNAME\nJosé,Peña\n", "cp1252")

    csv_file = read_csv_preview(path)

    assert csv_file.encoding == "cp1252"
    assert csv_file.rows == (("José", "Peña"),)


def test_semicolon_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "semi.csv", "Given;Surname;DOB\nAna;Ruiz;03/14/1980\n")

    csv_file = read_csv_preview(path)

    assert csv_file.delimiter == ";"
    assert csv_file.delimiter_name == "semicolon"
    assert csv_file.rows == (("Ana", "Ruiz", "03/14/1980"),)


def test_excel_sep_line(tmp_path: Path) -> None:
    csv_file = read_csv_preview(
        _write(tmp_path / "sep.csv", "sep=;\r\nLast;City\r\nLee;Boston, MA\r\n")
    )

    assert csv_file.delimiter == ";"
    assert csv_file.headers == ("Last", "City")
    assert csv_file.rows == (("Lee", "Boston, MA"),)
    assert csv_file.row_numbers == (2,)


def test_utf16_tab_file(tmp_path: Path) -> None:
    # Excel's "Unicode Text" format: UTF-16 with a byte order mark, tab separated.
    path = _write(tmp_path / "excel.txt", "First\tLast\r\nAnn\tLee\r\n", "utf-16")

    csv_file = read_csv_preview(path)

    assert csv_file.encoding == "utf-16"
    assert csv_file.delimiter == "\t"
    assert csv_file.rows == (("Ann", "Lee"),)


def test_single_column_file(tmp_path: Path) -> None:
    csv_file = read_csv_preview(_write(tmp_path / "one.csv", "Last Name\nLee\nPark\n"))

    assert csv_file.headers == ("Last Name",)
    assert len(csv_file.rows) == 2


def test_quoted_delimiters_and_line_breaks(tmp_path: Path) -> None:
    text = 'Last,Address\n"Lee, Jr.","12 Oak St\nApt 4"\nPark,9 Elm St\n'

    csv_file = read_csv_preview(_write(tmp_path / "quoted.csv", text))

    assert csv_file.rows[0] == ("Lee, Jr.", "12 Oak St\nApt 4")
    assert csv_file.row_numbers == (2, 3)


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"

    with pytest.raises(CsvReadError, match="does not exist") as raised:
        read_csv_preview(path)

    assert str(path) in str(raised.value)


def test_empty_file(tmp_path: Path) -> None:
    path = _write(tmp_path / "empty.csv", "")

    with pytest.raises(CsvReadError, match=r"is empty \(0 bytes\)"):
        read_csv_preview(path)


def test_blank_file(tmp_path: Path) -> None:
    with pytest.raises(CsvReadError, match="contains no text"):
        read_csv_preview(_write(tmp_path / "blank.csv", "\n\n  \n"))


def test_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "patients.xlsx"
    path.write_bytes(b"PK\x03\x04\x14\x00\x00\x00\x08\x00" + bytes(range(256)))

    with pytest.raises(CsvReadError, match="not a text file") as raised:
        read_csv_preview(path)

    assert "save" in str(raised.value).lower()


def test_file_without_header(tmp_path: Path) -> None:
    path = _write(tmp_path / "nohead.csv", "Ana,Ruiz,03/14/1980\nBo,Lee,01/02/1990\n")

    with pytest.raises(CsvReadError, match="contains data") as raised:
        read_csv_preview(path)

    assert "03/14/1980" in str(raised.value)


def test_ragged_rows_reported(tmp_path: Path) -> None:
    text = (
        "First,Last,DOB\nAna,Ruiz,03/14/1980\nBo,Lee\nCy,Diaz,01/02/1990,extra\nDe,Fox,02/03/1970\n"
    )

    csv_file = read_csv_preview(_write(tmp_path / "ragged.csv", text))

    assert [row.row_number for row in csv_file.ragged_rows] == [3, 4]
    assert [row.field_count for row in csv_file.ragged_rows] == [2, 4]
    assert csv_file.row_numbers == (2, 5)


def test_blank_rows_keep_numbering(tmp_path: Path) -> None:
    csv_file = read_csv_preview(_write(tmp_path / "gaps.csv", "Last\nLee\n\nPark\n\n"))

    assert csv_file.row_numbers == (2, 4)


def test_max_rows_marks_incomplete(tmp_path: Path) -> None:
    text = "Last\n" + "".join(f"Name{index}\n" for index in range(10))

    csv_file = read_csv_preview(_write(tmp_path / "many.csv", text), max_rows=3)

    assert len(csv_file.rows) == 3
    assert not csv_file.complete


def test_duplicate_and_blank_headers(tmp_path: Path) -> None:
    csv_file = read_csv_preview(_write(tmp_path / "dups.csv", "Phone,,phone\n1,2,3\n"))

    assert csv_file.headers == ("Phone", "Column 2", "phone (2)")


@pytest.mark.parametrize(
    ("header", "target"),
    [
        ("First Name", "first_name"),
        ("FNAME", "first_name"),
        ("Given", "first_name"),
        ("first_name", "first_name"),
        ("Last Name", "last_name"),
        ("Surname", "last_name"),
        ("Family", "last_name"),
        ("DOB", "date_of_birth"),
        ("Birth Date", "date_of_birth"),
        ("BIRTHDATE", "date_of_birth"),
        ("Sex", "sex"),
        ("Gender", "sex"),
        ("SSN", "ssn"),
        ("Address", "address_line1"),
        ("Address1", "address_line1"),
        ("ADDRESS", "address_line1"),
        ("City", "city"),
        ("State", "state"),
        ("Zip", "zip_code"),
        ("Postal Code", "zip_code"),
        ("ZIP", "zip_code"),
        ("Phone", "home_phone"),
        ("Home Phone", "home_phone"),
        ("Cell", "mobile_phone"),
        ("Mobile", "mobile_phone"),
        ("E-mail", "email"),
        ("Chart", "external_id"),
        ("Account #", "external_id"),
        ("MRN", "external_id"),
        ("Id", "external_id"),
        ("Insurance", "payer"),
        ("Payer", "payer"),
        ("Member ID", "member_id"),
        ("Policy", "member_id"),
        ("Subscriber ID", "member_id"),
        ("Group", "group_number"),
    ],
)
def test_header_synonyms(header: str, target: str) -> None:
    assert suggest_mapping([header])[target] == header


def test_first_synonym_wins() -> None:
    mapping = suggest_mapping(["Phone", "Home Phone", "Notes"])

    assert mapping["home_phone"] == "Phone"
    assert "Notes" not in mapping.values()


def test_mapping_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "mapping.json"

    save_mapping({"first_name": "FNAME", "ssn": None}, path)

    loaded = load_mapping(path)
    assert loaded["first_name"] == "FNAME"
    assert loaded["ssn"] is None


def test_mapping_file_must_be_object(tmp_path: Path) -> None:
    path = _write(tmp_path / "bad.json", '["FNAME"]')

    with pytest.raises(Exception, match="one JSON object"):
        load_mapping(path)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("03/14/1980", date(1980, 3, 14)),
        ("3/4/1980", date(1980, 3, 4)),
        ("03-14-1980", date(1980, 3, 14)),
        ("1980-03-14", date(1980, 3, 14)),
        ("19800314", date(1980, 3, 14)),
        ("3/14/1980 0:00", date(1980, 3, 14)),
        ("1980-03-14T00:00:00Z", date(1980, 3, 14)),
        ("3/4/80", date(1980, 3, 4)),
        ("3/4/25", date(2025, 3, 4)),
        ("2/29/2000", date(2000, 2, 29)),
    ],
)
def test_dates(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


def test_two_digit_year_never_future() -> None:
    assert parse_date("1/10/26", TODAY) == date(2026, 1, 10)
    assert parse_date("1/11/26", TODAY) == date(1926, 1, 11)


@pytest.mark.parametrize("text", ["31/02/1980", "2/30/1980", "2/29/2001", "March 3", "80-3-4", ""])
def test_bad_dates(text: str) -> None:
    with pytest.raises(CellValueError, match=r"is not a date; .*use MM/DD/YYYY"):
        parse_date(text, TODAY)


def test_day_month_order_hint() -> None:
    with pytest.raises(CellValueError, match="day/month order"):
        parse_date("31/12/1980", TODAY)


@pytest.mark.parametrize(
    ("text", "expected"),
    [("F", "F"), ("m", "M"), ("U", "U"), ("Female", "F"), ("Male", "M"), ("female", "F"),
     ("unknown", "U"), (" MALE ", "M")],
)  # fmt: skip
def test_sexes(text: str, expected: str) -> None:
    assert parse_sex(text) == expected


def test_bad_sex() -> None:
    with pytest.raises(CellValueError, match="use F, M, U, Female, Male or Unknown"):
        parse_sex("Q")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("MA", "MA"), ("ma", "MA"), ("Massachusetts", "MA"), ("new york", "NY"),
     ("District of Columbia", "DC"), ("Puerto Rico", "PR")],
)  # fmt: skip
def test_states(text: str, expected: str) -> None:
    assert parse_state(text) == expected


def test_bad_state() -> None:
    with pytest.raises(CellValueError, match="Atlantis is not a US state"):
        parse_state("Atlantis")


@pytest.mark.parametrize(
    ("text", "expected", "padded"),
    [("02155", "02155", False), ("2155", "02155", True), ("601", "00601", True),
     ("021551234", "02155-1234", False), ("21551234", "02155-1234", True),
     ("60601-1234", "60601-1234", False), ("ABCDE", "ABCDE", False)],
)  # fmt: skip
def test_zip_repair(text: str, expected: str, padded: bool) -> None:
    assert repair_zip(text) == (expected, padded)


def test_other_values() -> None:
    assert parse_ssn("123-45-6789") == "123456789"
    assert parse_marital_status("S") == "single"
    assert parse_marital_status("Widowed") == "widowed"
    assert parse_plan_type("Medicare Part B") == "MB"
    assert parse_plan_type("ppo") == "12"
    assert parse_plan_type("ci") == "CI"
    with pytest.raises(CellValueError, match="is not an SSN"):
        parse_ssn("12-345")


def test_impossible_either_order_not_hinted() -> None:
    with pytest.raises(CellValueError) as raised:
        parse_date("31/02/1980", TODAY)

    assert "day/month order" not in str(raised.value)
    assert "is not a date" in str(raised.value)


@pytest.mark.parametrize("text", ["X", "other", "nonbinary", "declined"])
def test_unknown_sex_code_rejected(text: str) -> None:
    with pytest.raises(CellValueError) as raised:
        parse_sex(text)

    assert text in str(raised.value)
    assert "F, M, U, Female, Male or Unknown" in str(raised.value)
