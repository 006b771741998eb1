"""Read config/alerts.toml: alert rules, strictly checked against the model's indicators."""

from __future__ import annotations

import re
from pathlib import Path

from fragwatch.alerts.grouping import CATCH_UP, GROUP_BY, Grouping
from fragwatch.alerts.rules import KINDS, SEVERITIES, Rule
from fragwatch.errors import ConfigError
from fragwatch.settings.model import Checker, read_toml

ALERTS_FILE = "alerts.toml"
RULE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
KEYS = {"name", "kind", "severity", "fire", "clear", "indicator", "for_runs", "repeat_hours",
        "description"}  # fmt: skip
# Which side of the fire level the clear level must lie on, per kind (-1: below, +1: above).
CLEAR_SIDE = {"score_above": -1, "indicator_above": -1, "score_below": 1, "indicator_below": 1,
              "stale_evidence": 1}  # fmt: skip


def load_rules(path: Path, indicator_codes: set[str]) -> list[Rule]:
    data, text = read_toml(path)
    check = Checker(path, text)
    check.table(data, (), {"rule", "group"}, {"rule"})
    entries = data["rule"]
    if not isinstance(entries, list) or not entries:
        raise check.fail(("rule",), "must be one or more [[rule]] tables")
    rules: list[Rule] = []
    for i, entry in enumerate(entries):
        rules.append(_rule(check, entry, ("rule", i), indicator_codes))
    names = [r.name for r in rules]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise check.fail(("rule", i, "name"), f"duplicate rule name '{name}'")
    return rules


def _rule(check: Checker, entry: object, loc: tuple, codes: set[str]) -> Rule:
    check.table(entry, loc, KEYS, {"name", "kind"})
    name = check.text_value(entry["name"], (*loc, "name"))
    if not RULE_NAME.fullmatch(name):
        # Names are typed in `alerts ack` and shown in mail headers: keep them one plain word.
        raise check.fail(
            (*loc, "name"), f"'{name}' is not a rule name (letters, digits, '-', '_', '.')"
        )
    kind = entry["kind"]
    if kind not in KINDS:
        raise check.fail((*loc, "kind"), f"unknown kind '{kind}'; known: {', '.join(KINDS)}")
    severity = entry.get("severity", "high")
    if severity not in SEVERITIES:
        raise check.fail((*loc, "severity"), f"must be one of {', '.join(SEVERITIES)}")
    indicator = entry.get("indicator")
    if kind.startswith("indicator_"):
        if indicator not in codes:
            raise check.fail(
                (*loc, "indicator"),
                f"unknown indicator '{indicator}'; the model uses: {', '.join(sorted(codes))}",
            )
    elif indicator is not None:
        raise check.fail((*loc, "indicator"), f"a {kind} rule takes no indicator")
    fire = clear = None
    if kind in ("band_change", "job_failure") and "fire" in entry:
        raise check.fail((*loc, "fire"), f"a {kind} rule takes no fire level")
    if kind not in ("band_change", "job_failure"):
        if "fire" not in entry:
            raise check.fail((*loc, "fire"), "required key is missing")
        fire = check.number(entry["fire"], (*loc, "fire"))
    if kind in CLEAR_SIDE:
        if "clear" not in entry:
            raise check.fail((*loc, "clear"), "required key is missing (the hysteresis level)")
        clear = check.number(entry["clear"], (*loc, "clear"))
        side = CLEAR_SIDE[kind]
        if (clear - fire) * side <= 0 and not (kind == "stale_evidence" and clear == fire):
            where = "below" if side < 0 else "above"
            raise check.fail(
                (*loc, "clear"),
                f"clear level {clear:g} must lie {where} the fire level {fire:g} for {kind}",
            )
    elif "clear" in entry:
        raise check.fail((*loc, "clear"), f"a {kind} rule takes no clear level")
    for_runs = check.whole(entry.get("for_runs", 1), (*loc, "for_runs"))
    repeat = check.number(entry.get("repeat_hours", 24), (*loc, "repeat_hours"), low=0,
                          strict_low=True)  # fmt: skip
    return Rule(name, kind, severity, fire, clear, indicator, for_runs, repeat,
                str(entry.get("description", "")))  # fmt: skip


def load_alert_rules(config_dir: Path, indicator_codes: set[str]) -> list[Rule]:
    path = config_dir / ALERTS_FILE
    if not path.exists():
        raise ConfigError(
            "no such file (alert rules are required to run the service)", where=str(path)
        )
    return load_rules(path, indicator_codes)


def load_grouping(config_dir: Path) -> Grouping:
    """The ``[group]`` table of alerts.toml (defaults when it has none)."""
    path = config_dir / ALERTS_FILE
    if not path.exists():
        return Grouping()
    data, text = read_toml(path)
    check = Checker(path, text)
    entry = data.get("group")
    if entry is None:
        return Grouping()
    check.table(entry, ("group",), {"by", "catch_up"}, set())
    by = entry.get("by", ["country"])
    if not isinstance(by, list) or any(b not in GROUP_BY for b in by):
        raise check.fail(("group", "by"), f"must be a list of: {', '.join(GROUP_BY)}")
    catch_up = entry.get("catch_up", "summary")
    if catch_up not in CATCH_UP:
        raise check.fail(("group", "catch_up"), f"must be one of {', '.join(CATCH_UP)}")
    return Grouping(tuple(by), catch_up)
