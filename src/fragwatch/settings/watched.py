"""The watched countries, read without loading the whole service settings.

Commands about "the watched countries by default" (assess, explain, history, rank, ...) need
only the ``countries`` list of ``fragwatch.toml``. Loading the service settings for it imports
pydantic-settings, about a third of the cost of importing pandas, at every start. The list is
read from the file here when nothing else can set it: no ``FRAGWATCH_COUNTRIES`` variable and no
``.env`` file (pydantic-settings reads both before the file). In any other case, or when the
file or its list is not plainly valid, the answer is None and the caller loads the full
settings, which report any error as before. The other sections are checked by the commands
that use them (``config check``, ``run-once``, ``serve``, ...).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from fragwatch.errors import ConfigError
from fragwatch.settings.model import read_toml

ENV_FILE = ".env"  # pydantic-settings' env_file, relative to the working folder
VARIABLE = "FRAGWATCH_COUNTRIES"
ISO3 = re.compile(r"[A-Z]{3}")


def watched_in_file(path: Path) -> list[str] | None:
    """The file's ``countries`` (empty: not set), or None when only the full settings can say."""
    if Path(ENV_FILE).exists() or any(k.upper().startswith(VARIABLE) for k in os.environ):
        return None
    try:
        data, _ = read_toml(path)
    except ConfigError:
        return None
    countries = data.get("countries", [])
    if not isinstance(countries, list) or not all(
        isinstance(c, str) and ISO3.fullmatch(c) for c in countries
    ):
        return None
    return countries
