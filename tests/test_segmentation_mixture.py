"""Gaussian mixtures (latent profiles) against R mclust 6.0: all 14 covariance models.

Reference values: tests/reference/r_mclust.R (R 4.2, mclust 6.0.0) on R's ``faithful`` (272 x 2),
``iris[, 1:4]`` (150 x 4) and a standardised simulated 3-component 4-D mixture (600 x 4), for
G = 1..4 and every model: the hierarchical start (``hc(X, "VVV", use = "SVD")`` cut by
``hclass``), ``me()`` from it (log-likelihood, iterations, estimates), ``nMclustParams`` and
``mclustBIC``; and the same fits with ``emControl(tol = c(1e-11, 1e-13))``.

Our agglomeration reproduces mclust's partitions exactly (including its tie-breaking among
duplicated rows, which faithful has), so EM starts from the same partition, runs the same
M-steps and stops at the same iteration: log-likelihoods agree to 1e-9 relative (observed:
5e-15), estimates to 1e-8 (observed: 2e-12).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.segmentation import (
    MODELS,
    adjusted_rand_index,
    fit_gaussian_mixture,
    hierarchical_partitions,
    mixture_criteria,
    number_of_parameters,
)
from workbench.segmentation.mixture import _Control, _fit
from workbench.segmentation.selection import _hc_starts

REFERENCE = Path(__file__).parent / "reference"
DATASETS = ("faithful", "iris", "sim4d")


@pytest.fixture(scope="module")
def mclust() -> dict:
    return json.loads((REFERENCE / "r_mclust.json").read_text(encoding="utf-8"))


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / f"r_mclust_{name}.csv")


def fit_from_hc(x: np.ndarray, columns, k: int, model: str, hc: dict, ctrl=None):
    """Our EM from the hierarchical start alone (no restarts), as mclust's me() runs it."""
    return _fit(
        x, columns, [], k, model, restarts=0, seed=1, init="hc", ctrl=ctrl or _Control(),
        hc_labels=hc.get(k),
    )  # fmt: skip


@pytest.fixture(scope="module")
def ours(mclust) -> dict:
    """Every (data set, G, model) fit from the hierarchical start, default and tight tol."""
    out = {}
    for name in DATASETS:
        frame = load(name)
        x = frame.to_numpy(dtype=float)
        hc = _hc_starts(x, [2, 3, 4], np.random.default_rng(0))
        for ref in mclust[name]["fits"]:
            k, model = ref["G"], ref["model"]
            out[(name, k, model)] = fit_from_hc(x, list(frame.columns), k, model, hc)
            out[(name, k, model, "tight")] = fit_from_hc(
                x, list(frame.columns), k, model, hc, _Control(1e-11, 10**6, 1e-13, 10**6)
            )
    return out


def cases(mclust_json: dict) -> list[tuple[str, int, str]]:
    return [(n, f["G"], f["model"]) for n in DATASETS for f in mclust_json[n]["fits"]]


_REF = json.loads((REFERENCE / "r_mclust.json").read_text(encoding="utf-8"))


def reference_fit(mclust: dict, name: str, k: int, model: str) -> dict:
    return next(f for f in mclust[name]["fits"] if f["G"] == k and f["model"] == model)


@pytest.mark.parametrize("name", DATASETS)
def test_the_hierarchical_start_reproduces_mclust_hclass_partitions(mclust, name):
    x = load(name).to_numpy(dtype=float)
    parts = hierarchical_partitions(x, range(2, 10))
    for k, ref in zip(range(2, 10), mclust[name]["hc_partitions"], strict=True):
        np.testing.assert_array_equal(parts[k] + 1, ref, err_msg=f"{name}, G = {k}")


def test_every_model_and_k_was_fitted_by_mclust_so_every_comparison_counts():
    assert _REF["models"] == list(MODELS)
    for name in DATASETS:
        fits = _REF[name]["fits"]
        assert len(fits) == 4 * 14
        assert all(f["loglik"] is not None and f["return_code"] == 0 for f in fits)


@pytest.mark.parametrize(("name", "k", "model"), cases(_REF))
def test_loglik_bic_and_parameter_count_equal_mclust_from_the_same_start(
    mclust, ours, name, k, model
):
    ref = reference_fit(mclust, name, k, model)
    fit = ours[(name, k, model)]
    assert fit.fitted, fit.warnings
    assert fit.npar == ref["npar"] == number_of_parameters(model, mclust[name]["d"], k)
    assert fit.loglik == pytest.approx(ref["loglik"], rel=1e-9)
    assert fit.bic_mclust == pytest.approx(ref["bic"], rel=1e-9)
    assert fit.bic == pytest.approx(-ref["bic"], rel=1e-9)
    if k > 1:  # the same trajectory: EM stops at mclust's iteration
        assert fit.iterations == ref["iterations"]


@pytest.mark.parametrize(("name", "k", "model"), cases(_REF))
def test_converged_loglik_equals_mclust_at_a_tight_tolerance(mclust, ours, name, k, model):
    ref = reference_fit(mclust, name, k, model)
    assert ours[(name, k, model, "tight")].loglik == pytest.approx(ref["loglik_tight"], rel=1e-9)


@pytest.mark.parametrize(("name", "k", "model"), cases(_REF))
def test_estimates_equal_mclust(mclust, ours, name, k, model):
    est = reference_fit(mclust, name, k, model)["estimates"]
    fit = ours[(name, k, model)]
    # same start, same component order (classes numbered by first appearance, as partconv)
    np.testing.assert_allclose(fit.shares.to_numpy(), est["pro"], rtol=0, atol=1e-8)
    np.testing.assert_allclose(fit.means.to_numpy(), est["mean"], rtol=1e-8, atol=1e-8)
    np.testing.assert_allclose(fit.covariances, np.array(est["sigma"]), rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("name", DATASETS)
def test_mclust_best_model_is_reproduced_with_its_classification(mclust, ours, name):
    best = mclust[name]["best"]
    fit = ours[(name, best["G"], best["model"])]
    assert fit.loglik == pytest.approx(best["loglik"], rel=1e-9)
    assert fit.npar == best["df"]
    assert fit.bic_mclust == pytest.approx(best["bic"], rel=1e-9)
    assert fit.icl_mclust == pytest.approx(best["icl"], rel=1e-9)
    assert adjusted_rand_index(fit.classification, best["classification"]) == 1.0
    np.testing.assert_array_equal(fit.classification, best["classification"])
    np.testing.assert_allclose(fit.uncertainty, best["uncertainty"], atol=1e-8)


def test_criteria_follow_their_formulas_and_posteriors_are_probabilities(ours):
    fit = ours[("iris", 3, "VEV")]
    n = 150
    assert fit.sabic == pytest.approx(-2 * fit.loglik + fit.npar * math.log((n + 2) / 24))
    z = fit.posterior.to_numpy()
    np.testing.assert_allclose(z.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_array_equal(fit.classification, z.argmax(axis=1) + 1)
    np.testing.assert_allclose(fit.uncertainty, 1 - z.max(axis=1))
    entropy = 1 + np.sum(z * np.log(np.clip(z, 1e-300, None))) / (n * math.log(3))
    assert fit.entropy == pytest.approx(entropy, abs=1e-12)
    assert fit.icl == pytest.approx(fit.bic - 2 * np.sum(np.log(z.max(axis=1))))
    assert mixture_criteria(fit.loglik, fit.npar, n, None)["entropy"] != fit.entropy
    assert math.isnan(ours[("iris", 1, "VVV")].entropy)


def test_one_component_models_of_a_family_share_one_fit(ours):
    for family in (("EII", "VII"), ("EEI", "VEI", "EVI", "VVI"), ("EEE", "VEE", "VVV", "EVV")):
        lls = {ours[("sim4d", 1, m)].loglik for m in family}
        assert max(lls) - min(lls) < 1e-9


def test_restarts_never_lose_to_the_hierarchical_start_and_say_when_they_win():
    x = load("faithful")
    found = None
    for seed in range(6):
        fit = fit_gaussian_mixture(x, 4, "VVV", restarts=8, seed=seed)
        assert fit.loglik >= fit.loglik_hc - 1e-9
        if fit.restart_beat_hc:
            found = fit
            break
    assert found is not None, "no restart beat mclust's start on faithful VVV, k = 4"
    assert found.start.startswith("random restart")
    assert found.loglik > found.loglik_hc
    assert any("random restart" in w and "higher log-likelihood" in w for w in found.warnings)


def test_a_seed_makes_the_restarts_reproducible():
    x = load("iris")
    a = fit_gaussian_mixture(x, 3, "VVI", restarts=4, seed=11)
    b = fit_gaussian_mixture(x, 3, "VVI", restarts=4, seed=11)
    np.testing.assert_allclose(a.restart_logliks, b.restart_logliks, rtol=1e-12)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12) and a.seed == 11


def test_random_starts_only_reach_mclust_optimum_on_separated_data():
    x = load("iris")
    fit = fit_gaussian_mixture(x, 2, "VEV", init="random", restarts=10, seed=3)
    assert fit.start.startswith("random restart")
    assert fit.loglik == pytest.approx(_REF["iris"]["best"]["loglik"], rel=1e-6)


def test_degenerate_starts_warn_instead_of_crashing():
    rng = np.random.default_rng(5)
    # 2 duplicated members form a class whose covariance is singular
    x = np.vstack([rng.normal(size=(40, 2)), np.repeat([[8.0, 8.0]], 2, axis=0)])
    fit = fit_gaussian_mixture(x, 2, "VVV", restarts=0, seed=1)
    assert not fit.fitted
    assert math.isnan(fit.loglik)
    assert any("singular covariance" in w for w in fit.warnings)
    # an equal-covariance model keeps the duplicated class without a singular matrix
    ok = fit_gaussian_mixture(x, 2, "EEE", restarts=0, seed=1)
    assert ok.fitted and sorted(ok.sizes.tolist()) == [2, 40]
    assert any("close to collapsing" in w for w in ok.warnings)


def test_more_than_2000_members_start_from_a_seeded_subset_as_mclust():
    rng = np.random.default_rng(8)
    x = np.vstack([rng.normal(0, 1, (1300, 2)), rng.normal(5, 1, (1200, 2))])
    fit = fit_gaussian_mixture(x, 2, "EEE", restarts=0, seed=4)
    assert any("subset of 2000" in w for w in fit.warnings)
    assert sorted(fit.sizes.tolist()) == [1200, 1300]


def test_one_variable_starts_from_quantile_classes():
    rng = np.random.default_rng(9)
    x = pd.DataFrame({"spend": np.concatenate([rng.normal(0, 1, 150), rng.normal(6, 1, 100)])})
    e = fit_gaussian_mixture(x, 2, "EII", restarts=0)
    v = fit_gaussian_mixture(x, 2, "VII", restarts=0)
    assert e.fitted and v.fitted and v.loglik >= e.loglik - 1e-9
    assert e.means["spend"].round(0).tolist() in ([0.0, 6.0], [6.0, 0.0])


def test_dataframe_and_array_inputs_give_the_same_fit_with_labels():
    frame = load("iris")
    a = fit_gaussian_mixture(frame, 2, "VEV", restarts=0)
    b = fit_gaussian_mixture(frame.to_numpy(), 2, "VEV", restarts=0)
    assert a.loglik == pytest.approx(b.loglik, rel=1e-12)
    assert list(a.means.columns) == list(frame.columns)
    assert list(b.means.columns) == ["x1", "x2", "x3", "x4"]
    assert a.covariance(1).shape == (4, 4) and list(a.to_frame().columns[:2]) == ["share", "size"]
    d = a.to_dict()
    assert d["segments"]["1"]["means"]["sepal_length"] == pytest.approx(a.means.iloc[0, 0])
    assert "lower is better" in a.summary()


@pytest.mark.parametrize(
    ("frame", "column", "row", "words"),
    [
        (pd.DataFrame({"a": [1.0, 2, 3, 4], "tier": ["gold", "silver", "gold", "x"]}), "tier", 1,
         "categorical"),
        (pd.DataFrame({"a": [1.0, 2, np.nan, 4], "b": [1.0, 2, 3, 5]}), "a", 3, "missing"),
        (pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 2, 2, 2]}), "b", None, "same value"),
    ],
)  # fmt: skip
def test_bad_variables_raise_input_errors_naming_the_column(frame, column, row, words):
    with pytest.raises(InputError) as err:
        fit_gaussian_mixture(frame, 2, "EII")
    assert err.value.column == column and err.value.row == row
    assert words in str(err.value) and err.value.hint


def test_bad_arguments_name_the_valid_values():
    x = load("faithful")
    with pytest.raises(ValueError, match="model must be one of"):
        fit_gaussian_mixture(x, 2, "XYZ")
    with pytest.raises(ValueError, match="k must be"):
        fit_gaussian_mixture(x, 0)
    with pytest.raises(InputError, match="at least 300 members"):
        fit_gaussian_mixture(x, 300, "EII")
