"""Reference values for tests/test_segmentation_three_step.py from StepMix 3.0.0.

Run from the repository root: ``.venv/bin/python tests/reference/stepmix_three_step.py``.
Simulates 1,500 members in 3 latent classes (6 binary indicators, two covariates driving
membership through a multinomial logit, a normal distal outcome with class means 0, 1, 2),
fits StepMix's three-step models (BCH and ML corrections) and writes

- ``stepmix_three_step.csv``: the step-1 posteriors (p1..p3), the distal outcome y and the
  covariates z1, z2 of every member;
- ``stepmix_three_step.json``: StepMix's step-3 estimates: the distal means (BCH; and ML with
  the class proportions frozen at step 1, as StepMix does) and the covariate coefficients
  against class 1 (BCH and ML; Newton-Raphson run to convergence).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import stepmix
from stepmix.stepmix import StepMix

warnings.filterwarnings("ignore")
HERE = Path(__file__).resolve().parent

rng = np.random.default_rng(3)
n, k = 1500, 3
z1, z2 = rng.normal(size=n), rng.normal(size=n)
beta = np.array([[0, 0, 0], [0.5, 1.0, -0.5], [-0.3, 0.2, 0.8]])
eta = np.column_stack([np.ones(n), z1, z2]) @ beta.T
pc = np.exp(eta)
pc /= pc.sum(1, keepdims=True)
cls = np.array([rng.choice(k, p=row) for row in pc])
probs = np.array([[0.85] * 6, [0.2] * 6, [0.85, 0.85, 0.85, 0.2, 0.2, 0.2]])
X = (rng.random((n, 6)) < probs[cls]).astype(int)
y = np.array([0.0, 1.0, 2.0])[cls] + rng.normal(size=n)
Z = pd.DataFrame({"z1": z1, "z2": z2})
common = dict(
    n_components=3,
    measurement="binary",
    n_steps=3,
    random_state=1,
    n_init=5,
    verbose=0,
    progress_bar=0,
    abs_tol=1e-14,
    rel_tol=1e-14,
    max_iter=5000,
)
out: dict = {"stepmix": stepmix.__version__ if hasattr(stepmix, "__version__") else "3.0.0"}
posterior = None
for corr in ("BCH", "ML"):
    m = StepMix(structural="gaussian_diag", correction=corr, **common)
    m.fit(X, y.reshape(-1, 1))
    post = m.predict_proba(X)
    if posterior is None:
        posterior = post
    assert np.allclose(post, posterior)
    out[f"distal_{corr}"] = np.ravel(m.get_parameters()["structural"]["means"]).tolist()
    out["step1_weights"] = m.weights_.tolist()
    m2 = StepMix(
        structural="covariate",
        correction=corr,
        structural_params={"method": "newton-raphson", "max_iter": 200},
        **common,
    )
    m2.fit(X, Z)
    assert np.allclose(m2.predict_proba(X), posterior)
    b = m2.get_parameters()["structural"]["beta"]
    out[f"covariate_{corr}"] = {
        "terms": ["(intercept)", "z1", "z2"],
        "class2_vs_1": (b[1] - b[0]).tolist(),
        "class3_vs_1": (b[2] - b[0]).tolist(),
    }
frame = pd.DataFrame(posterior, columns=["p1", "p2", "p3"]).assign(y=y, z1=z1, z2=z2)
frame.round(12).to_csv(HERE / "stepmix_three_step.csv", index=False)
(HERE / "stepmix_three_step.json").write_text(json.dumps(out, indent=1) + "\n")
