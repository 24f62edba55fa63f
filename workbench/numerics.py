"""Numerical plumbing shared by the estimators (ground layer: imports nothing from the package).

:class:`single_threaded_blas` limits the BLAS thread pool for code that multiplies many tiny
matrices (EFA and SEM iterations, bootstrap refits): there, threads only add contention, and
limiting them made the CFA five times faster on two cores (see bench/README.md).
"""

from __future__ import annotations

import functools
from typing import Any

__all__ = ["single_threaded_blas"]


@functools.cache
def _blas_controller() -> Any:
    """threadpoolctl's view of the loaded BLAS libraries, found once per process.

    Finding the libraries scans the process's shared objects (~10 ms); setting and restoring
    a limit with the cached controller then costs ~10 us, so each call does not pay the scan.
    """
    try:
        from threadpoolctl import ThreadpoolController
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return None
    return ThreadpoolController()


class single_threaded_blas:
    """Limit BLAS threads for (batched) tiny matrices, where threads only add contention.

    >>> import numpy as np
    >>> with single_threaded_blas():
    ...     float(np.linalg.det(np.eye(3)))
    1.0
    """

    def __enter__(self) -> None:
        controller = _blas_controller()
        self._limits = None if controller is None else controller.limit(limits=1, user_api="blas")

    def __exit__(self, *exc: object) -> None:
        if self._limits is not None:
            self._limits.restore_original_limits()
