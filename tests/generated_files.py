"""Compare committed generated files (simulated data, truths) with a fresh write, numerically.

The simulators write decimals rounded to a fixed number of places (documented in
``workbench.simulate``). Another machine's BLAS or library versions can move a value that sits
on a rounding boundary by one unit in its last written place (e.g. 0.304813 vs 0.304812), so
a byte-for-byte comparison would fail for no statistical reason. The rule here:

- text (names, dates, ids, categories) must be identical;
- whole numbers (written without a decimal point: Likert answers, counts, ids) must be
  identical;
- decimals may differ by at most one unit in the last place written (``10**-d`` for a value
  written with ``d`` decimals), which is exactly what a rounding-boundary flip produces.

Anything larger is a real change of the generator and fails, naming the file, row and column.
"""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path
from typing import Any

import yaml


def _number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _decimals(text: str) -> int:
    mantissa = text.lower().split("e")[0]
    return len(mantissa.split(".")[1]) if "." in mantissa else 0


def _close(a: str, b: str) -> bool:
    """Whether two written values agree within one unit of the last written decimal place."""
    if a == b:
        return True
    x, y = _number(a), _number(b)
    if x is None or y is None:
        return False
    places = max(_decimals(a), _decimals(b))
    if places == 0 or "e" in (a + b).lower():
        # whole numbers must be identical; exponent notation: compare relative to the mantissa
        return places > 0 and math.isclose(x, y, rel_tol=1.01 * 10.0**-places)
    return abs(x - y) <= 1.01 * 10.0**-places


def _compare_csv(committed: Path, fresh: Path) -> None:
    with committed.open(encoding="utf-8", newline="") as f:
        old = list(csv.reader(f))
    with fresh.open(encoding="utf-8", newline="") as f:
        new = list(csv.reader(f))
    assert old[0] == new[0], f"{committed.name}: header differs"
    assert len(old) == len(new), f"{committed.name}: {len(old)} rows committed, {len(new)} fresh"
    header = old[0]
    for row, (a, b) in enumerate(zip(old[1:], new[1:], strict=True), start=2):
        assert len(a) == len(b), f"{committed.name} line {row}: field count differs"
        for column, x, y in zip(header, a, b, strict=True):
            assert _close(x, y), f"{committed.name} line {row}, column {column}: {x!r} vs {y!r}"


def _compare_tree(old: Any, new: Any, where: str) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        assert list(old) == list(new), f"{where}: keys differ ({list(old)} vs {list(new)})"
        for key in old:
            _compare_tree(old[key], new[key], f"{where}.{key}")
    elif isinstance(old, list) and isinstance(new, list):
        assert len(old) == len(new), f"{where}: length {len(old)} vs {len(new)}"
        for i, (a, b) in enumerate(zip(old, new, strict=True)):
            _compare_tree(a, b, f"{where}[{i}]")
    elif isinstance(old, float | int) and isinstance(new, float | int):
        assert (not isinstance(old, bool) and not isinstance(new, bool)) or old == new, where
        assert _close(repr(old), repr(new)), f"{where}: {old!r} vs {new!r}"
    else:
        assert old == new, f"{where}: {old!r} vs {new!r}"


def assert_generated_file_matches(committed: Path, fresh: Path) -> None:
    """Assert a committed generated file equals a fresh write, within the rounding rule above."""
    assert committed.exists(), f"{committed} is missing: run python -m workbench.simulate"
    suffix = committed.suffix.lower()
    if suffix == ".csv":
        _compare_csv(committed, fresh)
    elif suffix == ".json":
        old = json.loads(committed.read_text(encoding="utf-8"))
        new = json.loads(fresh.read_text(encoding="utf-8"))
        _compare_tree(old, new, committed.name)
    elif suffix in {".yaml", ".yml"}:
        old_text, new_text = (p.read_text(encoding="utf-8") for p in (committed, fresh))
        _compare_tree(yaml.safe_load(old_text), yaml.safe_load(new_text), committed.name)
    else:  # pragma: no cover - no other kinds are generated
        raise AssertionError(f"no comparison rule for {committed.name}")
