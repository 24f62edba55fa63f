"""workbench.pls against published numbers for the settings expected.json does not cover.

Every value below is a number printed by another program, with its source; each test states
its tolerance. Three sources:

1. **seminr's own fixtures** (R seminr, GPL-3; numbers only), files of
   https://github.com/sem-in-r/seminr/tree/master/tests/fixtures/ written by the seminr tests
   named in each block; seminr's tolerance, relative 1e-5 (they print 15 digits):

   * factor weighting (``path_factorial``), Mode A composites on mobi:
     ``V_3_6_0/factorial_coefficients.csv`` (paths; ``tests/testthat/test-inner_weighting.R``)
     and the ``PLS Est.`` columns of ``V_3_6_0/boot_weights.csv`` (weights;
     ``tests/testthat/test-bootstrap.R``, ``correlation_weights`` = Mode A);
   * PLSc with factor weighting, reflective constructs on mobi (``tests/testthat/
     test-consistent.R``): ``V_3_6_0/path_coef1.csv``, ``loadings1.csv``, ``rho1.csv``,
     ``rsquaredplsc.csv``;
   * PLSc with path weighting: consistent loadings, the ``PLS Est.`` columns of
     ``V_3_6_0/boot_loadings.csv`` (``test-bootstrap.R``, "factor measurement mode"), and
     AVE / rho_A of the reflective constructs in ``V_3_5_X/factor_reliability.csv``
     (``test-summary.R``);
   * Mode B composites, factor weighting, mean replacement of -99 and ``stopCriterion = 1``
     (i.e. stop below 0.1) on the extended corporate-reputation model: the ``Original Est.``
     column of ``V_3_6_0/missing_cases_paths.csv`` (``test-bootstrap.R``);
   * validity: ``V_3_6_0/fl_table.csv`` (Fornell-Larcker, ``tests/testthat/test-validity.R``),
     ``V_3_5_X/vifs/flat_vif_antecedents1.csv`` (inner VIF, ``test_validity.R``),
     ``V_3_5_X/composite_collinearity.csv`` (item VIF, ``test-summary.R``).

2. **SmartPLS 2.0.M3** on the full ECSI mobile-phone model (Tenenhaus et al. 2005) with
   centroid, factor and path weighting, as shipped with R semPLS for its regression test:
   https://github.com/cran/semPLS/tree/master/tests/SmartPLS/results/ecsi (``centroid/``,
   ``factorial/``, ``pathWeighting/``: ``pathCoefficients.txt``, ``outerWeights.txt``,
   ``crossLoadings.txt``; settings in each ``readMe.txt``: data metric mean 0 / var 1, abort
   criterion 1e-7, initial weights 1). Printed to 8 decimals, but not converged to 8 decimals:
   SmartPLS stops when its weights change by less than 1e-7, so its last digits carry that
   stopping error. Tolerance 5e-8 absolute (half the abort criterion) instead of half a unit of
   the 8th decimal; measured against a fit iterated to 1e-12: paths 7.8e-9, weights 5.0e-9,
   loadings 2.0e-8 at most.

No published PLS numbers exist for ``mobi-simple`` with centroid weighting or for f², SRMR,
d_ULS, d_G and HTMT2 in these sources; ``tests/test_pls_properties.py`` tests those by their
defining properties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import CORP_REP_EXTENDED

from workbench.pls import estimate_pls

SEMINR_TOL = 1e-5  # relative, seminr's expect_equal(tolerance = 0.00001)
SMARTPLS_TOL = 5e-8  # absolute, half SmartPLS's abort criterion (see the module docstring)

MOBI_SIMPLE = (
    "Image =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5; Expectation =~ CUEX1 + CUEX2 + CUEX3; "
    "Value =~ PERV1 + PERV2; Satisfaction =~ CUSA1 + CUSA2 + CUSA3; "
    "Satisfaction ~ Image + Expectation + Value"
)
ECSI = """
Image        =~ IMAG1 + IMAG2 + IMAG3 + IMAG4 + IMAG5
Expectation  =~ CUEX1 + CUEX2 + CUEX3
Quality      =~ PERQ1 + PERQ2 + PERQ3 + PERQ4 + PERQ5 + PERQ6 + PERQ7
Value        =~ PERV1 + PERV2
Satisfaction =~ CUSA1 + CUSA2 + CUSA3
Complaints   =~ CUSCO
Loyalty      =~ CUSL1 + CUSL2 + CUSL3
Expectation  ~ Image
Quality      ~ Expectation
Value        ~ Expectation + Quality
Satisfaction ~ Image + Expectation + Quality + Value
Complaints   ~ Satisfaction
Loyalty      ~ Image + Satisfaction + Complaints
"""
MOBI_ITEMS = [
    "IMAG1", "IMAG2", "IMAG3", "IMAG4", "IMAG5", "CUEX1", "CUEX2", "CUEX3", "PERV1", "PERV2",
    "CUSA1", "CUSA2", "CUSA3",
]  # fmt: skip


def assert_relative(got: dict, want: dict, tol: float = SEMINR_TOL) -> None:
    bad = [f"{k}: {got[k]!r} vs {v!r}" for k, v in want.items() if abs(got[k] - v) > tol * abs(v)]
    assert not bad, "\n".join(bad)


def assert_absolute(got: dict, want: dict, tol: float = SMARTPLS_TOL) -> None:
    bad = [f"{k}: {got[k]!r} vs {v!r}" for k, v in want.items() if abs(got[k] - v) > tol]
    assert not bad, "\n".join(bad)


def own(table: pd.DataFrame) -> dict[str, float]:
    """Each item's value on its own construct (the row sum of a block-diagonal table)."""
    return table.sum(axis=1).to_dict()


def paths(fit) -> dict[str, float]:
    return fit.paths["estimate"].to_dict()


# ============================================================================ 1. seminr fixtures


def test_factor_weighting_paths_and_weights_match_seminr_path_factorial(mobi):
    """factorial_coefficients.csv (paths) and boot_weights.csv 'PLS Est.' (weights)."""
    fit = estimate_pls(mobi, MOBI_SIMPLE, inner_weighting="factor")
    assert_relative(
        paths(fit),
        {
            "Image->Satisfaction": 0.446873985519376,
            "Expectation->Satisfaction": 0.172941539187286,
            "Value->Satisfaction": 0.315219423208024,
        },
    )
    weights = [
        0.331417929000824, 0.253564291907922, 0.19949028773576, 0.330960484536402,
        0.310582421176194, 0.50546181549698, 0.498776020320555, 0.436436408131174,
        0.476763694721729, 0.606472538658719, 0.392237778705209, 0.374988408094205,
        0.433377569601977,
    ]  # fmt: skip
    assert_relative(own(fit.outer_weights), dict(zip(MOBI_ITEMS, weights, strict=True)))


def test_plsc_with_factor_weighting_matches_seminr_reflective_constructs(mobi):
    """path_coef1.csv, loadings1.csv, rho1.csv and rsquaredplsc.csv (test-consistent.R)."""
    fit = estimate_pls(mobi, MOBI_SIMPLE, estimator="plsc", inner_weighting="factor")
    assert_relative(
        paths(fit),
        {
            "Image->Satisfaction": 0.537704707482867,
            "Expectation->Satisfaction": 0.240967661696417,
            "Value->Satisfaction": 0.25827986805094,
        },
    )
    loadings = [
        0.681330024716575, 0.521278271799338, 0.410112763312163, 0.680389608942476,
        0.638496321953613, 0.494277870827744, 0.487740006832332, 0.426779732808667,
        0.741892556089151, 0.943732643413645, 0.719458946793877, 0.687819429423528,
        0.794919272741098,
    ]  # fmt: skip
    assert_relative(own(fit.outer_loadings), dict(zip(MOBI_ITEMS, loadings, strict=True)))
    assert_relative(
        fit.rho_a.to_dict(),
        {
            "Image": 0.745259028158099,
            "Expectation": 0.461548791591939,
            "Value": 0.857578544960532,
            "Satisfaction": 0.782558691647281,
        },
    )
    assert_relative(
        fit.r2.loc["Satisfaction"].to_dict(),
        {"r2": 0.885707115746682, "adj_r2": 0.884313300085056},
    )


def test_plsc_with_path_weighting_gives_seminr_consistent_loadings_ave_and_rho_a(mobi):
    """boot_loadings.csv 'PLS Est.' and V_3_5_X/factor_reliability.csv.

    factor_reliability.csv comes from a model where Value and Satisfaction are Mode A
    composites; the weights (hence rho_A, the consistent loadings and AVE of the reflective
    Image and Expectation) are those of the all-reflective model, since PLSc does not change
    weights.
    """
    fit = estimate_pls(mobi, MOBI_SIMPLE, estimator="plsc", inner_weighting="path")
    loadings = [
        0.681653846547769, 0.520917926933775, 0.410297659578209, 0.68045664681578,
        0.638326560742453, 0.494727811273911, 0.487718736121731, 0.426504272772198,
        0.74195974051985, 0.943647188453063, 0.71048313004611, 0.686022583465547,
        0.805616154105317,
    ]  # fmt: skip
    assert_relative(own(fit.outer_loadings), dict(zip(MOBI_ITEMS, loadings, strict=True)))
    reliability = fit.reliability()
    assert_relative(
        reliability["ave"].to_dict(), {"Image": 0.354966733782954, "Expectation": 0.221510355834998}
    )
    assert_relative(
        reliability["rho_a"].to_dict(),
        {"Image": 0.745291554480322, "Expectation": 0.461657986928213},
    )


def test_mode_b_factor_weighting_and_a_coarse_stop_criterion_match_seminr_on_corp_rep(
    corp_rep: pd.DataFrame,
):
    """missing_cases_paths.csv 'Original Est.': stopCriterion = 1 (tol 0.1) stops after the
    second update, so this also checks that the iteration and its stopping rule are seminr's."""
    fit = estimate_pls(
        corp_rep, CORP_REP_EXTENDED, inner_weighting="factor", missing_codes=[-99], tol=0.1
    )
    assert_relative(
        paths(fit),
        {
            "QUAL->COMP": 0.427409420156675,
            "QUAL->LIKE": 0.379327544889026,
            "PERF->COMP": 0.299727081407912,
            "PERF->LIKE": 0.117111275133509,
            "CSOR->COMP": 0.0550039616891339,
            "CSOR->LIKE": 0.179216320667914,
            "ATTR->COMP": 0.0863528923068247,
            "ATTR->LIKE": 0.166781436935632,
            "COMP->CUSA": 0.141616383407125,
            "COMP->CUSL": 0.00591992752184362,
            "LIKE->CUSA": 0.438434168288729,
            "LIKE->CUSL": 0.345695435225832,
            "CUSA->CUSL": 0.503263695731018,
        },
    )
    assert fit.iterations == 2
    assert fit.n == 344


def test_fornell_larcker_inner_and_item_vifs_match_seminr(mobi):
    """fl_table.csv, vifs/flat_vif_antecedents1.csv, composite_collinearity.csv."""
    fit = estimate_pls(mobi, MOBI_SIMPLE)
    fl = fit.fornell_larcker()
    want = {
        ("Image", "Image"): 0.691360857178267,
        ("Expectation", "Image"): 0.505728413396833,
        ("Expectation", "Expectation"): 0.693186155829696,
        ("Value", "Image"): 0.510787425945094,
        ("Value", "Expectation"): 0.358245251153116,
        ("Value", "Value"): 0.921037825175302,
        ("Satisfaction", "Image"): 0.695529337198367,
        ("Satisfaction", "Expectation"): 0.511250543946958,
        ("Satisfaction", "Value"): 0.606306608005369,
        ("Satisfaction", "Satisfaction"): 0.832684808871402,
    }
    assert_relative({k: fl.loc[k] for k in want}, want)
    assert np.isnan(fl.loc["Image", "Satisfaction"])  # upper triangle empty, as seminr
    assert_relative(
        fit.inner_vif()["vif"].to_dict(),
        {
            "Image->Satisfaction": 1.6139498810707,
            "Expectation->Satisfaction": 1.36849662441311,
            "Value->Satisfaction": 1.37801850355244,
        },
    )
    vif = fit.outer_vif().set_index("item")["vif"]
    assert_relative(
        vif.to_dict(),
        {
            "PERV1": 1.96158254047704,
            "PERV2": 1.96158254047704,
            "CUSA1": 1.50500417008445,
            "CUSA2": 1.76197723191477,
            "CUSA3": 1.64446280215093,
        },
    )


# ============================================================================ 2. SmartPLS 2


SMARTPLS_PATHS = {
    "centroid": {
        "Image->Expectation": 0.50470564, "Expectation->Quality": 0.55724786,
        "Expectation->Value": 0.05078755, "Quality->Value": 0.55721686,
        "Image->Satisfaction": 0.17883348, "Expectation->Satisfaction": 0.06442534,
        "Quality->Satisfaction": 0.51254524, "Value->Satisfaction": 0.19181566,
        "Satisfaction->Complaints": 0.52609731, "Image->Loyalty": 0.19535971,
        "Satisfaction->Loyalty": 0.48347472, "Complaints->Loyalty": 0.07123241,
    },
    "factor": {
        "Image->Expectation": 0.50494314, "Expectation->Quality": 0.55675903,
        "Expectation->Value": 0.05017810, "Quality->Value": 0.55776245,
        "Image->Satisfaction": 0.17859267, "Expectation->Satisfaction": 0.06494365,
        "Quality->Satisfaction": 0.51297470, "Value->Satisfaction": 0.19144526,
        "Satisfaction->Complaints": 0.52585655, "Image->Loyalty": 0.19581962,
        "Satisfaction->Loyalty": 0.48305917, "Complaints->Loyalty": 0.07031057,
    },
    "path": {
        "Image->Expectation": 0.50491393, "Expectation->Quality": 0.55674896,
        "Expectation->Value": 0.04998839, "Quality->Value": 0.55830438,
        "Image->Satisfaction": 0.17873950, "Expectation->Satisfaction": 0.06252287,
        "Quality->Satisfaction": 0.51202394, "Value->Satisfaction": 0.19476510,
        "Satisfaction->Complaints": 0.52806625, "Image->Loyalty": 0.19575534,
        "Satisfaction->Loyalty": 0.48547762, "Complaints->Loyalty": 0.06692607,
    },
}  # fmt: skip

SMARTPLS_WEIGHTS = {
    "centroid": {
        "CUEX1": 0.52282271, "CUEX2": 0.46806824, "CUEX3": 0.44989729,
        "CUSA1": 0.37718684, "CUSA2": 0.38156707, "CUSA3": 0.44105872, "CUSCO": 1.0,
        "CUSL1": 0.45046794, "CUSL2": 0.13133992, "CUSL3": 0.65948149,
        "IMAG1": 0.29813185, "IMAG2": 0.26233656, "IMAG3": 0.21987218, "IMAG4": 0.32782296,
        "IMAG5": 0.32492101, "PERQ1": 0.21364542, "PERQ2": 0.14346701, "PERQ3": 0.19943921,
        "PERQ4": 0.17811594, "PERQ5": 0.18083905, "PERQ6": 0.18050324, "PERQ7": 0.21436270,
        "PERV1": 0.48582034, "PERV2": 0.59776530,
    },
    "factor": {
        "CUEX1": 0.52090762, "CUEX2": 0.47378907, "CUEX3": 0.44585601,
        "CUSA1": 0.37788083, "CUSA2": 0.38247081, "CUSA3": 0.43950908, "CUSCO": 1.0,
        "CUSL1": 0.45553653, "CUSL2": 0.12559574, "CUSL3": 0.65632685,
        "IMAG1": 0.30113984, "IMAG2": 0.25986939, "IMAG3": 0.21780805, "IMAG4": 0.32862476,
        "IMAG5": 0.32467429, "PERQ1": 0.21333116, "PERQ2": 0.14477854, "PERQ3": 0.19981851,
        "PERQ4": 0.17953152, "PERQ5": 0.17862778, "PERQ6": 0.17921848, "PERQ7": 0.21525464,
        "PERV1": 0.48331535, "PERV2": 0.60017870,
    },
    "path": {
        "CUEX1": 0.52118068, "CUEX2": 0.47367966, "CUEX3": 0.44563424,
        "CUSA1": 0.36486486, "CUSA2": 0.38315604, "CUSA3": 0.45096120, "CUSCO": 1.0,
        "CUSL1": 0.46066473, "CUSL2": 0.11426953, "CUSL3": 0.65431059,
        "IMAG1": 0.30131215, "IMAG2": 0.25969115, "IMAG3": 0.21792305, "IMAG4": 0.32850357,
        "IMAG5": 0.32468141, "PERQ1": 0.21317504, "PERQ2": 0.14472169, "PERQ3": 0.20001771,
        "PERQ4": 0.17939947, "PERQ5": 0.17863569, "PERQ6": 0.17912074, "PERQ7": 0.21548153,
        "PERV1": 0.47928245, "PERV2": 0.60405602,
    },
}  # fmt: skip

# centroid/crossLoadings.txt: each item on its own construct, and a few cross-loadings
SMARTPLS_CENTROID_LOADINGS = {
    "CUEX1": 0.77149227, "CUEX2": 0.68662595, "CUEX3": 0.61182525,
    "CUSA1": 0.79902589, "CUSA2": 0.84621071, "CUSA3": 0.85188614, "CUSCO": 1.0,
    "CUSL1": 0.81381092, "CUSL2": 0.21914243, "CUSL3": 0.91681439,
    "IMAG1": 0.74336994, "IMAG2": 0.60072962, "IMAG3": 0.57761738, "IMAG4": 0.76836239,
    "IMAG5": 0.74447502, "PERQ1": 0.80334000, "PERQ2": 0.63739120, "PERQ3": 0.78353507,
    "PERQ4": 0.76911595, "PERQ5": 0.75577372, "PERQ6": 0.77515801, "PERQ7": 0.77939921,
    "PERV1": 0.90434465, "PERV2": 0.93791155,
}  # fmt: skip
SMARTPLS_CENTROID_CROSS = {
    ("CUEX1", "Quality"): 0.43603008,
    ("CUSA3", "Value"): 0.59810380,
    ("CUSCO", "Satisfaction"): 0.52609731,
    ("IMAG4", "Loyalty"): 0.45974864,
    ("PERQ7", "Satisfaction"): 0.69836762,
    ("PERV2", "Image"): 0.52954001,
}


@pytest.mark.parametrize("scheme", ["centroid", "factor", "path"])
def test_full_ecsi_model_matches_smartpls_paths_and_weights(mobi, scheme):
    fit = estimate_pls(mobi, ECSI, inner_weighting=scheme)
    assert fit.converged
    assert_absolute(paths(fit), SMARTPLS_PATHS[scheme])
    assert_absolute(own(fit.outer_weights), SMARTPLS_WEIGHTS[scheme])


def test_full_ecsi_model_with_centroid_weighting_matches_smartpls_cross_loadings(mobi):
    fit = estimate_pls(mobi, ECSI, inner_weighting="centroid")
    assert_absolute(own(fit.outer_loadings), SMARTPLS_CENTROID_LOADINGS)
    cross = fit.cross_loadings()
    assert_absolute({k: cross.loc[k] for k in SMARTPLS_CENTROID_CROSS}, SMARTPLS_CENTROID_CROSS)
