"""Report text -> candidate evidence, each figure with the sentence it came from.

The pipeline, one module per step:

* ``document``: a file (plain text, HTML, PDF) -> text, with clear errors for unreadable input;
  ``html`` and ``pdf`` do the format-specific parts.
* ``sentences``: text -> paragraphs and sentences with character offsets.
* ``times``: the dates and periods a paragraph mentions, resolved against the publication date.
* ``numbers``: the figures a sentence states (units, ranges, bounds, approximations).
* ``vocabulary``: the data-driven rules (one TOML file per quantity and event kind) that say
  which figures and sentences are evidence of what.
* ``learned``: the context model (read from ``model/quantity.json``) that, with ``--learned``,
  names the quantity of a figure no rule takes; ``training`` fits it on the corpus's tune part.
* ``candidates``: runs the rules over a text and gives candidate observations and events;
  ``review`` writes and reads the candidates file an analyst reviews.
* ``evaluate``: recall and precision of the rules against a curated evidence base.
"""
