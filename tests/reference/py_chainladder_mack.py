"""Cross-check values for tests/test_points_breakage.py from the Python `chainladder` package.

Not a dependency of the workbench: run in a throw-away environment,
    python -m venv /tmp/clvenv && /tmp/clvenv/bin/pip install chainladder==0.10.1
    /tmp/clvenv/bin/python tests/reference/py_chainladder_mack.py > tests/reference/py_chainladder_mack.json
chainladder (casact/chainladder-python) is an independent implementation of Mack's chain
ladder; its `Development(sigma_interpolation=...)` matches R ChainLadder's est.sigma
("log-linear" or "mack"). The triangles are its bundled copies of the RAA (Mack 1994;
R ChainLadder's RAA) and Taylor & Ashe (1983; R's GenIns) data.
"""

import json

import chainladder as cl
import numpy as np

out = {"package": f"chainladder {cl.__version__}", "cases": {}}
for name, interp in (("raa", "log-linear"), ("raa", "mack"), ("genins", "mack")):
    tri = cl.load_sample(name)
    dev = cl.Development(sigma_interpolation=interp).fit_transform(tri)
    mack = cl.MackChainladder().fit(dev)
    cum = tri.to_frame()
    out["cases"][f"{name}_{interp}"] = {
        "triangle": np.where(np.isnan(cum.values), None, cum.values).tolist(),
        "origins": [str(o)[:4] for o in cum.index],
        "f": dev.ldf_.values.ravel().tolist(),
        "sigma": dev.sigma_.values.ravel().tolist(),
        "ultimate": mack.ultimate_.values.ravel().tolist(),
        "mack_se": np.nan_to_num(mack.summary_.values[0, 0, :, 3]).tolist(),
        "total_mack_se": float(mack.total_mack_std_err_.values.ravel()[0]),
    }
print(json.dumps(out))
