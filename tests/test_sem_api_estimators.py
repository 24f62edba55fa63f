"""One entry point for every estimator: fit_sem / fit_cfa hand the ordinal estimators
(WLSMV, DWLS, ULSMV, ULS: lavaan's names) to the ordinal fitters, as lavaan's sem()/cfa() take
``estimator =`` and ``ordered =``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import HS_CONSTRUCTS
from test_ordinal_mixed import REF, mixed_data

from workbench.errors import InputError
from workbench.sem import fit_cfa, fit_ordinal_cfa, fit_ordinal_sem, fit_sem
from workbench.sem.ordinal import OrdinalCFAResult
from workbench.sem.ordinal_sem import OrdinalSEMResult


@pytest.mark.parametrize("estimator", ["wlsmv", "DWLS", "ulsmv", "uls"])
def test_fit_cfa_with_an_ordinal_estimator_is_the_ordinal_cfa(estimator: str):
    data, ordered = mixed_data("mix1")
    res = fit_cfa(data, HS_CONSTRUCTS, estimator=estimator, ordered=ordered)
    direct = fit_ordinal_cfa(data, HS_CONSTRUCTS, estimator=estimator.upper(), ordered=ordered)
    assert isinstance(res, OrdinalCFAResult) and res.estimator == estimator.upper()
    pd.testing.assert_frame_equal(res.estimates, direct.estimates)


def test_fit_cfa_wlsmv_reproduces_lavaans_mixed_fit():
    data, ordered = mixed_data("mix1")
    res = fit_cfa(data, HS_CONSTRUCTS, estimator="WLSMV", ordered=ordered)
    assert res.fit["chisq.scaled"] == pytest.approx(REF["mix1"]["fit"]["chisq.scaled"], rel=1e-4)


def test_fit_sem_with_an_ordinal_estimator_is_the_ordinal_sem():
    data, ordered = mixed_data("mix1")
    res = fit_sem(data, REF["sem_model"], estimator="wlsmv", ordered=ordered)
    direct = fit_ordinal_sem(data, REF["sem_model"], ordered=ordered)
    assert isinstance(res, OrdinalSEMResult)
    np.testing.assert_allclose(res.estimates["estimate"], direct.estimates["estimate"])
    assert res.fit["chisq.scaled"] == pytest.approx(
        REF["mix1_sem"]["fit"]["chisq.scaled"], rel=1e-4
    )


def test_ordinal_estimators_refuse_fiml_and_ml_refuses_ordinal_options():
    data, ordered = mixed_data("mix1")
    with pytest.raises(InputError, match="cannot be used with missing=fiml"):
        fit_cfa(data, HS_CONSTRUCTS, estimator="wlsmv", missing="fiml")
    with pytest.raises(InputError, match="cannot be used with missing=fiml"):
        fit_sem(data, REF["sem_model"], estimator="dwls", missing="fiml")
    with pytest.raises(ValueError, match="apply to the ordinal estimators only"):
        fit_sem(data, REF["sem_model"], estimator="ml", ordered=ordered)
    with pytest.raises(ValueError, match="WLSMV"):
        fit_sem(data, REF["sem_model"], estimator="gls")
