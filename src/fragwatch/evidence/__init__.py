"""Evidence: sources, observations and events, each row citing the sentence it came from."""

from fragwatch.evidence.base import Evidence

__all__ = ["Evidence"]
