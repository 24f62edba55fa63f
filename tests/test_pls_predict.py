"""workbench.pls.predict (PLSpredict, CVPAT) against R seminr's fixtures and the definitions.

Reference: R seminr's ``tests/testthat/test-plspredict.R`` (https://github.com/sem-in-r/seminr,
GPL-3; numbers only) runs ``predict_pls`` with leave-one-out cross-validation (``noFolds =
344``: no random fold assignment, so the numbers are reproducible) on the extended
corporate-reputation model, with ``predict_DA`` and ``predict_EA``, and writes ``summary()``'s
in-sample and out-of-sample RMSE and MAE of PLS and the LM benchmark for the 10 endogenous
indicators to ``tests/fixtures/V_3_6_0/predict_pls_DA.csv`` and ``predict_pls_EA.csv`` (80
values each, 10 significant digits). seminr cross-validates the data its model was estimated
on, i.e. after mean replacement of the 11 missing cells on the full sample, so the tests pass
the data completed beforehand (our folds then have nothing left to replace). seminr's LM
benchmark regresses on the direct antecedents' indicators under ``predict_DA`` and on the
exogenous indicators under ``predict_EA``: ``lm_predictors`` defaults follow that. Tolerance:
seminr's own, relative 1e-5; the agreement is ~1e-9, the fixtures' rounding.

The rest is tested by definition: a fold's predictions computed by hand from ``estimate_pls``
on its training rows; the LM benchmark against statsmodels OLS out of sample; Q²predict of a
perfect predictor; no leakage (changing only a test fold's values leaves that fold's training
estimates untouched); CVPAT's paired t test against ``scipy.stats.ttest_rel``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from helpers import CORP_REP_EXTENDED
from scipy import stats

from workbench.errors import InputError
from workbench.pls import (
    PLSPredictResult,
    cvpat,
    estimate_pls,
    predict_pls,
    prepare_data,
    specify_model,
)

ITEMS = ["comp_1", "comp_2", "comp_3", "like_1", "like_2", "like_3", "cusa"]
ITEMS += ["cusl_1", "cusl_2", "cusl_3"]
# rows of predict_pls_{DA,EA}.csv: summary()'s PLS_in_sample (RMSE, MAE), PLS_out_of_sample,
# LM_in_sample, LM_out_of_sample
ROWS = [
    ("in_sample", "pls_rmse"),
    ("in_sample", "pls_mae"),
    ("items", "pls_rmse"),
    ("items", "pls_mae"),
    ("in_sample", "lm_rmse"),
    ("in_sample", "lm_mae"),
    ("items", "lm_rmse"),
    ("items", "lm_mae"),
]
SEMINR_DA = [
    [1.024558046, 1.082507361, 1.113693063, 1.104014267, 1.455030201, 1.481593799, 0.986220324,
     1.18170055, 1.226588408, 1.300663427],
    [0.785395306, 0.869034799, 0.882124322, 0.839346054, 1.129228924, 1.148795143, 0.769856946,
     0.874755628, 0.909561704, 0.948828571],
    [1.043629329, 1.100141058, 1.135192128, 1.127177512, 1.482142812, 1.50935676, 0.997149111,
     1.19248628, 1.239661768, 1.312412929],
    [0.798866334, 0.882640252, 0.897727264, 0.855954129, 1.149073617, 1.170249599, 0.777705619,
     0.882046273, 0.918901808, 0.957244219],
    [0.975397672, 1.031747761, 1.039924676, 1.04971879, 1.415863271, 1.448800778, 0.966928687,
     1.163946466, 1.217962781, 1.294096338],
    [0.749439197, 0.811726053, 0.802535036, 0.810125601, 1.093721783, 1.141433888, 0.759072512,
     0.859800397, 0.902431329, 0.940849357],
    [1.063798384, 1.110136012, 1.127114471, 1.148741709, 1.542315591, 1.578073907, 0.991382503,
     1.204255763, 1.254514491, 1.3328256],
    [0.809836945, 0.871951261, 0.86561048, 0.876255232, 1.181077897, 1.232912983, 0.776804863,
     0.884958157, 0.927361162, 0.966591783],
]  # fmt: skip
SEMINR_EA = [
    [1.024558046, 1.082507361, 1.113693063, 1.104014267, 1.455030201, 1.481593799, 1.012468644,
     1.290764523, 1.510267316, 1.519256057],
    [0.785395306, 0.869034799, 0.882124322, 0.839346054, 1.129228924, 1.148795143, 0.784175974,
     0.981325393, 1.164176625, 1.145429793],
    [1.043629329, 1.100141058, 1.135192128, 1.127177512, 1.482142812, 1.50935676, 1.021209189,
     1.299571562, 1.52249223, 1.530234281],
    [0.798866334, 0.882640252, 0.897727264, 0.855954129, 1.149073617, 1.170249599, 0.790656327,
     0.988709765, 1.174357176, 1.154882281],
    [0.975397672, 1.031747761, 1.039924676, 1.04971879, 1.415863271, 1.448800778, 0.938437077,
     1.20564562, 1.413198354, 1.439803265],
    [0.749439197, 0.811726053, 0.802535036, 0.810125601, 1.093721783, 1.141433888, 0.735394316,
     0.888660332, 1.076511326, 1.085770646],
    [1.063798384, 1.110136012, 1.127114471, 1.148741709, 1.542315591, 1.578073907, 1.013235773,
     1.30369479, 1.532354411, 1.559504791],
    [0.809836945, 0.871951261, 0.86561048, 0.876255232, 1.181077897, 1.232912983, 0.791151509,
     0.95709193, 1.16086431, 1.1701509],
]  # fmt: skip

TINY = "X =~ x1 + x2; M =~ m1 + m2; Y =~ y1 + y2; M ~ X; Y ~ X + M"


@pytest.fixture(scope="module")
def completed(corp_rep) -> pd.DataFrame:
    """corp_rep after seminr's full-sample mean replacement (what seminr cross-validates)."""
    spec = specify_model(CORP_REP_EXTENDED)
    return prepare_data(corp_rep, spec, missing_codes=[-99]).frame


@pytest.fixture(scope="module")
def tiny() -> pd.DataFrame:
    """40 respondents, X -> M -> Y and X -> Y, three missing answers."""
    rng = np.random.default_rng(15)
    n = 40
    x = rng.normal(size=n)
    m = 0.6 * x + rng.normal(scale=0.8, size=n)
    y = 0.3 * x + 0.5 * m + rng.normal(scale=0.7, size=n)
    data = pd.DataFrame(
        {
            name: 4 + latent + rng.normal(scale=0.6, size=n)
            for name, latent in (("x1", x), ("x2", x), ("m1", m), ("m2", m), ("y1", y), ("y2", y))
        },
        index=[f"r{i}" for i in range(n)],
    )
    data.iloc[3, 0] = np.nan  # x1: a predictor
    data.iloc[7, 3] = np.nan  # m2: a predicted item that is also a DA predictor
    data.iloc[11, 4] = np.nan  # y1: a predicted item
    return data


@pytest.fixture(scope="module")
def corp_predict(corp_rep) -> PLSPredictResult:
    return predict_pls(corp_rep, CORP_REP_EXTENDED, missing_codes=[-99], seed=11)


# ----------------------------------------------------------------------------- seminr
@pytest.mark.parametrize(("technique", "expected"), [("DA", SEMINR_DA), ("EA", SEMINR_EA)])
def test_leave_one_out_matches_seminr_predict_pls(completed, technique, expected):
    result = predict_pls(completed, CORP_REP_EXTENDED, technique=technique, n_folds=None)
    assert result.n_folds == 344 and result.n_reps == 1
    assert list(result.items.index) == ITEMS
    worst = 0.0
    for (table, column), want in zip(ROWS, expected, strict=True):
        got = getattr(result, table)[column].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-5, err_msg=f"{table} {column}")
        worst = max(worst, float(np.max(np.abs(got / np.array(want) - 1))))
    assert worst < 1e-8  # the fixtures print 10 significant digits


# ----------------------------------------------------------------------------- definitions
def by_hand(data: pd.DataFrame, folds: np.ndarray, technique: str) -> pd.DataFrame:
    """Out-of-sample item predictions of one repetition, fold by fold, from estimate_pls on the
    training rows (mean replacement and standardization from the training rows only)."""
    out = pd.DataFrame(np.nan, index=data.index, columns=["m1", "m2", "y1", "y2"])
    for f in np.unique(folds):
        train, test = data[folds != f], data[folds == f]
        fit = estimate_pls(train, TINY)
        filled = train.fillna(train.mean())
        mean, sd = filled.mean(), filled.std(ddof=1)
        z = (test.fillna(train.mean()) - mean) / sd
        scores = z @ fit.outer_weights
        B = fit.path_matrix()
        m_hat = scores["X"] * B.loc["X", "M"]
        if technique == "EA":
            y_hat = scores["X"] * B.loc["X", "Y"] + m_hat * B.loc["M", "Y"]
        else:  # DA: from the test rows' own M scores
            y_hat = scores["X"] * B.loc["X", "Y"] + scores["M"] * B.loc["M", "Y"]
        for item, construct_hat, construct in (
            ("m1", m_hat, "M"),
            ("m2", m_hat, "M"),
            ("y1", y_hat, "Y"),
            ("y2", y_hat, "Y"),
        ):
            loading = fit.outer_loadings.loc[item, construct]
            out.loc[test.index, item] = construct_hat * loading * sd[item] + mean[item]
    return out


@pytest.mark.parametrize("technique", ["EA", "DA"])
def test_fold_predictions_equal_a_hand_computation(tiny, technique):
    result = predict_pls(tiny, TINY, technique=technique, n_folds=4, n_reps=1, seed=3)
    expected = by_hand(tiny, result.folds[0], technique)
    pd.testing.assert_frame_equal(result.pls, expected, rtol=1e-10, atol=1e-10)
    assert sorted(np.bincount(result.folds[0]).tolist()) == [10, 10, 10, 10]


@pytest.mark.parametrize("lm_predictors", ["exogenous", "antecedents"])
def test_lm_benchmark_equals_statsmodels_ols_out_of_sample(tiny, lm_predictors):
    result = predict_pls(tiny, TINY, n_folds=5, n_reps=1, seed=4, lm_predictors=lm_predictors)
    folds = result.folds[0]
    predictors = {"M": ["x1", "x2"], "Y": ["x1", "x2"]}
    if lm_predictors == "antecedents":
        predictors["Y"] = ["x1", "x2", "m1", "m2"]
    for f in range(5):
        train, test = tiny[folds != f], tiny[folds == f]
        train_filled, test_filled = train.fillna(train.mean()), test.fillna(train.mean())
        for item in ("m1", "m2", "y1", "y2"):
            cols = predictors[item[0].upper()]
            ols = sm.OLS(train_filled[item], sm.add_constant(train_filled[cols])).fit()
            expected = ols.predict(sm.add_constant(test_filled[cols], has_constant="add"))
            np.testing.assert_allclose(result.lm.loc[test.index, item], expected, rtol=1e-10)


def test_q2_predict_of_a_perfect_predictor_is_one():
    """Y's items are an exact linear function of X's items; a Mode B X finds that function."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(80, 2))
    y = 2.0 + x @ np.array([0.7, -0.4])
    data = pd.DataFrame({"x1": x[:, 0], "x2": x[:, 1], "y1": y, "y2": 3.0 * y - 1.0})
    result = predict_pls(data, "X <~ x1 + x2; Y =~ y1 + y2; Y ~ X", n_folds=5, n_reps=2)
    np.testing.assert_allclose(result.items["q2_predict"], 1.0, atol=1e-12)
    np.testing.assert_allclose(result.items["pls_rmse"], 0.0, atol=1e-12)
    assert result.constructs.loc["Y", "q2_predict"] == pytest.approx(1.0, abs=1e-12)


def test_no_leakage_changing_a_test_fold_leaves_its_training_estimates_unchanged(tiny):
    first = predict_pls(tiny, TINY, n_folds=4, n_reps=2, seed=9)
    test_rows = first.fold_fits[0].test_rows
    assert first.fold_fits[0].rep == 0 and first.fold_fits[0].fold == 0
    changed = tiny.copy()
    changed.iloc[test_rows] = changed.iloc[test_rows] * 3.0 + 10.0  # new means, SDs, relations
    changed.iloc[test_rows[0], 2] = np.nan  # and a new missing answer
    second = predict_pls(changed, TINY, n_folds=4, n_reps=2, seed=9)
    np.testing.assert_array_equal(first.folds, second.folds)
    a, b = first.fold_fits[0], second.fold_fits[0]
    for field in ("mean", "sd", "weights", "loadings", "path_matrix"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field), err_msg=field)
    assert set(a.lm_coefficients) == {"M", "Y"}
    for construct in a.lm_coefficients:
        np.testing.assert_array_equal(a.lm_coefficients[construct], b.lm_coefficients[construct])
    # ... while another fold, whose training rows include the changed ones, does move
    assert not np.array_equal(first.fold_fits[1].weights, second.fold_fits[1].weights)


def test_the_naive_benchmark_is_the_training_mean_of_the_fold_that_held_the_row_out(tiny):
    result = predict_pls(tiny, TINY, n_folds=4, n_reps=1, seed=2)
    for fold_fit in result.fold_fits:
        rows = tiny.index[fold_fit.test_rows]
        training = tiny.drop(index=rows)
        np.testing.assert_allclose(
            result.ia.loc[rows].to_numpy(),
            np.broadcast_to(training[["m1", "m2", "y1", "y2"]].mean().to_numpy(), (len(rows), 4)),
            rtol=1e-14,
        )


def test_metrics_and_q2_are_computed_from_the_stored_predictions(corp_predict):
    actual, pls, lm, ia = corp_predict.actual, corp_predict.pls, corp_predict.lm, corp_predict.ia
    items = corp_predict.items
    np.testing.assert_allclose(items["pls_rmse"], np.sqrt(((actual - pls) ** 2).mean()))
    np.testing.assert_allclose(items["lm_mae"], (actual - lm).abs().mean())
    q2 = 1 - ((actual - pls) ** 2).sum() / ((actual - ia) ** 2).sum()
    np.testing.assert_allclose(items["q2_predict"], q2)
    # the 11 missing answers (cusa, cusl_1-3) are not scored
    assert items["n"].to_dict() == {
        **dict.fromkeys(ITEMS[:6], 344),
        "cusa": 343,
        "cusl_1": 341,
        "cusl_2": 340,
        "cusl_3": 341,
    }


def test_repetitions_are_seeded_and_predict_every_row_once_per_repetition(tiny):
    a = predict_pls(tiny, TINY, n_folds=5, n_reps=3, seed=21)
    b = predict_pls(tiny, TINY, n_folds=5, n_reps=3, seed=21)
    c = predict_pls(tiny, TINY, n_folds=5, n_reps=3, seed=22)
    pd.testing.assert_frame_equal(a.pls, b.pls)
    assert not np.array_equal(a.folds, c.folds)
    assert a.folds.shape == (3, 40)
    for rep in a.folds:
        assert np.bincount(rep).tolist() == [8, 8, 8, 8, 8]
    # the averaged prediction is the mean of the three repetitions' predictions
    singles = []
    for rep in range(3):
        one = pd.DataFrame(np.nan, index=tiny.index, columns=a.pls.columns)
        for ff in a.fold_fits[rep * 5 : rep * 5 + 5]:
            test = tiny.index[ff.test_rows]
            single = by_hand(tiny, a.folds[rep], "EA")
            one.loc[test] = single.loc[test]
        singles.append(one)
    np.testing.assert_allclose(a.pls, sum(singles) / 3, rtol=1e-10)


def test_predictive_power_follows_shmueli_et_al_2019(corp_predict):
    items, constructs = corp_predict.items, corp_predict.constructs
    for name, row in constructs.iterrows():
        mine = items[items["construct"] == name]
        better = int((mine["pls_rmse"] < mine["lm_rmse"]).sum())
        assert row["items_pls_better"] == better
        assert row["q2_all_positive"] == bool((mine["q2_predict"] > 0).all())
        expected = (
            "none"
            if not row["q2_all_positive"] or better == 0
            else "high"
            if better == len(mine)
            else "medium"
            if 2 * better >= len(mine)
            else "low"
        )
        assert row["predictive_power"] == expected, name
    assert set(constructs.index) == {"COMP", "LIKE", "CUSA", "CUSL"}


# ----------------------------------------------------------------------------- CVPAT
@pytest.mark.parametrize("alternative", ["two-sided", "greater"])
def test_cvpat_is_the_paired_t_test_of_the_losses(corp_predict, alternative):
    result = cvpat(corp_predict, alternative=alternative, n_boot=500, seed=1)
    table = result.table.set_index(["benchmark", "construct"])
    errors_pls = corp_predict.actual - corp_predict.pls
    for bench, frame in (("IA", corp_predict.ia), ("LM", corp_predict.lm)):
        errors_bench = corp_predict.actual - frame
        for construct in ["CUSL", "overall"]:
            cols = (
                list(errors_pls.columns)
                if construct == "overall"
                else [c for c in errors_pls.columns if c.startswith("cusl")]
            )
            loss_pls = (errors_pls[cols] ** 2).mean(axis=1)
            loss_bench = (errors_bench[cols] ** 2).mean(axis=1)
            expected = stats.ttest_rel(loss_bench, loss_pls, alternative=alternative)
            row = table.loc[(bench, construct)]
            assert row["t"] == pytest.approx(expected.statistic, rel=1e-12)
            assert row["p"] == pytest.approx(expected.pvalue, rel=1e-10)
            assert row["diff"] == pytest.approx((loss_bench - loss_pls).mean(), rel=1e-12)
            assert row["n"] == 344 and row["df"] == 343


def test_cvpat_bootstrap_se_agrees_with_the_analytic_se(corp_predict):
    """The bootstrap SD of a mean of 344 differences estimates s/sqrt(n): with 4,000 resamples
    its relative Monte-Carlo SE is about 1/sqrt(2 x 4000) = 1.1% (heavier tails: ~2%); 10%."""
    table = corp_predict.cvpat(n_boot=4000, seed=5).table
    np.testing.assert_allclose(table["boot_t"], table["t"], rtol=0.10)
    ia = table[table["benchmark"] == "IA"]
    assert ia["pls_better"].all()  # PLS beats the indicator averages for every construct


def test_results_serialize_with_the_results_json_keys(corp_predict):
    out = corp_predict.to_dict()
    assert set(out["predict"]) == set(ITEMS)
    assert set(out["predict"]["cusa"]) == {"pls_rmse", "pls_mae", "lm_rmse", "lm_mae", "q2_predict"}
    assert out["predict_constructs"]["CUSL"]["predictive_power"] in {
        "high",
        "medium",
        "low",
        "none",
    }
    assert out["predict_settings"] == {
        "technique": "EA",
        "lm_predictors": "exogenous",
        "n_folds": 10,
        "n_reps": 10,
        "seed": 11,
        "n": 344,
    }
    assert any("training folds' item means" in w for w in out["warnings"])
    cv = corp_predict.cvpat(n_boot=100).to_dict()
    assert set(cv["cvpat"]) == {"IA", "LM"} and "overall" in cv["cvpat"]["LM"]
    assert "PLSpredict (EA, 10 folds x 10 repetitions" in corp_predict.summary()


def test_listwise_drops_incomplete_respondents_before_the_folds(tiny):
    result = predict_pls(tiny, TINY, missing="listwise", n_folds=3, n_reps=1)
    assert len(result.actual) == 37 and not result.actual.isna().any().any()
    assert "r3" not in result.pls.index


@pytest.mark.parametrize(
    ("option", "error", "match"),
    [
        ({"estimator": "plsc"}, ValueError, "estimator"),
        ({"technique": "XA"}, ValueError, "technique"),
        ({"n_folds": 1}, ValueError, "n_folds"),
        ({"n_reps": 0}, ValueError, "n_reps"),
        ({"lm_predictors": "all"}, ValueError, "lm_predictors"),
        ({"n_folds": 41}, InputError, "exceeds the 40 respondents"),
    ],
)
def test_bad_options_are_refused_naming_the_option(tiny, option, error, match):
    with pytest.raises(error, match=match):
        predict_pls(tiny, TINY, **option)
