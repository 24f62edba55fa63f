"""workbench.pls.bootstrap: against R seminr's bootstrap fixtures, and by its defining properties.

References (R seminr, GPL-3; numbers only, cited with their source):

* ``mobi-simple`` (Image, Expectation, Value -> Satisfaction; Mode A composites, path
  weighting): ``tests/fixtures/V_3_6_0/boot_report_paths.csv``, ``boot_report_loadings.csv``,
  ``boot_report_weights`` and ``boot_report_htmt.csv`` of https://github.com/sem-in-r/seminr,
  written by ``tests/testthat/test-summary.R`` with ``bootstrap_model(seminr_model, nboot =
  500, cores = 2, seed = 123)``: original estimate, bootstrap mean and bootstrap SD of 3 paths,
  13 loadings, 13 weights and 6 HTMT ratios.
* the extended corporate-reputation model (Mode B drivers, factor weighting,
  ``stopCriterion = 1``, mean replacement of -99): ``V_3_6_0/missing_cases_paths.csv``, written
  by ``tests/testthat/test-bootstrap.R`` with ``nboot = 200, seed = 123``: 13 paths.

Our draws cannot be seminr's (different random numbers), so bootstrap SDs and means are compared
within Monte-Carlo error. The SD ``s`` of ``B`` draws from a distribution with kurtosis ``kappa``
has standard error ``s sqrt((kappa - 1) / (4 (B - 1)))`` (``s / sqrt(2 (B - 1))`` for a normal
distribution); a bootstrap mean has standard error ``s / sqrt(B)``. Each comparison allows 4
standard errors of the difference of the two runs (ours with ``B = 5000``, kappa estimated from
our draws; seminr's with its ``B``): over the 48 comparisons a false alarm has probability about
0.3%, and the tests are deterministic for the fixed seed. Original estimates are compared at
seminr's own tolerance, relative 1e-5.

Everything else is tested by definition: percentile limits are quantiles of the stored draws,
BCa reduces to the percentile interval for symmetric unbiased draws and equals
``scipy.stats.bootstrap``'s BCa on the same draws, a resample's draw is the estimate of the
model on that resample's rows, effects are products and sums of paths, and the same seed gives
identical results for one and two workers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from helpers import CORP_REP_EXTENDED
from scipy import stats

from workbench.errors import InputError
from workbench.pls import (
    PLSBootstrap,
    ResampleFailure,
    bca_interval,
    block_generator,
    bootstrap_pls,
    bootstrap_rows,
    estimate_pls,
    fit_standardized,
    prepare_data,
    specify_model,
    summarize_draws,
)

MOBI_SIMPLE = (
    "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5; Expectation =~ CUEX1 + CUEX2 + CUEX3; "
    "Value =~ PERV1 + PERV2; Satisfaction =~ CUSA1 + CUSA2 + CUSA3; "
    "Satisfaction ~ Image + Expectation + Value"
)
OURS_B = 5000

# seminr boot_report_*.csv (V_3_6_0), mobi-simple, nboot = 500, seed = 123:
# label -> (Original Est., Bootstrap Mean, Bootstrap SD)
SEMINR_MOBI_B = 500
SEMINR_MOBI = {
    "path:Image->Satisfaction": (0.447003896753384, 0.448638651551904, 0.0569259275804892),
    "path:Expectation->Satisfaction": (0.171830104491587, 0.171113435491871, 0.0619900261088522),
    "path:Value->Satisfaction": (0.316425319256027, 0.312848946465102, 0.0717381375043804),
    "loading:Image:IMAG1": (0.763199100938388, 0.757448286694456, 0.0354789173705324),
    "loading:Image:IMAG2": (0.598825742061012, 0.601820178570655, 0.0567932494023513),
    "loading:Image:IMAG3": (0.561373435201574, 0.55538471643111, 0.061373765290135),
    "loading:Image:IMAG4": (0.769170608201221, 0.764248616063531, 0.0476091997307237),
    "loading:Image:IMAG5": (0.73625435746935, 0.737988085487114, 0.0322572604640336),
    "loading:Expectation:CUEX1": (0.761524665395569, 0.75837648927797, 0.0566030459697849),
    "loading:Expectation:CUEX2": (0.710214472518845, 0.694042162398013, 0.0906202324679131),
    "loading:Expectation:CUEX3": (0.597659373657607, 0.602029373450806, 0.0757282877829928),
    "loading:Value:PERV1": (0.901400554962628, 0.9007549833273, 0.0208200120423861),
    "loading:Value:PERV2": (0.940265063862508, 0.940552595509166, 0.00794412535581814),
    "loading:Satisfaction:CUSA1": (0.804053676874835, 0.802147424251739, 0.030880084647367),
    "loading:Satisfaction:CUSA2": (0.842878555812946, 0.84005181551374, 0.0243129452204001),
    "loading:Satisfaction:CUSA3": (0.850379560919916, 0.850428949092957, 0.0195287410473962),
    "weight:Image:IMAG1": (0.331565496837403, 0.329884381739061, 0.0244820961721063),
    "weight:Image:IMAG2": (0.253381407777625, 0.255194735124052, 0.0312390577319581),
    "weight:Image:IMAG3": (0.19957423850573, 0.197678882397733, 0.0357810684765989),
    "weight:Image:IMAG4": (0.330983162965217, 0.32981283631994, 0.0275176396737316),
    "weight:Image:IMAG5": (0.310490528776397, 0.311118220145151, 0.0274697309598026),
    "weight:Expectation:CUEX1": (0.505837721216892, 0.503827105984516, 0.0644089314459357),
    "weight:Expectation:CUEX2": (0.49867124599148, 0.491549074473864, 0.0781628515018365),
    "weight:Expectation:CUEX3": (0.43608211325906, 0.437550701630344, 0.073653848117595),
    "weight:Value:PERV1": (0.476812933927711, 0.476345140758372, 0.0232874068242128),
    "weight:Value:PERV2": (0.60642533542816, 0.60683968063961, 0.0288290238741121),
    "weight:Satisfaction:CUSA1": (0.387272947521168, 0.386296716237279, 0.0199157712476426),
    "weight:Satisfaction:CUSA2": (0.373939896289369, 0.375314996244238, 0.0186711222872375),
    "weight:Satisfaction:CUSA3": (0.439128431593844, 0.438216647508833, 0.0227888505475847),
    "htmt:Image<->Expectation": (0.88803042750925, 0.900979407267204, 0.10435894522027),
    "htmt:Image<->Satisfaction": (0.910100923782741, 0.910585205382836, 0.0348292315180538),
    "htmt:Image<->Value": (0.651659392487802, 0.652992095381172, 0.0701022147560394),
    "htmt:Expectation<->Satisfaction": (0.865108193553153, 0.870606979504858, 0.0955774496723797),
    "htmt:Expectation<->Value": (0.588628982316289, 0.594137955677674, 0.118754444897233),
    "htmt:Value<->Satisfaction": (0.740808927759395, 0.740043625782101, 0.0746714861275302),
}

# seminr V_3_6_0/missing_cases_paths.csv: extended corp_rep, factor weighting,
# stopCriterion = 1, nboot = 200, seed = 123: path -> (Original Est., Bootstrap Mean, SD)
SEMINR_CORP_B = 200
SEMINR_CORP = {
    "QUAL->COMP": (0.427409420156675, 0.425529962238134, 0.0619747841139346),
    "QUAL->LIKE": (0.379327544889026, 0.382219601324252, 0.0658973022817214),
    "PERF->COMP": (0.299727081407912, 0.304866386703717, 0.0637175617222196),
    "PERF->LIKE": (0.117111275133509, 0.12726570815394, 0.0713038405098081),
    "CSOR->COMP": (0.0550039616891339, 0.0600654294154647, 0.0452248294450446),
    "CSOR->LIKE": (0.179216320667914, 0.174647337054923, 0.0524415526415063),
    "ATTR->COMP": (0.0863528923068247, 0.0882689919184264, 0.0561387726843917),
    "ATTR->LIKE": (0.166781436935632, 0.166409298440098, 0.0661963359586211),
    "COMP->CUSA": (0.141616383407125, 0.154323672887286, 0.0725388447038616),
    "COMP->CUSL": (0.00591992752184362, 0.0118995513972902, 0.0548955537076308),
    "LIKE->CUSA": (0.438434168288729, 0.431699961879531, 0.0643233530234449),
    "LIKE->CUSL": (0.345695435225832, 0.340645636223291, 0.0562627225620795),
    "CUSA->CUSL": (0.503263695731018, 0.503715242728994, 0.0403337478005477),
}


def sd_tolerance(draws: np.ndarray, b_reference: int) -> float:
    """4 standard errors of the difference of two bootstrap SDs (module docstring)."""
    b = len(draws)
    kappa = float(stats.kurtosis(draws, fisher=False))
    sd = float(draws.std(ddof=1))
    se_ours = sd * math.sqrt((kappa - 1) / (4 * (b - 1)))
    se_reference = sd * math.sqrt((kappa - 1) / (4 * (b_reference - 1)))
    return 4 * math.hypot(se_ours, se_reference)


def mean_tolerance(draws: np.ndarray, b_reference: int) -> float:
    """4 standard errors of the difference of two bootstrap means."""
    sd = float(draws.std(ddof=1))
    return 4 * sd * math.sqrt(1 / len(draws) + 1 / b_reference)


@pytest.fixture(scope="module")
def mobi_boot(mobi) -> PLSBootstrap:
    return bootstrap_pls(mobi, MOBI_SIMPLE, n_boot=OURS_B, seed=20260115)


@pytest.fixture(scope="module")
def corp_boot(corp_rep) -> PLSBootstrap:
    return bootstrap_pls(corp_rep, CORP_REP_EXTENDED, missing_codes=[-99], n_boot=2000, seed=7)


# ----------------------------------------------------------------------------- seminr
def test_bootstrap_sds_agree_with_seminr_within_monte_carlo_error(mobi_boot):
    draws = mobi_boot.draws_frame()
    checked, failures = 0, []
    for label, (_, _, seminr_sd) in SEMINR_MOBI.items():
        ours = float(mobi_boot.table.loc[label, "boot_se"])
        tolerance = sd_tolerance(draws[label].to_numpy(), SEMINR_MOBI_B)
        checked += 1
        if abs(ours - seminr_sd) > tolerance:
            failures.append(f"{label}: {ours:.5f} vs seminr {seminr_sd:.5f} (tol {tolerance:.5f})")
    assert checked == 35
    assert not failures, "\n".join(failures)


def test_bootstrap_means_agree_with_seminr_within_monte_carlo_error(mobi_boot):
    draws = mobi_boot.draws_frame()
    for label, (_, seminr_mean, _) in SEMINR_MOBI.items():
        ours = float(mobi_boot.table.loc[label, "boot_mean"])
        assert ours == pytest.approx(
            seminr_mean, abs=mean_tolerance(draws[label].to_numpy(), SEMINR_MOBI_B)
        ), label


def test_original_estimates_in_the_table_match_seminr_at_its_tolerance(mobi_boot):
    for label, (original, _, _) in SEMINR_MOBI.items():
        assert mobi_boot.table.loc[label, "estimate"] == pytest.approx(original, rel=1e-5), label
    assert mobi_boot.n_failed == 0 and len(mobi_boot.draws) == OURS_B


def test_mode_b_model_with_mean_replacement_agrees_with_seminr_bootstrap(corp_rep):
    """missing_cases_paths.csv: Mode B drivers, factor weighting, seminr's stopCriterion = 1."""
    boot = bootstrap_pls(
        corp_rep,
        CORP_REP_EXTENDED,
        missing_codes=[-99],
        inner_weighting="factor",
        tol=0.1,
        n_boot=OURS_B,
        seed=123,
        bca=False,
    )
    paths = boot.of("path")
    draws = boot.draws_frame()
    for name, (original, seminr_mean, seminr_sd) in SEMINR_CORP.items():
        column = draws[f"path:{name}"].to_numpy()
        assert paths.loc[name, "estimate"] == pytest.approx(original, rel=1e-5), name
        assert paths.loc[name, "boot_se"] == pytest.approx(
            seminr_sd, abs=sd_tolerance(column, SEMINR_CORP_B)
        ), name
        assert paths.loc[name, "boot_mean"] == pytest.approx(
            seminr_mean, abs=mean_tolerance(column, SEMINR_CORP_B)
        ), name


# ----------------------------------------------------------------------------- statistics
def test_percentile_interval_is_the_quantiles_of_the_stored_draws(mobi_boot):
    low, high = np.quantile(mobi_boot.draws, [0.025, 0.975], axis=0)
    np.testing.assert_allclose(mobi_boot.table["ci_low"], low, rtol=0, atol=1e-15)
    np.testing.assert_allclose(mobi_boot.table["ci_high"], high, rtol=0, atol=1e-15)
    np.testing.assert_allclose(mobi_boot.table["boot_se"], mobi_boot.draws.std(axis=0, ddof=1))


def test_p_value_is_two_sided_student_t_with_b_minus_one_df(mobi_boot):
    row = mobi_boot.table.loc["path:Expectation->Satisfaction"]
    assert row["t"] == pytest.approx(row["estimate"] / row["boot_se"], rel=1e-14)
    assert row["p"] == pytest.approx(2 * stats.t.sf(abs(row["t"]), OURS_B - 1), rel=1e-12)
    assert 0 < row["p"] < 0.05  # seminr: t = 2.77 with 500 resamples


def test_bca_equals_percentile_for_symmetric_unbiased_draws():
    """Draws mirrored around the estimate (z0 = 0) and a symmetric jackknife (a = 0)."""
    rng = np.random.default_rng(1)
    half = rng.gamma(2.0, size=(999, 3))
    estimate = np.array([0.5, -1.0, 2.0])
    draws = np.vstack([estimate + half, estimate - half])
    jack = np.vstack([estimate + half[:40], estimate - half[:40]])
    low, high, z0, a = bca_interval(draws, estimate, jack, ci=0.9)
    np.testing.assert_array_equal(z0, 0.0)
    np.testing.assert_allclose(a, 0.0, atol=1e-15)
    np.testing.assert_allclose(low, np.quantile(draws, 0.05, axis=0), rtol=1e-14)
    np.testing.assert_allclose(high, np.quantile(draws, 0.95, axis=0), rtol=1e-14)


def test_bca_matches_scipy_bootstrap_on_the_same_draws():
    """scipy.stats.bootstrap(method="BCa") on the mean of a skewed sample; its own draws and the
    leave-one-out means as jackknife give the same limits."""
    x = np.random.default_rng(5).lognormal(size=60)
    res = stats.bootstrap(
        (x,), np.mean, n_resamples=4000, method="BCa", confidence_level=0.9, random_state=3
    )
    draws = res.bootstrap_distribution[:, None]
    jack = ((x.sum() - x) / (len(x) - 1))[:, None]
    low, high, _z0, a = bca_interval(draws, np.array([x.mean()]), jack, ci=0.9)
    assert low[0] == pytest.approx(res.confidence_interval.low, rel=1e-12)
    assert high[0] == pytest.approx(res.confidence_interval.high, rel=1e-12)
    assert a[0] > 0.02  # right skew: the interval is pulled up, not the percentile one
    assert high[0] > np.quantile(draws, 0.95)


def test_acceleration_of_the_mean_is_the_skewness_formula():
    """Hand computation: for the mean, d_i = (x_i - xbar)/(n - 1), so
    a = sum (x - xbar)^3 / (6 (sum (x - xbar)^2)^(3/2))."""
    x = np.array([1.0, 2.0, 2.0, 3.0, 7.0, 11.0])
    jack = ((x.sum() - x) / (len(x) - 1))[:, None]
    centred = x - x.mean()
    expected = (centred**3).sum() / (6 * (centred**2).sum() ** 1.5)
    draws = np.array([[2.0], [4.0], [5.0], [9.0]])
    _, _, z0, a = bca_interval(draws, np.array([x.mean()]), jack)
    assert a[0] == pytest.approx(expected, rel=1e-12)
    assert z0[0] == pytest.approx(stats.norm.ppf(2 / 4), abs=1e-12)  # 2 of 4 draws below 13/3


def test_summary_table_has_the_documented_columns():
    table = summarize_draws(np.array([1.0]), np.array([[0.5], [1.5], [1.0]]), index=["x"])
    assert list(table.columns) == [
        "estimate",
        "boot_mean",
        "boot_se",
        "t",
        "p",
        "ci_low",
        "ci_high",
        "bca_low",
        "bca_high",
        "z0",
        "acceleration",
    ]
    assert table.loc["x", "boot_se"] == pytest.approx(0.5)
    assert np.isnan(table.loc["x", "bca_low"])  # no jackknife, no BCa


# ----------------------------------------------------------------------------- draws
def test_same_seed_gives_identical_results_with_one_and_two_workers(mobi):
    one = bootstrap_pls(mobi, MOBI_SIMPLE, n_boot=600, seed=9, n_jobs=1, block_size=100)
    two = bootstrap_pls(mobi, MOBI_SIMPLE, n_boot=600, seed=9, n_jobs=2, block_size=100)
    assert one.n_jobs == 1 and two.n_jobs == 2
    np.testing.assert_array_equal(one.draws, two.draws)
    np.testing.assert_array_equal(one.jackknife, two.jackknife)
    pd.testing.assert_frame_equal(one.table, two.table)
    other = bootstrap_pls(mobi, MOBI_SIMPLE, n_boot=600, seed=10, n_jobs=1, block_size=100)
    assert not np.array_equal(one.draws, other.draws)


def test_a_draw_is_the_estimate_of_the_model_on_that_resample(mobi):
    """Resample 0 drawn by hand from block 0's generator, estimated by estimate_pls: paths,
    weights, loadings, R², adjusted R², HTMT, total effects and f² of the draw."""
    boot = bootstrap_pls(mobi, MOBI_SIMPLE, n_boot=3, seed=4, f_squared=True, bca=False)
    rows = block_generator(4, 0).integers(0, len(mobi), size=len(mobi))
    fit = estimate_pls(mobi.iloc[rows].reset_index(drop=True), MOBI_SIMPLE)
    draw = boot.draws_frame().loc[0]
    expected = dict(fit.vector())
    expected |= {f"adj_r2:{y}": v for y, v in fit.r2["adj_r2"].items()}
    names = list(fit.htmt().index)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            expected[f"htmt:{a}<->{b}"] = fit.htmt().loc[a, b]
    for path, v in fit.paths["estimate"].items():
        expected[f"total:{path}"] = v  # no mediation in this model: total = direct
    for path, v in fit.f_squared()["f2"].items():
        expected[f"f2:{path}"] = v
    assert set(expected) == set(boot.labels)
    for label, value in expected.items():
        assert draw[label] == pytest.approx(value, abs=1e-10), label


def test_fast_path_draws_the_same_resamples_as_the_generic_engine(mobi):
    """bootstrap_rows with fit(rows) = fit_standardized(z[rows]) draws rows; bootstrap_pls works
    from row counts: same seed, same resamples, same estimates (PLSc included)."""
    boot = bootstrap_pls(
        mobi, MOBI_SIMPLE, estimator="plsc", n_boot=300, seed=5, block_size=100, bca=False
    )
    plan = boot.fit.plan
    z = boot.fit.data.standardized()
    generic = bootstrap_rows(
        lambda rows: fit_standardized(z[rows], plan, estimator="plsc").vector(plan),
        len(z),
        plan.vector_labels,
        n_boot=300,
        seed=5,
        block_size=100,
        bca=False,
    )
    k = len(plan.vector_labels)
    assert boot.labels[:k] == plan.vector_labels
    np.testing.assert_allclose(boot.draws[:, :k], generic.draws, rtol=0, atol=1e-10)


def test_mean_replacement_is_applied_once_before_resampling(corp_rep):
    """Resampling the raw rows with -99 codes gives exactly the draws of resampling the data
    completed beforehand."""
    raw = bootstrap_pls(corp_rep, CORP_REP_EXTENDED, missing_codes=[-99], n_boot=200, seed=3)
    spec = specify_model(CORP_REP_EXTENDED)
    completed = prepare_data(corp_rep, spec, missing_codes=[-99]).frame
    assert not completed.isna().any().any()
    done = bootstrap_pls(completed, spec, n_boot=200, seed=3)
    np.testing.assert_array_equal(raw.draws, done.draws)


# ----------------------------------------------------------------------------- effects
def test_total_effect_is_direct_plus_total_indirect_in_every_draw(corp_boot):
    draws = corp_boot.draws_frame()
    paths = set(corp_boot.of("path").index)
    for pair in corp_boot.of("total").index:
        direct = draws[f"path:{pair}"] if pair in paths else 0.0
        indirect = draws.get(f"total_indirect:{pair}", 0.0)
        np.testing.assert_allclose(draws[f"total:{pair}"], direct + indirect, atol=1e-12)
    # and QUAL reaches CUSL only through mediators
    assert "QUAL->CUSL" in corp_boot.of("total").index and "QUAL->CUSL" not in paths


def test_indirect_effects_are_products_of_paths_and_sum_to_the_total_indirect(corp_boot):
    draws = corp_boot.draws_frame()
    chains = list(corp_boot.of("indirect").index)
    # each driver reaches CUSA and CUSL through COMP or LIKE in 3 ways (->CUSA, ->CUSL,
    # ->CUSA->CUSL) each: 4 x 6, plus COMP->CUSA->CUSL and LIKE->CUSA->CUSL
    assert len(chains) == 4 * 6 + 2
    assert "QUAL->LIKE->CUSA->CUSL" in chains
    totals: dict[str, pd.Series] = {}
    for chain in chains:
        nodes = chain.split("->")
        product = np.prod([draws[f"path:{a}->{b}"] for a, b in itertools.pairwise(nodes)], axis=0)
        np.testing.assert_allclose(draws[f"indirect:{chain}"], product, rtol=1e-13)
        pair = f"{nodes[0]}->{nodes[-1]}"
        totals[pair] = totals.get(pair, 0.0) + draws[f"indirect:{chain}"]
    for pair, summed in totals.items():
        np.testing.assert_allclose(draws[f"total_indirect:{pair}"], summed, atol=1e-12)
    assert corp_boot.of("indirect").loc["LIKE->CUSA->CUSL", "ci_low"] > 0  # the primer's mediation


# ----------------------------------------------------------------------------- signs, failures
def test_construct_sign_change_aligns_each_resample_with_the_original_signs():
    """A construct whose items barely relate to the rest flips sign between resamples; the
    construct-level correction negates exactly those resamples' weights, loadings and paths."""
    rng = np.random.default_rng(2)
    n = 120
    a = rng.normal(size=n)
    weak = rng.normal(size=n)
    y = 0.5 * a + rng.normal(size=n)
    data = pd.DataFrame(
        {
            "a1": a + rng.normal(size=n),
            "a2": a + rng.normal(size=n),
            "w1": weak + rng.normal(size=n),
            "w2": -weak + rng.normal(size=n),  # opposite-signed items: loadings sum near 0
            "y1": y + rng.normal(size=n),
            "y2": y + rng.normal(size=n),
        }
    )
    model = "A =~ a1 + a2; W =~ w1 + w2; Y =~ y1 + y2; Y ~ A + W"
    plain = bootstrap_pls(data, model, n_boot=400, seed=8, bca=False)
    fixed = bootstrap_pls(data, model, n_boot=400, seed=8, bca=False, sign_change="construct")
    original = np.sign(plain.fit.outer_loadings.loc[["w1", "w2"], "W"].sum())
    raw = plain.draws_frame()
    flipped = np.sign(raw["loading:W:w1"] + raw["loading:W:w2"]) != original
    assert 0 < flipped.sum() < len(raw)  # the indeterminacy this option is for
    corrected = fixed.draws_frame()
    s = np.where(flipped, -1.0, 1.0)
    for label in ("weight:W:w1", "loading:W:w2", "path:W->Y"):
        np.testing.assert_allclose(corrected[label], s * raw[label], atol=1e-14)
    np.testing.assert_array_equal(corrected["path:A->Y"], raw["path:A->Y"])
    np.testing.assert_array_equal(corrected["r2:Y"], raw["r2:Y"])
    assert any("sign correction" in w for w in fixed.warnings)


def test_failed_resamples_are_counted_dropped_and_reported():
    """An item answered 1 by a single respondent is constant in about (19/20)^20 = 36% of the
    resamples: those fail, are dropped and reported, never silently used."""
    rng = np.random.default_rng(4)
    n = 20
    x = rng.normal(size=n)
    data = pd.DataFrame(
        {
            "a1": x + rng.normal(size=n),
            "a2": x + rng.normal(size=n),
            "rare": np.r_[np.zeros(n - 1), 1.0],
            "y1": x + rng.normal(size=n),
        }
    )
    boot = bootstrap_pls(data, "A =~ a1 + a2 + rare; Y =~ y1; Y ~ A", n_boot=500, seed=1)
    failed = boot.failures["constant item in the resample"]
    assert boot.n_failed == failed and 120 < failed < 240  # binomial(500, 0.358): 179 +- 32
    assert len(boot.draws) == 500 - failed == len(boot.resamples)
    assert np.isfinite(boot.draws).all()
    assert any(f"{failed} of 500 bootstrap resamples failed" in w for w in boot.warnings)
    assert boot.to_dict()["bootstrap"]["n_failed"] == failed


def test_non_converged_resamples_are_failures_with_their_reason(mobi):
    with pytest.warns(UserWarning, match="did not converge"):
        boot = bootstrap_pls(mobi, MOBI_SIMPLE, n_boot=50, seed=2, max_iter=2, bca=False)
    assert boot.failures == {"did not converge": 50}
    assert len(boot.draws) == 0 and np.isnan(boot.table["boot_se"]).all()
    assert any("Fewer than two resamples succeeded" in w for w in boot.warnings)


def test_singular_resamples_fail_alone_and_undefined_estimates_fail_none():
    """Four respondents, three predictors: adjusted R² is undefined (n - k - 1 = 0) on every
    sample and is reported as NaN without failing any resample; resamples with repeated rows
    have singular predictor correlations and fail one by one (the rest of their block is kept)."""
    data = pd.DataFrame(np.random.default_rng(0).normal(size=(4, 4)), columns=list("abcy"))
    boot = bootstrap_pls(data, "A =~ a; B =~ b; C =~ c; Y =~ y; Y ~ A + B + C", n_boot=200)
    assert np.isnan(boot.table.loc["adj_r2:Y", "estimate"])
    assert set(boot.failures) <= {"singular matrix", "constant item in the resample"}
    assert boot.failures["singular matrix"] > 0
    assert len(boot.draws) == 200 - boot.n_failed > 100
    assert np.isfinite(boot.draws_frame()["path:A->Y"]).all()


def test_generic_engine_counts_the_reasons_its_fit_gives():
    x = np.random.default_rng(3).normal(size=30)

    def fit(rows: np.ndarray) -> np.ndarray:
        if np.bincount(rows, minlength=30)[0] >= 2:
            raise ResampleFailure("row 0 drawn twice")
        return np.array([x[rows].mean(), x[rows].std()])

    boot = bootstrap_rows(fit, 30, ["mean", "sd"], n_boot=400, seed=6, n_jobs=2)
    # P(row 0 drawn >= 2 times) = 1 - (29/30)^30 - (29/30)^29 = 0.26
    assert 60 < boot.failures["row 0 drawn twice"] < 150
    assert len(boot.draws) == 400 - boot.n_failed
    assert boot.jackknife is not None and boot.jackknife.shape == (30, 2)
    assert boot.table.loc["mean", "estimate"] == pytest.approx(x.mean())


def test_a_model_that_cannot_be_estimated_on_the_full_sample_is_an_input_error():
    with pytest.raises(InputError):
        bootstrap_rows(lambda rows: np.array([np.nan]), 10, ["x"], n_boot=10)


# ----------------------------------------------------------------------------- output
def test_results_serialize_in_the_results_json_layout(corp_boot):
    out = corp_boot.to_dict()
    path = out["paths"]["LIKE->CUSL"]
    assert {"estimate", "boot_se", "t", "p", "ci_low", "ci_high", "f2"} <= set(path)
    assert path["f2"] == pytest.approx(corp_boot.fit.f_squared().loc["LIKE->CUSL", "f2"])
    assert {"estimate", "boot_se", "ci_low", "ci_high"} <= set(out["total_effects"]["QUAL->CUSL"])
    assert "QUAL->LIKE->CUSL" in out["indirect"]
    assert set(out["r2"]["CUSL"]) >= {"r2", "adj_r2", "ci_low", "ci_high"}
    assert set(out["loadings_ci"]["COMP"]["comp_1"]) >= {"boot_se", "ci_low", "ci_high"}
    assert set(out["weights_ci"]["QUAL"]) == {f"qual_{i}" for i in range(1, 9)}
    assert set(out["htmt"]["COMP"]["LIKE"]) >= {"estimate", "ci_low", "ci_high"}
    assert out["bootstrap"]["n_boot"] == 2000 and out["bootstrap"]["seed"] == 7
    assert "Specific indirect effects" in corp_boot.summary()
    assert "<table" in corp_boot._repr_html_()


def test_htmt_test_uses_the_one_sided_upper_percentile_bound(mobi_boot):
    test = mobi_boot.htmt_test(0.90)
    draws = mobi_boot.draws_frame()["htmt:Image<->Expectation"]
    assert test.loc["Image<->Expectation", "upper"] == pytest.approx(np.quantile(draws, 0.95))
    # seminr's upper 97.5% bound for Image-Expectation is 1.12: not established at 0.90
    assert not test.loc["Image<->Expectation", "below"]
    assert test.loc["Image<->Value", "below"]


@pytest.mark.parametrize(
    ("option", "match"),
    [
        ({"sign_change": "individual"}, "sign_change"),
        ({"n_boot": 1}, "n_boot"),
        ({"ci": 95}, "ci"),
        ({"n_jobs": 0}, "n_jobs"),
        ({"block_size": 0}, "block_size"),
    ],
)
def test_bad_options_raise_value_errors_naming_the_option(mobi, option, match):
    with pytest.raises(ValueError, match=match):
        bootstrap_pls(mobi, MOBI_SIMPLE, **option)
