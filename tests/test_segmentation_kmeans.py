"""k-means++ with many starts against R's stats::kmeans and cluster::silhouette.

Golden values from tests/reference/r_mclust.R: ``kmeans(iris[, 1:4], k, nstart = 100)`` for
k = 2..5 (tot.withinss, betweenss, totss, sizes) and the mean of ``cluster::silhouette``. With
many starts both reach the same (global) optimum on iris, so the sums of squares agree to 1e-9
and the silhouette, computed on the same partition, to 1e-9.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from workbench.errors import InputError
from workbench.segmentation import kmeans_segments

REFERENCE = Path(__file__).parent / "reference"
_REF = json.loads((REFERENCE / "r_mclust.json").read_text(encoding="utf-8"))["kmeans_iris"]


@pytest.fixture(scope="module")
def iris() -> pd.DataFrame:
    return pd.read_csv(REFERENCE / "r_mclust_iris.csv")


@pytest.mark.parametrize("ref", _REF, ids=lambda r: f"k{r['k']}")
def test_within_and_between_ss_sizes_and_silhouette_equal_r(iris, ref):
    km = kmeans_segments(iris, ref["k"], starts=50, seed=1)
    assert km.within_ss == pytest.approx(ref["tot_withinss"], rel=1e-9)
    assert km.between_ss == pytest.approx(ref["betweenss"], rel=1e-9)
    assert km.total_ss == pytest.approx(ref["totss"], rel=1e-12)
    assert sorted(km.sizes.tolist()) == ref["sizes"]
    assert km.silhouette == pytest.approx(ref["silhouette"], rel=1e-9)


def test_a_range_of_k_gives_the_elbow_table_and_keeps_the_best_silhouette(iris):
    km = kmeans_segments(iris, range(1, 6), starts=20, seed=2)
    assert list(km.table.index) == [1, 2, 3, 4, 5]
    assert km.table["within_ss"].is_monotonic_decreasing
    assert np.isnan(km.table.loc[1, "silhouette"])
    assert km.k == int(km.table["silhouette"].idxmax()) == 2
    assert km.table.loc[3, "within_ss"] == pytest.approx(_REF[1]["tot_withinss"], rel=1e-9)


def test_segments_are_numbered_by_size_and_labelled_by_variable(iris):
    km = kmeans_segments(iris, 3, starts=10, seed=3)
    assert km.sizes.tolist() == [62, 50, 38]
    assert list(km.centers.columns) == list(iris.columns)
    for s in (1, 2, 3):
        members = iris[km.classification == s]
        np.testing.assert_allclose(km.centers.loc[s].to_numpy(), members.mean().to_numpy())
    assert km.to_dict()["segments"]["1"]["size"] == 62
    assert "k-means, k = 3" in km.summary()


def test_the_seed_makes_it_reproducible_and_large_data_sample_the_silhouette():
    rng = np.random.default_rng(4)
    x = np.vstack([rng.normal(0, 1, (4000, 2)), rng.normal(5, 1, (3000, 2))])
    a = kmeans_segments(x, 2, starts=3, seed=9)
    b = kmeans_segments(x, 2, starts=3, seed=9)
    np.testing.assert_array_equal(a.classification, b.classification)
    assert a.silhouette == pytest.approx(b.silhouette, rel=1e-12)
    assert any("sample of 5,000" in w for w in a.warnings)


def test_text_variables_are_refused_with_a_hint():
    frame = pd.DataFrame({"spend": [1.0, 2, 3, 4], "channel": ["app", "web", "app", "store"]})
    with pytest.raises(InputError, match="categorical") as err:
        kmeans_segments(frame, 2)
    assert err.value.column == "channel" and "lca" in err.value.hint
