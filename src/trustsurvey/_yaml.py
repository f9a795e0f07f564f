"""The line of every key path in a composed YAML document, shared by the rooms that read YAML.

Errors in ``study.yaml`` or a questionnaire should say *where*: later checks (unknown key,
wrong type) look up the line of the key path they complain about (``items[3].relevant``) in
the map built here from PyYAML's node marks (``yaml.compose``; marks are 0-based).

>>> import yaml
>>> index_lines(yaml.compose("a:\\n  b: [1, 2]\\n"))
{'': 1, 'a': 1, 'a.b': 2, 'a.b[0]': 2, 'a.b[1]': 2}
"""

from __future__ import annotations

from collections.abc import Callable

import yaml

# on_duplicate(key_path, key, line, first_line) is called for a key repeated in one mapping;
# it should raise the room's own error.
OnDuplicate = Callable[[str, str, int, int], None]


def index_lines(
    node: yaml.Node,
    lines: dict[str, int] | None = None,
    path: str = "",
    *,
    on_duplicate: OnDuplicate | None = None,
    root: bool = True,
) -> dict[str, int]:
    """Fill and return ``lines``: key path -> 1-based line of the key (mapping entries) or of
    the value (sequence entries and, when ``root``, the document itself under ``""``).

    Without ``on_duplicate`` a repeated key keeps the line of its last occurrence (the value
    PyYAML keeps).
    """
    lines = {} if lines is None else lines
    if root:
        lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        for key_node, value_node in node.value:
            key = str(key_node.value)
            child = f"{path}.{key}" if path else key
            line = key_node.start_mark.line + 1
            if on_duplicate is not None and key in seen:
                on_duplicate(child, key, line, seen[key])
            seen[key] = line
            lines[child] = line
            index_lines(value_node, lines, child, on_duplicate=on_duplicate)
    elif isinstance(node, yaml.SequenceNode):
        for i, value_node in enumerate(node.value):
            index_lines(value_node, lines, f"{path}[{i}]", on_duplicate=on_duplicate)
    return lines
