"""Ordinal alpha and categorical omega: golden values from R psych, lavaan and semTools.

Reference: tests/reference/ordinal_reliability.R (lavaan 0.6-14, semTools 0.5-6, psych 2.2.9)
-> ordinal_reliability.json, on Holzinger-Swineford x1..x9 cut into 3 and 5 categories
(tests/reference/lavaan_wlsmv_hs_cut.csv) with the three-factor model.

- Ordinal alpha against ``psych::alpha(lavCor(x, ordered = ...))`` (alpha on lavaan's
  polychorics, which we compute): 1e-7, observed 3e-9. Against
  ``psych::alpha(psych::polychoric(x)$rho)``: 5e-5, observed 9.4e-6; psych maximizes the same
  two-step likelihood with ``optimize()`` (tolerance about 1.2e-4) and stops short.
- Categorical omega against ``semTools::compRelSEM(fit)`` on the WLSMV fit converged to
  reltol 1e-16 (BFGS): 1e-6, observed 4e-9. On lavaan's default fit (nlminb stops about 1e-5
  short in the estimates): 1e-5, observed 6e-7. The formula itself on exactly lavaan's
  estimates, thresholds and polychorics: 1e-10 (both sides use Genz's bivariate normal).
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import HS_CONSTRUCTS

from workbench.errors import InputError
from workbench.sem.ordinal import OrdinalCFAResult, fit_ordinal_cfa
from workbench.sem.ordinal_reliability import (
    _omega_from_parameters,
    categorical_omega,
    ordinal_alpha,
)

REF_DIR = Path(__file__).resolve().parent / "reference"
REF = json.loads((REF_DIR / "ordinal_reliability.json").read_text())
CUT = pd.read_csv(REF_DIR / "lavaan_wlsmv_hs_cut.csv")
ITEMS = REF["items"]
SCALES = {**HS_CONSTRUCTS, "all": ITEMS}

LAVAAN_POLY_ATOL = 1e-7  # alpha on lavaan's polychorics (ours agree with lavaan to 4e-8)
PSYCH_ATOL = 5e-5  # psych::polychoric stops ~1e-4 short in rho (optimize() tolerance)
CONVERGED_ATOL = 1e-6  # semTools on the fit converged to reltol 1e-16
DEFAULT_ATOL = 1e-5  # semTools on lavaan's default fit (estimates ~1e-5 short)
FORMULA_ATOL = 1e-10  # the same inputs on both sides


def hs_cut(categories: int) -> pd.DataFrame:
    return CUT[CUT["categories"] == categories].drop(columns="categories").reset_index(drop=True)


@pytest.fixture(scope="module", params=[3, 5], ids=["hs3", "hs5"])
def hs_fit(request: pytest.FixtureRequest) -> tuple[dict, OrdinalCFAResult]:
    k = request.param
    return REF[f"hs{k}"], fit_ordinal_cfa(hs_cut(k), HS_CONSTRUCTS)


@pytest.mark.parametrize("categories", [3, 5])
@pytest.mark.parametrize("scale", list(SCALES))
def test_ordinal_alpha_matches_psych_alpha_on_lavaan_polychorics(
    categories: int, scale: str
) -> None:
    ref = REF[f"hs{categories}"]["alpha_lavaan_polychoric"][scale]
    value = ordinal_alpha(hs_cut(categories), SCALES[scale])
    assert value == pytest.approx(ref, abs=LAVAAN_POLY_ATOL)


@pytest.mark.parametrize("categories", [3, 5])
@pytest.mark.parametrize("scale", list(SCALES))
def test_ordinal_alpha_matches_psych_alpha_of_psych_polychoric(categories: int, scale: str) -> None:
    ref = REF[f"hs{categories}"]["alpha_psych"][scale]
    value = ordinal_alpha(hs_cut(categories), SCALES[scale])
    assert value == pytest.approx(ref, abs=PSYCH_ATOL)


def test_ordinal_alpha_uses_every_column_by_default() -> None:
    data = hs_cut(3)[HS_CONSTRUCTS["textual"]]
    assert ordinal_alpha(data) == pytest.approx(
        REF["hs3"]["alpha_lavaan_polychoric"]["textual"], abs=LAVAAN_POLY_ATOL
    )


def test_ordinal_alpha_drops_incomplete_respondents() -> None:
    data = hs_cut(5)[HS_CONSTRUCTS["speed"]].astype(float)
    with_missing = data.copy()
    with_missing.loc[[0, 7], "x8"] = np.nan
    expected = ordinal_alpha(data.drop(index=[0, 7]))
    assert ordinal_alpha(with_missing) == pytest.approx(expected, abs=1e-12)


def test_ordinal_alpha_rejects_a_single_item() -> None:
    with pytest.raises(InputError, match="at least two items") as info:
        ordinal_alpha(hs_cut(3), ["x1"])
    assert info.value.hint


def test_ordinal_alpha_names_an_unknown_item() -> None:
    with pytest.raises(InputError, match="not found") as info:
        ordinal_alpha(hs_cut(3), ["x1", "x99"])
    assert info.value.column == "x99"


def test_categorical_omega_matches_semtools_on_converged_lavaan(
    hs_fit: tuple[dict, OrdinalCFAResult],
) -> None:
    ref, fit = hs_fit
    omega = categorical_omega(fit)
    expected = pd.Series(ref["converged"]["omega"])
    assert list(omega.index) == REF["factors"]
    np.testing.assert_allclose(omega[expected.index], expected, rtol=0, atol=CONVERGED_ATOL)


def test_categorical_omega_matches_semtools_on_default_lavaan(
    hs_fit: tuple[dict, OrdinalCFAResult],
) -> None:
    ref, fit = hs_fit
    expected = pd.Series(ref["default"]["omega"])
    omega = categorical_omega(fit)
    np.testing.assert_allclose(omega[expected.index], expected, rtol=0, atol=DEFAULT_ATOL)


@pytest.mark.parametrize("categories", [3, 5])
@pytest.mark.parametrize("which", ["default", "converged"])
def test_green_yang_formula_reproduces_semtools_from_lavaan_estimates(
    categories: int, which: str
) -> None:
    ref = REF[f"hs{categories}"][which]
    lam = np.array(ref["lambda"])
    psi = np.array(ref["psi"])
    poly = np.array(ref["polychoric"])
    taus = {
        item: np.array([v for k, v in ref["thresholds"].items() if k.startswith(f"{item}|")])
        for item in ITEMS
    }
    for f, factor in enumerate(REF["factors"]):
        idx = [ITEMS.index(item) for item in HS_CONSTRUCTS[factor]]
        value = _omega_from_parameters(
            lam[np.ix_(idx, [f])],
            psi[np.ix_([f], [f])],
            [taus[ITEMS[i]] for i in idx],
            poly[np.ix_(idx, idx)],
        )
        assert value == pytest.approx(ref["omega"][factor], abs=FORMULA_ATOL)


def test_categorical_omega_is_below_one_and_above_zero(
    hs_fit: tuple[dict, OrdinalCFAResult],
) -> None:
    omega = categorical_omega(hs_fit[1])
    assert ((omega > 0) & (omega < 1)).all()


def test_categorical_omega_rejects_theta_parameterization(
    hs_fit: tuple[dict, OrdinalCFAResult],
) -> None:
    theta = dataclasses.replace(hs_fit[1], parameterization="theta")
    with pytest.raises(InputError, match="delta") as info:
        categorical_omega(theta)
    assert info.value.hint
