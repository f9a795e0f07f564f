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


#: deepest nesting of mappings and sequences a document may have (PyYAML's composer and
#: constructor recurse once per level, so a few hundred levels end in RecursionError)
MAX_DEPTH = 64
#: most nodes a document may stand for once every alias is expanded ("billion laughs": a
#: kilobyte of nested aliases stands for billions of nodes)
MAX_NODES = 100_000


class YamlLimitError(ValueError):
    """A document over :data:`MAX_DEPTH` or :data:`MAX_NODES`; ``line`` is 1-based."""

    def __init__(self, message: str, line: int) -> None:
        super().__init__(message)
        self.line = line


def check_limits(text: str, *, max_depth: int = MAX_DEPTH, max_nodes: int = MAX_NODES) -> None:
    """Refuse a document nested too deeply or whose aliases expand too far, before composing it.

    One pass over PyYAML's event stream (no recursion, no expansion): each anchored node
    remembers how many nodes it stands for, and an alias adds that count, so the count is what
    a consumer walking the document would visit. Raises :class:`YamlLimitError`.

    >>> check_limits("a: &x [1, 2]\\nb: *x\\n")
    >>> bomb = "a: &a [1, 1]\\n" + "".join(
    ...     f"{chr(98 + i)}: &{chr(98 + i)} [*{chr(97 + i)}, *{chr(97 + i)}]\\n" for i in range(20))
    >>> check_limits(bomb)
    Traceback (most recent call last):
    ...
    trustsurvey._yaml.YamlLimitError: aliases expand the document to more than 100000 nodes
    >>> check_limits("[" * 100 + "]" * 100)
    Traceback (most recent call last):
    ...
    trustsurvey._yaml.YamlLimitError: nested more than 64 levels deep
    """
    sizes: dict[str, int] = {}  # anchor -> nodes it stands for
    stack: list[list] = []  # one [nodes so far, anchor] per open collection, itself counted
    total = 0
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.CollectionStartEvent):
            if len(stack) >= max_depth:
                raise YamlLimitError(f"nested more than {max_depth} levels deep", line)
            stack.append([1, event.anchor])
            added = 1
        elif isinstance(event, yaml.CollectionEndEvent):
            count, anchor = stack.pop()
            if anchor is not None:
                sizes[anchor] = count
            if stack:
                stack[-1][0] += count
            continue
        elif isinstance(event, yaml.ScalarEvent):
            if event.anchor is not None:
                sizes[event.anchor] = 1
            added = 1
            if stack:
                stack[-1][0] += 1
        elif isinstance(event, yaml.AliasEvent):
            added = sizes.get(event.anchor, 1)
            if stack:
                stack[-1][0] += added
        else:
            continue
        total += added
        if total > max_nodes:
            raise YamlLimitError(
                f"aliases expand the document to more than {max_nodes} nodes", line
            )


def load_checked(text: str, *, on_duplicate: OnDuplicate) -> tuple[object, dict[str, int]]:
    """Data and key-path lines of ``text``: limits checked first, repeated keys refused.

    ``on_duplicate`` raises the caller's own error. PyYAML's own errors
    (``yaml.YAMLError``) and :class:`YamlLimitError` pass through for the caller to name the
    file.

    >>> def dup(path, key, line, first):
    ...     raise ValueError(f"{key!r} repeated at line {line} (first at {first})")
    >>> load_checked("a: 1\\nb: [2]\\n", on_duplicate=dup)
    ({'a': 1, 'b': [2]}, {'a': 1, 'b': 2, 'b[0]': 2})
    >>> load_checked("a: 1\\na: 2\\n", on_duplicate=dup)
    Traceback (most recent call last):
    ...
    ValueError: 'a' repeated at line 2 (first at 1)
    """
    check_limits(text)
    node = yaml.compose(text, Loader=yaml.SafeLoader)
    if node is None:
        return None, {}
    lines = index_lines(node, root=False, on_duplicate=on_duplicate)
    return yaml.safe_load(text), lines
