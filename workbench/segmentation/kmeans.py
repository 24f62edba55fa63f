"""k-means with many k-means++ starts: the baseline segmentation managers know.

:func:`kmeans_segments` wraps scikit-learn's :class:`~sklearn.cluster.KMeans` (Lloyd's
algorithm from k-means++ seeds, the best of ``starts`` runs by within-cluster sum of squares;
scikit-learn 1.7 is in the lock files, so nothing is hand-written here) and adds what a
segmentation report needs: segment sizes and centres labelled by variable, the within- and
between-cluster sums of squares for the elbow plot, and the mean silhouette width, for one k or
for each k of a range.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from workbench.results import Result, jsonable, with_warnings
from workbench.segmentation.data import segmentation_matrix

__all__ = ["KMeansResult", "kmeans_segments"]

#: silhouette widths are computed on at most this many members (a seeded sample beyond)
SILHOUETTE_SAMPLE = 5000


@dataclasses.dataclass(frozen=True)
class KMeansResult(Result):
    """k-means segments (and, for a range of k, the elbow and silhouette table).

    Attributes
    ----------
    k : int
        Number of segments of the reported solution.
    n : int
        Members.
    variables : tuple of str
        The variables, in column order.
    centers : pandas.DataFrame
        Segment (rows 1..k) by variable centres (means of the members).
    classification : numpy.ndarray
        Segment of each member, 1..k, in the rows' order.
    within_ss : float
        Total within-segment sum of squares (scikit-learn's ``inertia_``; R's
        ``tot.withinss``).
    total_ss, between_ss : float
        Total sum of squares about the grand mean, and ``total_ss - within_ss``.
    silhouette : float
        Mean silhouette width (Rousseeuw 1987), on a seeded sample of at most 5,000 members
        when there are more (NaN for k = 1).
    table : pandas.DataFrame
        Per k tried: ``within_ss``, ``between_over_total``, ``silhouette``, ``iterations``.
    starts : int
        k-means++ starts per k.
    seed : int or None
        Seed of the starts and of the silhouette sample.
    """

    k: int
    n: int
    variables: tuple[str, ...]
    centers: pd.DataFrame
    classification: np.ndarray
    within_ss: float
    total_ss: float
    between_ss: float
    silhouette: float
    table: pd.DataFrame
    starts: int
    seed: int | None
    warning_messages: tuple[str, ...] = ()

    @property
    def sizes(self) -> pd.Series:
        counts = np.bincount(self.classification, minlength=self.k + 1)[1:]
        return pd.Series(counts, index=pd.RangeIndex(1, self.k + 1, name="segment"), name="size")

    def to_frame(self) -> pd.DataFrame:
        """One row per segment: ``size``, ``share`` and the centres."""
        frame = self.centers.copy()
        frame.insert(0, "share", self.sizes.to_numpy() / self.n)
        frame.insert(0, "size", self.sizes.to_numpy())
        return frame

    def summary(self) -> str:
        head = (
            f"k-means, k = {self.k}, n = {self.n}, {self.starts} k-means++ starts: within-SS "
            f"{self.within_ss:.3f} ({self.between_ss / self.total_ss:.1%} of the total SS "
            f"between segments), mean silhouette {self.silhouette:.3f}\n\n"
        )
        text = head + self.to_frame().to_string()
        if len(self.table) > 1:
            text += "\n\nBy k:\n" + self.table.to_string()
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "k": self.k,
                "n": self.n,
                "within_ss": self.within_ss,
                "between_ss": self.between_ss,
                "total_ss": self.total_ss,
                "silhouette": self.silhouette,
                "by_k": self.table,
                "segments": {
                    str(s): {
                        "size": int(self.sizes[s]),
                        "share": float(self.sizes[s] / self.n),
                        "means": {v: float(self.centers.loc[s, v]) for v in self.variables},
                    }
                    for s in range(1, self.k + 1)
                },
                "seed": self.seed,
                "warnings": self.warnings,
            }
        )


def kmeans_segments(
    data: Any,
    k: int | Iterable[int],
    *,
    starts: int = 50,
    seed: int | None = None,
    max_iter: int = 300,
) -> KMeansResult:
    """k-means segments from the best of many k-means++ starts, with silhouette and within-SS.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per member, numeric variables (standardise them first if units differ:
        k-means uses Euclidean distance).
    k : int or iterable of int
        Number of segments, or several: then each is fitted, ``table`` holds the elbow
        (within-SS) and the silhouette per k, and the reported solution is the k with the
        highest mean silhouette.
    starts : int
        k-means++ starts per k; the run with the lowest within-SS is kept (R: ``nstart``).
    seed : int, optional
        Seed of the starts and of the silhouette sample.
    max_iter : int
        Most Lloyd iterations per start.

    Returns
    -------
    KMeansResult

    Notes
    -----
    k-means minimises :math:`\\sum_k \\sum_{i \\in k} \\lVert x_i - \\bar x_k\\rVert^2`
    (Lloyd 1982) from seeds drawn by k-means++ (Arthur & Vassilvitskii 2007). The silhouette
    of member :math:`i` is :math:`(b_i - a_i)/\\max(a_i, b_i)`, with :math:`a_i` its mean
    distance to its own segment and :math:`b_i` to the nearest other (Rousseeuw 1987); its
    mean over members is reported (on a seeded sample of 5,000 above that size, since it
    needs all pairwise distances).

    References
    ----------
    Arthur, D. & Vassilvitskii, S. (2007). k-means++: the advantages of careful seeding.
    *SODA '07*, 1027-1035.
    Rousseeuw, P. J. (1987). Silhouettes. *Journal of Computational and Applied Mathematics*,
    20, 53-65.
    R: ``stats::kmeans(X, centers = k, nstart = starts, algorithm = "Lloyd")`` (from random
    rather than k-means++ seeds), ``cluster::silhouette``.

    Examples
    --------
    >>> rng = np.random.default_rng(2)
    >>> x = np.vstack([rng.normal(0, 1, (50, 2)), rng.normal(6, 1, (30, 2))])
    >>> km = kmeans_segments(x, range(1, 5), starts=10, seed=1)
    >>> km.k, km.sizes.sort_values().tolist()
    (2, [30, 50])
    """
    from sklearn.cluster import KMeans
    from sklearn.metrics import silhouette_score

    ks = [int(k)] if isinstance(k, int | np.integer) else sorted({int(v) for v in k})
    if not ks or ks[0] < 1:
        raise ValueError(f"k={k!r} is not valid: numbers of segments must be >= 1")
    if isinstance(starts, bool) or not isinstance(starts, int) or starts < 1:
        raise ValueError(f"starts={starts!r} is not valid: use a whole number >= 1")
    x, columns, notes = segmentation_matrix(data, method="k-means")
    n = x.shape[0]
    warnings_ = list(notes)
    if ks[-1] > n:
        raise ValueError(f"k={ks[-1]} is not valid: more segments than members ({n})")
    rng = np.random.default_rng(seed)
    total_ss = float(np.sum((x - x.mean(axis=0)) ** 2))
    sample = None
    if n > SILHOUETTE_SAMPLE:
        sample = np.sort(rng.choice(n, size=SILHOUETTE_SAMPLE, replace=False))
        warnings_.append(
            f"Silhouette widths are computed on a seeded sample of {SILHOUETTE_SAMPLE:,} of "
            f"the {n:,} members."
        )
    fits = {}
    rows = []
    for kk in ks:
        # single-threaded: with many starts scikit-learn's threads only contend (0.05 s per
        # 50 starts on one thread against 2-11 s with two on a busy 2-core machine)
        with threadpool_limits(1):
            km = KMeans(
                n_clusters=kk,
                init="k-means++",
                n_init=starts,
                max_iter=max_iter,
                random_state=int(rng.integers(2**31)),
            ).fit(x)
        labels = km.labels_
        if kk > 1 and np.unique(labels).size > 1:
            xs, ls = (x, labels) if sample is None else (x[sample], labels[sample])
            sil = float(silhouette_score(xs, ls)) if np.unique(ls).size > 1 else float("nan")
        else:
            sil = float("nan")
        fits[kk] = (km, sil)
        rows.append(
            {
                "k": kk,
                "within_ss": float(km.inertia_),
                "between_over_total": 1.0 - float(km.inertia_) / total_ss,
                "silhouette": sil,
                "iterations": int(km.n_iter_),
            }
        )
    table = pd.DataFrame(rows).set_index("k")
    if len(ks) == 1:
        best = ks[0]
    else:
        sil = table["silhouette"].dropna()
        best = int(sil.idxmax()) if not sil.empty else ks[0]
    km, sil = fits[best]
    # order segments by size (largest first) so that labels do not depend on the seed order
    counts = np.bincount(km.labels_, minlength=best)
    order = np.argsort(-counts, kind="stable")
    relabel = np.empty(best, dtype=int)
    relabel[order] = np.arange(1, best + 1)
    classification = relabel[km.labels_]
    index = pd.RangeIndex(1, best + 1, name="segment")
    centers = pd.DataFrame(km.cluster_centers_[order], index=index, columns=columns)
    return KMeansResult(
        k=best,
        n=n,
        variables=tuple(columns),
        centers=centers,
        classification=classification,
        within_ss=float(km.inertia_),
        total_ss=total_ss,
        between_ss=total_ss - float(km.inertia_),
        silhouette=sil,
        table=table,
        starts=starts,
        seed=seed,
        warning_messages=tuple(warnings_),
    )
