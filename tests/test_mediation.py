"""Tests of workbench.drivers.mediation: golden values from R lm and invariants.

Reference numbers: tests/reference/r_mediation.json, written by
tests/reference/r_mediation.R (R 4.2.2, base lm/anova) from data/corp_rep.csv.
Bootstrap CIs cannot match R's random numbers; they are checked for seeded
reproducibility and against the normal-theory (Sobel) standard error instead.
The simulated survey (data/loyalty_survey.csv) checks recovery of the truth in
data/loyalty_survey.truth.json.
"""

from __future__ import annotations

import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from workbench.drivers.mediation import (
    IPAResult,
    MediationResult,
    ModerationResult,
    SegmentComparison,
    compare_segments,
    importance_performance,
    mediation,
    moderation,
)
from workbench.drivers.pooling import pool_moderation
from workbench.errors import InputError
from workbench.measurement.scales import score_scales

ROOT = Path(__file__).resolve().parents[1]
R = json.loads((ROOT / "tests" / "reference" / "r_mediation.json").read_text())
RTOL = 1e-4
STATS = ("estimate", "se", "t", "p", "ci_low", "ci_high")


def close(actual: float, expected: float, rtol: float = RTOL) -> bool:
    return math.isclose(actual, expected, rel_tol=rtol, abs_tol=1e-12)


@pytest.fixture(scope="module")
def corp() -> pd.DataFrame:
    """corp_rep constructs as in r_mediation.R (-99 -> NaN; means of complete items)."""
    raw = pd.read_csv(ROOT / "data" / "corp_rep.csv").replace(-99, np.nan)

    def mean(cols: list[str]) -> pd.Series:
        return raw[cols].mean(axis=1, skipna=False)

    return pd.DataFrame(
        {
            "competence": mean(["comp_1", "comp_2", "comp_3"]),
            "likeability": mean(["like_1", "like_2", "like_3"]),
            "satisfaction": raw["cusa"].astype(float),
            "loyalty": mean(["cusl_1", "cusl_2", "cusl_3"]),
            "provider": raw["serviceprovider"],
        }
    )


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    """The simulated survey scored per its codebook (99 missing, TR3 -> 8 - x)."""
    raw = pd.read_csv(ROOT / "data" / "loyalty_survey.csv")
    book = yaml.safe_load((ROOT / "data" / "loyalty_survey.codebook.yaml").read_text())
    return _score_survey(raw, book)


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((ROOT / "data" / "loyalty_survey.truth.json").read_text())


# --------------------------------------------------------------------------- mediation: golden


def _check_mediation(res: MediationResult, ref: dict) -> None:
    assert res.n == ref["n"]
    for key in ("c_prime", "c_total"):
        for stat in STATS:
            assert close(res.paths.loc[key, stat], ref[key][stat]), (key, stat)
    for m, per in ref["paths"].items():
        for path in ("a", "b"):
            for stat in STATS:
                got = res.paths.loc[f"{path}[{m}]", stat]
                assert close(got, per[path][stat]), (m, path, stat)
        row = res.indirect.loc[m]
        assert close(row["estimate"], per["indirect"])
        assert close(row["sobel_se"], per["sobel_se"])
        assert close(row["sobel_z"], per["sobel_z"])
        assert close(row["sobel_p"], per["sobel_p"])
        assert close(row["std_estimate"], per["std_indirect"])
    assert close(res.indirect.loc["total", "estimate"], ref["total_indirect"])


def test_mediation_single_matches_r(corp):
    res = mediation(corp, "competence", "loyalty", "satisfaction", bootstrap=200)
    _check_mediation(res, R["mediation_single"])
    assert res.n_dropped == len(corp) - R["mediation_single"]["n"]
    assert any("listwise" in w for w in res.warnings)


def test_mediation_parallel_matches_r(corp):
    res = mediation(corp, "competence", "loyalty", ["satisfaction", "likeability"], bootstrap=200)
    _check_mediation(res, R["mediation_parallel"])


def test_mediation_covariate_matches_r(corp):
    res = mediation(
        corp, "competence", "loyalty", "satisfaction", covariates=["likeability"], bootstrap=200
    )
    _check_mediation(res, R["mediation_covariate"])


def test_total_effect_decomposes(corp):
    """OLS identity: c = c' + sum_i a_i b_i (also with covariates)."""
    for covs in ((), ("likeability",)):
        res = mediation(corp, "competence", "loyalty", "satisfaction", covariates=covs, bootstrap=0)
        p = res.paths["estimate"]
        assert close(p["c_total"], p["c_prime"] + res.indirect.loc["total", "estimate"], 1e-9)


# --------------------------------------------------------------------------- mediation: bootstrap


def test_bootstrap_is_seeded(corp):
    a = mediation(corp, "competence", "loyalty", ["satisfaction", "likeability"], seed=11)
    b = mediation(corp, "competence", "loyalty", ["satisfaction", "likeability"], seed=11)
    c = mediation(corp, "competence", "loyalty", ["satisfaction", "likeability"], seed=12)
    np.testing.assert_array_equal(a.boot_indirect, b.boot_indirect)
    pd.testing.assert_frame_equal(a.indirect, b.indirect)
    assert not np.array_equal(a.boot_indirect, c.boot_indirect)
    assert a.seed == 11 and a.to_dict()["seed"] == 11


def test_bootstrap_agrees_with_normal_theory(corp):
    """Bootstrap SE near the Sobel SE; percentile CI near ab +- 1.96 SE (the draws are near normal here)."""
    res = mediation(corp, "competence", "loyalty", ["satisfaction", "likeability"], bootstrap=2000)
    for m in ("satisfaction", "likeability"):
        row = res.indirect.loc[m]
        assert 0.8 < row["boot_se"] / row["sobel_se"] < 1.35
        half = 1.96 * row["boot_se"]
        assert abs(row["ci_low"] - (row["estimate"] - half)) < 0.25 * half
        assert abs(row["ci_high"] - (row["estimate"] + half)) < 0.25 * half
        assert row["ci_low"] < row["estimate"] < row["ci_high"]
        # the bootstrap mean is close to the estimate (small bias)
        assert abs(res.boot_indirect[:, list(res.mediators).index(m)].mean() - row["estimate"]) < (
            0.2 * row["boot_se"]
        )
    # the total column is the sum of the per-mediator draws
    np.testing.assert_allclose(res.boot_indirect[:, -1], res.boot_indirect[:, :-1].sum(axis=1))
    assert res.n_boot_failed == 0


def test_bootstrap_matches_refitting_one_resample(corp):
    """The batched normal-equation solve equals statsmodels on the same resample."""
    import statsmodels.api as sm

    res = mediation(corp, "competence", "loyalty", "satisfaction", bootstrap=3, seed=5)
    frame = corp[["competence", "satisfaction", "loyalty"]].dropna()
    idx = np.random.default_rng(5).integers(0, len(frame), size=len(frame))  # first resample
    s = frame.iloc[idx]
    a = sm.OLS(s["satisfaction"], sm.add_constant(s[["competence"]])).fit().params["competence"]
    b = (
        sm.OLS(s["loyalty"], sm.add_constant(s[["competence", "satisfaction"]]))
        .fit()
        .params["satisfaction"]
    )
    assert close(res.boot_indirect[0, 0], a * b, 1e-8)


def test_bootstrap_on_many_rows_makes_no_resampled_copy_of_the_data():
    """Memory stays bounded by the count batches, not resamples x rows x columns."""
    import tracemalloc

    rng = np.random.default_rng(0)
    n = 100_000
    x = rng.normal(size=n)
    m1 = 0.4 * x + rng.normal(size=n)
    m2 = 0.3 * x + rng.normal(size=n)
    c = rng.normal(size=n)
    y = 0.3 * m1 + 0.2 * m2 + 0.1 * x + 0.1 * c + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "m1": m1, "m2": m2, "c": c, "y": y})
    tracemalloc.start()
    res = mediation(df, "x", "y", ["m1", "m2"], covariates=["c"], bootstrap=500)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert res.boot_indirect.shape == (500, 3)
    assert res.n_boot_failed == 0
    # resampled copies of the data would be 500 x 100,000 x 5 floats = 2 GB
    assert peak < 400 * 2**20, f"peak {peak / 2**20:.0f} MB"
    # and the interval is the bootstrap's: it covers the true indirect effect 0.4 * 0.3
    lo, hi = res.indirect.loc["m1", ["ci_low", "ci_high"]]
    assert lo < 0.12 < hi


def test_no_bootstrap_leaves_ci_nan(corp):
    res = mediation(corp, "competence", "loyalty", "satisfaction", bootstrap=0)
    assert np.isnan(res.indirect.loc["satisfaction", "ci_low"])
    assert any("bootstrap=0" in w for w in res.warnings)
    assert res.to_dict()["indirect_ci_low"] is None


# --------------------------------------------------------------------------- mediation: shapes


def test_mediation_to_dict_single(corp):
    res = mediation(corp, "competence", "loyalty", "satisfaction", bootstrap=100)
    d = res.to_dict()
    for key in (
        "mediator",
        "a",
        "b",
        "c_prime",
        "c_total",
        "indirect",
        "indirect_ci_low",
        "indirect_ci_high",
    ):
        assert key in d
    assert d["mediator"] == "satisfaction"
    ref = R["mediation_single"]
    assert close(d["a"], ref["paths"]["satisfaction"]["a"]["estimate"])
    assert close(d["b_se"], ref["paths"]["satisfaction"]["b"]["se"])
    json.dumps(d)
    frame = res.to_frame()
    assert list(frame.index) == [
        "a[satisfaction]",
        "b[satisfaction]",
        "c_prime",
        "c_total",
        "indirect[satisfaction]",
    ]
    assert "Warnings" in res.summary()
    assert "<table" in res._repr_html_()
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.n = 1


def test_mediation_to_dict_parallel(corp):
    res = mediation(corp, "competence", "loyalty", ["satisfaction", "likeability"], bootstrap=100)
    d = res.to_dict()
    assert d["mediator"] == ["satisfaction", "likeability"]
    assert "a" not in d
    assert set(d["by_mediator"]) == {"satisfaction", "likeability"}
    total = sum(v["indirect"] for v in d["by_mediator"].values())
    assert close(d["indirect"], total, 1e-12)
    assert close(d["indirect"], R["mediation_parallel"]["total_indirect"])
    assert "indirect[total]" in res.to_frame().index
    json.dumps(d)


def test_mediation_bad_options(corp):
    with pytest.raises(ValueError, match="bootstrap"):
        mediation(corp, "competence", "loyalty", "satisfaction", bootstrap=-1)
    with pytest.raises(ValueError, match="between 0 and 1"):
        mediation(corp, "competence", "loyalty", "satisfaction", ci=95)
    with pytest.raises(ValueError, match="seed"):
        mediation(corp, "competence", "loyalty", "satisfaction", seed="a")
    with pytest.raises(ValueError, match="at least one mediator"):
        mediation(corp, "competence", "loyalty", [])
    with pytest.raises(InputError, match="not in the data"):
        mediation(corp, "competence", "loyalty", "nope")
    with pytest.raises(InputError, match="more than one role"):
        mediation(corp, "competence", "loyalty", "competence")
    with pytest.raises(InputError, match="not numeric"):
        mediation(corp.assign(p=corp["provider"].astype(str)), "p", "loyalty", "satisfaction")
    with pytest.raises(TypeError):
        mediation(corp, "competence", "loyalty", "satisfaction", (), 10)  # keyword-only


# --------------------------------------------------------------------------- moderation: golden


def test_moderation_matches_r(corp):
    ref = R["moderation"]
    res = moderation(corp, "satisfaction", "loyalty", "likeability")
    assert isinstance(res, ModerationResult)
    assert res.n == ref["n"]
    for term, key in (("intercept", "intercept"), ("x", "x"), ("w", "w"), ("x:w", "x_w")):
        for stat in STATS:
            assert close(res.coefficients.loc[term, stat], ref["coefficients"][key][stat])
    assert close(res.r2, ref["r2"])
    for stat in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert close(res.interaction[stat], ref["coefficients"]["x_w"][stat])
    for label, row in ref["simple_slopes"].items():
        got = res.simple_slopes.loc[label]
        assert close(got["w"], row["w"])
        for stat in STATS:
            assert close(got[stat], row[stat]), (label, stat)
    assert len(res.jn_roots) == 2
    for got, exp in zip(res.jn_roots, ref["jn_roots"], strict=True):
        assert close(got, exp)
    # both roots lie above the observed range (1..7): significant throughout
    assert res.jn_bounds == ()
    assert res.jn_significant == "outside"
    assert res.jn_regions == ((ref["w_min"], ref["w_max"]),)
    assert any("outside the observed range" in w for w in res.warnings)


def test_moderation_centering_keeps_interaction_and_slopes(corp):
    a = moderation(corp, "satisfaction", "loyalty", "likeability", center=True)
    b = moderation(corp, "satisfaction", "loyalty", "likeability", center=False)
    assert close(a.interaction["estimate"], b.interaction["estimate"], 1e-9)
    pd.testing.assert_frame_equal(a.simple_slopes, b.simple_slopes, rtol=1e-8)
    np.testing.assert_allclose(a.jn_roots, b.jn_roots, rtol=1e-8)
    np.testing.assert_allclose(a.plot_data["predicted"], b.plot_data["predicted"], rtol=1e-8)


def test_moderation_to_dict(corp):
    d = moderation(corp, "satisfaction", "loyalty", "likeability").to_dict()
    assert d["moderator"] == "likeability"
    assert set(d["interaction"]) >= {"estimate", "se", "p", "ci_low", "ci_high"}
    assert list(d["simple_slopes"]) == ["-1 SD", "mean", "+1 SD"]
    assert set(d["simple_slopes"]["mean"]) >= {"estimate", "se", "p", "ci_low", "ci_high"}
    assert d["jn_bounds"] == []
    json.dumps(d)


def test_a_two_level_moderators_interaction_carries_its_interval(corp):
    two = corp.assign(big=np.where(corp["provider"] == 1, "a", "b"))
    res = moderation(two, "satisfaction", "loyalty", "big")
    row = res.coefficients.loc["x:w[b]"]
    for stat in ("estimate", "ci_low", "ci_high"):
        assert close(res.interaction[stat], row[stat], 1e-12)
    t = stats.t.ppf(0.975, res.model.df_resid)
    assert close(res.interaction["ci_high"], row["estimate"] + t * row["se"], 1e-10)
    three = moderation(corp.assign(p=corp["provider"].astype(str)), "satisfaction", "loyalty", "p")
    assert len(three.simple_slopes) > 2  # a joint test of several X·W terms: no one interval
    assert three.interaction["ci_low"] is None and three.interaction["ci_high"] is None


def test_a_pooled_moderation_carries_the_pooled_interval_of_the_interaction(corp):
    # Rubin's rules pool the X·W row; the interaction must show that row's interval, not
    # the first imputation's (pooling copies the first result and updates its estimate)
    rng = np.random.default_rng(5)
    copies = [
        corp.assign(likeability=corp["likeability"] + rng.normal(0, 0.3, len(corp)))
        for _ in range(3)
    ]
    fits = [moderation(c, "satisfaction", "loyalty", "likeability") for c in copies]
    pooled = pool_moderation(fits)
    row = pooled.coefficients.loc["x:w"]
    for stat in ("estimate", "se", "p", "ci_low", "ci_high"):
        assert close(pooled.interaction[stat], row[stat], 1e-12), stat
    assert not close(pooled.interaction["ci_low"], fits[0].interaction["ci_low"], 1e-6)
    t = stats.t.ppf(0.975, row["df"])  # Barnard-Rubin df
    assert close(row["ci_low"], row["estimate"] - t * row["se"], 1e-10)
    d = pooled.to_dict()["interaction"]
    assert (d["ci_low"], d["ci_high"]) == (
        pooled.interaction["ci_low"],
        pooled.interaction["ci_high"],
    )


def _jn_data(n: int = 500, seed: int = 4) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    w = rng.uniform(-2, 2, size=n)
    y = 0.3 * w + 0.5 * x * w + rng.normal(size=n)
    return pd.DataFrame({"x": x, "w": w, "y": y})


def test_johnson_neyman_bounds_inside_range():
    """Slope of x is 0.5 w: significant for w well away from 0, not near 0."""
    res = moderation(_jn_data(), "x", "y", "w")
    assert len(res.jn_bounds) == 2 and res.jn_significant == "outside"
    lo, hi = res.jn_bounds
    assert lo < 0 < hi
    fit = res.model
    V = np.asarray(fit.cov_params())
    b = np.asarray(fit.params)
    from scipy import stats

    tcrit = stats.t.ppf(0.975, fit.df_resid)
    wmean = _jn_data()["w"].mean()
    for bound in res.jn_bounds:
        w = bound - wmean
        t = (b[1] + b[3] * w) / math.sqrt(V[1, 1] + 2 * w * V[1, 3] + w**2 * V[3, 3])
        assert math.isclose(abs(t), tcrit, rel_tol=1e-9)
    assert res.jn_regions[0][0] == res.w_range[0]
    assert res.jn_regions[0][1] == lo and res.jn_regions[1] == (hi, res.w_range[1])


def test_johnson_neyman_no_real_roots():
    """A null slope and a null interaction: no real roots, never significant.

    (With a positive leading coefficient there would always be roots: the slope
    is zero, hence not significant, somewhere.)
    """
    rng = np.random.default_rng(9)
    n = 300
    x, w = rng.normal(size=n), rng.normal(size=n)
    null = pd.DataFrame({"x": x, "w": w, "y": rng.normal(size=n)})
    res = moderation(null, "x", "y", "w")
    assert res.jn_roots == () and res.jn_significant == "nowhere"
    assert res.jn_regions == () and res.jn_bounds == ()
    assert all(res.simple_slopes["p"] > 0.05)


def test_plot_data(corp):
    res = moderation(corp, "satisfaction", "loyalty", "likeability")
    pdat = res.plot_data
    assert list(pdat.columns) == ["x", "level", "w", "predicted"]
    assert list(pdat["level"].unique()) == ["-1 SD", "mean", "+1 SD"]
    # each line's slope is the simple slope
    for label, g in pdat.groupby("level"):
        slope = np.polyfit(g["x"], g["predicted"], 1)[0]
        assert close(slope, res.simple_slopes.loc[label, "estimate"], 1e-8)


def test_categorical_moderator_slopes_equal_group_fits():
    rng = np.random.default_rng(2)
    n = 600
    tier = rng.choice(["basic", "silver", "gold"], size=n)
    x = rng.normal(size=n)
    slope = pd.Series({"basic": 0.1, "silver": 0.3, "gold": 0.6})[tier].to_numpy()
    y = slope * x + rng.normal(size=n)
    df = pd.DataFrame({"tier": tier, "x": x, "y": y})
    res = moderation(df, "x", "y", "tier", levels=["basic", "silver", "gold"])
    assert res.categorical and res.jn_significant == "not applicable"
    assert list(res.simple_slopes.index) == ["basic", "silver", "gold"]
    for lv in ("basic", "silver", "gold"):
        g = df[df["tier"] == lv]
        assert close(res.simple_slopes.loc[lv, "estimate"], np.polyfit(g["x"], g["y"], 1)[0], 1e-8)
    assert res.interaction["estimate"] is None and res.interaction["df1"] == 2
    assert res.interaction["p"] < 0.01
    d = res.to_dict()
    assert d["jn_bounds"] == [] and list(d["simple_slopes"]) == ["basic", "silver", "gold"]
    json.dumps(d)
    assert set(res.plot_data["level"]) == {"basic", "silver", "gold"}
    with pytest.raises(ValueError, match="levels"):
        moderation(df, "x", "y", "tier", levels=["basic", "gold"])


def test_moderation_bad_options(corp):
    with pytest.raises(ValueError, match="center"):
        moderation(corp, "satisfaction", "loyalty", "likeability", center="yes")
    with pytest.raises(ValueError, match="between 0 and 1"):
        moderation(corp, "satisfaction", "loyalty", "likeability", ci=1.5)
    with pytest.raises(InputError, match="not in the data"):
        moderation(corp, "satisfaction", "loyalty", "tier")


# --------------------------------------------------------------------------- segments


def test_segments_match_r(corp):
    ref = R["segments"]
    drivers = ["satisfaction", "competence", "likeability"]
    res = compare_segments(corp, "loyalty", drivers, "provider")
    assert isinstance(res, SegmentComparison)
    assert res.n == ref["n"]
    for lev, seg in ref["segments"].items():
        assert res.fit.loc[lev, "n"] == seg["n"]
        assert close(res.fit.loc[lev, "r2"], seg["r2"])
        assert close(res.fit.loc[lev, "adj_r2"], seg["adj_r2"])
        rows = res.coefficients[res.coefficients["segment"] == lev].set_index("term")
        for term, c in seg["coefficients"].items():
            for stat in STATS:
                assert close(rows.loc[term, stat], c[stat]), (lev, term, stat)
    for key in ("F", "df1", "df2", "p"):
        assert close(res.slope_test[key], ref["slope_test"][key])
    for drv, t in ref["driver_tests"].items():
        for key in ("F", "df1", "df2", "p"):
            assert close(res.driver_tests.loc[drv, key], t[key]), (drv, key)
    d = res.to_dict()
    assert set(d["segments"]) == {"1", "2", "3", "4"}
    json.dumps(d)
    assert res.slopes().shape == (4, 4)
    assert "Do the slopes differ" in res.summary()


def test_segments_skip_small_with_warning(corp):
    df = corp.copy()
    df.loc[df.index[:8], "provider"] = 9  # a segment of 8 rows (< 3 drivers + 10)
    res = compare_segments(df, "loyalty", ["satisfaction", "competence", "likeability"], "provider")
    assert "9" in res.skipped and 9 not in res.segments
    assert any("skipped" in w for w in res.warnings)
    with pytest.raises(InputError, match="Fewer than two segments"):
        compare_segments(df[df["provider"].isin([1, 9])], "loyalty", ["satisfaction"], "provider")
    with pytest.raises(ValueError, match="at least one driver"):
        compare_segments(df, "loyalty", [], "provider")


# --------------------------------------------------------------------------- IPA


def test_importance_performance_quadrants():
    imp = pd.Series({"value": 0.20, "trust": 0.15, "belonging": 0.03, "satisfaction": 0.05})
    perf = pd.Series({"satisfaction": 5.8, "value": 4.0, "trust": 5.5, "belonging": 4.2})
    ci = pd.DataFrame(
        {"ci_low": [0.15, 0.10, 0.01, 0.02], "ci_high": [0.25, 0.20, 0.06, 0.11]},
        index=["value", "trust", "belonging", "satisfaction"],
    )
    res = importance_performance(imp, perf, scale_min=1, scale_max=7, importance_ci=ci)
    assert isinstance(res, IPAResult)
    assert close(res.table.loc["value", "performance"], 50.0)
    assert close(res.performance_cut, ((np.array([4.0, 5.5, 4.2, 5.8]) - 1) / 6 * 100).mean())
    assert close(res.importance_cut, 0.1075)
    assert res.to_dict() == {
        "value": {"importance": 0.2, "performance": 50.0, "quadrant": "fix first"},
        "trust": {"importance": 0.15, "performance": 75.0, "quadrant": "keep up"},
        "belonging": {
            "importance": 0.03,
            "performance": pytest.approx(53.333333),
            "quadrant": "low priority",
        },
        "satisfaction": {"importance": 0.05, "performance": 80.0, "quadrant": "possible overkill"},
    }
    assert res.table.loc["trust", "importance_ci_high"] == 0.20
    assert any("straddles" in w for w in res.warnings)  # trust: 0.10-0.20 around 0.1075
    # given cut points
    res2 = importance_performance(
        imp, perf, scale_min=1, scale_max=7, importance_cut=0.01, performance_cut=90
    )
    assert set(res2.table["quadrant"]) == {"fix first"}


def test_importance_performance_errors():
    imp = pd.Series({"a": 0.2, "b": 0.1, "c": 0.05})
    with pytest.raises(ValueError, match="scale_max"):
        importance_performance(imp, pd.Series({"a": 3, "b": 4, "c": 5}), scale_min=7, scale_max=1)
    with pytest.raises(InputError, match="same drivers"):
        importance_performance(imp, pd.Series({"a": 3, "b": 4}), scale_min=1, scale_max=7)
    with pytest.raises(InputError, match="outside the scale"):
        importance_performance(imp, pd.Series({"a": 3, "b": 4, "c": 9}), scale_min=1, scale_max=7)


# --------------------------------------------------------------------------- simulated survey


def test_survey_mediation_recovers_truth(survey, truth):
    t = truth["mediation"]
    res = mediation(survey, t["x"], t["y"], t["m"], bootstrap=1000, seed=2026)
    lo, hi = res.to_dict()["indirect_ci_low"], res.to_dict()["indirect_ci_high"]
    assert 0 < lo < hi  # the CI excludes 0, on the side of the true indirect effect
    assert t["indirect"] > 0
    assert res.paths.loc[f"a[{t['m']}]", "estimate"] > 0
    assert res.paths.loc[f"b[{t['m']}]", "estimate"] > 0


def _score_survey(raw: pd.DataFrame, book: dict) -> pd.DataFrame:
    items = [i for spec in book["constructs"].values() for i in spec["items"]]
    x = raw[items].astype(float).replace(dict.fromkeys(book["missing_codes"], np.nan))
    for item in book["reverse_coded"]:
        x[item] = 8 - x[item]
    scores = score_scales(x, {k: v["items"] for k, v in book["constructs"].items()})
    return pd.concat([raw[["tier"]], scores], axis=1)


def _tier_checks(scored: pd.DataFrame, t: dict) -> tuple[pd.Series, dict]:
    order = list(t["tier_coding"])  # basic, silver, gold, platinum
    res = moderation(scored, t["focal"], t["outcome"], t["moderator"], levels=order)
    coded = scored.assign(tier_code=scored["tier"].map(t["tier_coding"]).astype(float))
    num = moderation(coded, t["focal"], t["outcome"], "tier_code")
    return res.simple_slopes["estimate"], num.interaction


def test_simulated_trust_by_tier_moderation_has_truth_sign(truth):
    """The generator's trust x tier interaction (+0.10) is recovered with its sign.

    Uses a fresh draw of n = 4000 (seed 2026) from the same generator; see the
    next test for the committed n = 800 file.
    """
    from workbench.simulate import simulate_loyalty_survey

    sim = simulate_loyalty_survey(n=4000, seed=2026)
    t = truth["moderation"]
    slopes, inter = _tier_checks(_score_survey(sim.data, sim.codebook), t)
    true = t["trust_slope_by_tier"]
    assert np.sign(slopes["platinum"] - slopes["basic"]) == np.sign(
        true["platinum"] - true["basic"]
    )
    assert np.sign(inter["estimate"]) == np.sign(t["interaction"])
    assert inter["p"] < 0.05


def test_an_id_column_as_segment_is_named_as_such():
    import numpy as np
    import pandas as pd

    from workbench.drivers.mediation import compare_segments
    from workbench.errors import InputError

    rng = np.random.default_rng(0)
    df = pd.DataFrame({"loyalty": rng.normal(size=60), "trust": rng.normal(size=60)})
    df["respondent_id"] = range(60)
    with pytest.raises(InputError, match="looks like an id") as info:
        compare_segments(df, "loyalty", ["trust"], "respondent_id")
    assert "grouping column" in info.value.hint
