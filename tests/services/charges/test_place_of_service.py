"""Place of service: the bundled CMS list, names by code and the code format."""

from app import validators
from app.services.place_of_service import (
    PlaceOfService,
    code_set_path,
    place_label,
    place_name,
    places_of_service,
)

UNASSIGNED = (
    "00",
    "28",
    "29",
    "30",
    "35",
    "40",
    "43",
    "48",
    "59",
    "63",
    "64",
    "67",
    "70",
    "73",
    "80",
    "82",
    "98",
)


def test_list_file_is_bundled() -> None:
    assert code_set_path().is_file()
    assert code_set_path().parent.name == "code_sets"


def test_list_in_code_order() -> None:
    codes = [place.code for place in places_of_service()]

    assert codes == sorted(codes)
    assert len(codes) == len(set(codes))
    assert len(codes) == 52


def test_codes_are_valid() -> None:
    for place in places_of_service():
        assert validators.place_of_service_problems(place.code, "place_of_service") == []
        assert place.name


def test_common_codes_named() -> None:
    places = places_of_service()

    assert PlaceOfService("11", "Office") in places
    assert place_name("11") == "Office"
    assert place_name("10") == "Telehealth in the patient's home"
    assert place_name("02") == "Telehealth outside the patient's home"
    assert place_name(" 22 ") == "On-campus outpatient hospital"
    assert place_name("99") == "Other place of service"


def test_recent_codes_present() -> None:
    assert place_name("27") == "Outreach site or street"
    assert place_name("58") is not None
    assert place_name("66") is not None


def test_unassigned_codes_absent() -> None:
    for code in UNASSIGNED:
        assert place_name(code) is None, code


def test_place_label() -> None:
    assert place_label("11") == "11  Office"
    assert place_label("28") == "28"
