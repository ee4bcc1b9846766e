"""Turn the Markdown of condition content into safe HTML, refusing what cannot print."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from ..config import CONTENT_LINK_SCHEMES, unreadable_image, unsafe_url
from ..exceptions import Problem, quote
from ..workspace import builtin_theme_dir

#: Link schemes a printed leaflet may show; links are printed, never fetched.
LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")

#: Longer words are probably a missing space or a pasted code: the stylesheet
#: breaks them at the page edge (overflow-wrap), and `check` warns.
LONG_WORD = 40
_LONG_WORD_RE = re.compile(rf"[^\s/]{{{LONG_WORD + 1},}}")


def _parser() -> MarkdownIt:
    # Raw HTML is parsed (so that it can be reported) but never rendered: the
    # renderer below refuses the whole section when any is found.
    md = MarkdownIt("commonmark", {"html": True})
    # Let every link through the parser; _check_tokens decides, with a message,
    # instead of markdown-it silently printing a refused link as plain text.
    md.validateLink = lambda url: True  # type: ignore[method-assign]
    return md


_MD = _parser()


def _walk(tokens: Sequence[Token]) -> list[tuple[Token, int]]:
    """Flatten block and inline tokens, each with the body line it starts on."""
    found = []
    line = 0
    for token in tokens:
        if token.map:
            line = token.map[0]
        found.append((token, line))
        for child in token.children or ():
            found.append((child, line))
    return found


def _check_tokens(
    tokens: Sequence[Token],
    *,
    path: str,
    field: str,
    first_line: int,
    base_dir: Path,
    root: Path,
) -> list[Problem]:
    problems = []
    for token, offset in _walk(tokens):
        line = first_line + offset
        if token.type in ("html_block", "html_inline"):
            snippet = token.content.strip().splitlines()[0][:40]
            problems.append(
                Problem(
                    path,
                    line,
                    field,
                    f"raw HTML {snippet!r} is not allowed; write it in Markdown",
                )
            )
        elif token.type == "image":
            src = str(token.attrs.get("src", ""))
            resolved = (base_dir / src).resolve()
            if ":" in src.split("/")[0] or src.startswith(("/", "\\")):
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"image {quote(src)} must be a relative path to a file in the workspace",
                    )
                )
            elif not resolved.is_relative_to(root):
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"image {quote(src)} is outside the workspace",
                    )
                )
            elif not resolved.is_file():
                problems.append(Problem(path, line, field, f"image {quote(src)} does not exist"))
            elif why := unreadable_image(resolved, allowed=(root, builtin_theme_dir())):
                problems.append(Problem(path, line, field, f"image {quote(src)} {why}"))
            else:
                token.attrs["src"] = resolved.as_uri()
            if not token.content.strip():
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"image {quote(src)} needs a description: ![what it shows]({src})",
                    )
                )
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if not href.startswith("#") and (why := unsafe_url(href, CONTENT_LINK_SCHEMES)):
                problems.append(Problem(path, line, field, f"link {why}"))
        elif token.type == "text":
            for word in _LONG_WORD_RE.findall(token.content):
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"the word {word[:30]!r}… is {len(word)} characters long; "
                        "it will be broken at the page edge (a missing space?)",
                        severity="warning",
                    )
                )
    return problems


def render_block(
    text: str,
    *,
    path: str,
    field: str,
    first_line: int,
    base_dir: Path,
    root: Path,
) -> tuple[Markup, list[Problem]]:
    """Render block Markdown (paragraphs, lists, ### headings) to safe HTML.

    *first_line* is the file line where *text* starts, for messages.
    """
    tokens = _MD.parse(text)
    problems = _check_tokens(
        tokens, path=path, field=field, first_line=first_line, base_dir=base_dir, root=root
    )
    for token, offset in _walk(tokens):
        if token.type == "heading_open" and token.tag in ("h1", "h2"):
            problems.append(
                Problem(
                    path,
                    first_line + offset,
                    field,
                    "use ### for a heading inside a section (# and ## are taken by the layout)",
                )
            )
    return _render(tokens, problems)


def render_inline(
    text: str,
    *,
    path: str,
    field: str,
    line: int,
    base_dir: Path,
    root: Path,
) -> tuple[Markup, list[Problem]]:
    """Render one line of inline Markdown (bold, italics, links) to safe HTML."""
    tokens = _MD.parseInline(text)
    problems = _check_tokens(
        tokens, path=path, field=field, first_line=line, base_dir=base_dir, root=root
    )
    return _render(tokens, problems)


def _render(tokens: list[Token], problems: list[Problem]) -> tuple[Markup, list[Problem]]:
    """Return the HTML of *tokens*, or nothing at all when anything was refused."""
    if any(problem.is_error for problem in problems):
        return Markup(""), problems
    return Markup(_MD.renderer.render(tokens, _MD.options, {})), problems
