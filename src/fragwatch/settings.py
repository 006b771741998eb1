"""Reading user configuration: the only module that opens files under ``config/``.

``config/model.toml`` is the framework: which indicators are used, their weights, goalposts and
parameters, the dimension weights, the bands and the minimum coverage. It is validated strictly:
unknown keys, unknown indicators, goalposts the wrong way round or negative weights stop the
program with one line naming the file, line and field.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import re
import tomllib
from pathlib import Path
from typing import Annotated, Literal

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from fragwatch.errors import ConfigError
from fragwatch.indicators import registered
from fragwatch.scoring.model import FragilityModel
from fragwatch.scoring.spec import ModelSpec
from fragwatch.textio import decode_utf8

CONFIG_DIR_ENV = "FRAGWATCH_CONFIG_DIR"
NonNegative = Annotated[float, Field(ge=0)]
Positive = Annotated[float, Field(gt=0)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class IndicatorConfig(_Strict):
    enabled: bool = True
    weight: NonNegative = 1.0
    goalposts: tuple[float, float] | None = None
    direction: Literal[1, -1] | None = None
    dimension: str | None = None
    staleness_days: Annotated[int, Field(gt=0)] | None = None
    half_life_days: Positive | None = None
    fatality_factor: NonNegative | None = None
    severity: dict[str, NonNegative] | None = None

    @field_validator("goalposts")
    @classmethod
    def _goalposts_ordered(cls, value: tuple[float, float] | None) -> tuple[float, float] | None:
        if value is not None and value[0] >= value[1]:
            raise ValueError(f"goalposts must be [lo, hi] with lo below hi, got {list(value)}")
        return value


class Band(_Strict):
    name: str
    lower: Annotated[float, Field(ge=0, le=100, alias="from")]


class ModelSection(_Strict):
    name: str = "model"
    aggregation: Literal["arithmetic"] = "arithmetic"
    min_coverage: Annotated[float, Field(ge=0, le=1)] = 0.0


class ModelFile(_Strict):
    model: ModelSection = ModelSection()
    bands: list[Band] = Field(min_length=1)
    dimensions: dict[str, NonNegative] = Field(min_length=1)
    indicators: dict[str, IndicatorConfig] = Field(min_length=1)


def config_dir(explicit: Path | None = None) -> Path:
    """Where config files live: the argument, else $FRAGWATCH_CONFIG_DIR, else ./config."""
    if explicit is not None:
        return explicit
    return Path(os.environ.get(CONFIG_DIR_ENV, "config"))


def read_toml(path: Path) -> tuple[dict, str]:
    if not path.exists():
        raise ConfigError("no such file", where=str(path))
    if path.is_dir():
        raise ConfigError("is a folder, expected a TOML file", where=str(path))
    text = decode_utf8(path.read_bytes(), str(path), ConfigError)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        # tomllib says "... (at line 3, column 9)": move the place to the front.
        found = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        where = f"{path}:{found.group(1)}" if found else str(path)
        raise ConfigError(f"TOML syntax error: {message}", where=where) from None


def line_of(text: str, loc: tuple) -> int | None:
    """Best-effort line number of a dotted key in TOML text, for error messages.

    Handles ``[table]`` headers, ``key =`` lines and the n-th ``[[array]]`` entry.
    """
    lines = text.splitlines()
    if len(loc) >= 2 and isinstance(loc[1], int):
        entry = re.compile(r"^\s*\[\[\s*" + re.escape(str(loc[0])) + r"\s*\]\]")
        hits = [i for i, line in enumerate(lines) if entry.match(line)]
        if loc[1] >= len(hits):
            return hits[0] + 1 if hits else None
        start = hits[loc[1]]
        for key in loc[2:3]:
            pattern = re.compile(r"^\s*" + re.escape(str(key)) + r"\s*=")
            after = (i for i in range(start + 1, len(lines)) if pattern.match(lines[i]))
            return next(after, start) + 1
        return start + 1
    keys = [str(k) for k in loc if not isinstance(k, int)]
    start = 0
    found = None
    for depth in range(len(keys), 0, -1):
        header = re.compile(r"^\s*\[+\s*" + re.escape(".".join(keys[:depth])) + r"\s*\]+")
        hit = next((i for i, line in enumerate(lines) if header.match(line)), None)
        if hit is not None:
            start, found = hit, hit + 1
            keys = keys[depth:]
            break
    for key in keys:
        pattern = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        hit = next((i for i in range(start, len(lines)) if pattern.match(lines[i])), None)
        if hit is None:
            break
        start, found = hit, hit + 1
    return found


def _validation_error(path: Path, text: str, exc: ValidationError) -> ConfigError:
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    field = ".".join(str(p) for p in loc) or "(top level)"
    line = line_of(text, loc)
    where = f"{path}:{line}" if line else str(path)
    message = first["msg"]
    if first["type"] == "extra_forbidden":
        message = "unknown key"
    elif first["type"] == "missing":
        message = "required key is missing"
    return ConfigError(message, where=f"{where}: field '{field}'")


def load_model_spec(path: Path) -> ModelSpec:
    """Read, validate and build the model described by a model.toml."""
    data, text = read_toml(path)
    try:
        parsed = ModelFile.model_validate(data)
    except ValidationError as exc:
        raise _validation_error(path, text, exc) from None
    return build_spec(parsed, path, text)


def build_spec(parsed: ModelFile, path: Path, text: str) -> ModelSpec:
    known = registered()
    indicators = {}
    rows = []

    def fail(loc: tuple, message: str) -> ConfigError:
        line = line_of(text, loc)
        where = f"{path}:{line}" if line else str(path)
        return ConfigError(message, where=f"{where}: field '{'.'.join(map(str, loc))}'")

    edges = [b.lower for b in parsed.bands]
    if edges[0] != 0:
        raise fail(("bands", 0, "from"), "the first band must start 'from = 0'")
    for i, (below, edge) in enumerate(itertools.pairwise(edges), start=1):
        if edge <= below:
            raise fail(
                ("bands", i, "from"),
                f"band '{parsed.bands[i].name}' starts at {edge:g}, not above the previous"
                f" band's {below:g}: lower edges must increase",
            )

    for code, cfg in parsed.indicators.items():
        if code not in known:
            raise fail(
                ("indicators", code),
                f"unknown indicator '{code}'; known: {', '.join(sorted(known))}",
            )
        if not cfg.enabled:
            continue
        cls = known[code]
        params = {}
        for key in ("staleness_days", "half_life_days", "fatality_factor", "severity"):
            value = getattr(cfg, key)
            if value is None:
                continue
            if key not in cls.defaults:
                raise fail(
                    ("indicators", code, key),
                    f"indicator '{code}' ({cls.transform}) has no parameter '{key}'",
                )
            params[key] = {**cls.defaults[key], **value} if key == "severity" else value
        indicators[code] = cls(**params)
        dimension = cfg.dimension or cls.dimension
        if dimension not in parsed.dimensions:
            raise fail(
                ("indicators", code, "dimension"),
                f"dimension '{dimension}' has no weight in [dimensions]",
            )
        lo, hi = cfg.goalposts or cls.goalposts
        rows.append(
            {
                "code": code,
                "name": cls.name,
                "parent": dimension,
                "direction": float(cfg.direction or cls.direction),
                "weight": cfg.weight,
                "lo": lo,
                "hi": hi,
            }
        )
    if not rows:
        raise ConfigError("every indicator is disabled", where=f"{path}: field 'indicators'")
    dims = [
        {
            "code": d,
            "name": d,
            "parent": "index",
            "direction": None,
            "weight": w,
            "lo": None,
            "hi": None,
        }
        for d, w in parsed.dimensions.items()
        if d in {r["parent"] for r in rows}
    ]
    framework = pd.DataFrame(rows + dims)
    model = FragilityModel(
        framework=framework,
        bands=tuple((b.name, b.lower) for b in parsed.bands),
        min_coverage=parsed.model.min_coverage,
        aggregation=parsed.model.aggregation,
    ).fit()
    canonical = json.dumps(
        {
            "model": parsed.model_dump(mode="json"),
            "params": {code: ind.get_params() for code, ind in indicators.items()},
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return ModelSpec(indicators=indicators, model=model, digest=digest, name=parsed.model.name)
