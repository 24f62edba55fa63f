"""Strict YAML for codebooks, parameters and grids: what a person wrote is what they get.

PyYAML's ``safe_load`` never runs code, but it follows YAML 1.1, whose surprises reach data
silently: an item named ``ON``, ``OFF``, ``YES`` or ``NO`` becomes a boolean; ``1e9`` is text
while ``1.0e9`` is a number; a repeated key silently replaces the earlier one; ``2025-13-45``
fails inside the date constructor with a traceback; and a few lines of nested aliases (the
"billion laughs") expand to more data than the machine holds. :func:`load_yaml` reads YAML with
these rules instead:

- booleans are only ``true``/``false`` (any case, as YAML 1.2); ``yes``, ``no``, ``on``,
  ``off``, ``y``, ``n`` stay text;
- numbers in any usual spelling: ``5``, ``-2``, ``0.5``, ``.5``, ``1e9``, ``1.5E-3``,
  ``.inf``; integers stay integers;
- dates stay text (``2025-01-01``); whoever needs a date parses and checks it with a message
  naming the parameter;
- a key given twice in one mapping is an error naming both lines;
- anchors and aliases (``&name``, ``*name``) are refused: codebooks and parameters never need
  them, and refusing them removes the expansion bomb;
- a document larger than :data:`MAX_BYTES` is refused.

Errors are :class:`~workbench.errors.InputError` naming the source (file or parameter) and
line. Hand-written on top of PyYAML's safe loader because no maintained library offers a
YAML 1.2 core-schema safe loader with duplicate-key and alias checks for PyYAML documents.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from workbench.errors import InputError

__all__ = ["MAX_BYTES", "load_yaml", "load_yaml_file"]

MAX_BYTES = 5_000_000  # a codebook of 10,000 items with long labels is well under 2 MB

_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_FLOAT = re.compile(
    r"""^(?:[-+]?(?:[0-9][0-9_]*\.[0-9_]*|\.[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)?
    |[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+
    |[-+]?\.(?:inf|Inf|INF)
    |\.(?:nan|NaN|NAN))$""",
    re.X,
)
_INT = re.compile(r"^(?:[-+]?[0-9][0-9_]*|0x[0-9a-fA-F_]+)$")
_INT_TAG = "tag:yaml.org,2002:int"
_BOOL_TAG = "tag:yaml.org,2002:bool"
_FLOAT_TAG = "tag:yaml.org,2002:float"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"


class _Problem(Exception):
    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(problem)
        self.problem, self.line = problem, line


class StrictLoader(yaml.SafeLoader):
    """PyYAML's safe loader with the rules in the module docstring."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise _Problem(
                f"YAML aliases (*{event.anchor}) are not accepted; write the value out.",
                event.start_mark.line + 1,
            )
        event = self.peek_event()
        if getattr(event, "anchor", None):
            raise _Problem(
                f"YAML anchors (&{event.anchor}) are not accepted; write the value out.",
                event.start_mark.line + 1,
            )
        return super().compose_node(parent, index)

    def construct_mapping(self, node: Any, deep: bool = False) -> Any:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                hash(key)
            except TypeError:
                raise _Problem("A mapping key must be a single value.", line) from None
            if key in seen:
                raise _Problem(
                    f"The key {key!r} is given twice (lines {seen[key]} and {line}); the later "
                    "one would silently replace the earlier. Keep one.",
                    line,
                )
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _construct_int(loader: StrictLoader, node: Any) -> int:
    """Decimal (leading zeros do not make octal, ``1:30`` is not sexagesimal) or 0x hex."""
    text = str(loader.construct_scalar(node)).replace("_", "")
    return int(text, 16) if text.lower().startswith("0x") else int(text, 10)


# Implicit resolvers: PyYAML's, minus YAML 1.1 booleans, ints, floats and timestamps, plus the
# YAML 1.2 booleans, ints and floats above (nulls and the rest unchanged).
_REPLACED = {_BOOL_TAG, _INT_TAG, _FLOAT_TAG, _TIMESTAMP_TAG}
StrictLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _REPLACED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
StrictLoader.add_implicit_resolver(_BOOL_TAG, _BOOL, list("tTfF"))
StrictLoader.add_implicit_resolver(_INT_TAG, _INT, list("-+0123456789"))
StrictLoader.add_implicit_resolver(_FLOAT_TAG, _FLOAT, list("-+0123456789."))
StrictLoader.add_constructor(_INT_TAG, _construct_int)


def load_yaml(text: str, *, source: str, what: str = "file") -> Any:
    """Parse YAML text strictly (see the module docstring).

    Parameters
    ----------
    text : str
        The YAML document.
    source : str, keyword-only
        Where it came from, for messages: a file path or ``parameter 'name'``.
    what : {"file", "parameter"}, keyword-only
        Whether ``source`` is a file (named as the error's file) or a parameter.

    Returns
    -------
    Any
        Plain Python values: dict, list, str, int, float, bool, None.

    Raises
    ------
    InputError
        Too large, not valid YAML, a duplicate key, an anchor or alias; naming the source
        and line.

    Examples
    --------
    >>> load_yaml("items: [ON, OFF, yes]\\nn: 1e3\\nok: true\\nwhen: 2025-01-01", source="x")
    {'items': ['ON', 'OFF', 'yes'], 'n': 1000.0, 'ok': True, 'when': '2025-01-01'}
    """
    file = source if what == "file" else None
    label = "" if what == "file" else f" of {source}"
    subject = "The file" if what == "file" else f"The value of {source}"
    if len(text.encode("utf-8", errors="replace")) > MAX_BYTES:
        raise InputError(
            f"The YAML{label} is larger than {MAX_BYTES // 1_000_000} MB.",
            file=file,
            hint="Codebooks and parameters are small; check that the right file was given.",
        )
    try:
        return yaml.load(text, Loader=StrictLoader)
    except RecursionError:
        raise InputError(
            f"The YAML{label} is nested too deeply to be a codebook or parameter.",
            file=source if what == "file" else None,
            hint="Check the brackets and indentation; codebooks are a few levels deep.",
        ) from None
    except _Problem as exc:
        at = f" (line {exc.line})" if exc.line else ""
        raise InputError(f"{exc.problem}{at}", file=file) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputError(
            f"{subject} is not valid YAML{at}: {problem}.",
            file=file,
            hint="Check indentation and quoting near that line; quote text that contains "
            "':' or '#', e.g. label: \"Trust: overall\".",
        ) from None


def load_yaml_file(path: str | Path) -> Any:
    """Read a UTF-8 YAML file strictly with :func:`load_yaml` (the file is only read)."""
    path = Path(path)
    if path.stat().st_size > MAX_BYTES:
        raise InputError(
            f"The file is larger than {MAX_BYTES // 1_000_000} MB; a codebook or grid is small.",
            file=str(path),
            hint="Check that the right file was given.",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"The file is not UTF-8 text (byte {exc.start}).",
            file=str(path),
            hint="Save it as UTF-8 (any editor's 'Save as' offers it).",
        ) from None
    return load_yaml(text, source=str(path))
