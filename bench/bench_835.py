"""Measure reading a large 835 remittance against pyx12 and x12sdk.

    python bench/bench_835.py --claims 10000

The script writes one 835 transaction set with `--claims` claims of `--lines` service
lines each (`write_835`, deterministic amounts: a CO 45 contractual adjustment and a PR 2
coinsurance per line, every tenth claim denied with CO 16). It then times, on the same
text:

- `read_835` followed by `balance_problems`, `--repeat` times, reporting the median;
- pyx12 (`app.x12.validate.pyx12_errors`, in process, as bench_837p runs it), once;
- x12sdk (`X12ModelReader(text).models()`, then every claim through `claims()`), once,
  when x12sdk is installed. It is not a ClinicDesk dependency: `pip install x12sdk==2.2.0`.

It prints Markdown tables. pyx12 validates the file against the implementation guide
and x12sdk builds validated Pydantic models, so both do more than ClinicDesk's reader.
The ratios show what choosing one of them as the import parser would cost.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_835.py` find the app package
    sys.path.insert(0, str(ROOT))

from app.x12.reader_835 import balance_problems, read_835  # noqa: E402
from app.x12.validate import pyx12_errors  # noqa: E402
from app.x12.writer_835 import (  # noqa: E402
    WrittenCas,
    WrittenClaim,
    WrittenRemittance,
    WrittenService,
    write_835,
)

CREATED_AT = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
SERVICE_DATE = date(2026, 2, 2)
PROCEDURES = ("99213", "85025", "36415", "99214", "81002")
DENIED_EVERY = 10


def build_service(claim_index: int, line_index: int) -> WrittenService:
    charge = Decimal(80 + (claim_index * 7 + line_index * 13) % 120)
    if claim_index % DENIED_EVERY == 0:
        adjustments = [WrittenCas("CO", "16", charge)]
    else:
        contractual = (charge * Decimal("0.2")).quantize(Decimal("0.01"))
        coinsurance = (charge * Decimal("0.1")).quantize(Decimal("0.01"))
        adjustments = [WrittenCas("CO", "45", contractual), WrittenCas("PR", "2", coinsurance)]
    paid = charge - sum((item.amount for item in adjustments), Decimal(0))
    return WrittenService(
        procedure_code=PROCEDURES[(claim_index + line_index) % len(PROCEDURES)],
        modifiers=("25",) if line_index == 0 else (),
        charge=charge,
        paid=paid,
        units=1,
        service_date=SERVICE_DATE,
        line_control_number=f"L{claim_index}X{line_index}",
        adjustments=adjustments,
        allowed=None if paid == 0 else charge - adjustments[0].amount,
    )


def build_claim(index: int, lines: int) -> WrittenClaim:
    services = [build_service(index, line) for line in range(lines)]
    patient_share = sum(
        (cas.amount for line in services for cas in line.adjustments if cas.group_code == "PR"),
        Decimal(0),
    )
    return WrittenClaim(
        patient_control_number=f"CD{index:07d}",
        status_code="4" if index % DENIED_EVERY == 0 else "1",
        charge=sum((line.charge for line in services), Decimal(0)),
        paid=sum((line.paid for line in services), Decimal(0)),
        patient_responsibility=patient_share,
        payer_claim_number=f"ICN{index:09d}",
        patient_last="DOE",
        patient_first="JANE",
        member_id=f"M{index:08d}",
        services=services,
    )


def write_file(claims: int, lines: int) -> str:
    remittance = WrittenRemittance(
        payer_name="ACME HEALTH PLAN",
        payer_identifier="87726",
        payee_name="MAIN STREET CLINIC",
        payee_npi="1234567893",
        trace_number="EFT0001",
        payment_date=date(2026, 3, 2),
        claims=[build_claim(index, lines) for index in range(claims)],
    )
    return write_835(
        [remittance], control_number=1, sender_id="ACMEPAYER", receiver_id="CLINIC", when=CREATED_AT
    )


def read_and_balance(text: str) -> int:
    """Read the file and check its balancing; return the number of claims read."""
    remittances = read_835(text)
    problems = [problem for remittance in remittances for problem in balance_problems(remittance)]
    if problems:
        raise SystemExit(f"the benchmark file does not balance: {problems[:3]}")
    return sum(len(remittance.claims) for remittance in remittances)


def x12sdk_claims(text: str) -> int | str:
    """Parse with x12sdk and walk every claim; return the claim count or why it failed."""
    try:
        from x12sdk.io import X12ModelReader
    except ImportError:
        return "not installed"
    claims = 0
    try:
        with X12ModelReader(text) as reader:
            for model in reader.models():
                # models() is typed as the base class; an 835 model has claims().
                remittance: Any = model
                claims += sum(1 for _claim in remittance.claims())
    except Exception as error:  # noqa: BLE001 - report whatever x12sdk raises on our file
        return f"failed: {type(error).__name__}: {str(error)[:200]}"
    return claims


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=10_000, help="claims in the file")
    parser.add_argument("--lines", type=int, default=3, help="service lines per claim")
    parser.add_argument(
        "--repeat", type=int, default=3, help="reads with read_835; the median is reported"
    )
    parser.add_argument("--skip-pyx12", action="store_true", help="do not time pyx12")
    parser.add_argument("--skip-x12sdk", action="store_true", help="do not time x12sdk")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    started = time.perf_counter()
    text = write_file(args.claims, args.lines)
    written = time.perf_counter() - started
    segments = text.count("~")
    kilobytes = len(text.encode()) / 1024
    print(
        f"Wrote {args.claims} claims x {args.lines} lines: {segments} segments, "
        f"{kilobytes:.0f} KB, in {written:.2f} s (write_835).\n"
    )

    runs = []
    claims_read = 0
    for _run in range(args.repeat):
        started = time.perf_counter()
        claims_read = read_and_balance(text)
        runs.append(time.perf_counter() - started)
    ours = statistics.median(runs)

    rows = [("read_835 + balance_problems", ours, f"{claims_read} claims, balanced")]
    if not args.skip_pyx12:
        started = time.perf_counter()
        errors = pyx12_errors(text)
        rows.append(
            ("pyx12 4.0 (pyx12_errors)", time.perf_counter() - started, f"{len(errors)} errors")
        )
    if not args.skip_x12sdk:
        started = time.perf_counter()
        result = x12sdk_claims(text)
        elapsed = time.perf_counter() - started
        rows.append(
            (
                "x12sdk 2.2.0 (models + claims)",
                elapsed,
                f"{result} claims" if isinstance(result, int) else result,
            )
        )

    print("| parser | seconds | x read_835 | claims/s | result |")
    print("|---|---:|---:|---:|---|")
    for name, seconds, result in rows:
        print(
            f"| {name} | {seconds:.2f} | {seconds / ours:.1f} | {args.claims / seconds:.0f} | "
            f"{result} |"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
