"""Read a user's indicator panel and framework table (CSV or Parquet); write scores.

Every problem is a PanelError naming the file, the line (CSV) or row (Parquet) and the column.
"""

from __future__ import annotations

import csv
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from fragwatch.atomicfile import is_stdout, write_atomically
from fragwatch.errors import FragwatchError, PanelError
from fragwatch.evidence.files import read_table
from fragwatch.evidence.schema import not_a_number
from fragwatch.scoring.framework import Framework

FORMATS = (".csv", ".parquet")


def _format_of(path: Path, what: str) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise PanelError(
            f"cannot tell the format of {what} from '{suffix or path.name}'"
            f" (use {' or '.join(FORMATS)})",
            where=str(path),
        )
    return suffix


def output_format(path: Path, error: type[FragwatchError], where: str) -> str:
    """'.csv' or '.parquet' for an output path (``-`` is CSV); else raise ``error``."""
    if is_stdout(path):
        return ".csv"
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise error(
            f"cannot tell the format of {path} from '{suffix or path.name}'"
            f" (use {' or '.join(FORMATS)})",
            where=where,
        )
    return suffix


def read_framework(path: Path) -> tuple[pd.DataFrame, Framework]:
    """A framework table from CSV (code, parent, direction, weight, lo, hi[, name, aggregation])."""
    _format_of(path, "the framework")
    if path.suffix.lower() == ".parquet":
        table = _read_parquet(path)
        lines: tuple[int, ...] = ()
    else:
        table, ref = read_table(path, PanelError)
        table = table.replace({"": np.nan})
        lines = ref.lines
    framework = Framework.from_table(table, where=str(path), lines=lines)
    return table, framework


def _read_parquet(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise PanelError("no such file", where=str(path))
    try:
        return pd.read_parquet(path)
    except ImportError:
        raise PanelError(
            "reading Parquet needs pyarrow: pip install 'fragwatch[parquet]'", where=str(path)
        ) from None
    except Exception as exc:  # pyarrow raises several types for a damaged file
        raise PanelError(
            f"not a readable Parquet file ({type(exc).__name__})", where=str(path)
        ) from None


def read_panel(
    path: Path, framework: Framework, unit_column: str = "unit", period_column: str = "period"
) -> pd.DataFrame:
    """A panel indexed by (unit, period) with one float column per framework indicator."""
    name = str(path)
    if _format_of(path, "the panel") == ".parquet":
        table = _read_parquet(path)

        def label(pos: int) -> str:
            return f"row {pos + 1}"

        def place(pos: int) -> str:
            return f"{name}: {label(pos)}"
    else:
        if not path.is_file():
            raise PanelError("no such file", where=name)
        try:
            # Blank lines are kept as rows so that row i is always line i + 2; a row longer
            # than the header must be an error, not silently become the index.
            with warnings.catch_warnings():
                warnings.simplefilter("error", pd.errors.ParserWarning)
                table = pd.read_csv(
                    path, skip_blank_lines=False, encoding="utf-8-sig", index_col=False
                )
        except pd.errors.ParserWarning:
            line, message = _misaligned_row(path)
            raise PanelError(message, where=f"{name}:{line}") from None
        except pd.errors.EmptyDataError:
            raise PanelError("file is empty (expected a header line)", where=name) from None
        except UnicodeDecodeError as exc:
            raise PanelError(f"not UTF-8 text (offset {exc.start})", where=name) from None
        except pd.errors.ParserError as exc:
            detail = (
                str(exc).strip().splitlines()[-1].replace("Error tokenizing data. C error: ", "")
            )
            raise PanelError(detail.rstrip("."), where=name) from None

        def label(pos: int) -> str:
            return f"line {pos + 2}"

        def place(pos: int) -> str:
            return f"{name}:{pos + 2}"

    table.columns = [str(c).strip() for c in table.columns]
    for column in (unit_column, period_column):
        if column not in table.columns:
            raise PanelError(
                f"no '{column}' column (the panel needs {unit_column} and {period_column})",
                where=f"{name}:1" if place(0).endswith(":2") else name,
            )
    codes = framework.codes
    extra = [c for c in table.columns if c not in (unit_column, period_column, *codes)]
    if extra:
        raise PanelError(
            f"unknown indicator column '{extra[0]}' (not in the framework)",
            where=f"{name}: column '{extra[0]}'",
        )
    missing = [c for c in codes if c not in table.columns]
    if missing:
        raise PanelError(
            f"no column for framework indicator '{missing[0]}'", where=f"{name}: header"
        )
    if table.empty:
        raise PanelError(
            "has a header but no rows to score",
            where=f"{name}:1" if place(0).endswith(":2") else name,
        )
    keys = table[[unit_column, period_column]].astype("string").apply(lambda s: s.str.strip())
    blank = keys.isna() | (keys == "")
    if blank.to_numpy().any():
        pos, col = np.argwhere(blank.to_numpy())[0]
        raise PanelError("is empty", where=f"{place(int(pos))}: field '{keys.columns[col]}'")
    repeated = keys.duplicated(keep="first").to_numpy()
    if repeated.any():
        again = int(np.flatnonzero(repeated)[0])
        unit, period = keys.iloc[again].tolist()
        first = int(np.flatnonzero((keys == [unit, period]).all(axis=1).to_numpy())[0])
        raise PanelError(
            f"duplicate row for unit '{unit}' and period '{period}'"
            f" (first given on {label(first)})",
            where=place(again),
        )
    values = {}
    for code in codes:
        column = table[code]
        if column.dtype.kind in "fiu":  # read as numbers: only infinities to refuse
            numbers = column.astype(float)
            bad = np.isinf(numbers)
        else:
            numbers = pd.to_numeric(column, errors="coerce").astype(float)
            given = column.notna() & (column.astype("string").str.strip() != "")
            # inf, nan written out and 1e400 are given but not finite: refused like text.
            bad = given & ~np.isfinite(numbers)
        if bad.any():
            pos = int(np.flatnonzero(bad.to_numpy())[0])
            raise PanelError(not_a_number(column.iloc[pos]), where=f"{place(pos)}: field '{code}'")
        values[code] = numbers.astype(float).to_numpy()
    index = pd.MultiIndex.from_frame(keys, names=[unit_column, period_column])
    return pd.DataFrame(values, index=index)


def _misaligned_row(path: Path) -> tuple[int, str]:
    """Find the first row whose field count differs from the header's (error path only)."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        for record in reader:
            if record and len(record) != len(header):
                return reader.line_num, f"{len(record)} fields where the header has {len(header)}"
    return 1, "a row's field count differs from the header's"


def write_table(table: pd.DataFrame, path: Path) -> None:
    """Write CSV or Parquet (by suffix), whole or not at all."""
    if is_stdout(path):
        write_atomically(path, table.to_csv, PanelError, where="--out")
        return
    if _format_of(path, "the output") == ".parquet":
        write_atomically(path, table.to_parquet, PanelError, where=str(path))
        return
    from fragwatch.csvtext import csv_bytes

    text = csv_bytes(table)  # to_csv's bytes, formatted column-wise; None for a rare type
    writer = table.to_csv if text is None else (lambda partial: partial.write_bytes(text))
    write_atomically(path, writer, PanelError, where=str(path))
