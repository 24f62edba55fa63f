"""Continuous items beside ordered ones under WLSMV, against lavaan 0.6.

Reference: tests/reference/lavaan_wlsmv_mixed.R (values in lavaan_wlsmv_mixed.json): the
Holzinger-Swineford items cut into 3 (``mix1``) or 5 (``mix2``) categories with some items
kept continuous, fitted by ``cfa(model, data, ordered = <the cut items>, estimator = ...)``.
lavaan's optimizer stops on a relative change of the objective, so its default fits sit up
to ~1e-6 from the minimum; the tight refits (``*_converged``: BFGS, reltol 1e-16) are the
main references, and the default fits are checked at the issue's tolerances.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import HS_CONSTRUCTS

from workbench.errors import InputError
from workbench.sem.ordinal import fit_ordinal_cfa
from workbench.sem.ordinal_stats import ordinal_sample_statistics

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests/reference/lavaan_wlsmv_mixed.json").read_text())
CUT = pd.read_csv(ROOT / "tests/reference/lavaan_wlsmv_hs_cut.csv")
HS = pd.read_csv(ROOT / "data/holzinger_swineford_1939.csv")
ITEMS = [f"x{i}" for i in range(1, 10)]


def mixed_data(name: str) -> tuple[pd.DataFrame, list[str]]:
    """The cut items with the reference's continuous items put back; the ordered items."""
    cats = REF["categories"][name]
    data = CUT[CUT["categories"] == cats][ITEMS].reset_index(drop=True)
    for item in REF["continuous"][name]:
        data[item] = HS[item].to_numpy()
    return data, [it for it in ITEMS if it not in REF["continuous"][name]]


def fit_like(case: str):
    ref = REF[case]
    data, ordered = mixed_data(ref["data"])
    args = ref["args"]
    return (
        fit_ordinal_cfa(
            data,
            HS_CONSTRUCTS,
            ordered=ordered,
            estimator=args["estimator"],
            std_lv=bool(args.get("std.lv", False)),
        ),
        ref,
    )


def merged(res, ref) -> pd.DataFrame:
    lav = pd.DataFrame(ref["estimates"])
    lav["rhs"] = lav["rhs"].fillna("")
    out = res.estimates.merge(lav, on=["lhs", "op", "rhs"], how="outer", indicator=True)
    assert (out["_merge"] == "both").all(), out[out["_merge"] != "both"][["lhs", "op", "rhs"]]
    return out


@pytest.mark.parametrize("name", ["mix1", "mix2"])
def test_mixed_sample_statistics_and_gamma_equal_lavaans_wls_obs_and_nacov(name: str):
    data, _ = mixed_data(name)
    continuous = REF["continuous"][name]
    st = ordinal_sample_statistics(data, ITEMS, continuous=continuous)
    ref = REF[name]
    # order and naming as lavaan's WLS.obs: thresholds and "x~1" per item, variances, pairs
    assert list(st.statistics.index) == ref["wls_obs_names"]
    np.testing.assert_allclose(st.statistics.to_numpy(), ref["wls_obs"], rtol=0, atol=1e-6)
    gamma = np.array(ref["gamma"])
    assert st.gamma is not None
    assert list(st.gamma.index) == ref["gamma_names"]
    # relative to Gamma's largest element (lavaan's polyserial optimizer stops ~1e-7 early)
    scale = np.abs(gamma).max()
    assert np.abs(st.gamma.to_numpy() - gamma).max() / scale < 1e-6
    # the continuous items: ML means and variances (divisor N), lavaan's sampstat
    for item in continuous:
        assert st.means is not None and st.variances is not None
        assert st.means[item] == pytest.approx(ref["mean"][item], abs=1e-9)
        k = ITEMS.index(item)
        assert st.variances[item] == pytest.approx(ref["cov"][k][k], rel=1e-9)
    # correlations: polyserial with ordered items, Pearson between continuous ones
    cov = np.array(ref["cov"])
    sd = np.sqrt(np.where(np.isin(ITEMS, continuous), np.diag(cov), 1.0))
    np.testing.assert_allclose(st.polychoric.to_numpy(), cov / np.outer(sd, sd), atol=1e-6)


@pytest.mark.parametrize(
    "case", ["mix1_converged", "mix2_converged", "mix1_std_lv_converged", "mix1", "mix2"]
)
def test_mixed_wlsmv_cfa_matches_lavaan_estimates_ses_and_standardized(case: str):
    res, ref = fit_like(case)
    m = merged(res, ref)
    tight = case.endswith("_converged")
    tol = 1e-6 if tight else 1e-4
    free = m["free"].to_numpy(bool)
    np.testing.assert_allclose(m["estimate"], m["est"], rtol=tol, atol=tol)
    np.testing.assert_allclose(m["std_all_x"], m["std_all_y"], rtol=tol, atol=tol)
    # standard errors of the free parameters (lavaan writes 0 for fixed ones, we NaN)
    np.testing.assert_allclose(m["se_x"][free], m["se_y"][free], rtol=tol, atol=tol)
    assert m["se_x"][~free].isna().all() and (m["se_y"][~free] == 0).all()
    # the continuous items carry free intercepts and residual variances, no scale factor
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    for item in REF["continuous"][ref["data"]]:
        assert est.loc[(item, "~1", ""), "free"]
        assert est.loc[(item, "~~", item), "free"]
        assert (item, "~*~", item) not in est.index


@pytest.mark.parametrize("case", ["mix1_converged", "mix1", "mix2", "mix1_dwls", "mix1_ulsmv"])
def test_mixed_fit_measures_match_lavaan_with_robust_indices_not_available(case: str):
    res, ref = fit_like(case)
    lav = ref["fit"]
    checked = 0
    for key, value in res.fit.items():
        if key not in lav or isinstance(value, bool):
            continue
        theirs = lav[key]
        if theirs is None:  # lavaan: NA (robust CFI/TLI/RMSEA with continuous items)
            assert value is None or math.isnan(value), key
            continue
        if key in ("df", "npar", "ntotal", "baseline.df"):
            assert value == theirs, key
        elif "chisq" in key and "scaling" not in key:
            assert value == pytest.approx(theirs, rel=1e-3), key
        else:
            assert value == pytest.approx(theirs, rel=1e-4, abs=1e-4), key
        checked += 1
    assert checked >= 30  # DWLS reports no scaled columns
    if "cfi.robust" in lav:  # lavaan has no robust indices with continuous items: NA
        assert lav["cfi.robust"] is None and math.isnan(res.fit["cfi.robust"])


def test_mixed_wlsmv_shares_its_estimates_with_dwls_and_only_ses_differ():
    wlsmv, _ = fit_like("mix1")
    dwls, _ = fit_like("mix1_dwls")
    np.testing.assert_allclose(
        wlsmv.estimates["estimate"], dwls.estimates["estimate"], rtol=1e-8, atol=1e-10
    )
    free = wlsmv.estimates["free"].to_numpy()
    assert not np.allclose(wlsmv.estimates["se"][free], dwls.estimates["se"][free], rtol=1e-3)


def test_a_continuous_item_that_is_text_is_refused_naming_it():
    data, _ = mixed_data("mix1")
    data["x3"] = data["x3"].astype(str)
    with pytest.raises(InputError, match="must hold numbers") as err:
        ordinal_sample_statistics(data, ITEMS, continuous=["x3", "x6", "x9"])
    assert err.value.column == "x3"


def test_a_constant_continuous_item_is_refused_naming_it():
    data, _ = mixed_data("mix1")
    data["x6"] = 4.0
    with pytest.raises(InputError, match="no variance") as err:
        ordinal_sample_statistics(data, ITEMS, continuous=["x3", "x6", "x9"])
    assert err.value.column == "x6"


def test_all_items_continuous_is_refused_pointing_to_ml():
    data, _ = mixed_data("mix1")
    with pytest.raises(InputError, match="Every item is continuous") as err:
        ordinal_sample_statistics(data, ["x3", "x6"], continuous=["x3", "x6"])
    assert "estimator=ml" in (err.value.hint or "")


def test_missing_answers_on_a_continuous_item_drop_the_respondent_listwise():
    data, _ = mixed_data("mix1")
    data.loc[[0, 5], "x3"] = np.nan
    st = ordinal_sample_statistics(data, ITEMS, continuous=["x3", "x6", "x9"], gamma=False)
    assert (st.n, st.n_dropped) == (299, 2)
    assert any("listwise" in w for w in st.warnings)


@pytest.mark.parametrize("case", ["mix1", "mix2"])
def test_mixed_modification_indices_match_lavaan(case: str):
    from workbench.sem.ordinal_modindices import ordinal_modification_indices

    res, ref = fit_like(case)
    ours = ordinal_modification_indices(res, top=None)
    lav = pd.DataFrame(ref["modindices"])
    m = ours.merge(lav, on=["lhs", "op", "rhs"], how="outer", indicator=True)
    assert (m["_merge"] == "both").all()  # the same candidates
    # lavaan's default fit stops ~1e-6 short of the minimum; its indices move with it
    for col in ("mi", "epc", "sepc_all"):
        np.testing.assert_allclose(m[f"{col}_x"], m[f"{col}_y"], rtol=1e-4, atol=1e-4)
    assert list(ours["mi"]) == sorted(ours["mi"], reverse=True)


# --------------------------------------------------------------------------- in the study
@pytest.fixture(scope="module")
def hs_mixed_study(tmp_path_factory):
    """The factor-analysis study on HS with six items cut into 3 categories (lavaan's mix1):
    the codebook has no answer scale, so ordered=auto orders the items with at most 7
    categories and leaves x3, x6 and x9 continuous."""
    from workbench.intake.data import load_survey
    from workbench.studies.factor_analysis import analyse

    data, _ = mixed_data("mix1")
    folder = tmp_path_factory.mktemp("hs_mixed")
    frame = HS.copy()
    frame[ITEMS] = data[ITEMS].to_numpy()
    frame.to_csv(folder / "hs_mixed.csv", index=False)
    survey = load_survey(
        folder / "hs_mixed.csv", ROOT / "data/holzinger_swineford_1939.codebook.yaml"
    )
    return analyse(survey, estimator="wlsmv", missing="listwise", pa_iterations=10)


def test_auto_leaves_many_valued_items_continuous_and_the_study_cfa_is_lavaans(hs_mixed_study):
    s = hs_mixed_study
    result = s.cfa.result
    assert result.sample_stats.continuous == ("x3", "x6", "x9")
    table = s.item_categories
    assert list(table.index[~table["ordered"]]) == ["x3", "x6", "x9"]
    m = merged(result, REF["mix1"])
    np.testing.assert_allclose(m["estimate"], m["est"], rtol=1e-4, atol=1e-4)
    free = m["free"].to_numpy(bool)
    np.testing.assert_allclose(m["se_x"][free], m["se_y"][free], rtol=1e-4, atol=1e-4)
    # robust indices are not defined with continuous items: the verdict reads the scaled ones
    assert s.cfa.fit_basis == "scaled"
    assert s.cfa.fit["cfi"] == pytest.approx(REF["mix1"]["fit"]["cfi.scaled"], abs=1e-4)
    note = s.estimator_note
    assert "(x3, x6, x9) are treated as continuous" in note
    # ordinal alpha and categorical omega need every item of the construct ordered
    rel = s.ordinal_reliability
    assert rel is not None and rel.isna().all(axis=None)
    assert s.results()["cfa"]["continuous_items"] == ["x3", "x6", "x9"]
    against_ml = next(f for f in s.findings if f.startswith("Against ML on the same 301"))
    assert "treating 6 of the 9 items as ordered (the others stay continuous)" in against_ml
    from workbench import i18n

    with i18n.language("zh"):
        assert "将 9 个题项中的 6 个按有序变量处理" in i18n.translate(against_ml)


def test_a_study_cfa_with_continuous_items_in_theta_is_lavaans_theta_fit(tmp_path):
    from workbench.intake.data import load_survey
    from workbench.studies.factor_analysis import analyse

    data, _ = mixed_data("mix1")
    frame = HS.copy()
    frame[ITEMS] = data[ITEMS].to_numpy()
    frame.to_csv(tmp_path / "hs_mixed.csv", index=False)
    survey = load_survey(
        tmp_path / "hs_mixed.csv", ROOT / "data/holzinger_swineford_1939.codebook.yaml"
    )
    s = analyse(
        survey, estimator="wlsmv", missing="listwise", parameterization="theta", pa_iterations=5
    )
    # the CFA is the structural model's measurement part: lavaan's theta fit of mix1_sem
    # has the same parameters with the factor covariances as regressions, so compare the
    # measurement rows and the fit
    ref = REF["mix1_sem_theta"]
    lav = pd.DataFrame(ref["estimates"])
    lav["rhs"] = lav["rhs"].fillna("")
    rows = lav[
        lav["op"].isin(["=~", "|", "~1"])
        | ((lav["op"] == "~~") & (lav["lhs"] == lav["rhs"]) & lav["lhs"].str.startswith("x"))
    ]
    ours = s.cfa.result.estimates.merge(rows, on=["lhs", "op", "rhs"])
    assert len(ours) == len(rows)
    np.testing.assert_allclose(ours["estimate"], ours["est"], rtol=1e-4, atol=1e-4)
    assert s.cfa.result.fit["chisq.scaled"] == pytest.approx(ref["fit"]["chisq.scaled"], rel=1e-4)


@pytest.mark.parametrize(
    "case", ["mix1_sem_converged", "mix1_sem_theta_converged", "mix1_sem", "mix1_sem_theta"]
)
def test_mixed_structural_model_matches_lavaan_in_delta_and_theta(case: str):
    from workbench.sem.ordinal_sem import fit_ordinal_sem

    ref = REF[case]
    data, ordered = mixed_data(ref["data"])
    res = fit_ordinal_sem(
        data,
        REF["sem_model"],
        ordered=ordered,
        parameterization=ref["args"].get("parameterization", "delta"),
    )
    m = merged(res, ref)
    tol = 1e-6 if case.endswith("_converged") else 1e-4
    free = m["free"].to_numpy(bool)
    np.testing.assert_allclose(m["estimate"], m["est"], rtol=tol, atol=tol)
    np.testing.assert_allclose(m["std_all_x"], m["std_all_y"], rtol=tol, atol=tol)
    np.testing.assert_allclose(m["se_x"][free], m["se_y"][free], rtol=tol, atol=tol)
    for key in ("chisq", "chisq.scaled", "df", "cfi.scaled", "rmsea.scaled", "srmr"):
        assert res.fit[key] == pytest.approx(ref["fit"][key], rel=1e-4, abs=1e-6), key
    assert math.isnan(res.fit["cfi.robust"]) and ref["fit"]["cfi.robust"] is None
