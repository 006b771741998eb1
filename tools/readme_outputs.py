"""Rewrite the outputs of the console examples of the README and the guides from real runs.

    .venv/bin/python tools/readme_outputs.py [--max-lines 40] [README.md docs/analyst.md ...]

With no file named, the README and every docs/*.md are rewritten. Each ```console block is run
as tests/test_readme.py runs it (a fresh folder per block, the repository's config), and the
lines after each `$ fragwatch ...` are replaced with what the command printed: at most
--max-lines lines, then "..." when there were more. Lines a document shortened with a trailing
"..." are kept shortened where they still match. Check the result with
`pytest tests/test_readme.py` and read the diff: prose around the blocks is not touched.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BLOCK = re.compile(r"(```console\n)(.*?)(```)", re.S)


def run(args: list[str], cwd: Path) -> list[str]:
    env = {**os.environ, "FRAGWATCH_CONFIG_DIR": str(REPO / "config")}
    done = subprocess.run(
        [sys.executable, "-m", "fragwatch.cli", *args[1:]],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{shlex.join(args)} failed: {done.stderr.strip()}")
    return [line.rstrip() for line in done.stdout.splitlines()]


def rewrite(block: str, folder: Path, max_lines: int) -> str:
    out, command, shown = [], None, []

    def flush() -> None:
        if command is None:
            return
        actual = run(shlex.split(command), folder)
        kept = []
        for i, line in enumerate(actual[:max_lines]):
            old = shown[i] if i < len(shown) else None
            if old and old.endswith("...") and line.startswith(old[:-3]):
                kept.append(old)
            else:
                kept.append(line)
        if len(actual) > max_lines:
            kept.append("...")
        out.extend(kept)

    for line in block.splitlines():
        if line.startswith("$ "):
            flush()
            out.append(line)
            command, shown = line[2:], []
        elif command is None:
            out.append(line)
        else:
            shown.append(line)
    flush()
    return "\n".join(out) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-lines", type=int, default=40)
    parser.add_argument("documents", nargs="*", type=Path, help="default: README and docs/*.md")
    args = parser.parse_args()
    documents = args.documents or [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
    for document in documents:
        rewrite_document(document, args.max_lines)


def rewrite_document(document: Path, max_lines: int) -> None:
    text = document.read_text(encoding="utf-8")
    with tempfile.TemporaryDirectory() as tmp:
        parts, last = [], 0
        for number, match in enumerate(BLOCK.finditer(text)):
            folder = Path(tmp) / f"block-{number}"
            folder.mkdir()
            parts += [text[last : match.start(2)], rewrite(match.group(2), folder, max_lines)]
            last = match.end(2)
            print(f"{document.name}: block {number} rewritten", file=sys.stderr)
        parts.append(text[last:])
    document.write_text("".join(parts), encoding="utf-8")


if __name__ == "__main__":
    main()
