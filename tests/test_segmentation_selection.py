"""Choosing k and the covariance model: the criteria table, the rule, the bootstrap LRT.

Golden values from tests/reference/r_mclust.R (R mclust 6.0.0): ``mclustBIC(X, G = 1:4)`` over
the 14 models and ``Mclust``'s choice on faithful, iris[, 1:4] and the simulated 4-D mixture;
``mclustBootstrapLRT(X, modelName, maxG = 3, nboot = 999)`` for the observed LRT statistics
(equal to 1e-8) and the p-values (ours from other random draws, so equal only within Monte
Carlo error: 99 replicates here, whose p-value has a standard error of at most 0.05).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.segmentation import MODELS, bootstrap_lrt, select_mixture

REFERENCE = Path(__file__).parent / "reference"
_REF = json.loads((REFERENCE / "r_mclust.json").read_text(encoding="utf-8"))


def load(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / f"r_mclust_{name}.csv")


@pytest.fixture(scope="module")
def selections() -> dict:
    """mclust's own procedure: every model, G = 1..4, the hierarchical start only."""
    return {
        name: select_mixture(load(name), range(1, 5), min_share=0.0, restarts=0, n_boot=0)
        for name in ("faithful", "iris", "sim4d")
    }


@pytest.mark.parametrize("name", ["faithful", "iris", "sim4d"])
def test_the_bic_table_equals_mclustBIC(selections, name):
    table = selections[name].criterion_table("bic_mclust")
    assert list(table.columns) == list(MODELS) and list(table.index) == [1, 2, 3, 4]
    for ref in _REF[name]["fits"]:
        assert table.loc[ref["G"], ref["model"]] == pytest.approx(ref["bic"], rel=1e-9)
    ours = selections[name].criterion_table("bic")
    np.testing.assert_allclose(ours.to_numpy(), -table.to_numpy())


@pytest.mark.parametrize("name", ["faithful", "iris", "sim4d"])
def test_the_lowest_bic_is_mclust_choice(selections, name):
    best = _REF[name]["best"]
    sel = selections[name]
    assert (sel.k, sel.model) == (best["G"], best["model"])
    assert sel.chosen.loglik == pytest.approx(best["loglik"], rel=1e-9)
    assert sel.chosen_by == "lowest BIC"


def test_the_table_holds_every_criterion_a_reader_needs(selections):
    sel = selections["iris"]
    assert sel.table.shape[0] == 4 * 14
    for col in ("loglik", "npar", "bic", "icl", "sabic", "entropy", "min_share", "blrt_p"):
        assert col in sel.table.columns
    row = sel.table.loc[(2, "VEV")]
    assert row["min_share"] == pytest.approx(50 / 150)
    assert row["icl"] >= row["bic"]
    d = sel.to_dict()
    assert set(d["selection"]) == {"1", "2", "3", "4"}
    assert set(d["selection"]["2"]["VEV"]) == {
        "loglik", "npar", "bic", "icl", "sabic", "entropy", "min_share", "blrt_p",
    }  # fmt: skip
    assert d["selection"]["2"]["VEV"]["bic"] == pytest.approx(-_REF["iris"]["best"]["bic"])
    assert "lower is better" in d["bic_convention"]
    assert "Chosen: VEV, k = 2" in sel.summary()


def test_a_segment_under_the_minimum_share_is_passed_over_and_said():
    rng = np.random.default_rng(21)
    x = np.vstack(
        [
            rng.normal(0, 1, (300, 2)),
            rng.normal([6, 0], 1, (300, 2)),
            rng.normal([3, 9], 0.3, (12, 2)),
        ]
    )
    free = select_mixture(x, range(1, 5), ["EII", "VII"], min_share=0.0, restarts=0, n_boot=0)
    assert free.k == 3 and free.chosen.min_share < 0.05
    ruled = select_mixture(x, range(1, 5), ["EII", "VII"], restarts=0, n_boot=0)
    assert ruled.k == 2 and ruled.chosen.min_share >= 0.05
    assert "no segment under 5%" in ruled.chosen_by
    assert any("passed it over" in w for w in ruled.warnings)


def test_models_with_more_parameters_than_members_are_skipped_and_said():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(20, 4))
    sel = select_mixture(x, range(1, 4), ["EII", "VVV"], restarts=0, n_boot=0)
    assert not sel.table.loc[(3, "VVV"), "fitted"]
    assert math.isnan(sel.table.loc[(3, "VVV"), "bic"])
    assert any("Skipped, more free parameters than members" in w and "VVV (k = 3)" in w
               for w in sel.warnings)  # fmt: skip


def test_icl_can_be_the_rule_and_restarts_are_recorded():
    sel = select_mixture(load("faithful"), range(1, 5), ["EEE", "VVV"], criterion="icl",
                         restarts=2, n_boot=0, seed=3)  # fmt: skip
    ok = sel.table[sel.table["fitted"] & (sel.table["min_share"] >= 0.05)]
    assert (sel.k, sel.model) == ok["icl"].idxmin()
    assert (
        sel.table["restart_beat_hc"].dtype == bool
        or sel.table["restart_beat_hc"].isin([True, False]).all()
    )


@pytest.mark.parametrize(("name", "model"), [("faithful", "EEE"), ("iris", "VEV")])
def test_bootstrap_lrt_statistics_equal_mclust_and_p_values_agree(name, model):
    ref = _REF[name]["blrt"]
    assert ref["model"] == model
    blrt = bootstrap_lrt(load(name), model, max_k=3, n_boot=99, seed=5)
    np.testing.assert_allclose(blrt.table["lrt"].to_numpy(), ref["obs"], rtol=1e-8, atol=1e-8)
    for ours, theirs in zip(blrt.table["p"], ref["p_value"], strict=True):
        # p of 0.001 in R (no replicate above) is 0.01 with our 99; else within 3 SE
        assert abs(ours - theirs) <= max(0.01, 3 * math.sqrt(theirs * (1 - theirs) / 99))
    assert list(blrt.table["n_boot"]) == [99, 99, 99]


def test_select_mixture_runs_the_bootstrap_lrt_for_the_chosen_model():
    sel = select_mixture(load("faithful"), range(1, 4), ["EEE", "VVV"], restarts=0, n_boot=19,
                         seed=1)  # fmt: skip
    assert sel.blrt is not None and sel.blrt.model == sel.model
    p = sel.table.xs(sel.model, level="model")["blrt_p"]
    assert math.isnan(p.loc[1]) and p.loc[2] == pytest.approx(1 / 20)
    other = "VVV" if sel.model == "EEE" else "EEE"
    assert sel.table.xs(other, level="model")["blrt_p"].isna().all()
