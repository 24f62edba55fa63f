"""workbench.pls by its defining properties, where no published number exists.

References (seminr, SmartPLS) are in test_pls_seminr_parity.py and test_pls_references.py.
Here: PLSc's consistency on data simulated from a known reflective population (Monte-Carlo
tolerance stated), the analytic two-block solutions of Mode A (first singular pair) and Mode B
(first canonical pair) that every inner weighting scheme must reach, f² against OLS, the fit
indices where the implied matrix is known, HTMT2 = HTMT when all correlations are equal,
invariances, the fast entry point the bootstrap will use, and the missing-data treatments.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from workbench.measurement import cronbach_alpha
from workbench.pls import (
    PLSConvergenceWarning,
    PLSPlan,
    estimate_pls,
    fit_correlation,
    fit_standardized,
    implied_correlations,
    prepare_data,
    specify_model,
)
from workbench.resampling import bootstrap_cross_products, covariances_from_cross_products

IMAGE = "IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5"
SAT = "CUSA1 + CUSA2 + CUSA3"
MOBI_SIMPLE = (
    f"Image =~ {IMAGE}; Expectation =~ CUEX1 + CUEX2 + CUEX3; Value =~ PERV1 + PERV2; "
    f"Satisfaction =~ {SAT}; Satisfaction ~ Image + Expectation + Value"
)


def exact_correlation_data(R: np.ndarray, n: int, seed: int) -> np.ndarray:
    """n rows whose sample correlation matrix is exactly R."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(R)))
    z -= z.mean(axis=0)
    white = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False)).T)
    return white @ np.linalg.cholesky(R).T


# ----------------------------------------------------------------------------- PLSc
@pytest.fixture(scope="module")
def reflective_population() -> tuple[pd.DataFrame, dict[str, float], float]:
    """n = 20,000 from xi -> eta (beta = 0.6), three congeneric indicators each (seed 20260115)."""
    rng = np.random.default_rng(20260115)
    n, beta = 20_000, 0.6
    xi = rng.standard_normal(n)
    eta = beta * xi + math.sqrt(1 - beta**2) * rng.standard_normal(n)
    loadings = {"x1": 0.9, "x2": 0.8, "x3": 0.7, "y1": 0.85, "y2": 0.75, "y3": 0.65}
    data = {
        item: lam * (xi if item[0] == "x" else eta) + math.sqrt(1 - lam**2) * rng.standard_normal(n)
        for item, lam in loadings.items()
    }
    return pd.DataFrame(data), loadings, beta


def test_plsc_recovers_the_population_paths_and_loadings_that_plain_pls_misses(
    reflective_population,
):
    """Monte-Carlo tolerance 0.02: the SE of a correlation near 0.6 at n = 20,000 is
    (1 - 0.36) / sqrt(20000) = 0.0045, so 0.02 is over 4 SE; plain PLS misses by ~0.12."""
    data, loadings, beta = reflective_population
    model = "X =~ x1 + x2 + x3; Y =~ y1 + y2 + y3; Y ~ X"
    plsc = estimate_pls(data, model, estimator="plsc")
    pls = estimate_pls(data, model, estimator="pls")
    assert plsc.paths.loc["X->Y", "estimate"] == pytest.approx(beta, abs=0.02)
    consistent = plsc.outer_loadings.sum(axis=1)
    for item, lam in loadings.items():
        assert consistent[item] == pytest.approx(lam, abs=0.02), item
    # plain PLS: the path is attenuated, the loadings of the weaker items inflated
    assert pls.paths.loc["X->Y", "estimate"] < beta - 0.08
    plain = pls.outer_loadings.sum(axis=1)
    assert plain["x3"] > loadings["x3"] + 0.04 and plain["y3"] > loadings["y3"] + 0.04
    assert not plsc.warnings


def test_plsc_corrects_reflective_constructs_only(mobi):
    """Mode B composites and single items keep their composite correlations (rho_A = 1)."""
    model = (
        f"Image =~ {IMAGE}; Value <~ PERV1 + PERV2; Complaints =~ CUSCO; Satisfaction =~ {SAT}; "
        "Satisfaction ~ Image + Value; Complaints ~ Satisfaction"
    )
    pls = estimate_pls(mobi, model)
    plsc = estimate_pls(mobi, model, estimator="plsc")
    pd.testing.assert_frame_equal(plsc.outer_weights, pls.outer_weights)  # weights unchanged
    assert np.isnan(plsc.rho_a["Value"]) and plsc.rho_a["Complaints"] == 1.0
    corrected, scores = plsc.construct_correlations, plsc.score_correlations
    assert corrected.loc["Value", "Complaints"] == pytest.approx(
        scores.loc["Value", "Complaints"], abs=1e-15
    )
    rho = plsc.rho_a
    assert corrected.loc["Image", "Satisfaction"] == pytest.approx(
        scores.loc["Image", "Satisfaction"] / math.sqrt(rho["Image"] * rho["Satisfaction"])
    )
    assert plsc.outer_loadings.loc["PERV1", "Value"] == pls.outer_loadings.loc["PERV1", "Value"]


# ----------------------------------------------------------------------------- analytic two blocks
def unit(w: np.ndarray, S: np.ndarray) -> np.ndarray:
    w = w / math.sqrt(w @ S @ w)
    return w if w.sum() > 0 else -w


@pytest.mark.parametrize("scheme", ["path", "factor", "centroid"])
def test_two_mode_a_blocks_converge_to_the_first_singular_pair_under_every_scheme(mobi, scheme):
    """With two constructs every scheme's inner proxy is +-r times the other composite, so the
    Mode A fixed point w_A ~ S_AY w_Y, w_Y ~ S_YA w_A is the first singular pair of S_AY."""
    model = f"Image =~ {IMAGE}; Satisfaction =~ {SAT}; Satisfaction ~ Image"
    fit = estimate_pls(mobi, model, inner_weighting=scheme, tol=1e-12)
    S = fit.indicator_correlations.to_numpy()
    a, y = np.arange(5), np.arange(5, 8)
    u, _, vt = np.linalg.svd(S[np.ix_(a, y)])
    w_a, w_y = unit(u[:, 0], S[np.ix_(a, a)]), unit(vt[0], S[np.ix_(y, y)])
    weights = fit.outer_weights.sum(axis=1).to_numpy()
    np.testing.assert_allclose(weights[a], w_a, atol=1e-9)
    np.testing.assert_allclose(weights[y], w_y, atol=1e-9)
    assert fit.paths["estimate"].iloc[0] == pytest.approx(w_a @ S[np.ix_(a, y)] @ w_y, abs=1e-9)


@pytest.mark.parametrize("scheme", ["path", "factor", "centroid"])
def test_two_mode_b_blocks_give_the_first_canonical_correlation(mobi, scheme):
    model = f"Image <~ {IMAGE}; Satisfaction <~ {SAT}; Satisfaction ~ Image"
    fit = estimate_pls(mobi, model, inner_weighting=scheme, tol=1e-12)
    S = fit.indicator_correlations.to_numpy()
    a, y = np.arange(5), np.arange(5, 8)
    Saa, Syy, Say = S[np.ix_(a, a)], S[np.ix_(y, y)], S[np.ix_(a, y)]
    M = np.linalg.solve(Saa, Say) @ np.linalg.solve(Syy, Say.T)
    canonical = math.sqrt(max(np.linalg.eigvals(M).real))
    assert fit.paths["estimate"].iloc[0] == pytest.approx(canonical, abs=1e-9)


def test_factor_and_centroid_weighting_differ_from_path_weighting_on_a_larger_model(mobi):
    """Guard against a scheme silently falling back to another one."""
    fits = {s: estimate_pls(mobi, MOBI_SIMPLE, inner_weighting=s) for s in ("path", "factor")}
    diff = fits["path"].outer_weights - fits["factor"].outer_weights
    assert float(diff.abs().to_numpy().max()) > 1e-4


# ----------------------------------------------------------------------------- f²
def test_f_squared_of_single_item_constructs_is_the_ols_formula(mobi):
    """Single items fix the weights at 1, so f² is (R²_full - R²_without) / (1 - R²_full)."""
    fit = estimate_pls(mobi, "A =~ IMAG1; B =~ CUEX1; Y =~ CUSA1; Y ~ A + B")
    z = fit.data.standardized()

    def r2(columns: list[int]) -> float:
        X = z[:, columns]
        beta, *_ = np.linalg.lstsq(X, z[:, 2], rcond=None)
        return 1 - float(np.sum((z[:, 2] - X @ beta) ** 2) / np.sum(z[:, 2] ** 2))

    full = r2([0, 1])
    f2 = fit.f_squared()
    assert f2.loc["A->Y", "f2"] == pytest.approx((full - r2([1])) / (1 - full), abs=1e-12)
    assert f2.loc["B->Y", "f2"] == pytest.approx((full - r2([0])) / (1 - full), abs=1e-12)


def test_f_squared_re_estimates_the_reduced_model(mobi):
    """R²_excluded is the R² of the model re-estimated without the path (weights change)."""
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    reduced = estimate_pls(
        mobi,
        f"Image =~ {IMAGE}; Value =~ PERV1 + PERV2; Satisfaction =~ {SAT}; "
        "Satisfaction ~ Image + Value",
    )
    row = fit.f_squared().loc["Expectation->Satisfaction"]
    assert row["r2_excluded"] == pytest.approx(reduced.r2.loc["Satisfaction", "r2"], abs=1e-12)
    assert row["f2"] == pytest.approx(
        (row["r2_included"] - row["r2_excluded"]) / (1 - row["r2_included"])
    )


def test_f_squared_of_a_lone_predictor_uses_zero_r2_without_it(mobi):
    fit = estimate_pls(mobi, f"Image =~ {IMAGE}; Satisfaction =~ {SAT}; Satisfaction ~ Image")
    r2 = fit.r2.loc["Satisfaction", "r2"]
    assert fit.f_squared().loc["Image->Satisfaction", "f2"] == pytest.approx(r2 / (1 - r2))


# ----------------------------------------------------------------------------- model fit
def test_fit_indices_are_zero_when_the_model_reproduces_every_correlation(mobi):
    """Single items and a saturated recursive structural model: Sigma = S exactly."""
    fit = estimate_pls(mobi, "A =~ IMAG1; B =~ CUEX1; C =~ CUSA1; B ~ A; C ~ A + B")
    np.testing.assert_allclose(fit.model_fit().to_numpy(), 0.0, atol=1e-12)


def test_composite_model_leaves_within_block_correlations_free(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    S = fit.indicator_correlations
    sigma = implied_correlations(fit)
    for block in fit.specification.items.values():
        items = list(block)
        np.testing.assert_allclose(sigma.loc[items, items], S.loc[items, items], atol=1e-15)
    # between blocks: loading x construct correlation x loading
    lam = fit.outer_loadings.sum(axis=1)
    phi = fit.construct_correlations.loc["Image", "Value"]
    assert sigma.loc["IMAG1", "PERV2"] == pytest.approx(lam["IMAG1"] * phi * lam["PERV2"])
    # one endogenous construct regressed on every other: the structural model is saturated
    fit_table = fit.model_fit()
    np.testing.assert_allclose(fit_table["estimated"], fit_table["saturated"], atol=1e-12)
    assert 0 < fit_table.loc["srmr", "saturated"] < 0.1


def test_plsc_implies_a_common_factor_within_reflective_blocks(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE, estimator="plsc")
    sigma = implied_correlations(fit)
    lam = fit.outer_loadings.sum(axis=1)
    assert sigma.loc["IMAG1", "IMAG2"] == pytest.approx(lam["IMAG1"] * lam["IMAG2"])


def test_a_constrained_structural_model_fits_worse_than_the_saturated_one(mobi):
    fit = estimate_pls(
        mobi,
        f"Image =~ {IMAGE}; Satisfaction =~ {SAT}; Loyalty =~ CUSL1 + CUSL2 + CUSL3; "
        "Satisfaction ~ Image; Loyalty ~ Satisfaction",
    )
    table = fit.model_fit()
    assert table.loc["srmr", "estimated"] > table.loc["srmr", "saturated"]
    assert table.loc["d_uls", "estimated"] > table.loc["d_uls", "saturated"]
    assert np.isfinite(table.to_numpy()).all()


# ----------------------------------------------------------------------------- reliability, HTMT
def test_alpha_is_the_standardized_alpha_of_the_measurement_module(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    alpha = fit.reliability()["alpha"]
    z = pd.DataFrame(fit.data.standardized(), columns=list(fit.plan.items))
    for construct, items in fit.specification.items.items():
        assert alpha[construct] == pytest.approx(cronbach_alpha(z[list(items)]).alpha, abs=1e-12)


def test_single_items_are_perfectly_reliable_and_formative_constructs_have_no_reliability(mobi):
    fit = estimate_pls(
        mobi, f"Image <~ {IMAGE}; Complaints =~ CUSCO; Complaints ~ Image", estimator="plsc"
    )
    table = fit.reliability()
    assert table.loc["Complaints"].tolist() == [1.0, 1.0, 1.0, 1.0]
    assert table.loc["Image"].isna().all()


def test_htmt2_equals_htmt_when_all_correlations_within_and_between_are_equal():
    R = np.full((6, 6), 0.3)
    R[:3, :3] = R[3:, 3:] = 0.6
    np.fill_diagonal(R, 1.0)
    data = pd.DataFrame(exact_correlation_data(R, 200, seed=7), columns=list("abcdef"))
    fit = estimate_pls(data, "A =~ a + b + c; B =~ d + e + f; B ~ A")
    assert fit.htmt().loc["A", "B"] == pytest.approx(0.5, abs=1e-12)
    assert fit.htmt2().loc["A", "B"] == pytest.approx(0.5, abs=1e-12)


def test_htmt2_is_the_ratio_of_geometric_means_of_absolute_correlations(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    r = mobi.corr().abs()
    img, exp = [f"IMAG{i}" for i in range(1, 6)], ["CUEX1", "CUEX2", "CUEX3"]

    def gmean(values: list[float]) -> float:
        return math.exp(sum(math.log(v) for v in values) / len(values))

    hetero = gmean([r.loc[i, j] for i in img for j in exp])
    mono_i = gmean([r.loc[a, b] for k, a in enumerate(img) for b in img[k + 1 :]])
    mono_e = gmean([r.loc[a, b] for k, a in enumerate(exp) for b in exp[k + 1 :]])
    assert fit.htmt2().loc["Image", "Expectation"] == pytest.approx(
        hetero / math.sqrt(mono_i * mono_e), abs=1e-12
    )


# ----------------------------------------------------------------------------- invariances
def test_estimates_do_not_depend_on_item_scale_row_order_or_item_order(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    rng = np.random.default_rng(3)
    changed = (mobi * rng.uniform(0.5, 3, size=mobi.shape[1]) + 10).iloc[rng.permutation(len(mobi))]
    other = estimate_pls(changed, MOBI_SIMPLE)
    pd.testing.assert_frame_equal(other.paths, fit.paths, atol=1e-12, rtol=0)
    pd.testing.assert_frame_equal(other.outer_loadings, fit.outer_loadings, atol=1e-12, rtol=0)
    reordered = estimate_pls(
        mobi, MOBI_SIMPLE.replace(IMAGE, "IMAG5 + IMAG3 + IMAG1 + IMAG4 + IMAG2")
    )
    np.testing.assert_allclose(
        reordered.outer_weights.sum(axis=1)[list(fit.plan.items)],
        fit.outer_weights.sum(axis=1),
        atol=1e-12,
    )


def test_scores_are_standardized_composites_of_the_weights(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    np.testing.assert_allclose(fit.scores.std(ddof=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(fit.scores.mean(), 0.0, atol=1e-12)
    np.testing.assert_allclose(fit.scores.corr(), fit.score_correlations, atol=1e-12)


# ----------------------------------------------------------------------------- fast entry point
def test_the_fast_entry_point_returns_the_result_as_one_labelled_vector(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE, estimator="plsc")
    plan = fit.plan
    vector = fit_standardized(fit.data.standardized(), plan, estimator="plsc").vector(plan)
    assert len(vector) == len(plan.vector_labels) == 3 + 13 + 13 + 1
    np.testing.assert_allclose(vector, fit.vector().to_numpy(), atol=1e-14)
    assert (
        fit.vector()["path:Image->Satisfaction"] == fit.paths.loc["Image->Satisfaction", "estimate"]
    )
    assert fit.vector()["loading:Value:PERV2"] == fit.outer_loadings.loc["PERV2", "Value"]
    # raw, unstandardized rows give the same fit: only their correlations matter
    raw = mobi[list(plan.items)].to_numpy(dtype=float)
    np.testing.assert_allclose(
        fit_standardized(raw, plan, estimator="plsc").vector(plan), vector, atol=1e-12
    )


def test_a_bootstrap_can_fit_resamples_from_their_cross_products(mobi):
    """The resampling module's sufficient statistics give the same fit as indexing the rows."""
    spec = specify_model(MOBI_SIMPLE)
    plan = PLSPlan.from_model(spec)
    z = prepare_data(mobi, spec).standardized()
    sums, cross = next(bootstrap_cross_products(z, np.random.default_rng(11), 3))
    covariances = covariances_from_cross_products(sums, cross, len(z))
    rows = np.random.default_rng(11).integers(0, len(z), size=len(z))  # the first resample
    d = np.sqrt(np.diag(covariances[0]))
    from_sums = fit_correlation(covariances[0] / np.outer(d, d), plan).vector(plan)
    from_rows = fit_standardized(z[rows], plan).vector(plan)
    np.testing.assert_allclose(from_sums, from_rows, atol=1e-10)
    assert np.isfinite(from_rows).all()


# ----------------------------------------------------------------------------- convergence, data
def test_non_convergence_is_a_warning_the_report_can_show(mobi):
    with pytest.warns(PLSConvergenceWarning, match="did not converge"):
        fit = estimate_pls(mobi, MOBI_SIMPLE, max_iter=1)
    assert not fit.converged and fit.iterations == 1
    assert any("did not converge" in w for w in fit.warnings)
    assert "did not converge" in fit.summary()


def test_mean_replacement_counts_cells_and_listwise_drops_rows():
    data = pd.DataFrame(
        {
            "a1": [1, 2, np.nan, 4, 5, 3],
            "a2": [2, 1, 3, 5, -9, 4],
            "y1": [1, 3, 2, 4, 5, np.nan],
            "other": ["x", "y", "z", "w", "v", "u"],  # not an item: ignored
        }
    )
    model = specify_model("A =~ a1 + a2; Y =~ y1; Y ~ A")
    mean = prepare_data(data, model, missing_codes=[-9])
    assert mean.n == 6 and mean.replaced == {"a1": 1, "a2": 1, "y1": 1}
    assert mean.missing_codes_replaced == {"a2": 1}
    assert mean.frame.loc[2, "a1"] == pytest.approx(3.0)  # mean of 1, 2, 4, 5, 3
    assert mean.frame.loc[4, "a2"] == pytest.approx(3.0)  # mean of 2, 1, 3, 5, 4
    assert "replaced by the item means" in " ".join(mean.warnings)
    listwise = prepare_data(data, model, missing="listwise", missing_codes=[-9])
    assert listwise.n == 3 and listwise.dropped == 3
    assert listwise.report()["n_dropped"] == 3
    assert listwise.frame.index.tolist() == [0, 1, 3]  # rows keep their respondents' labels
    fit = estimate_pls(
        data.set_index(pd.Index(list("pqrstu"))), model, missing="listwise", missing_codes=[-9]
    )
    assert fit.scores.index.tolist() == ["p", "q", "s"]


def test_results_serialize_in_the_results_json_layout(mobi):
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    out = fit.to_dict()
    assert set(out) >= {"paths", "r2", "weights", "loadings", "reliability", "htmt", "n"}
    assert out["paths"]["Image->Satisfaction"]["estimate"] == pytest.approx(0.447003896753383)
    assert set(out["reliability"]["Image"]) == {"alpha", "rho_a", "rho_c", "ave"}
    assert list(out["htmt"]) == ["Image", "Expectation", "Value"]
    table = fit.to_frame()
    assert list(table.columns) == ["kind", "lhs", "op", "rhs", "estimate"]
    assert len(table) == 3 + 13 + 13
    assert "<table" in fit._repr_html_()
