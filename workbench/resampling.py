"""Row bootstraps through sufficient statistics.

A bootstrap resample of ``n`` rows drawn with replacement is fully described by
its count vector ``w`` (how often each row was drawn). Every statistic built from
means, covariances or OLS normal equations depends on the resample only through
``w' Z`` and ``w' (Z_i Z_j)``, so a batch of resamples costs two matrix products
with an ``(n, q)`` and an ``(n, q(q+1)/2)`` matrix instead of materialising a
``(B, n, q)`` copy of the data. The results are exactly those of indexing the
rows with the same draws (up to floating-point summation order); memory is
bounded by ``chunk_elems`` count cells per batch, whatever ``n``.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

#: count cells (resamples x rows) held at once: 2**24 float64 cells = 128 MiB
CHUNK_ELEMS = 2**24
#: products of column pairs (rows x pairs) held at once: 2**27 float64 cells = 1 GiB
PRODUCTS_ELEMS = 2**27


def bootstrap_cross_products(
    Z: np.ndarray,
    rng: np.random.Generator,
    n_boot: int,
    *,
    chunk_elems: int = CHUNK_ELEMS,
    products_elems: int = PRODUCTS_ELEMS,
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Yield the sums and cross-products of bootstrap resamples of the rows of ``Z``.

    Parameters
    ----------
    Z : numpy.ndarray
        ``(n, q)`` data; centre its columns first for numerical accuracy (the
        cross-products of a resample are then those of the centred data).
    rng : numpy.random.Generator
        Source of the draws: resample ``r`` is the rows
        ``rng.integers(0, n, size=n)``, drawn in order, as an ordinary row
        bootstrap that indexes the data would draw them.
    n_boot : int
        Number of resamples in all.
    chunk_elems : int
        Resamples per batch: ``b = chunk_elems // n`` (at least 1), i.e. the
        ``(b, n)`` count matrix holds about ``chunk_elems`` cells.
    products_elems : int
        The ``(n, q(q+1)/2)`` products of column pairs are formed once when
        they fit in this many cells, else in column blocks of that size for
        every batch (less memory, more arithmetic).

    Yields
    ------
    sums : numpy.ndarray
        ``(b, q)``: ``sum_i w_i Z_i`` per resample.
    cross : numpy.ndarray
        ``(b, q, q)``: ``sum_i w_i Z_i Z_i'`` per resample.

    Notes
    -----
    Efron, B. & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*,
    ch. 6 (the nonparametric bootstrap as a resampling of rows).
    """
    n, q = Z.shape
    iu, ju = np.triu_indices(q)
    m = len(iu)
    block = m if n * m <= products_elems else max(1, products_elems // max(n, 1))
    P = Z[:, iu] * Z[:, ju] if block == m else None
    chunk = max(1, min(n_boot, chunk_elems // max(n, 1)))
    done = 0
    while done < n_boot:
        b = min(chunk, n_boot - done)
        W = np.empty((b, n))
        for r in range(b):
            W[r] = np.bincount(rng.integers(0, n, size=n), minlength=n)
        sums = W @ Z
        if P is not None:
            upper = W @ P
        else:
            upper = np.empty((b, m))
            for lo in range(0, m, block):
                cols = slice(lo, min(m, lo + block))
                upper[:, cols] = W @ (Z[:, iu[cols]] * Z[:, ju[cols]])
        cross = np.empty((b, q, q))
        cross[:, iu, ju] = upper
        cross[:, ju, iu] = upper
        done += b
        yield sums, cross


def covariances_from_cross_products(
    sums: np.ndarray, cross: np.ndarray, n: int, *, ddof: int = 1
) -> np.ndarray:
    """Covariance matrices (divisor ``n - ddof``) of resamples of ``n`` rows."""
    return (cross - sums[:, :, None] * sums[:, None, :] / n) / (n - ddof)
