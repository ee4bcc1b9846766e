"""Turn the Markdown of condition content into safe HTML, refusing what cannot print."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from markdown_it import MarkdownIt
from markdown_it.token import Token
from markupsafe import Markup

from .exceptions import Problem

#: Link schemes a printed leaflet may show; links are printed, never fetched.
LINK_SCHEMES = ("http://", "https://", "mailto:", "tel:")


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
                        f"image {src!r} must be a relative path to a file in the workspace",
                    )
                )
            elif not resolved.is_relative_to(root):
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"image {src!r} is outside the workspace",
                    )
                )
            elif not resolved.is_file():
                problems.append(Problem(path, line, field, f"image {src!r} does not exist"))
            else:
                token.attrs["src"] = resolved.as_uri()
            if not token.content.strip():
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"image {src!r} needs a description: ![what it shows]({src})",
                    )
                )
        elif token.type == "link_open":
            href = str(token.attrs.get("href", ""))
            if not (href.startswith(LINK_SCHEMES) or href.startswith("#")):
                problems.append(
                    Problem(
                        path,
                        line,
                        field,
                        f"link {href!r} must start with one of: {', '.join(LINK_SCHEMES)}",
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
    if problems:
        return Markup(""), problems
    return Markup(_MD.renderer.render(tokens, _MD.options, {})), []
