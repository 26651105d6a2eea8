"""Run every bench with modest sizes and print one table: path | figure | floor | ratio | target.

    uv run python bench/run_all.py [--only api,obv,...] [--logs DIR]

Each bench runs in its own process, one after another, and measures its floor in the same run
as its figure; this script only parses what each prints. A bench that fails (a missing tool,
a server that would not start) shows as failed with its log, and the others still run. Needs
what the benches need: `apt-get install -y nginx wrk openssh-server openssh-client`, PostgreSQL
and Redis on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable

BENCHES: dict[str, list[str]] = {
    "api": [PY, "bench/api_bench.py", "--seconds", "3", "--rounds", "2"],
    "mixed": [
        PY,
        "bench/mixed_bench.py",
        "--seconds",
        "20",
        "--start-rate",
        "2",
        "--quote-seconds",
        "3",
    ],
    "obv": [PY, "bench/obv_bench.py", "--applications", "20", "--transactions", "1000"],
    "tracker": [
        PY,
        "bench/tracker_bench.py",
        "--events",
        "20000",
        "--e2e-events",
        "200",
        "--lanes",
        "4",
        "--max-depth",
        "30",
    ],
    "lms": [PY, "bench/lms_bench.py", "--size-mb", "100"],
    "gateway": [PY, "-m", "bench.gateway_bench", "--seconds", "3", "--samples", "200"],
}

NUMBER = r"([\d,]+(?:\.\d+)?)"


@dataclass(frozen=True)
class Row:
    bench: str
    path: str
    figure: str
    """Regex whose first group is the figure (and an optional second group, a suffix)."""
    floor: str
    unit: str
    target: str


ROWS = [
    Row(
        "api",
        "decision engine, declared figures",
        rf"^decision engine\s+{NUMBER} decisions/s",
        rf"floor: msgspec round trip of the same application\s+{NUMBER}",
        "decisions/s",
        ">= 20,000/s on one core",
    ),
    Row(
        "api",
        "decision engine, 12 months verified by open banking",
        rf"verified by open banking .*\)\s+{NUMBER} decisions/s",
        rf"floor: msgspec round trip of the same application\s+{NUMBER}",
        "decisions/s",
        ">= 2,000/s",
    ),
    Row(
        "api",
        "  the same from the fetched report (decode + map + decide)",
        rf"from the report as fetched .*\)\s+{NUMBER} /s",
        rf"floor: msgspec decode of the same report\s+{NUMBER}",
        "/s",
        "-",
    ),
    Row(
        "api",
        "POST /v1/quotes, 32 connections, every amount and term",
        rf"^POST /v1/quotes .*\s{NUMBER} req/s\s+(p99 [\d.]+ ms)",
        rf"floor: bare ASGI endpoint.*?\s{NUMBER} req/s",
        "req/s",
        ">= 60% of bare ASGI, p99 < 10 ms",
    ),
    Row(
        "mixed",
        "API under a mixed load (journeys + staff queue, real tokens)",
        rf"^API under a mixed load .*\s{NUMBER} req/s\s+(p99 [\d.-]+ ms)",
        rf"beside it: POST /v1/quotes on the same server .*\s{NUMBER} req/s",
        "req/s",
        "highest rate held 60 s, p99 < 100 ms, no error",
    ),
    Row(
        "obv",
        "obv-archiver",
        rf"^obv-archiver run .*\s{NUMBER} transactions/s",
        rf"floor: bare COPY of the same rows.*\s{NUMBER} transactions/s",
        "txn/s",
        ">= 60% of COPY",
    ),
    Row(
        "tracker",
        "tracker-processor core",
        rf"^processor core .*\s{NUMBER} events/s",
        rf"floor: COPY of the same rows into the same tables\s+{NUMBER} events/s",
        "events/s",
        ">= 50% of COPY",
    ),
    Row(
        "tracker",
        "tracker end to end (moto SQS FIFO)",
        rf"^end to end .*\s{NUMBER} events/s",
        rf"(?s)end to end .*?floor: COPY of the same rows into the same tables\s+{NUMBER}",
        "events/s",
        "-",
    ),
    Row(
        "tracker",
        "tracker demo load (ff tracker generate, paced)",
        rf"^demo load, paced.*\({NUMBER} events/s, ([\d.]+ s)",
        rf"(?s)demo load, paced.*?floor: COPY of the same rows into the same tables\s+{NUMBER}",
        "events/s",
        "< 30 s end to end",
    ),
    Row(
        "tracker",
        "  the same unpaced",
        rf"^demo load, unpaced.*\({NUMBER} events/s, ([\d.]+ s)",
        rf"(?s)demo load, unpaced.*?floor: COPY of the same rows into the same tables\s+{NUMBER}",
        "events/s",
        "-",
    ),
    Row(
        "lms",
        "lms-restorer fetch (asyncssh server)",
        rf"^fetch \(SFTP, hashed\)\s+{NUMBER} MB/s",
        rf"^floor: read \+ SHA-256 locally\s+{NUMBER} MB/s",
        "MB/s",
        "-",
    ),
    Row(
        "lms",
        "lms-restorer fetch beside OpenSSH sftp (same sshd)",
        rf"^fetch from sshd \(hashed\)\s+{NUMBER} MB/s",
        rf"^floor: OpenSSH sftp \(same sshd\)\s+{NUMBER} MB/s",
        "MB/s",
        ">= 80% of OpenSSH sftp",
    ),
    Row(
        "gateway",
        "gateway, OBV",
        rf"(?s)^OBV\n.*?through the gateway\s+{NUMBER} req/s",
        rf"(?s)^OBV\n\s+direct to the simulator\s+{NUMBER} req/s",
        "req/s",
        "-",
    ),
    Row(
        "gateway",
        "gateway, Dynamics",
        rf"(?s)^Dynamics\n.*?through the gateway\s+{NUMBER} req/s",
        rf"(?s)^Dynamics\n\s+direct to the simulator\s+{NUMBER} req/s",
        "req/s",
        "-",
    ),
]


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def run(name: str, argv: list[str], logs: Path) -> tuple[str, bool]:
    log = logs / f"{name}.log"
    started = time.monotonic()
    print(f"running {name}: {' '.join(argv[1:])}", file=sys.stderr, flush=True)
    try:
        done = subprocess.run(
            argv, cwd=ROOT, capture_output=True, text=True, timeout=1_800, check=False
        )
        output, ok = done.stdout + done.stderr, done.returncode == 0
    except subprocess.TimeoutExpired as exc:
        output, ok = f"{exc.stdout or ''}{exc.stderr or ''}\ntimed out", False
    log.write_text(output)
    print(
        f"  {name}: {'ok' if ok else 'FAILED'} in {time.monotonic() - started:.0f}s ({log})",
        file=sys.stderr,
        flush=True,
    )
    return output, ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=",".join(BENCHES), help="comma-separated benches")
    parser.add_argument("--logs", type=Path, default=None, help="where each bench's output goes")
    args = parser.parse_args()
    chosen = [b.strip() for b in args.only.split(",") if b.strip()]
    logs = args.logs or Path(tempfile.mkdtemp(prefix="ff-bench-all-"))
    logs.mkdir(parents=True, exist_ok=True)
    outputs = {name: run(name, BENCHES[name], logs) for name in chosen}
    table = [("path", "figure", "floor", "ratio", "target")]
    for row in ROWS:
        if row.bench not in outputs:
            continue
        output, ok = outputs[row.bench]
        figure = re.search(row.figure, output, re.MULTILINE)
        floor = re.search(row.floor, output, re.MULTILINE)
        if not (figure and floor):
            note = "failed, see " + str(logs / f"{row.bench}.log") if not ok else "not printed"
            table.append((row.path, note, "", "", row.target))
            continue
        value, base = _number(figure.group(1)), _number(floor.group(1))
        extra = f" {figure.group(2)}" if figure.lastindex and figure.lastindex > 1 else ""
        table.append(
            (
                row.path,
                f"{value:,.0f} {row.unit}{extra}",
                f"{base:,.0f} {row.unit}",
                f"{value / base:.1%}",
                row.target,
            )
        )
    widths = [max(len(r[i]) for r in table) for i in range(5)]
    for i, cells in enumerate(table):
        print("| " + " | ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)) + " |")
        if i == 0:
            print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    print(f"\nlogs: {logs}")


if __name__ == "__main__":
    main()
