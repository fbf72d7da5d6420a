"""Procedure codes as an authorization lists them: format checks only, never descriptions.

CPT (HCPCS Level I) codes are five digits (99213), or four digits and a letter for
Category II (F), Category III (T) and proprietary laboratory analyses (U). HCPCS Level II
codes are a letter from A to V and four digits (G0438). Only the format is checked:
ClinicDesk ships no code list, because CPT content needs an AMA license.
"""

import re
from collections import Counter

from app.problems import Problem
from app.validators import echo_for_message

_CPT = re.compile(r"\d{5}|\d{4}[FTU]")
_HCPCS_LEVEL_2 = re.compile(r"[A-V]\d{4}")
_SEPARATORS = re.compile(r"[\s,;]+")
CODE_EXAMPLES = "such as 99213, 0001U or G0438"


def normalize_code(code: str) -> str:
    """Return a code in its stored form: no surrounding spaces, letters in upper case."""
    return code.strip().upper()


def is_procedure_code(code: str) -> bool:
    """Return True when `code` has the format of a CPT or HCPCS Level II code."""
    text = normalize_code(code)
    return bool(_CPT.fullmatch(text) or _HCPCS_LEVEL_2.fullmatch(text))


def parse_codes(text: str) -> list[str]:
    """Split codes typed as a list separated by commas, semicolons or white space."""
    return [normalize_code(part) for part in _SEPARATORS.split(text) if part.strip()]


def code_list_problems(codes: list[str], field: str) -> list[Problem]:
    """Return a problem for the codes of a bad format and one for repeated codes."""
    problems: list[Problem] = []
    normalized = [normalize_code(code) for code in codes if code.strip()]
    invalid = [code for code in normalized if not is_procedure_code(code)]
    if invalid:
        shown = ", ".join(echo_for_message(code) for code in dict.fromkeys(invalid))
        problems.append(
            Problem(
                field,
                f"{shown} {'is not a' if len(invalid) == 1 else 'are not'} CPT or HCPCS "
                f"code{'' if len(invalid) == 1 else 's'}; enter codes only, {CODE_EXAMPLES}, "
                "without descriptions.",
            )
        )
    repeated = [code for code, count in Counter(normalized).items() if count > 1]
    if repeated:
        problems.append(
            Problem(
                field,
                f"{', '.join(repeated)} {'is' if len(repeated) == 1 else 'are'} listed more than "
                "once; list each code once.",
            )
        )
    return problems
