"""A strict YAML reader for rubric files, with the line of every mapping, key and list item.

PyYAML's ``SafeLoader`` follows YAML 1.1, which has two traps for hand-written rubric files:

- a repeated key in one mapping silently replaces the earlier value, and
- unquoted ``yes``/``no``/``on``/``off`` (any case) become the booleans True/False.

``RubricLoader`` records each repeated key as a ``DuplicateKey`` (with both lines) and keeps only
the YAML 1.2 booleans ``true``/``false``, so ``yes`` and ``no`` stay strings.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

__all__ = [
    "DuplicateKey",
    "LineDict",
    "LineList",
    "RubricLoader",
    "line_of",
    "parse_yaml",
    "path_to",
]

_BOOL_TAG = "tag:yaml.org,2002:bool"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_YAML_12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")


class LineDict(dict[Any, Any]):
    """A mapping read from YAML, with the 1-based line of the mapping and of each key."""

    line: int = 0
    """Line where the mapping starts."""
    key_lines: dict[Any, int]
    """Line of each key."""

    def __init__(self) -> None:
        super().__init__()
        self.key_lines = {}


class LineList(list[Any]):
    """A sequence read from YAML, with the 1-based line of the sequence and of each item."""

    line: int = 0
    """Line where the sequence starts."""
    item_lines: list[int]
    """Line of each item, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.item_lines = []


@dataclass(frozen=True)
class DuplicateKey:
    """A key written twice in one YAML mapping."""

    mapping: LineDict
    """The mapping that contains the key (after loading, it keeps the last value)."""
    key: Any
    """The repeated key."""
    first_line: int
    """Line of the first occurrence."""
    second_line: int
    """Line of the repeated occurrence."""


class RubricLoader(yaml.SafeLoader):
    """``SafeLoader`` with YAML 1.2 booleans, line numbers and duplicate-key detection."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self.duplicate_keys: list[DuplicateKey] = []

    def construct_line_dict(self, node: yaml.MappingNode) -> Iterator[LineDict]:
        mapping = LineDict()
        mapping.line = node.start_mark.line + 1
        yield mapping

        # Check the keys as written, before merge keys (<<) are expanded: a key that overrides
        # a merged one is intended, not a duplicate.
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG:
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            if key in mapping.key_lines:
                self.duplicate_keys.append(DuplicateKey(mapping, key, mapping.key_lines[key], line))
            else:
                mapping.key_lines[key] = line

        self.flatten_mapping(node)
        for key_node, value_node in node.value:
            key = self.construct_object(key_node, deep=True)
            mapping[key] = self.construct_object(value_node, deep=True)
            mapping.key_lines.setdefault(key, key_node.start_mark.line + 1)

    def construct_line_list(self, node: yaml.SequenceNode) -> Iterator[LineList]:
        sequence = LineList()
        sequence.line = node.start_mark.line + 1
        yield sequence
        for item_node in node.value:
            sequence.append(self.construct_object(item_node, deep=True))
            sequence.item_lines.append(item_node.start_mark.line + 1)


# Copy the resolver table before changing it, so that yaml.SafeLoader itself stays untouched.
RubricLoader.yaml_implicit_resolvers = {
    first_char: [(tag, regexp) for tag, regexp in resolvers if tag != _BOOL_TAG]
    for first_char, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
RubricLoader.add_implicit_resolver(_BOOL_TAG, _YAML_12_BOOL, list("tTfF"))
RubricLoader.add_constructor("tag:yaml.org,2002:map", RubricLoader.construct_line_dict)
RubricLoader.add_constructor("tag:yaml.org,2002:seq", RubricLoader.construct_line_list)


def parse_yaml(text: str) -> tuple[Any, list[DuplicateKey]]:
    """Parse YAML text into LineDict/LineList data and the duplicate keys found.

    Raises ``yaml.YAMLError`` when the text is not valid YAML.
    """
    loader = RubricLoader(text)
    try:
        data = loader.get_single_data()
    finally:
        loader.dispose()
    return data, loader.duplicate_keys


def line_of(data: Any, loc: tuple[str | int, ...]) -> int | None:
    """Return the line of the deepest part of ``loc`` that exists in ``data``.

    A missing key or index points at the mapping or list that should have held it.
    """
    node = data
    line = getattr(data, "line", None)
    for part in loc:
        if isinstance(node, LineDict) and part in node:
            line = node.key_lines.get(part, line)
            node = node[part]
        elif isinstance(node, LineList) and isinstance(part, int) and 0 <= part < len(node):
            line = node.item_lines[part]
            node = node[part]
        else:
            break
    return line


def path_to(data: Any, target: object) -> tuple[str | int, ...] | None:
    """Return the location of the object ``target`` (found by identity) inside ``data``."""
    if data is target:
        return ()
    children: list[tuple[str | int, Any]] = []
    if isinstance(data, dict):
        children = list(data.items())
    elif isinstance(data, list):
        children = list(enumerate(data))
    for part, child in children:
        found = path_to(child, target)
        if found is not None:
            return (part, *found)
    return None
