"""Runs the shell examples of the README and ``docs/`` as written, and checks what they document.

The conventions (``docs/testing.md`` says the same for whoever writes a page):

- Every ```` ```sh ```` / ```` ```bash ```` block runs, from the repository root, against the local
  stack ``ff dev`` started; pages in the order the README links them, then any other page; blocks
  in the order of the page. It is one shell session, as for a reader following the README: a
  variable a block sets (``APP=$(...)``) is there for every later block and page. Nothing else is
  filled in: no placeholders.
- A block is cut into statements (a line, with its continuation lines, loops and open quotes);
  each must exit 0 and every ``curl`` in it must answer below 400.
- ``# → ...`` at the end of a statement's line states what it gives: a three-digit number is the
  HTTP status of its last ``curl``, ``exit N`` its exit status, and every other word must appear in
  its output (``# → 409 stale_version``).
- A block that cannot run here (deploying to AWS, a SQL Server, the test suite itself) is listed in
  :data:`tests.docs.not_run.NOT_RUN` by page and block number with its reason; the list is checked
  against the pages.

``uv run python -m tests.docs.runner [PAGE ...]`` runs pages against the stack already running.
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.docs.not_run import NOT_RUN

ROOT = Path(__file__).parents[2]
FENCE = re.compile(r"^```([\w-]*)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELLS = {"sh", "bash"}
CHECK = re.compile(r"\s#\s*→\s*(.*)$")
LINK = re.compile(r"\]\((docs/[\w.-]+\.md)\)")
STATEMENT_TIMEOUT_SECONDS = 300

PRELUDE = r"""
set -a -u
curl() {
  local headers url="" arg status rc
  headers=$(mktemp "$FF_DOCS_TMP/headers.XXXXXX")
  for arg in "$@"; do case $arg in http*) url=$arg;; esac; done
  command curl -D "$headers" "$@"; rc=$?
  status=$(grep -a '^HTTP/' "$headers" | tail -1 | cut -d' ' -f2)
  printf '%s %s\n' "${status:-000}" "$url" >> "$FF_DOCS_TMP/statuses"
  rm -f "$headers"
  return $rc
}
_ff_docs_save() { env -0 > "$FF_DOCS_TMP/env"; pwd > "$FF_DOCS_TMP/cwd"; }
trap _ff_docs_save EXIT
"""


@dataclass(frozen=True)
class Block:
    page: str
    number: int
    """1-based among the page's shell blocks: the key of :data:`NOT_RUN`."""
    line: int
    text: str


@dataclass(frozen=True)
class Statement:
    text: str
    line: int
    status: int | None = None
    exit: int = 0
    words: tuple[str, ...] = ()


@dataclass
class Result:
    statement: Statement
    output: str
    exit: int
    statuses: list[tuple[int, str]] = field(default_factory=list)

    def problems(self) -> list[str]:
        wanted, found = self.statement, []
        if self.exit != wanted.exit:
            found.append(f"exit status {self.exit}, not {wanted.exit}")
        codes = [s for s, _ in self.statuses]
        if wanted.status is not None:
            if not codes or codes[-1] != wanted.status:
                found.append(f"HTTP {codes[-1] if codes else 'none'}, not {wanted.status}")
            codes = codes[:-1]
        found += [f"HTTP {s} from {u}" for s, u in self.statuses[: len(codes)] if s >= 400]
        found += [f"no {w!r} in the output" for w in wanted.words if w not in self.output]
        return found


def pages() -> list[str]:
    """README, then the pages in the order the README links them, then any other page."""
    linked = LINK.findall((ROOT / "README.md").read_text())
    rest = sorted(f"docs/{p.name}" for p in (ROOT / "docs").glob("*.md"))
    ordered = ["README.md", *dict.fromkeys(linked)]
    return [*ordered, *(p for p in rest if p not in ordered)]


def blocks(page: str) -> list[Block]:
    text = (ROOT / page).read_text()
    found = [m for m in FENCE.finditer(text) if m.group(1) in SHELLS]
    return [
        Block(page, i, text[: m.start()].count("\n") + 2, m.group(2))
        for i, m in enumerate(found, start=1)
    ]


def _complete(text: str) -> bool:
    if text.rstrip().endswith("\\"):
        return False
    checked = subprocess.run(["bash", "-n"], input=text, text=True, capture_output=True)
    return checked.returncode == 0


def _statement(text: str, line: int) -> Statement:
    status, exit_, words = None, 0, []
    for source_line in text.splitlines():
        match = CHECK.search(source_line)
        if match is None:
            continue
        tokens = match.group(1).split()
        while tokens:
            token = tokens.pop(0)
            if re.fullmatch(r"[1-5]\d\d", token):
                status = int(token)
            elif token == "exit" and tokens and tokens[0].isdigit():
                exit_ = int(tokens.pop(0))
            else:
                words.append(token)
    return Statement(text, line, status, exit_, tuple(words))


def statements(block: Block) -> list[Statement]:
    """The block's top-level commands, each with its continuation lines."""
    out: list[Statement] = []
    pending: list[str] = []
    start = block.line
    for offset, line in enumerate(block.text.splitlines()):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            start = block.line + offset
        pending.append(line)
        joined = "\n".join(pending)
        if _complete(joined):
            out.append(_statement(joined, start))
            pending = []
    if pending:
        raise ValueError(f"{block.page}:{start}: an unfinished command ends the block")
    return out


class Session:
    """One reader's shell: the variables and working directory of every statement so far."""

    def __init__(self) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="ff-docs-"))
        self.env = {**os.environ, "FF_DOCS_TMP": str(self.tmp)}
        self.cwd = ROOT
        self._files_before = _top_level_files()

    def clean(self) -> None:
        """Remove the files the examples wrote into the repository root (charts, a payslip)."""
        for path in _top_level_files() - self._files_before:
            path.unlink(missing_ok=True)

    def run(self, statement: Statement) -> Result:
        statuses = self.tmp / "statuses"
        statuses.unlink(missing_ok=True)
        try:
            done = subprocess.run(
                ["bash", "-c", PRELUDE + statement.text],
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                timeout=STATEMENT_TIMEOUT_SECONDS,
            )
            output, code = done.stdout.decode(errors="replace"), done.returncode
        except subprocess.TimeoutExpired as exc:
            output = (exc.stdout or b"").decode(errors="replace")
            return Result(statement, output + "\n(timed out)", -1)
        self._load_state()
        return Result(statement, output, code, self._statuses(statuses))

    def _load_state(self) -> None:
        saved = self.tmp / "env"
        if saved.exists():
            pairs = (item.partition("=") for item in saved.read_bytes().decode().split("\0"))
            self.env = {k: v for k, _, v in pairs if k and not k.startswith("BASH_FUNC_")}
            self.cwd = Path((self.tmp / "cwd").read_text().strip())
            saved.unlink()

    @staticmethod
    def _statuses(path: Path) -> list[tuple[int, str]]:
        if not path.exists():
            return []
        rows = [line.split(" ", 1) for line in path.read_text().splitlines()]
        return [(int(r[0]), r[1] if len(r) > 1 else "") for r in rows]


def _top_level_files() -> set[Path]:
    return {p for p in ROOT.iterdir() if p.is_file()}


def not_run_problems() -> list[str]:
    """Entries of the allow-list that name no block, or give no reason."""
    problems = []
    for (page, number), reason in NOT_RUN.items():
        if not (ROOT / page).exists() or number > len(blocks(page)):
            problems.append(f"{page} block {number} is listed as not run but does not exist")
        if len(reason.strip()) < 10:
            problems.append(f"{page} block {number}: give the reason it cannot run")
    return problems


def run_page(session: Session, page: str, *, echo: bool = False) -> list[str]:
    """Every runnable block of ``page``; the problems found (empty: the page works as written)."""
    problems: list[str] = []
    for block in blocks(page):
        if (page, block.number) in NOT_RUN:
            continue
        for statement in statements(block):
            started = time.monotonic()
            result = session.run(statement)
            if echo:
                took = time.monotonic() - started
                print(f"$ {statement.text}   [{took:.1f}s]\n{_short(result.output)}", flush=True)
            found = result.problems()
            if found:
                head = statement.text.splitlines()[0]
                problems.append(
                    f"{page}:{statement.line} `{head}`: {'; '.join(found)}\n"
                    + _indent(result.output[-2000:])
                )
    return problems


def _short(text: str, limit: int = 400) -> str:
    return text if len(text) <= limit else f"{text[:limit]} … ({len(text)} characters)"


def _indent(text: str) -> str:
    return "".join(f"    | {line}\n" for line in text.rstrip().splitlines())


def main(argv: list[str]) -> int:
    session = Session()
    failed = 0
    for page in argv or pages():
        problems = run_page(session, page, echo=True)
        for problem in problems:
            print(f"FAILED {problem}", file=sys.stderr)
        failed += len(problems)
    session.clean()
    print(f"{failed} problem(s); shell state in {shlex.quote(str(session.tmp))}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
