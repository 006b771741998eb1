"""HTML -> the article's text, one paragraph per line, without navigation and boilerplate.

Rules, in order: drop elements that never hold the article (scripts, styles, forms, ``nav``,
``aside``, ``header``, ``footer``, ARIA navigation/banner/complementary/contentinfo roles,
hidden elements); read from ``<article>``, else ``<main>``, else the body; inside it, drop
elements whose class or id names boilerplate (menu, breadcrumb, share, related, cookie, ...) and
short blocks that are mostly links (menus nobody marked up as such). Every block element starts
a new paragraph; white space inside a paragraph is collapsed to single spaces.
"""

from __future__ import annotations

import re

DROP_TAGS = [
    "script",
    "style",
    "noscript",
    "template",
    "svg",
    "canvas",
    "iframe",
    "object",
    "form",
    "button",
    "select",
    "input",
    "textarea",
    "nav",
    "aside",
    "header",
    "footer",
    "head",
]
DROP_ROLES = {"navigation", "banner", "complementary", "contentinfo", "search", "menu", "dialog"}
BLOCK_TAGS = [
    "p",
    "div",
    "section",
    "article",
    "main",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "pre",
    "table",
    "tr",
    "td",
    "th",
    "figure",
    "figcaption",
    "address",
    "hr",
]
BOILERPLATE = re.compile(
    r"(?:^|[-_\s])(?:nav|navbar|navigation|menu|breadcrumbs?|footer|masthead|sidebar|cookies?"
    r"|consent|share|sharing|social|related|recommended|comments?|newsletter|subscribe|promo"
    r"|advert|ads|sponsor|skip|toolbar|pagination|pager|popup|modal|banner|tags)(?:$|[-_\s])",
    re.I,
)
LINK_SHARE = 0.6  # a block whose text is more than this share of links ...
LINK_BLOCK_CHARS = 300  # ... and shorter than this is a menu


def _meta(soup, *names: str) -> str:
    for name in names:
        tag = soup.find("meta", attrs={"property": name}) or soup.find("meta", attrs={"name": name})
        if tag and tag.get("content", "").strip():
            return " ".join(tag["content"].split())
    return ""


def _hidden(tag) -> bool:
    style = (tag.get("style") or "").replace(" ", "").lower()
    return (
        tag.has_attr("hidden")
        or tag.get("aria-hidden") == "true"
        or "display:none" in style
        or "visibility:hidden" in style
        or (tag.get("role") or "").lower() in DROP_ROLES
    )


def _boilerplate(tag) -> bool:
    names = " ".join([*(tag.get("class") or []), tag.get("id") or ""])
    return bool(names.strip()) and bool(BOILERPLATE.search(names))


def html_to_text(markup: str) -> tuple[str, str, str]:
    """(text, title, publisher) of an HTML page."""
    from bs4 import BeautifulSoup, Comment

    soup = BeautifulSoup(markup, "html.parser")
    title = _meta(soup, "og:title", "twitter:title")
    if not title and soup.title and soup.title.string:
        title = " ".join(soup.title.string.split())
    publisher = _meta(soup, "og:site_name", "publisher", "author")

    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(DROP_TAGS):
        tag.decompose()
    for tag in soup.find_all(_hidden):
        tag.decompose()
    root = (
        soup.find("article")
        or soup.find("main")
        or soup.find(attrs={"role": "main"})
        or soup.body
        or soup
    )
    for tag in root.find_all(_boilerplate):
        if not tag.decomposed:
            tag.decompose()
    for tag in root.find_all(BLOCK_TAGS):
        if tag.decomposed or tag.find(BLOCK_TAGS):
            continue
        text = tag.get_text(" ", strip=True)
        links = sum(len(a.get_text(" ", strip=True)) for a in tag.find_all("a"))
        if text and len(text) < LINK_BLOCK_CHARS and links / len(text) > LINK_SHARE:
            tag.decompose()
    if not title:
        heading = root.find("h1")
        title = heading.get_text(" ", strip=True) if heading else ""

    # Collapse the source's own line breaks, then mark paragraph breaks at block elements.
    for string in root.find_all(string=True):
        string.replace_with(re.sub(r"\s+", " ", str(string)))
    for tag in root.find_all("br"):
        tag.replace_with("\n")
    for tag in root.find_all(BLOCK_TAGS):
        tag.insert_before("\n")
        tag.append("\n")
    lines = (" ".join(line.split()) for line in root.get_text().split("\n"))
    text = "\n\n".join(line for line in lines if line)
    return text + ("\n" if text else ""), title, publisher
