"""The README and the pages under docs/ link only to files and headings that exist."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
INLINE_CODE = re.compile(r"`[^`\n]*`")


def _links(text: str) -> list[str]:
    prose = INLINE_CODE.sub("", FENCE.sub("", text))
    return LINK.findall(prose)


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = INLINE_CODE.sub(lambda m: m.group(0).strip("`"), heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    text = FENCE.sub("", path.read_text())
    return {_anchor(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE)}


def _is_relative(target: str) -> bool:
    return not re.match(r"^[a-z][a-z0-9+.-]*:", target)


def test_the_pages_are_found() -> None:
    names = {p.name for p in PAGES}
    assert {"README.md", "settings.md", "errors.md", "local-stack.md"} <= names


def test_anchors_follow_github() -> None:
    assert _anchor("A customer's journey with curl") == "a-customers-journey-with-curl"
    assert _anchor("The nightly loan-book backup (lms-restorer)") == (
        "the-nightly-loan-book-backup-lms-restorer"
    )


def test_links_are_found_outside_code() -> None:
    text = "see [a](a.md) and [b](b.md#x), not `[c](c.md)` nor\n```\n[d](d.md)\n```\n"
    assert _links(text) == ["a.md", "b.md#x"]


def _broken_links(page: Path) -> list[str]:
    broken = []
    for target in _links(page.read_text()):
        if not _is_relative(target):
            continue
        path_part, _, anchor = target.partition("#")
        resolved = (page.parent / path_part).resolve() if path_part else page
        if not resolved.exists() or (
            anchor and (resolved.suffix != ".md" or anchor not in _anchors(resolved))
        ):
            broken.append(target)
    return broken


def test_a_missing_file_or_heading_is_reported(tmp_path: Path) -> None:
    (tmp_path / "other.md").write_text("# Other page\n\n## A section\n")
    page = tmp_path / "page.md"
    page.write_text(
        "# Page\n\n[ok](other.md#a-section) [self](#page) [web](https://example.com)\n"
        "[gone](missing.md) [no heading](other.md#nowhere) [no self](#nowhere)\n"
    )
    assert _broken_links(page) == ["missing.md", "other.md#nowhere", "#nowhere"]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_relative_link_resolves(page: Path) -> None:
    assert _broken_links(page) == []
