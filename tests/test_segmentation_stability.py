"""Bootstrap stability of segments (Hennig 2007, fpc::clusterboot's scheme).

fpc is not installed with R here, so the behaviour is checked by construction: segments that
are well separated replicate (Jaccard and adjusted Rand index 1); a segment cut out of one
homogeneous group does not (its Jaccard falls below the threshold and it is flagged). The
adjusted Rand index is checked against scikit-learn's, an independent implementation, and
against its defining properties.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_rand_score

from workbench.errors import InputError
from workbench.segmentation import (
    adjusted_rand_index,
    fit_gaussian_mixture,
    segment_stability,
)


def test_adjusted_rand_index_equals_scikit_learn_and_ignores_label_names():
    rng = np.random.default_rng(1)
    for _ in range(20):
        a, b = rng.integers(0, 4, 60), rng.integers(0, 3, 60)
        assert adjusted_rand_index(a, b) == pytest.approx(adjusted_rand_score(a, b), abs=1e-12)
    a = rng.integers(0, 5, 100)
    assert adjusted_rand_index(a, (a + 2) % 5) == 1.0
    assert abs(adjusted_rand_index(rng.integers(0, 3, 5000), rng.integers(0, 3, 5000))) < 0.01


def test_well_separated_segments_replicate():
    rng = np.random.default_rng(2)
    x = pd.DataFrame(
        np.vstack(
            [rng.normal(0, 1, (60, 2)), rng.normal(8, 1, (50, 2)), rng.normal([0, 9], 1, (40, 2))]
        ),
        columns=["trust", "spend"],
    )
    st = segment_stability(
        x, lambda d: fit_gaussian_mixture(d, 3, "EII", restarts=0), n_boot=30, seed=3
    )
    assert st.ari_mean == pytest.approx(1.0)
    assert st.table["jaccard_mean"].min() == pytest.approx(1.0)
    assert st.flagged == [] and st.failed == 0
    assert st.table["size"].sort_values().tolist() == [40, 50, 60]
    assert st.to_dict()["jaccard"]["1"] == pytest.approx(1.0)


def test_a_segment_that_splits_one_homogeneous_group_is_flagged():
    rng = np.random.default_rng(4)
    # one tight group and one wide round group: k = 4 has to cut the round group in three,
    # and where the cuts fall changes from sample to sample
    x = np.vstack([rng.normal([12, 0], 0.3, (60, 2)), rng.normal(0, 1, (240, 2))])
    st = segment_stability(
        x, lambda d: fit_gaussian_mixture(d, 4, "EII", restarts=0), n_boot=20, seed=5
    )
    tight = int(st.table["jaccard_mean"].idxmax())
    assert st.table.loc[tight, "size"] == 60
    assert st.table.loc[tight, "jaccard_mean"] > 0.95
    assert len(st.flagged) >= 1 and tight not in st.flagged
    assert any("does not replicate" in w for w in st.warnings)
    assert st.ari_mean < 0.9
    flagged = st.table.loc[st.flagged]
    assert (flagged["jaccard_mean"] < 0.6).all() and (flagged["dissolved"] > 0).all()


def test_failed_refits_are_counted_and_arrays_of_labels_are_accepted():
    x = np.arange(40, dtype=float)[:, None]
    calls = {"n": 0}

    def flaky(d):
        calls["n"] += 1
        if calls["n"] % 3 == 0:
            raise RuntimeError("did not converge")
        return (np.asarray(d)[:, 0] >= 20).astype(int)

    st = segment_stability(x, flaky, n_boot=9, seed=1)
    assert st.failed == 3 and st.ari.size == 6
    assert any("3 of 9 bootstrap re-fits failed" in w for w in st.warnings)


def test_a_full_data_fit_that_fails_is_an_input_error():
    x = np.vstack([np.zeros((3, 2)), np.ones((3, 2))])
    with pytest.raises(InputError, match="full data"):
        segment_stability(x, lambda d: fit_gaussian_mixture(d, 2, "VVV", restarts=0), n_boot=2)
