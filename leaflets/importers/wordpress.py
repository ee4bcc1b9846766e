"""Read a page or post saved from the WordPress REST API (/wp-json/wp/v2/pages/ID)."""

from __future__ import annotations

import json
from typing import Any

from bs4 import BeautifulSoup

from ..exceptions import ImportSourceError, Problem
from .html_page import convert_fragment
from .limits import check_json_depth
from .model import Page, parse_date
from .to_markdown import plain_text

_EXPECTED = "expected the JSON of /wp-json/wp/v2/pages/ID or /wp-json/wp/v2/posts/ID"


def parse_wordpress(text: str, *, name: str) -> Page:
    """Read the title, content, link, dates and Yoast SEO metadata of a WordPress page."""
    check_json_depth(text, name=name)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ImportSourceError(
            problems=[
                Problem(
                    name,
                    error.lineno,
                    None,
                    f"invalid JSON: {error.msg} (column {error.colno})",
                )
            ]
        ) from None
    if isinstance(data, list):
        if len(data) != 1:
            raise ImportSourceError(
                f"{name}: holds {len(data)} pages, not one; save a single page ({_EXPECTED})"
            )
        data = data[0]
    content = _rendered(data, "content")
    if content is None:
        raise ImportSourceError(
            f"{name}: not a WordPress page or post: no content.rendered ({_EXPECTED})"
        )
    if not content.strip():
        protected = isinstance(data.get("content"), dict) and data["content"].get("protected")
        reason = "it is password-protected" if protected else "content.rendered is empty"
        raise ImportSourceError(f"{name}: no article found: {reason}")
    title = _text(_rendered(data, "title") or "")
    if not title:
        raise ImportSourceError(f"{name}: the page has no title.rendered")
    blocks, removed = convert_fragment(content, name=name, field="content.rendered")
    yoast = data.get("yoast_head_json")
    yoast = yoast if isinstance(yoast, dict) else {}
    language, origin = _string(yoast, "og_locale"), "yoast_head_json.og_locale"
    if language:
        origin = f"{origin} {language!r}"
    url = _string(yoast, "canonical") or _string(data, "link")
    return Page(
        title=title,
        blocks=blocks,
        language=language,
        language_origin=origin,
        url=url if url.startswith(("http://", "https://")) else "",
        publisher=_text(_string(yoast, "og_site_name")),
        modified=parse_date(data.get("modified")) or parse_date(yoast.get("article_modified_time")),
        removed=removed,
    )


def _rendered(data: Any, key: str) -> str | None:
    value = data.get(key) if isinstance(data, dict) else None
    rendered = value.get("rendered") if isinstance(value, dict) else None
    return rendered if isinstance(rendered, str) else None


def _string(data: dict[str, Any], key: str) -> str:
    value = data.get(key)
    return value.strip() if isinstance(value, str) else ""


def _text(html: str) -> str:
    """Return the text of a small piece of HTML (a title), entities decoded."""
    return plain_text(BeautifulSoup(html, "html.parser"))
