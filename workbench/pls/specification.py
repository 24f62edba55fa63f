"""The PLS path model: constructs, their items and measurement modes, and the structural paths.

A model is written in lavaan syntax as cSEM reads it, or given as a codebook-style dict of
constructs plus a list of paths. :func:`specify_model` parses and validates it once and returns a
frozen :class:`PLSModel`; every estimator of :mod:`workbench.pls` takes that object (or the text,
which it passes through :func:`specify_model`).

Syntax (statements separated by new lines or ``;``, ``#`` starts a comment)::

    Image        =~ IMAG1 + IMAG2 + IMAG3      # reflective: Mode A weights; PLSc corrects it
    Quality      <~ PERQ1 + PERQ2 + PERQ3      # formative composite: Mode B weights
    Satisfaction ~  Image + Quality            # structural paths Image -> Satisfaction, ...

Every problem is an :class:`~workbench.errors.InputError` (exit status 2 on the command line)
that names the construct or item and says what to change.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from workbench.errors import InputError

__all__ = ["Measurement", "PLSModel", "specify_model"]

Measurement = Literal["reflective", "composite"]

# "=~" and "<~" are tried before "~" at each position (lavaan's operators; "~~" is refused)
_STATEMENT = re.compile(r"^(?P<lhs>.*?)(?P<op>=~|<~|~~|~)(?P<rhs>.*)$", re.DOTALL)
# a construct or item name: no white space and none of lavaan's operator characters
_NAME = re.compile(r"^[^\s+*~=<>;#,()]+$")
_SYNTAX_HINT = (
    "Write one statement per line (or separate them with ';'): 'A =~ x1 + x2' (reflective), "
    "'A <~ x1 + x2' (formative composite), 'Y ~ A + B' (paths A -> Y, B -> Y)."
)


@dataclasses.dataclass(frozen=True)
class PLSModel:
    """A validated PLS path model.

    Attributes
    ----------
    constructs : tuple of str
        The constructs, in the order they were defined.
    items : dict
        ``{construct: (item, ...)}``, the items of each construct in the given order.
    measurement : dict
        ``{construct: "reflective" | "composite"}``: ``=~`` is reflective (Mode A weights,
        corrected for attenuation by PLSc), ``<~`` a formative composite (Mode B weights,
        never corrected).
    paths : tuple of (str, str)
        The structural paths ``(source, target)``, in the order they were written.
    exogenous, endogenous : tuple of str
        Constructs that are never / at least once the target of a path (definition order).
    syntax : str
        The model in lavaan syntax (as given, or written from the dict form).

    Examples
    --------
    >>> m = specify_model("A =~ a1 + a2; B <~ b1 + b2; Y =~ y1 + y2; Y ~ A + B")
    >>> m.paths
    (('A', 'Y'), ('B', 'Y'))
    >>> m.modes
    {'A': 'A', 'B': 'B', 'Y': 'A'}
    >>> m.exogenous, m.endogenous
    (('A', 'B'), ('Y',))
    """

    constructs: tuple[str, ...]
    items: dict[str, tuple[str, ...]]
    measurement: dict[str, Measurement]
    paths: tuple[tuple[str, str], ...]
    exogenous: tuple[str, ...]
    endogenous: tuple[str, ...]
    syntax: str = ""

    @property
    def modes(self) -> dict[str, str]:
        """``{construct: "A" | "B"}``: the outer-weight mode of each construct."""
        return {c: "B" if self.measurement[c] == "composite" else "A" for c in self.constructs}

    @property
    def all_items(self) -> tuple[str, ...]:
        """Every item of the model, construct by construct."""
        return tuple(item for c in self.constructs for item in self.items[c])

    def predecessors(self, construct: str) -> tuple[str, ...]:
        """The constructs with a path into ``construct`` (in path order)."""
        return tuple(s for s, t in self.paths if t == construct)

    def successors(self, construct: str) -> tuple[str, ...]:
        """The constructs ``construct`` has a path into (in path order)."""
        return tuple(t for s, t in self.paths if s == construct)

    def construct_of(self, item: str) -> str:
        """The construct an item measures (:class:`KeyError` if none)."""
        for c in self.constructs:
            if item in self.items[c]:
                return c
        raise KeyError(item)

    def without_path(self, source: str, target: str) -> PLSModel:
        """The same model without the path ``source -> target``.

        Constructs left without any path are dropped (as seminr's ``rerun`` does when
        :func:`~workbench.pls.f_squared` re-estimates a model without one predictor). Returns a
        model that may have no paths at all; it is not re-validated.
        """
        paths = tuple(p for p in self.paths if p != (source, target))
        linked = {c for p in paths for c in p}
        kept = tuple(c for c in self.constructs if c in linked)
        targets = {t for _, t in paths}
        return dataclasses.replace(
            self,
            constructs=kept,
            items={c: self.items[c] for c in kept},
            measurement={c: self.measurement[c] for c in kept},
            paths=paths,
            exogenous=tuple(c for c in kept if c not in targets),
            endogenous=tuple(c for c in kept if c in targets),
            syntax=_write_syntax(kept, self.items, self.measurement, paths),
        )

    def to_dict(self) -> dict[str, Any]:
        """``{constructs: {name: {measurement, items}}, paths: ["A->Y", ...]}``."""
        return {
            "constructs": {
                c: {"measurement": self.measurement[c], "items": list(self.items[c])}
                for c in self.constructs
            },
            "paths": [f"{s}->{t}" for s, t in self.paths],
        }


def specify_model(
    model: str | Mapping[str, Sequence[str]] | PLSModel,
    paths: Sequence[tuple[str, str]] | None = None,
    *,
    formative: Iterable[str] = (),
) -> PLSModel:
    """Parse and validate a PLS path model.

    Parameters
    ----------
    model : str, dict or PLSModel
        lavaan syntax as cSEM reads it (``=~`` reflective, ``<~`` formative composite, ``~``
        paths; statements on separate lines or separated by ``;``), or a codebook-style
        ``{construct: [items]}`` dict (then ``paths`` is required). A :class:`PLSModel` is
        returned unchanged.
    paths : list of (source, target), optional
        The structural paths of the dict form, e.g. ``[("Image", "Satisfaction")]``.
    formative : iterable of str
        Dict form only: the constructs measured as formative (Mode B) composites; the others
        are reflective.

    Returns
    -------
    PLSModel

    Raises
    ------
    InputError
        Naming the construct or item: a statement that is not ``=~``, ``<~`` or ``~``; a
        construct with no items; an item in two constructs; a formative construct with one
        item; a construct used as an item (a higher-order construct: estimate it with
        :func:`~workbench.pls.estimate_higher_order`); an interaction term ``X:M`` (estimate it
        with :func:`~workbench.pls.estimate_interaction`); a path naming an unknown construct; a
        cycle in the structural model; a construct with no path; a model without paths.

    Notes
    -----
    seminr's equivalent is ``constructs(reflective(...) | composite(..., weights = mode_B))``
    plus ``relationships(paths(from, to))``; seminr also offers ``composite(mode_A)``, which
    is what ``=~`` is under ``estimator="pls"`` (the two differ only under PLSc).

    Examples
    --------
    >>> specify_model({"A": ["a1", "a2"], "Y": ["y1"]}, [("A", "Y")]).syntax
    'A =~ a1 + a2\\nY =~ y1\\nY ~ A'
    >>> specify_model("A =~ a1 + a2; Y =~ y1; Y ~ B")
    Traceback (most recent call last):
    ...
    workbench.errors.InputError: The path B -> Y names construct 'B', which has no items in the model.
      What to do: Define it ('B =~ item1 + item2') or correct the name; the constructs are: A, Y.
    """
    if isinstance(model, PLSModel):
        return model
    if isinstance(model, str):
        if paths is not None:
            raise ValueError("paths= is for the dict form; write the paths in the syntax")
        if list(formative):
            raise ValueError("formative= is for the dict form; write 'A <~ x1 + x2' instead")
        blocks, measurement, path_list = _parse(model)
        syntax = model.strip()
    elif isinstance(model, Mapping):
        if paths is None:
            raise InputError(
                "The model's constructs were given without structural paths.",
                hint="Pass paths=[('A', 'Y'), ...] (source, target) with the constructs dict.",
            )
        formative = set(formative)
        blocks = {}
        for name, items in model.items():
            name = _check_name(str(name), "construct")
            if isinstance(items, str):
                items = [items]
            blocks[name] = [_check_name(str(i), "item", construct=name) for i in items]
        unknown = formative - set(blocks)
        if unknown:
            raise InputError(
                f"formative= names '{sorted(unknown)[0]}', which is not a construct of the model.",
                hint=_join(_suggest(sorted(unknown)[0], blocks), _constructs_hint(blocks)),
            )
        measurement = {c: "composite" if c in formative else "reflective" for c in blocks}
        path_list = []
        for pair in paths:
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise InputError(
                    f"Path {pair!r} is not a (source, target) pair.",
                    hint="Give each path as a pair, e.g. ('Image', 'Satisfaction').",
                )
            path_list.append((str(pair[0]), str(pair[1])))
        syntax = ""
    else:
        raise TypeError(
            f"model must be lavaan syntax (str), a {{construct: [items]}} dict or a PLSModel, "
            f"not {type(model).__name__}"
        )
    return _build(blocks, measurement, path_list, syntax)


# ----------------------------------------------------------------------------
# Parsing
# ----------------------------------------------------------------------------


def _parse(
    text: str,
) -> tuple[dict[str, list[str]], dict[str, Measurement], list[tuple[str, str]]]:
    blocks: dict[str, list[str]] = {}
    measurement: dict[str, Measurement] = {}
    path_list: list[tuple[str, str]] = []
    lines = [line.split("#", 1)[0] for line in text.splitlines()]
    statements = [s.strip() for line in lines for s in line.split(";")]
    statements = [s for s in statements if s]
    if not statements:
        raise InputError("The model is empty.", hint=_SYNTAX_HINT)
    for statement in statements:
        match = _STATEMENT.match(statement)
        if match is None:
            raise InputError(
                f"'{statement}' is not a model statement (no '=~', '<~' or '~').",
                hint=_SYNTAX_HINT,
            )
        lhs, op, rhs = match["lhs"].strip(), match["op"], match["rhs"].strip()
        if op == "~~":
            raise InputError(
                f"'{statement}': covariances ('~~') are not part of a PLS path model.",
                hint="Remove the statement; PLS estimates construct correlations itself.",
            )
        if op in ("=~", "<~"):
            construct = _check_name(lhs, "construct", statement=statement)
            kind: Measurement = "reflective" if op == "=~" else "composite"
            if construct in measurement and measurement[construct] != kind:
                raise InputError(
                    f"Construct '{construct}' is defined both as reflective ('=~') and as a "
                    "formative composite ('<~').",
                    hint=f"Use one operator for all of '{construct}''s items.",
                )
            measurement[construct] = kind
            terms = _terms(rhs, statement)
            if not terms:
                raise InputError(
                    f"Construct '{construct}' has no items ('{statement}').",
                    hint=f"List its items: '{construct} {op} item1 + item2'.",
                )
            blocks.setdefault(construct, []).extend(
                _check_name(t, "item", construct=construct, statement=statement) for t in terms
            )
        else:
            targets = [_check_name(t, "construct", statement=statement) for t in _split(lhs)]
            sources = [
                _check_name(t, "construct", statement=statement) for t in _terms(rhs, statement)
            ]
            if not targets or not sources:
                raise InputError(
                    f"'{statement}' is not a complete regression: write 'Y ~ A + B'.",
                    hint=_SYNTAX_HINT,
                )
            path_list += [(s, t) for t in targets for s in sources]
    return blocks, measurement, path_list


def _split(text: str) -> list[str]:
    return [t.strip() for t in text.split("+")] if text.strip() else []


def _terms(rhs: str, statement: str) -> list[str]:
    terms = _split(rhs)
    if any(t == "" for t in terms):
        raise InputError(
            f"'{statement}' has an empty term (a '+' with nothing on one side).",
            hint="Remove the stray '+'.",
        )
    return terms


def _check_name(
    name: str, what: str, *, construct: str | None = None, statement: str | None = None
) -> str:
    name = name.strip()
    where = (
        f" in '{statement}'" if statement else (f" of construct '{construct}'" if construct else "")
    )
    if "*" in name:
        raise InputError(
            f"'{name}'{where}: labels, fixed values and interaction terms written with '*' are "
            "not supported in a PLS model.",
            hint="Write plain names: 'A =~ x1 + x2', 'Y ~ A + B'; an interaction term is "
            "written 'Y ~ X + M + X:M' (workbench.pls.estimate_interaction).",
        )
    if not name or not _NAME.match(name):
        raise InputError(
            f"{what.capitalize()} name {name!r}{where} is not a plain name.",
            hint="Use the column name as it is in the data (no spaces or operators). "
            + _SYNTAX_HINT,
        )
    return name


# ----------------------------------------------------------------------------
# Validation
# ----------------------------------------------------------------------------


def _build(
    blocks: dict[str, list[str]],
    measurement: Mapping[str, Measurement],
    path_list: list[tuple[str, str]],
    syntax: str,
) -> PLSModel:
    if not blocks:
        raise InputError(
            "The model defines no constructs.",
            hint="Define each construct with its items, e.g. 'Image =~ IMAG1 + IMAG2'.",
        )
    owner: dict[str, str] = {}
    for construct, items in blocks.items():
        if not items:
            raise InputError(
                f"Construct '{construct}' has no items.",
                hint=f"List its items, e.g. '{construct} =~ item1 + item2', or remove it.",
            )
        seen: set[str] = set()
        for item in items:
            if item in seen:
                raise InputError(
                    f"Item '{item}' is listed twice for construct '{construct}'.",
                    column=item,
                    hint="List each item once.",
                )
            seen.add(item)
            if item in owner and owner[item] != construct:
                raise InputError(
                    f"Item '{item}' is in two constructs ('{owner[item]}' and '{construct}').",
                    column=item,
                    hint="PLS needs each item in exactly one construct: remove it from one of "
                    "them.",
                )
            owner[item] = construct
        if measurement[construct] == "composite" and len(items) == 1:
            raise InputError(
                f"Formative construct '{construct}' has only one item ('{items[0]}'); a Mode B "
                "composite needs at least two.",
                hint=f"Measure it reflectively ('{construct} =~ {items[0]}': a single-item "
                "construct is its item) or add its other items.",
            )
    for item, construct in owner.items():
        if item in blocks:
            raise InputError(
                f"Construct '{item}' is used as an item of construct '{construct}'; "
                "higher-order constructs are not supported in a plain PLS model.",
                hint=f"Estimate it with workbench.pls.estimate_higher_order(data, model) "
                "(hoc_method='two_stage' or 'repeated_indicators'), or measure "
                f"'{construct}' by items (columns of the data).",
            )
    if not path_list:
        raise InputError(
            "The model has no structural paths.",
            hint="Add at least one regression, e.g. 'Satisfaction ~ Image'.",
        )
    constructs = tuple(blocks)
    paths: list[tuple[str, str]] = []
    for source, target in path_list:
        for name in (source, target):
            if name not in blocks and _is_interaction_term(name, blocks):
                raise InputError(
                    f"The path {source} -> {target} has the interaction term '{name}', which a "
                    "plain PLS model does not estimate.",
                    hint="Estimate it with workbench.pls.estimate_interaction(data, model, "
                    "interaction_method='two_stage' | 'orthogonal' | 'product_indicator').",
                )
            if name not in blocks:
                item_note = f" ('{name}' is an item of '{owner[name]}')" if name in owner else ""
                raise InputError(
                    f"The path {source} -> {target} names construct '{name}', which has no "
                    f"items in the model{item_note}.",
                    hint=_join(
                        _suggest(name, constructs),
                        f"Define it ('{name} =~ item1 + item2') or correct the name; "
                        + _constructs_hint(constructs),
                    ),
                )
        if (source, target) not in paths:
            paths.append((source, target))
    cycle = _find_cycle(constructs, paths)
    if cycle:
        raise InputError(
            f"The structural model has a cycle: {' -> '.join(cycle)}.",
            hint="PLS path models are recursive: remove or reverse one of these paths.",
        )
    linked = {c for p in paths for c in p}
    for construct in constructs:
        if construct not in linked:
            raise InputError(
                f"Construct '{construct}' has no structural path.",
                hint=f"Add a path into or out of '{construct}' (e.g. 'Y ~ {construct}'), or "
                "remove the construct from the model.",
            )
    targets = {t for _, t in paths}
    item_map = {c: tuple(blocks[c]) for c in constructs}
    kinds: dict[str, Measurement] = {c: measurement[c] for c in constructs}
    return PLSModel(
        constructs=constructs,
        items=item_map,
        measurement=kinds,
        paths=tuple(paths),
        exogenous=tuple(c for c in constructs if c not in targets),
        endogenous=tuple(c for c in constructs if c in targets),
        syntax=syntax or _write_syntax(constructs, item_map, kinds, tuple(paths)),
    )


def _is_interaction_term(name: str, constructs: Iterable[str]) -> bool:
    """Whether ``name`` is an interaction term ``X:M`` of two constructs (lavaan's ``:``)."""
    parts = name.split(":")
    known = set(constructs)
    return len(parts) == 2 and all(part in known for part in parts)


def _find_cycle(constructs: Sequence[str], paths: Sequence[tuple[str, str]]) -> list[str]:
    """A cycle of the directed graph as [a, b, ..., a], or [] if it is acyclic."""
    successors: dict[str, list[str]] = {c: [] for c in constructs}
    for s, t in paths:
        successors[s].append(t)
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in successors[node]:
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for c in constructs:
        if c not in state:
            found = visit(c)
            if found:
                return found
    return []


def _write_syntax(
    constructs: Sequence[str],
    items: Mapping[str, Sequence[str]],
    measurement: Mapping[str, str],
    paths: Sequence[tuple[str, str]],
) -> str:
    lines = [
        f"{c} {'<~' if measurement[c] == 'composite' else '=~'} {' + '.join(items[c])}"
        for c in constructs
    ]
    targets: list[str] = []
    for _, t in paths:
        if t not in targets:
            targets.append(t)
    lines += [f"{t} ~ {' + '.join(s for s, tt in paths if tt == t)}" for t in targets]
    return "\n".join(lines)


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=3, cutoff=0.6)
    return f"Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""


def _constructs_hint(constructs: Iterable[str]) -> str:
    return f"the constructs are: {', '.join(constructs)}."


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)
