"""Latent class analysis (StepMix) against R e1071::lca, closed forms and planted truths.

Reference values: tests/reference/r_lca.R (R 4.2.2, e1071 1.7-13) on psych's ``lsat6`` and
``lsat7`` (Bock & Lieberman 1970, LSAT sections 6 and 7, 1000 x 5 binary items), best of 50
random starts. Both programs stop EM on a small change of the log-likelihood, and the
two-class LSAT likelihoods are flat (the items barely need a second class), so the
log-likelihoods agree far more closely (observed 7e-6) than the estimates (observed 6e-4):
tolerances 1e-4 on the log-likelihood, 2e-4 on BIC, 2e-3 on probabilities.

Not compared: lsat7 with three classes, where e1071's best start reaches a boundary solution
with a 2 % class (log-likelihood -2652.156) that StepMix's random-responsibility starts did
not find (-2652.169); BIC prefers two classes and the rule refuses a class under 5 % anyway.
poLCA's published carcinoma log-likelihoods (Linzer & Lewis 2011: -317.2568 for 2 classes,
-293.705 for 3) could not be checked: the data table was not at hand.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.segmentation import adjusted_rand_index, latent_class_analysis
from workbench.segmentation.lca import lca_number_of_parameters

REFERENCE = Path(__file__).parent / "reference"
R_LCA = json.loads((REFERENCE / "r_lca.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["lsat6", "lsat7"])
def test_two_class_model_matches_r_e1071(name):
    data = pd.read_csv(REFERENCE / f"r_lca_{name}.csv")
    ref = R_LCA[name]["2"]
    res = latent_class_analysis(data, list(data.columns), k_range=[2], n_init=3, seed=1)
    row = res.table.loc[2]
    assert row["npar"] == ref["npar"] == lca_number_of_parameters(2, [2] * 5)
    assert row["loglik"] == pytest.approx(ref["loglik"], abs=1e-4)
    assert row["bic"] == pytest.approx(ref["bic"], abs=2e-4)
    # classes numbered by size, as R's sorted by class probability here
    np.testing.assert_allclose(res.class_shares.to_numpy(), ref["classprob"], atol=2e-3)
    p_yes = res.response_probabilities.xs(1, level="category").to_numpy().T
    np.testing.assert_allclose(p_yes, np.array(ref["itemprob"]), atol=2e-3)
    assert row["starts_at_best"] == 3 and res.warnings == []


def test_one_class_likelihood_is_the_product_of_the_item_margins():
    rng = np.random.default_rng(4)
    data = pd.DataFrame(
        {
            "a": rng.integers(1, 6, 400),
            "b": rng.choice(["no", "maybe", "yes"], 400),
            "c": rng.integers(0, 2, 400),
        }
    )
    res = latent_class_analysis(data, ["a", "b", "c"], k_range=[1], n_init=1)
    expected = sum(
        float((counts * np.log(counts / 400)).sum())
        for counts in (data[c].value_counts().to_numpy() for c in "abc")
    )
    assert res.table.loc[1, "loglik"] == pytest.approx(expected, rel=1e-10)
    assert res.table.loc[1, "npar"] == 4 + 2 + 1
    assert res.categories["b"] == ("maybe", "no", "yes")
    np.testing.assert_allclose(
        res.response_probabilities.loc["a"][1].to_numpy(),
        data["a"].value_counts(normalize=True).sort_index().to_numpy(),
        rtol=1e-10,
    )


def _planted(n=900, seed=7):
    """Three well-separated classes on 8 five-point items; membership depends on x
    (log-odds against class 0: class 1 = 0.3 + 1.0 x, class 2 = -0.2 - 0.8 x); a distal
    outcome with class means 10, 12, 15."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    eta = np.column_stack([np.zeros(n), 0.3 + 1.0 * x, -0.2 - 0.8 * x])
    p = np.exp(eta) / np.exp(eta).sum(axis=1, keepdims=True)
    truth = (p.cumsum(axis=1) < rng.random((n, 1))).sum(axis=1)
    centres = np.array(
        [[5, 5, 5, 5, 5, 5, 5, 5], [1, 1, 1, 1, 2, 2, 2, 2], [4, 4, 4, 4, 1, 1, 1, 1]]
    )
    probs = np.full((3, 8, 5), 0.04)
    for c in range(3):
        probs[c, np.arange(8), centres[c] - 1] = 0.84
    u = rng.random((n, 8, 1))
    items = (probs[truth].cumsum(axis=2) < u).sum(axis=2) + 1
    frame = pd.DataFrame(items, columns=[f"q{j}" for j in range(1, 9)])
    frame["x"] = x
    frame["spend"] = np.array([10.0, 12.0, 15.0])[truth] + rng.normal(0, 2, n)
    return frame, truth


@pytest.fixture(scope="module")
def planted():
    frame, truth = _planted()
    res = latent_class_analysis(
        frame,
        [f"q{j}" for j in range(1, 9)],
        k_range=range(1, 5),
        covariates=["x"],
        distal=["spend"],
        n_init=3,
        n_boot=40,
        seed=11,
    )
    return frame, truth, res


def _match(res, truth):
    """found class (1..k) -> true class (0..2), by the largest overlap."""
    return {c: int(np.bincount(truth[res.classification == c]).argmax()) for c in (1, 2, 3)}


def test_planted_classes_are_recovered_by_the_bic_rule(planted):
    frame, truth, res = planted
    assert res.k == 3 and res.chosen_by == "lowest BIC with no class under 5% of the members"
    assert adjusted_rand_index(res.classification, truth) > 0.8
    t = res.table
    assert t["bic"].idxmin() == 3
    n = len(frame)
    np.testing.assert_allclose(t["bic"], -2 * t["loglik"] + t["npar"] * math.log(n))
    np.testing.assert_allclose(t["aic"], -2 * t["loglik"] + 2 * t["npar"])
    np.testing.assert_allclose(t["sabic"], -2 * t["loglik"] + t["npar"] * math.log((n + 2) / 24))
    post = res.posterior.to_numpy()
    z = np.clip(post, 1e-300, None)
    entropy = 1 + (post * np.log(z)).sum() / (n * math.log(3))
    assert t.loc[3, "entropy"] == pytest.approx(entropy, rel=1e-10) and entropy > 0.8
    icl = t.loc[3, "bic"] - 2 * np.log(post.max(axis=1)).sum()
    assert t.loc[3, "icl"] == pytest.approx(icl, rel=1e-10)
    np.testing.assert_allclose(res.uncertainty, 1 - post.max(axis=1))
    sizes = res.class_sizes()["size"].to_numpy()
    assert list(sizes) == sorted(sizes, reverse=True)
    # every item's response probabilities sum to 1 in every class
    sums = res.response_probabilities.groupby(level="indicator").sum().to_numpy()
    np.testing.assert_allclose(sums, 1.0, atol=1e-10)


@pytest.mark.parametrize("correction", ["BCH", "ML"])
def test_three_step_covariate_effect_is_recovered_within_its_interval(planted, correction):
    frame, truth, res = planted
    if correction == "ML":
        res = latent_class_analysis(
            frame,
            [f"q{j}" for j in range(1, 9)],
            k_range=[3],
            covariates=["x"],
            correction="ML",
            n_init=3,
            n_boot=40,
            seed=11,
        )
    match = _match(res, truth)
    slope = {0: 0.0, 1: 1.0, 2: -0.8}
    intercept = {0: 0.0, 1: 0.3, 2: -0.2}
    ref = match[1]
    eff = res.covariate_effects
    for c in (2, 3):
        for term, truth_of in (("x", slope), ("intercept", intercept)):
            row = eff.loc[(c, term)]
            true = truth_of[match[c]] - truth_of[ref]
            assert row["ci_low"] <= true <= row["ci_high"], (c, term, row.to_dict(), true)
            assert 0 < row["se"] < 0.5
    assert eff.loc[(2, "x"), "p"] < 0.001


def test_three_step_distal_means_are_recovered(planted):
    _, truth, res = planted
    match = _match(res, truth)
    means = {0: 10.0, 1: 12.0, 2: 15.0}
    for c in (1, 2, 3):
        row = res.distal_means.loc[("spend", c)]
        assert row["ci_low"] - 0.1 <= means[match[c]] <= row["ci_high"] + 0.1
        assert row["se"] < 0.3
    d = res.to_dict()
    assert d["k"] == 3 and len(d["covariates"]) == 4 and len(d["distal"]) == 3
    json.dumps(d, allow_nan=False)


def test_disagreeing_starts_and_boundary_estimates_are_reported():
    # a class that always answers "yes" to every item: probabilities exactly 1
    rng = np.random.default_rng(2)
    a = (rng.random((150, 4)) < 0.3).astype(int)
    b = np.ones((60, 4), dtype=int)
    data = pd.DataFrame(np.vstack([a, b]), columns=list("abcd"))
    res = latent_class_analysis(data, list("abcd"), k_range=[2], n_init=4, seed=3)
    assert res.table.loc[2, "boundary"] > 0
    assert any("on the boundary" in w for w in res.warnings)
    starts = res.start_logliks[2]
    assert starts.size == 4 and res.table.loc[2, "loglik"] == pytest.approx(starts.max())


def test_bad_indicators_are_refused_naming_the_column():
    frame = pd.DataFrame({"a": [1, 2, 1, 2] * 5, "one": [3] * 20, "many": range(20)})
    with pytest.raises(InputError) as err:
        latent_class_analysis(frame, ["a", "one"], k_range=[1])
    assert err.value.column == "one"
    with pytest.raises(InputError) as err:
        latent_class_analysis(frame, ["a", "many"], k_range=[1])
    assert err.value.column == "many" and "20 distinct values" in str(err.value)
    frame.loc[3, "a"] = np.nan
    with pytest.raises(InputError) as err:
        latent_class_analysis(frame, ["a"], k_range=[1])
    assert err.value.column == "a" and err.value.row == 4
    with pytest.raises(ValueError, match="correction"):
        latent_class_analysis(frame, ["a"], correction="naive")  # type: ignore[arg-type]
    with pytest.raises(InputError) as err:
        latent_class_analysis(frame.fillna(1), ["a"], k_range=[1], distal=["nope"])
    assert err.value.column == "nope"


@pytest.mark.parametrize("correction", ["BCH", "ML"])
def test_three_step_correction_undoes_the_attenuation_of_the_naive_estimate(correction):
    """Two overlapping classes (entropy about 0.67): regressing the modal classes on x
    attenuates the slope; BCH and ML move it back to the logit on the true classes (the
    one-step target), which stays inside the bootstrap interval."""
    sm = pytest.importorskip("statsmodels.api")
    rng = np.random.default_rng(5)
    n = 1500
    x = rng.normal(size=n)
    truth = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + 1.0 * x)))).astype(int)
    items = (rng.random((n, 6)) < np.where(truth[:, None] == 1, 0.75, 0.25)).astype(int)
    data = pd.DataFrame(items, columns=list("abcdef")).assign(x=x)
    res = latent_class_analysis(
        data,
        list("abcdef"),
        k_range=[2],
        covariates=["x"],
        correction=correction,
        n_init=2,
        n_boot=30,
        seed=1,
    )
    assert 0.6 < res.table.loc[2, "entropy"] < 0.75
    # sign: the slope of the class that answers "yes" more often
    yes = int(res.response_probabilities.xs(1, level="category").mean().idxmax())
    sign = 1.0 if yes == 2 else -1.0
    row = res.covariate_effects.loc[(2, "x")]
    corrected = sign * row["estimate"]
    low, high = sorted((sign * row["ci_low"], sign * row["ci_high"]))
    oracle = sm.Logit(truth.astype(float), sm.add_constant(x)).fit(disp=0).params[1]
    naive = sm.Logit((res.classification == yes).astype(float), sm.add_constant(x))
    naive_slope = naive.fit(disp=0).params[1]
    assert naive_slope < corrected and abs(corrected - oracle) < abs(naive_slope - oracle)
    assert low <= oracle <= high
