"""Load YAML into plain containers that remember the line of every key and item."""

from __future__ import annotations

from typing import Any

import yaml

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


class _Loader(yaml.SafeLoader):
    """SafeLoader that builds LineDict/LineList and refuses duplicate keys."""

    def __init__(self, stream: str, path: str, line_offset: int) -> None:
        super().__init__(stream)
        self.path = path
        self.line_offset = line_offset
        self.duplicates: list[Problem] = []

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

    def construct_date(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError as error:
            value = ImpossibleDate(self.construct_scalar(node))
            value.reason = str(error)
            return value

    def construct_int(self, node: yaml.ScalarNode) -> Any:
        try:
            return self.construct_yaml_int(node)
        except ValueError:
            # Python refuses integers of more than 4300 digits: keep the text,
            # which the field that reads it reports like any other bad value.
            return str(self.construct_scalar(node))

    def construct_line_mapping(self, node: yaml.MappingNode) -> LineDict:
        result = LineDict()
        result.line = node.start_mark.line + 1 + self.line_offset
        result.lines = {}
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            if not isinstance(key, str):
                key = str(key)
            line = key_node.start_mark.line + 1 + self.line_offset
            if key in result:
                self.duplicates.append(Problem(self.path, line, key, "this key is given twice"))
            result[key] = self.construct_object(value_node, deep=True)
            result.lines[key] = line
        return result

    def construct_line_sequence(self, node: yaml.SequenceNode) -> LineList:
        result = LineList(self.construct_object(child, deep=True) for child in node.value)
        result.line = node.start_mark.line + 1 + self.line_offset
        result.lines = [child.start_mark.line + 1 + self.line_offset for child in node.value]
        return result


_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _Loader.construct_line_mapping,
)
_Loader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG,
    _Loader.construct_line_sequence,
)
_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_date)
_Loader.add_constructor("tag:yaml.org,2002:int", _Loader.construct_int)


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> tuple[Any, list[Problem]]:
    """Parse *text*; return the data and the problems found, with lines in *path*.

    *line_offset* shifts reported lines, for YAML that starts further down a
    file (Markdown front matter).
    """
    if len(text) > MAX_DATA_FILE_SIZE:
        return None, [Problem(path, None, None, too_big(len(text)))]
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
