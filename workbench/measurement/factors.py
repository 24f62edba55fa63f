"""Factorability, number of factors and exploratory factor analysis (EFA).

One public function per method, each returning a labelled, frozen result:

* :func:`kmo` and :func:`bartlett_sphericity`: is the correlation matrix worth factoring?
* :func:`parallel_analysis`, :func:`map_test` and :func:`kaiser_count`: how many factors?
* :func:`efa`: extraction (minres, ml, principal axis), rotation (varimax, promax, oblimin,
  quartimin, geomin) and the fit statistics R's ``psych::fa`` prints.

Every function takes either raw item data (a DataFrame of numeric items) or a precomputed
correlation matrix (``corr=``, a DataFrame labelled with the items, plus ``n_obs=`` where a
sample size is needed). With incomplete data the correlations are computed listwise, pairwise
or (``missing="em"``) as the maximum-likelihood estimates of the saturated normal model by EM,
the matrix behind FIML (see :func:`item_correlations`). The numbers follow R ``psych`` 2.2.9 and ``GPArotation``; the golden
tests in ``tests/test_factors.py`` pin them against ``tests/reference/psych_factors.R``.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable
from typing import Any, Literal

import numpy as np
import pandas as pd
from scipy import optimize, special, stats

from workbench.errors import InputError
from workbench.intake.missingness import EMMoments, estimate_em_moments
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable
from workbench.validation import check_choice

__all__ = [
    "BartlettResult",
    "EFAFit",
    "EFAResult",
    "FactorFit",
    "KMOResult",
    "MAPResult",
    "ParallelAnalysisResult",
    "bartlett_sphericity",
    "efa",
    "kaiser_count",
    "kmo",
    "map_test",
    "parallel_analysis",
]

Missing = Literal["listwise", "pairwise", "em"]
Method = Literal["minres", "ml", "pa"]
Rotation = Literal["none", "varimax", "promax", "oblimin", "quartimin", "geomin"]
Reduced = Literal["fa1", "smc"]

_MISSING = ("listwise", "pairwise", "em")
_METHODS = ("minres", "ml", "pa")
_ROTATIONS = ("none", "varimax", "promax", "oblimin", "quartimin", "geomin")
_OBLIQUE = ("promax", "oblimin", "quartimin", "geomin")
_REDUCED = ("fa1", "smc")

#: Lower bound of the uniquenesses in psych ``fa`` and factor_analyzer (L-BFGS-B bounds).
UNIQUENESS_LOWER_BOUND = 0.005


# ---------------------------------------------------------------------------------------------
# Input handling
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class ItemCorrelations:
    """Item correlations computed once, for every factor-analysis step that needs them.

    Pass it as ``corr=`` to :func:`kmo`, :func:`bartlett_sphericity`,
    :func:`parallel_analysis`, :func:`map_test`, :func:`kaiser_count` and :func:`efa`: each
    then uses it as it is, with its sample size, instead of computing the matrix again.

    Attributes
    ----------
    r : numpy.ndarray
        The correlation matrix.
    items : tuple of str
        Item names, in the order of ``r``.
    n_obs : int or None
        Respondents behind ``r`` (listwise: complete rows; pairwise and em: respondents with
        at least one answer, as each statistic's documentation says).
    missing : str or None
        ``"listwise"``, ``"pairwise"`` or ``"em"`` (None when built from a given matrix).
    eigenvalues : numpy.ndarray
        Eigenvalues of ``r``, largest first (computed once, by the singularity check).
    moments : EMMoments or None
        With ``missing="em"``: the EM means and covariances ``r`` was computed from
        (:func:`~workbench.intake.missingness.estimate_em_moments`), for reuse (e.g. by
        :func:`~workbench.measurement.scales.reliability`) and for their warnings.
    """

    r: np.ndarray
    items: tuple[str, ...]
    n_obs: int | None
    missing: str | None
    eigenvalues: np.ndarray
    moments: EMMoments | None = dataclasses.field(default=None, repr=False)


_Corr = ItemCorrelations  # the internal name of the same thing


def item_correlations(
    data: pd.DataFrame | np.ndarray, *, missing: str = "listwise"
) -> ItemCorrelations:
    """Pearson correlations of the items, once, for the whole factor-analysis sequence.

    Parameters
    ----------
    data : pandas.DataFrame
        Numeric item responses, one column per item (NaN for missing answers).
    missing : {"listwise", "pairwise", "em"}, keyword-only
        ``"listwise"``: complete respondents only. ``"pairwise"``: every available pair of
        answers. ``"em"``: the maximum-likelihood correlations of the saturated multivariate
        normal model, estimated by EM from every respondent with at least one answer (the
        unrestricted model of FIML; lavaan's ``lavCor(x, missing = "ml")``).

    Returns
    -------
    ItemCorrelations
        With ``missing="em"`` its ``moments`` hold the EM means and covariances.

    Raises
    ------
    InputError
        Fewer than 3 items, a non-numeric or constant item, too few respondents (fewer than
        items + 2; with ``"pairwise"`` or ``"em"`` also fewer than 3 answering some pair of
        items), or a singular correlation matrix.

    Notes
    -----
    ``missing="em"``: with :math:`\\hat\\Sigma` the EM estimate
    (:func:`~workbench.intake.missingness.estimate_em_moments`, divisor :math:`n`),
    :math:`r_{ij} = \\hat\\sigma_{ij} / \\sqrt{\\hat\\sigma_{ii}\\hat\\sigma_{jj}}`. Under
    missing at random and multivariate normality these are consistent, where listwise and
    pairwise correlations need missing completely at random (Enders 2010, ch. 4). ``n_obs`` is
    the number of respondents with at least one answer: every statistic that needs a sample
    size (Bartlett's test, parallel analysis, the EFA's chi-square, RMSEA, TLI and BIC) then
    treats the matrix as if it came from that many complete respondents, which follows
    psych's convention for a given matrix (``fa(r, n.obs = n)``, ``cortest.bartlett(r, n)``,
    ``fa.parallel(r, n.obs = n)``). It overstates the information when many answers are
    missing; the EM correlations themselves do not depend on it.

    References
    ----------
    Enders, C. K. (2010). *Applied Missing Data Analysis*, ch. 4 (the EM algorithm) and 5.
    Guilford. Dempster, A. P., Laird, N. M., & Rubin, D. B. (1977). Maximum likelihood from
    incomplete data via the EM algorithm. *JRSS B*, 39, 1-38.
    R: ``lavaan::lavCor(x, missing = "ml")`` (matched to 1e-6 in ``tests/test_fiml.py``).

    Examples
    --------
    >>> import pandas as pd
    >>> bfi = pd.read_csv("data/bfi.csv").filter(regex="^[AC][1-5]$")
    >>> c = item_correlations(bfi)
    >>> c.n_obs, len(c.items), kaiser_count(corr=c)
    (2632, 10, 2)
    >>> em = item_correlations(bfi, missing="em")
    >>> em.n_obs, em.moments.converged, kaiser_count(corr=em)
    (2800, True, 2)
    """
    check_choice("missing", missing, _MISSING)
    return _correlation_from_data(data, missing)


def _correlation(
    data: pd.DataFrame | np.ndarray | None,
    corr: pd.DataFrame | np.ndarray | ItemCorrelations | None,
    n_obs: int | None,
    missing: str,
    *,
    need_n: bool = False,
) -> _Corr:
    """Pearson correlations of the items (or a checked copy of ``corr``)."""
    check_choice("missing", missing, _MISSING)
    if isinstance(corr, ItemCorrelations):  # computed once by item_correlations: use as is
        if data is not None or n_obs is not None:
            raise ValueError("pass item correlations alone, not with data or n_obs")
        if need_n and corr.n_obs is None:
            raise ValueError("this statistic needs the sample size, which corr does not carry")
        return corr
    if (data is None) == (corr is None):
        raise ValueError("give either data (item responses) or corr (a correlation matrix)")
    if n_obs is not None and (
        isinstance(n_obs, bool) or not isinstance(n_obs, (int, np.integer)) or n_obs < 2
    ):
        raise ValueError(f"n_obs must be a whole number of respondents >= 2, got {n_obs!r}")
    if data is not None:
        if n_obs is not None:
            raise ValueError("n_obs is taken from the data; pass n_obs only with corr=")
        return _correlation_from_data(data, missing)
    r, items = _as_corr_matrix(corr)
    if need_n and n_obs is None:
        raise ValueError("this statistic needs the sample size: pass n_obs= with corr=")
    values = _check_not_singular(r, items)
    return _Corr(r, items, None if n_obs is None else int(n_obs), None, values)


def _correlation_from_data(data: pd.DataFrame | np.ndarray, missing: str) -> _Corr:
    if isinstance(data, np.ndarray):
        if data.ndim != 2:
            raise ValueError("data must be a 2-D table of item responses")
        data = pd.DataFrame(data, columns=[f"V{i + 1}" for i in range(data.shape[1])])
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame of items, got {type(data).__name__}")
    items = tuple(str(c) for c in data.columns)
    if len(set(items)) != len(items):
        raise InputError("Item names are not unique.", hint="rename the duplicated columns.")
    if len(items) < 3:
        raise InputError(
            f"Factor analysis needs at least 3 items; got {len(items)}.",
            hint="pass a DataFrame with one numeric column per item.",
        )
    for col, dtype in zip(data.columns, data.dtypes, strict=True):
        if not (pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)):
            raise InputError(
                "Item is not numeric.",
                column=str(col),
                hint="select only the item columns, or recode the responses to numbers "
                "(workbench.intake.data applies the codebook's value labels and missing codes).",
            )
    # A float64 view where the frame holds one float64 block (no copy), else one conversion.
    # Read-only: the caller's data is never modified.
    x = data.to_numpy(dtype=float, na_value=np.nan)
    p = x.shape[1]
    col_sums = x.sum(axis=0)
    if np.isfinite(col_sums).all():
        # Complete data (a NaN or inf would make its column sum non-finite): listwise and
        # pairwise are the same, so both take the one-pass numpy path.
        return _complete_correlation(x, col_sums, items, missing)
    x = np.where(np.isfinite(x), x, np.nan)  # inf counts as missing, as NaN
    if missing == "em":
        return _em_correlation(x, items)
    if missing == "listwise":
        x = x[~np.isnan(x).any(axis=1)]
        return _complete_correlation(x, x.sum(axis=0), items, missing)
    x = x[~np.isnan(x).all(axis=1)]
    n = x.shape[0]
    ok = ~np.isnan(x)
    counts = ok.T.astype(float) @ ok.astype(float)
    if n < p + 2 or counts.min() < 3:
        i, j = np.unravel_index(np.argmin(counts), counts.shape)
        raise InputError(
            f"Too few respondents for pairwise correlations: {int(counts.min())} answered "
            f"both '{items[i]}' and '{items[j]}' ({n} respondents in all, {p} items).",
            hint="drop the sparsely answered items or collect more responses.",
        )
    frame = pd.DataFrame(x, columns=range(p))
    sd = frame.std()
    for j in np.flatnonzero(~(sd.to_numpy() > 0)):
        raise InputError(
            "Item has the same value for every respondent who answered it.",
            column=items[j],
            hint="drop this item before factoring.",
        )
    r = frame.corr(method="pearson", min_periods=3).to_numpy()
    if np.isnan(r).any():
        i, j = np.argwhere(np.isnan(r))[0]
        raise InputError(
            f"The correlation of '{items[i]}' and '{items[j]}' is undefined (one of them "
            "is constant among the respondents who answered both).",
            hint="drop one of the two items or use missing='listwise'.",
        )
    return _finish_correlation(r, items, n, missing)


def _em_correlation(x: np.ndarray, items: tuple[str, ...]) -> _Corr:
    """Correlations of the EM (saturated-model ML) covariance of every respondent with an answer."""
    x = x[~np.isnan(x).all(axis=1)]
    n, p = x.shape
    ok = ~np.isnan(x)
    counts = ok.T.astype(float) @ ok.astype(float)
    if n < p + 2:
        raise InputError(
            f"Only {n} respondents answered any of the {p} items; factor analysis needs more "
            f"respondents than items (at least {p + 2}).",
            hint="drop items or collect more responses.",
        )
    if counts.min() < 3:
        i, j = np.unravel_index(np.argmin(counts), counts.shape)
        raise InputError(
            f"Too few respondents for the EM correlations: {int(counts.min())} answered both "
            f"'{items[i]}' and '{items[j]}' ({n} respondents with an answer, {p} items).",
            hint="drop the sparsely answered items or collect more responses.",
        )
    for k in range(p):
        values = x[ok[:, k], k]
        if np.all(values == values[0]):
            raise InputError(
                "Item has the same value for every respondent who answered it.",
                column=items[k],
                value=float(values[0]),
                hint="drop this item before factoring.",
            )
    moments = estimate_em_moments(pd.DataFrame(x, columns=list(items)))
    sd = np.sqrt(np.diag(moments.cov.to_numpy()))
    r = moments.cov.to_numpy() / np.outer(sd, sd)
    return dataclasses.replace(_finish_correlation(r, items, moments.n, "em"), moments=moments)


def _complete_correlation(
    x: np.ndarray, col_sums: np.ndarray, items: tuple[str, ...], missing: str
) -> _Corr:
    """Pearson correlations of complete float64 data: centre once, one symmetric product.

    Same arithmetic as ``np.corrcoef`` (centred cross-products, then scaled by the standard
    deviations), without its extra copies; ``x`` is not modified.
    """
    n, p = x.shape
    if n < p + 2:
        raise InputError(
            f"Only {n} respondents answered all {p} items; factor analysis needs more "
            f"complete respondents than items (at least {p + 2}).",
            hint="drop items that many people skipped, use missing='pairwise', "
            "or collect more responses.",
        )
    mean = col_sums / n
    centred = x - mean
    cross = centred.T @ centred  # BLAS syrk: the product of a matrix with its transpose
    ss = np.diag(cross).copy()
    # Exactly constant items give ss == 0; rounding in the mean can leave a tiny positive ss,
    # so check the suspiciously small ones value by value.
    tiny = ss <= n * (64 * np.finfo(float).eps * np.maximum(np.abs(mean), 1.0)) ** 2
    for j in np.flatnonzero(tiny):
        if ss[j] <= 0 or np.all(x[:, j] == x[0, j]):
            raise InputError(
                "Item has the same value for every complete respondent, so it has no "
                "correlation with anything."
                if missing == "listwise"
                else "Item has the same value for every respondent who answered it.",
                column=items[j],
                value=float(x[0, j]),
                hint="drop this item before factoring.",
            )
    sd = np.sqrt(ss)
    r = cross / np.outer(sd, sd)
    return _finish_correlation(r, items, n, missing)


def _finish_correlation(r: np.ndarray, items: tuple[str, ...], n: int, missing: str) -> _Corr:
    r = (r + r.T) / 2
    np.fill_diagonal(r, 1.0)
    values = _check_not_singular(r, items)
    return _Corr(r, items, int(n), missing, values)


def _as_corr_matrix(corr: pd.DataFrame | np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    if isinstance(corr, pd.DataFrame):
        if list(map(str, corr.index)) != list(map(str, corr.columns)):
            raise ValueError("corr must have the same item labels on its rows and columns")
        items = tuple(str(c) for c in corr.columns)
        r = corr.to_numpy(dtype=float)
    else:
        r = np.asarray(corr, dtype=float)
        if r.ndim != 2:
            raise ValueError("corr must be a square correlation matrix")
        items = tuple(f"V{i + 1}" for i in range(r.shape[1]))
    if r.shape[0] != r.shape[1]:
        raise ValueError(f"corr must be square, got shape {r.shape}")
    if r.shape[0] < 3:
        raise InputError("Factor analysis needs at least 3 items.", hint="pass a larger matrix.")
    if not np.isfinite(r).all():
        i, j = np.argwhere(~np.isfinite(r))[0]
        raise InputError(
            f"The correlation matrix has a missing value for '{items[i]}' and '{items[j]}'.",
            hint="recompute the correlations (e.g. listwise) or drop one of the items.",
        )
    if not np.allclose(r, r.T, atol=1e-8) or not np.allclose(np.diag(r), 1.0, atol=1e-8):
        raise ValueError("corr must be a symmetric correlation matrix with ones on the diagonal")
    r = (r + r.T) / 2
    np.fill_diagonal(r, 1.0)
    return r, items


def _check_not_singular(r: np.ndarray, items: tuple[str, ...]) -> np.ndarray:
    """Raise if ``r`` is (nearly) singular; return its eigenvalues, largest first."""
    values, vectors = np.linalg.eigh(r)
    if values[0] <= 1e-10 * max(values[-1], 1.0):
        involved = [items[i] for i in np.argsort(-np.abs(vectors[:, 0]))[:3]]
        raise InputError(
            "The correlation matrix is singular or not positive definite (smallest eigenvalue "
            f"{values[0]:.3g}); items such as {', '.join(involved)} are (nearly) linear "
            "combinations of each other.",
            hint="drop duplicated items and sum/total scores from the item set; with "
            "missing='pairwise' try missing='listwise'.",
        )
    return values[::-1].copy()


def _smc(r: np.ndarray) -> np.ndarray:
    """Squared multiple correlations, ``1 - 1/diag(R^-1)`` (batched over leading axes)."""
    inv = np.linalg.inv(r)
    return 1.0 - 1.0 / np.diagonal(inv, axis1=-2, axis2=-1)


# ---------------------------------------------------------------------------------------------
# Factorability
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class KMOResult(Result):
    """Kaiser-Meyer-Olkin measure of sampling adequacy.

    Attributes
    ----------
    overall : float
        KMO for the whole correlation matrix.
    items : pandas.Series
        Per-item measure of sampling adequacy (MSA), indexed by item.
    n_obs : int or None
        Respondents behind the correlations (None when a matrix was given without ``n_obs``).
    """

    overall: float
    items: pd.Series
    n_obs: int | None
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per item: ``item``, ``msa`` and Kaiser's verbal ``label``."""
        return pd.DataFrame(
            {
                "item": self.items.index,
                "msa": self.items.to_numpy(),
                "label": [_kmo_label(v) for v in self.items],
            }
        )

    def summary(self) -> str:
        head = f"KMO overall = {self.overall:.3f} ({_kmo_label(self.overall)})\n\n"
        return head + super().summary()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"overall": self.overall, "items": self.items})


def _kmo_label(value: float) -> str:
    # Kaiser (1974): .90 marvelous, .80 meritorious, .70 middling, .60 mediocre, .50 miserable.
    for cut, label in ((0.9, "marvelous"), (0.8, "meritorious"), (0.7, "middling")):
        if value >= cut:
            return label
    return "mediocre" if value >= 0.6 else ("miserable" if value >= 0.5 else "unacceptable")


def kmo(
    data: pd.DataFrame | None = None,
    *,
    corr: pd.DataFrame | ItemCorrelations | None = None,
    missing: Missing = "listwise",
) -> KMOResult:
    """Kaiser-Meyer-Olkin measure of sampling adequacy, overall and per item.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Numeric item responses, one column per item. Give ``data`` or ``corr``.
    corr : pandas.DataFrame, optional
        A correlation matrix labelled with the items.
    missing : {"listwise", "pairwise", "em"}
        How correlations are computed from ``data`` with missing values
        (see :func:`item_correlations`).

    Returns
    -------
    KMOResult

    Raises
    ------
    InputError
        Too few respondents, a constant item or a singular correlation matrix.

    Notes
    -----
    With :math:`r_{ij}` the correlations and :math:`q_{ij} = -s_{ij}/\\sqrt{s_{ii}s_{jj}}` the
    partial (anti-image) correlations from :math:`S = R^{-1}`,

    .. math::

        \\mathrm{MSA}_j = \\frac{\\sum_{i \\ne j} r_{ij}^2}
                               {\\sum_{i \\ne j} r_{ij}^2 + \\sum_{i \\ne j} q_{ij}^2},

    and the overall KMO uses the same ratio summed over all :math:`i \\ne j`. Kaiser's labels:
    >= .90 marvelous, .80 meritorious, .70 middling, .60 mediocre, .50 miserable, below
    unacceptable. A warning is added when the overall value is below .60 or an item is
    below .50.

    References
    ----------
    Kaiser, H. F. (1974). An index of factorial simplicity. *Psychometrika*, 39, 31-36.
    R: ``psych::KMO(x)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.factors import kmo
    >>> items = pd.read_csv("data/holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    >>> round(kmo(items).overall, 3)
    0.752
    """
    c = _correlation(data, corr, None, missing)
    r = c.r
    inv = np.linalg.inv(r)
    d = 1.0 / np.sqrt(np.diag(inv))
    q = -inv * np.outer(d, d)
    np.fill_diagonal(q, 0.0)
    r2 = r**2
    np.fill_diagonal(r2, 0.0)
    q2 = q**2
    items = pd.Series(r2.sum(0) / (r2.sum(0) + q2.sum(0)), index=list(c.items), name="msa")
    overall = float(r2.sum() / (r2.sum() + q2.sum()))
    notes = []
    if overall < 0.6:
        notes.append(
            f"Overall KMO is {overall:.2f} (< .60): the correlations are too weak or too "
            "diffuse for a clear factor solution."
        )
    low = [k for k, v in items.items() if v < 0.5]
    if low:
        notes.append(
            f"Items with MSA < .50 ({', '.join(low)}) share little with the others; "
            "consider dropping them."
        )
    return KMOResult(overall=overall, items=items, n_obs=c.n_obs, warning_messages=tuple(notes))


@dataclasses.dataclass(frozen=True, eq=False)
class BartlettResult(Result):
    """Bartlett's test that the correlation matrix is an identity matrix.

    Attributes
    ----------
    chi2, df, p : float, int, float
        Test statistic, degrees of freedom and p-value.
    n_obs : int
        Respondents used.
    """

    chi2: float
    df: int
    p: float
    n_obs: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row: ``chi2``, ``df``, ``p``, ``n_obs``."""
        return pd.DataFrame([{"chi2": self.chi2, "df": self.df, "p": self.p, "n_obs": self.n_obs}])

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"chi2": self.chi2, "df": self.df, "p": self.p})


def bartlett_sphericity(
    data: pd.DataFrame | None = None,
    *,
    corr: pd.DataFrame | ItemCorrelations | None = None,
    n_obs: int | None = None,
    missing: Missing = "listwise",
) -> BartlettResult:
    """Bartlett's test of sphericity.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Numeric item responses. Give ``data`` or ``corr`` and ``n_obs``.
    corr : pandas.DataFrame, optional
        A correlation matrix labelled with the items.
    n_obs : int, optional
        Respondents behind ``corr`` (required with ``corr``).
    missing : {"listwise", "pairwise", "em"}
        How correlations are computed from ``data`` (see :func:`item_correlations`). With
        pairwise or EM correlations ``n_obs`` is the number of respondents with at least one
        answer (as psych uses ``nrow``, or ``n`` for a given matrix).

    Returns
    -------
    BartlettResult

    Notes
    -----
    .. math::

        \\chi^2 = -\\left(n - 1 - \\frac{2p + 5}{6}\\right) \\ln |R|, \\qquad
        df = p(p - 1)/2.

    A small p-value says the items are correlated enough to factor; with survey-sized samples
    it is nearly always significant, so read it together with :func:`kmo`.

    References
    ----------
    Bartlett, M. S. (1951). The effect of standardization on a chi square approximation in
    factor analysis. *Biometrika*, 38, 337-344. R: ``psych::cortest.bartlett(R, n = n)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.factors import bartlett_sphericity
    >>> items = pd.read_csv("data/holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    >>> res = bartlett_sphericity(items)
    >>> res.df, round(res.chi2, 1)
    (36, 904.1)
    """
    c = _correlation(data, corr, n_obs, missing, need_n=True)
    assert c.n_obs is not None  # for type checkers; _correlation guarantees it
    p = len(c.items)
    _, logdet = np.linalg.slogdet(c.r)
    chi2 = float(-((c.n_obs - 1) - (2 * p + 5) / 6) * logdet)
    df = p * (p - 1) // 2
    return BartlettResult(chi2=chi2, df=df, p=float(stats.chi2.sf(chi2, df)), n_obs=c.n_obs)


# ---------------------------------------------------------------------------------------------
# Number of factors
# ---------------------------------------------------------------------------------------------


def _one_factor_communalities(r: np.ndarray, *, tol: float = 1e-9, max_iter: int = 50):
    """Communalities of the one-factor minres solution, batched over leading axes.

    Minimises :math:`\\sum_{i<j} (r_{ij} - l_i l_j)^2` by Newton steps from the first
    principal axis of the SMC-reduced matrix. Its solution is the fixed point of iterated
    principal axis, i.e. psych's one-factor minres solution; communalities are capped at
    psych's bound (uniqueness >= 0.005).
    """
    p = r.shape[-1]
    idx = np.arange(p)
    work = r.copy()
    work[..., idx, idx] = np.clip(_smc(r), 0.0, 1.0)
    values, vectors = np.linalg.eigh(work)
    lam = vectors[..., :, -1] * np.sqrt(np.maximum(values[..., -1], 0.0))[..., None]
    shape = lam.shape
    lam = lam.reshape(-1, p).copy()
    off = r.reshape(-1, p, p).copy()
    off[:, idx, idx] = 0.0
    active = np.arange(lam.shape[0])
    converged = np.zeros(lam.shape[0], dtype=bool)
    for _ in range(max_iter):
        sub = lam[active]
        l2 = sub**2
        rest = l2.sum(axis=-1, keepdims=True) - l2  # sum over j != i of l_j^2
        grad = np.matmul(off[active], sub[..., None])[..., 0] - sub * rest
        # Newton: the Gauss-Newton term ll' minus the off-diagonal residuals r - ll'.
        jtj = 2 * sub[..., :, None] * sub[..., None, :] - off[active]
        jtj[..., idx, idx] = rest
        try:
            step = np.linalg.solve(jtj, grad[..., None])[..., 0]
        except np.linalg.LinAlgError:
            step = np.matmul(np.linalg.pinv(jtj), grad[..., None])[..., 0]
        lam[active] = sub + step
        done = np.max(np.abs(step), axis=-1) < tol
        converged[active[done]] = True
        active = active[~done]
        if active.size == 0:
            break
    # Newton can stop at a saddle point: keep only minima (positive definite Hessian).
    l2 = lam**2
    hess = 2 * lam[:, :, None] * lam[:, None, :] - off
    hess[:, idx, idx] = l2.sum(axis=-1, keepdims=True) - l2
    converged &= np.linalg.eigvalsh(hess)[:, 0] > 0
    h = lam.reshape(shape) ** 2
    h[~converged.reshape(shape[:-1])] = np.nan
    # Where the unbounded optimum is improper (a communality above psych's bound) or did not
    # converge, solve the bounded problem as psych does (L-BFGS-B on the uniquenesses).
    bad = ~np.isfinite(h).all(axis=-1) | (h > 1.0 - UNIQUENESS_LOWER_BOUND).any(axis=-1)
    if bad.any():
        flat_r, flat_h = r.reshape(-1, p, p), h.reshape(-1, p).copy()
        for b in np.flatnonzero(bad.reshape(-1)):
            flat_h[b] = 1.0 - _minres_uniquenesses(flat_r[b], 1)
        h = flat_h.reshape(h.shape)
    return np.clip(h, 0.0, 1.0 - UNIQUENESS_LOWER_BOUND)


def _minres_uniquenesses(r: np.ndarray, k: int) -> np.ndarray:
    """psych ``fa(fm = "minres")`` for one matrix: L-BFGS-B on the uniquenesses in [.005, 1]."""
    return _fit_uniquenesses(r, k, "minres").uniquenesses_


def _reduced_eigenvalues(r: np.ndarray, reduced: str) -> np.ndarray:
    h = _one_factor_communalities(r) if reduced == "fa1" else _smc(r)
    work = r.copy()
    idx = np.arange(r.shape[-1])
    work[..., idx, idx] = h
    return np.linalg.eigvalsh(work)[..., ::-1]


def _simulated_correlations(rng: np.random.Generator, n_iter: int, n: int, p: int) -> np.ndarray:
    """Correlation matrices of ``n_iter`` samples of ``n`` x ``p`` independent normals.

    The centred cross-product matrix of ``n`` rows of N(0, I_p) is Wishart(n - 1, I_p); we
    draw it directly by the Bartlett decomposition :math:`W = AA'` (:math:`A` lower
    triangular, :math:`a_{ii}^2 \\sim \\chi^2_{n-1-i}`, :math:`a_{ij} \\sim N(0, 1)` below the
    diagonal), so the cost does not grow with ``n``.
    """
    a = np.tril(rng.standard_normal((n_iter, p, p)), k=-1)
    idx = np.arange(p)
    a[:, idx, idx] = np.sqrt(rng.chisquare(n - 1 - idx, size=(n_iter, p)))
    w = np.matmul(a, a.transpose(0, 2, 1))
    sd = np.sqrt(np.diagonal(w, axis1=1, axis2=2))
    return w / (sd[:, :, None] * sd[:, None, :])


def _first_not_above(observed: np.ndarray, reference: np.ndarray) -> int:
    above = observed > reference
    return int(np.argmin(above)) if not above.all() else int(above.size)


@dataclasses.dataclass(frozen=True, eq=False)
class ParallelAnalysisResult(Result):
    """Observed versus simulated eigenvalues (Horn's parallel analysis).

    Attributes
    ----------
    eigenvalues : pandas.DataFrame
        Indexed 1..p: ``observed_fa``, ``simulated_fa_mean``, ``simulated_fa_quantile`` (reduced
        correlation matrix), ``observed_pc``, ``simulated_pc_mean``, ``simulated_pc_quantile``
        (full correlation matrix).
    n_factors, n_components : int
        Suggested numbers: leading observed eigenvalues above the simulated reference.
    n_iter, seed, quantile, reduced, n_obs
        The settings used (``seed`` is the one actually used, also when drawn at random).
    """

    eigenvalues: pd.DataFrame
    n_factors: int
    n_components: int
    n_iter: int
    seed: int
    quantile: float | None
    reduced: str
    n_obs: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """The eigenvalue table (one row per factor/component number)."""
        return self.eigenvalues

    def summary(self) -> str:
        ref = "mean" if self.quantile is None else f"{self.quantile:.0%} quantile"
        head = (
            f"Parallel analysis ({self.n_iter} simulated data sets of {self.n_obs} x "
            f"{len(self.eigenvalues)}, seed {self.seed}, reference: {ref}) suggests "
            f"{self.n_factors} factors and {self.n_components} components.\n\n"
        )
        return head + super().summary()

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "n_factors": self.n_factors,
                "n_components": self.n_components,
                "n_iter": self.n_iter,
                "seed": self.seed,
                "quantile": self.quantile,
                "reduced": self.reduced,
                "eigenvalues": {c: self.eigenvalues[c].tolist() for c in self.eigenvalues},
            }
        )


def parallel_analysis(
    data: pd.DataFrame | None = None,
    *,
    corr: pd.DataFrame | ItemCorrelations | None = None,
    n_obs: int | None = None,
    n_iter: int = 100,
    seed: int | None = None,
    quantile: float | None = 0.95,
    reduced: Reduced = "fa1",
    missing: Missing = "listwise",
) -> ParallelAnalysisResult:
    """Horn's parallel analysis for factors (reduced matrix) and components.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Numeric item responses. Give ``data`` or ``corr`` and ``n_obs``.
    corr : pandas.DataFrame, optional
        A correlation matrix labelled with the items.
    n_obs : int, optional
        Respondents behind ``corr`` (the simulated data sets have this many rows).
    n_iter : int
        Number of simulated data sets (psych's ``n.iter``; psych's default is 20).
    seed : int, optional
        Seed of the normal draws. ``None`` draws one; the seed used is in ``result.seed``.
    quantile : float or None
        Observed eigenvalues are compared with this quantile of the simulated ones (psych's
        ``quant = .95``); ``None`` compares with the simulated mean (Horn's original rule).
    reduced : {"fa1", "smc"}
        Diagonal of the reduced correlation matrix: ``"fa1"`` the communalities of a
        one-factor minres solution (psych ``fa.parallel(fa = "fa")`` default, ``SMC = FALSE``),
        ``"smc"`` squared multiple correlations (psych ``SMC = TRUE``).
    missing : {"listwise", "pairwise", "em"}
        How correlations are computed from ``data`` (see :func:`item_correlations`).

    Returns
    -------
    ParallelAnalysisResult

    Notes
    -----
    For each of ``n_iter`` data sets of ``n_obs`` x ``p`` independent standard normal draws,
    we compute the correlation matrix :math:`R^{(b)}`, its eigenvalues (components) and the
    eigenvalues of the reduced matrix :math:`R^{(b)} - \\mathrm{diag}(1 - h^{(b)})` (factors).
    The suggested count is the number of leading observed eigenvalues that exceed the
    simulated reference, stopping at the first that does not (psych:
    ``which(!(observed > reference))[1] - 1``).

    Where we follow psych 2.2.9 ``fa.parallel``: the observed factor eigenvalues are those of
    the correlation matrix with the one-factor minres communalities on the diagonal
    (``fa(r, nfactors = 1, rotate = "none")$values``), the simulated ones are computed the same
    way, and both counts compare with the 95% quantile of the simulated eigenvalues.

    Where we differ, and why:

    * psych refits a one-factor model with ``optim`` on every simulated matrix (3.6 to 10 s
      for 100 iterations on bfi here; 9.1 s in the issue). We solve the same one-factor
      minres problem for all simulated matrices at once: batched Newton steps on the
      loadings from the first principal axis of the SMC-reduced matrix, keeping only
      minima (positive definite Hessian); the rare matrix whose optimum breaks psych's
      bound (uniqueness >= .005) or that does not converge in 50 steps is refitted alone
      with L-BFGS-B on the uniquenesses, as psych does. No model object is fitted per
      iteration.
    * The simulated correlation matrices are drawn directly: the centred cross-product of
      ``n_obs`` independent N(0, I) rows is Wishart(n_obs - 1, I), sampled by the Bartlett
      decomposition. This is the same distribution as psych's ``cor(matrix(rnorm(n * p)))``
      at a cost independent of ``n_obs``.
    * psych (given raw data) also resamples the observed data; its printed suggestion uses
      the simulated normal data, which is all we compute.
    * Random numbers differ from R's, so simulated eigenvalues agree with psych only up to
      Monte Carlo error. On pure noise the one-factor minres objective is nearly flat and
      psych's ``optim`` often stops short of the minimum (we reach equal or lower
      objectives), so with few items the first simulated factor eigenvalue can differ by
      ~0.1 (Holzinger-Swineford, 9 items); on bfi all agree within 0.01. The observed
      eigenvalues agree with psych to 1e-6 and the suggested numbers are the same on both
      reference data sets.

    References
    ----------
    Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30, 179-185. R: ``psych::fa.parallel(x, fa = "both", n.iter = 100)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.factors import parallel_analysis
    >>> items = pd.read_csv("data/holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    >>> pa = parallel_analysis(items, n_iter=50, seed=1)
    >>> pa.n_factors, pa.n_components
    (3, 3)
    """
    check_choice("reduced", reduced, _REDUCED)
    if isinstance(n_iter, bool) or not isinstance(n_iter, (int, np.integer)) or n_iter < 2:
        raise ValueError(f"n_iter must be a whole number >= 2, got {n_iter!r}")
    if quantile is not None and not 0 < quantile < 1:
        raise ValueError(f"quantile must be between 0 and 1 (or None for the mean), got {quantile}")
    c = _correlation(data, corr, n_obs, missing, need_n=True)
    assert c.n_obs is not None
    n, p = c.n_obs, len(c.items)
    if n <= p + 1:
        raise InputError(
            f"Parallel analysis needs more respondents than items + 1; got n_obs = {n} for "
            f"{p} items.",
            hint="check n_obs, or drop items.",
        )
    if seed is None:
        entropy = np.random.SeedSequence().entropy
        assert isinstance(entropy, int)  # drawn from the OS when no entropy is given
        seed = int(entropy % (2**32))
    rng = np.random.default_rng(seed)

    with single_threaded_blas():  # batched tiny matrices: BLAS threads only add contention
        observed_pc = c.eigenvalues
        observed_fa = _reduced_eigenvalues(c.r, reduced)
        r = _simulated_correlations(rng, n_iter, n, p)
        sim_pc = np.linalg.eigvalsh(r)[:, ::-1]
        sim_fa = _reduced_eigenvalues(r, reduced)

    def ref(values: np.ndarray) -> np.ndarray:
        return values.mean(0) if quantile is None else np.quantile(values, quantile, axis=0)

    table = pd.DataFrame(
        {
            "observed_fa": observed_fa,
            "simulated_fa_mean": sim_fa.mean(0),
            "simulated_fa_quantile": np.quantile(sim_fa, quantile or 0.5, axis=0),
            "observed_pc": observed_pc,
            "simulated_pc_mean": sim_pc.mean(0),
            "simulated_pc_quantile": np.quantile(sim_pc, quantile or 0.5, axis=0),
        },
        index=pd.RangeIndex(1, p + 1, name="number"),
    )
    if quantile is None:
        table = table.drop(columns=["simulated_fa_quantile", "simulated_pc_quantile"])
    n_fa = _first_not_above(observed_fa, ref(sim_fa))
    n_pc = _first_not_above(observed_pc, ref(sim_pc))
    notes = []
    if n_fa == 0:
        notes.append(
            "No observed factor eigenvalue exceeds chance: the items may not share a factor."
        )
    return ParallelAnalysisResult(
        eigenvalues=table,
        n_factors=n_fa,
        n_components=n_pc,
        n_iter=int(n_iter),
        seed=int(seed),
        quantile=quantile,
        reduced=reduced,
        n_obs=n,
        warning_messages=tuple(notes),
    )


@dataclasses.dataclass(frozen=True, eq=False)
class MAPResult(Result):
    """Velicer's minimum average partial (MAP) test.

    Attributes
    ----------
    map : pandas.Series
        Average squared partial correlation after removing 1..m components, indexed 1..m.
    n_factors : int
        The number of components at the minimum.
    kaiser : int
        Kaiser's count of correlation-matrix eigenvalues above 1, for comparison.
    """

    map: pd.Series
    n_factors: int
    kaiser: int
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """One row per number of components: ``map``."""
        return self.map.to_frame()

    def summary(self) -> str:
        head = (
            f"Velicer MAP reaches its minimum ({self.map.min():.4f}) with {self.n_factors} "
            f"factors; Kaiser's eigenvalue > 1 rule gives {self.kaiser}.\n\n"
        )
        return head + super().summary()

    def to_dict(self) -> dict[str, Any]:
        return jsonable({"n_factors": self.n_factors, "kaiser": self.kaiser, "map": self.map})


def map_test(
    data: pd.DataFrame | None = None,
    *,
    corr: pd.DataFrame | ItemCorrelations | None = None,
    max_factors: int = 8,
    missing: Missing = "listwise",
) -> MAPResult:
    """Velicer's minimum average partial (MAP) test for the number of factors.

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Numeric item responses. Give ``data`` or ``corr``.
    corr : pandas.DataFrame, optional
        A correlation matrix labelled with the items.
    max_factors : int
        Largest number of components tried (psych ``VSS(n = 8)``); at most ``p - 1``.
    missing : {"listwise", "pairwise", "em"}
        How correlations are computed from ``data`` (see :func:`item_correlations`).

    Returns
    -------
    MAPResult

    Notes
    -----
    With :math:`A_m` the first :math:`m` principal-component loadings
    (:math:`A = V\\Lambda^{1/2}`), the partial covariance is :math:`C_m = R - A_m A_m'`,
    its partial correlations :math:`R^*_m = D^{-1/2} C_m D^{-1/2}` (:math:`D = \\mathrm{diag}
    (C_m)`) and

    .. math::

        \\mathrm{MAP}(m) = \\frac{\\sum_{i \\ne j} (r^*_{m,ij})^2}{p(p - 1)}.

    The suggestion is the :math:`m` that minimises it. As in psych, :math:`m` starts at 1
    (Velicer's :math:`m = 0` term, the average squared correlation, is not compared).

    References
    ----------
    Velicer, W. F. (1976). Determining the number of components from the matrix of partial
    correlations. *Psychometrika*, 41, 321-327. R: ``psych::VSS(x, n = 8)$map``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.factors import map_test
    >>> items = pd.read_csv("data/holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    >>> map_test(items).n_factors
    2
    """
    if isinstance(max_factors, bool) or not isinstance(max_factors, (int, np.integer)):
        raise ValueError(f"max_factors must be a whole number >= 1, got {max_factors!r}")
    if max_factors < 1:
        raise ValueError(f"max_factors must be >= 1, got {max_factors}")
    c = _correlation(data, corr, None, missing)
    r = c.r
    p = r.shape[0]
    values, vectors = np.linalg.eigh(r)
    values, vectors = values[::-1], vectors[:, ::-1]
    comp = vectors * np.sqrt(np.maximum(values, 0.0))
    m_max = min(max_factors, p - 1)
    out = np.full(m_max, np.nan)
    for m in range(1, m_max + 1):
        c11 = r - comp[:, :m] @ comp[:, :m].T
        d = 1.0 / np.sqrt(np.diag(c11))
        rstar = c11 * np.outer(d, d)
        np.fill_diagonal(rstar, 0.0)
        out[m - 1] = np.sum(rstar**2) / (p * (p - 1))
    series = pd.Series(out, index=pd.RangeIndex(1, m_max + 1, name="n_factors"), name="map")
    return MAPResult(
        map=series,
        n_factors=int(np.nanargmin(out)) + 1,
        kaiser=int(np.sum(values > 1.0)),
    )


def kaiser_count(
    data: pd.DataFrame | None = None,
    *,
    corr: pd.DataFrame | ItemCorrelations | None = None,
    missing: Missing = "listwise",
) -> int:
    """Number of correlation-matrix eigenvalues greater than 1 (Kaiser-Guttman rule).

    Parameters
    ----------
    data : pandas.DataFrame, optional
        Numeric item responses. Give ``data`` or ``corr``.
    corr : pandas.DataFrame, optional
        A correlation matrix labelled with the items.
    missing : {"listwise", "pairwise", "em"}
        How correlations are computed from ``data`` (see :func:`item_correlations`).

    Returns
    -------
    int

    Notes
    -----
    :math:`\\#\\{j : \\lambda_j(R) > 1\\}`. It tends to overestimate the number of factors
    with many items; report it beside :func:`parallel_analysis`, not instead of it.

    References
    ----------
    Kaiser, H. F. (1960). The application of electronic computers to factor analysis.
    *Educational and Psychological Measurement*, 20, 141-151. R: ``sum(eigen(R)$values > 1)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.factors import kaiser_count
    >>> items = pd.read_csv("data/holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    >>> kaiser_count(items)
    3
    """
    c = _correlation(data, corr, None, missing)
    return int(np.sum(c.eigenvalues > 1.0))


# ---------------------------------------------------------------------------------------------
# Rotations (ports of stats::varimax, psych::Promax/kaiser and GPArotation::GPFoblq)
# ---------------------------------------------------------------------------------------------


def _varimax(x: np.ndarray, *, normalize: bool = True, eps: float = 1e-5):
    """``stats::varimax``: Kaiser-normalised varimax; returns (loadings, rotation matrix)."""
    p, k = x.shape
    sc = np.sqrt(np.sum(x**2, axis=1)) if normalize else np.ones(p)
    x = x / sc[:, None]
    tt = np.eye(k)
    d = 0.0
    for _ in range(1000):
        z = x @ tt
        b = x.T @ (z**3 - z * (np.sum(z**2, axis=0) / p))
        u, s, vt = np.linalg.svd(b)
        tt = u @ vt
        d_past, d = d, float(np.sum(s))
        if d < d_past * (1 + eps):
            break
    return (x @ tt) * sc[:, None], tt


def _promax(loadings: np.ndarray, *, m: int = 4):
    """psych ``fa(rotate = "promax")``: ``kaiser(f, "Promax")`` (row-normalised Promax)."""
    h = np.sqrt(np.sum(loadings**2, axis=1))
    x, vrot = _varimax(loadings / h[:, None])
    q = x * np.abs(x) ** (m - 1)
    u = np.linalg.lstsq(x, q, rcond=None)[0]
    u = u * np.sqrt(np.diag(np.linalg.inv(u.T @ u)))
    z = x @ u
    u = vrot @ u
    ui = np.linalg.inv(u)
    return z * h[:, None], ui @ ui.T, True


@functools.cache
def _off_diagonal_ones(k: int) -> np.ndarray:
    out = 1.0 - np.eye(k)
    out.flags.writeable = False
    return out


def _vgq_oblimin(lam: np.ndarray):
    l2 = lam * lam
    x = l2 @ _off_diagonal_ones(lam.shape[1])
    return float((l2 * x).sum() / 4), lam * x


def _vgq_geomin(lam: np.ndarray, delta: float = 0.01):
    k = lam.shape[1]
    l2 = lam * lam + delta
    pro = np.exp(np.log(l2).sum(axis=1) / k)
    return float(pro.sum()), (2 / k) * (lam / l2) * pro[:, None]


def _gpf_oblique(a: np.ndarray, vgq: Callable, *, eps: float = 1e-5, maxit: int = 1000):
    """``GPArotation::GPFoblq`` (normalize = FALSE): returns (loadings, Phi, converged).

    The same steps as GPArotation; the inverse of the accepted rotation from the line search
    is reused for the gradient instead of being recomputed.
    """
    t = np.eye(a.shape[1])
    t_inv = np.linalg.inv(t)
    lam = a @ t_inv.T
    f, gq = vgq(lam)
    g = -(lam.T @ gq @ t_inv).T
    al = 1.0
    converged = False
    inv = np.linalg.inv
    sqrt = np.sqrt
    for _ in range(maxit + 1):
        gp = g - t * (t * g).sum(axis=0)
        s = math.sqrt(float((gp * gp).sum()))
        if s < eps:
            converged = True
            break
        al *= 2
        for _ in range(11):
            x = t - al * gp
            tt = x / sqrt((x * x).sum(axis=0))
            tt_inv = inv(tt)
            lam = a @ tt_inv.T
            ft, gqt = vgq(lam)
            if f - ft > 0.5 * s**2 * al:
                break
            al /= 2
        t, f = tt, ft
        g = -(lam.T @ gqt @ tt_inv).T
    return lam, t.T @ t, converged


def _rotate(loadings: np.ndarray, rotation: str):
    """Rotate as psych ``fa`` does; returns (loadings, Phi or None, converged)."""
    if rotation == "none" or loadings.shape[1] < 2:
        return loadings, None, True
    if rotation == "varimax":
        return _varimax(loadings)[0], None, True
    if rotation == "promax":
        return _promax(loadings)
    vgq = _vgq_geomin if rotation == "geomin" else _vgq_oblimin
    return _gpf_oblique(loadings, vgq)


# ---------------------------------------------------------------------------------------------
# Extraction and fit
# ---------------------------------------------------------------------------------------------


def _principal_axis(
    r: np.ndarray,
    k: int,
    *,
    min_err: float = 0.001,
    max_iter: int = 50,
    smc: np.ndarray | None = None,
):
    """Iterated principal axis as psych ``fa(fm = "pa")``; returns (loadings, converged)."""
    work = r.copy()
    idx = np.arange(r.shape[0])
    work[idx, idx] = _smc(r) if smc is None else smc
    comm = float(np.trace(work))
    for _ in range(max_iter):
        values, vectors = np.linalg.eigh(work)
        values, vectors = values[::-1][:k], vectors[:, ::-1][:, :k]
        loadings = vectors * np.sqrt(np.maximum(values, 0.0))
        new = np.sum(loadings**2, axis=1)
        err = abs(comm - float(new.sum()))
        comm = float(new.sum())
        work[idx, idx] = new
        if err < min_err:
            return loadings, True
    return loadings, False


def _minres_criterion(r: np.ndarray, k: int):
    """Objective and gradient of psych's minres (uls) fit on the uniquenesses ``psi``.

    With the reduced matrix :math:`A = R - \\Psi` (eigenvalues :math:`d_1 \\ge \\dots \\ge
    d_p`, vectors :math:`v_m`) and psych's loadings :math:`\\Lambda = V_k D_k^{1/2}`
    (``FAout.wls``, negative eigenvalues set to 0), the residual is
    :math:`E = A - \\Lambda\\Lambda'` and

    .. math::

        F(\\psi) = \\tfrac12 \\lVert E \\rVert_F^2 = \\tfrac12 \\Big(\\sum_{m > k} d_m^2 +
        \\sum_{m \\le k,\\, d_m < 0} d_m^2\\Big), \\qquad
        \\partial F / \\partial \\psi_i = -E_{ii}
        = (\\Lambda\\Lambda' + \\Psi - R)_{ii},

    the gradient being psych's ``FAgr.minres`` exactly (:math:`\\partial d_m/\\partial\\psi_i
    = -v_{mi}^2`). psych's ``fit.residuals`` sums the squared residuals below the diagonal
    only, :math:`F - \\tfrac12 \\sum_i E_{ii}^2`; both have the same stationary points
    (:math:`E_{ii} = 0`), and ``FAgr.minres`` is the gradient of :math:`F`, so we minimise
    :math:`F` (half of factor_analyzer's ``_fit_uls_objective``) to keep objective and
    gradient consistent.
    """
    diag_r = np.diag(r).copy()
    work = r.copy()
    idx = np.arange(r.shape[0])

    def fun(psi: np.ndarray) -> tuple[float, np.ndarray]:
        work[idx, idx] = diag_r - psi
        values, vectors = np.linalg.eigh(work)
        resid = values.copy()
        top = values[-k:]
        resid[-k:] = np.minimum(top, 0.0)  # top k minus their nonnegative part
        grad = -((vectors**2) @ resid)  # -diag(E) = -sum_m resid_m v_m v_m'
        return 0.5 * float(resid @ resid), grad

    return fun


def _ml_criterion(r: np.ndarray, k: int):
    """Objective and gradient of psych's (``stats::factanal``'s) ml fit, ``FAfn``/``FAgr``.

    With :math:`S^* = \\Psi^{-1/2} R \\Psi^{-1/2}` and its eigenvalues
    :math:`d_1 \\ge \\dots \\ge d_p`,

    .. math::

        F(\\psi) = \\sum_{m > k} (d_m - \\ln d_m) + k - p, \\qquad
        \\partial F / \\partial \\psi_i = (\\Lambda\\Lambda' + \\Psi - R)_{ii} / \\psi_i^2,

    with :math:`\\Lambda = \\Psi^{1/2} V_k \\max(D_k - 1, 0)^{1/2}` (``FAout``).
    """
    p = r.shape[0]
    diag_r = np.diag(r)

    def fun(psi: np.ndarray) -> tuple[float, np.ndarray]:
        sc = 1.0 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(r * np.outer(sc, sc))
        rest = values[: p - k]
        if rest[0] <= 0:
            return math.inf, np.zeros(p)
        objective = float(np.sum(rest - np.log(rest))) + k - p
        excess = np.maximum(values[p - k :] - 1.0, 0.0)
        h = psi * ((vectors[:, p - k :] ** 2) @ excess)  # diag(Lambda Lambda')
        return objective, (h + psi - diag_r) / psi**2

    return fun


@dataclasses.dataclass(frozen=True, eq=False)
class FactorFit:
    """The unrotated minres or ml fit behind :func:`efa` (its ``.model``).

    Fitted as psych ``fa`` fits it (``fac``: L-BFGS-B over the uniquenesses with the
    analytic gradient, bounds [.005, 1], SMC starting values ``1 - smc``), in numpy and
    scipy; factor_analyzer is not used for minres and ml.

    Attributes
    ----------
    method : str
        ``"minres"`` or ``"ml"``.
    n_factors : int
        Number of factors.
    loadings_ : numpy.ndarray
        Unrotated loadings (items x factors) from the fitted uniquenesses, psych's
        ``FAout.wls`` (minres) or ``FAout`` (ml); signs as the eigenvectors come.
    uniquenesses_ : numpy.ndarray
        The optimised uniquenesses :math:`\\psi` (the parameters; for minres they can differ
        slightly from ``1 - communalities``).
    start_ : numpy.ndarray
        Starting values, ``1 - smc`` clipped to the bounds.
    objective_ : float
        The minimised criterion (see ``_minres_criterion`` and ``_ml_criterion``).
    gradient_ : numpy.ndarray
        Its gradient at ``uniquenesses_``.
    at_bound_ : numpy.ndarray of bool
        Items whose uniqueness stopped within .001 of the lower bound (Heywood cases).
    converged_ : bool
        L-BFGS-B reported success.
    message_ : str
        L-BFGS-B's stopping message.
    n_iter_, n_eval_ : int
        Iterations and objective evaluations.
    """

    method: str
    n_factors: int
    loadings_: np.ndarray
    uniquenesses_: np.ndarray
    start_: np.ndarray
    objective_: float
    gradient_: np.ndarray
    at_bound_: np.ndarray
    converged_: bool
    message_: str
    n_iter_: int
    n_eval_: int

    @property
    def communalities_(self) -> np.ndarray:
        """Row sums of squared loadings, :math:`\\mathrm{diag}(\\Lambda\\Lambda')`."""
        return np.sum(self.loadings_**2, axis=1)


#: psych ``fac``'s ``optim`` control: ``parscale = 0.01`` for every uniqueness.
_PARSCALE = 0.01


def _fit_uniquenesses(
    r: np.ndarray, k: int, method: str, *, smc: np.ndarray | None = None
) -> FactorFit:
    """psych ``fa(fm = "minres" | "ml")`` on one correlation matrix.

    L-BFGS-B (scipy's port of the same Fortran code R's ``optim`` calls) on
    :math:`\\psi / 0.01` (psych's ``parscale``), bounds ``[.005, max(smc, 1)]``, start
    ``diag(R) - smc``, with the analytic gradient. We stop on a relative objective change
    below 1e-12 or a projected (scaled) gradient below 1e-10, tighter than R's defaults
    (``factr = 1e7``, i.e. 2.2e-9), so the optimum is found to ~1e-7 in the uniquenesses
    rather than R's ~1e-5; psych's own solution is within that distance.
    """
    if smc is None:
        smc = _smc(r)
    upper = max(float(np.max(smc)), 1.0)
    start = np.clip(np.diag(r) - smc, UNIQUENESS_LOWER_BOUND, upper)
    fun = _minres_criterion(r, k) if method == "minres" else _ml_criterion(r, k)

    def scaled(u: np.ndarray) -> tuple[float, np.ndarray]:
        value, grad = fun(u * _PARSCALE)
        return value, grad * _PARSCALE

    res = optimize.minimize(
        scaled,
        start / _PARSCALE,
        jac=True,
        method="L-BFGS-B",
        bounds=optimize.Bounds(UNIQUENESS_LOWER_BOUND / _PARSCALE, upper / _PARSCALE),
        options={"maxiter": 1000, "ftol": 1e-12, "gtol": 1e-10},
    )
    psi = np.clip(res.x * _PARSCALE, UNIQUENESS_LOWER_BOUND, upper)
    objective, gradient = fun(psi)
    return FactorFit(
        method=method,
        n_factors=k,
        loadings_=_loadings_from_uniquenesses(r, psi, k, method),
        uniquenesses_=psi,
        start_=start,
        objective_=objective,
        gradient_=gradient,
        at_bound_=psi <= UNIQUENESS_LOWER_BOUND + 1e-3,
        converged_=bool(res.success),
        message_=str(res.message),
        n_iter_=int(res.nit),
        n_eval_=int(res.nfev),
    )


def _loadings_from_uniquenesses(r: np.ndarray, psi: np.ndarray, k: int, method: str):
    """psych ``FAout.wls`` (minres) or ``FAout`` (ml): loadings for given uniquenesses."""
    p = r.shape[0]
    if method == "minres":
        work = r.copy()
        work[np.arange(p), np.arange(p)] -= psi
        values, vectors = np.linalg.eigh(work)
        return vectors[:, ::-1][:, :k] * np.sqrt(np.maximum(values[::-1][:k], 0.0))
    sc = np.sqrt(psi)
    values, vectors = np.linalg.eigh(r / np.outer(sc, sc))
    load = vectors[:, ::-1][:, :k] * np.sqrt(np.maximum(values[::-1][:k] - 1.0, 0.0))
    return load * sc[:, None]


def _extract(r: np.ndarray, k: int, method: str, smc: np.ndarray | None = None):
    """Unrotated loadings; returns (loadings, model or None, warnings)."""
    notes: list[str] = []
    if method == "pa":
        loadings, ok = _principal_axis(r, k, smc=smc)
        if not ok:
            notes.append(
                "Principal axis iterations did not converge in 50 steps (psych's limit); "
                "the loadings may be unstable."
            )
        return loadings, None, notes
    model = _fit_uniquenesses(r, k, method, smc=smc)
    if not model.converged_:
        notes.append(f"The {method} extraction did not converge: {model.message_}")
    return model.loadings_, model, notes


def _cor_smooth(m: np.ndarray) -> np.ndarray:
    """psych ``cor.smooth``: lift non-positive eigenvalues, rescale, back to a correlation."""
    values, vectors = np.linalg.eigh(m)
    eps = np.finfo(float).eps
    if values.min() >= eps:
        return m
    values = np.where(values < eps, 100 * eps, values)
    values = values * len(values) / values.sum()
    s = (vectors * values) @ vectors.T
    d = 1 / np.sqrt(np.diag(s))
    return s * np.outer(d, d)


@dataclasses.dataclass(frozen=True)
class EFAFit:
    """EFA fit statistics as ``psych::fa`` reports them (see :func:`efa`, Notes)."""

    objective: float
    chi2: float
    df: int
    p: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    tli: float
    bic: float
    null_chi2: float
    null_df: int

    def to_dict(self) -> dict[str, Any]:
        return jsonable(dataclasses.asdict(self))


def _fit_stats(r: np.ndarray, loadings: np.ndarray, phi: np.ndarray | None, n: int | None):
    p, k = loadings.shape
    model = loadings @ (phi if phi is not None else np.eye(k)) @ loadings.T
    np.fill_diagonal(model, 1.0)
    model = _cor_smooth(model)
    m_inv_r = np.linalg.solve(model, r)
    sign, logdet = np.linalg.slogdet(m_inv_r)
    objective = float(np.trace(m_inv_r) - logdet - p) if sign > 0 else math.nan
    df = p * (p - 1) // 2 - p * k + k * (k - 1) // 2
    f0 = float(np.trace(r) - np.linalg.slogdet(r)[1] - p)
    nan = math.nan
    if n is None:
        return EFAFit(objective, nan, df, nan, nan, nan, nan, nan, nan, nan, p * (p - 1) // 2)
    nm = (n - 1) - (2 * p + 5) / 6 - (2 * k) / 3
    chi2 = max(objective * nm, 0.0)
    null_chi2 = f0 * ((n - 1) - (2 * p + 5) / 6)
    if df <= 0:
        return EFAFit(
            objective, chi2, df, nan, nan, nan, nan, nan, nan, null_chi2, p * (p - 1) // 2
        )
    pval = float(stats.chi2.sf(chi2, df))
    mm = objective / df
    m0 = f0 * 2 / (p * (p - 1))
    tli = (m0 - mm) / (m0 - 1 / nm)
    rmsea = math.sqrt(max(chi2 / (df * n) - 1 / (n - 1), 0.0))
    lo, hi = _rmsea_ci(chi2, df, n, alpha=0.1)
    if not math.isnan(hi) and hi < rmsea:
        hi = nan
    if not math.isnan(lo) and lo > rmsea:
        lo = nan
    bic = chi2 - df * math.log(n)
    return EFAFit(objective, chi2, df, pval, rmsea, lo, hi, tli, bic, null_chi2, p * (p - 1) // 2)


def _rmsea_ci(chi2: float, df: int, n: int, *, alpha: float) -> tuple[float, float]:
    """psych ``factor.stats``: noncentrality bounds by root finding, ``sqrt(ncp/(n-1)/df)``."""
    tail = alpha / 2
    upper_end = max(n, chi2) + 2 * n

    def cdf(ncp: float) -> float:
        # scipy.special's chdtr/chndtr are what stats.chi2/ncx2.cdf evaluate, without the
        # distribution machinery's per-call overhead (~100 us; brentq calls this ~40 times).
        return float(special.chdtr(df, chi2) if ncp <= 0 else special.chndtr(chi2, df, ncp))

    def bound(target: float) -> float:
        if cdf(0.0) <= target:
            return 0.0
        try:
            root = optimize.brentq(lambda x: cdf(x) - target, 0.0, upper_end, xtol=1e-10)
        except ValueError:
            return math.nan
        return math.sqrt(root / (n - 1) / df)

    return bound(1 - tail), bound(tail)


# ---------------------------------------------------------------------------------------------
# EFA
# ---------------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)
class EFAResult(Result):
    """A labelled exploratory factor analysis solution.

    Attributes
    ----------
    method, rotation : str
        Extraction and rotation used.
    n_factors, n_obs : int
        Number of factors; respondents (None if a matrix was given without ``n_obs``).
    loadings : pandas.DataFrame
        Pattern loadings, items x factors ``F1..Fk`` (ordered by variance accounted for,
        each column summing positive, as psych orders them).
    structure : pandas.DataFrame or None
        Structure matrix (item-factor correlations, ``loadings @ phi``); None if orthogonal.
    phi : pandas.DataFrame or None
        Factor correlations; None for orthogonal or unrotated solutions.
    communalities, uniquenesses : pandas.Series
        :math:`h^2 = \\mathrm{diag}(\\Lambda_0\\Lambda_0')` of the unrotated solution (rotation
        does not change it) and :math:`1 - h^2`.
    variance : pandas.DataFrame
        Per factor: ``ss_loadings``, ``proportion_var``, ``cumulative_var``,
        ``proportion_explained``, ``cumulative_proportion`` (psych's ``Vaccounted``).
    fit : EFAFit
        Objective, chi2, df, p, RMSEA with 90% CI, TLI, BIC (psych's conventions).
    eigenvalues : pandas.Series
        Eigenvalues of the correlation matrix.
    heywood, cross_loadings, weak_items : tuple of str
        Flagged items (see :func:`efa`).
    model : FactorFit or None
        The unrotated minres/ml fit (optimised uniquenesses, objective, gradient, items at
        the bound, convergence); None for ``pa``.
    """

    method: str
    rotation: str
    n_factors: int
    n_obs: int | None
    loadings: pd.DataFrame
    structure: pd.DataFrame | None
    phi: pd.DataFrame | None
    communalities: pd.Series
    uniquenesses: pd.Series
    variance: pd.DataFrame
    fit: EFAFit
    eigenvalues: pd.Series
    heywood: tuple[str, ...]
    cross_loadings: tuple[str, ...]
    weak_items: tuple[str, ...]
    cross_loading_threshold: float
    weak_threshold: float
    model: Any = dataclasses.field(default=None, repr=False)
    warning_messages: tuple[str, ...] = ()

    def to_frame(self) -> pd.DataFrame:
        """Tidy loadings: one row per item and factor.

        Columns: ``item``, ``factor``, ``loading`` (pattern), ``structure`` (oblique only),
        ``primary`` (this is the item's largest absolute loading) and ``communality``.
        """
        long = self.loadings.rename_axis(index="item", columns="factor").stack()
        out = long.rename("loading").reset_index()
        if self.structure is not None:
            out["structure"] = self.structure.stack().to_numpy()
        primary = self.loadings.abs().idxmax(axis=1)
        out["primary"] = out["factor"].to_numpy() == primary.loc[out["item"]].to_numpy()
        out["communality"] = self.communalities.loc[out["item"]].to_numpy()
        return out

    def summary(self) -> str:
        table = self.loadings.copy()
        table["h2"] = self.communalities
        table["u2"] = self.uniquenesses
        f = self.fit
        lines = [
            f"EFA: {self.n_factors} factors, {self.method} extraction, {self.rotation} rotation, "
            f"n = {self.n_obs}",
            "",
            "Pattern loadings" if self.phi is not None else "Loadings",
            table.round(3).to_string(),
            "",
            self.variance.T.round(3).to_string(),
        ]
        if self.phi is not None:
            lines += ["", "Factor correlations", self.phi.round(3).to_string()]
        lines += [
            "",
            f"Fit: chi2({f.df}) = {f.chi2:.2f}, p = {f.p:.3g}, RMSEA = {f.rmsea:.3f} "
            f"[{f.rmsea_ci_low:.3f}, {f.rmsea_ci_high:.3f}], TLI = {f.tli:.3f}, BIC = {f.bic:.2f}",
            f"Cross-loading items (|loading| >= {self.cross_loading_threshold} on more than one "
            f"factor): {', '.join(self.cross_loadings) or 'none'}",
            f"Weak items (max |loading| < {self.weak_threshold}): "
            f"{', '.join(self.weak_items) or 'none'}",
            f"Heywood cases: {', '.join(self.heywood) or 'none'}",
        ]
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """The results.json ``efa`` block (plus structure, variance and flags)."""
        fit = self.fit.to_dict()
        return jsonable(
            {
                "method": self.method,
                "rotation": self.rotation,
                "n_factors": self.n_factors,
                "n_obs": self.n_obs,
                "loadings": self.loadings,
                "structure": self.structure,
                "factor_correlations": self.phi,
                "communalities": self.communalities,
                "uniquenesses": self.uniquenesses,
                "variance": self.variance,
                "fit": fit,
                "eigenvalues": self.eigenvalues.tolist(),
                "heywood": list(self.heywood),
                "cross_loadings": list(self.cross_loadings),
                "weak_items": list(self.weak_items),
                "warnings": self.warnings,
            }
        )


def efa(
    data: pd.DataFrame | None,
    n_factors: int,
    *,
    method: Method = "minres",
    rotation: Rotation = "oblimin",
    corr: pd.DataFrame | ItemCorrelations | None = None,
    n_obs: int | None = None,
    missing: Missing = "listwise",
    cross_loading_threshold: float = 0.30,
    weak_threshold: float = 0.40,
) -> EFAResult:
    """Exploratory factor analysis with psych's extraction, rotation, ordering and fit.

    Parameters
    ----------
    data : pandas.DataFrame or None
        Numeric item responses, one column per item; None when ``corr`` is given.
    n_factors : int
        Number of factors to extract (1 <= ``n_factors`` < number of items).
    method : {"minres", "ml", "pa"}
        Minimum residual (psych's default), maximum likelihood, or iterated principal axis.
    rotation : {"none", "varimax", "promax", "oblimin", "quartimin", "geomin"}
        Orthogonal: ``varimax``. Oblique: ``promax``, ``oblimin``, ``quartimin`` and
        ``geomin`` (psych ``"geominQ"``, delta = .01).
    corr : pandas.DataFrame, optional
        A correlation matrix labelled with the items (e.g. polychoric); with ``n_obs`` for
        the fit statistics.
    n_obs : int, optional
        Respondents behind ``corr``.
    missing : {"listwise", "pairwise", "em"}
        How correlations are computed from ``data`` (see :func:`item_correlations`).
    cross_loading_threshold : float
        An item cross-loads when ``|loading| >= cross_loading_threshold`` on more than one
        factor.
    weak_threshold : float
        An item is weak when its largest ``|loading|`` is below ``weak_threshold``.

    Returns
    -------
    EFAResult

    Raises
    ------
    ValueError
        An unknown ``method``/``rotation``/``missing`` or an impossible ``n_factors``.
    InputError
        Too few respondents, a constant item or a singular correlation matrix.

    Notes
    -----
    *Extraction.* ``minres`` and ``ml`` are fitted as psych ``fa`` fits them (``fac``), in
    numpy/scipy (factor_analyzer is no longer used here): L-BFGS-B over the uniquenesses
    :math:`\\psi` with the analytic gradient, bounds [.005, 1], start :math:`1 - \\mathrm{smc}`,
    psych's ``parscale = .01``. minres minimises
    :math:`\\tfrac12\\lVert R - \\Psi - \\Lambda\\Lambda'\\rVert_F^2` with
    :math:`\\Lambda = V_k D_k^{1/2}` from the reduced matrix (gradient
    :math:`(\\Lambda\\Lambda' + \\Psi - R)_{ii}`, psych's ``FAgr.minres``); its stationary points
    are those of :math:`\\sum_{i<j} (r_{ij} - \\sum_f \\lambda_{if}\\lambda_{jf})^2` (psych's
    ``fit.residuals``). ml minimises psych's ``FAfn``,
    :math:`\\mathrm{tr}(\\Sigma^{-1}R) - \\ln|\\Sigma^{-1}R| - p` with
    :math:`\\Sigma = \\Lambda\\Lambda' + \\Psi`, with ``FAgr``. We stop at a relative
    objective change of 1e-12 (R stops at 2.2e-9): on bfi we reach lower objectives than
    factor_analyzer's numerical-gradient fit in 9-17 evaluations instead of 150-300, and
    loadings within 1e-5 of psych's. The fit is ``result.model``, a :class:`FactorFit`.
    ``pa`` is psych's iterated principal axis:
    SMCs on the diagonal, then repeatedly
    :math:`\\Lambda = V_k\\Lambda_k^{1/2}` of the reduced matrix and
    :math:`h^2 = \\mathrm{diag}(\\Lambda\\Lambda')` until the sum of communalities changes by
    less than .001 (at most 50 iterations; factor_analyzer's ``"principal"`` is a principal
    components solution, not this).

    *Rotation* ports ``stats::varimax`` (Kaiser normalised), psych's promax
    (``kaiser(f, "Promax")``, power 4) and ``GPArotation::GPFoblq`` for oblimin (gamma = 0,
    identical to quartimin) and geominQ (delta = .01), unnormalised, eps = 1e-5.
    Then, as psych, each factor's sign is set so its loadings sum positive and factors are
    ordered by :math:`\\mathrm{diag}(\\Phi\\Lambda'\\Lambda)` (oblique) or
    :math:`\\mathrm{diag}(\\Lambda'\\Lambda)`; this is the ``ss_loadings`` row of ``variance``.
    ``proportion_var`` divides by p, ``proportion_explained`` by the sum over factors.

    *Fit*, as ``psych::fa`` (``factor.stats``): with the model matrix
    :math:`M = \\Lambda\\Phi\\Lambda'` with unit diagonal,
    :math:`F = \\mathrm{tr}(M^{-1}R) - \\ln|M^{-1}R| - p`,
    :math:`\\chi^2 = F\\,(n - 1 - (2p + 5)/6 - 2k/3)`,
    :math:`df = p(p-1)/2 - pk + k(k-1)/2`,
    :math:`\\mathrm{RMSEA} = \\sqrt{\\max(\\chi^2/(df\\,n) - 1/(n-1), 0)}` with a 90% CI from the
    noncentral chi-square, :math:`\\mathrm{TLI} = (M_0 - F/df)/(M_0 - 1/\\nu)` with
    :math:`M_0 = -2\\ln|R|/(p(p-1))` and :math:`\\nu` the chi2 multiplier, and
    :math:`\\mathrm{BIC} = \\chi^2 - df \\ln n`. With ``missing="pairwise"`` or ``"em"`` ``n``
    is the number of respondents with any answer (psych uses ``nrow``, and ``n.obs`` for a
    given matrix).

    *Heywood cases* (communality >= 1, or a uniqueness, in the loadings or in the optimiser's
    parameters, within .001 of the .005 lower bound where the optimiser stopped) are listed
    in ``heywood`` and warned about; nothing is clipped.

    References
    ----------
    Revelle, W. (2022). *psych: Procedures for Psychological, Psychometric, and Personality
    Research* (2.2.9), ``fa()``. Bernaards, C. A., & Jennrich, R. I. (2005). Gradient
    projection algorithms and software for arbitrary rotation criteria in factor analysis.
    *Educational and Psychological Measurement*, 65, 676-696 (``GPArotation``).
    R: ``psych::fa(x, nfactors = k, fm = "minres", rotate = "oblimin")``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.measurement.factors import efa
    >>> items = pd.read_csv("data/holzinger_swineford_1939.csv")[[f"x{i}" for i in range(1, 10)]]
    >>> res = efa(items, 3)
    >>> res.loadings.round(2).loc[["x1", "x4", "x7"]]
          F1    F2    F3
    x1  0.20  0.59  0.03
    x4  0.85  0.02  0.01
    x7  0.04 -0.15  0.74
    >>> round(res.fit.rmsea, 3), res.fit.df
    (0.054, 12)
    """
    check_choice("method", method, _METHODS)
    check_choice("rotation", rotation, _ROTATIONS)
    c = _correlation(data, corr, n_obs, missing)
    p = len(c.items)
    if isinstance(n_factors, bool) or not isinstance(n_factors, (int, np.integer)):
        raise ValueError(f"n_factors must be a whole number, got {n_factors!r}")
    if not 1 <= n_factors < p:
        raise ValueError(f"n_factors must be between 1 and {p - 1} for {p} items, got {n_factors}")
    k = int(n_factors)
    notes: list[str] = []

    with single_threaded_blas():  # tiny matrices: BLAS threads only add contention
        unrotated, model, extract_notes = _extract(c.r, k, method)
    notes += extract_notes
    # psych: signs of the unrotated solution first (colSums positive), then rotate.
    unrotated = unrotated * _signs(unrotated)
    communality = np.sum(unrotated**2, axis=1)
    with single_threaded_blas():
        rotated, phi, converged = _rotate(unrotated, rotation)
    if not converged:
        notes.append(f"The {rotation} rotation did not converge in 1000 iterations.")
    signs = _signs(rotated)
    rotated = rotated * signs
    if phi is not None:
        phi = phi * np.outer(signs, signs)
    ev = np.diag(phi @ rotated.T @ rotated) if phi is not None else np.sum(rotated**2, axis=0)
    order = np.argsort(-ev, kind="stable")
    rotated, ev = rotated[:, order], ev[order]
    if phi is not None:
        phi = phi[np.ix_(order, order)]

    items = list(c.items)
    factors = [f"F{i + 1}" for i in range(k)]
    loadings = pd.DataFrame(rotated, index=items, columns=factors)
    phi_df = structure = None
    if phi is not None:
        phi_df = pd.DataFrame(phi, index=factors, columns=factors)
        structure = pd.DataFrame(rotated @ phi, index=items, columns=factors)
    comm = pd.Series(communality, index=items, name="communality")
    uniq = pd.Series(1.0 - communality, index=items, name="uniqueness")
    variance = pd.DataFrame(
        {
            "ss_loadings": ev,
            "proportion_var": ev / p,
            "cumulative_var": np.cumsum(ev) / p,
            "proportion_explained": ev / ev.sum(),
            "cumulative_proportion": np.cumsum(ev) / ev.sum(),
        },
        index=factors,
    )
    with single_threaded_blas():
        fit = _fit_stats(c.r, rotated, phi, c.n_obs)
    if fit.df < 0:
        notes.append(
            f"{k} factors for {p} items leave negative degrees of freedom ({fit.df}): the "
            "model is not identified and the fit statistics are undefined; use fewer factors."
        )
    elif fit.df == 0:
        notes.append("The model has 0 degrees of freedom: it fits perfectly by construction.")

    # Heywood: a communality of 1 or more, or a uniqueness at the .005 bound, either in the
    # loadings or in the optimiser's parameters (for minres they can differ slightly).
    at_bound = (model.at_bound_ if model is not None else np.zeros(p, dtype=bool)) | (
        1.0 - communality <= UNIQUENESS_LOWER_BOUND + 1e-3
    )
    heywood = tuple(
        i for i, h, b in zip(items, communality, at_bound, strict=True) if h >= 1.0 or b
    )
    if heywood:
        worst = max(communality)
        notes.append(
            f"Heywood case: {', '.join(heywood)} "
            f"{'has' if len(heywood) == 1 else 'have'} a communality of 1 or more, or a "
            f"uniqueness at the lower bound {UNIQUENESS_LOWER_BOUND} (largest communality "
            f"{worst:.3f}). The solution is improper: try fewer factors, another extraction "
            "method, or check for near-duplicate items. Values are reported as estimated, "
            "not clipped."
        )
    abs_l = np.abs(rotated)
    cross = tuple(
        i for i, row in zip(items, abs_l, strict=True) if np.sum(row >= cross_loading_threshold) > 1
    )
    weak = tuple(i for i, row in zip(items, abs_l, strict=True) if row.max() < weak_threshold)
    if phi is not None and k > 1:
        off = np.abs(phi - np.eye(k)).max()
        if off > 0.8:
            notes.append(
                f"Two factors correlate {off:.2f} (> .80): they may not be distinct; "
                "consider fewer factors."
            )
    return EFAResult(
        method=method,
        rotation=rotation,
        n_factors=k,
        n_obs=c.n_obs,
        loadings=loadings,
        structure=structure,
        phi=phi_df,
        communalities=comm,
        uniquenesses=uniq,
        variance=variance,
        fit=fit,
        eigenvalues=pd.Series(c.eigenvalues, index=pd.RangeIndex(1, p + 1), name="eigenvalue"),
        heywood=heywood,
        cross_loadings=cross,
        weak_items=weak,
        cross_loading_threshold=cross_loading_threshold,
        weak_threshold=weak_threshold,
        model=model,
        warning_messages=tuple(notes),
    )


def _signs(loadings: np.ndarray) -> np.ndarray:
    s = np.sign(loadings.sum(axis=0))
    s[s == 0] = 1.0
    return s
