"""The generated settings table: one row per variable, four cells in each."""

from __future__ import annotations

import re

from ff_workers.cli.settings_cmd import markdown_table

UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def test_a_pipe_inside_a_cell_is_escaped_so_every_row_has_four_cells() -> None:
    rows = markdown_table().splitlines()

    cells = [UNESCAPED_PIPE.split(row)[1:-1] for row in rows]

    assert {len(c) for c in cells} == {4}
    environment = next(c for c in cells if "`FF_ENVIRONMENT`" in c[0])
    assert environment[1].strip() == "local \\| test \\| production"
