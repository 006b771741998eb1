"""``fragwatch extract`` and ``fragwatch evidence add`` through the real command.

The round trip an analyst makes: extract a report, review the candidates file (here: edit it
in the test), add it to a temporary evidence library, and find the new evidence with its quote
in ``fragwatch explain``. Bad input of every kind gets one clear line and writes nothing.
"""

from __future__ import annotations

import csv
import io
import random
import re
import textwrap
from pathlib import Path

import pytest

from .conftest import REPO, run_cli

PREFIX = "fragwatch: error: "
# The example report of the analyst's guide (docs/analyst.md, "Evidence from new reports");
# test_readme_example checks the output the guide shows for it.
REPORT = """Tajikistan Monitor, March 2017

Remittances to Tajikistan fell to 26.7 per cent of GDP in 2016, the central bank said.

Some 150,000 Tajik migrants returned home from Russia last year.

In January, customs officers seized 310 kg of heroin near the Afghan border.

On 12 February, armed men attacked a border post in the Khatlon region, leaving two guards dead.
"""
EXTRACT = ["extract", "report.txt", "--source-id", "monitor-2017-03", "--published", "2017-03-01"]
# What the guide shows `fragwatch extract` print for it (with --publisher, --out).
README_OUTPUT = """\
report.txt: source monitor-2017-03, country TJK, 5 candidate(s)
  0.85 observation remittances_gdp        TJK 2016       26.7 percent     Remittances to Tajikistan fell to 26.7 per cent o…
  0.85 observation migrant_returns        TJK 2016       150000 persons   Some 150,000 Tajik migrants returned home from Ru…
  0.75 event       border_raid            TJK 2017-02-12 2 dead           On 12 February, armed men attacked a border post…
  0.75 event       armed_attack           TJK 2017-02-12 2 dead           On 12 February, armed men attacked a border post…
  0.70 observation heroin_seizures        TJK 2017-01    310 kg           In January, customs officers seized 310 kg of her…
5 candidate(s): 3 observation(s), 2 event(s) from 1 report(s), written to candidates.csv (texts in candidates.sources/); review it, then: fragwatch evidence add candidates.csv
"""  # noqa: E501


@pytest.fixture
def work(tmp_path: Path) -> Path:
    folder = tmp_path / "work"
    folder.mkdir()
    (folder / "report.txt").write_text(REPORT, "utf-8")
    return folder


def env(tmp_path: Path) -> dict[str, str]:
    return {
        "FRAGWATCH_CONFIG_DIR": str(REPO / "config"),
        "FRAGWATCH_EVIDENCE_DIR": str(tmp_path / "library"),
    }


def fragwatch(*args: str, cwd: Path, tmp_path: Path):
    return run_cli(*args, cwd=cwd, env=env(tmp_path))


def clean_error(result, code: int, *words: str) -> str:
    shown = f"exit {result.returncode}\nstderr: {result.stderr}\nstdout: {result.stdout}"
    assert result.returncode == code, shown
    assert "Traceback" not in result.stderr, shown
    lines = result.stderr.splitlines()
    assert len(lines) == 1, shown
    assert lines[0].startswith(PREFIX), shown
    for word in words:
        assert word in lines[0], shown
    return lines[0]


def read_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text("utf-8"))))


def write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def snapshot(root: Path) -> dict[str, bytes | None]:
    return {
        p.relative_to(root).as_posix(): (p.read_bytes() if p.is_file() else None)
        for p in sorted(root.rglob("*"))
    }


# -- the round trip --------------------------------------------------------------------------


def test_extract_review_add_explain(work, tmp_path):
    result = fragwatch(*EXTRACT, "--out", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = read_rows(work / "candidates.csv")
    text = (work / "candidates.sources" / "texts" / "monitor-2017-03.txt").read_text("utf-8")
    assert text == REPORT
    for row in rows:
        assert text[int(row["start"]) : int(row["end"])] == row["quote"]
    found = {(r["record"], r["quantity"] or r["kind"], r["period"] or r["date"]) for r in rows}
    assert found == {
        ("observation", "remittances_gdp", "2016"),
        ("observation", "migrant_returns", "2016"),
        ("observation", "heroin_seizures", "2017-01"),
        ("event", "armed_attack", "2017-02-12"),
        ("event", "border_raid", "2017-02-12"),
    }

    # Review: the raid is a border incident, not also an attack inside the country; "some
    # 150,000" is kept as an approximate value but the analyst widens it to a range.
    rows = [r for r in rows if r["kind"] != "armed_attack"]
    migrants = next(r for r in rows if r["quantity"] == "migrant_returns")
    migrants.update(value="", low="140000", high="160000", note="reviewed: 'some 150,000'")
    write_rows(work / "candidates.csv", rows)

    added = fragwatch("evidence", "add", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert added.returncode == 0, added.stderr
    assert added.stdout.startswith("added 3 observation(s) and 1 event(s) from monitor-2017-03")
    batches = [p for p in (tmp_path / "library").iterdir() if not p.name.startswith(".")]
    assert len(batches) == 1
    assert (batches[0] / "texts" / "monitor-2017-03.txt").read_text("utf-8") == REPORT

    explained = fragwatch("explain", "--as-of", "2017-06-01", cwd=work, tmp_path=tmp_path)
    assert explained.returncode == 0, explained.stderr
    out = explained.stdout
    assert (
        "[tjk-remittances_gdp-2016-monitor-2017-03] \u201cRemittances to Tajikistan fell to"
        " 26.7 per cent of GDP in 2016, the central bank said.\u201d"
    ) in out
    # The line now names the layer the reading came from.
    assert "Remittance share of GDP [remittances_gdp] (reports): 26.7 percent of GDP" in out
    assert "[tjk-border_raid-2017-02-12-monitor-2017-03]" in out
    assert "tjk-armed_attack-2017-02-12-monitor-2017-03" not in out

    # The library is layered by every command: the quotes check out with the stored text.
    checked = fragwatch("evidence", "validate", str(batches[0]), cwd=work, tmp_path=tmp_path)
    assert checked.returncode == 0, checked.stderr


def test_readme_example(work, tmp_path):
    """The output the analyst guide's 'Evidence from new reports' section shows."""
    result = fragwatch(
        *EXTRACT,
        "--publisher",
        "Tajikistan Monitor",
        "--out",
        "candidates.csv",
        cwd=work,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == README_OUTPUT
    added = fragwatch("evidence", "add", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert re.fullmatch(
        r"added 3 observation\(s\) and 2 event\(s\) from monitor-2017-03 as \S+"
        r"/\d{8}-\d{6}-monitor-2017-03\n",
        added.stdout,
    ), added.stdout + added.stderr


def test_without_out_it_only_shows_the_candidates(work, tmp_path):
    result = fragwatch(*EXTRACT, cwd=work, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1].endswith("--out FILE.csv writes them for review")
    assert sorted(p.name for p in work.iterdir()) == ["report.txt"]


# -- other formats ---------------------------------------------------------------------------

PAGE = """<!DOCTYPE html>
<html><head><title>Tajikistan: border under pressure | Example News</title>
<meta property="og:site_name" content="Example News"><style>p { color: red }</style>
<script>var remittances = "99 per cent of GDP";</script></head>
<body>
<header><a href="/">Home</a> | <a href="/world">World</a></header>
<nav class="menu"><ul><li><a href="/a">Tajikistan in 2016: 12 per cent of GDP</a></li></ul></nav>
<div class="cookie-banner">We use cookies. 100% of visitors accept them.</div>
<article>
  <h1>Tajikistan: border under pressure</h1>
  <p>Remittances to Tajikistan were
     about 28 per cent of GDP in 2016, the World Bank said.</p>
  <div class="share-buttons"><a href="#">Share</a> <a href="#">Tweet</a></div>
  <p>In March 2017 border guards said the Taliban had over 2,000 fighters on the
     Tajik border.</p>
</article>
<aside>Related: Kyrgyzstan seized 50 kg of heroin in 2016.</aside>
<footer>&copy; 2017 Example News. All rights reserved.</footer>
</body></html>
"""


def test_html_navigation_and_boilerplate_are_left_out(tmp_path):
    (tmp_path / "page.html").write_text(PAGE, "utf-8")
    result = fragwatch(
        "extract",
        "page.html",
        "--source-id",
        "example-2017",
        "--published",
        "2017-04-01",
        "--out",
        "c.csv",
        cwd=tmp_path,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    text = (tmp_path / "c.sources" / "texts" / "example-2017.txt").read_text("utf-8")
    assert text.splitlines() == [
        "Tajikistan: border under pressure",
        "",
        "Remittances to Tajikistan were about 28 per cent of GDP in 2016, the World Bank said.",
        "",
        "In March 2017 border guards said the Taliban had over 2,000 fighters on the Tajik border.",
    ]
    rows = read_rows(tmp_path / "c.csv")
    assert [(r["quantity"], r["period"], r["value"], r["low"]) for r in rows] == [
        ("remittances_gdp", "2016", "28", ""),
        ("militants_near_border", "2017-03", "", "2000"),
    ]
    sources = read_rows(tmp_path / "c.sources" / "sources.csv")
    assert sources[0]["title"] == "Tajikistan: border under pressure | Example News"
    assert sources[0]["publisher"] == "Example News"


def pdf_bytes(lines: list[str] | None) -> bytes:
    """A one-page PDF written by hand: Helvetica text lines, or no text layer at all."""
    if lines:
        escaped = (ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for ln in lines)
        content = "BT /F1 11 Tf 14 TL 72 720 Td " + " ".join(f"({ln}) Tj T*" for ln in escaped)
        content += " ET"
        page = "/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R "
    else:
        content, page = "", ""
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] {page}>>",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        f"<< /Length {len(content)} >>\nstream\n{content}\nendstream",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{o:010d} 00000 n \n" for o in offsets).encode()
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def test_pdf_text_layer(tmp_path):
    lines = [
        "Tajikistan briefing",
        "",
        "In 2015, Tajikistan intercepted 410 kg of heroin, the drug control agency said in",
        "a statement on its annual results.",
    ]
    (tmp_path / "brief.pdf").write_bytes(pdf_bytes(lines))
    result = fragwatch(
        "extract",
        "brief.pdf",
        "--source-id",
        "brief-2016",
        "--published",
        "2016-02-01",
        "--out",
        "c.csv",
        cwd=tmp_path,
        tmp_path=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    rows = read_rows(tmp_path / "c.csv")
    assert [(r["quantity"], r["period"], r["value"], r["unit"]) for r in rows] == [
        ("heroin_seizures", "2015", "410", "kg")
    ]
    # The printed lines of a paragraph are joined: a quote is one line of the stored text.
    assert rows[0]["quote"] == (
        "In 2015, Tajikistan intercepted 410 kg of heroin, the drug control agency said in"
        " a statement on its annual results."
    )


# -- a folder of reports ---------------------------------------------------------------------


def make_folder(tmp_path: Path, n: int) -> Path:
    folder = tmp_path / "reports"
    folder.mkdir()
    for i in range(n):
        (folder / f"week-{i:03d}.txt").write_text(
            f"Tajikistan weekly {i}\n\nIn 2016, Tajikistan intercepted {100 + i} kg of heroin.\n",
            "utf-8",
        )
    return folder


SEED_TEXTS = sorted((REPO / "src" / "fragwatch" / "evidence" / "data" / "texts").glob("0*.txt"))


@pytest.mark.parametrize("seed", SEED_TEXTS, ids=[p.stem[:3] for p in SEED_TEXTS])
def test_a_hard_wrapped_copy_of_a_report_gives_the_same_candidates(tmp_path, seed):
    """The seed reports printed at 72 columns (as mail and text exports are): the lines of a
    paragraph are joined again, so every figure, period, country and quote is the original's,
    and each quote is found where its row says in the text stored for review."""
    text = seed.read_text("utf-8")
    paragraphs = [line for line in text.splitlines() if line.strip()]
    wrapped = "\n\n".join(
        textwrap.fill(p, 72, break_long_words=False, break_on_hyphens=False) for p in paragraphs
    )
    lines = wrapped.splitlines()
    assert sum(len(line) > 72 for line in lines) <= 3 < len(lines) // 4  # long URLs alone
    assert max(map(len, paragraphs)) > 100
    (tmp_path / "original.txt").write_text(text, "utf-8")
    (tmp_path / "wrapped.txt").write_text(wrapped + "\n", "utf-8")
    found = {}
    for name in ("original", "wrapped"):
        args = ["extract", f"{name}.txt", "--source-id", "r", "--published", "2016-01-11"]
        done = fragwatch(*args, "--out", f"{name}.csv", cwd=tmp_path, tmp_path=tmp_path)
        assert done.returncode == 0, done.stderr
        rows = read_rows(tmp_path / f"{name}.csv")
        found[name] = sorted(
            tuple((k, v) for k, v in row.items() if k not in ("start", "end")) for row in rows
        )
    assert found["original"]
    assert found["wrapped"] == found["original"]
    stored = (tmp_path / "wrapped.sources" / "texts" / "r.txt").read_text("utf-8")
    for row in read_rows(tmp_path / "wrapped.csv"):  # each quote where the row says, one line
        assert stored[int(row["start"]) : int(row["end"])] == row["quote"]


def test_a_folder_of_reports_shows_a_progress_bar_when_asked(tmp_path):
    make_folder(tmp_path, 30)
    args = ["extract", "reports", "--source-id", "weekly", "--published", "2017-01-15"]
    result = fragwatch(*args, "--progress", "--out", "c.csv", cwd=tmp_path, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "extracting" in result.stderr
    assert "30/30" in result.stderr
    rows = read_rows(tmp_path / "c.csv")
    assert len(rows) == 30
    assert rows[0]["source_id"] == "weekly-week-000"
    assert len(read_rows(tmp_path / "c.sources" / "sources.csv")) == 30


def test_no_progress_bar_when_stderr_is_not_a_terminal(tmp_path):
    make_folder(tmp_path, 3)
    args = ["extract", "reports", "--source-id", "weekly", "--published", "2017-01-15"]
    result = fragwatch(*args, cwd=tmp_path, tmp_path=tmp_path)
    assert result.returncode == 0
    assert result.stderr == ""
    assert result.stdout.count("reports/week-") == 3


# -- bad input -------------------------------------------------------------------------------


def bad_files(tmp_path: Path) -> dict[str, tuple[str, bytes]]:
    rng = random.Random(7)
    return {
        "empty": ("empty.txt", b""),
        "blank": ("blank.txt", b"  \n\n \t\n"),
        "binary": ("data.bin", bytes(rng.randrange(256) for _ in range(2000)) + b"\x00" * 10),
        "image": ("photo.txt", b"\x89PNG\r\n\x1a\n" + b"\x00" * 100),
        "docx": ("report.docx", b"PK\x03\x04" + b"\x00" * 100),
        "encoding": ("legacy.txt", bytes(rng.randrange(128, 256) for _ in range(300))),
        "scan": ("scan.pdf", pdf_bytes(None)),
        "broken pdf": ("broken.pdf", b"%PDF-1.4\nthis is not a PDF body\n"),
    }


EXPECTED = {
    "empty": "empty",
    "blank": "empty",
    "binary": "binary file",
    "image": "PNG image",
    "docx": "ZIP archive",
    "encoding": "cannot tell the text encoding",
    "scan": "no text layer",
    "broken pdf": "not a readable PDF",
}


@pytest.mark.parametrize("case", list(EXPECTED))
def test_unreadable_files_get_one_clear_line_and_nothing_is_written(tmp_path, case):
    name, data = bad_files(tmp_path)[case]
    (tmp_path / name).write_bytes(data)
    before = snapshot(tmp_path)
    args = ["extract", name, "--source-id", "x", "--published", "2016-01-01", "--out", "c.csv"]
    result = fragwatch(*args, cwd=tmp_path, tmp_path=tmp_path)
    message = clean_error(result, 4, name, EXPECTED[case])
    assert result.stdout == ""
    assert snapshot(tmp_path) == before, message


def test_skip_unreadable_warns_and_goes_on(tmp_path):
    folder = make_folder(tmp_path, 2)
    (folder / "empty.txt").write_bytes(b"")
    args = ["extract", "reports", "--source-id", "w", "--published", "2017-01-15"]
    result = fragwatch(
        *args, "--skip-unreadable", "--out", "c.csv", cwd=tmp_path, tmp_path=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert result.stderr.splitlines() == [
        "fragwatch: warning: skipped reports/empty.txt: the file is empty: there is no text"
        " to extract"
    ]
    assert len(read_rows(tmp_path / "c.csv")) == 2


def test_a_declared_or_detected_encoding_is_used(tmp_path):
    text = "Tajikistan\n\nIn 2016, Tajikistan intercepted 410 kg of heroin – a record low.\n"
    (tmp_path / "r.txt").write_bytes(text.encode("cp1252"))
    args = ["extract", "r.txt", "--source-id", "r", "--published", "2017-01-15"]
    forced = fragwatch(*args, "--encoding", "cp1252", cwd=tmp_path, tmp_path=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "heroin_seizures" in forced.stdout
    unknown = fragwatch(*args, "--encoding", "klingon-8", cwd=tmp_path, tmp_path=tmp_path)
    clean_error(unknown, 4, "--encoding", "unknown encoding 'klingon-8'")


GOOD = ["report.txt", "--source-id", "x", "--published", "2016-01-11"]


@pytest.mark.parametrize(
    ("args", "option"),
    [
        (["report.txt", "--source-id", "x"], "--published"),
        (["report.txt", "--source-id", "x", "--published", "11/01/2016"], "--published"),
        (["report.txt", "--published", "2016-01-11"], "--source-id"),
        (["report.txt", "--source-id", "a b", "--published", "2016-01-11"], "--source-id"),
        (["--source-id", "x", "--published", "2016-01-11"], "FILES"),
        (
            ["report.txt", "--source-id", "x", "--published", "2016-01-11", "--out", "c.txt"],
            "--out",
        ),
        (["report.txt", "report.txt", "--title", "T", *GOOD[1:]], "--title"),
        (
            ["report.txt", "--source-id", "x", "--published", "2016-01-11", "--country", "TJ"],
            "--country",
        ),
    ],
)
def test_bad_options(work, tmp_path, args, option):
    result = fragwatch("extract", *args, cwd=work, tmp_path=tmp_path)
    clean_error(result, 2, option)


def test_missing_file(work, tmp_path):
    args = ["extract", "nope.txt", "--source-id", "x", "--published", "2016-01-11"]
    clean_error(fragwatch(*args, cwd=work, tmp_path=tmp_path), 4, "nope.txt", "no such file")


# -- evidence add refuses bad reviews --------------------------------------------------------


@pytest.fixture
def extracted(work, tmp_path) -> Path:
    result = fragwatch(*EXTRACT, "--out", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    return work / "candidates.csv"


def add_fails(work: Path, tmp_path: Path, code: int, *words: str) -> str:
    library = tmp_path / "library"
    before = snapshot(library) if library.exists() else None
    result = fragwatch("evidence", "add", "candidates.csv", cwd=work, tmp_path=tmp_path)
    message = clean_error(result, code, *words)
    after = snapshot(library) if library.exists() else None
    assert after == before or (before is None and after == {}), "add wrote something"
    return message


def line_of(rows: list[dict[str, str]], index: int) -> int:
    return index + 2  # the header, then one line per row (no quote spans lines here)


def test_add_refuses_a_conflict_within_the_file(extracted, work, tmp_path):
    rows = read_rows(extracted)
    twin = dict(rows[0], id="tjk-remittances-twin", value="31.2")
    write_rows(extracted, [*rows, twin])
    add_fails(
        work,
        tmp_path,
        4,
        f"candidates.csv:{line_of(rows, len(rows))}: field 'value'",
        "conflict: remittances_gdp 2016 from monitor-2017-03",
        "candidates.csv:2",
    )


def test_add_refuses_the_same_event_twice(extracted, work, tmp_path):
    rows = read_rows(extracted)
    raid = next(r for r in rows if r["kind"] == "border_raid")
    write_rows(extracted, [*rows, dict(raid, id="tjk-raid-again")])
    add_fails(work, tmp_path, 4, "field 'date'", "the same event twice")


def test_add_refuses_a_quote_not_in_the_text(extracted, work, tmp_path):
    rows = read_rows(extracted)
    rows[1]["quote"] = "Some 150,000 migrants returned home last year."
    write_rows(extracted, rows)
    add_fails(work, tmp_path, 4, "candidates.csv:3: field 'quote'", "not found verbatim")


@pytest.mark.parametrize(
    ("column", "value", "words"),
    [
        ("value", "lots", "field 'value'"),
        ("period", "2016-13", "field 'period'"),
        ("unit", "furlongs", "field 'unit'"),
        ("record", "rumour", "field 'record'"),
        ("kind", "armed_attack", "field 'kind'"),
        ("id", "", "field 'id'"),
    ],
)
def test_add_names_the_bad_row_and_field(extracted, work, tmp_path, column, value, words):
    rows = read_rows(extracted)
    # An observation row (the rows are listed surest first, so look it up).
    index = next(i for i, r in enumerate(rows) if r["quantity"] == "heroin_seizures")
    rows[index][column] = value
    write_rows(extracted, rows)
    add_fails(work, tmp_path, 4, f"candidates.csv:{line_of(rows, index)}", words)


def test_add_refuses_duplicates_and_conflicts_with_what_is_there(extracted, work, tmp_path):
    first = fragwatch("evidence", "add", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    # The same report again (its source is reused: same title, date and text) ...
    rows = read_rows(extracted)
    add_fails(work, tmp_path, 4, "candidates.csv:2: field 'id'", "already in the evidence")
    # ... with new ids: the same figures are duplicates, another figure a conflict.
    renamed = [dict(r, id=r["id"] + "-again") for r in rows]
    write_rows(extracted, renamed)
    add_fails(work, tmp_path, 4, "candidates.csv:2: field 'quantity'", "duplicate")
    renamed[0]["value"] = "30"
    write_rows(extracted, renamed)
    add_fails(work, tmp_path, 4, "candidates.csv:2: field 'value'", "conflict", "26.7")


def test_add_refuses_a_source_id_taken_by_another_report(extracted, work, tmp_path):
    texts = work / "candidates.sources" / "texts" / "monitor-2017-03.txt"
    first = fragwatch("evidence", "add", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert first.returncode == 0, first.stderr
    texts.write_text(REPORT + "\nA late paragraph.\n", "utf-8")
    add_fails(work, tmp_path, 4, "sources.csv:2: field 'source_id'", "another text")


def test_add_needs_the_sources_folder(extracted, work, tmp_path):
    import shutil

    shutil.rmtree(work / "candidates.sources")
    add_fails(work, tmp_path, 4, "candidates.csv", "sources.csv is missing")


def test_the_embedded_base_source_ids_are_taken(extracted, work, tmp_path):
    rows = read_rows(extracted)
    write_rows(extracted, [dict(r, source_id="icg-b78-2016") for r in rows])
    add_fails(work, tmp_path, 4, "field 'quote'", "icg-b78-2016")


def test_evaluate_prints_recall_and_precision(tmp_path):
    result = run_cli("extract", "--evaluate", cwd=tmp_path, env=env(tmp_path))
    assert result.returncode == 0, result.stderr
    assert re.search(
        r"^= numeric quantities the indicators use\s+13\s+13\s+13\s+\d+\s+1\.00\s+1\.00$",
        result.stdout,
        re.M,
    ), result.stdout
    # The local library is not read (nor created): measuring against it would be circular.
    assert not (tmp_path / "library").exists()


# -- formula-safe review files -------------------------------------------------------------------

FORMULA_REPORT = (
    "Tajikistan Monitor, March 2017\n\n"
    '=HYPERLINK("http://example.org/x","Remittances") were 31 per cent of GDP in 2016, the'
    " bank said.\n\n"
    "@SUM(1+1) Remittances reached $2.2 billion in 2016.\n"
)


def test_a_formula_looking_quote_cannot_run_and_survives_the_round_trip(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    (work / "report.txt").write_text(FORMULA_REPORT, "utf-8")
    args = ["extract", "report.txt", "--source-id", "formula-2017", "--published", "2017-03-01"]
    result = fragwatch(*args, "--out", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    raw = list(csv.reader(io.StringIO((work / "candidates.csv").read_text("utf-8"))))
    cells = [cell for row in raw[1:] for cell in row]
    # No cell a spreadsheet would run: each starts with a letter, a digit, a quote mark ...
    assert not [c for c in cells if c[:1] in ("=", "+", "@", "\t", "\r")]
    assert not [c for c in cells if c.startswith("-") and not re.fullmatch(r"-\d+(\.\d+)?", c)]
    quotes = {row[raw[0].index("quote")] for row in raw[1:]}
    assert quotes == {
        "'" + FORMULA_REPORT.splitlines()[2],
        "'" + FORMULA_REPORT.splitlines()[4],
    }

    added = fragwatch("evidence", "add", "candidates.csv", cwd=work, tmp_path=tmp_path)
    assert added.returncode == 0, added.stderr
    batch = next(p for p in (tmp_path / "library").iterdir() if not p.name.startswith("."))
    stored = list(csv.DictReader(io.StringIO((batch / "observations.csv").read_text("utf-8"))))
    # Byte for byte the text of the report, without the escape.
    assert {row["quote"].encode() for row in stored} == {
        FORMULA_REPORT.splitlines()[2].encode(),
        FORMULA_REPORT.splitlines()[4].encode(),
    }
    explained = fragwatch("explain", "--as-of", "2017-06-01", cwd=work, tmp_path=tmp_path)
    assert explained.returncode == 0, explained.stderr
    assert '\u201c=HYPERLINK("http://example.org/x","Remittances") were 31 per cent' in (
        explained.stdout
    )


def test_reading_back_drops_only_the_escape():
    from fragwatch.evidence.extract.review import formula_safe, unescaped

    for cell in ["=1+1", "+7", "-x", "@A1", "\tTAB", "\rCR", "'quoted", "''", "plain", "-65", ""]:
        assert unescaped(formula_safe(cell)) == cell
    assert formula_safe("-65") == "-65"
    assert formula_safe("=1+1") == "'=1+1"
