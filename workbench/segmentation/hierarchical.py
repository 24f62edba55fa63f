"""Model-based hierarchical agglomeration: mclust's default initialisation of EM.

:func:`hierarchical_partitions` merges, step by step, the two groups whose union increases the
classification likelihood criterion of the unconstrained Gaussian model (``VVV``) the least,
as mclust's ``hc(X, modelName = "VVV", use = "SVD")`` does (Fraley 1998), and cuts the tree at
each requested number of groups as ``hclass()``. The data are first transformed as mclust's
default ``hcUse = "SVD"``: centred and scaled, then projected on their right singular vectors
and divided by the square roots of the singular values.

Hand-written on numpy: scikit-learn's and scipy's agglomerative clustering offer Ward and
linkage criteria only, not the model-based criterion mclust starts EM from.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["hierarchical_partitions", "merge_sequence", "quantile_partition", "svd_transform"]


def svd_transform(data: np.ndarray) -> np.ndarray:
    """The data as mclust's ``hcUse = "SVD"`` transforms them before the agglomeration.

    Each column is centred and divided by its standard deviation (``scale()``), and the result
    ``X`` is mapped to ``X V diag(1 / sqrt(d))`` where ``X = U diag(d) V'`` is its singular value
    decomposition (mclust 6.0, ``hc(..., use = "SVD")``; Scrucca & Raftery 2015). Constant
    columns are dropped, as mclust drops the non-finite columns ``scale()`` leaves.

    >>> z = svd_transform(np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]]))
    >>> z.shape
    (4, 2)
    """
    x = np.asarray(data, dtype=float)
    sd = x.std(axis=0, ddof=1)
    keep = np.isfinite(sd) & (sd > 0)
    x = (x[:, keep] - x[:, keep].mean(axis=0)) / sd[keep]
    _, d, vt = np.linalg.svd(x, full_matrices=False)
    return (x @ vt.T) / np.sqrt(d)


def merge_sequence(z: np.ndarray, *, alpha: float = 1.0, beta: float = 1.0) -> np.ndarray:
    """The merges of mclust's model-based agglomeration for the ``VVV`` model.

    Parameters
    ----------
    z : numpy.ndarray
        ``(n, p)`` data with ``p >= 2``, already transformed (see :func:`svd_transform`).
    alpha, beta : float
        mclust's ``hcVVV`` regularisation: ``alpha`` is multiplied by the trace of the
        within-group scatter of ``z / sqrt(n p)``, ``beta`` is used as given.

    Returns
    -------
    numpy.ndarray
        ``(n - 1, 2)`` integer array: at step ``s`` the groups labelled ``merges[s, 0] <
        merges[s, 1]`` are joined; a group's label is the smallest 0-based row index among its
        members (mclust's ``hcPairs``, 0-based).

    Notes
    -----
    Starting from singletons, each step joins the two groups whose union increases the
    criterion :math:`\\sum_k n_k \\log\\left(|W_k/n_k| + \\beta(\\operatorname{tr} W_k +
    \\alpha)/n_k\\right)` the least (the determinant counted only for groups larger than
    ``p``), where :math:`W_k` is the group's scatter matrix (Banfield & Raftery 1993; Fraley
    1998). Ties are broken as mclust's ``hcVVV`` breaks them, which matters for duplicated rows
    (all their pairs tie): groups sit in slots, a union takes the lower slot of the pair and
    the last slot moves into the higher one, and among equal increases the pair with the
    highest higher slot, then the highest lower slot, is joined.

    References
    ----------
    Fraley, C. (1998). Algorithms for model-based Gaussian hierarchical clustering. *SIAM
    Journal on Scientific Computing*, 20(1), 270-281.
    R: ``mclust::hc(X, modelName = "VVV", use = "SVD")``.
    """
    x = np.asarray(z, dtype=float)
    n, p = x.shape
    if p < 2:
        raise ValueError("merge_sequence needs at least 2 variables (mclust uses qclass for 1)")
    if n < 2:
        return np.empty((0, 2), dtype=int)
    centred = x / np.sqrt(n * p)
    centred = centred - centred.mean(axis=0)
    alpha = max(alpha * float(np.sum(centred**2)), np.finfo(float).eps)
    ablog = np.log(alpha * beta)

    # per slot: the group's size, mean, scatter, trace, criterion term and label
    size = np.ones(n)
    mean = x.copy()
    scatter = np.zeros((n, p, p))
    trace = np.zeros(n)
    term = np.full(n, ablog)
    label = np.arange(n)

    # all pairs of singletons: their union has trace |x_i - x_j|^2 / 2 (exactly 0 for
    # duplicated rows, so that their pairs tie exactly as in mclust)
    cost = np.empty((n, n))
    block = max(1, 2**22 // max(n * p, 1))
    for lo in range(0, n, block):
        diff = x[lo : lo + block, None, :] - x[None, :, :]
        d2 = np.einsum("ijk,ijk->ij", diff, diff)
        cost[lo : lo + block] = 2.0 * np.log(beta * (d2 / 2.0 + alpha) / 2.0) - 2.0 * ablog
    # row j holds the pairs (i, j) with i < j: its minimum and the highest i attaining it
    rowmin = np.full(n, np.inf)
    rowarg = np.zeros(n, dtype=int)

    def refresh(j: int) -> None:
        if j == 0:
            rowmin[0] = np.inf
            return
        row = cost[j, :j]
        k = j - 1 - int(np.argmin(row[::-1]))
        rowmin[j], rowarg[j] = row[k], k

    for j in range(n):
        refresh(j)

    def offer(rows: np.ndarray, col: int) -> None:
        """Rows ``rows`` (all > col) had their entry at ``col`` changed."""
        values = cost[rows, col]
        better = (values < rowmin[rows]) | ((values == rowmin[rows]) & (col > rowarg[rows]))
        rowmin[rows[better]] = values[better]
        rowarg[rows[better]] = col
        for r in rows[~better & (rowarg[rows] == col)]:
            refresh(int(r))

    merges = np.empty((n - 1, 2), dtype=int)
    lg = n  # slots 0..lg-1 are in use
    for step in range(n - 1):
        live = rowmin[1:lg]
        best = live.min()
        j = 1 + int(np.flatnonzero(live == best)[-1])
        i = int(rowarg[j])
        merges[step] = sorted((int(label[i]), int(label[j])))
        # the union goes to slot i, labelled by the smaller label
        ni, nj = size[i], size[j]
        nij = ni + nj
        diff = mean[j] - mean[i]
        w = ni * nj / nij
        scatter[i] = scatter[i] + scatter[j] + w * np.outer(diff, diff)
        trace[i] = trace[i] + trace[j] + w * float(diff @ diff)
        mean[i] = (ni * mean[i] + nj * mean[j]) / nij
        size[i] = nij
        label[i] = min(label[i], label[j])
        term[i] = _group_terms(
            np.array([nij]), np.array([trace[i]]), scatter[i][None], p, alpha, beta
        )[0]
        # the last slot moves into slot j
        last = lg - 1
        if j != last:
            for arr in (size, mean, scatter, trace, term, label):
                arr[j] = arr[last]
            cost[j, :] = cost[last, :]
            cost[:, j] = cost[:, last]
        lg -= 1
        if lg == 1:
            break
        # the cost of joining the new group with every other group
        others = np.arange(lg)
        others = others[others != i]
        no = size[others]
        dm = mean[others] - mean[i]
        tot = nij + no
        wo = nij * no / tot
        tr = trace[i] + trace[others] + wo * np.einsum("ij,ij->i", dm, dm)
        mats = None
        big = tot > p
        if np.any(big):
            ob = others[big]
            mats = (
                scatter[i]
                + scatter[ob]
                + wo[big, None, None] * (dm[big, :, None] * dm[big, None, :])
            )
        new = _group_terms(tot, tr, mats, p, alpha, beta, big=big) - term[i] - term[others]
        cost[i, others] = new
        cost[others, i] = new
        refresh(i)
        if j != last and j < lg:
            refresh(j)
            above_j = np.arange(j + 1, lg)
            if above_j.size:
                offer(above_j, j)
        above_i = np.arange(i + 1, lg)
        if above_i.size:
            offer(above_i, i)
        rowmin[lg:] = np.inf
    return merges


def _group_terms(
    size: np.ndarray,
    trace: np.ndarray,
    scatter: np.ndarray | None,
    p: int,
    alpha: float,
    beta: float,
    *,
    big: np.ndarray | None = None,
) -> np.ndarray:
    """mclust's ``vvvtij``: ``l log(det(W/l) + beta (tr W + alpha) / l)``, det only if l > p.

    ``scatter`` holds the scatter matrices of the groups larger than ``p`` (those selected by
    ``big``, or all when ``big`` is None and every size exceeds ``p``).
    """
    base = np.log(beta * (trace + alpha) / size)
    if big is None:
        big = size > p
    if scatter is None or not np.any(big):
        return size * base
    sign, logdet = np.linalg.slogdet(scatter[: int(np.sum(big))] / size[big, None, None])
    out = base.copy()
    out[big] = np.where(sign > 0, np.logaddexp(logdet, base[big]), base[big])
    return size * out


def hierarchical_partitions(
    data: np.ndarray, ks: Iterable[int], *, transform: bool = True
) -> dict[int, np.ndarray]:
    """Partitions of the rows into ``k`` groups from mclust's model-based agglomeration.

    Parameters
    ----------
    data : numpy.ndarray
        ``(n, p)`` data.
    ks : iterable of int
        Numbers of groups wanted (each between 1 and ``n``).
    transform : bool
        Transform the data as mclust's default ``hcUse = "SVD"`` first (:func:`svd_transform`).

    Returns
    -------
    dict
        ``{k: labels}``, labels ``0..k-1`` numbered in order of first appearance as
        ``mclust::hclass`` (via ``partconv(consec = TRUE)``) numbers them ``1..k``.

    References
    ----------
    Fraley, C. & Raftery, A. E. (2002). Model-based clustering, discriminant analysis, and
    density estimation. *JASA*, 97(458), 611-631.
    R: ``mclust::hclass(mclust::hc(X, modelName = "VVV", use = "SVD"), G)``.

    >>> rng = np.random.default_rng(1)
    >>> x = np.vstack([rng.normal(0, 1, (20, 2)), rng.normal(6, 1, (20, 2))])
    >>> parts = hierarchical_partitions(x, [2])
    >>> sorted(np.bincount(parts[2]).tolist())
    [20, 20]
    """
    x = np.asarray(data, dtype=float)
    z = svd_transform(x) if transform else x
    n = z.shape[0]
    wanted = sorted({int(k) for k in ks})
    merges = merge_sequence(z)
    out: dict[int, np.ndarray] = {}
    parent = np.arange(n)
    groups = n
    targets = set(wanted)
    if n in targets:
        out[n] = _consecutive(parent)
    for a, b in merges:
        parent[parent == b] = a
        groups -= 1
        if groups in targets:
            out[groups] = _consecutive(parent)
        if groups <= wanted[0]:
            break
    return out


def _consecutive(labels: np.ndarray) -> np.ndarray:
    """Relabel groups 0..k-1 in order of first appearance (mclust's ``partconv``)."""
    _, first, inverse = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(np.argsort(first))
    return order[inverse]


def quantile_partition(x: np.ndarray, k: int) -> np.ndarray:
    """k groups of one variable between quantiles, labelled 0..k-1 (mclust's ``qclass``).

    mclust starts one-dimensional mixtures from quantile classes instead of the agglomeration:
    the cut points are the ``k + 1`` distinct sample quantiles at equally spaced
    probabilities (more probabilities are tried while ties leave fewer than ``k + 1``
    distinct ones; if there are then too many, the cut points closest to their neighbours are
    dropped).

    >>> quantile_partition(np.array([1.0, 2, 3, 4, 5, 6]), 2).tolist()
    [0, 0, 0, 1, 1, 1]
    """
    v = np.asarray(x, dtype=float).ravel()
    m = k
    q = np.array([np.nan])
    while q.size < k + 1:
        m += 1
        # R's quantile() default (type 7) is numpy's default "linear" method
        q = np.unique(np.quantile(v, np.linspace(0.0, 1.0, m)))
        if m > v.size + k + 1:
            break
    if q.size > k + 1:
        drop = np.argsort(np.diff(q), kind="stable")[: q.size - k - 1]
        q = np.delete(q, drop)
    eps = np.sqrt(np.finfo(float).eps)
    q[0], q[-1] = v.min() - eps, v.max() + eps
    labels = np.searchsorted(q, v, side="right") - 1
    return np.clip(labels, 0, k - 1)
