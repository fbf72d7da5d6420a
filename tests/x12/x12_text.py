"""Small X12 interchanges built in tests, with correct envelope counts."""

from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data" / "x12"


def isa(
    *,
    element: str = "*",
    repetition: str = "^",
    component: str = ":",
    terminator: str = "~",
    control: str = "000000101",
) -> str:
    """Return a 106-character ISA header with the given delimiters."""
    fields = [
        "ISA",
        "00",
        " " * 10,
        "00",
        " " * 10,
        "ZZ",
        "SENDER".ljust(15),
        "ZZ",
        "RECEIVER".ljust(15),
        "250101",
        "1200",
        repetition,
        "00501",
        control,
        "0",
        "P",
        component,
    ]
    header = element.join(fields) + terminator
    assert len(header) == 106
    return header


def interchange(
    bodies: list[list[str]],
    *,
    functional_id: str = "HC",
    set_id: str = "837",
    convention: str = "005010X222A1",
    element: str = "*",
    terminator: str = "~",
    component: str = ":",
    control: str = "000000101",
    separator: str = "",
) -> str:
    """Build ISA, one GS and one ST/SE per entry of `bodies` (segments without ST/SE).

    Body segments are written with "*" and ":"; they are translated to `element` and
    `component`. `separator` goes after each terminator (such as "\\r\\n").
    """
    segments = [f"GS*{functional_id}*S*R*20250101*1200*7*X*{convention}"]
    for index, body in enumerate(bodies, start=1):
        number = f"{index:04d}"
        segments.append(f"ST*{set_id}*{number}*{convention}")
        segments.extend(body)
        segments.append(f"SE*{len(body) + 2}*{number}")
    segments.append(f"GE*{len(bodies)}*7")
    segments.append(f"IEA*1*{control}")

    translated = [
        segment.replace(":", "\x00").replace("*", element).replace("\x00", component)
        for segment in segments
    ]
    header = isa(element=element, terminator=terminator, component=component, control=control)
    return header + separator + "".join(s + terminator + separator for s in translated)


def data_text(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8-sig")
