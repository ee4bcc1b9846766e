"""Refuse import sources too large or too deeply nested to convert in linear time.

The HTML5 parser inside the sanitizer checks element scopes by walking its
stack of open elements, so its time grows with the square of the nesting
depth, and our converter walks the tree recursively. Browsers give up at
512 levels; no article is anywhere near that deep. The depth is therefore
measured first, in one pass over the tags that keeps a stack of open
elements and never recurses, and a source nested deeper than the limit is
refused with one line naming it.

The count follows the HTML5 rules where they shorten the stack (``<p>``
closing the open ``<p>``, ``</div>`` closing what is left open inside it)
and otherwise errs on the deep side, so that no page is measured shallower
than the parser will build it. It reads the tags as Python's HTML parser
does; the sanitizer then gets that parser's tree written out again, every
element closed, without comments, scripts or styles (html_page._reserialized),
so markup the two parsers would read differently cannot hide nesting.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser

from ..exceptions import ImportSourceError, Problem

#: The largest source `leaflets import` reads, in bytes.
MAX_SOURCE_BYTES = 10 * 1024 * 1024
#: The deepest nesting of HTML elements an imported page may have.
MAX_HTML_DEPTH = 256
#: The deepest nesting of JSON arrays and objects (a WordPress page has about 6).
MAX_JSON_DEPTH = 64


def check_size(name: str, size: int) -> None:
    """Refuse a source of more than MAX_SOURCE_BYTES."""
    if size > MAX_SOURCE_BYTES:
        raise ImportSourceError(
            f"{name}: is larger than {MAX_SOURCE_BYTES // (1024 * 1024)} MB; "
            "leaflets import reads one saved page, and pages are far smaller"
        )


#: A string (to the end of the text when it is not closed: the JSON is broken
#: anyway, and one pass stays one pass), or a bracket.
_JSON_TOKENS = re.compile(r'"(?:[^"\\]++|\\.)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)


def check_json_depth(text: str, *, name: str) -> None:
    """Refuse JSON whose arrays and objects nest more than MAX_JSON_DEPTH deep."""
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        token = match.group()
        if token in ("[", "{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise ImportSourceError(
                    problems=[
                        Problem(
                            name,
                            text.count("\n", 0, match.start()) + 1,
                            None,
                            f"JSON nested more than {MAX_JSON_DEPTH} levels deep; "
                            "a saved WordPress page is never that deep",
                        )
                    ]
                )
        elif token in ("]", "}"):
            depth = max(0, depth - 1)


def check_html_depth(html: str, *, name: str, field: str | None = None) -> None:
    """Refuse HTML whose elements nest more than MAX_HTML_DEPTH deep.

    The line is given for a file of HTML, not for HTML held in a *field* of
    another format, where the HTML's own line numbers would mislead.
    """
    counter = _DepthCounter()
    try:
        counter.feed(html)
        counter.close()
    except _TooDeep as error:
        raise ImportSourceError(
            problems=[
                Problem(
                    name,
                    None if field else error.line,
                    field,
                    f"HTML elements nested more than {MAX_HTML_DEPTH} deep; "
                    "a saved web page is never that deep",
                )
            ]
        ) from None


class _TooDeep(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _tags(names: str) -> frozenset[str]:
    return frozenset(names.split())


_VOID = _tags("area base br col embed hr img input keygen link meta param source track wbr")
#: Start tags that close an open <p> (HTML5: "close a p element in button scope").
_CLOSE_P = _tags(
    "address article aside blockquote details div dl fieldset figcaption figure footer "
    "form h1 h2 h3 h4 h5 h6 header hr main nav ol p pre section summary ul li dd dt"
)
#: An end tag never closes an element beyond these (HTML5 "in scope" limits).
_DEFAULT_SCOPE = _tags("applet caption html marquee object table td template th")
_TABLE_SCOPE = _tags("html table template")
_TABLE_PARTS = _tags("caption table tbody td tfoot th thead tr")
#: Elements the HTML5 "adoption agency" may re-open after they were closed.
_FORMATTING = _tags("a b big code em font i nobr s small strike strong tt u")
#: Non-phrasing elements: an end tag of a formatting element does not close them.
_SPECIAL = _tags(
    "address applet area article aside base basefont bgsound blockquote body br button "
    "caption center col colgroup dd details dir div dl dt embed fieldset figcaption figure "
    "footer form frame frameset h1 h2 h3 h4 h5 h6 head header hgroup hr html iframe img "
    "input keygen li link listing main marquee menu meta nav noembed noframes noscript "
    "object ol p param plaintext pre script search section select source style summary "
    "table tbody td template textarea tfoot th thead title tr track ul wbr xmp"
)


class _DepthCounter(HTMLParser):
    """Track the stack of open elements, in time linear in the number of tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.stack: list[str] = []
        #: The attributes of each open formatting element (they tell copies apart).
        self.attributes: list[tuple[tuple[str, str | None], ...]] = []
        #: Where each open element name sits in the stack.
        self.positions: dict[str, list[int]] = {}
        #: Positions of open elements that limit how far a tag closes others.
        self.scope: list[int] = []
        self.table_scope: list[int] = []
        self.button_scope: list[int] = []
        self.special: list[int] = []
        self.item_limits: list[int] = []
        self.kinds = (
            (self.scope, _DEFAULT_SCOPE),
            (self.table_scope, _TABLE_SCOPE),
            (self.button_scope, _DEFAULT_SCOPE | {"button"}),
            (self.special, _SPECIAL),
            (self.item_limits, _SPECIAL - {"address", "div", "p"}),
        )
        #: Formatting elements closed by another element's end tag, which the
        #: parser re-opens later (at most 3 alike, HTML5's "Noah's Ark" rule).
        self.reopenable: dict[str, Counter[tuple[tuple[str, str | None], ...]]] = {}
        self.extra = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _VOID:
            return
        self._close_siblings(tag)
        index = len(self.stack)
        self.stack.append(tag)
        self.attributes.append(tuple(attrs) if tag in _FORMATTING else ())
        self.positions.setdefault(tag, []).append(index)
        for positions, names in self.kinds:
            if tag in names:
                positions.append(index)
        if index + 1 + self.extra > MAX_HTML_DEPTH:
            raise _TooDeep(self.getpos()[0])

    def _close_siblings(self, tag: str) -> None:
        """Close what a new <p>, <li>, <tr> or cell closes, as HTML5 does."""
        top = self.stack[-1] if self.stack else ""
        if tag in ("tr", "td", "th"):
            # A new row closes the open row, a new cell the open cell, in one table.
            row = self._last("tr")
            if tag == "tr":
                index, within = row, self._last("table")
            else:
                index, within = (
                    max(self._last("td"), self._last("th")),
                    max(row, self._last("table")),
                )
            if index > within:
                self._pop_to(index)
                return
        elif tag in ("li", "dt", "dd"):
            # It closes the open item unless a block other than <div>, <p>,
            # <address> (or the list itself) lies in between.
            names = ("li",) if tag == "li" else ("dt", "dd")
            index = max(self._last(name) for name in names)
            if index >= 0 and (not self.item_limits or self.item_limits[-1] <= index):
                self._pop_to(index)
                return
        elif tag == "option" and top == "option":
            self._pop_to(len(self.stack) - 1)
            return
        if tag in _CLOSE_P:
            index = self._last("p")
            if index >= 0 and (not self.button_scope or self.button_scope[-1] < index):
                self._pop_to(index)

    def _last(self, name: str) -> int:
        positions = self.positions.get(name)
        return positions[-1] if positions else -1

    def handle_startendtag(self, tag: str, attrs: object) -> None:
        pass  # <x/>: Python's parser closes it, and the sanitizer gets it closed.

    def handle_endtag(self, tag: str) -> None:
        open_at = self.positions.get(tag)
        if not open_at:
            closed = self.reopenable.get(tag)
            if closed:
                key = next(iter(closed))
                closed[key] -= 1
                if not closed[key]:
                    del closed[key]
                self.extra -= 1
            return
        index = open_at[-1]
        limits = self.table_scope if tag in _TABLE_PARTS else self.scope
        # The element itself may be a scope limit (</td>): only limits above it count.
        if limits and limits[-1] > index:
            return
        if tag in _FORMATTING and self.special and self.special[-1] > index:
            return  # The parser moves elements around but keeps as many open.
        self._pop_to(index)

    def _pop_to(self, index: int) -> None:
        """Close the element at *index* and everything above it."""
        while len(self.stack) > index:
            position = len(self.stack) - 1
            name = self.stack.pop()
            attributes = self.attributes.pop()
            self.positions[name].pop()
            for positions, _ in self.kinds:
                if positions and positions[-1] == position:
                    positions.pop()
            if name in _FORMATTING and position != index:
                closed = self.reopenable.setdefault(name, Counter())
                if closed[attributes] < 3:
                    closed[attributes] += 1
                    self.extra += 1
