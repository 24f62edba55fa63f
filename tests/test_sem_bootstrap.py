"""Bootstrap of SEM indirect effects against lavaan 0.6-14.

Reference values: ``tests/reference/lavaan_bootstrap.json``, written by
``tests/reference/lavaan_bootstrap.R`` (run from the repository root): the
experience-economy structural model of issue 4 on ``data/loyalty_survey.csv``
(99 = missing, listwise), its ``:=`` indirect/total effects with delta-method
SEs, and lavaan's ``se = "bootstrap", bootstrap = 1000`` SEs and percentile
CIs (``set.seed(2026)``), raw and standardized. The tests read only the JSON.

Tolerances.
* Point estimates (free, defined, std.all): 1e-4, lavaan's convergence precision.
* Bootstrap SEs: our draws and lavaan's are different random samples of the
  same bootstrap distribution. With R = 1000 the relative Monte-Carlo SD of an
  SE estimate is about 1/sqrt(2(R-1)) = 2.2%, so the difference of two
  independent runs has SD ~3.2%; we allow 15% (~4.7 SD).
* Percentile limits: the Monte-Carlo SD of a 2.5%/97.5% quantile from R draws
  is sqrt(.025 * .975 / R) / phi(1.96) = 0.085 bootstrap SEs per run, 0.12 SE
  for the difference of two runs; we allow 0.5 SE (~4 SD). A 10-15% band would
  fail by chance on some of the ~400 limits compared.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import workbench.sem.bootstrap as sb
from workbench.errors import InputError
from workbench.intake.data import load_survey
from workbench.sem.bootstrap import SEMBootstrap, bootstrap_sem, indirect_effects_syntax
from workbench.sem.model import fit_sem

ROOT = Path(__file__).resolve().parents[1]
REF = json.loads((ROOT / "tests" / "reference" / "lavaan_bootstrap.json").read_text())

CONSTRUCTS = ["education", "entertainment", "esthetics", "escapism", "memory", "satisfaction"]
STRUCTURAL = (
    "memory ~ education + entertainment + esthetics + escapism\n"
    "satisfaction ~ memory\n"
    "loyalty ~ satisfaction + memory"
)
HS_MODEL = (
    "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nspeed =~ x7 + x8 + x9\n"
    "textual ~ visual\nspeed ~ textual + visual"
)


@pytest.fixture(scope="module")
def survey() -> pd.DataFrame:
    s = load_survey(ROOT / "data/loyalty_survey.csv", ROOT / "data/loyalty_survey.codebook.yaml")
    return s.frame


@pytest.fixture(scope="module")
def base_model(survey: pd.DataFrame) -> str:
    cb = load_survey(
        ROOT / "data/loyalty_survey.csv", ROOT / "data/loyalty_survey.codebook.yaml"
    ).codebook
    lines = [f"{c} =~ " + " + ".join(cb.constructs[c].items) for c in [*CONSTRUCTS, "loyalty"]]
    return "\n".join(lines) + "\n" + STRUCTURAL


@pytest.fixture(scope="module")
def boot(survey: pd.DataFrame, base_model: str) -> SEMBootstrap:
    # The reference's 1000 resamples, so that Monte-Carlo tolerances are meaningful (~6 s).
    return bootstrap_sem(survey, base_model, n_boot=1000, seed=2026)


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(ROOT / "data/holzinger_swineford_1939.csv")


def _ref_frame(key: str) -> pd.DataFrame:
    frame = pd.DataFrame(REF[key])
    frame["label"] = frame["label"].fillna("")
    return frame


def _merge(ours: pd.DataFrame, key: str) -> pd.DataFrame:
    ref = _ref_frame(key)
    # lavaan writes a := expression without spaces
    ours = ours.assign(rhs=ours["rhs"].str.replace(" ", ""))
    out = ours.merge(ref, on=["lhs", "op", "rhs"], suffixes=("", "_r"), validate="1:1")
    assert len(out) == len(ref)
    return out


# ----------------------------------------------------------------------------- syntax


def test_syntax_is_the_reference_model(base_model: str) -> None:
    syntax, chains = indirect_effects_syntax(base_model)
    assert syntax.strip() == REF["model"].strip()
    assert chains["ind_esthetics_memory_satisfaction_loyalty"] == (
        "esthetics->memory->satisfaction->loyalty"
    )
    # 4 realms x (2 satisfaction + 3 loyalty definitions... ) + memory->loyalty
    assert len(chains) == 4 * (3 + 4) + 3


def test_syntax_small_model() -> None:
    syntax, chains = indirect_effects_syntax("m ~ x\ny ~ m + x")
    assert "y ~ b_y_m*m + b_y_x*x" in syntax
    assert "total_x_y := b_y_x + b_m_x*b_y_m" in syntax
    assert list(chains.values()) == ["x->m->y", "x->y (total indirect)", "x->y (total)"]


def test_syntax_keeps_labels_and_parallel_mediators() -> None:
    syntax, chains = indirect_effects_syntax("m1 ~ a1*x\nm2 ~ x\ny ~ b1*m1 + m2 + x")
    assert "ind_x_m1_y := a1*b1" in syntax
    assert "ind_x_m2_y := b_m2_x*b_y_m2" in syntax
    assert "indtot_x_y := a1*b1 + b_m2_x*b_y_m2" in syntax
    assert "total_x_y := b_y_x + a1*b1 + b_m2_x*b_y_m2" in syntax
    assert set(chains.values()) == {
        "x->m1->y",
        "x->m2->y",
        "x->y (total indirect)",
        "x->y (total)",
    }


def test_syntax_no_cycles() -> None:
    # a feedback loop m <-> y: chains never visit a variable twice
    _, chains = indirect_effects_syntax("m ~ x + y\ny ~ m")
    assert set(chains.values()) == {"x->m->y", "x->y (total indirect)", "x->y (total)"}


def test_syntax_names_are_unique_and_valid() -> None:
    syntax, _ = indirect_effects_syntax("a_b ~ c\na ~ b_c\nd ~ a_b + a")
    labels = [t.split("*")[0] for line in syntax.splitlines() if "~" in line for t in line.split()]
    labels = [t for t in labels if t.startswith("b_")]
    assert len(labels) == len(set(labels)) == 4
    assert "b_a_b_c_2" in syntax


@pytest.mark.parametrize(
    "model",
    ["m ~ 0.5*x\ny ~ m", "m ~ x\ny ~ m\nab := 1", "f =~ x1 + x2 + x3\ny ~ f", "   "],
)
def test_syntax_refusals(model: str) -> None:
    with pytest.raises(InputError):
        indirect_effects_syntax(model)


# ----------------------------------------------------------------------------- parity


def test_point_estimates_match_lavaan(boot: SEMBootstrap) -> None:
    assert boot.fit_result.n == REF["n"]
    m = _merge(boot.fit_result.estimates, "estimates")
    assert np.allclose(m["estimate"], m["est"], atol=1e-4)
    assert np.allclose(m["std_all"], m["std_all_r"], atol=1e-4)
    defined = m[m["op"] == ":="]
    assert len(defined) == 31
    # delta-method SEs of the indirect effects (lavaan's default se = "standard")
    assert np.allclose(defined["se"], defined["se_r"], atol=1e-4, rtol=1e-3)
    assert np.allclose(defined["std_se"], defined["std_se_r"], atol=1e-4, rtol=1e-3)


def test_bootstrap_ses_and_percentile_cis_match_lavaan(boot: SEMBootstrap) -> None:
    assert REF["n_boot_ok"] == REF["n_boot"] == 1000
    assert boot.n_boot == 1000 and boot.n_failed == 0
    m = _merge(boot.table, "bootstrap")
    free = m[m["boot_se_r"].notna() & (m["boot_se_r"] > 0)]
    assert len(free) == 63 + 31
    rel = (free["boot_se"] - free["boot_se_r"]).abs() / free["boot_se_r"]
    assert rel.max() < 0.15, free.loc[rel.idxmax(), ["lhs", "op", "rhs"]].tolist()
    for col in ["ci_low", "ci_high"]:
        gap = (free[col] - free[f"{col}_r"]).abs() / free["boot_se_r"]
        assert gap.max() < 0.5, (col, free.loc[gap.idxmax(), ["lhs", "op", "rhs"]].tolist())
    # fixed parameters: no SE, the interval collapses to the estimate (as lavaan)
    fixed = m[m["boot_se_r"].isna() | (m["boot_se_r"] == 0)]
    assert fixed["boot_se"].isna().all()
    assert np.allclose(fixed["ci_low"], fixed["ci_low_r"], atol=1e-4)


def test_standardized_bootstrap_matches_lavaan(boot: SEMBootstrap) -> None:
    m = _merge(boot.table, "bootstrap")
    var = m[m["std_boot_se_r"].notna() & (m["std_boot_se_r"] > 1e-8)]
    rel = (var["std_boot_se"] - var["std_boot_se_r"]).abs() / var["std_boot_se_r"]
    assert rel.max() < 0.15
    for col in ["std_ci_low", "std_ci_high"]:
        gap = (var[col] - var[f"{col}_r"]).abs() / var["std_boot_se_r"]
        assert gap.max() < 0.5, col


def test_defined_table_and_to_dict(boot: SEMBootstrap) -> None:
    d = boot.defined
    assert list(d["kind"].unique()) == ["indirect", "total_indirect", "total"]
    row = d.set_index("chain").loc["esthetics->memory->satisfaction->loyalty"]
    assert row["ci_low"] < row["estimate"] < row["ci_high"]
    out = boot.to_dict()
    json.dumps(out)
    entry = out["indirect"]["esthetics->memory->satisfaction->loyalty"]
    assert set(entry) >= {"estimate", "ci_low", "ci_high"}
    assert entry["estimate"] == pytest.approx(row["estimate"])
    assert out["n_boot"] == 1000 and out["seed"] == 2026 and out["n_failed"] == 0
    assert "percentile" in boot.summary()
    assert list(boot.to_frame().columns[:8]) == [
        "lhs",
        "op",
        "rhs",
        "label",
        "estimate",
        "boot_se",
        "ci_low",
        "ci_high",
    ]
    assert "Listwise deletion" in " ".join(boot.warnings)


# ----------------------------------------------------------------------------- invariants


def test_same_seed_same_draws(hs: pd.DataFrame) -> None:
    a = bootstrap_sem(hs, HS_MODEL, n_boot=15, seed=7)
    b = bootstrap_sem(hs, HS_MODEL, n_boot=15, seed=7)
    c = bootstrap_sem(hs, HS_MODEL, n_boot=15, seed=8)
    pd.testing.assert_frame_equal(a.draws, b.draws)
    pd.testing.assert_frame_equal(a.defined_draws, b.defined_draws)
    pd.testing.assert_frame_equal(a.table, b.table)
    assert not np.allclose(a.draws.to_numpy(), c.draws.to_numpy())
    assert a.seed == 7


@pytest.mark.parametrize(
    "model",
    [HS_MODEL, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\nvisual ~ ageyr\ntextual ~ visual"],
    ids=["latent", "fixed_x"],
)
def test_warm_refit_equals_cold_fit(hs: pd.DataFrame, model: str) -> None:
    seed, n_boot = 11, 3
    boot = bootstrap_sem(hs, model, n_boot=n_boot, seed=seed)
    data = boot.fit_result.data
    rng = np.random.default_rng(seed)
    for b in range(n_boot):
        idx = rng.integers(0, len(data), size=len(data))
        cold = fit_sem(data.iloc[idx].reset_index(drop=True), boot.fit_result.syntax)
        assert np.max(np.abs(boot.draws.loc[b].to_numpy() - cold._internals.theta)) < 1e-6
        est = cold.estimates
        d = est[est["op"] == ":="]
        assert np.allclose(boot.defined_draws.loc[b], d["estimate"], atol=1e-6)
        assert np.allclose(boot.std_defined_draws.loc[b], d["std_all"], atol=1e-6)
        assert np.allclose(boot.std_draws.loc[b], est["std_all"][est["op"] != ":="], atol=1e-6)
    # the full-sample semopy model is left as it was
    assert np.array_equal(boot.fit_result.model.param_vals, boot.fit_result._internals.theta)


def test_failed_resamples_are_dropped_and_reported(
    hs: pd.DataFrame, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sb, "_MAX_ITER", 1)  # one scoring step: most resamples "fail"
    boot = bootstrap_sem(hs, HS_MODEL, n_boot=10, seed=3)
    assert boot.n_failed > 0
    assert len(boot.draws) == boot.n_boot - boot.n_failed
    assert any("did not converge" in w for w in boot.warnings)


def test_norm_inter_matches_order_statistics() -> None:
    rng = np.random.default_rng(0)
    t = rng.normal(size=999)
    # (R + 1) * alpha = 25 and 975: exact order statistics
    lo, hi = sb._norm_inter(t, np.array([0.025, 0.975]))
    s = np.sort(t)
    assert lo == s[24] and hi == s[974]
    # otherwise between the two neighbouring order statistics
    lo, hi = sb._norm_inter(t[:500], np.array([0.025, 0.975]))
    s = np.sort(t[:500])
    assert s[11] <= lo <= s[12] and s[487] <= hi <= s[488]


def test_user_defined_parameters(hs: pd.DataFrame) -> None:
    model = "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6\ntextual ~ a*visual\nab := 2*a"
    boot = bootstrap_sem(hs, model, n_boot=20, seed=1, chains={"ab": "twice a"})
    assert boot.defined["chain"].tolist() == ["twice a"]
    assert boot.defined["kind"].tolist() == ["defined"]
    assert np.allclose(boot.defined_draws["ab"], 2 * boot.draws["textual~visual"])


def test_model_without_chains(hs: pd.DataFrame) -> None:
    boot = bootstrap_sem(hs, "visual =~ x1 + x2 + x3\ntextual =~ x4 + x5 + x6", n_boot=10)
    assert boot.defined.empty and boot.to_dict()["indirect"] == {}
    assert boot.table["boot_se"].notna().sum() == boot.fit_result.fit["npar"]


@pytest.mark.parametrize(
    "kw",
    [{"missing": "fiml"}, {"ci": 1.5}, {"n_boot": 1}, {"n_boot": 2.5}],
)
def test_bad_options(hs: pd.DataFrame, kw: dict) -> None:
    with pytest.raises(ValueError, match="must be"):
        bootstrap_sem(hs, HS_MODEL, **kw)
