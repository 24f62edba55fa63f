"""Load and validate the YAML codebook that describes a survey.

Every study reads the same codebook, so its format is a contract::

    title: Member loyalty survey 2026
    id: respondent_id                # optional respondent id column
    scale: {min: 1, max: 7}          # response range of the items (omit for continuous measures)
    missing_codes: [99, -9]          # optional: values that mean 'no answer'
    constructs:                      # construct -> items; either form is accepted
      trust: [TR1, TR2, TR3]
      satisfaction: {items: [SA1, SA2, SA3], label: "Satisfaction / 满意度"}
    reverse_coded: [TR3]             # optional; scored as min + max - x
    labels: {TR1: "I trust the brand to keep its promises"}   # optional item wording

Optional extra keys: ``description`` (free text) and ``source`` (citation).
"""

from __future__ import annotations

import dataclasses
import difflib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from workbench.errors import InputError
from workbench.safeyaml import load_yaml_file

TOP_LEVEL_KEYS = (
    "title",
    "id",
    "scale",
    "missing_codes",
    "constructs",
    "reverse_coded",
    "labels",
    "description",
    "source",
)
CONSTRUCT_KEYS = ("items", "label", "description")
# said once in the report of a run without a codebook
NO_CODEBOOK_NOTE = (
    "No codebook was given, so every variable is a column of the data and its scores are used "
    "as they are (no items, constructs, missing-value codes or reverse coding)."
)


@dataclasses.dataclass(frozen=True)
class Scale:
    """The response range of the items, e.g. 1..7 for a 7-point Likert scale."""

    min: float
    max: float

    def reverse(self, value: Any) -> Any:
        """Reverse-score a value: ``min + max - value``."""
        return self.min + self.max - value


@dataclasses.dataclass(frozen=True)
class Construct:
    """A construct (latent variable) and the items that measure it."""

    name: str
    items: tuple[str, ...]
    label: str | None = None
    description: str | None = None

    @property
    def display_name(self) -> str:
        return self.label or self.name


@dataclasses.dataclass(frozen=True)
class Codebook:
    """A validated survey codebook.

    Use :func:`load_codebook` to read one from YAML, or :meth:`from_dict`.

    Examples
    --------
    >>> cb = Codebook.from_dict({
    ...     "title": "Demo",
    ...     "scale": {"min": 1, "max": 7},
    ...     "constructs": {"trust": ["TR1", "TR2", "TR3"]},
    ...     "reverse_coded": ["TR3"],
    ... })
    >>> cb.items
    ('TR1', 'TR2', 'TR3')
    >>> cb.construct_of("TR3")
    'trust'
    """

    title: str
    constructs: dict[str, Construct]
    id: str | None = None
    scale: Scale | None = None
    missing_codes: tuple[float, ...] = ()
    reverse_coded: tuple[str, ...] = ()
    labels: dict[str, str] = dataclasses.field(default_factory=dict)
    description: str | None = None
    source: str | None = None
    path: str | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def empty(cls, title: str = "Untitled survey") -> Codebook:
        """The codebook of a run without one: no constructs, so every name is a column.

        >>> cb = Codebook.empty("plain")
        >>> cb.given, cb.items, cb.label("x1")
        (False, (), 'x1')
        """
        return cls(title=title, constructs={})

    # ------------------------------------------------------------------ access
    @property
    def given(self) -> bool:
        """Whether a codebook was given (a loaded codebook has at least one construct)."""
        return bool(self.constructs)

    @property
    def items(self) -> tuple[str, ...]:
        """All items, in codebook order."""
        return tuple(item for c in self.constructs.values() for item in c.items)

    @property
    def construct_items(self) -> dict[str, list[str]]:
        """``{construct: [items]}``, the form the statistics functions take."""
        return {name: list(c.items) for name, c in self.constructs.items()}

    def construct_of(self, item: str) -> str:
        for name, c in self.constructs.items():
            if item in c.items:
                return name
        raise KeyError(item)

    def label(self, name: str) -> str:
        """The display label of an item or construct (its name if none is given)."""
        if name in self.constructs:
            return self.constructs[name].display_name
        return self.labels.get(name, name)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title}
        if self.id is not None:
            out["id"] = self.id
        if self.scale is not None:
            out["scale"] = {"min": self.scale.min, "max": self.scale.max}
        if self.missing_codes:
            out["missing_codes"] = list(self.missing_codes)
        out["constructs"] = {
            name: ({"items": list(c.items), "label": c.label} if c.label else list(c.items))
            for name, c in self.constructs.items()
        }
        if self.reverse_coded:
            out["reverse_coded"] = list(self.reverse_coded)
        if self.labels:
            out["labels"] = dict(self.labels)
        return out

    # ------------------------------------------------------------------ checks
    def check_columns(self, columns: Iterable[str], *, file: str | None = None) -> None:
        """Raise :class:`InputError` if an item or the id column is absent from the data,
        or a construct shares its name with a column (other than its own single item).

        The message suggests the closest column names, because the usual cause
        is a typo or a renamed export column.
        """
        columns = [str(c) for c in columns]
        present = set(columns)
        if self.id is not None and self.id in self.items:
            raise InputError(
                f"The codebook's id column '{self.id}' is also listed as an item of construct "
                f"'{self.construct_of(self.id)}'.",
                file=self.path or file,
                column=self.id,
                hint="Remove it from the construct: an id identifies respondents, it is not an "
                "answer.",
            )
        missing = [item for item in self.items if item not in present]
        if self.id is not None and self.id not in present:
            raise InputError(
                f"The codebook's id column '{self.id}' is not in the data.",
                file=file,
                column=self.id,
                hint=_join(
                    _suggest(self.id, columns),
                    "Fix the codebook's `id:` or remove it if the data has no id column.",
                ),
            )
        if missing:
            first = missing[0]
            more = f" ({len(missing)} codebook items are absent: {', '.join(missing[:10])}" + (
                ", ...)" if len(missing) > 10 else ")"
            )
            raise InputError(
                f"Codebook item '{first}' is not a column of the data{more}.",
                file=file,
                column=first,
                hint=_join(
                    _suggest(first, columns),
                    f"Check the codebook ({self.path or 'codebook'}) against the data's header.",
                ),
            )
        clash = [
            name
            for name, construct in self.constructs.items()
            if name in present and tuple(construct.items) != (name,)
        ]
        if clash:
            name = clash[0]
            raise InputError(
                f"The codebook's construct '{name}' has the same name as a column of the data, "
                "so a parameter naming it could mean either.",
                file=self.path or file,
                column=name,
                hint=f"Rename the construct in the codebook (e.g. '{name}_scale'), or rename "
                "the column in the data.",
            )

    # ------------------------------------------------------------------ build
    @classmethod
    def from_dict(cls, raw: Any, *, path: str | None = None) -> Codebook:
        """Validate a parsed codebook mapping; raise :class:`InputError` naming the problem."""
        where = path or "codebook"

        def fail(problem: str, hint: str | None = None, column: str | None = None) -> InputError:
            return InputError(problem, file=where, column=column, hint=hint)

        if not isinstance(raw, Mapping):
            raise fail(
                "A codebook must be a YAML mapping (key: value lines) at the top level.",
                "Start from the example in README.md (title, scale, constructs, ...).",
            )
        for key in raw:
            if key not in TOP_LEVEL_KEYS:
                raise fail(
                    f"Unknown codebook key '{key}'.",
                    _join(
                        _suggest(str(key), TOP_LEVEL_KEYS),
                        f"Accepted keys: {', '.join(TOP_LEVEL_KEYS)}.",
                    ),
                )
        warnings: list[str] = []

        title = raw.get("title")
        if title is None:
            title = Path(path).stem if path else "Untitled survey"
        if not isinstance(title, str):
            raise fail("`title` must be text.")

        id_col = raw.get("id")
        if id_col is not None and not isinstance(id_col, str):
            raise fail("`id` must be a column name (text).", "Write e.g. `id: respondent_id`.")

        scale = None
        if raw.get("scale") is not None:
            sc = raw["scale"]
            if not isinstance(sc, Mapping) or set(sc) != {"min", "max"}:
                raise fail(
                    "`scale` must be a mapping with exactly `min` and `max`.",
                    "Write e.g. `scale: {min: 1, max: 7}`, or omit it for continuous measures.",
                )
            lo, hi = sc["min"], sc["max"]
            if not all(_is_number(v) for v in (lo, hi)):
                raise fail("`scale` min and max must be numbers.", "Write e.g. `{min: 1, max: 7}`.")
            if lo >= hi:
                raise fail(f"`scale` min ({lo}) must be below max ({hi}).")
            scale = Scale(lo, hi)

        codes_raw = raw.get("missing_codes") or []
        if not isinstance(codes_raw, list) or not all(_is_number(v) for v in codes_raw):
            raise fail(
                "`missing_codes` must be a list of numbers.",
                "Write e.g. `missing_codes: [99, -9]`.",
            )
        missing_codes = tuple(codes_raw)
        if scale is not None:
            inside = [c for c in missing_codes if scale.min <= c <= scale.max]
            if inside:
                raise fail(
                    f"Missing code {inside[0]} lies inside the response scale "
                    f"{scale.min:g}..{scale.max:g}, so real answers would be discarded.",
                    "Use codes outside the scale (e.g. 99 or -9) or fix `scale`.",
                )

        constructs_raw = raw.get("constructs")
        if not isinstance(constructs_raw, Mapping) or not constructs_raw:
            raise fail(
                "The codebook needs a `constructs` mapping: construct name -> list of items.",
                "Write e.g. `constructs: {trust: [TR1, TR2, TR3]}`.",
            )
        constructs: dict[str, Construct] = {}
        owner: dict[str, str] = {}
        for name, spec in constructs_raw.items():
            name = str(name)
            label = description = None
            if isinstance(spec, Mapping):
                for key in spec:
                    if key not in CONSTRUCT_KEYS:
                        raise fail(
                            f"Unknown key '{key}' in construct '{name}'.",
                            f"Accepted keys: {', '.join(CONSTRUCT_KEYS)}.",
                        )
                items_raw = spec.get("items")
                label = spec.get("label")
                description = spec.get("description")
                if label is not None and not isinstance(label, str):
                    raise fail(f"The label of construct '{name}' must be text.")
            else:
                items_raw = spec
            if (
                not isinstance(items_raw, list)
                or not items_raw
                or not all(isinstance(i, (str, int)) for i in items_raw)
            ):
                raise fail(
                    f"Construct '{name}' must list its items, e.g. `{name}: [X1, X2, X3]`.",
                    "Either a list of column names or `{items: [...], label: ...}`.",
                )
            items = tuple(str(i) for i in items_raw)
            for item in items:
                if item in owner:
                    if owner[item] == name:
                        raise fail(f"Item '{item}' is listed twice in construct '{name}'.")
                    raise fail(
                        f"Item '{item}' is listed in two constructs: '{owner[item]}' and '{name}'.",
                        "Each item measures one construct; remove it from one of them.",
                        column=item,
                    )
                owner[item] = name
            if len(items) < 2:
                warnings.append(
                    f"Construct '{name}' has a single item ({items[0]}): its reliability "
                    "cannot be estimated and it cannot be modelled as a latent factor."
                )
            constructs[name] = Construct(name, items, label, description)

        reverse_raw = raw.get("reverse_coded") or []
        if not isinstance(reverse_raw, list):
            raise fail("`reverse_coded` must be a list of items.", "Write e.g. `[TR3]`.")
        reverse = tuple(str(i) for i in reverse_raw)
        for item in reverse:
            if item not in owner:
                raise fail(
                    f"Reverse-coded item '{item}' is not an item of any construct.",
                    _suggest(item, list(owner)),
                    column=item,
                )
        if len(set(reverse)) != len(reverse):
            raise fail("An item is listed twice in `reverse_coded`.")
        if reverse and scale is None:
            raise fail(
                "`reverse_coded` needs a `scale` (items are scored as min + max - x).",
                "Add e.g. `scale: {min: 1, max: 7}`.",
            )

        labels_raw = raw.get("labels") or {}
        if not isinstance(labels_raw, Mapping):
            raise fail("`labels` must map column names to their wording.")
        labels = {str(k): str(v) for k, v in labels_raw.items()}

        return cls(
            title=title,
            constructs=constructs,
            id=id_col,
            scale=scale,
            missing_codes=missing_codes,
            reverse_coded=reverse,
            labels=labels,
            description=raw.get("description"),
            source=raw.get("source"),
            path=path,
            warnings=tuple(warnings),
        )


def load_codebook(path: str | Path) -> Codebook:
    """Read and validate a YAML codebook.

    Raises
    ------
    InputError
        If the file is missing, is not valid YAML, or breaks the codebook
        format (unknown keys, an item in two constructs, ...).
    """
    path = Path(path)
    if not path.exists():
        raise InputError(
            "Codebook file not found.",
            file=str(path),
            hint="Check the path given with --codebook.",
        )
    # strict YAML: items named ON/OFF/YES stay text, a duplicate key is an error naming both
    # lines, anchors/aliases (and so alias bombs) are refused
    raw = load_yaml_file(path)
    return Codebook.from_dict(raw, path=str(path))


def _suggest(name: str, candidates: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, [str(c) for c in candidates], n=3, cutoff=0.5)
    if not close:
        return ""
    return "Did you mean " + " or ".join(f"'{c}'" for c in close) + "?"


def _join(*parts: str) -> str:
    return " ".join(p for p in parts if p)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
