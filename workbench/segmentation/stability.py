"""Do the segments replicate? Bootstrap re-fits, adjusted Rand index and per-segment Jaccard.

:func:`segment_stability` re-fits a segmentation on bootstrap samples of the members and
compares each re-fit with the segmentation of the full data on the members the sample drew:
the adjusted Rand index for the partition as a whole, and for every segment the Jaccard
similarity to the most similar segment of the re-fit (Hennig 2007, R ``fpc::clusterboot`` with
``bootmethod = "boot"``). A segment whose mean Jaccard stays below ``threshold`` (default 0.6)
is flagged as not replicating. Hennig's own reading: below 0.5 a segment "dissolves", 0.6-0.75
indicates a pattern but doubtful membership, above 0.75 (0.85) a stable (highly stable) one;
we flag below 0.6, so that "pattern" segments are reported but the doubtful 0.5-0.6 ones are
flagged with the dissolved ones.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.results import Result, jsonable, with_warnings

__all__ = ["StabilityResult", "adjusted_rand_index", "segment_stability"]


def adjusted_rand_index(a: Any, b: Any) -> float:
    """Adjusted Rand index of two partitions of the same members (Hubert & Arabie 1985).

    1 for identical partitions (whatever the labels), about 0 for unrelated ones.

    Notes
    -----
    With :math:`n_{ij}` the cross-table of the two partitions, :math:`a_i, b_j` its margins,

    .. math::
        \\mathrm{ARI} = \\frac{\\sum_{ij}\\binom{n_{ij}}{2} - \\sum_i\\binom{a_i}{2}
        \\sum_j\\binom{b_j}{2}/\\binom{n}{2}}{\\tfrac12\\left[\\sum_i\\binom{a_i}{2} +
        \\sum_j\\binom{b_j}{2}\\right] - \\sum_i\\binom{a_i}{2}\\sum_j\\binom{b_j}{2}/
        \\binom{n}{2}}

    References
    ----------
    Hubert, L. & Arabie, P. (1985). Comparing partitions. *Journal of Classification*, 2,
    193-218. R: ``mclust::adjustedRandIndex(a, b)``.

    >>> adjusted_rand_index([1, 1, 2, 2], [2, 2, 1, 1])
    1.0
    """
    a = np.asarray(a)
    b = np.asarray(b)
    if a.shape != b.shape or a.ndim != 1:
        raise ValueError("the two partitions must label the same members (equal lengths)")
    _, ia = np.unique(a, return_inverse=True)
    _, ib = np.unique(b, return_inverse=True)
    table = np.zeros((ia.max() + 1, ib.max() + 1))
    np.add.at(table, (ia, ib), 1.0)

    def pairs(v: np.ndarray) -> float:
        return float(np.sum(v * (v - 1.0) / 2.0))

    n = a.size
    total = n * (n - 1.0) / 2.0
    sum_ij = pairs(table)
    sum_a = pairs(table.sum(axis=1))
    sum_b = pairs(table.sum(axis=0))
    expected = sum_a * sum_b / total if total > 0 else 0.0
    maximum = 0.5 * (sum_a + sum_b)
    if maximum == expected:
        return 1.0 if sum_ij == expected else 0.0
    return (sum_ij - expected) / (maximum - expected)


@dataclasses.dataclass(frozen=True)
class StabilityResult(Result):
    """Bootstrap stability of a segmentation.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per segment (1..k): ``size`` (members in the full-data segmentation),
        ``jaccard_mean``, ``jaccard_median``, ``dissolved`` (share of replicates with Jaccard
        < 0.5), ``recovered`` (share with Jaccard >= 0.75), ``replicates`` (bootstrap samples
        that drew some of its members) and ``flagged`` (mean Jaccard below ``threshold``).
    ari : numpy.ndarray
        Adjusted Rand index of each usable replicate against the full-data segmentation.
    jaccard : numpy.ndarray
        ``(replicates, k)`` Jaccard similarities (NaN where a sample drew no member of the
        segment).
    threshold : float
        The mean Jaccard below which a segment is flagged.
    n_boot : int
        Bootstrap samples asked for; ``failed`` of them could not be re-fitted.
    failed : int
        Replicates whose re-fit raised an error or did not fit.
    seed : int or None
        Seed of the bootstrap draws.
    """

    table: pd.DataFrame
    ari: np.ndarray
    jaccard: np.ndarray
    threshold: float
    n_boot: int
    failed: int
    seed: int | None
    warning_messages: tuple[str, ...] = ()

    @property
    def ari_mean(self) -> float:
        return float(np.mean(self.ari)) if self.ari.size else math.nan

    @property
    def flagged(self) -> list[int]:
        """Segments (1..k) whose mean Jaccard is below the threshold."""
        return [int(s) for s in self.table.index[self.table["flagged"]]]

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        text = (
            f"Bootstrap stability: {self.ari.size} re-fits ({self.failed} failed), mean "
            f"adjusted Rand index {self.ari_mean:.3f}; segments with mean Jaccard < "
            f"{self.threshold:g} are flagged.\n\n" + self.table.to_string()
        )
        return with_warnings(text, self.warnings)

    def to_dict(self) -> dict[str, Any]:
        """The results.json ``stability`` block: ``{ari_mean, jaccard {"<id>": value}}``."""
        return jsonable(
            {
                "ari_mean": self.ari_mean,
                "jaccard": {str(s): self.table.loc[s, "jaccard_mean"] for s in self.table.index},
                "flagged": self.flagged,
                "threshold": self.threshold,
                "n_boot": self.n_boot,
                "failed": self.failed,
                "seed": self.seed,
            }
        )


def _labels(out: Any) -> np.ndarray | None:
    """The classification a fit function returned (an array or a result object)."""
    if getattr(out, "fitted", True) is False:
        return None
    labels = getattr(out, "classification", out)
    return np.asarray(labels).ravel()


def segment_stability(
    data: Any,
    fit_fn: Callable[[Any], Any],
    *,
    n_boot: int = 100,
    seed: int | None = None,
    threshold: float = 0.6,
    reference: Any = None,
) -> StabilityResult:
    """Bootstrap re-fits: adjusted Rand index and per-segment Jaccard (Hennig's clusterboot).

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        The members, one per row, as ``fit_fn`` takes them.
    fit_fn : callable
        ``fit_fn(rows)`` segments a DataFrame/array of rows and returns either the segment
        labels (one per row) or a result with a ``classification`` attribute (a
        :class:`~workbench.segmentation.MixtureResult` or
        :class:`~workbench.segmentation.KMeansResult`), e.g.
        ``lambda d: fit_gaussian_mixture(d, 3, "VEV", restarts=0, seed=1)``.
    n_boot : int
        Bootstrap samples (Hennig's default ``B = 100``).
    seed : int, optional
        Seed of the draws.
    threshold : float
        Flag segments whose mean Jaccard is below this (default 0.6; Hennig's "dissolved" is
        below 0.5).
    reference : array-like, optional
        The full-data segmentation to compare with (default: ``fit_fn(data)``).

    Returns
    -------
    StabilityResult

    Notes
    -----
    Replicate :math:`b` draws ``n`` members with replacement, re-fits, and keeps each drawn
    member once. With :math:`C` a segment of the full-data segmentation restricted to the
    drawn members and :math:`D` the re-fit's segments on them, the segment's Jaccard is
    :math:`\\max_D |C \\cap D| / |C \\cup D|`; the adjusted Rand index compares the two
    partitions of the drawn members (:func:`adjusted_rand_index`).

    References
    ----------
    Hennig, C. (2007). Cluster-wise assessment of cluster stability. *Computational
    Statistics & Data Analysis*, 52(1), 258-271.
    R: ``fpc::clusterboot(X, B = n_boot, bootmethod = "boot", clustermethod = ...)``
    (``$bootmean``, ``$bootbrd``, ``$bootrecover``).

    Examples
    --------
    >>> rng = np.random.default_rng(4)
    >>> x = np.vstack([rng.normal(0, 1, (40, 2)), rng.normal(8, 1, (40, 2))])
    >>> labels = lambda d: (np.asarray(d)[:, 0] > 4).astype(int) + 1
    >>> st = segment_stability(x, labels, n_boot=20, seed=1)
    >>> st.ari_mean, st.flagged
    (1.0, [])
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, int) or n_boot < 1:
        raise ValueError(f"n_boot={n_boot!r} is not valid: use a whole number >= 1")
    if not 0 < threshold < 1:
        raise ValueError(f"threshold={threshold!r} is not valid: use a Jaccard value in (0, 1)")
    n = len(data)
    take = (lambda idx: data.iloc[idx]) if isinstance(data, pd.DataFrame) else (
        lambda idx: np.asarray(data)[idx]
    )  # fmt: skip
    ref = _labels(fit_fn(data)) if reference is None else np.asarray(reference).ravel()
    if ref is None or ref.size != n:
        raise InputError(
            "The segmentation of the full data could not be obtained (the fit did not "
            "converge to a proper solution or returned a label per member of another length).",
            hint="Check the fit function on the full data first.",
        )
    segments, ref_codes = np.unique(ref, return_inverse=True)
    k = segments.size
    rng = np.random.default_rng(seed)
    aris: list[float] = []
    jac: list[np.ndarray] = []
    failed = 0
    for _ in range(n_boot):
        idx = rng.integers(0, n, size=n)
        try:
            labels = _labels(fit_fn(take(idx)))
        except Exception:  # a re-fit that fails is counted, as clusterboot counts them
            labels = None
        if labels is None or labels.size != n:
            failed += 1
            continue
        uniq, first = np.unique(idx, return_index=True)
        boot = labels[first]
        orig = ref_codes[uniq]
        aris.append(adjusted_rand_index(orig, boot))
        row = np.full(k, np.nan)
        boot_sets = [boot == d for d in np.unique(boot)]
        for c in range(k):
            in_c = orig == c
            if not in_c.any():
                continue
            row[c] = max(float(np.sum(in_c & d)) / float(np.sum(in_c | d)) for d in boot_sets)
        jac.append(row)
    jaccard = np.array(jac) if jac else np.empty((0, k))
    with warnings.catch_warnings():  # all-NaN columns: segments no sample drew
        warnings.simplefilter("ignore", RuntimeWarning)
        mean = np.nanmean(jaccard, axis=0) if jac else np.full(k, np.nan)
        median = np.nanmedian(jaccard, axis=0) if jac else np.full(k, np.nan)
    valid = ~np.isnan(jaccard)
    counts = valid.sum(axis=0)
    dissolved = np.where(
        counts > 0, np.sum((jaccard < 0.5) & valid, axis=0) / np.maximum(counts, 1), np.nan
    )
    recovered = np.where(
        counts > 0, np.sum((jaccard >= 0.75) & valid, axis=0) / np.maximum(counts, 1), np.nan
    )
    table = pd.DataFrame(
        {
            "size": np.bincount(ref_codes, minlength=k),
            "jaccard_mean": mean,
            "jaccard_median": median,
            "dissolved": dissolved,
            "recovered": recovered,
            "replicates": counts,
            "flagged": ~(mean >= threshold),
        },
        index=pd.Index(segments, name="segment"),
    )
    notes = []
    if failed:
        notes.append(f"{failed} of {n_boot} bootstrap re-fits failed and were left out.")
    for s in table.index[table["flagged"]]:
        notes.append(
            f"Segment {s} does not replicate: mean Jaccard {table.loc[s, 'jaccard_mean']:.2f} "
            f"< {threshold:g} over {int(table.loc[s, 'replicates'])} bootstrap re-fits "
            f"(dissolved, Jaccard < 0.5, in {table.loc[s, 'dissolved']:.0%} of them)."
        )
    return StabilityResult(
        table=table,
        ari=np.array(aris),
        jaccard=jaccard,
        threshold=threshold,
        n_boot=n_boot,
        failed=failed,
        seed=seed,
        warning_messages=tuple(notes),
    )
