"""Row bootstrap through cross-products equals explicit row resampling."""

import numpy as np
import pytest

from workbench.resampling import bootstrap_cross_products, covariances_from_cross_products


@pytest.mark.parametrize(
    ("chunk_elems", "products_elems"), [(50, 10**9), (1_000, 10**9), (4_000_000, 40), (80, 85)]
)
def test_cross_products_equal_those_of_indexed_resamples(chunk_elems, products_elems):
    Z = np.random.default_rng(1).normal(size=(40, 3))
    parts = list(
        bootstrap_cross_products(
            Z, np.random.default_rng(7), 9, chunk_elems=chunk_elems, products_elems=products_elems
        )
    )
    sums = np.vstack([s for s, _ in parts])
    cross = np.vstack([c for _, c in parts])
    assert len(sums) == 9
    rng = np.random.default_rng(7)  # the documented draws: one index vector per resample
    for r in range(9):
        sample = Z[rng.integers(0, 40, size=40)]
        np.testing.assert_allclose(sums[r], sample.sum(axis=0), rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(cross[r], sample.T @ sample, rtol=1e-12, atol=1e-12)
        cov = covariances_from_cross_products(sums[r : r + 1], cross[r : r + 1], 40)[0]
        np.testing.assert_allclose(cov, np.cov(sample, rowvar=False), rtol=1e-10, atol=1e-12)


def test_batches_are_bounded_by_chunk_elems():
    Z = np.zeros((1_000, 2))
    batches = bootstrap_cross_products(Z, np.random.default_rng(0), 25, chunk_elems=10_000)
    assert [len(s) for s, _ in batches] == [10, 10, 5]
