"""Experience-economy statistics against R (lavaan 0.6-14, lm) and the simulation's truth.

Reference values: ``tests/reference/r_experience.json``, written by
``tests/reference/r_experience.R`` (run from the repository root). The tests read only
the JSON. Tolerances are the issue's: fit indices within 0.002, chi2 within 0.1%,
unstandardized and standardized paths within 0.005; lm() results to 1e-6.
(Observed agreement is about 1e-7 for the SEM and 1e-14 for lm.)
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.intake.codebook import Codebook, load_codebook
from workbench.intake.data import load_survey
from workbench.measurement.scales import score_scales
from workbench.sem.experience import (
    DEFAULT_NESTED,
    EDUTAINMENT,
    FOUR_CORRELATED,
    REALMS,
    SECOND_ORDER,
    ResponseSurface,
    absolute_difference_index,
    compare_models,
    competing_models,
    default_structural_paths,
    full_model,
    parse_paths,
    realm_importance,
    realm_table,
    resolve_constructs,
    response_surface,
)
from workbench.sem.model import fit_sem

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "r_experience.json").read_text())
TRUTH = json.loads((ROOT / "data" / "loyalty_survey.truth.json").read_text())
R_NAMES = {
    FOUR_CORRELATED: "four_correlated",
    EDUTAINMENT: "edutainment",
    SECOND_ORDER: "second_order",
}
FIT_KEYS = {"chi2": "chisq", "df": "df", "cfi": "cfi", "tli": "tli", "rmsea": "rmsea",
            "srmr": "srmr", "aic": "aic", "bic": "bic", "n": "ntotal"}  # fmt: skip


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261122)


@pytest.fixture(scope="module")
def survey():
    return load_survey(
        ROOT / "data" / "loyalty_survey.csv", ROOT / "data/loyalty_survey.codebook.yaml"
    )


@pytest.fixture(scope="module")
def competing(survey):
    cb = survey.codebook
    roles = resolve_constructs(cb)
    models = competing_models({r: cb.construct_items[r] for r in roles.values()}, roles.values())
    return models, {k: fit_sem(survey.frame, m) for k, m in models.items()}


@pytest.fixture(scope="module")
def structural(survey):
    cb = survey.codebook
    model = full_model(cb, default_structural_paths(cb))
    return model, fit_sem(survey.frame, model)


@pytest.fixture(scope="module")
def surface(survey):
    scores = score_scales(survey.frame, survey.codebook.construct_items)
    return response_surface(scores, "online_experience", "offline_experience", "loyalty")


def _close_fit(ours: dict, ref: dict) -> None:
    for key, rkey in FIT_KEYS.items():
        if key in ("chi2", "aic", "bic"):
            assert ours[key] == pytest.approx(ref[rkey], rel=1e-3), key
        elif key in ("df", "n"):
            assert ours[key] == ref[rkey], key
        else:
            assert ours[key] == pytest.approx(ref[rkey], abs=0.002), key


# ---------------------------------------------------------------- 1. resolver


def _cb(names):
    return Codebook.from_dict(
        {"title": "t", "constructs": {n: [f"{n}_{i}" for i in range(1, 4)] for n in names}}
    )


def test_resolver_finds_synonyms_case_insensitively():
    cb = _cb(["EDU", "Entertainment", "Aesthetics", "escapist", "Memories", "overall-satisfaction"])
    found = resolve_constructs(cb, (*REALMS, "memory", "satisfaction"), optional=["loyalty"])
    assert found == {
        "education": "EDU",
        "entertainment": "Entertainment",
        "esthetics": "Aesthetics",
        "escapism": "escapist",
        "memory": "Memories",
        "satisfaction": "overall-satisfaction",
    }


def test_resolver_lists_missing_and_suggests_paths():
    cb = _cb(["education", "entertainments", "esthetics"])
    with pytest.raises(InputError) as err:
        resolve_constructs(cb, (*REALMS, "loyalty"))
    msg = str(err.value)
    assert "entertainment, escapism, loyalty" in msg
    assert "paths=" in msg and "entertainments" in msg


def test_resolver_rejects_unknown_role_and_ambiguity():
    with pytest.raises(ValueError, match="valid roles"):
        resolve_constructs(_cb(["education"]), ["fun"])
    with pytest.raises(InputError, match="all match the role 'esthetics'"):
        resolve_constructs(_cb(["esthetics", "aesthetics"]), ["esthetics"])


# ---------------------------------------------------------------- 2. competing models


def test_competing_syntax_matches_the_r_script(competing):
    models, _ = competing
    assert list(models) == [FOUR_CORRELATED, EDUTAINMENT, SECOND_ORDER]
    for name, syntax in models.items():
        assert syntax == REF["competing"][R_NAMES[name]]["model"]


@pytest.mark.parametrize("name", [FOUR_CORRELATED, EDUTAINMENT, SECOND_ORDER])
def test_competing_fit_matches_lavaan(competing, name):
    _, fits = competing
    _close_fit(fits[name].fit, REF["competing"][R_NAMES[name]]["fit"])


def test_compare_models_matches_lavaan_anova(competing):
    _, fits = competing
    table = compare_models(fits, nested=DEFAULT_NESTED)
    assert list(table.index) == [FOUR_CORRELATED, EDUTAINMENT, SECOND_ORDER]
    assert {"chi2", "df", "cfi", "tli", "rmsea", "srmr", "aic", "bic"} <= set(table.columns)
    inv = {v: k for k, v in R_NAMES.items()}
    for lrt in REF["lrt"]:
        row = table.loc[inv[lrt["restricted"]]]
        assert row["vs"] == inv[lrt["full"]]
        assert row["delta_chi2"] == pytest.approx(lrt["delta_chi2"], rel=1e-3)
        assert row["delta_df"] == lrt["delta_df"]
        assert row["delta_p"] == pytest.approx(lrt["p"], rel=1e-2, abs=1e-3)
    assert np.isnan(table.loc[FOUR_CORRELATED, "delta_chi2"])
    # invariant: the difference is the difference of the chi-squares and dfs
    d = table.loc[SECOND_ORDER]
    assert d["delta_chi2"] == pytest.approx(d["chi2"] - table.loc[FOUR_CORRELATED, "chi2"])


def test_compare_models_checks_its_pairs(competing):
    _, fits = competing
    with pytest.raises(ValueError, match="is not one of"):
        compare_models(fits, nested=[("edutainment", FOUR_CORRELATED)])
    with pytest.raises(InputError, match="cannot be nested"):
        compare_models(fits, nested=[(FOUR_CORRELATED, EDUTAINMENT)])
    with pytest.raises(ValueError, match="two pairs"):
        compare_models(fits, nested=[(EDUTAINMENT, FOUR_CORRELATED), (EDUTAINMENT, SECOND_ORDER)])


def test_compare_models_refuses_different_rows(survey, competing):
    models, fits = competing
    half = fit_sem(survey.frame.iloc[:400], models[SECOND_ORDER])
    with pytest.raises(InputError, match="different respondents"):
        compare_models({"a": fits[FOUR_CORRELATED], "b": half}, nested=[("b", "a")])


def test_competing_models_keep_other_constructs_and_check_names():
    cons = {r: [f"{r[:3]}{i}" for i in range(1, 4)] for r in REALMS}
    cons["memory"] = ["m1", "m2", "m3"]
    models = competing_models(cons, REALMS)
    for syntax in models.values():
        assert "memory =~ m1 + m2 + m3" in syntax
    with pytest.raises(InputError, match="four realms"):
        competing_models(cons, REALMS[:3])
    with pytest.raises(InputError, match="already a construct"):
        competing_models({**cons, "experience": ["x1", "x2"]}, REALMS)


# ---------------------------------------------------------------- 3. structural model


def test_default_paths_and_full_model(survey, structural):
    cb = survey.codebook
    assert default_structural_paths(cb) == (
        "memory ~ education + entertainment + esthetics + escapism\n"
        "satisfaction ~ memory\nloyalty ~ satisfaction"
    )
    model, _ = structural
    assert model == REF["structural"]["model"]


def test_default_paths_need_the_constructs():
    with pytest.raises(InputError, match="paths="):
        default_structural_paths(_cb([*REALMS, "memory", "satisfaction"]))


def test_parse_paths_validates_names(survey):
    cb = survey.codebook
    assert parse_paths("memory ~ a*esthetics # comment\n ab := a*b", cb) == [
        ("memory", "~", ["a*esthetics"]),
        ("ab", ":=", ["a*b"]),
    ]
    with pytest.raises(InputError, match=r"(?s)'aesthetics'.*Did you mean 'esthetics'"):
        parse_paths("memory ~ aesthetics", cb)
    with pytest.raises(InputError, match=r"(?s)'edu'.*Did you mean 'education'"):
        parse_paths("memory ~ edu", cb)
    with pytest.raises(InputError, match="measurement statement"):
        parse_paths("memory =~ ME1 + ME2", cb)
    with pytest.raises(InputError, match="empty"):
        parse_paths("  ", cb)
    with pytest.raises(InputError, match="no regression"):
        parse_paths("memory ~~ loyalty", cb)
    with pytest.raises(InputError, match="Cannot read 'memory ~~' in `paths`: a variable name"):
        parse_paths("memory ~~ ; loyalty <- ((", cb)
    with pytest.raises(InputError, match="in `paths` as a structural path"):
        parse_paths("loyalty <- memory", cb)
    with pytest.raises(InputError, match=r"go round in a circle \(loyalty -> memory -> loyalty\)"):
        parse_paths("memory ~ loyalty; loyalty ~ memory", cb)


def test_structural_model_matches_lavaan(structural):
    _, res = structural
    _close_fit(res.fit, REF["structural"]["fit"])
    est = res.estimates.set_index(["lhs", "op", "rhs"])
    worst = 0.0
    for p in REF["structural"]["paths"]:
        row = est.loc[(p["lhs"], "~", p["rhs"])]
        for ours, ref in [("estimate", "est"), ("se", "se"), ("std_all", "std_all"),
                          ("std_se", "std_se")]:  # fmt: skip
            worst = max(worst, abs(row[ours] - p[ref]))
    assert worst < 0.005
    for lv, r2 in REF["structural"]["r2"].items():
        assert res.r2[lv] == pytest.approx(r2, abs=0.005)


def _pseudo_truth(cb: Codebook) -> pd.Series:
    """Standardized paths of the default model fitted to the population covariance.

    The default model omits value -> satisfaction (and loyalty's other causes), so its
    satisfaction ~ memory and loyalty ~ satisfaction paths converge to the best-fitting
    (pseudo-true) values, not to the generating coefficients. We build data whose covariance
    is exactly the population covariance of the continuous responses (truth loadings and
    latent correlations) and fit the model to it.
    """
    lv = [*REALMS, "memory", "satisfaction", "loyalty"]
    corr = np.array([[TRUTH["latent_correlations"][a][b] for b in lv] for a in lv])
    items = [i for c in lv for i in cb.constructs[c].items]
    lam = np.zeros((len(items), len(lv)))
    for k, item in enumerate(items):
        lam[k, lv.index(TRUTH["item_construct"][item])] = TRUTH["loadings"][item]
    sigma = lam @ corr @ lam.T
    np.fill_diagonal(sigma, 1.0)
    z = np.random.default_rng(0).normal(size=(1000, len(items)))
    z -= z.mean(axis=0)
    z = z @ np.linalg.inv(np.linalg.cholesky(np.cov(z, rowvar=False, bias=True))).T
    x = pd.DataFrame(z @ np.linalg.cholesky(sigma).T, columns=items)
    res = fit_sem(x, full_model(cb, default_structural_paths(cb)))
    reg = res.estimates[res.estimates["op"] == "~"]
    return pd.Series(
        reg["std_all"].to_numpy(), index=list(zip(reg["lhs"], reg["rhs"], strict=True))
    )


def test_structural_paths_recover_the_truth(survey, structural):
    _, res = structural
    pseudo = _pseudo_truth(survey.codebook)
    reg = res.estimates[res.estimates["op"] == "~"]
    for row in reg.itertuples():
        target = pseudo[(row.lhs, row.rhs)]
        # within sampling error: 2.5 delta-method SEs of the standardized path
        assert abs(row.std_all - target) < 2.5 * row.std_se, (row.lhs, row.rhs)
        if row.lhs == "memory":  # memory's causes are all in the model: the truth itself
            assert abs(row.std_all - TRUTH["paths"]["memory"][row.rhs]) < 2.5 * row.std_se
    # the realm that drives memory most is esthetics, as in the truth
    memory = reg[reg["lhs"] == "memory"].set_index("rhs")["std_all"]
    assert memory.idxmax() == "esthetics"


# ---------------------------------------------------------------- 5. importance, realm table


def test_realm_importance_is_the_product_of_paths(structural):
    _, res = structural
    imp = realm_importance(res, list(REALMS), "loyalty")
    std = res.estimates[res.estimates["op"] == "~"].set_index(["lhs", "rhs"])["std_all"]
    chain = std[("satisfaction", "memory")] * std[("loyalty", "satisfaction")]
    for realm in REALMS:
        assert imp[realm] == pytest.approx(std[("memory", realm)] * chain, abs=1e-12)
    direct = realm_importance(res, list(REALMS), "memory")
    assert direct["esthetics"] == pytest.approx(std[("memory", "esthetics")])
    with pytest.raises(InputError, match="not a variable"):
        realm_importance(res, ["trust"], "loyalty")


def test_realm_importance_equals_standardized_defined_effect(survey):
    cb = survey.codebook
    model = full_model(cb, "memory ~ a*esthetics + education\nloyalty ~ b*memory + c*esthetics\n"
                           "te := a*b + c")  # fmt: skip
    res = fit_sem(survey.frame, model)
    te = res.estimates.query("op == ':='")["std_all"].iloc[0]
    assert realm_importance(res, ["esthetics"], "loyalty")["esthetics"] == pytest.approx(te)


def test_realm_table(survey):
    tab = realm_table(survey.frame, survey.codebook)
    assert list(tab.index) == list(REALMS)
    assert {"mean", "performance", "alpha", "omega_total"} <= set(tab.columns)
    assert np.allclose(tab["performance"], 100 * (tab["mean"] - 1) / 6)
    items = survey.frame[list(survey.codebook.constructs["esthetics"].items)].dropna()
    assert tab.loc["esthetics", "mean"] == pytest.approx(items.mean(axis=1).mean())
    assert (tab["alpha"] > 0.8).all() and (tab["omega_total"] >= tab["alpha"] - 0.01).all()
    with pytest.raises(InputError, match="not constructs"):
        realm_table(survey.frame, survey.codebook, ["aesthetics"])


# ---------------------------------------------------------------- 4. response surface


def test_response_surface_matches_lm(surface):
    ref = REF["response_surface"]
    assert surface.n == ref["n"] and surface.center == 4
    for i in range(6):
        b = surface.coefficients.loc[f"b{i}"]
        assert b["estimate"] == pytest.approx(ref["coefficients"][f"b{i}"], abs=1e-6)
        assert b["se"] == pytest.approx(ref["se"][f"b{i}"], abs=1e-6)
    for a in ("a1", "a2", "a3", "a4"):
        for key in ("estimate", "se", "t", "p"):
            assert surface.surface.loc[a, key] == pytest.approx(ref[a][key], abs=1e-6), (a, key)
    assert surface.r2 == pytest.approx(ref["r2"], abs=1e-6)
    assert surface.adj_r2 == pytest.approx(ref["adj_r2"], abs=1e-6)
    ad = REF["abs_diff"]
    for key in ("r", "r_p", "coef", "se", "p"):
        assert getattr(surface.abs_diff, key) == pytest.approx(ad[key], abs=1e-6), key


def test_response_surface_recovers_the_truth(surface):
    truth = TRUTH["channel_consistency"]["response_surface"]
    assert truth["a4"] < 0 and truth["a1"] > 0
    s = surface.surface
    assert s.loc["a4", "estimate"] < 0 and s.loc["a4", "p"] < 0.05
    assert s.loc["a1", "estimate"] > 0 and s.loc["a1", "p"] < 0.05
    # a2 and a3 are zero in the truth: not significant here
    assert s.loc["a2", "p"] > 0.05 and s.loc["a3", "p"] > 0.05
    assert surface.abs_diff.coef < 0


def test_response_surface_invariants(surface):
    assert sum(surface.shares.values()) == pytest.approx(1.0)
    b = surface.coefficients["estimate"]
    assert surface.surface.loc["a4", "estimate"] == pytest.approx(b["b3"] - b["b4"] + b["b5"])
    # the grid is the fitted polynomial on the raw scale
    g = surface.grid
    assert len(g) == 25 * 25 and g["x"].min() == 1 and g["x"].max() == 7
    row = g.iloc[100]
    X, Y = row["x"] - 4, row["y"] - 4
    pred = b["b0"] + b["b1"] * X + b["b2"] * Y + b["b3"] * X**2 + b["b4"] * X * Y + b["b5"] * Y**2
    assert row["predicted"] == pytest.approx(pred)
    d = surface.to_dict()
    json.dumps(d)
    assert set(d["surface"]) == {"a1", "a2", "a3", "a4"} and set(d["surface"]["a4"]) == {
        "estimate", "se", "t", "p"}  # fmt: skip
    assert {"r2", "shares", "abs_diff", "warnings"} <= set(d)
    assert "a4" in surface.summary() and "dropped" in surface.summary()
    assert list(surface.to_frame().index) == [*(f"b{i}" for i in range(6)), "a1", "a2", "a3", "a4"]
    assert "<table" in surface._repr_html_()


def test_response_surface_center_override_changes_only_the_origin(rng):
    on, off = rng.normal(4, 1, 300), rng.normal(4, 1, 300)
    df = pd.DataFrame(
        {"on": on, "off": off, "loy": 4 - 0.3 * (on - off) ** 2 + rng.normal(0, 1, 300)}
    )
    mid = response_surface(df, "on", "off", "loy")
    other = response_surface(df, "on", "off", "loy", center=3.0)
    assert isinstance(mid, ResponseSurface) and other.center == 3.0
    # curvatures do not depend on the centre; R2 and the predictions neither
    assert np.allclose(mid.surface.loc[["a2", "a4"]], other.surface.loc[["a2", "a4"]])
    assert mid.r2 == pytest.approx(other.r2)
    assert np.allclose(mid.grid["predicted"], other.grid["predicted"])


def test_response_surface_warnings_and_errors(rng):
    x = rng.normal(4, 1, 100)
    df = pd.DataFrame({"x": x, "y": x + rng.normal(0, 0.1, 100), "z": rng.normal(size=100)})
    res = response_surface(df, "x", "y", "z")
    assert any("few cases" in w for w in res.warnings)
    with pytest.raises(InputError, match="Did you mean 'x'"):
        response_surface(df, "xx", "y", "z")
    with pytest.raises(ValueError, match="tolerance"):
        response_surface(df, "x", "y", "z", tolerance=-1)
    with pytest.raises(ValueError, match="scale"):
        response_surface(df, "x", "y", "z", scale=(7, 1))
    with pytest.raises(InputError, match="complete rows"):
        response_surface(df.iloc[:10], "x", "y", "z")


def test_absolute_difference_index_alone(survey):
    scores = score_scales(survey.frame, survey.codebook.construct_items)
    res = absolute_difference_index(scores, "online_experience", "offline_experience", "loyalty")
    assert res.r == pytest.approx(REF["abs_diff"]["r"], abs=1e-6)
    assert set(res.to_dict()) >= {"r", "coef", "se", "p", "warnings"}


# ---------------------------------------------------------------- 6. template codebook


def test_template_codebook_loads_and_is_complete():
    cb = load_codebook(ROOT / "data" / "experience_economy_template.codebook.yaml")
    assert cb.warnings == ()
    assert cb.scale is not None and (cb.scale.min, cb.scale.max) == (1, 7)
    assert "TEMPLATE" in cb.description and "Oh, H., Fiore" in cb.source
    found = resolve_constructs(
        cb, (*REALMS, "memory", "satisfaction", "loyalty", "arousal", "perceived_quality")
    )
    for realm in REALMS:
        assert len(cb.constructs[found[realm]].items) == 4
    for item in cb.items:
        label = cb.labels[item]
        english, chinese = label.split(" / ")
        assert english and any("\u4e00" <= ch <= "\u9fff" for ch in chinese), item
    for c in cb.constructs.values():
        assert " / " in c.label
    assert not list(ROOT.glob("data/experience_economy_template.csv"))
    # the default structural model builds on it
    assert "memory ~ education" in full_model(cb, default_structural_paths(cb))
