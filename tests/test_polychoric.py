"""Polychoric correlations: golden values from R psych::polychoric, invariants, and input errors.

The reference numbers come from tests/reference/psych_polychoric.R (psych 2.2.9), stored in
tests/reference/psych_polychoric.json. psych finds rho with ``optimize`` (tolerance about
1.2e-4) on probabilities from ``mnormt::sadmvn`` (abseps 1e-6), so we compare with psych at
1e-4 absolute (observed: at most 2.1e-5) and with the JSON's ``rho_ml`` (the same likelihood
maximized to 1e-12 with exact bivariate probabilities) at 1e-6 (observed: 3e-8).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import multivariate_normal, norm

from workbench.errors import InputError
from workbench.measurement.polychoric import (
    PolychoricResult,
    bivariate_normal_cdf,
    polychoric,
    polychoric_matrix,
)

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "psych_polychoric.json").read_text())
BFI_ITEMS = REF["bfi"]["items"]
PSYCH_TOL = 1e-4  # psych's optimize() tolerance is about 1.2e-4
ML_TOL = 1e-6


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data" / "bfi.csv")[BFI_ITEMS]


@pytest.fixture(scope="module")
def bfi_result(bfi: pd.DataFrame) -> PolychoricResult:
    return polychoric_matrix(bfi)


def ref_data(name: str) -> pd.DataFrame:
    d = REF["data"][name]
    return pd.DataFrame(d["rows"], columns=d["columns"], dtype=float)


def ref_matrix(case: str, key: str = "rho") -> np.ndarray:
    return np.array(REF[case][key], dtype=float)


# --- the bivariate normal CDF ------------------------------------------------------------
def test_bivariate_normal_cdf_matches_scipy_over_the_whole_rho_range():
    rng = np.random.default_rng(20261122)
    rhos = [*np.linspace(-0.999, 0.999, 37), -0.93, -0.92, 0.92, 0.93, -0.9999, 0.9999]
    worst = 0.0
    for r in rhos:
        a, b = rng.uniform(-4, 4, 25), rng.uniform(-4, 4, 25)
        expected = multivariate_normal(mean=[0, 0], cov=[[1, r], [r, 1]]).cdf(np.c_[a, b])
        worst = max(worst, np.abs(bivariate_normal_cdf(a, b, r) - expected).max())
    assert worst < 1e-10


def test_bivariate_normal_cdf_closed_forms_and_infinite_limits():
    # Orthant probability: 1/4 + asin(rho) / (2 pi).
    r = np.array([-0.9, -0.3, 0.0, 0.5, 0.95])
    np.testing.assert_allclose(bivariate_normal_cdf(0, 0, r), 0.25 + np.arcsin(r) / (2 * np.pi))
    # Independence, perfect correlation, and margins.
    assert bivariate_normal_cdf(0.3, -0.7, 0.0) == pytest.approx(norm.cdf(0.3) * norm.cdf(-0.7))
    assert bivariate_normal_cdf(0.5, 0.2, 1.0) == pytest.approx(norm.cdf(0.2))
    assert bivariate_normal_cdf(0.5, 0.2, -1.0) == pytest.approx(norm.cdf(0.5) + norm.cdf(0.2) - 1)
    out = bivariate_normal_cdf([np.inf, -np.inf, 1.0, np.inf], [0.0, 1.0, np.inf, np.inf], 0.3)
    np.testing.assert_allclose(out, [0.5, 0.0, norm.cdf(1.0), 1.0])
    with pytest.raises(ValueError, match="rho"):
        bivariate_normal_cdf(0, 0, 1.5)


# --- golden values from psych ------------------------------------------------------------
def test_bfi_pairwise_matches_psych_full_matrix_and_thresholds(bfi_result):
    assert list(bfi_result.corr.index) == BFI_ITEMS
    diff = np.abs(bfi_result.corr.to_numpy() - ref_matrix("bfi"))
    assert diff.max() < PSYCH_TOL  # observed 2.0e-5
    diff_ml = np.abs(bfi_result.corr.to_numpy() - ref_matrix("bfi", "rho_ml"))
    assert diff_ml.max() < ML_TOL  # observed 3e-8
    np.testing.assert_allclose(
        bfi_result.thresholds.to_numpy(), ref_matrix("bfi", "tau"), atol=1e-12
    )
    assert bfi_result.corr.loc["A1", "A2"] == pytest.approx(-0.4085, abs=5e-5)
    assert bfi_result.corr.loc["A2", "A3"] == pytest.approx(0.5555, abs=5e-5)
    assert bfi_result.warnings == []
    assert not bfi_result.smoothed
    assert bfi_result.n_obs == 2800
    assert bfi_result.n_pairs.loc["A1", "A1"] == 2784  # A1 has 16 missing answers
    assert bfi_result.n_pairs.loc["A2", "A3"] == 2751


def test_bfi_listwise_gives_the_published_values(bfi):
    # -0.4211 and 0.5730 are psych's values on the 2436 complete cases.
    res = polychoric_matrix(bfi, missing="listwise")
    assert res.n_obs == 2436
    assert res.corr.loc["A1", "A2"] == pytest.approx(-0.4211, abs=5e-5)
    assert res.corr.loc["A2", "A3"] == pytest.approx(0.5730, abs=5e-5)
    assert np.abs(res.corr.to_numpy() - ref_matrix("bfi_listwise")).max() < PSYCH_TOL
    assert (res.n_pairs.to_numpy() == 2436).all()


@pytest.mark.parametrize(
    ("case", "options"),
    [
        ("small", {}),
        ("small_local", {"thresholds": "pairwise", "correct": 0.5}),
        ("small_local_0", {"thresholds": "pairwise", "correct": 0.0}),
    ],
)
def test_small_table_with_empty_cells_matches_psych(case, options):
    res = polychoric_matrix(ref_data("small"), **options)
    assert np.abs(res.corr.to_numpy() - ref_matrix(case)).max() < PSYCH_TOL
    assert np.abs(res.corr.to_numpy() - ref_matrix(case, "rho_ml")).max() < ML_TOL
    np.testing.assert_allclose(res.thresholds.to_numpy(), ref_matrix(case, "tau"), atol=1e-12)


def test_continuity_correction_changes_pairwise_estimates_and_is_reported():
    data = ref_data("small")
    corrected = polychoric_matrix(data, thresholds="pairwise", correct=0.5)
    uncorrected = polychoric_matrix(data, thresholds="pairwise", correct=0.0)
    assert np.abs(corrected.corr.to_numpy() - uncorrected.corr.to_numpy()).max() > 1e-3
    assert any("6 item pair table(s) had empty cells" in w for w in corrected.warnings)
    assert uncorrected.warnings == []
    # psych: with global thresholds the correction is not used at all.
    a = polychoric_matrix(data, correct=0.5).corr
    b = polychoric_matrix(data, correct=0.0).corr
    pd.testing.assert_frame_equal(a, b)


def test_unequal_numbers_of_categories_switch_to_pairwise_thresholds_like_psych():
    res = polychoric_matrix(ref_data("unequal"))
    assert res.threshold_method == "pairwise"
    assert any("same highest category" in w for w in res.warnings)
    assert np.abs(res.corr.to_numpy() - ref_matrix("unequal")).max() < PSYCH_TOL
    # item q4 never uses category 5: its last threshold is +inf
    assert res.thresholds.loc["q4", "4|5"] == np.inf


def test_non_positive_definite_matrix_is_smoothed_like_cor_smooth_and_reported():
    res = polychoric_matrix(ref_data("nonpd"))
    assert res.smoothed
    assert any("not positive definite" in w and "-0.11" in w for w in res.warnings)
    assert np.linalg.eigvalsh(res.corr.to_numpy()).min() > 0
    raw, psych_raw = res.corr_unsmoothed.to_numpy(), ref_matrix("nonpd", "rho_unsmoothed")
    # v2-v4 is perfectly ordered: the likelihood rises to rho = 1 (psych stops at 0.997).
    boundary = np.zeros_like(raw, dtype=bool)
    boundary[1, 3] = boundary[3, 1] = True
    assert np.abs(raw - psych_raw)[~boundary].max() < PSYCH_TOL
    assert psych_raw[1, 3] == pytest.approx(0.997, abs=1e-3)
    assert raw[1, 3] > 0.999
    assert any("|rho| > 0.999 for pair(s) v2-v4" in w for w in res.warnings)
    # Our smoothing of psych's raw matrix reproduces psych's smoothed matrix.
    from workbench.measurement.polychoric import _smooth

    smoothed, smallest, done = _smooth(psych_raw)
    assert done
    assert smallest == pytest.approx(REF["nonpd"]["min_eigenvalue_unsmoothed"], abs=1e-12)
    np.testing.assert_allclose(smoothed, ref_matrix("nonpd"), atol=1e-12)
    # Turning smoothing off keeps the raw estimates.
    off = polychoric_matrix(ref_data("nonpd"), smooth=False)
    assert not off.smoothed
    assert not any("not positive definite" in w for w in off.warnings)
    np.testing.assert_allclose(off.corr.to_numpy(), raw)


# --- invariants -------------------------------------------------------------------------
def test_matrix_is_symmetric_with_unit_diagonal_and_independent_of_item_order(bfi, bfi_result):
    r = bfi_result.corr.to_numpy()
    np.testing.assert_array_equal(r, r.T)
    np.testing.assert_array_equal(np.diag(r), 1.0)
    order = BFI_ITEMS[::-1]
    shuffled = polychoric_matrix(bfi[order]).corr
    np.testing.assert_allclose(shuffled.loc[BFI_ITEMS, BFI_ITEMS], bfi_result.corr, atol=1e-9)


def test_recovers_known_rho_from_discretized_bivariate_normal():
    rng = np.random.default_rng(7)  # seed 7
    cov = [[1.0, 0.6], [0.6, 1.0]]
    z = rng.multivariate_normal([0, 0], cov, size=20_000)
    x = np.digitize(z[:, 0], [-1.5, -0.5, 0.3, 1.2]) + 1
    y = np.digitize(z[:, 1], [-1.0, 0.0, 1.0]) + 1
    res = polychoric(pd.Series(x, name="x"), pd.Series(y, name="y"))
    assert res.rho == pytest.approx(0.6, abs=0.02)
    np.testing.assert_allclose(res.thresholds_x, [-1.5, -0.5, 0.3, 1.2], atol=0.04)
    # Reverse-coding one item flips the sign and nothing else.
    flipped = polychoric(pd.Series(6 - x, name="x"), pd.Series(y, name="y"))
    assert flipped.rho == pytest.approx(-res.rho, abs=1e-8)


def test_pair_function_matches_the_matrix_entry(bfi, bfi_result):
    res = polychoric(bfi["A2"], bfi["A3"])
    assert res.rho == pytest.approx(bfi_result.corr.loc["A2", "A3"], abs=1e-12)
    assert res.n == 2751
    assert int(res.table.to_numpy().sum()) == 2751
    pd.testing.assert_series_equal(
        res.thresholds_x, bfi_result.thresholds.loc["A2"], check_names=False
    )
    frame = res.to_frame()
    assert list(frame.columns) == ["estimate"]
    assert frame.index[0] == "rho"
    assert frame.index[1] == "A2: 1|2"
    assert len(frame) == 11


# --- edge cases -------------------------------------------------------------------------
def test_correction_overflowing_the_margins_is_renormalized_with_a_warning():
    # 8 answers in a 5 x 5 table with 17 empty cells: the 0.5 corrections push psych's
    # cumulative margin past 1, and psych::polychoric(global = FALSE) stops with an error.
    x = [1, 2, 3, 4, 5, 1, 2, 4]
    y = [1, 2, 3, 4, 5, 2, 1, 5]
    res = polychoric(x, y, thresholds="pairwise")
    assert 0.0 < res.rho < 1.0
    assert any("x-y" in w and "renormalized" in w for w in res.warnings)
    assert res.thresholds_x.is_monotonic_increasing


def test_pair_without_common_respondents_is_nan_and_not_smoothed():
    data = pd.DataFrame(
        {
            "a": [1, 2, 3, 1, 2, 3, np.nan, np.nan, np.nan, np.nan],
            "b": [np.nan] * 6 + [1, 2, 3, 2],
            "c": [1, 2, 3, 2, 2, 3, 1, 2, 3, 3],
        }
    )
    res = polychoric_matrix(data)
    assert np.isnan(res.corr.loc["a", "b"])
    assert res.n_pairs.loc["a", "b"] == 0
    assert np.isfinite(res.corr.loc["a", "c"])
    assert any("No correlation could be estimated for pair(s) a-b" in w for w in res.warnings)
    assert not res.smoothed


def test_result_exports_and_summary_carry_the_warnings():
    res = polychoric_matrix(ref_data("nonpd"))
    pd.testing.assert_frame_equal(res.to_frame(), res.corr)
    d = res.to_dict()
    json.dumps(d)  # plain JSON types only
    assert d["smoothed"] is True
    assert d["corr"]["v1"]["v1"] == 1.0
    assert d["warnings"] == res.warnings
    text = res.summary()
    assert text.startswith("Polychoric correlations (6 items, n = 25")
    assert "not positive definite" in text
    assert "wb-warnings" in res._repr_html_()


# --- input errors ----------------------------------------------------------------------
def test_non_integer_codes_raise_input_error_naming_column_and_row():
    data = pd.DataFrame({"a": [1, 2, 3, 2], "b": [1, 2.5, 3, 1]})
    with pytest.raises(InputError, match="non-integer") as info:
        polychoric_matrix(data)
    assert info.value.column == "b"
    assert info.value.row == 2
    assert info.value.value == 2.5
    assert "Pearson" in info.value.hint


def test_text_answers_raise_input_error_asking_for_integer_codes():
    data = pd.DataFrame({"a": [1, 2, 3], "b": ["agree", "disagree", "agree"]})
    with pytest.raises(InputError, match="integers") as info:
        polychoric_matrix(data)
    assert info.value.column == "b"
    assert info.value.value == "agree"


def test_too_many_categories_raise_input_error_with_what_to_do():
    data = pd.DataFrame({"a": [1, 2, 3, 99], "b": [1, 2, 3, 4]})
    with pytest.raises(InputError, match="at most 10") as info:
        polychoric_matrix(data)
    assert info.value.column == "a"
    assert "missing codes" in info.value.hint
    # the limit can be raised on purpose
    wide = pd.DataFrame({"a": np.arange(12) % 12 + 1, "b": (np.arange(12) * 5) % 12 + 1})
    assert polychoric_matrix(wide, max_categories=12).corr.shape == (2, 2)


def test_constant_item_and_single_column_raise_input_error():
    with pytest.raises(InputError, match="only one answer category") as info:
        polychoric_matrix(pd.DataFrame({"a": [1, 2, 3], "b": [2, 2, 2]}))
    assert info.value.column == "b"
    with pytest.raises(InputError, match="at least two item columns"):
        polychoric_matrix(pd.DataFrame({"a": [1, 2, 3]}))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"missing": "complete"}, r"missing must be one of \['pairwise', 'listwise'\]"),
        ({"thresholds": "local"}, r"thresholds must be one of \['global', 'pairwise'\]"),
        ({"correct": -0.5}, "correct must be a number >= 0"),
        ({"max_categories": 1}, "max_categories must be an integer >= 2"),
    ],
)
def test_bad_options_raise_value_error_naming_valid_values(options, message):
    data = pd.DataFrame({"a": [1, 2, 3, 2], "b": [1, 3, 3, 1]})
    with pytest.raises(ValueError, match=message):
        polychoric_matrix(data, **options)
