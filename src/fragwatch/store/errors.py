"""The store's user-facing error type."""

from __future__ import annotations

from fragwatch.errors import FragwatchError


class StoreError(FragwatchError):
    """The database cannot be opened, is not a fragwatch store, or has an unknown schema version."""

    exit_code = 6
