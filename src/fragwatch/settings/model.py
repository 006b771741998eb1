"""Reading user configuration: the only module that opens files under ``config/``.

``config/model.toml`` is the framework: which indicators are used, their weights, goalposts and
parameters, the dimension weights, the bands and the minimum coverage. It is validated strictly:
unknown keys, unknown indicators, goalposts the wrong way round or negative weights stop the
program with one line naming the file, line and field.
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import math
import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from fragwatch.errors import ConfigError
from fragwatch.indicators import get_indicator, registered
from fragwatch.scoring.model import FragilityModel
from fragwatch.scoring.spec import ModelSpec, UncertaintySettings
from fragwatch.textio import decode_utf8

CONFIG_DIR_ENV = "FRAGWATCH_CONFIG_DIR"


@dataclass(frozen=True)
class IndicatorConfig:
    enabled: bool = True
    weight: float = 1.0
    goalposts: tuple[float, float] | None = None
    direction: int | None = None
    dimension: str | None = None
    staleness_days: int | None = None
    half_life_days: float | None = None
    fatality_factor: float | None = None
    severity: dict[str, float] | None = None
    # A declared indicator (DESIGN §5): its family and what it reads and means.
    family: str | None = None
    name: str | None = None
    unit: str | None = None
    quantity: str | None = None
    per: str | None = None
    scale: float | None = None
    definition: str | None = None
    sources: str | None = None


# Keys a declared indicator must give (beyond family), and keys only a declaration may give.
DECLARED_REQUIRED = ("name", "dimension", "unit", "direction", "goalposts", "definition", "sources")
DECLARATION_ONLY = ("family", "name", "unit", "quantity", "per", "scale", "definition", "sources")


@dataclass(frozen=True)
class Band:
    name: str
    lower: float


@dataclass(frozen=True)
class ModelSection:
    name: str = "model"
    aggregation: str = "arithmetic"
    min_coverage: float = 0.0


@dataclass(frozen=True)
class ModelFile:
    model: ModelSection
    bands: list[Band]
    dimensions: dict[str, float]
    indicators: dict[str, IndicatorConfig]
    uncertainty: UncertaintySettings = field(default_factory=UncertaintySettings)


class Checker:
    """Strict, located validation of model.toml.

    Hand-written rather than a validation library so that every command that scores stays
    quick to start; each rule raises one ConfigError naming file, line and dotted field.
    """

    def __init__(self, path: Path, text: str) -> None:
        self.path, self.text = path, text

    def fail(self, loc: tuple, message: str) -> ConfigError:
        line = line_of(self.text, loc)
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(message, where=f"{where}: field '{'.'.join(map(str, loc))}'")

    def table(
        self, value: object, loc: tuple, allowed: set[str], required: set[str] = frozenset()
    ) -> dict:
        if not isinstance(value, dict):
            raise self.fail(loc, "must be a table")
        for key in value:
            if key not in allowed:
                raise self.fail((*loc, key), "unknown key")
        for key in sorted(required):
            if key not in value:
                raise self.fail((*loc, key) if loc else (key,), "required key is missing")
        return value

    def number(
        self,
        value: object,
        loc: tuple,
        *,
        low: float | None = None,
        high: float | None = None,
        strict_low: bool = False,
    ) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(loc, f"must be a number, got {value!r}")
        if not math.isfinite(value):  # TOML has nan and inf literals
            raise self.fail(loc, f"must be a finite number, got '{value}'")
        if low is not None and (value <= low if strict_low else value < low):
            raise self.fail(loc, f"must be {'>' if strict_low else '>='} {low:g}, got {value!r}")
        if high is not None and value > high:
            raise self.fail(loc, f"must be <= {high:g}, got {value!r}")
        return float(value)

    def whole(self, value: object, loc: tuple) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(loc, f"must be a whole number, got {value!r}")
        if value <= 0:
            raise self.fail(loc, f"must be > 0, got {value!r}")
        return value

    def text_value(self, value: object, loc: tuple) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(loc, f"must be non-empty text, got {value!r}")
        return value

    def model_file(self, data: dict) -> ModelFile:
        self.table(
            data,
            (),
            {"model", "bands", "dimensions", "indicators", "uncertainty"},
            {"bands", "dimensions", "indicators"},
        )
        uncertainty = self.uncertainty(data.get("uncertainty", {}))
        section = self.table(
            data.get("model", {}), ("model",), {"name", "aggregation", "min_coverage"}
        )
        aggregation = section.get("aggregation", "arithmetic")
        if aggregation != "arithmetic":
            raise self.fail(
                ("model", "aggregation"),
                f"must be 'arithmetic' (the only aggregation supported), got {aggregation!r}",
            )
        model = ModelSection(
            name=self.text_value(section.get("name", "model"), ("model", "name")),
            aggregation=aggregation,
            min_coverage=self.number(
                section.get("min_coverage", 0.0), ("model", "min_coverage"), low=0, high=1
            ),
        )
        bands_raw = data["bands"]
        if not isinstance(bands_raw, list) or not bands_raw:
            raise self.fail(("bands",), "must be one or more [[bands]] tables")
        bands = []
        for i, band in enumerate(bands_raw):
            self.table(band, ("bands", i), {"name", "from"}, {"name", "from"})
            bands.append(
                Band(
                    self.text_value(band["name"], ("bands", i, "name")),
                    self.number(band["from"], ("bands", i, "from"), low=0, high=100),
                )
            )
        dims = self.table(
            data["dimensions"],
            ("dimensions",),
            set(data["dimensions"]) if isinstance(data["dimensions"], dict) else set(),
        )
        if not dims:
            raise self.fail(("dimensions",), "needs at least one dimension weight")
        dimensions = {name: self.number(w, ("dimensions", name), low=0) for name, w in dims.items()}
        entries = self.table(
            data["indicators"],
            ("indicators",),
            set(data["indicators"]) if isinstance(data["indicators"], dict) else set(),
        )
        if not entries:
            raise self.fail(("indicators",), "needs at least one [indicators.CODE] table")
        return ModelFile(
            model,
            bands,
            dimensions,
            {code: self.indicator(cfg, ("indicators", code)) for code, cfg in entries.items()},
            uncertainty,
        )

    def uncertainty(self, value: object) -> UncertaintySettings:
        loc = ("uncertainty",)
        cfg = self.table(value, loc, {"draws", "weight_noise", "seed", "robust_share"})
        default = UncertaintySettings()
        seed = cfg.get("seed", default.seed)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            raise self.fail((*loc, "seed"), f"must be a whole number >= 0, got {seed!r}")
        draws = self.whole(cfg.get("draws", default.draws), (*loc, "draws"))
        if draws > 200_000:
            raise self.fail((*loc, "draws"), f"must be <= 200000, got {draws!r}")
        return UncertaintySettings(
            draws=draws,
            weight_noise=self.number(
                cfg.get("weight_noise", default.weight_noise), (*loc, "weight_noise"), low=0, high=1
            ),
            seed=seed,
            robust_share=self.number(
                cfg.get("robust_share", default.robust_share),
                (*loc, "robust_share"),
                low=0.5,
                high=1,
            ),
        )

    def indicator(self, cfg: object, loc: tuple) -> IndicatorConfig:
        fields = {f.name for f in dataclasses.fields(IndicatorConfig)}
        self.table(cfg, loc, fields)
        out: dict[str, object] = {}
        for key, value in cfg.items():
            at = (*loc, key)
            if key == "enabled":
                if not isinstance(value, bool):
                    raise self.fail(at, f"must be true or false, got {value!r}")
                out[key] = value
            elif key == "weight":
                out[key] = self.number(value, at, low=0)
            elif key == "goalposts":
                if not isinstance(value, list) or len(value) != 2:
                    raise self.fail(at, f"must be a list of two numbers [lo, hi], got {value!r}")
                lo, hi = (self.number(v, at) for v in value)
                if lo >= hi:
                    raise self.fail(at, f"goalposts must be [lo, hi] with lo below hi, got {value}")
                out[key] = (lo, hi)
            elif key == "direction":
                if value not in (1, -1) or isinstance(value, bool):
                    raise self.fail(at, f"must be 1 (higher is more fragile) or -1, got {value!r}")
                out[key] = int(value)
            elif key == "dimension":
                out[key] = self.text_value(value, at)
            elif key == "staleness_days":
                out[key] = self.whole(value, at)
            elif key == "half_life_days":
                out[key] = self.number(value, at, low=0, strict_low=True)
            elif key == "fatality_factor":
                out[key] = self.number(value, at, low=0)
            elif key == "severity":
                kinds = self.table(value, at, set(value) if isinstance(value, dict) else set())
                out[key] = {kind: self.number(w, (*at, kind), low=0) for kind, w in kinds.items()}
            elif key == "family":
                from fragwatch.indicators.declared import FAMILIES

                if value not in FAMILIES:
                    raise self.fail(
                        at, f"unknown family {value!r}; families: {', '.join(FAMILIES)}"
                    )
                out[key] = value
            elif key == "scale":
                out[key] = self.number(value, at, low=0, strict_low=True)
            elif key in ("quantity", "per"):
                if not isinstance(value, str) or not re.fullmatch(r"[a-z][a-z0-9_]*", value):
                    raise self.fail(at, f"must be a quantity code (lower_case), got {value!r}")
                out[key] = value
            else:  # name, unit, definition, sources
                out[key] = self.text_value(value, at)
        return IndicatorConfig(**out)


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


def load_model_spec(path: Path) -> ModelSpec:
    """Read, validate and build the model described by a model.toml."""
    data, text = read_toml(path)
    return build_spec(Checker(path, text).model_file(data), path, text)


def _declared_class(code: str, cfg: IndicatorConfig, fail) -> type:
    """The class of an indicator declared in model.toml (checked, then registered)."""
    from fragwatch.indicators.declared import FAMILIES, Declaration, builtin, declare

    loc = ("indicators", code)
    if not re.fullmatch(r"[a-z][a-z0-9_]*", code):
        raise fail(loc, f"'{code}' is not an indicator code (lower_case_with_underscores)")
    if builtin(code):
        raise fail((*loc, "family"), f"'{code}' is a built-in indicator; declare another code")
    for key in DECLARED_REQUIRED:
        if getattr(cfg, key) is None:
            raise fail(loc, f"declared indicator '{code}' needs '{key}'")
    _, reads_quantity, _ = FAMILIES[cfg.family]
    if reads_quantity and cfg.quantity is None:
        raise fail(loc, f"a '{cfg.family}' indicator needs 'quantity'")
    if not reads_quantity and not cfg.severity:
        raise fail(loc, "a 'decayed_events' indicator needs a [severity] table of event kinds")
    if cfg.family == "rate" and cfg.per is None:
        raise fail(loc, "a 'rate' indicator needs 'per' (the denominator quantity)")
    if cfg.per is not None and cfg.family not in ("rate", "decayed_events"):
        raise fail((*loc, "per"), f"a '{cfg.family}' indicator takes no 'per'")
    from fragwatch.evidence.names import known_quantities

    for key in ("quantity", "per"):
        name = getattr(cfg, key)
        if name is not None and name not in known_quantities():
            import difflib

            near = difflib.get_close_matches(name, sorted(known_quantities()), n=1)
            hint = f" (did you mean {near[0]}?)" if near else ""
            raise fail((*loc, key), f"unknown quantity '{name}'{hint}")
    return declare(
        Declaration(
            code=code,
            family=cfg.family,
            name=cfg.name,
            dimension=cfg.dimension,
            unit=cfg.unit,
            direction=cfg.direction,
            goalposts=cfg.goalposts,
            definition=cfg.definition,
            sources=cfg.sources,
            quantity=cfg.quantity,
            per=cfg.per,
            scale=cfg.scale if cfg.scale is not None else 1.0,
            severity=dict(cfg.severity or {}),
        )
    )


def build_spec(parsed: ModelFile, path: Path, text: str) -> ModelSpec:
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
        if cfg.family is not None:
            cls = _declared_class(code, cfg, fail)
        else:
            given = [k for k in DECLARATION_ONLY if getattr(cfg, k) is not None]
            if given:
                raise fail(
                    ("indicators", code, given[0]),
                    f"'{given[0]}' is only for a declared indicator: add 'family = ...'",
                )
            try:
                cls = get_indicator(code)
            except KeyError:
                raise fail(
                    ("indicators", code),
                    f"unknown indicator '{code}'; known: {', '.join(sorted(registered()))}"
                    " (or declare it with 'family = ...')",
                ) from None
        if not cfg.enabled:
            continue
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
    if not any(r["weight"] * parsed.dimensions[r["parent"]] > 0 for r in rows):
        raise fail(
            ("indicators",),
            "every enabled indicator's weight (times its dimension's) is zero: nothing would"
            " count toward the score",
        )
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
    # Object dtype: inferring pandas string columns here would build Arrow arrays for 14 rows.
    framework = pd.DataFrame(rows + dims, dtype=object)
    model = FragilityModel(
        framework=framework,
        bands=tuple((b.name, b.lower) for b in parsed.bands),
        min_coverage=parsed.model.min_coverage,
        aggregation=parsed.model.aggregation,
    ).fit()
    canonical = json.dumps(
        {
            # The interval's Monte Carlo settings do not change any score: not in the digest.
            "model": {k: v for k, v in dataclasses.asdict(parsed).items() if k != "uncertainty"},
            "params": {code: ind.get_params() for code, ind in indicators.items()},
        },
        sort_keys=True,
    )
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    return ModelSpec(
        indicators=indicators,
        model=model,
        digest=digest,
        name=parsed.model.name,
        uncertainty=parsed.uncertainty,
    )
