"""Find the article in an HTML page or fragment, leave out its chrome, and convert it."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import nh3
from bs4 import BeautifulSoup
from bs4.element import NavigableString, PageElement, PreformattedString, Tag

from ..exceptions import ImportSourceError
from .limits import check_html_depth
from .model import Block, Page, Removal, parse_date, snippet
from .to_markdown import HEADINGS, MarkdownConverter, plain_text

#: Tags kept by the sanitizer: structure to find the article in, and what Markdown can say.
ALLOWED_TAGS = {
    "a",
    "abbr",
    "address",
    "article",
    "aside",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "del",
    "details",
    "dfn",
    "div",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "footer",
    "header",
    "hr",
    "i",
    "img",
    "ins",
    "kbd",
    "li",
    "main",
    "mark",
    "nav",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "samp",
    "section",
    "small",
    "span",
    "strong",
    "sub",
    "summary",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
    *HEADINGS,
}
#: Tags removed together with everything inside them: code, media, forms, the head.
DROPPED_WITH_CONTENT = {
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "object",
    "embed",
    "svg",
    "math",
    "canvas",
    "form",
    "button",
    "select",
    "textarea",
    "audio",
    "video",
    "map",
    "dialog",
    "head",
    "title",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "role", "aria-label", "aria-hidden", "hidden"},
    "a": {"href"},
    "img": {"alt", "src"},
}
_URL_SCHEMES = {"http", "https", "mailto", "tel"}

#: Page chrome recognised by role, and by words in a class, id or aria-label.
_CHROME_ROLES = {
    "navigation": "navigation",
    "banner": "page header",
    "contentinfo": "footer",
    "complementary": "sidebar",
    "search": "search box",
    "dialog": "dialog",
    "alertdialog": "dialog",
}
_CHROME_WORDS = (
    ("cookie", "cookie banner"),
    ("consent", "cookie banner"),
    ("gdpr", "cookie banner"),
    ("cmplz", "cookie banner"),
    ("onetrust", "cookie banner"),
    ("breadcrumb", "breadcrumb"),
    ("sidebar", "sidebar"),
    ("share", "share buttons"),
    ("social", "share buttons"),
    ("related", "related links"),
    ("comment", "comments"),
    ("newsletter", "newsletter box"),
    ("skip-link", "navigation"),
    ("screen-reader", "screen-reader text"),
    ("navbar", "navigation"),
    ("pagination", "navigation"),
    ("site-header", "page header"),
    ("site-footer", "footer"),
    ("advert", "advertisement"),
)
_CONTENT_HINTS = (
    "entry-content",
    "post-content",
    "article-content",
    "article-body",
    "page-content",
    "main-content",
    "content",
)
#: Characters that separate the steps of a breadcrumb trail ("Home » Topics » Page").
_CRUMB_SEPARATORS = re.compile(r"\s*[»›→>|/]\s*")
_TITLE_SEPARATORS = (" - ", " | ", " – ", " — ", " · ")


def sanitize(html: str) -> str:
    """Return *html* parsed as a browser would, with only harmless structure left.

    nh3 (the Ammonia sanitizer) drops scripts, styles, event handlers, unsafe
    URLs and comments, and its HTML5 parser repairs unclosed tags, so the tree
    walked afterwards is the one a reader saw.
    """
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        clean_content_tags=DROPPED_WITH_CONTENT,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes=_URL_SCHEMES,
        strip_comments=True,
        link_rel=None,
    )


def convert_fragment(
    html: str, *, name: str, field: str | None = None
) -> tuple[list[Block], list[Removal]]:
    """Convert an article fragment (a CMS's rendered content, *field*) to Blocks."""
    check_html_depth(html, name=name, field=field)
    raw = BeautifulSoup(html, "html.parser")
    removed = _code_removals(raw)
    soup = BeautifulSoup(sanitize(_reserialized(raw)), "html.parser")
    blocks = _convert(_find_article(_strip_chrome(soup, removed)), name=name, removed=removed)
    return blocks, removed


def parse_html_page(text: str, *, name: str) -> Page:
    """Read a saved HTML page (or fragment): its metadata and its main article."""
    check_html_depth(text, name=name)
    raw = BeautifulSoup(text, "html.parser")
    removed = _code_removals(raw)
    meta = _metadata(raw)
    body = raw.find("body")
    if not isinstance(body, Tag):
        for tag in raw.find_all(("head", "title", "meta", "link", "base")):
            tag.decompose()
    soup = BeautifulSoup(
        sanitize(_reserialized(body if isinstance(body, Tag) else raw)), "html.parser"
    )
    article = _find_article(_strip_chrome(soup, removed))
    h1 = article.find("h1")
    title = plain_text(h1) if isinstance(h1, Tag) else ""
    title = title or _strip_site_name(
        meta.get("og:title", "") or meta.get("title", ""), meta.get("og:site_name", "")
    )
    if not title:
        raise ImportSourceError(
            f"{name}: no title found: the page has no <h1>, og:title or <title>"
        )
    blocks = _convert(article, name=name, removed=removed)
    language, origin = "", ""
    for key, label in (
        ("html-lang", "<html lang>"),
        ("content-language", "Content-Language"),
        ("og:locale", "og:locale"),
    ):
        if meta.get(key):
            language, origin = meta[key], f"{label} {meta[key]!r}"
            break
    return Page(
        title=title,
        blocks=blocks,
        language=language,
        language_origin=origin,
        url=meta.get("canonical", "") or meta.get("og:url", ""),
        publisher=meta.get("og:site_name", ""),
        modified=parse_date(meta.get("modified", "")),
        removed=removed,
    )


def _reserialized(root: Tag) -> str:
    """Return the contents of *root*, parsed by Python, written out again for the sanitizer.

    The nesting depth was measured on what Python's HTML parser reads
    (limits.py); the sanitizer's HTML5 parser must build its tree from the
    same tags, or a page could nest deeper for it than measured. So it gets
    this parser's tree written back, every element explicitly closed, less
    what the two parsers may end in different places: comments, declarations
    and the raw text of scripts and styles (all dropped by the sanitizer
    anyway; they were counted for the report before).
    """
    return root.decode(iterator=_kept(root))


def _kept(root: Tag) -> Iterator[PageElement]:
    """Yield what lies in *root* but comments, declarations, scripts and styles."""
    # Read, not removed: bs4 finds a node's place among its siblings by a
    # linear search, so removing many would take quadratic time.
    raw_text: Tag | None = None
    for node in root.descendants:
        if raw_text is not None and node.parent is raw_text:
            continue  # A script's or style's text (Python's parser puts no tag there).
        if isinstance(node, Tag) and node.name in ("script", "style"):
            raw_text = node
        elif not isinstance(node, PreformattedString):
            yield node


def _convert(article: Tag, *, name: str, removed: list[Removal]) -> list[Block]:
    converter = MarkdownConverter()
    blocks = converter.blocks(article)
    removed.extend(converter.removed)
    if not any(not block.is_heading for block in blocks):
        raise ImportSourceError(
            f"{name}: no article found: no text is left once navigation, headers, "
            "footers, banners and scripts are left out"
        )
    return blocks


def _code_removals(raw: BeautifulSoup) -> list[Removal]:
    """Count the scripts, styles, embeds and forms the sanitizer will drop, for the report."""
    found = Counter(
        tag.name for tag in raw.find_all(sorted(DROPPED_WITH_CONTENT - {"head", "title"}))
    )
    if not found:
        return []
    listed = ", ".join(f"{count} <{tag}>" for tag, count in sorted(found.items()))
    return [Removal("scripts, styles, embeds and forms", listed)]


def _metadata(raw: BeautifulSoup) -> dict[str, str]:
    """Return what the page's <html> and <head> say about it."""
    meta: dict[str, str] = {}
    html = raw.find("html")
    if isinstance(html, Tag):
        meta["html-lang"] = _attr(html, "lang") or _attr(html, "xml:lang")
    title = raw.find("title")
    if isinstance(title, Tag):
        meta["title"] = plain_text(title)
    for tag in raw.find_all("meta"):
        key = (
            _attr(tag, "property")
            or _attr(tag, "name")
            or _attr(tag, "itemprop")
            or _attr(tag, "http-equiv")
        ).lower()
        value = " ".join(_attr(tag, "content").split())
        if not key or not value:
            continue
        if key in ("article:modified_time", "og:updated_time", "datemodified", "last-modified"):
            meta.setdefault("modified", value)
        elif key in ("og:title", "og:site_name", "og:url", "og:locale", "content-language"):
            meta.setdefault(key, value)
    for tag in raw.find_all("link"):
        if "canonical" in _attr(tag, "rel").lower().split():
            meta.setdefault("canonical", _attr(tag, "href"))
    return {key: value for key, value in meta.items() if value}


def _strip_site_name(title: str, site: str) -> str:
    if site:
        for separator in _TITLE_SEPARATORS:
            if title.endswith(separator + site):
                return title[: -len(separator + site)].strip()
    return title.strip()


def _attr(tag: Tag, name: str) -> str:
    value = tag.get(name)
    if value is None:
        return ""
    return value if isinstance(value, str) else " ".join(value)


def _words(tag: Tag) -> str:
    return " ".join((_attr(tag, "class"), _attr(tag, "id"), _attr(tag, "aria-label"))).lower()


def _is_article(tag: Tag) -> bool:
    return tag.name in ("main", "article") or _attr(tag, "role") == "main"


def _strip_chrome(soup: BeautifulSoup, removed: list[Removal]) -> BeautifulSoup:
    """Remove navigation, headers, footers, sidebars, banners and breadcrumbs, recording each."""
    total = len(plain_text(soup))

    def protected(tag: Tag) -> bool:
        # Never remove what holds the article: a wrapper whose class says
        # "has-sidebar" or a header with the page's <h1> is part of the page.
        if _is_article(tag) or tag.find(_is_article) or tag.find("h1"):
            return True
        return total >= 200 and len(plain_text(tag)) > total / 2

    def remove(tag: Tag, what: str) -> None:
        text = plain_text(tag)
        if text:
            removed.append(Removal(what, snippet(text)))
        tag.decompose()

    for tag in soup.find_all(True):
        if _decomposed(tag):
            continue
        what = _chrome(tag)
        if what and not protected(tag):
            remove(tag, what)
    for tag in soup.find_all(("p", "div", "ol", "ul", "li")):
        if not _decomposed(tag) and _is_breadcrumb(tag):
            remove(tag, "breadcrumb")
    for link in soup.find_all("a", href=True):
        if not _decomposed(link) and _attr(link, "href").startswith("#"):
            group = _anchor_group(link)
            if group is not None:
                links = [plain_text(a) for a in group.find_all("a")] if group.name != "a" else []
                removed.append(
                    Removal("in-page navigation", " · ".join(links) or plain_text(group))
                )
                group.decompose()
    return soup


def _decomposed(tag: Tag) -> bool:
    """Tell whether *tag* was removed with an element around it."""
    # Not tag.decomposed: on a live tag, bs4 looks "_decomposed" up as the name
    # of a child tag, searching the whole subtree; once per tag, that is
    # quadratic in the page's depth.
    return bool(tag.__dict__.get("_decomposed", False))


def _chrome(tag: Tag) -> str:
    """Return what kind of page chrome *tag* is, or "" when it may be article text."""
    if _attr(tag, "aria-hidden") == "true" or tag.has_attr("hidden"):
        return "hidden element"
    # Class words first: they are the most specific ("breadcrumb" on a <nav>,
    # "cookie" on a role="dialog").
    words = _words(tag)
    for stem, what in _CHROME_WORDS:
        if stem in words:
            return what
    if _attr(tag, "role") in _CHROME_ROLES:
        return _CHROME_ROLES[_attr(tag, "role")]
    if tag.name == "nav":
        return "navigation"
    if tag.name == "footer":
        return "footer"
    # Inside the article, a <header> holds its title and an <aside> a note of its own.
    if tag.name in ("header", "aside") and tag.find_parent(_is_article) is None:
        return "page header" if tag.name == "header" else "sidebar"
    return ""


_NOT_IN_CRUMBS = frozenset(("p", "div", "ul", "ol", "h1", "h2", "h3"))


def _is_breadcrumb(tag: Tag) -> bool:
    """Tell whether *tag* is a short trail of links like "Home » Topics » This page"."""
    # One walk instead of two tag.find() calls: this runs for every block of the page.
    links = False
    for element in tag.descendants:
        if isinstance(element, Tag):
            if element.name in _NOT_IN_CRUMBS:
                return False
            links = links or element.name == "a"
    if not links:
        return False
    text = plain_text(tag).replace("\u00a0", " ")
    if len(text) > 200:
        return False
    steps = [step for step in _CRUMB_SEPARATORS.split(text) if step.strip()]
    separators = len(_CRUMB_SEPARATORS.findall(text))
    return separators >= 1 and len(steps) >= 2 and all(len(step.split()) <= 8 for step in steps)


def _anchor_group(link: Tag) -> Tag | None:
    """Return the largest element around *link* made only of in-page links."""
    group: Tag | None = None
    current: Tag | None = link
    while current is not None and current.name not in ("[document]", "body"):
        if _is_article(current) or not _only_anchor_links(current):
            break
        group = current
        current = current.parent
    return group


def _only_anchor_links(tag: Tag) -> bool:
    for text in tag.find_all(string=True):
        if not isinstance(text, NavigableString) or not text.strip():
            continue
        link = text.find_parent("a")
        if link is None or not _attr(link, "href").startswith("#"):
            return False
    return True


def _find_article(soup: BeautifulSoup) -> Tag:
    """Return the element holding the main text: <main>, <article>, a content div, or all."""
    scope: Tag = soup
    mains = soup.find_all(lambda tag: tag.name == "main" or _attr(tag, "role") == "main")
    if mains:
        scope = mains[0]
    articles = [tag for tag in scope.find_all("article") if not tag.find_parent("article")]
    if articles:
        return max(articles, key=lambda tag: len(plain_text(tag)))
    if mains:
        return scope
    hinted = [
        tag
        for tag in soup.find_all(True)
        if any(
            hint in _attr(tag, "class").lower().split() or hint == _attr(tag, "id").lower()
            for hint in _CONTENT_HINTS
        )
    ]
    if hinted:
        return max(hinted, key=lambda tag: len(plain_text(tag)))
    return soup
