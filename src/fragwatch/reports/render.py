"""The report's templates: Jinja2 with autoescaping for HTML, strict about missing values.

Report text comes from sources (quotes, titles, publishers): it is data, never markup, so the
HTML template escapes every value it prints. A name the template uses but the view does not
give is an error (StrictUndefined), not an empty string in a reader's mail.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape


@cache
def environment() -> Environment:
    return Environment(
        loader=PackageLoader("fragwatch.reports", "templates"),
        # "report.html.j2" is escaped, "report.txt.j2" is not; a template from a string is.
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), default_for_string=True, default=False
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def render_html(view: Mapping, charts: list[dict]) -> str:
    """The HTML report; ``charts`` give each image's ``src`` (a file name or a ``cid:``)."""
    return environment().get_template("report.html.j2").render(**view, charts=charts)


def render_text(view: Mapping) -> str:
    """The plain-text alternative (no charts; it says where they are), wrapped at 78 columns
    with URLs kept whole (``delivery.wrap``)."""
    from fragwatch.delivery.wrap import wrap_text

    return wrap_text(environment().get_template("report.txt.j2").render(**view))
