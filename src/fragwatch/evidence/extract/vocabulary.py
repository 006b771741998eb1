"""The extraction rules, read from data: one TOML file per quantity and per event kind.

Built-in files live in ``vocabulary/`` beside this module; an analyst's folder (``--vocabulary
DIR`` or ``CONFIG_DIR/vocabulary``) with the same layout adds files, and a file there with the
same name as a built-in one replaces it. ``vocabulary/README.md`` documents the format.

A quantity rule accepts a figure when its measure (count, percent, share, mass, money) is one
the quantity takes and every ``[[require]]`` and no ``[[exclude]]`` clause matches. A clause
looks at a scope: the words ``before`` or ``after`` the figure or ``around`` it (up to
``words`` words on each side, not past a semicolon), the whole ``sentence`` or ``paragraph``;
it matches when any of its regular expressions (case-insensitive; ``(?-i:IS)`` for a
case-sensitive part) is found there, or, with ``country = true``, when the scope names the
country being extracted. An event rule fires on a
sentence that matches one of its ``triggers`` and its clauses (scopes then count from the
trigger).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from fragwatch.errors import ConfigError
from fragwatch.evidence.units import UNITS
from fragwatch.textio import decode_utf8

BUILTIN_DIR = Path(__file__).with_name("vocabulary")
SCOPES = ("before", "after", "around", "sentence", "paragraph")
MEASURES = ("count", "percent", "share", "mass", "money")
FOREIGN = ("skip", "keep")
CODE = re.compile(r"[a-z][a-z0-9_]*")
# In an event rule's patterns, any country's name or adjective: "clashes with {country} forces".
COUNTRY = "{country}"
# Quoted spans; a closing quote with no opening one before it ends a title begun on the line
# before (a footnote broken across pages).
_QUOTED = re.compile(r'“[^”]*”|"[^"]*"|«[^»]*»|^[^“”«»"]*”')


@dataclass(frozen=True)
class Clause:
    scope: str
    words: int
    patterns: tuple[re.Pattern, ...]
    country: bool = False
    # Also met by one of these earlier in the sentence: a frame that governs every figure
    # after it ("As a share of GDP in 2012, the top recipients were Tajikistan (51.9%), ...").
    framed_by: tuple[re.Pattern, ...] = ()

    def matches(self, text: str, country: re.Pattern | None) -> bool:
        if self.country and (country is None or not country.search(text)):
            return False
        return not self.patterns or any(p.search(text) for p in self.patterns)

    def holds(self, span: Span, country: re.Pattern | None) -> bool:
        """Whether the clause matches its scope of ``span`` (or the frame before the anchor)."""
        if self.matches(span.scope(self), country):
            return True
        earlier = span.sentence[: span.start]
        return any(p.search(earlier) for p in self.framed_by)


@dataclass(frozen=True)
class Span:
    """Where a rule looks: the sentence, its paragraph, and the anchor (figure or trigger)."""

    sentence: str
    paragraph: str
    start: int  # anchor span within the sentence
    end: int

    def scope(self, clause: Clause) -> str:
        if clause.scope == "sentence":
            return self.sentence
        if clause.scope == "paragraph":
            return self.paragraph
        if clause.scope == "around":
            return f"{self.before(clause.words)} … {self.after(clause.words)}"
        if clause.scope == "before":
            return self.before(clause.words)
        return self.after(clause.words)

    def before(self, words: int) -> str:
        """The sentence before the anchor, back to a semicolon, at most ``words`` words."""
        text = self.sentence[: self.start].rsplit(";", 1)[-1]
        found = list(re.finditer(r"\S+", text))
        return text[found[-words].start() :] if words and len(found) > words else text

    def after(self, words: int) -> str:
        """The sentence after the anchor, up to a semicolon, at most ``words`` words.

        A figure that ends "the number of <what> ... rose to 300" is told before it: what it
        counts is read as if it followed the figure ("300 Kazakh citizens fighting ...").
        """
        text = self.sentence[self.end :].split(";", 1)[0]
        counted = _NUMBER_OF.search(self.sentence[: self.start].rsplit(";", 1)[-1])
        # The verb may be the figure's own bound: "... in Syria exceeds 300".
        if counted and (
            counted.group("verb") or self.sentence[self.start : self.end][:1].isalpha()
        ):
            text = f" {counted.group('what')}{text}"
        found = list(re.finditer(r"\S+", text))
        return text[: found[words - 1].end()] if words and len(found) >= words else text


# "the number of Kazakh citizens fighting in Syria exceeds", "the total number of detained
# leaders and supporters had risen to": what the figure after it counts.
_NUMBER_OF = re.compile(
    r"\b(?:the\s+)?(?:total\s+|overall\s+|estimated\s+)?number\s+of\s+(?P<what>[^.;:()]{3,160}?)"
    r"(?:,?\s+(?P<verb>(?:(?:is|was|are|were|has|have|had)\s+(?:now\s+|already\s+)?)?"
    r"(?:exceeds?|exceeded|reach(?:es|ed)?|(?:risen|rose|rises|grown|grew|climbed|increased|jumped"
    r"|fallen|fell|dropped|declined)\s+to|stands?\s+at|stood\s+at|totall?(?:ed|s)?|amounts?\s+to"
    r"|amounted\s+to|(?:is|was|are|were)|rang(?:e|es|ed|ing)\s+from|var(?:y|ies|ied)\s+from|at|of)"
    r"\s+(?:(?:more|less|fewer)\s+than\s+|over\s+|about\s+|around\s+|nearly\s+|almost\s+"
    r"|some\s+|up\s+to\s+|at\s+least\s+|roughly\s+|approximately\s+)?)|\s+)$",
    re.IGNORECASE,
)


def _all_match(require: tuple[Clause, ...], exclude: tuple[Clause, ...], span: Span, country):
    return all(c.holds(span, country) for c in require) and not any(
        c.holds(span, country) for c in exclude
    )


@dataclass(frozen=True)
class QuantityRule:
    quantity: str
    label: str
    measures: tuple[str, ...]
    unit: str  # unit written for counts (persons, fighters, ...); other measures keep theirs
    require: tuple[Clause, ...]
    exclude: tuple[Clause, ...]
    minimum: float | None
    maximum: float | None
    path: str
    # "report": always filed under the report's country (militants massed on its border are
    # its threat wherever they stand); "text": the country the sentence gives; "from": the
    # country the figure's people were sent from ("1.8 million Afghans were expelled from Iran"
    # is Iran's), else as "text".
    file_under: str = "text"
    # "previous year": a figure its text does not date is of the year before publication (annual
    # statistics such as remittances are published the year after); "default": as any figure.
    undated: str = "default"

    def accepts(self, measure: str, point: float, span: Span, country: re.Pattern | None) -> bool:
        if measure not in self.measures:
            return False
        if self.minimum is not None and point < self.minimum:
            return False
        if self.maximum is not None and point > self.maximum:
            return False
        return _all_match(self.require, self.exclude, span, country)


@dataclass(frozen=True)
class EventRule:
    kind: str
    label: str
    triggers: tuple[re.Pattern, ...]
    require: tuple[Clause, ...]
    exclude: tuple[Clause, ...]
    foreign: str  # "skip": a sentence naming other countries but not this one is not about it
    path: str
    # Words that make a sentence stating a death toll an event of this kind ("killing at least
    # 15 people" near "suicide"), and which kind wins when several fit one sentence.
    toll: tuple[re.Pattern, ...] = ()
    priority: int = 0
    # Who does such violence ("al-Shabab", "militants"): a toll sentence naming only them is of
    # this kind, but they do not outrank the words of another kind ("al-Shabab's suicide blast").
    actors: tuple[re.Pattern, ...] = ()
    # "dead": a toll told by the nationality of its dead ("three Afghan civilians were killed in
    # a border clash between Pakistan and Afghanistan") is filed under it, one event per side
    # when the dead of two countries are counted apart; "text": the country the sentence gives.
    file_under: str = "text"

    def toll_at(self, sentence: str, actors: bool = False) -> int | None:
        """Where the sentence first has one of this kind's toll words, or with ``actors`` its
        actors (None: nowhere, or a sentence-wide exclusion holds)."""
        starts = [
            m.start() for p in (self.actors if actors else self.toll) if (m := p.search(sentence))
        ]
        if not starts:
            return None
        if any(c.scope == "sentence" and c.matches(sentence, None) for c in self.exclude):
            return None
        return min(starts)

    def fire(self, sentence: str, paragraph: str, country: re.Pattern | None) -> list[re.Match]:
        """Each place the sentence triggers this rule (one sentence may tell of two events).

        Words inside double quotes are a cited title or somebody's words, not the report's
        own account, and do not trigger.
        """
        quoted = [m.span() for m in _QUOTED.finditer(sentence)]
        found: list[re.Match] = []
        for trigger in self.triggers:
            for match in trigger.finditer(sentence):
                if any(s <= match.start() < e for s, e in quoted):
                    continue
                if any(m.start() < match.end() and match.start() < m.end() for m in found):
                    continue
                span = Span(sentence, paragraph, match.start(), match.end())
                if _all_match(self.require, self.exclude, span, country):
                    found.append(match)
        return sorted(found, key=lambda m: m.start())


# Another country as the place ("in southern Kyrgyzstan") or the actor ("Afghan forces").
_PLACE = r"\b(?:in|inside|into)\s+(?:the\s+)?(?:[\w-]+\s+){{0,2}}(?:{names})(?![\w])"
_ACTOR = (
    r"(?<![\w-])(?:{names})\s+(?:[\w-]+\s+)?(?:forces|army|troops|authorities|police|government"
    r"|soldiers|officials|military|side|investigators)\b"
)


@dataclass(frozen=True)
class Mention:
    """A country named in a sentence. ``weak`` when named as an origin, a route, a neighbour or
    a news agency rather than as the subject: "from Russia", "of Afghan origin", "the border
    with Tajikistan", "Russia's RIA news agency", "U.S. dollars"."""

    start: int
    end: int
    code: str
    weak: bool
    subject: bool  # the sentence's subject: its opening words, "X's", "Kyrgyz migrants"


_WEAK_BEFORE = re.compile(
    r"(?:\b(?:from|via|through|bordering|against|destined\s+for|bound\s+for|outlawed\s+in"
    r"|banned\s+in|transit\s+(?:through|via))\s+(?:the\s+)?(?:[\w-]+\s+){0,2}"
    r"|\b(?:border|borders|frontier|clash(?:es)?|fighting|conflict|war|talks|cooperation|relations)"
    r"\s+with\s+(?:the\s+)?"
    # Where migrants live or arrive is not whose migrants they are: "Kyrgyzstanis live in Russia".
    r"|\b(?:live|living|lives|work|working|works|employed|reside|residing|resides|stay|staying"
    r"|migrants|workers|arrived|arriving)\s+in\s+(?:the\s+)?"
    # Nor where they went or fought: "339 individuals had gone to Syria from Kyrgyzstan".
    r"|\b(?:gone|went|go|going|travel+ed|travel+ing|left|leaving|leave|departed|departing|heading"
    r"|headed|moved|moving|fled|flee|sent|joined|cross(?:ed|ing)?|escaped)\s+(?:to|for|into)"
    r"\s+(?:the\s+)?|\bfighting\s+(?:in|for|with|alongside)\s+(?:the\s+)?)$",
    re.I,
)
_WEAK_AFTER = re.compile(
    r"^(?:(?:-[A-Z][\w-]*)?\s+(?:border|borders|frontier)\b|\s+origin\b|-?(?:bound|born)\b|\s*(?:\$|dollars?\b|drugs\b|heroin\b|opiates?\b)"
    r"|(?:’s|'s)?\s+(?:[A-Z][\w-]+\s+){0,2}(?:news\s+agency|new\s+agency|Interfax|TASS|RIA|Novosti"
    r"|Sputnik|Izvestia|Kommersant|media|newspaper))",
)
_CAPITAL = re.compile(r"(?<![\w])[A-Z]")
_JOINED = re.compile(r"^\s*(?:,\s*(?:and\s+|or\s+)?|and\s+|or\s+)(?:the\s+)?$")
_OPENING = re.compile(r"(?:^|[–—:]\s|\(AP\)\s—\s)\W*(?:(?:In|On|At|in|the|The)\s+)?$")
_SUBJECT_AFTER = re.compile(
    r"^(?:’s|'s|\s+(?:[\w-]+\s+){0,2}(?:migrants?|citizens|nationals|workers|authorities|government"
    r"|police|forces|troops|army|officials|ministry|Ministry|families|refugees|people|president"
    r"|President|economy|side)\b)"
)


@dataclass(frozen=True)
class Vocabulary:
    quantities: tuple[QuantityRule, ...]
    events: tuple[EventRule, ...]
    countries: dict[str, re.Pattern] = field(default_factory=dict)
    # Per country: a pattern for it named as the place or the actor of what a sentence tells.
    foreign: dict[str, re.Pattern] = field(default_factory=dict)

    def country_pattern(self, iso3: str) -> re.Pattern | None:
        return self.countries.get(iso3)

    def any_country(self) -> re.Pattern:
        """One pattern for every country's names, each in a group named by its code."""
        pattern = self.__dict__.get("_any")
        if pattern is None:
            pattern = re.compile(
                "|".join(f"(?P<{code}>{p.pattern})" for code, p in self.countries.items())
            )
            object.__setattr__(self, "_any", pattern)
        return pattern

    def _index(self) -> dict[str, list[tuple[str, str]]]:
        """Names by their first three characters, longest first (a dict look-up per capital
        letter is far faster than one regular expression with every name)."""
        index = self.__dict__.get("_names_index")
        if index is None:
            index = {}
            for code, pattern in self.countries.items():
                body = pattern.pattern.removeprefix(r"\b(?:").removesuffix(r")(?![\w])")
                for name in body.split("|"):
                    plain = re.sub(r"\\(.)", r"\1", name)
                    index.setdefault(plain[:3], []).append((plain, code))
            for names in index.values():
                names.sort(key=lambda item: -len(item[0]))
            object.__setattr__(self, "_names_index", index)
        return index

    def mentions(self, text: str) -> list[Mention]:
        """Every country the text names, in order, each marked weak or subject."""
        index = self._index()
        found = []
        end = 0
        for cap in _CAPITAL.finditer(text):
            start = cap.start()
            if start < end:
                continue
            hit = next(
                (
                    (start + len(name), code)
                    for name, code in (
                        *index.get(text[start : start + 3], ()),
                        # Two-letter names ("US", "UK") are indexed under two characters.
                        *index.get(text[start : start + 2], ()),
                    )
                    if text.startswith(name, start)
                    # "US$" is a currency, not a country.
                    and not text.startswith("$", start + len(name))
                    and not (
                        start + len(name) < len(text)
                        and (text[start + len(name)].isalnum() or text[start + len(name)] == "_")
                    )
                ),
                None,
            )
            if hit is None:
                continue
            stop, code = hit
            end = stop
            before, after = text[max(0, start - 120) : start], text[stop : stop + 80]
            weak = bool(_WEAK_BEFORE.search(before[-40:]) or _WEAK_AFTER.match(after))
            # The next of countries named together is what the first is: "fighting in Syria and
            # Iraq", "from Russia and Kazakhstan".
            if found and found[-1].weak and _JOINED.match(text[found[-1].end : start]):
                weak = True
            # A country's name opening the sentence (after a dateline or "In") is its subject:
            # "Kyrgyzstan said that ...", "DUSHANBE, May 18, Asia-Plus – Tajik police ...".
            head = text[:start] if start <= 120 else "x" + before
            opening = bool(_OPENING.search(head))
            subject = not weak and (opening or bool(_SUBJECT_AFTER.match(after)))
            found.append(Mention(start, stop, code, weak, subject))
        return found

    def about_other_country(self, text: str, iso3: str) -> bool:
        """Whether a sentence tells of events in or by another country and never names this one:
        "clashes ... especially in southern Kyrgyzstan", "an attack on Afghan forces"."""
        own = self.countries.get(iso3)
        if own is not None and own.search(text):
            return False
        return any(p.search(text) for code, p in self.foreign.items() if code != iso3)


# -- loading ---------------------------------------------------------------------------------


def _read(path: Path) -> tuple[dict, str]:
    text = decode_utf8(path.read_bytes(), str(path), ConfigError)
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        where = f"{path}:{found.group(1)}" if found else str(path)
        raise ConfigError(f"TOML syntax error: {message}", where=where) from None


def _line(text: str, needle: str) -> int | None:
    for number, line in enumerate(text.splitlines(), start=1):
        if needle and needle in line:
            return number
    return None


class _File:
    """One vocabulary file being read: errors name its path, the line and the field."""

    def __init__(self, path: Path, countries: str = "") -> None:
        self.path = path
        self.data, self.text = _read(path)
        # "{country}" in a pattern stands for any country's name or adjective (case-sensitive).
        self.countries = countries

    def fail(self, message: str, field_name: str, needle: str = "") -> ConfigError:
        line = _line(self.text, needle) or _line(self.text, f"{field_name.split('.')[-1]} =")
        where = f"{self.path}:{line}" if line else str(self.path)
        return ConfigError(message, where=f"{where}: field '{field_name}'")

    def check_keys(self, table: dict, allowed: set[str], prefix: str = "") -> None:
        for key in table:
            if key not in allowed:
                raise self.fail(
                    f"unknown key '{key}'; expected: {', '.join(sorted(allowed))}",
                    prefix + key,
                    f"{key}",
                )

    def string(self, table: dict, key: str, prefix: str = "", required: bool = True) -> str:
        value = table.get(key)
        if value is None and not required:
            return ""
        if not isinstance(value, str) or not value.strip():
            raise self.fail("must be a non-empty string", prefix + key)
        return value

    def patterns(self, values: object, field_name: str) -> tuple[re.Pattern, ...]:
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise self.fail("must be a list of regular expressions (strings)", field_name)
        compiled = []
        for value in values:
            try:
                source = value.replace(COUNTRY, f"(?-i:(?:{self.countries or '(?!)'}))")
                compiled.append(re.compile(source, re.IGNORECASE))
            except re.error as exc:
                raise self.fail(
                    f"'{value}' is not a regular expression ({exc})", field_name, value
                ) from None
        return tuple(compiled)

    def clauses(self, key: str) -> tuple[Clause, ...]:
        entries = self.data.get(key, [])
        if not isinstance(entries, list):
            raise self.fail(f"must be [[{key}]] tables", key)
        found = []
        for n, entry in enumerate(entries):
            prefix = f"{key}[{n}]."
            if not isinstance(entry, dict):
                raise self.fail(f"must be [[{key}]] tables", key)
            self.check_keys(entry, {"scope", "words", "any", "country", "framed_by"}, prefix)
            scope = entry.get("scope", "sentence")
            if scope not in SCOPES:
                raise self.fail(
                    f"'{scope}' is not one of {', '.join(SCOPES)}", prefix + "scope", str(scope)
                )
            words = entry.get("words", 0)
            if not isinstance(words, int) or isinstance(words, bool) or words < 0:
                raise self.fail("must be a whole number >= 0", prefix + "words")
            country = entry.get("country", False)
            if not isinstance(country, bool):
                raise self.fail("must be true or false", prefix + "country")
            patterns = self.patterns(entry.get("any", []), prefix + "any")
            if not patterns and not country:
                raise self.fail("needs 'any' patterns or 'country = true'", prefix + "any")
            frames = self.patterns(entry.get("framed_by", []), prefix + "framed_by")
            found.append(Clause(scope, words, patterns, country, frames))
        return tuple(found)


def _quantity_rule(path: Path) -> QuantityRule:
    f = _File(path)
    allowed = {
        "quantity",
        "label",
        "measures",
        "unit",
        "min",
        "max",
        "require",
        "exclude",
        "file_under",
        "undated",
    }
    f.check_keys(f.data, allowed)
    quantity = f.string(f.data, "quantity")
    if not CODE.fullmatch(quantity):
        raise f.fail(
            f"'{quantity}' is not a quantity code (lower_case_with_underscores)", "quantity"
        )
    measures = f.data.get("measures")
    if not isinstance(measures, list) or not measures or any(m not in MEASURES for m in measures):
        raise f.fail(f"must be a list of {', '.join(MEASURES)}", "measures")
    unit = f.string(f.data, "unit")
    if unit.lower() not in UNITS:
        raise f.fail(f"unknown unit '{unit}'; known units: {', '.join(sorted(UNITS))}", "unit")
    bounds = []
    for key in ("min", "max"):
        value = f.data.get(key)
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool)):
            raise f.fail("must be a number", key)
        bounds.append(None if value is None else float(value))
    return QuantityRule(
        quantity=quantity,
        label=f.string(f.data, "label"),
        measures=tuple(measures),
        unit=unit,
        require=f.clauses("require"),
        exclude=f.clauses("exclude"),
        minimum=bounds[0],
        maximum=bounds[1],
        path=str(path),
        file_under=_file_under(f),
        undated=_undated(f),
    )


def _undated(f: _File) -> str:
    value = f.data.get("undated", "default")
    if value not in ("default", "previous year"):
        raise f.fail(f"'{value}' is not one of default, previous year", "undated", str(value))
    return value


def _file_under(f: _File) -> str:
    value = f.data.get("file_under", "text")
    if value not in ("text", "report", "from"):
        raise f.fail(f"'{value}' is not one of text, report, from", "file_under", str(value))
    return value


def _event_rule(path: Path, countries: str = "") -> EventRule:
    f = _File(path, countries)
    f.check_keys(
        f.data,
        {
            "kind",
            "label",
            "triggers",
            "foreign",
            "require",
            "exclude",
            "toll",
            "actors",
            "priority",
            "file_under",
        },
    )
    kind = f.string(f.data, "kind")
    if not CODE.fullmatch(kind):
        raise f.fail(f"'{kind}' is not an event kind (lower_case_with_underscores)", "kind")
    triggers = f.patterns(f.data.get("triggers"), "triggers")
    if not triggers:
        raise f.fail("needs at least one trigger pattern", "triggers")
    foreign = f.data.get("foreign", "skip")
    if foreign not in FOREIGN:
        raise f.fail(f"'{foreign}' is not one of {', '.join(FOREIGN)}", "foreign", str(foreign))
    priority = f.data.get("priority", 0)
    if not isinstance(priority, int) or isinstance(priority, bool):
        raise f.fail("must be a whole number", "priority")
    toll = f.patterns(f.data["toll"], "toll") if "toll" in f.data else ()
    actors = f.patterns(f.data["actors"], "actors") if "actors" in f.data else ()
    file_under = f.data.get("file_under", "text")
    if file_under not in ("text", "dead"):
        raise f.fail(f"'{file_under}' is not one of text, dead", "file_under", str(file_under))
    return EventRule(
        kind=kind,
        label=f.string(f.data, "label"),
        triggers=triggers,
        require=f.clauses("require"),
        exclude=f.clauses("exclude"),
        foreign=foreign,
        path=str(path),
        toll=toll,
        priority=priority,
        actors=actors,
        file_under=file_under,
    )


def _countries(path: Path) -> dict[str, str]:
    f = _File(path)
    found = {}
    for code, names in f.data.items():
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise f.fail(f"'{code}' is not an ISO3 country code", code, f"{code} =")
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise f.fail("must be a list of names", code, f"{code} =")
        found[code] = _names(names)
    return found


def _names(names: list[str]) -> str:
    return "|".join(sorted(map(re.escape, names), key=len, reverse=True))


def _files(folders: list[Path], sub: str, suffix: str = ".toml") -> list[Path]:
    """The files of ``sub`` across folders; a later folder's file replaces a same-named one."""
    chosen: dict[str, Path] = {}
    for folder in folders:
        directory = folder / sub
        if directory.is_dir():
            for path in sorted(directory.glob(f"*{suffix}")):
                chosen[path.name] = path
    return [chosen[name] for name in sorted(chosen)]


def load_vocabulary(extra: list[Path] | None = None) -> Vocabulary:
    """The built-in rules with each folder in ``extra`` layered on top, in order."""
    folders = [BUILTIN_DIR]
    for folder in extra or []:
        if not folder.is_dir():
            raise ConfigError("no such folder", where=f"{folder}: vocabulary")
        folders.append(folder)
    names: dict[str, str] = {}
    for folder in folders:
        if (folder / "countries.toml").is_file():
            names.update(_countries(folder / "countries.toml"))
    every = "|".join(names.values())
    quantities = tuple(_quantity_rule(p) for p in _files(folders, "quantities"))
    events = tuple(_event_rule(p, every) for p in _files(folders, "events"))
    countries = {code: re.compile(rf"\b(?:{alt})(?![\w])") for code, alt in names.items()}
    foreign = {
        code: re.compile(_PLACE.format(names=alt) + "|" + _ACTOR.format(names=alt))
        for code, alt in names.items()
    }
    for kind, rules, attr in (("quantity", quantities, "quantity"), ("event kind", events, "kind")):
        seen: dict[str, str] = {}
        for rule in rules:
            code = getattr(rule, attr)
            if code in seen:
                raise ConfigError(
                    f"{kind} '{code}' is also defined in {seen[code]}", where=f"{rule.path}"
                )
            seen[code] = rule.path
    return Vocabulary(quantities, events, countries, foreign)
