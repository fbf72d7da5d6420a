"""Measure writing claims as an 837P file and checking the file with pyx12.

    python bench/bench_837p.py --claims 5000

The claims are the test samples' deterministic mix (tests/x12/claim_samples.py,
`varied_claim`): 1 to 6 lines, 1 to 12 diagnoses, dependents, NDC lines, and 0 to 2
prior payers with line- or claim-level adjudication. The script times `write_837p`
`--repeat` times for each transaction size and reports the median, then runs
`pyx12_errors` once on the file with 100 claims per transaction. It prints Markdown
tables.
"""

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # lets `python bench/bench_837p.py` find the app package
    sys.path.insert(0, str(ROOT))

from app.x12.claim_data import ClaimDocument  # noqa: E402
from app.x12.validate import pyx12_errors  # noqa: E402
from app.x12.writer_837p import Written837, write_837p  # noqa: E402
from tests.x12.claim_samples import TEST_SUBMITTER, varied_claim  # noqa: E402

CREATED_AT = datetime(2026, 3, 3, 14, 5, tzinfo=UTC)
TRANSACTION_SIZES = (1, 100)


def write_file(claims: list[ClaimDocument], claims_per_transaction: int) -> Written837:
    return write_837p(
        TEST_SUBMITTER,
        claims,
        interchange_number=1,
        group_number=1,
        created_at=CREATED_AT,
        claims_per_transaction=claims_per_transaction,
    )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--claims", type=int, default=5000, help="claims in the file")
    parser.add_argument(
        "--repeat", type=int, default=3, help="writes per transaction size; the median is reported"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)

    started = time.perf_counter()
    claims = [varied_claim(index) for index in range(args.claims)]
    built = time.perf_counter() - started
    lines = sum(len(claim.lines) for claim in claims)
    print(f"Built {len(claims)} claim documents with {lines} service lines in {built:.2f} s.\n")

    print("### write_837p\n")
    print("| claims per ST | claims | segments | size KB | median s | claims/s |")
    print("|---:|---:|---:|---:|---:|---:|")
    written = None
    for size in TRANSACTION_SIZES:
        runs = []
        for _run in range(args.repeat):
            started = time.perf_counter()
            written = write_file(claims, size)
            runs.append(time.perf_counter() - started)
        median = statistics.median(runs)
        segments = written.text.count("~")
        kilobytes = len(written.text.encode()) / 1024
        print(
            f"| {size} | {len(claims)} | {segments} | {kilobytes:.0f} | {median:.2f} | "
            f"{len(claims) / median:.0f} |"
        )

    assert written is not None
    started = time.perf_counter()
    errors = pyx12_errors(written.text)
    checked = time.perf_counter() - started
    print("\n### pyx12_errors (in process, same file)\n")
    print("| claims per ST | segments | seconds | segments/s | errors |")
    print("|---:|---:|---:|---:|---:|")
    segments = written.text.count("~")
    print(
        f"| {TRANSACTION_SIZES[-1]} | {segments} | {checked:.2f} | {segments / checked:.0f} | "
        f"{len(errors)} |"
    )
    return 0 if not errors else 1


if __name__ == "__main__":
    raise SystemExit(main())
