"""Tests of the seeded loyalty-survey simulator and of the shipped data files."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from generated_files import assert_generated_file_matches
from scipy import stats

from workbench.simulate import (
    DEFAULT_FILES,
    PATHS,
    SimulatedSurvey,
    main,
    simulate_loyalty_survey,
    write_default_dataset,
)

DATA = Path(__file__).resolve().parent.parent / "data"
CJK = re.compile(r"[\u4e00-\u9fff]")
COVARIATES = ["respondent_id", "tier", "channel", "age", "gender"]


@pytest.fixture(scope="module")
def small() -> SimulatedSurvey:
    return simulate_loyalty_survey(800, seed=2026)


@pytest.fixture(scope="module")
def large() -> SimulatedSurvey:
    # Large enough that sampling error is ~0.01 on correlations and paths.
    return simulate_loyalty_survey(20_000, seed=7)


def _items(codebook: dict) -> list[str]:
    return [item for spec in codebook["constructs"].values() for item in spec["items"]]


def _scale_means(survey: SimulatedSurvey) -> pd.DataFrame:
    """Construct means after treating 99 as missing and reverse-coding (min + max - x)."""
    cb = survey.codebook
    x = survey.data[_items(cb)].astype("float64")
    x = x.mask(x.isin(cb["missing_codes"]))
    lo, hi = cb["scale"]["min"], cb["scale"]["max"]
    for item in cb["reverse_coded"]:
        x[item] = lo + hi - x[item]
    return pd.DataFrame(
        {name: x[spec["items"]].mean(axis=1) for name, spec in cb["constructs"].items()}
    )


# --- determinism -----------------------------------------------------------------------


def test_same_seed_gives_identical_survey() -> None:
    a = simulate_loyalty_survey(300, seed=11)
    b = simulate_loyalty_survey(300, seed=11)
    pd.testing.assert_frame_equal(a.data, b.data)
    assert a.codebook == b.codebook
    assert a.truth == b.truth
    assert a.seed == 11 and a.truth["seed"] == 11


def test_different_seeds_differ() -> None:
    a = simulate_loyalty_survey(300, seed=1).data
    b = simulate_loyalty_survey(300, seed=2).data
    items = _items(simulate_loyalty_survey(5, seed=1).codebook)
    assert not a[items].equals(b[items])
    assert (a[items].astype("float64") != b[items].astype("float64")).to_numpy().mean() > 0.3


def test_bad_arguments_raise_value_error() -> None:
    with pytest.raises(ValueError, match="n must be"):
        simulate_loyalty_survey(0)
    with pytest.raises(ValueError, match="missing_rate"):
        simulate_loyalty_survey(10, missing_rate=0.7)
    with pytest.raises(ValueError, match="seed"):
        simulate_loyalty_survey(10, seed=1.5)  # type: ignore[arg-type]


# --- shape, columns, ranges ------------------------------------------------------------


def test_shape_columns_and_codebook(small: SimulatedSurvey) -> None:
    data, cb = small.data, small.codebook
    items = _items(cb)
    assert data.shape == (800, len(COVARIATES) + len(items) + 1) == (800, 50)
    assert list(data.columns) == [*COVARIATES, *items, "recommend"]
    assert set(cb) == {
        "title",
        "id",
        "scale",
        "missing_codes",
        "constructs",
        "reverse_coded",
        "labels",
    }
    assert cb["id"] == "respondent_id" and data["respondent_id"].is_unique
    assert cb["scale"] == {"min": 1, "max": 7}
    assert cb["missing_codes"] == [99]
    assert cb["reverse_coded"] == ["TR3"]
    assert "recommend" not in items
    realms = ["education", "entertainment", "esthetics", "escapism"]
    expected = [
        *realms,
        "memory",
        "satisfaction",
        "trust",
        "value",
        "belonging",
        "loyalty",
        "willingness_to_pay",
        "online_experience",
        "offline_experience",
    ]
    assert list(cb["constructs"]) == expected
    for spec in cb["constructs"].values():
        assert 3 <= len(spec["items"]) <= 4
    assert len(items) == len(set(items))


def test_value_ranges(small: SimulatedSurvey) -> None:
    data, cb = small.data, small.codebook
    items = _items(cb)
    values = data[items].stack().dropna().astype(int)
    assert set(values.unique()) <= {*range(1, 8), 99}
    assert set(data["WP3"].dropna().unique()) - set(range(1, 8)) == {99}
    other = [c for c in items if c != "WP3"]
    assert not data[other].isin([99]).any().any()
    for item in items:  # every category is used in a sample of 800
        assert set(data[item].dropna().unique()) - {99} == set(range(1, 8)), item
    rec = data["recommend"].dropna()
    assert rec.between(0, 10).all() and rec.nunique() == 11
    assert set(data["tier"]) == {"basic", "silver", "gold", "platinum"}
    assert set(data["channel"]) == {"online", "offline", "both"}
    assert set(data["gender"]) <= {"female", "male", "other"}
    assert data["age"].between(18, 80).all()
    assert data[COVARIATES].notna().all().all()
    assert str(data["ED1"].dtype) == "Int64"


def test_reversed_item_correlates_negatively_with_siblings(small: SimulatedSurvey) -> None:
    trust = small.data[["TR1", "TR2", "TR3", "TR4"]].astype("float64")
    corr = trust.corr()
    assert (corr.loc["TR3", ["TR1", "TR2", "TR4"]] < -0.3).all()
    assert (corr.loc["TR1", ["TR2", "TR4"]] > 0.3).all()
    assert small.truth["loadings"]["TR3"] < 0
    assert small.truth["reverse_coded"]["items"] == ["TR3"]


def test_missing_rate_and_no_answer_code(small: SimulatedSurvey) -> None:
    cb = small.codebook
    answered = [*_items(cb), "recommend"]
    rate = small.data[answered].isna().to_numpy().mean()
    # 800 x 45 cells at 1%: sd of the observed rate is about 0.0005.
    assert abs(rate - 0.01) < 0.003
    assert rate == pytest.approx(small.truth["missing"]["observed_missing_rate"], abs=1e-6)
    n99 = int((small.data["WP3"] == 99).sum())
    assert n99 == small.truth["missing"]["no_answer_count"] == 12
    none = simulate_loyalty_survey(200, seed=3, missing_rate=0.0).data
    assert not none[answered].isna().any().any()
    assert (none["WP3"] == 99).sum() == 3


def test_labels_are_bilingual(small: SimulatedSurvey) -> None:
    cb = small.codebook
    for item in [*_items(cb), "recommend"]:
        assert CJK.search(cb["labels"][item]), item
        assert " / " in cb["labels"][item]
    for spec in cb["constructs"].values():
        assert CJK.search(spec["label"]) and " / " in spec["label"]
    assert cb["labels"]["TR1"].startswith("I trust the brand to keep its promises")


# --- the documented truth ------------------------------------------------------------


def test_truth_documents_the_model(small: SimulatedSurvey) -> None:
    truth = small.truth
    json.dumps(truth)  # JSON-ready
    assert truth["paths"] == PATHS
    assert set(truth["loadings"]) == set(_items(small.codebook))
    for tau in truth["thresholds"].values():
        assert len(tau) == 6 and np.all(np.diff(tau) > 0)
    assert truth["missing"]["mechanism"] == "MCAR"
    med = truth["mediation"]
    assert med["indirect"] == pytest.approx(med["a"] * med["b"])
    assert med["total"] == pytest.approx(med["c_prime"] + med["indirect"])
    corr = pd.DataFrame(truth["latent_correlations"])
    assert np.allclose(np.diag(corr), 1.0)
    assert np.all(np.linalg.eigvalsh(corr.to_numpy()) > 0)
    for value in truth["r2"].values():
        assert 0.2 < value < 0.8
    rs = truth["channel_consistency"]["response_surface"]
    assert rs["a4"] < 0 and rs["a2"] == 0 and rs["a3"] == 0
    probs = truth["recommend"]["category_probabilities"]
    assert len(probs) == 11 and sum(probs) == pytest.approx(1.0, abs=1e-3)


def test_latent_scores_have_unit_variance_in_population() -> None:
    # Residual variances are chosen so that each latent variable has variance 1;
    # check it through the loyalty regression's implied R2 on the truth itself.
    truth = simulate_loyalty_survey(10, seed=0).truth
    for outcome, r2 in truth["r2"].items():
        assert r2 + truth["residual_variances"][outcome] == pytest.approx(1.0, abs=1e-6)


# --- recovery on a large sample ------------------------------------------------------


def test_scale_mean_correlations_follow_the_truth(large: SimulatedSurvey) -> None:
    scores = _scale_means(large)
    observed = scores.corr()
    true = pd.DataFrame(large.truth["latent_correlations"]).loc[scores.columns, scores.columns]
    iu = np.triu_indices(len(scores.columns), 1)
    obs, tru = observed.to_numpy()[iu], true.to_numpy()[iu]
    assert np.all(np.sign(obs) == np.sign(tru))
    assert stats.spearmanr(obs, tru).statistic > 0.9
    # Attenuated by measurement error (reliabilities ~0.75-0.85), never inflated.
    assert np.all(obs < tru + 0.03)
    assert np.all(obs > 0.6 * tru - 0.03)


def test_loyalty_regression_recovers_the_order_of_effects(large: SimulatedSurvey) -> None:
    drivers = ["satisfaction", "trust", "value", "belonging"]
    scores = _scale_means(large)[[*drivers, "loyalty"]].dropna()
    z = (scores - scores.mean()) / scores.std()
    design = np.column_stack([np.ones(len(z)), z[drivers].to_numpy()])
    beta = np.linalg.lstsq(design, z["loyalty"].to_numpy(), rcond=None)[0][1:]
    truth = [large.truth["paths"]["loyalty"][d] for d in drivers]
    assert list(np.argsort(-beta)) == list(np.argsort(-np.asarray(truth)))
    assert np.all(np.abs(beta - truth) < 0.08)


def test_mediation_moderation_and_consistency_are_recoverable(large: SimulatedSurvey) -> None:
    data = large.data
    scores = _scale_means(large)
    tier_z = data["tier"].map(large.truth["moderation"]["tier_coding"]).astype(float)
    frame = pd.concat([scores, tier_z.rename("tier_z")], axis=1).dropna()
    z = (frame - frame.mean()) / frame.std()

    def ols(y: str, xs: list[str], extra: dict[str, pd.Series] | None = None) -> dict:
        cols = {x: z[x] for x in xs} | (extra or {})
        design = np.column_stack([np.ones(len(z)), *cols.values()])
        beta = np.linalg.lstsq(design, z[y].to_numpy(), rcond=None)[0][1:]
        return dict(zip(cols, beta, strict=True))

    # Mediation value -> satisfaction -> loyalty: both legs clearly positive.
    a = ols("satisfaction", ["value", "memory"])["value"]
    b = ols("loyalty", ["satisfaction", "value", "trust"])["satisfaction"]
    assert a > 0.2 and b > 0.2
    # Moderation: the trust slope rises with tier.
    inter = ols(
        "loyalty",
        ["satisfaction", "value", "trust", "tier_z"],
        {"trust_x_tier": z["trust"] * z["tier_z"]},
    )["trust_x_tier"]
    assert 0.04 < inter < 0.16
    # Channel consistency: the squared online-offline difference lowers loyalty.
    diff = z["online_experience"] - z["offline_experience"]
    quad = ols(
        "loyalty",
        ["online_experience", "offline_experience"],
        {"diff_sq": diff**2},
    )["diff_sq"]
    assert quad < -0.02


def test_item_category_shares_match_population(large: SimulatedSurvey) -> None:
    for item in ["ED1", "SA1", "TR3", "BE3"]:
        observed = large.data[item].dropna().value_counts(normalize=True).sort_index()
        expected = large.truth["population_item_moments"][item]["category_probabilities"]
        assert np.allclose(observed.to_numpy(), expected, atol=0.015), item


# --- files ---------------------------------------------------------------------------


def test_committed_default_dataset_matches_generator(tmp_path: Path) -> None:
    paths = write_default_dataset(tmp_path)
    for key, name in DEFAULT_FILES.items():
        committed = DATA / name
        assert_generated_file_matches(committed, paths[key])


def test_written_files_round_trip(tmp_path: Path) -> None:
    paths = write_default_dataset(tmp_path, n=60, seed=5)
    survey = simulate_loyalty_survey(60, seed=5)
    text = paths["data"].read_text(encoding="utf-8")
    assert ".0" not in text.splitlines()[1]  # integers, not floats
    back = pd.read_csv(paths["data"])
    assert back.shape == survey.data.shape
    assert (back.isna().sum() == survey.data.isna().sum()).all()
    assert yaml.safe_load(paths["codebook"].read_text(encoding="utf-8")) == survey.codebook
    assert json.loads(paths["truth"].read_text(encoding="utf-8")) == survey.truth


def test_module_entry_point(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--out", str(tmp_path), "--n", "30", "--seed", "4"]) == 0
    assert "loyalty_survey.csv" in capsys.readouterr().out
    assert pd.read_csv(tmp_path / DEFAULT_FILES["data"]).shape == (30, 50)


# --- codebooks of the real data sets -------------------------------------------------

REAL = {
    "bfi": (2800, 29, 25),
    "holzinger_swineford_1939": (301, 15, 9),
    "customer_sat": (1811, 10, 10),
    "corp_rep": (344, 41, 31),
    "loyalty_survey": (800, 50, 44),
}


@pytest.mark.parametrize("name", sorted(REAL))
def test_codebooks_fit_their_data(name: str) -> None:
    rows, cols, n_items = REAL[name]
    codebook = yaml.safe_load((DATA / f"{name}.codebook.yaml").read_text(encoding="utf-8"))
    data = pd.read_csv(DATA / f"{name}.csv", encoding="utf-8")
    assert data.shape == (rows, cols)
    items = []
    for spec in codebook["constructs"].values():
        items += spec["items"] if isinstance(spec, dict) else spec
    assert len(items) == n_items == len(set(items))
    assert set(items) <= set(data.columns)
    assert set(codebook.get("reverse_coded", [])) <= set(items)
    assert set(codebook.get("labels", {})) <= set(data.columns)
    if "id" in codebook:
        assert data[codebook["id"]].is_unique
    values = data[items].stack().dropna()
    values = values[~values.isin(codebook.get("missing_codes", []))]
    if "scale" in codebook:
        lo, hi = codebook["scale"]["min"], codebook["scale"]["max"]
        assert values.between(lo, hi).all()
        assert (values == values.round()).all()
    else:
        assert pd.api.types.is_float_dtype(values)


def test_real_codebook_details() -> None:
    def load(name: str) -> dict:
        return yaml.safe_load((DATA / f"{name}.codebook.yaml").read_text(encoding="utf-8"))

    bfi = load("bfi")
    assert bfi["reverse_coded"] == ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]
    assert bfi["scale"] == {"min": 1, "max": 6}
    assert "scale" not in load("holzinger_swineford_1939")
    corp = load("corp_rep")
    assert corp["missing_codes"] == [-99]
    data = pd.read_csv(DATA / "corp_rep.csv")
    assert (data[["cusa", "cusl_1", "cusl_2", "cusl_3"]] == -99).any().all()
