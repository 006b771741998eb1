"""``fragwatch extract`` (report -> candidate evidence) and ``fragwatch evidence add``.

Heavy imports (pandas, pypdf, BeautifulSoup, tqdm) happen inside the commands, so registering
them costs the other commands' start-up nothing.
"""

from __future__ import annotations

import re
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from fragwatch.errors import EvidenceError, UsageError

QUOTE_WIDTH = 50


def _published(value: str | None) -> date:
    if value is None:
        raise UsageError(
            "missing: the date the report was published (YYYY-MM-DD)", where="--published"
        )
    try:
        when = date.fromisoformat(value)
    except ValueError:
        raise UsageError(f"'{value}' is not a date (YYYY-MM-DD)", where="--published") from None
    if when > date.today() + timedelta(days=1):  # a day's slack for time zones
        raise UsageError(f"{when} is in the future (today is {date.today()})", where="--published")
    return when


def _source_id(value: str | None) -> str:
    from fragwatch.evidence.schema import ID_PATTERN

    if not value:
        raise UsageError("missing: an id for the report, e.g. icg-b78-2016", where="--source-id")
    if not re.fullmatch(ID_PATTERN, value):
        raise UsageError(
            f"'{value}' is not a valid id (letters, digits, . _ : -)", where="--source-id"
        )
    return value


def _report_files(paths: tuple[Path, ...]) -> list[Path]:
    """The files named, with a folder standing for the (non-hidden) files directly in it."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir() if p.is_file() and not p.name.startswith("."))
            if not inside:
                raise EvidenceError("the folder holds no report files", where=str(path))
            files += inside
        else:
            files.append(path)
    return files


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")[:50] or "report"


def _vocabulary(obj, extra: tuple[Path, ...]):
    from fragwatch.evidence.extract.vocabulary import load_vocabulary
    from fragwatch.settings.model import config_dir

    analyst = config_dir(obj.config_dir) / "vocabulary"
    return load_vocabulary([*([analyst] if analyst.is_dir() else []), *extra])


def _show(c, source_id: str) -> str:
    from fragwatch.evidence.extract.candidates import figure_text

    quote = c.quote if len(c.quote) <= QUOTE_WIDTH else c.quote[: QUOTE_WIDTH - 1].rstrip() + "…"
    head = f"{c.confidence:4.2f} {c.record:11} {c.what:22} {c.country:3} {c.when:10}"
    return f"{head} {figure_text(c):16} {quote}"


@click.command()
@click.argument("files", nargs=-1, type=click.Path(path_type=Path))
@click.option("--source-id", help="Id for the report's source row (several files: a prefix).")
@click.option("--published", help="When the report was published (YYYY-MM-DD).")
@click.option("--title", help="The report's title (default: from the file).")
@click.option("--publisher", help="Who published it (default: from the file, else 'unknown').")
@click.option("--url", default="", help="Where the report is found.")
@click.option(
    "--kind",
    type=click.Choice(["report", "news"]),
    default="report",
    show_default=True,
    help="The source kind.",
)
@click.option("--country", help="ISO3 code (default: the country the text names most).")
@click.option(
    "--out",
    "out_path",
    type=click.Path(path_type=Path),
    help="Write the candidates CSV (and its .sources/ folder) for review.",
)
@click.option("--encoding", help="Decode text files with this encoding (default: detect).")
@click.option(
    "--vocabulary",
    "vocabulary_dirs",
    multiple=True,
    type=click.Path(path_type=Path),
    help="Folder of extra or replacing rules (quantities/, events/); after CONFIG_DIR/vocabulary.",
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Progress bar on stderr over several files (default: when stderr is a terminal).",
)
@click.option(
    "--skip-unreadable",
    is_flag=True,
    help="Warn about an unreadable file (empty, binary, no text layer) and go on.",
)
@click.option(
    "--min-confidence",
    type=click.FloatRange(0, 1),
    default=0.0,
    show_default=True,
    help="Keep only candidates at least this sure (they are listed surest first).",
)
@click.option(
    "--evaluate",
    is_flag=True,
    help="Instead: measure the rules on the curated evidence base (recall and precision).",
)
@click.option(
    "--corpus",
    "corpus_paths",
    multiple=True,
    type=click.Path(path_type=Path),
    help="With --evaluate: measure on a labelled corpus file (JSON lines) instead.",
)
@click.option("--details", is_flag=True, help="With --corpus: list misses and false candidates.")
@click.option(
    "--learned",
    is_flag=True,
    help="Also let the context model (trained on the corpus's tune part) name the quantity of a"
    " figure no rule takes, when it is sure (off by default: see docs/extraction.md).",
)
@click.pass_obj
def extract(
    obj,
    files,
    source_id,
    published,
    title,
    publisher,
    url,
    kind,
    country,
    out_path,
    encoding,
    vocabulary_dirs,
    progress,
    skip_unreadable,
    min_confidence,
    evaluate,
    corpus_paths,
    details,
    learned,
):
    """Find figures and events in report files (text, HTML, PDF): candidate evidence to review.

    Each candidate cites its sentence and where it is in the extracted text. Review the CSV
    --out writes (delete wrong rows, correct the rest), then: fragwatch evidence add FILE.
    """
    vocabulary = _vocabulary(obj, vocabulary_dirs)
    model = None
    if learned:
        from fragwatch.evidence.extract.learned import load_model

        model = load_model()
    if corpus_paths and not evaluate:
        raise UsageError("--corpus goes with --evaluate", where="--corpus")
    if evaluate:
        if files:
            raise UsageError("--evaluate reads the curated evidence base, not FILES", where="FILES")
        if corpus_paths:
            _evaluate_corpus(corpus_paths, vocabulary, details, model)
        else:
            _evaluate(obj, vocabulary, model)
        return
    if not files:
        raise UsageError("name at least one report file or folder", where="FILES")
    when = _published(published)
    base_id = _source_id(source_id)
    paths = _report_files(files)
    if title and len(paths) > 1:
        raise UsageError("names one report; with several files each takes its own", where="--title")
    if country and not re.fullmatch(r"[A-Za-z]{3}", country):
        raise UsageError(f"'{country}' is not an ISO3 country code", where="--country")
    if out_path is not None and out_path.suffix.lower() != ".csv":
        raise UsageError(f"'{out_path}' should be a .csv file", where="--out")

    from fragwatch.evidence.extract.candidates import extract_candidates, guess_country
    from fragwatch.evidence.extract.document import read_document
    from fragwatch.evidence.extract.review import Source

    show_bar = len(paths) > 1 and (progress if progress is not None else sys.stderr.isatty())
    iterator = paths
    if show_bar:
        from tqdm import tqdm

        iterator = tqdm(paths, desc="extracting", unit="report", file=sys.stderr)
    rows, sources, skipped, notes = [], [], [], []
    used_ids: set[str] = set()
    for path in iterator:
        try:
            doc = read_document(path, encoding)
        except EvidenceError as exc:
            if not skip_unreadable:
                raise
            skipped.append(exc.one_line())
            continue
        sid = base_id if len(paths) == 1 else f"{base_id}-{_slug(path.stem)}"
        while sid in used_ids:
            sid += "-2"
        used_ids.add(sid)
        iso3 = (country or "").upper() or guess_country(doc.text, vocabulary)
        if not iso3:
            raise EvidenceError(
                "cannot tell which country the report is about (it names none, or two"
                " equally often); name it with --country",
                where=str(path),
            )
        if iso3 not in vocabulary.countries:
            notes.append(f"{path}: no names known for {iso3} (country rules cannot match)")
        if "(detected" in doc.encoding:
            notes.append(f"{path}: decoded as {doc.encoding}; check it, or pass --encoding")
        source = Source(
            source_id=sid,
            title=title or doc.title or path.stem,
            publisher=publisher or doc.publisher or "unknown",
            published=when,
            url=url,
            kind=kind,
            text=doc.text,
            note="as given to fragwatch extract --published",
        )
        sources.append(source)
        found = extract_candidates(
            doc.text, published=when, country=iso3, vocabulary=vocabulary, model=model
        )
        # Surest first; the reviewer reads down to where the doubtful ones begin.
        found = sorted(
            (c for c in found if c.confidence >= min_confidence),
            key=lambda c: (-c.confidence, c.start),
        )
        rows += [(c, source) for c in found]
        if not show_bar:
            click.echo(f"{path}: source {sid}, country {iso3}, {len(found)} candidate(s)")
            for c in found:
                click.echo("  " + _show(c, sid))
    for line in skipped:
        click.echo(f"fragwatch: warning: skipped {line}", err=True)
    for line in notes:
        click.echo(f"fragwatch: note: {line}", err=True)
    if not sources:
        raise EvidenceError("no readable report among the files given", where="FILES")
    n_obs = sum(1 for c, _ in rows if c.record == "observation")
    summary = (
        f"{len(rows)} candidate(s): {n_obs} observation(s), {len(rows) - n_obs} event(s)"
        f" from {len(sources)} report(s)"
    )
    if out_path is None:
        click.echo(f"{summary}; --out FILE.csv writes them for review")
        return
    from fragwatch.evidence.extract.review import sources_folder, write_candidates

    write_candidates(out_path, rows, sources)
    click.echo(
        f"{summary}, written to {out_path} (texts in {sources_folder(out_path)}/);"
        f" review it, then: fragwatch evidence add {out_path}"
    )


def _evaluate(obj, vocabulary, model=None) -> None:
    """Recall and precision against the embedded curated base (and --evidence paths).

    The local library is left out on purpose: it holds candidates accepted from this very
    extractor, so measuring against it would be circular.
    """
    from fragwatch.evidence.extract.evaluate import evaluate, format_report
    from fragwatch.evidence.files import load_evidence

    evidence = load_evidence(obj.evidence_paths, include_default=obj.include_default)
    quantities, kinds = _indicator_inputs(obj)
    click.echo(format_report(evaluate(evidence, vocabulary, model), quantities, kinds))


def _evaluate_corpus(paths: tuple[Path, ...], vocabulary, details: bool, model=None) -> None:
    """Recall and precision on labelled passages of real text (tests/fixtures/...)."""
    from fragwatch.evidence.extract.candidates import extract_candidates
    from fragwatch.evidence.extract.corpus import (
        evaluate_corpus,
        format_corpus_report,
        load_corpus,
    )

    passages = []
    for path in paths:
        if not path.is_file():
            raise EvidenceError("no such file", where=str(path))
        passages += load_corpus(path)

    def run(passage):
        return extract_candidates(
            passage.text,
            published=passage.published,
            country=passage.country or None,
            vocabulary=vocabulary,
            model=model,
        )

    result = evaluate_corpus(passages, run)
    click.echo(f"{len(passages)} passage(s) from {', '.join(str(p) for p in paths)}")
    click.echo(format_corpus_report(result, details=details))


def _indicator_inputs(obj) -> tuple[set[str], set[str]]:
    """The quantities (and denominators) and event kinds the model's indicators read."""
    spec = obj.spec()
    quantities: set[str] = set()
    kinds: set[str] = set()
    for indicator in spec.indicators.values():
        for attribute in ("quantity", "per"):
            value = getattr(indicator, attribute, None)
            if isinstance(value, str):
                quantities.add(value)
        severity = indicator.get_params().get("severity")
        if isinstance(severity, dict):
            kinds |= set(severity)
    return quantities, kinds


@click.command("add")
@click.argument("candidates", type=click.Path(path_type=Path))
@click.pass_obj
def add(obj, candidates: Path):
    """Add reviewed candidates (from fragwatch extract --out) to the local evidence library.

    Checks every row together with the evidence already loaded and writes nothing if any row
    is bad; refuses duplicates and conflicting figures. The rows go to a new batch folder of
    the library ($FRAGWATCH_EVIDENCE_DIR, else var/evidence).
    """
    from fragwatch.evidence.extract.accept import accept
    from fragwatch.evidence.library import library_dir

    if not candidates.is_file():
        raise EvidenceError(
            "no such file" if not candidates.exists() else "not a file", where=str(candidates)
        )
    added = accept(
        candidates,
        obj.evidence(),
        library_dir(),
        obj.evidence_paths,
        include_default=obj.include_default,
        now=datetime.now(),
    )
    parts = [f"{added.observations} observation(s)", f"{added.events} event(s)"]
    names = added.new_sources + added.reused_sources
    sources = ", ".join(names) if len(names) <= 3 else f"{len(names)} reports ({names[0]}, ...)"
    click.echo(f"added {' and '.join(parts)} from {sources} as {added.folder}")
