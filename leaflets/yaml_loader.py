"""Load YAML into plain containers that remember the line of every key and item."""

from __future__ import annotations

from typing import Any

import yaml

from .exceptions import Problem


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


def load_yaml(text: str, path: str, *, line_offset: int = 0) -> tuple[Any, list[Problem]]:
    """Parse *text*; return the data and the problems found, with lines in *path*.

    *line_offset* shifts reported lines, for YAML that starts further down a
    file (Markdown front matter).
    """
    loader = _Loader(text, path, line_offset)
    try:
        data = loader.get_single_data()
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
