"""Every relative link of the README and the guides points to a file that exists, and an anchor
to a heading of that file: a guide moved or a heading renamed breaks this test, not the reader."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .conftest import REPO

DOCUMENTS = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

FENCE = re.compile(r"^```.*?^```", re.S | re.M)
CODE = re.compile(r"`[^`\n]*`")
LINK = re.compile(r"!?\[[^\]\n]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^#{1,6} +(.+?) *#*$", re.M)


def prose(text: str) -> str:
    """The text outside code: a link written inside a code block or span is not a link."""
    return CODE.sub("", FENCE.sub("", text))


def anchors(path: Path) -> set[str]:
    """The heading anchors GitHub gives a Markdown file: lower case, punctuation dropped,
    spaces as hyphens, a repeated heading numbered -1, -2, ..."""
    seen: dict[str, int] = {}
    for heading in HEADING.findall(FENCE.sub("", path.read_text("utf-8"))):
        slug = re.sub(r"[^\w\- ]", "", heading.lower().replace("`", "")).replace(" ", "-")
        count = seen.get(slug, 0)
        seen[slug] = count + 1
        if count:
            seen[f"{slug}-{count}"] = 1
    return set(seen)


def relative_links(path: Path) -> list[str]:
    return [
        target
        for target in LINK.findall(prose(path.read_text("utf-8")))
        if not re.match(r"[a-z][a-z0-9+.-]*:", target)  # http:, https:, mailto:
    ]


LINKS = [(doc, target) for doc in DOCUMENTS for target in relative_links(doc)]


def test_the_guides_link_to_each_other():
    # The README's guide table alone links every guide.
    readme_targets = {target for doc, target in LINKS if doc.name == "README.md"}
    for guide in DOCUMENTS[1:]:
        assert f"docs/{guide.name}" in readme_targets, f"README does not link {guide.name}"


@pytest.mark.parametrize(
    ("document", "target"), LINKS, ids=[f"{d.relative_to(REPO)} -> {t}" for d, t in LINKS]
)
def test_relative_link_points_to_something_that_exists(document: Path, target: str):
    file_part, _, anchor = target.partition("#")
    linked = (document.parent / file_part).resolve() if file_part else document
    assert linked.exists(), f"{document.relative_to(REPO)}: {target} does not exist"
    if anchor and linked.suffix == ".md":
        assert anchor in anchors(linked), (
            f"{document.relative_to(REPO)}: {target}: no heading #{anchor} in {linked.name}"
        )
