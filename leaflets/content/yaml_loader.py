"""Load YAML into plain containers that remember the line of every key and item.

Valid files are parsed by libyaml (PyYAML's C parser) when it is installed;
anything else (anchors, characters YAML refuses, errors) by the pure-Python
parser, whose checks and messages are the reference.
"""

from __future__ import annotations

import re
from typing import Any

import yaml

from ..characters import forbidden_in_file
from ..exceptions import Problem

#: The largest data file (condition.yaml, <lang>.md) we read, in bytes. Real
#: ones are a few KB; the cap keeps a hostile or mistaken file from filling memory.
MAX_DATA_FILE_SIZE = 1_000_000


class ImpossibleDate(str):
    """A scalar written like a date that names no real day, such as 2027-02-30.

    The loader keeps the text and the reason, and the field that wanted a date
    reports it, instead of PyYAML's ValueError escaping as a traceback.
    """

    reason: str = ""


class _Refused(yaml.MarkedYAMLError):
    """YAML that is valid but that data files may not use."""


class LineDict(dict[str, Any]):
    """A mapping that knows the (1-based) line of itself and of each key."""

    line: int = 0
    lines: dict[str, int]

    def line_of(self, key: str) -> int:
        """Return the line where *key* was written, or the mapping's own line."""
        return self.lines.get(key, self.line)


class LineList(list[Any]):
    """A sequence that knows the (1-based) line of itself and of each item."""

    line: int = 0
    lines: list[int]

    def line_of(self, index: int) -> int:
        """Return the line where item *index* was written."""
        return self.lines[index] if index < len(self.lines) else self.line


class _LineConstructor:
    """What both loaders construct: LineDict/LineList, duplicate keys refused, odd scalars kept."""

    path: str
    line_offset: int
    duplicates: list[Problem]

    def _set_up(self, path: str, line_offset: int) -> None:
        self.path = path
        self.line_offset = line_offset
        self.duplicates = []

    def construct_date(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)  # type: ignore[attr-defined]
        except ValueError as error:
            value = ImpossibleDate(self.construct_scalar(node))  # type: ignore[attr-defined]
            value.reason = str(error)
            return value

    def construct_int(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_int(node)  # type: ignore[attr-defined]
        except ValueError:
            # Python refuses integers of more than 4300 digits: keep the text,
            # which the field that reads it reports like any other bad value.
            return str(self.construct_scalar(node))  # type: ignore[attr-defined]

    def construct_line_mapping(self, node: yaml.MappingNode) -> LineDict:
        construct = self.construct_object  # type: ignore[attr-defined]
        result = LineDict()
        result.line = node.start_mark.line + 1 + self.line_offset
        result.lines = {}
        for key_node, value_node in node.value:
            key = construct(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            line = key_node.start_mark.line + 1 + self.line_offset
            if key in result:
                self.duplicates.append(Problem(self.path, line, key, "this key is given twice"))
            result[key] = construct(value_node, deep=True)
            result.lines[key] = line
        return result

    def construct_line_sequence(self, node: yaml.SequenceNode) -> LineList:
        construct = self.construct_object  # type: ignore[attr-defined]
        result = LineList(construct(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1 + self.line_offset
        result.lines = [child.start_mark.line + 1 + self.line_offset for child in node.value]
        return result


class _Loader(_LineConstructor, yaml.SafeLoader):
    """The pure-Python SafeLoader, building LineDict/LineList and refusing anchors and aliases.

    It is the reference: every file the fast loader cannot take as is goes
    through this one, whose messages the tests pin.
    """

    def __init__(self, stream: str, path: str, line_offset: int) -> None:
        super().__init__(stream)
        self._set_up(path, line_offset)

    def compose_node(self, parent: Any, index: Any) -> Any:
        # Anchors and aliases let a few lines expand into gigabytes (the
        # "billion laughs"); data files never need them, so refuse both
        # before anything is expanded.
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
            raise _Refused(
                problem="anchors and aliases (&name, *name) are not allowed in data files; "
                "write the value out",
                problem_mark=event.start_mark,
            )
        return super().compose_node(parent, index)


#: libyaml's parser, when PyYAML was built with it (None when it was not).
_CSafeLoader: type[Any] | None = getattr(yaml, "CSafeLoader", None)

if _CSafeLoader is not None:

    class _FastLoader(_LineConstructor, _CSafeLoader):  # type: ignore[misc,valid-type]
        """The same constructors on libyaml's parser, about ten times faster.

        libyaml composes nodes in C, past any Python hook: anchors and
        aliases are looked for in its events first (see _fast_load).
        """

        def __init__(self, stream: str, path: str, line_offset: int) -> None:
            super().__init__(stream)
            self._set_up(path, line_offset)

    _LOADERS: tuple[type[Any], ...] = (_Loader, _FastLoader)
else:  # pragma: no cover - PyYAML built without libyaml
    _LOADERS = (_Loader,)

for _loader in _LOADERS:
    _loader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _loader.construct_line_mapping
    )
    _loader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _loader.construct_line_sequence
    )
    _loader.add_constructor("tag:yaml.org,2002:timestamp", _loader.construct_date)
    _loader.add_constructor("tag:yaml.org,2002:int", _loader.construct_int)

#: Characters the pure-Python reader refuses (with its own message), and line
#: breaks other than \n and \r that the two parsers might count differently:
#: text with any of them goes to the pure-Python loader.
_SLOW_PATH_CHARACTERS = re.compile(
    yaml.reader.Reader.NON_PRINTABLE.pattern[:-1] + "]|[\x85\u2028\u2029]"
)


def _fast_load(text: str, path: str, line_offset: int) -> tuple[Any, list[Problem]] | None:
    """Parse *text* with libyaml; return None when the pure-Python loader must decide.

    That is: libyaml is missing, the text has characters the pure-Python
    reader refuses, it uses anchors or aliases, or it is invalid. Only valid
    files take this path, so every message stays the reference loader's.
    """
    if _CSafeLoader is None or _SLOW_PATH_CHARACTERS.search(text):
        return None
    if ("&" in text or "*" in text) and _has_anchors(text):
        return None
    loader = _FastLoader(text, path, line_offset)
    try:
        return loader.get_single_data(), loader.duplicates
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()


def _has_anchors(text: str) -> bool:
    """Tell whether *text* has an anchor or an alias (or cannot be parsed), without composing."""
    assert _CSafeLoader is not None
    parser = _CSafeLoader(text)
    try:
        while parser.check_event():
            event = parser.get_event()
            if isinstance(event, yaml.AliasEvent) or getattr(event, "anchor", None):
                return True
    except yaml.YAMLError:
        return True
    finally:
        parser.dispose()
    return False


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> tuple[Any, list[Problem]]:
    """Parse *text*; return the data and the problems found, with lines in *path*.

    *line_offset* shifts reported lines, for YAML that starts further down a
    file (Markdown front matter).
    """
    if len(text) > MAX_DATA_FILE_SIZE:
        return None, [Problem(path, None, None, too_big(len(text)))]
    # PyYAML refuses some of these in its reader's constructor, with a
    # traceback and no line; the others it lets through.
    if (forbidden := forbidden_in_file(text)) is not None:
        return None, [Problem(path, forbidden[0] + line_offset, None, forbidden[1])]
    fast = _fast_load(text, path, line_offset)
    if fast is not None:
        return fast
    loader = _Loader(text, path, line_offset)
    try:
        data = loader.get_single_data()
    except _Refused as error:
        line = error.problem_mark.line + 1 + line_offset if error.problem_mark else None
        return None, [Problem(path, line, None, str(error.problem))]
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 + line_offset if mark is not None else None
        reason = error.problem or error.context or "invalid YAML"
        return None, [Problem(path, line, None, f"invalid YAML: {reason}")]
    except yaml.YAMLError as error:
        return None, [Problem(path, None, None, f"invalid YAML: {error}")]
    finally:
        loader.dispose()
    return data, loader.duplicates


def too_big(size: int) -> str:
    """Return the message for a data file of *size* bytes over the cap."""
    return (
        f"is {size / 1_000_000:.1f} MB; a data file may be at most "
        f"{MAX_DATA_FILE_SIZE // 1_000_000} MB"
    )
