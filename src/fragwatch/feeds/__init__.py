"""New reports from feeds: the ReliefWeb API and RSS/Atom feeds, stored with their provenance in
a local library, run through extraction, and kept as candidates in a review queue.

* ``model``: a fetched report and the one error type for bad feed input.
* ``reliefweb`` and ``rss``: a saved or downloaded response -> reports (parsing only, no I/O).
* ``library``: the reports already stored (re-fetching adds nothing) and the review queue.
* ``fetch``: download with a clear line when offline, then store, extract and queue.
"""
