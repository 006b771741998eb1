"""User-facing error types.

Each kind of user error has its own exception type and exit code. The CLI is the one place that
turns them into a one-line message and a process exit status; library code only raises.
"""

from __future__ import annotations


class FragwatchError(Exception):
    """Base class for errors caused by user input rather than by a bug."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None) -> None:
        self.message = message
        self.where = where
        super().__init__(self.one_line())

    def one_line(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        # A message must stay on one line even when it quotes user data.
        return " ".join(text.split())


class UsageError(FragwatchError):
    """A command-line argument is malformed or out of range."""

    exit_code = 2


class ConfigError(FragwatchError):
    """A configuration file (model, settings) is missing, malformed or inconsistent."""

    exit_code = 3


class EvidenceError(FragwatchError):
    """An evidence file has a bad row, column or reference."""

    exit_code = 4


class PanelError(FragwatchError):
    """An indicator panel or framework table handed to the scoring core is inconsistent."""

    exit_code = 5


def location(file: str | None, line: int | None = None, field: str | None = None) -> str:
    """Format 'file:line: field' the way every error message names its place."""
    parts = []
    if file:
        parts.append(f"{file}:{line}" if line is not None else file)
    elif line is not None:
        parts.append(f"line {line}")
    if field:
        parts.append(f"field '{field}'")
    return ": ".join(parts)


def did_you_mean(word: str, known, cutoff: float = 0.6) -> str:
    """' (did you mean x?)' naming the nearest known name, or '' when none is close."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(k) for k in known], n=1, cutoff=cutoff)
    return f" (did you mean {close[0]}?)" if close else ""


class ServiceError(FragwatchError):
    """A service job failed, or mail is left undelivered after a one-shot run."""

    exit_code = 7
