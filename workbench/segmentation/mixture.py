"""Gaussian mixtures with mclust's 14 covariance models (latent profile analysis), by EM.

:func:`fit_gaussian_mixture` fits a mixture of ``k`` multivariate normal components whose
covariance matrices follow one of the parameterisations of Celeux & Govaert (1995), named as
mclust names them: the eigen-decomposition :math:`\\Sigma_k = \\lambda_k D_k A_k D_k'` with
volume :math:`\\lambda_k`, shape :math:`A_k` (diagonal, determinant 1) and orientation
:math:`D_k` each equal (E), variable (V) or the identity (I) across components:

====== ======================= ====== =========================
EII    spherical, equal volume  EEE    ellipsoidal, equal
VII    spherical, unequal vol.  VEE    ellipsoidal, equal shape and orientation
EEI    diagonal, equal          EVE    ellipsoidal, equal volume and orientation
VEI    diagonal, equal shape    VVE    ellipsoidal, equal orientation
EVI    diagonal, equal volume   EEV    ellipsoidal, equal volume and shape
VVI    diagonal, varying        VEV    ellipsoidal, equal shape
\\      \\                       EVV    ellipsoidal, equal volume
\\      \\                       VVV    ellipsoidal, varying
====== ======================= ====== =========================

EM starts, as ``mclust::Mclust`` does by default, from the partition into ``k`` groups of the
model-based hierarchical agglomeration of the data (``hc``, ``VVV`` criterion, ``hcUse =
"SVD"``; :mod:`workbench.segmentation.hierarchical`); above 2,000 members the agglomeration runs
on a seeded random subset of 2,000, as mclust's ``subset`` option does. ``restarts`` random
starts follow, and the fit with the highest log-likelihood is kept; the result says whether a
restart beat the hierarchical start. The M-steps are mclust's: closed forms for EII, VII, EEI,
EVI, VVI, EEE, EEV, EVV and VVV; mclust's inner iterations for VEI and VEV (alternating volume
and shape, Celeux & Govaert 1995), for VEE (the common correlation matrix and the volumes) and
for EVE and VVE (the MM algorithms of Browne & McNicholas 2014 for the common orientation, as
mclust 6 implements them); with mclust's stopping rule (relative change of the log-likelihood
below ``tol``) the iterations follow mclust's: the log-likelihoods agree with ``mclust 6.0`` to
1e-9 and EM stops at the same iteration (tests/test_segmentation_mixture.py). No prior is used
(mclust's default has none).

Why hand-written: scikit-learn's ``GaussianMixture`` offers four covariance types (spherical,
diag, tied, full: mclust's VII, VVI, EEE and VVV), starts from k-means or random
responsibilities and has no hierarchical initialisation, so it can reproduce neither the ten
other models nor mclust's fits. StepMix (Python) fits latent class and profile models with
covariates and distal outcomes, but its Gaussian profiles are scikit-learn's four covariance
types too.

References
----------
Celeux, G. & Govaert, G. (1995). Gaussian parsimonious clustering models. *Pattern
Recognition*, 28(5), 781-793.

Fraley, C. & Raftery, A. E. (2002). Model-based clustering, discriminant analysis, and density
estimation. *Journal of the American Statistical Association*, 97(458), 611-631.

Browne, R. P. & McNicholas, P. D. (2014). Estimating common principal components in high
dimensions. *Advances in Data Analysis and Classification*, 8(2), 217-226.

Scrucca, L., Fop, M., Murphy, T. B. & Raftery, A. E. (2016). mclust 5: clustering,
classification and density estimation using Gaussian finite mixture models. *The R Journal*,
8(1), 289-317.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from typing import Any, Literal

import numpy as np
import pandas as pd

from workbench.errors import InputError
from workbench.numerics import single_threaded_blas
from workbench.results import Result, jsonable, with_warnings
from workbench.segmentation.data import segmentation_matrix
from workbench.segmentation.hierarchical import hierarchical_partitions, quantile_partition
from workbench.validation import check_choice

__all__ = [
    "MODELS",
    "MODEL_DESCRIPTIONS",
    "MixtureResult",
    "ModelName",
    "fit_gaussian_mixture",
    "mixture_criteria",
    "number_of_parameters",
]

ModelName = Literal[
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
]  # fmt: skip
#: mclust's 14 covariance models, in mclust's order (``mclust.options("emModelNames")``)
MODELS: tuple[str, ...] = (
    "EII", "VII", "EEI", "VEI", "EVI", "VVI", "EEE",
    "VEE", "EVE", "VVE", "EEV", "VEV", "EVV", "VVV",
)  # fmt: skip
MODEL_DESCRIPTIONS = {
    "EII": "spherical, equal volume",
    "VII": "spherical, unequal volume",
    "EEI": "diagonal, equal volume and shape",
    "VEI": "diagonal, varying volume, equal shape",
    "EVI": "diagonal, equal volume, varying shape",
    "VVI": "diagonal, varying volume and shape",
    "EEE": "ellipsoidal, equal volume, shape and orientation",
    "VEE": "ellipsoidal, equal shape and orientation",
    "EVE": "ellipsoidal, equal volume and orientation",
    "VVE": "ellipsoidal, equal orientation",
    "EEV": "ellipsoidal, equal volume and shape",
    "VEV": "ellipsoidal, equal shape",
    "EVV": "ellipsoidal, equal volume",
    "VVV": "ellipsoidal, varying volume, shape and orientation",
}

_EPS = float(np.finfo(float).eps)
_RTEPS = math.sqrt(_EPS)
_FLMAX = float(np.finfo(float).max)
_LOG2PI = math.log(2.0 * math.pi)
#: mclust's ``mclust.options("subset")``: the hierarchical start uses at most this many rows
HC_SUBSET = 2000


# --------------------------------------------------------------------------- parameters


def number_of_parameters(model: str, d: int, k: int) -> int:
    """Free parameters of a ``k``-component mixture of model ``model`` in ``d`` variables.

    Means (``k d``), mixing proportions (``k - 1``) and the covariance parameters of the
    model, as ``mclust::nMclustParams(model, d, G)`` counts them (Celeux & Govaert 1995,
    table 1; Scrucca et al. 2016, table 3).

    >>> number_of_parameters("VVV", 4, 2)
    29
    >>> number_of_parameters("EII", 2, 3)
    9
    """
    check_choice("model", model, MODELS)
    G = k
    var = {
        "EII": 1,
        "VII": G,
        "EEI": d,
        "VEI": G + (d - 1),
        "EVI": 1 + G * (d - 1),
        "VVI": G * d,
        "EEE": d * (d + 1) // 2,
        "EVE": 1 + G * (d - 1) + d * (d - 1) // 2,
        "VEE": G + (d - 1) + d * (d - 1) // 2,
        "VVE": G + G * (d - 1) + d * (d - 1) // 2,
        "EEV": 1 + (d - 1) + G * d * (d - 1) // 2,
        "VEV": G + (d - 1) + G * d * (d - 1) // 2,
        "EVV": 1 - G + G * d * (d + 1) // 2,
        "VVV": G * d * (d + 1) // 2,
    }[model]
    return int(var + G * d + (G - 1))


def mixture_criteria(loglik: float, npar: int, n: int, z: np.ndarray | None) -> dict[str, float]:
    """BIC, ICL, SABIC and relative entropy of a fitted mixture.

    Parameters
    ----------
    loglik : float
        Maximised log-likelihood.
    npar : int
        Number of free parameters (:func:`number_of_parameters`).
    n : int
        Number of members.
    z : numpy.ndarray or None
        ``(n, k)`` posterior probabilities (None for one component).

    Returns
    -------
    dict
        ``bic``, ``bic_mclust``, ``icl``, ``icl_mclust``, ``sabic``, ``entropy``.

    Notes
    -----
    Lower is better for ``bic``, ``icl`` and ``sabic`` (the issue's and Mplus's sign):

    .. math::
        \\mathrm{BIC} = -2\\ell + p\\log n, \\qquad
        \\mathrm{SABIC} = -2\\ell + p\\log\\frac{n + 2}{24}, \\qquad
        \\mathrm{ICL} = \\mathrm{BIC} - 2\\sum_i \\log z_{i\\hat c_i}

    with :math:`\\hat c_i` the most probable component of member :math:`i` (Biernacki, Celeux
    & Govaert 2000; Sclove 1987 for SABIC). mclust reports ``bic_mclust = 2l - p log n`` and
    ``icl_mclust = -icl`` (higher is better; ``mclust::bic``, ``mclust::icl``). The relative
    entropy is :math:`1 - \\sum_i\\sum_k -z_{ik}\\log z_{ik} / (n \\log k)` (Ramaswamy et al.
    1993; 1 = every member classified with certainty; undefined, NaN, for one component).

    >>> c = mixture_criteria(-100.0, 5, 100, None)
    >>> round(c["bic"], 4), round(c["bic_mclust"], 4)
    (223.0259, -223.0259)
    """
    bic = -2.0 * loglik + npar * math.log(n)
    sabic = -2.0 * loglik + npar * math.log((n + 2.0) / 24.0)
    if z is None or z.shape[1] == 1:
        icl, entropy = bic, math.nan
    else:
        zmax = z.max(axis=1)
        with np.errstate(divide="ignore"):
            icl = bic - 2.0 * float(np.sum(np.where(zmax > 0, np.log(zmax), 0.0)))
            zlogz = np.where(z > 0, z * np.log(np.where(z > 0, z, 1.0)), 0.0)
        entropy = 1.0 - float(-zlogz.sum()) / (z.shape[0] * math.log(z.shape[1]))
    return {
        "bic": bic,
        "bic_mclust": -bic,
        "icl": icl,
        "icl_mclust": -icl,
        "sabic": sabic,
        "entropy": entropy,
    }


# --------------------------------------------------------------------------- the EM core


class _Degenerate(Exception):
    """The M-step cannot proceed: a covariance became singular or a component emptied."""

    def __init__(self, kind: Literal["singular", "collapse"], detail: str = "") -> None:
        self.kind = kind
        self.detail = detail
        super().__init__(kind, detail)


@dataclasses.dataclass
class _Control:
    tol: float = 1e-5
    max_iter: int = 10_000
    inner_tol: float = _RTEPS
    inner_max_iter: int = 10_000


@dataclasses.dataclass
class _Fit:
    loglik: float
    pro: np.ndarray  # (k,)
    mean: np.ndarray  # (k, p)
    sigma: np.ndarray  # (k, p, p)
    z: np.ndarray  # (n, k)
    iterations: int
    converged: bool
    inner_limit: bool = False


def _geometric_mean(v: np.ndarray, axis: int = -1) -> np.ndarray:
    """``exp(sum(log v))^(1/p)`` as mclust computes it (``NaN`` for non-positive entries)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.exp(np.mean(np.log(v), axis=axis))


def _scatter(x: np.ndarray, z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Component sizes ``n_k``, means ``(k, p)`` and weighted scatter matrices ``(k, p, p)``."""
    nk = z.sum(axis=0)
    if nk.min() <= _RTEPS:
        raise _Degenerate("collapse", f"component {int(np.argmin(nk)) + 1} is empty")
    mean = (z.T @ x) / nk[:, None]
    k, p = mean.shape
    w = np.empty((k, p, p))
    for g in range(k):
        xc = x - mean[g]
        w[g] = (xc * z[:, g, None]).T @ xc
    return nk, mean, w


def _eigh_desc(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues (descending) and eigenvectors (columns) of symmetric matrices."""
    vals, vecs = np.linalg.eigh(w)
    return vals[..., ::-1], vecs[..., ::-1]


def _check_positive(values: np.ndarray, floor: float) -> None:
    if not np.all(np.isfinite(values)) or np.min(values) <= floor:
        raise _Degenerate("singular", "a variance parameter fell to zero")


def _mstep(model: str, x: np.ndarray, z: np.ndarray, state: dict, ctrl: _Control):
    """mclust's M-step for ``model``: proportions, means and covariance matrices."""
    n, p = x.shape
    nk, mean, w = _scatter(x, z)
    k = nk.size
    pro = nk / n
    eye = np.eye(p)
    if model == "EII":
        s2 = float(np.trace(w, axis1=1, axis2=2).sum()) / (n * p)
        _check_positive(np.array([s2]), _EPS)
        sigma = np.broadcast_to(s2 * eye, (k, p, p)).copy()
    elif model == "VII":
        s2 = np.trace(w, axis1=1, axis2=2) / (p * nk)
        _check_positive(s2, _EPS)
        sigma = s2[:, None, None] * eye
    elif model == "EEI":
        shape = np.einsum("kii->i", w)
        _check_positive(shape, 0.0)
        gm = float(_geometric_mean(shape))
        scale = gm / n
        _check_positive(np.array([scale]), _EPS)
        sigma = np.broadcast_to(np.diag(scale * shape / gm), (k, p, p)).copy()
    elif model == "VEI":
        sigma = _mstep_vei(w, nk, state, ctrl)
    elif model == "EVI":
        diag = np.einsum("kii->ki", w)
        _check_positive(diag, 0.0)
        gms = _geometric_mean(diag, axis=1)
        _check_positive(gms, _EPS)
        scale = float(gms.sum()) / n
        _check_positive(np.array([scale]), _EPS)
        shape = diag / gms[:, None]
        sigma = np.einsum("ki,ij->kij", scale * shape, eye)
    elif model == "VVI":
        diag = np.einsum("kii->ki", w) / nk[:, None]
        _check_positive(diag, _EPS)
        sigma = np.einsum("ki,ij->kij", diag, eye)
    elif model == "EEE":
        sigma = np.broadcast_to(w.sum(axis=0) / n, (k, p, p)).copy()
    elif model == "VVV":
        sigma = w / nk[:, None, None]
    elif model == "EEV":
        vals, vecs = _eigh_desc(w)
        shape = vals.sum(axis=0)
        _check_positive(shape, _EPS)
        gm = float(_geometric_mean(shape))
        scale = gm / n
        _check_positive(np.array([scale]), _EPS)
        a = shape / gm
        sigma = scale * np.einsum("kij,j,klj->kil", vecs, a, vecs)
    elif model == "VEV":
        sigma = _mstep_vev(w, nk, n, state, ctrl)
    elif model == "EVV":
        vals, vecs = _eigh_desc(w)
        _check_positive(vals, 0.0)
        gms = _geometric_mean(vals, axis=1)
        shape = vals / gms[:, None]
        scale = float(gms.sum()) / n
        _check_positive(np.concatenate([shape.ravel(), gms, [scale]]), _RTEPS)
        sigma = scale * np.einsum("kij,kj,klj->kil", vecs, shape, vecs)
    elif model == "VEE":
        sigma = _mstep_vee(w, nk, n, ctrl)
    elif model in ("EVE", "VVE"):
        sigma = _mstep_common_orientation(model, w, nk, n, state, ctrl)
    else:  # pragma: no cover - guarded by check_choice
        raise ValueError(model)
    return pro, mean, sigma


def _mstep_vei(w: np.ndarray, nk: np.ndarray, state: dict, ctrl: _Control) -> np.ndarray:
    """VEI: alternate the volumes and the common diagonal shape (mclust ``mevei``)."""
    k, p, _ = w.shape
    diag = np.einsum("kii->ki", w)  # w_jk as (k, p)
    shape = state.setdefault("shape", np.ones(p))
    scale = state.setdefault("scale", np.ones(k))
    inner = 0
    while True:
        _check_positive(shape, _EPS)
        inner += 1
        old_scale, old_shape = scale, shape
        scale = (diag / shape).sum(axis=1) / (nk * p)
        _check_positive(scale, _EPS)
        shape = (diag / scale[:, None]).sum(axis=0)
        _check_positive(shape, _EPS)
        gm = float(_geometric_mean(shape))
        _check_positive(np.array([gm]), _EPS)
        shape = shape / gm
        err = max(
            float(np.max(np.abs(old_scale - scale) / (1.0 + scale))),
            float(np.max(np.abs(old_shape - shape) / (1.0 + shape))),
        )
        if not (err > ctrl.inner_tol and inner <= ctrl.inner_max_iter):
            break
    state["shape"], state["scale"] = shape, scale
    state["inner_limit"] = inner > ctrl.inner_max_iter
    return np.einsum("k,i,ij->kij", scale, shape, np.eye(p))


def _mstep_vev(w: np.ndarray, nk: np.ndarray, n: int, state: dict, ctrl: _Control) -> np.ndarray:
    """VEV: alternate the volumes and the common shape, orientations free (mclust ``mevev``)."""
    k, p, _ = w.shape
    vals, vecs = _eigh_desc(w)  # omega_kj: eigenvalues of W_k, descending
    if "shape" not in state:  # the first M-step starts from the pooled eigenvalues
        shape = vals.sum(axis=0)
        _check_positive(shape, 0.0)
        gm = float(_geometric_mean(shape))
        _check_positive(np.array([gm]), _EPS)
        state["scale"] = np.full(k, gm / n)
        state["shape"] = shape / gm
    shape, scale = state["shape"], state["scale"]
    inner = 0
    while True:
        old_shape, old_scale = shape, scale
        scale = (vals / shape).sum(axis=1) / (nk * p)
        _check_positive(scale, _EPS)
        shape = (vals / scale[:, None]).sum(axis=0)
        inner += 1
        _check_positive(shape, 0.0)
        gm = float(_geometric_mean(shape))
        _check_positive(np.array([gm]), _EPS)
        shape = shape / gm
        err = max(
            float(np.max(np.abs(old_shape - shape) / (1.0 + shape))),
            float(np.max(np.abs(scale - old_scale) / (1.0 + scale))),
        )
        if not (err >= ctrl.inner_tol and inner < ctrl.inner_max_iter):
            break
    _check_positive(shape, _EPS)
    _check_positive(scale, _EPS)
    _check_positive(np.sqrt(shape), _RTEPS)
    state["shape"], state["scale"] = shape, scale
    state["inner_limit"] = inner >= ctrl.inner_max_iter
    return scale[:, None, None] * np.einsum("kij,j,klj->kil", vecs, shape, vecs)


def _mstep_vee(w: np.ndarray, nk: np.ndarray, n: int, ctrl: _Control) -> np.ndarray:
    """VEE: alternate the common correlation matrix C and the volumes (mclust ``mevee``)."""
    k, p, _ = w.shape
    for g in range(k):
        try:
            np.linalg.cholesky(w[g])
        except np.linalg.LinAlgError:
            raise _Degenerate("singular", f"component {g + 1} has a singular scatter") from None
    scale = np.ones(k)
    prev = _FLMAX / 2
    inner = 0
    while True:
        inner += 1
        c = (w / scale[:, None, None]).sum(axis=0)
        ev = np.linalg.eigvalsh(c)[::-1]
        gm = float(_geometric_mean(ev))
        c = c / gm
        try:
            cinv = np.linalg.inv(np.linalg.cholesky(c))
        except np.linalg.LinAlgError:
            raise _Degenerate("singular", "the common correlation matrix is singular") from None
        cinv = cinv.T @ cinv
        scale = np.einsum("kij,ji->k", w, cinv) / (p * nk)
        target = float(nk.sum()) * p + p * float(np.sum(np.log(scale) * nk))
        err = abs(target - prev) / (1.0 + abs(target))
        prev = target
        if not (err > ctrl.inner_tol and inner < ctrl.inner_max_iter):
            break
    shape = ev / gm
    _check_positive(shape, _RTEPS)
    _check_positive(scale, _RTEPS)
    return scale[:, None, None] * c


def _mstep_common_orientation(
    model: str, w: np.ndarray, nk: np.ndarray, n: int, state: dict, ctrl: _Control
) -> np.ndarray:
    """EVE and VVE: the MM iterations of mclust's ``meeve``/``mevve`` for the common D."""
    k, p, _ = w.shape
    evals = np.linalg.eigvalsh(w)
    if np.min(evals) < _RTEPS:
        raise _Degenerate("singular", "a component's scatter matrix is singular")
    omega = evals[:, -1]
    shape = state.setdefault("shape", np.ones((k, p)))
    d = state.setdefault("orientation", np.eye(p))
    prev = _FLMAX / 2
    inner = 0
    scale = np.ones(k)
    while True:
        inner += 1
        # MM 1: F = sum_k A_k^-1 D' W_k - omega_k A_k^-1 D'
        ad = (1.0 / shape)[:, :, None] * d.T[None]  # (k, p, p): A_k^-1 D'
        f = (ad @ w - omega[:, None, None] * ad).sum(axis=0)
        u, _, vt = np.linalg.svd(f)
        d = (u @ vt).T
        # MM 2: F = sum_k W_k D A_k^-1 - max(1/A_k) W_k D
        wd = w @ d
        f = (wd / shape[:, None, :] - (1.0 / shape).max(axis=1)[:, None, None] * wd).sum(axis=0)
        u, _, vt = np.linalg.svd(f)
        d = u @ vt
        m = np.einsum("ji,kjl,li->ki", d, w, d)  # diag(D' W_k D)
        if model == "EVE":
            shape = m / _geometric_mean(m, axis=1)[:, None]
        else:
            a = m / nk[:, None]
            scale = _geometric_mean(a, axis=1)
            shape = a / scale[:, None]
            if not np.all(np.isfinite(scale)) or np.min(scale) < _RTEPS:
                raise _Degenerate("singular", "a component's volume fell to zero")
        if not np.all(np.isfinite(shape)) or np.min(shape) < _RTEPS:
            raise _Degenerate("singular", "a shape parameter fell to zero")
        target = float(np.sum(m / shape))
        err = abs(target - prev) / (1.0 + abs(target))
        prev = target
        if not (err > ctrl.inner_tol and inner < ctrl.inner_max_iter):
            break
    state["shape"], state["orientation"] = shape, d
    state["inner_limit"] = inner >= ctrl.inner_max_iter
    if model == "EVE":
        scale = np.full(k, target / (float(nk.sum()) * p))
    return scale[:, None, None] * np.einsum("ij,kj,lj->kil", d, shape, d)


def _log_densities(x: np.ndarray, mean: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """``(n, k)`` log normal densities; a covariance mclust would call singular raises."""
    n, p = x.shape
    k = mean.shape[0]
    out = np.empty((n, k))
    for g in range(k):
        try:
            chol = np.linalg.cholesky(sigma[g])
        except np.linalg.LinAlgError:
            raise _Degenerate(
                "singular", f"the covariance of component {g + 1} is singular"
            ) from None
        diag = np.abs(np.diag(chol))
        if diag.min() / (1.0 + diag.max()) <= _EPS:
            raise _Degenerate("singular", f"the covariance of component {g + 1} is singular")
        inv = np.linalg.inv(chol)
        y = (x - mean[g]) @ inv.T
        out[:, g] = -0.5 * (p * _LOG2PI + 2.0 * float(np.sum(np.log(diag)))) - 0.5 * np.einsum(
            "ij,ij->i", y, y
        )
    return out


def _estep(x: np.ndarray, pro: np.ndarray, mean: np.ndarray, sigma: np.ndarray):
    """Log-likelihood and posterior probabilities (mclust's ``estep``)."""
    logp = _log_densities(x, mean, sigma) + np.log(pro)
    top = logp.max(axis=1, keepdims=True)
    e = np.exp(logp - top)
    s = e.sum(axis=1, keepdims=True)
    loglik = float(np.sum(np.log(s) + top))
    return loglik, e / s


def _em(x: np.ndarray, z: np.ndarray, model: str, ctrl: _Control) -> _Fit:
    """mclust's ``me``: M-step, E-step, until the log-likelihood's relative change <= tol."""
    state: dict[str, Any] = {}
    hold = _FLMAX / 2
    iteration = 0
    inner_limit = False
    while True:
        iteration += 1
        pro, mean, sigma = _mstep(model, x, z, state, ctrl)
        inner_limit = inner_limit or bool(state.get("inner_limit", False))
        loglik, z = _estep(x, pro, mean, sigma)
        err = abs(hold - loglik) / (1.0 + abs(loglik))
        hold = loglik
        if not (err > ctrl.tol and iteration < ctrl.max_iter):
            break
    return _Fit(loglik, pro, mean, sigma, z, iteration, err <= ctrl.tol, inner_limit)


def _one_component(x: np.ndarray, model: str) -> _Fit:
    """k = 1: the normal distribution with the model's covariance family (mclust's ``mvn``)."""
    n, p = x.shape
    mean = x.mean(axis=0)
    xc = x - mean
    if model in ("EII", "VII"):
        s2 = float(np.sum(xc**2)) / (n * p)
        _check_positive(np.array([s2]), _EPS)
        sigma = s2 * np.eye(p)
    elif model in ("EEI", "VEI", "EVI", "VVI"):
        v = np.sum(xc**2, axis=0) / n
        _check_positive(v, _EPS)
        sigma = np.diag(v)
    else:
        sigma = xc.T @ xc / n
    z = np.ones((n, 1))
    loglik, _ = _estep(x, np.ones(1), mean[None], sigma[None])
    return _Fit(loglik, np.ones(1), mean[None], sigma[None], z, 0, True)


def _em_from_parameters(
    x: np.ndarray, model: str, pro: np.ndarray, mean: np.ndarray, sigma: np.ndarray, ctrl: _Control
) -> _Fit:
    """EM started from parameters (mclust's ``em``): an E-step, then :func:`_em`."""
    if pro.size == 1:
        return _one_component(x, model)
    _, z = _estep(x, pro, mean, sigma)
    return _em(x, z, model, ctrl)


# --------------------------------------------------------------------------- starts


def hc_start_partition(
    x: np.ndarray, k: int, rng: np.random.Generator, subset: int = HC_SUBSET
) -> tuple[np.ndarray, np.ndarray | None]:
    """The hierarchical start's partition (labels of the rows it was computed on) and rows."""
    n = x.shape[0]
    rows = None
    data = x
    if n > subset:
        rows = np.sort(rng.choice(n, size=subset, replace=False))
        data = x[rows]
    if x.shape[1] == 1:
        labels = quantile_partition(data[:, 0], k)
    else:
        labels = hierarchical_partitions(data, [k])[k]
    return labels, rows


def _hard(labels: np.ndarray, k: int) -> np.ndarray:
    z = np.zeros((labels.size, k))
    z[np.arange(labels.size), labels] = 1.0
    return z


def _start_from_partition(
    x: np.ndarray, labels: np.ndarray, rows: np.ndarray | None, k: int, model: str, ctrl: _Control
) -> _Fit:
    """EM from a hard partition; a partition of a subset first gets one M- and E-step on it."""
    z = _hard(labels, k)
    if rows is not None:  # mclust: mstep on the subset, estep on all rows, then me
        pro, mean, sigma = _mstep(model, x[rows], z, {}, ctrl)
        _, z = _estep(x, pro, mean, sigma)
    return _em(x, z, model, ctrl)


def _random_partition(x: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """k members drawn at random as seeds; each member joins its nearest seed (standardised)."""
    sd = x.std(axis=0)
    xs = (x - x.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
    seeds = xs[rng.choice(x.shape[0], size=k, replace=False)]
    d2 = ((xs[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2)
    return np.argmin(d2, axis=1)


# --------------------------------------------------------------------------- results


@dataclasses.dataclass(frozen=True)
class MixtureResult(Result):
    """A fitted Gaussian mixture (latent profile model).

    Attributes
    ----------
    model : str
        mclust's name of the covariance model (e.g. ``"VVV"``).
    k : int
        Number of components (segments).
    n : int
        Members.
    variables : tuple of str
        The variables, in column order.
    fitted : bool
        False when every start ended in a degenerate solution (then the numbers are NaN and
        the warnings say why).
    loglik : float
        Maximised log-likelihood.
    npar : int
        Free parameters (``mclust::nMclustParams``).
    bic, icl, sabic : float
        Lower is better: ``-2 logL + npar log n`` and its ICL and sample-size adjusted forms.
    bic_mclust, icl_mclust : float
        mclust's signs (higher is better).
    entropy : float
        Relative entropy of the classification (1 = certain; NaN for k = 1).
    shares : pandas.Series
        Mixing proportions, indexed by segment 1..k.
    means : pandas.DataFrame
        Segment (rows 1..k) by variable means.
    covariances : numpy.ndarray
        ``(k, p, p)`` covariance matrices (:meth:`covariance` labels one).
    posterior : pandas.DataFrame
        ``(n, k)`` posterior probabilities (columns 1..k), in the rows' order.
    classification : numpy.ndarray
        Most probable segment of each member, 1..k (``mclust::map``).
    uncertainty : numpy.ndarray
        ``1 - max_k z_ik`` per member (as mclust's ``uncertainty``).
    iterations : int
        EM iterations of the kept fit.
    converged : bool
        The kept fit met the stopping rule before ``max_iter``.
    start : str
        ``"hc"`` (the hierarchical start) or ``"random restart <r>"`` (or ``"single
        component"``).
    loglik_hc : float
        Log-likelihood reached from the hierarchical start (NaN if that start degenerated).
    restart_logliks : tuple of float
        Log-likelihoods reached from the random restarts (NaN for degenerate ones).
    restart_beat_hc : bool
        A random restart reached a log-likelihood higher than the hierarchical start's (by
        more than 1e-6 relative).
    seed : int or None
        Seed of the random restarts and of the subset of the hierarchical start.
    warning_messages : tuple of str
        Degenerate starts, tiny classes, non-convergence.
    """

    model: str
    k: int
    n: int
    variables: tuple[str, ...]
    fitted: bool
    loglik: float
    npar: int
    bic: float
    bic_mclust: float
    icl: float
    icl_mclust: float
    sabic: float
    entropy: float
    shares: pd.Series
    means: pd.DataFrame
    covariances: np.ndarray
    posterior: pd.DataFrame
    classification: np.ndarray
    uncertainty: np.ndarray
    iterations: int
    converged: bool
    start: str
    loglik_hc: float
    restart_logliks: tuple[float, ...]
    restart_beat_hc: bool
    seed: int | None
    warning_messages: tuple[str, ...] = ()

    def covariance(self, segment: int) -> pd.DataFrame:
        """The covariance matrix of segment ``segment`` (1..k), labelled by variable."""
        if not 1 <= segment <= self.k:
            raise ValueError(f"segment={segment!r} is not valid: segments are 1..{self.k}")
        return pd.DataFrame(
            self.covariances[segment - 1], index=list(self.variables), columns=list(self.variables)
        )

    @property
    def sizes(self) -> pd.Series:
        """Members classified into each segment (modal assignment), indexed 1..k."""
        counts: Any = (
            np.bincount(self.classification, minlength=self.k + 1)[1:]
            if self.fitted
            else np.zeros(self.k, dtype=int)
        )
        return pd.Series(counts, index=pd.RangeIndex(1, self.k + 1, name="segment"), name="size")

    @property
    def min_share(self) -> float:
        """The smallest share of members classified into one segment."""
        return float(self.sizes.min() / self.n) if self.fitted else math.nan

    def criteria(self) -> dict[str, float]:
        """The fit criteria as one flat dict (the row of a selection table)."""
        return {
            "loglik": self.loglik,
            "npar": self.npar,
            "bic": self.bic,
            "bic_mclust": self.bic_mclust,
            "icl": self.icl,
            "sabic": self.sabic,
            "entropy": self.entropy,
            "min_share": self.min_share,
        }

    def to_frame(self) -> pd.DataFrame:
        """One row per segment: ``share`` (mixing proportion), ``size`` and the means."""
        frame = self.means.copy()
        frame.insert(0, "size", self.sizes.to_numpy() if self.fitted else np.nan)
        frame.insert(0, "share", self.shares.to_numpy())
        return frame

    def summary(self) -> str:
        head = (
            f"Gaussian mixture {self.model} ({MODEL_DESCRIPTIONS[self.model]}), k = {self.k}, "
            f"n = {self.n}\n"
            f"log-likelihood {self.loglik:.4f}, {self.npar} parameters, BIC {self.bic:.3f} "
            f"(lower is better; mclust's sign {self.bic_mclust:.3f}), ICL {self.icl:.3f}, "
            f"SABIC {self.sabic:.3f}, entropy {self.entropy:.3f}\n"
            f"start: {self.start}; {self.iterations} EM iterations"
            + ("" if self.converged else " (not converged)")
            + "\n\n"
        )
        return with_warnings(head + self.to_frame().to_string(), self.warnings)

    def to_dict(self) -> dict[str, Any]:
        return jsonable(
            {
                "model": self.model,
                "k": self.k,
                "n": self.n,
                "variables": list(self.variables),
                **self.criteria(),
                "icl_mclust": self.icl_mclust,
                "converged": self.converged,
                "start": self.start,
                "restart_beat_hc": self.restart_beat_hc,
                "seed": self.seed,
                "segments": {
                    str(s): {
                        "share": float(self.shares[s]),
                        "size": int(self.sizes[s]) if self.fitted else None,
                        "means": {v: float(self.means.loc[s, v]) for v in self.variables},
                    }
                    for s in range(1, self.k + 1)
                },
                "warnings": self.warnings,
            }
        )


# --------------------------------------------------------------------------- public API


def fit_gaussian_mixture(
    data: Any,
    k: int,
    model: str = "VVV",
    *,
    restarts: int = 10,
    seed: int | None = None,
    init: Literal["hc", "random"] = "hc",
    tol: float = 1e-5,
    max_iter: int = 10_000,
    inner_tol: float = _RTEPS,
    inner_max_iter: int = 10_000,
) -> MixtureResult:
    """Fit a Gaussian mixture with one of mclust's covariance models by EM.

    Parameters
    ----------
    data : pandas.DataFrame or numpy.ndarray
        One row per member, numeric variables (standardise them first if their units differ:
        the models with equal or spherical volumes are not scale invariant).
    k : int
        Number of components (segments), at least 1.
    model : str
        One of :data:`MODELS` (mclust's names; default ``"VVV"``).
    restarts : int
        Random starts after the hierarchical one (``init="hc"``), or in all
        (``init="random"``). Each draws ``k`` members at random as seeds and assigns every
        member to its nearest seed (Euclidean distance on the standardised variables); EM
        starts from that partition.
    seed : int, optional
        Seed of the random starts and, above 2,000 members, of the subset the hierarchical
        start is computed on. None draws fresh entropy (the result records no seed then).
    init : {"hc", "random"}
        ``"hc"``: mclust's default start (model-based hierarchical agglomeration) plus
        ``restarts``; ``"random"``: random starts only.
    tol : float
        EM stops when the relative change of the log-likelihood,
        ``|l_t - l_{t-1}| / (1 + |l_t|)``, is at most ``tol`` (mclust's ``emControl()$tol[1]``).
    max_iter : int
        Most EM iterations per start.
    inner_tol, inner_max_iter : float, int
        Stopping rule of the inner iterations of VEI, VEV, VEE, EVE and VVE
        (``emControl()$tol[2]``, default ``sqrt(.Machine$double.eps)``).

    Returns
    -------
    MixtureResult
        The fit with the highest log-likelihood over the starts.

    Notes
    -----
    The density is :math:`f(x) = \\sum_{k} \\tau_k \\phi(x; \\mu_k, \\Sigma_k)` with
    :math:`\\Sigma_k = \\lambda_k D_k A_k D_k'` constrained as the model's three letters say
    (volume, shape, orientation; Celeux & Govaert 1995). Each EM iteration is an M-step from
    the current posterior probabilities :math:`z_{ik}` followed by an E-step
    :math:`z_{ik} \\propto \\tau_k\\phi(x_i; \\mu_k, \\Sigma_k)`; the reported log-likelihood,
    parameters and posteriors are those of the last iteration (as mclust's ``me``). A start
    that reaches a singular covariance matrix or an empty component is abandoned with a
    warning (mclust returns ``NA`` for it).

    References
    ----------
    Celeux & Govaert (1995); Fraley & Raftery (2002); Scrucca et al. (2016) (see the module).
    R: ``mclust::Mclust(X, G = k, modelNames = model)``; the hierarchical start alone equals
    ``mclust::me(X, model, z = unmap(hclass(hc(X, "VVV", use = "SVD"), k)))``.

    Examples
    --------
    >>> rng = np.random.default_rng(7)
    >>> x = np.vstack([rng.normal(0, 1, (60, 2)), rng.normal(5, 1, (40, 2))])
    >>> fit = fit_gaussian_mixture(x, 2, "EII", restarts=2, seed=1)
    >>> fit.shares.round(2).tolist()
    [0.6, 0.4]
    """
    check_choice("model", model, MODELS)
    check_choice("init", init, ("hc", "random"))
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k={k!r} is not valid: k must be a whole number of components >= 1")
    if isinstance(restarts, bool) or not isinstance(restarts, int | np.integer) or restarts < 0:
        raise ValueError(f"restarts={restarts!r} is not valid: use a whole number >= 0")
    if init == "random" and restarts < 1:
        raise ValueError("restarts=0 is not valid with init='random': use at least 1 start")
    x, columns, notes = segmentation_matrix(data)
    return _fit(x, columns, notes, int(k), model, restarts=int(restarts), seed=seed, init=init,
                ctrl=_Control(tol, max_iter, inner_tol, inner_max_iter))  # fmt: skip


def _fit(
    x: np.ndarray,
    columns: Sequence[str],
    notes: Sequence[str],
    k: int,
    model: str,
    *,
    restarts: int,
    seed: int | None,
    init: str,
    ctrl: _Control,
    hc_labels: tuple[np.ndarray, np.ndarray | None] | None = None,
) -> MixtureResult:
    """Fit on a checked matrix (``hc_labels``: a hierarchical start computed once per k)."""
    n, _p = x.shape
    if k > n:
        raise InputError(
            f"A mixture of {k} components needs at least {k} members; the data have {n}.",
            hint="Choose a smaller k.",
        )
    warnings_: list[str] = list(notes)
    rng = np.random.default_rng(seed)
    fits: list[tuple[str, _Fit | None, str]] = []
    with single_threaded_blas():
        if k == 1:
            try:
                fits.append(("single component", _one_component(x, model), ""))
            except _Degenerate as exc:
                fits.append(("single component", None, exc.detail))
        else:
            if init == "hc":
                labels, rows = hc_labels if hc_labels is not None else hc_start_partition(x, k, rng)
                if rows is not None:
                    warnings_.append(
                        f"The hierarchical start was computed on a random subset of {rows.size} "
                        f"of the {n} members (as mclust's default subset)."
                    )
                fits.append(("hc", *_attempt(x, labels, rows, k, model, ctrl)))
            for r in range(restarts):
                labels = _random_partition(x, k, rng)
                fits.append((f"random restart {r + 1}", *_attempt(x, labels, None, k, model, ctrl)))
    return _result(x, columns, k, model, fits, warnings_, seed)


def _attempt(x, labels, rows, k, model, ctrl) -> tuple[_Fit | None, str]:
    if np.unique(labels).size < k:
        return None, "the starting partition has an empty class"
    try:
        with np.errstate(all="ignore"):
            fit = _start_from_partition(x, labels, rows, k, model, ctrl)
    except _Degenerate as exc:
        return None, {
            "singular": f"singular covariance ({exc.detail})",
            "collapse": f"a class collapsed ({exc.detail})",
        }[exc.kind]
    except np.linalg.LinAlgError as exc:
        return None, f"singular covariance ({exc})"
    if not np.isfinite(fit.loglik):
        return None, "the log-likelihood is not finite"
    return fit, ""


def _result(x, columns, k, model, fits, warnings_, seed) -> MixtureResult:
    n, p = x.shape
    npar = number_of_parameters(model, p, k)
    good = [(name, f) for name, f, _ in fits if f is not None]
    for name, f, why in fits:
        if f is None:
            warnings_.append(f"{model}, k = {k}: the {name} start was abandoned: {why}.")
    hc = next((f for name, f, _ in fits if name == "hc"), None)
    loglik_hc = hc.loglik if hc is not None else math.nan
    restart_ll = tuple(
        f.loglik if f is not None else math.nan for name, f, _ in fits if name.startswith("random")
    )
    seg_index = pd.RangeIndex(1, k + 1, name="segment")
    if not good:
        warnings_.append(
            f"{model}, k = {k}: no start reached a proper solution (every covariance matrix "
            "estimate became singular or a class emptied); the model is not fitted."
        )
        nan = math.nan
        return MixtureResult(
            model=model, k=k, n=n, variables=tuple(columns), fitted=False, loglik=nan,
            npar=npar, bic=nan, bic_mclust=nan, icl=nan, icl_mclust=nan, sabic=nan,
            entropy=nan, shares=pd.Series(np.full(k, nan), index=seg_index, name="share"),
            means=pd.DataFrame(np.full((k, p), nan), index=seg_index, columns=list(columns)),
            covariances=np.full((k, p, p), nan),
            posterior=pd.DataFrame(np.full((n, k), nan), columns=seg_index),
            classification=np.zeros(n, dtype=int), uncertainty=np.full(n, nan), iterations=0,
            converged=False, start="none", loglik_hc=loglik_hc, restart_logliks=restart_ll,
            restart_beat_hc=False, seed=seed, warning_messages=tuple(warnings_),
        )  # fmt: skip
    start, best = max(good, key=lambda item: item[1].loglik)
    hc_tried = any(name == "hc" for name, _, _ in fits)
    beat = False
    if hc is not None and start != "hc":
        beat = best.loglik - hc.loglik > 1e-6 * max(1.0, abs(hc.loglik))
        if not beat:  # a restart that only ties the hierarchical start does not count
            start, best = "hc", hc
    elif hc is None and hc_tried:
        beat = True
    if beat:
        warnings_.append(
            f"{model}, k = {k}: a random restart ({start}) reached a higher log-likelihood "
            f"({best.loglik:.4f}) than mclust's hierarchical start ("
            + (f"{loglik_hc:.4f}" if np.isfinite(loglik_hc) else "degenerate")
            + "); the restart's solution is kept."
        )
    if not best.converged:
        warnings_.append(f"{model}, k = {k}: EM stopped at the iteration limit before converging.")
    if best.inner_limit:
        warnings_.append(
            f"{model}, k = {k}: an inner M-step iteration reached its limit (as mclust's "
            "'inner iteration limit reached')."
        )
    z = best.z
    crit = mixture_criteria(best.loglik, npar, n, z if k > 1 else None)
    classification = np.argmax(z, axis=1) + 1
    sizes = np.bincount(classification, minlength=k + 1)[1:]
    for s in range(k):
        if sizes[s] < p + 1:
            warnings_.append(
                f"{model}, k = {k}: segment {s + 1} holds {int(sizes[s])} member(s), fewer "
                f"than the {p + 1} a covariance matrix in {p} variables needs: the class is "
                "close to collapsing."
            )
    return MixtureResult(
        model=model,
        k=k,
        n=n,
        variables=tuple(columns),
        fitted=True,
        loglik=best.loglik,
        npar=npar,
        bic=crit["bic"],
        bic_mclust=crit["bic_mclust"],
        icl=crit["icl"],
        icl_mclust=crit["icl_mclust"],
        sabic=crit["sabic"],
        entropy=crit["entropy"],
        shares=pd.Series(best.pro, index=seg_index, name="share"),
        means=pd.DataFrame(best.mean, index=seg_index, columns=list(columns)),
        covariances=best.sigma,
        posterior=pd.DataFrame(z, columns=seg_index),
        classification=classification,
        uncertainty=1.0 - z.max(axis=1),
        iterations=best.iterations,
        converged=best.converged,
        start=start,
        loglik_hc=loglik_hc,
        restart_logliks=restart_ll,
        restart_beat_hc=beat,
        seed=seed,
        warning_messages=tuple(warnings_),
    )
