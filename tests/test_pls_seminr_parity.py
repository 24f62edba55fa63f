"""workbench.pls against R seminr 2.3.1's own test fixtures (the acceptance bar of issue 15).

Reference values: ``../shared/reference/pls/expected.json`` (see the README beside it), taken
from seminr 2.3.1's ``tests/fixtures/V_3_6_0`` (git commit ae2524a). Two cases:

* ``mobi-simple``: Image, Expectation, Value -> Satisfaction on seminr's ``mobi``; Mode A
  composites, plain PLS, path weighting. 54 values: n, 3 paths, R² and adjusted R², 13
  weights, 13 loadings, alpha / rho_A / rho_C / AVE of 4 constructs, 6 HTMT ratios.
* ``corp-rep-simple``: COMP, LIKE -> CUSA -> CUSL on Hair et al.'s corporate-reputation data,
  -99 read as missing through the codebook, mean replacement. n and 5 paths.

Tolerance: seminr's own (``expect_equal(..., tolerance = 1e-5)``) per value: relative
difference at most 1e-5, absolute 1e-5 where the reference is below 1e-5 in size. The
implementation agrees to about 4e-15 (relative), i.e. to rounding.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pandas as pd
import pytest

from workbench.intake import load_survey
from workbench.pls import PLSResult, estimate_pls

TOLERANCE = 1e-5


def close(got: float, want: float) -> bool:
    """seminr's tolerance applied to one value."""
    if abs(want) <= TOLERANCE:
        return abs(got - want) <= TOLERANCE
    return abs(got - want) <= TOLERANCE * abs(want)


@pytest.fixture(scope="module")
def expected(shared_reference: Path) -> dict:
    return json.loads((shared_reference / "pls" / "expected.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def mobi_case(expected) -> dict:
    return expected["cases"]["mobi-simple"]


@pytest.fixture(scope="module")
def corp_case(expected) -> dict:
    return expected["cases"]["corp-rep-simple"]


@pytest.fixture(scope="module")
def mobi_fit(mobi, mobi_case) -> PLSResult:
    params = mobi_case["params"]
    return estimate_pls(
        mobi,
        mobi_case["model"],
        estimator=params["estimator"],
        inner_weighting=params["inner_weighting"],
    )


@pytest.fixture(scope="module")
def corp_fit(shared_reference: Path, corp_case) -> PLSResult:
    """The corp_rep data read through its codebook (-99 -> missing), then mean replacement."""
    survey = load_survey(
        shared_reference / "data" / corp_case["data"],
        shared_reference / "pls" / corp_case["codebook"],
    )
    params = corp_case["params"]
    return estimate_pls(
        survey.frame,
        corp_case["model"],
        estimator=params["estimator"],
        inner_weighting=params["inner_weighting"],
        missing=params["missing"],
    )


def observed(fit: PLSResult, group: str) -> dict:
    """The fit's values in expected.json's layout for one group."""
    spec = fit.specification
    if group == "paths":
        return {k: {"estimate": v} for k, v in fit.paths["estimate"].items()}
    if group == "r2":
        return fit.r2.to_dict(orient="index")
    if group in ("weights", "loadings"):
        table = fit.outer_weights if group == "weights" else fit.outer_loadings
        return {c: {i: table.loc[i, c] for i in spec.items[c]} for c in spec.constructs}
    if group == "reliability":
        return fit.reliability().to_dict(orient="index")
    if group == "htmt":
        return fit.to_dict()["htmt"]
    raise KeyError(group)


def compare(fit: PLSResult, expected_group: dict, group: str) -> tuple[int, list[str]]:
    got = observed(fit, group)
    checked, failures = 0, []
    for key, values in expected_group.items():
        for name, want in values.items():
            value = got[key][name]
            checked += 1
            if not close(value, want):
                failures.append(f"{group} {key} {name}: {value!r} vs seminr {want!r}")
    return checked, failures


@pytest.mark.parametrize("group", ["paths", "r2", "weights", "loadings", "reliability", "htmt"])
def test_mobi_simple_matches_seminr_within_its_tolerance(mobi_fit, mobi_case, group):
    checked, failures = compare(mobi_fit, mobi_case["expected"][group], group)
    assert checked == {"paths": 3, "r2": 2, "weights": 13, "loadings": 13}.get(
        group, {"reliability": 16, "htmt": 6}.get(group)
    )
    assert not failures, "\n".join(failures)


def test_mobi_simple_checks_all_54_values_and_n(mobi_fit, mobi_case):
    expected = mobi_case["expected"]
    total = sum(
        compare(mobi_fit, expected[g], g)[0]
        for g in ("paths", "r2", "weights", "loadings", "reliability", "htmt")
    )
    assert mobi_fit.n == expected["n"] == 250
    assert total + 1 == 54  # the README's 54 values count n
    assert mobi_fit.converged


def test_corp_rep_simple_paths_match_seminr_after_codebook_missing_codes_and_mean_replacement(
    corp_fit, corp_case
):
    expected = corp_case["expected"]
    checked, failures = compare(corp_fit, expected["paths"], "paths")
    assert checked == 5
    assert not failures, "\n".join(failures)
    assert corp_fit.n == expected["n"] == 344  # mean replacement keeps every respondent
    # the README's 11 replaced cells, in cusa and cusl_1-3
    assert corp_fit.data.replaced == {"cusa": 1, "cusl_1": 3, "cusl_2": 4, "cusl_3": 3}


def test_corp_rep_missing_codes_given_directly_give_the_same_fit_as_the_codebook(
    shared_reference, corp_case, corp_fit
):
    raw = pd.read_csv(shared_reference / "data" / corp_case["data"])
    direct = estimate_pls(raw, corp_case["model"], missing="mean", missing_codes=[-99])
    pd.testing.assert_frame_equal(direct.paths, corp_fit.paths, rtol=1e-13, atol=1e-15)


def test_the_largest_relative_difference_from_seminr_is_at_rounding_level(
    mobi_fit, mobi_case, corp_fit, corp_case
):
    """Not a tolerance check: documents that the agreement is far inside seminr's 1e-5."""
    worst = 0.0
    for fit, case in ((mobi_fit, mobi_case), (corp_fit, corp_case)):
        for group, values in case["expected"].items():
            if group == "n":
                continue
            got = observed(fit, group)
            for key, inner in values.items():
                for name, want in inner.items():
                    worst = max(worst, abs(got[key][name] - want) / max(abs(want), TOLERANCE))
    assert math.isfinite(worst) and worst < 1e-10
