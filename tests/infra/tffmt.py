"""A check of the parts of `terraform fmt` style that matter in review, without Terraform:
no tabs, no trailing spaces, one final newline, no double blank lines, two-space indentation
that follows the nesting of braces and brackets, and `=` aligned across each run of one-line
attributes at the same depth (what `terraform fmt` does). Heredocs are left alone."""

from __future__ import annotations

import re
from pathlib import Path

_ATTR = re.compile(r"^(\s*)([A-Za-z0-9_\-\"]+)(\s*)=(?!=)\s*(.*)$")


def _strip_strings(line: str) -> str:
    """The line without string contents and comments, for counting brackets."""
    out: list[str] = []
    in_string = False
    depth_interp = 0
    i = 0
    while i < len(line):
        ch = line[i]
        if in_string:
            if ch == "\\":
                i += 2
                continue
            if line.startswith("${", i):
                depth_interp += 1
                i += 2
                continue
            if ch == "}" and depth_interp:
                depth_interp -= 1
            elif ch == '"' and not depth_interp:
                in_string = False
            i += 1
            continue
        if ch == '"':
            in_string = True
        elif ch == "#" or line.startswith("//", i):
            break
        else:
            out.append(ch)
        i += 1
    return "".join(out)


def problems(path: Path) -> list[str]:
    text = path.read_text()
    found: list[str] = []
    if not text.endswith("\n") or text.endswith("\n\n"):
        found.append(f"{path}: must end with exactly one newline")
    lines = text.split("\n")[:-1]
    indents: list[int] = []  # open brackets per indentation level, as hclwrite keeps them
    heredoc: str | None = None
    run: list[tuple[int, int, int]] = []  # (line number, width of the key part, "=" column)

    def close_run() -> None:
        if len(run) > 1:
            want = max(width for _, width, _ in run) + 1
            wrong = [number for number, _, column in run if column != want]
            if wrong:
                numbers = ", ".join(str(n) for n in wrong)
                found.append(f"{path}:{run[0][0]}: '=' not aligned at column {want}: {numbers}")
        run.clear()

    blank = 0
    for number, line in enumerate(lines, start=1):
        if heredoc is not None:
            if line.strip() == heredoc:
                heredoc = None
            continue
        if "\t" in line:
            found.append(f"{path}:{number}: tab")
        if line != line.rstrip():
            found.append(f"{path}:{number}: trailing whitespace")
        stripped = line.strip()
        blank = blank + 1 if not stripped else 0
        if blank > 1:
            found.append(f"{path}:{number}: more than one blank line")
        if not stripped:
            close_run()
            continue
        code = _strip_strings(line)
        net = sum(code.count(c) for c in "{[(") - sum(code.count(c) for c in "}])")
        if net < 0:
            closed = -net
            while closed > 0 and indents:
                if closed >= indents[-1]:
                    closed -= indents.pop()
                else:
                    indents[-1] -= closed
                    closed = 0
        expected = 2 * len(indents)
        if net > 0:
            indents.append(net)
        indent = len(line) - len(line.lstrip(" "))
        if indent != expected:
            found.append(f"{path}:{number}: indented {indent}, expected {expected}")
        match = _ATTR.match(line)
        if match is not None and net == 0 and not stripped.startswith("#"):
            key_width = len(match.group(1)) + len(match.group(2))
            run.append((number, key_width, key_width + len(match.group(3))))
        else:
            close_run()
        heredoc_start = re.search(r"<<-?([A-Z_]+)\s*$", code)
        if heredoc_start:
            heredoc = heredoc_start.group(1)
    close_run()
    if indents:
        found.append(f"{path}: unbalanced brackets at end of file")
    return found
