"""Segmentation: latent profiles (Gaussian mixtures), k-means and the stability of segments.

Modules: :mod:`~workbench.segmentation.mixture` (EM for mclust's 14 covariance models,
:func:`fit_gaussian_mixture`), :mod:`~workbench.segmentation.hierarchical` (mclust's
model-based hierarchical start), :mod:`~workbench.segmentation.selection` (the criteria table
over k and model, the selection rule and the bootstrap likelihood-ratio test,
:func:`select_mixture`), :mod:`~workbench.segmentation.kmeans` (k-means++ with many starts,
silhouette and within-SS, :func:`kmeans_segments`), :mod:`~workbench.segmentation.lca`
(latent classes of categorical or Likert indicators with StepMix, three-step covariates and
distal outcomes, :func:`latent_class_analysis`), :mod:`~workbench.segmentation.stability`
(bootstrap re-fits, adjusted Rand index and per-segment Jaccard, :func:`segment_stability`),
:mod:`~workbench.segmentation.three_step` (bias-corrected three-step membership and outcome
models for any mixture's posteriors)
and :mod:`~workbench.segmentation.data` (the checks of the input).

The Gaussian mixtures are tested against R mclust 6.0 (``tests/reference/r_mclust.R``).

>>> from workbench.segmentation import MODELS, number_of_parameters
>>> len(MODELS), number_of_parameters("VEV", 4, 2)
(14, 26)
"""

from __future__ import annotations

from workbench.segmentation.data import segmentation_matrix
from workbench.segmentation.hierarchical import (
    hierarchical_partitions,
    merge_sequence,
    quantile_partition,
    svd_transform,
)
from workbench.segmentation.kmeans import KMeansResult, kmeans_segments
from workbench.segmentation.lca import LCAResult, latent_class_analysis, lca_number_of_parameters
from workbench.segmentation.mixture import (
    MODEL_DESCRIPTIONS,
    MODELS,
    MixtureResult,
    fit_gaussian_mixture,
    mixture_criteria,
    number_of_parameters,
)
from workbench.segmentation.selection import (
    CRITERIA,
    BootstrapLRT,
    MixtureSelection,
    bootstrap_lrt,
    select_mixture,
)
from workbench.segmentation.stability import (
    StabilityResult,
    adjusted_rand_index,
    segment_stability,
)
from workbench.segmentation.three_step import (
    CovariateModel,
    DistalMeans,
    bch_weights,
    classification_error_matrix,
    distal_outcome_means,
    segment_covariate_model,
)

__all__ = [
    "CRITERIA",
    "MODELS",
    "MODEL_DESCRIPTIONS",
    "BootstrapLRT",
    "CovariateModel",
    "DistalMeans",
    "KMeansResult",
    "LCAResult",
    "MixtureResult",
    "MixtureSelection",
    "StabilityResult",
    "adjusted_rand_index",
    "bch_weights",
    "bootstrap_lrt",
    "classification_error_matrix",
    "distal_outcome_means",
    "fit_gaussian_mixture",
    "hierarchical_partitions",
    "kmeans_segments",
    "latent_class_analysis",
    "lca_number_of_parameters",
    "merge_sequence",
    "mixture_criteria",
    "number_of_parameters",
    "quantile_partition",
    "segment_covariate_model",
    "segment_stability",
    "segmentation_matrix",
    "select_mixture",
    "svd_transform",
]
