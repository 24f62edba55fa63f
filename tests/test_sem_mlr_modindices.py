"""Modification indices of MLR fits (complete data and FIML) against lavaan 0.6-14.

Reference values: ``tests/reference/lavaan_mlr_modindices.json``, written by
``tests/reference/lavaan_mlr_modindices.R`` (R 4.2.2, lavaan 0.6-14; run from the repository
root): ``modindices(sem(model, data, estimator = "MLR"))``, all rows, for lavaan's
Holzinger-Swineford three-factor CFA and a structural model on its factors (complete, and by
FIML, ``missing = "ml"``, on the seeded MCAR deletions of
``tests/reference/holzinger_swineford_mcar.csv``), Bollen's PoliticalDemocracy model (its data
are in the JSON) and two models with an observed variable in the regressions (as an outcome,
as a mediator). The tests read only the JSON.

What lavaan does (from ``print(lavaan::modindices)``, recorded in the JSON): the index uses
``modindices()``'s own ``information = "expected"`` (for ``missing = "ml"`` the structured
expected information of the incomplete data), not the observed information of MLR's standard
errors, and the ML score (MLR is ``estimator = "ML"`` inside lavaan); there is no ``mi.scaled``
column. So an MLR fit's indices are its ML fit's (lavaan's own difference is 0 in every case).

Tolerances (the brief's): ``mi`` within 1e-3 relative or 1e-4 absolute for small indices,
``epc`` and ``sepc_all`` within 1e-4 absolute. Measured worst differences against lavaan
carried to the optimum by Newton steps ("converged", largest gradient element < 1e-12): mi
1.6e-6 relative, epc 3.6e-6 and sepc_all 3.9e-6 (observed_outcome, whose two-indicator factor
makes some indices ill-conditioned); 1.1e-6, 1.6e-9 and 3.2e-9 in the other cases. Against
lavaan's default fits (nlminb stops with a largest gradient element of 2e-7 to 1.2e-6) the
worst are mi 8.6e-4 relative (9.7e-5 absolute, PoliticalDemocracy, N = 75), epc 1.9e-5 and
sepc_all 1.6e-5; the two observed-variable models are checked only at the optimum (their
weakly determined indices move by up to 5% relative, 0.02 absolute, between lavaan's stop
and the optimum).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pytest

from workbench.sem.model import SEMResult, fit_sem, modification_indices

ROOT = Path(__file__).resolve().parents[1]
REF_DIR = ROOT / "tests" / "reference"
REF = json.loads((REF_DIR / "lavaan_mlr_modindices.json").read_text(encoding="utf-8"))
CASES = list(REF["cases"])
# the brief's cases, also compared with lavaan's default (unpolished) fits
DEFAULT_CASES = ["cfa_complete", "cfa_fiml", "sem_complete", "sem_fiml", "political_democracy"]
# case -> (model, data, missing)
SETUP: dict[str, tuple[str, str, Literal["listwise", "fiml"]]] = {
    "cfa_complete": ("cfa", "complete", "listwise"),
    "cfa_fiml": ("cfa", "mcar", "fiml"),
    "sem_complete": ("sem", "complete", "listwise"),
    "sem_fiml": ("sem", "mcar", "fiml"),
    "political_democracy": ("political_democracy", "political_democracy", "listwise"),
    "observed_outcome": ("observed_outcome", "complete", "listwise"),
    "observed_mediator": ("observed_mediator", "complete", "listwise"),
}
KEY = ["lhs", "op", "rhs"]


def _data(name: str) -> pd.DataFrame:
    if name == "complete":
        return pd.read_csv(ROOT / "data" / "holzinger_swineford_1939.csv")
    if name == "mcar":
        return pd.read_csv(REF_DIR / "holzinger_swineford_mcar.csv")
    return pd.DataFrame(REF["data"]["political_democracy"])


def _fit(case: str, estimator: Literal["ml", "mlr"] = "mlr") -> SEMResult:
    model, data, missing = SETUP[case]
    return fit_sem(_data(data), REF["models"][model], estimator=estimator, missing=missing)


@pytest.fixture(scope="module")
def fits() -> dict[str, SEMResult]:
    assert set(SETUP) == set(CASES)
    return {case: _fit(case) for case in CASES}


def _unordered(table: pd.DataFrame) -> pd.DataFrame:
    """``a ~~ b`` and ``b ~~ a`` are one parameter: put covariances in name order."""
    table = table.copy()
    swap = (table["op"] == "~~") & (table["lhs"] > table["rhs"])
    table.loc[swap, ["lhs", "rhs"]] = table.loc[swap, ["rhs", "lhs"]].to_numpy()
    return table


def _merged(fits: dict[str, SEMResult], case: str, fit: str) -> pd.DataFrame:
    ours = _unordered(modification_indices(fits[case], top=None))
    theirs = _unordered(pd.DataFrame(REF["cases"][case][fit]["modindices"]))
    merged = ours.merge(theirs, on=KEY, how="outer", suffixes=("", "_lavaan"), indicator=True)
    assert (merged["_merge"] == "both").all(), merged.loc[merged["_merge"] != "both", KEY]
    return merged


def _assert_close(merged: pd.DataFrame) -> None:
    mi, ref = merged["mi"].to_numpy(), merged["mi_lavaan"].to_numpy()
    bound = np.maximum(1e-3 * np.abs(ref), 1e-4)
    assert (np.abs(mi - ref) <= bound).all(), merged.loc[np.abs(mi - ref) > bound, KEY]
    for col in ("epc", "sepc_all"):
        np.testing.assert_allclose(merged[col], merged[f"{col}_lavaan"], rtol=0, atol=1e-4)


@pytest.mark.parametrize("case", CASES)
def test_mlr_modification_indices_propose_lavaans_candidates(fits, case):
    ours = modification_indices(fits[case], top=None)
    merged = _merged(fits, case, "converged")
    assert len(merged) == len(ours) == len(REF["cases"][case]["converged"]["modindices"])
    # lavaan's rows are the same at its default fit
    default = _unordered(pd.DataFrame(REF["cases"][case]["default"]["modindices"]))
    assert sorted(map(tuple, default[KEY].to_numpy())) == sorted(map(tuple, merged[KEY].to_numpy()))


@pytest.mark.parametrize("case", CASES)
def test_mlr_modification_indices_match_lavaan_at_the_optimum(fits, case):
    _assert_close(_merged(fits, case, "converged"))


@pytest.mark.parametrize("case", DEFAULT_CASES)
def test_mlr_modification_indices_match_lavaan_defaults(fits, case):
    _assert_close(_merged(fits, case, "default"))


@pytest.mark.parametrize("case", CASES)
def test_mlr_modification_indices_are_sorted_by_mi_as_lavaan_sorts_them(fits, case):
    ours = modification_indices(fits[case], top=None)
    assert (np.diff(ours["mi"].to_numpy()) <= 0).all()
    # lavaan's index of our k-th row is lavaan's k-th largest (ties may come in either order)
    merged = _merged(fits, case, "converged").set_index(KEY)["mi_lavaan"]
    theirs = merged.loc[list(map(tuple, _unordered(ours)[KEY].to_numpy()))].to_numpy()
    np.testing.assert_allclose(theirs, np.sort(theirs)[::-1], rtol=1e-6)
    top = modification_indices(fits[case], top=5)
    pd.testing.assert_frame_equal(top, ours.head(5))


def test_structural_candidates_include_regressions_but_not_reversed_ones(fits):
    table = modification_indices(fits["sem_complete"], top=None)
    rows = set(map(tuple, table[KEY].to_numpy()))
    # lavaan: the missing paths among the factors, not textual ~ visual's reverse or its
    # covariance (V = 0, NA in lavaan), nor the free paths themselves
    assert {("speed", "~", "visual"), ("visual", "~", "speed"), ("textual", "~", "speed")} <= rows
    for row in [
        ("visual", "~", "textual"),
        ("visual", "~~", "textual"),
        ("textual", "~", "visual"),
        ("speed", "~", "textual"),
    ]:
        assert row not in rows
    # an observed outcome is proposed as a predictor of the factors, never as an indicator
    outcome = modification_indices(fits["observed_outcome"], top=None)
    rows = set(map(tuple, outcome[KEY].to_numpy()))
    assert {("visual", "~", "x7"), ("textual", "~", "x7")} <= rows
    assert not any(r[2] == "x7" and r[1] in ("=~", "~~") for r in rows)


@pytest.mark.parametrize("case", ["cfa_complete", "sem_fiml"])
def test_mlr_modification_indices_are_the_ml_ones_without_a_scaled_index(fits, case):
    # lavaan 0.6-14: expected information, ML score, no mi.scaled; its ML and MLR tables agree
    assert REF["modindices_information"] == "expected"
    lavaan = REF["cases"][case]
    assert lavaan["model_estimator"] == "ML"
    assert lavaan["options"]["information"][0] == "observed"  # the SEs', not the indices'
    assert "mi.scaled" not in lavaan["default"]["columns"]
    assert lavaan["max_abs_diff_vs_ml"] == {"mi": 0, "epc": 0, "sepc_all": 0}
    mlr = modification_indices(fits[case], top=None)
    ml = modification_indices(_fit(case, "ml"), top=None)
    assert list(mlr.columns) == ["lhs", "op", "rhs", "mi", "epc", "sepc_all", "p"]
    assert mlr[KEY].equals(ml[KEY])
    for col in ("mi", "epc", "sepc_all", "p"):
        np.testing.assert_allclose(mlr[col], ml[col], rtol=1e-9, atol=1e-12)
