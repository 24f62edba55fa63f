"""Plain helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import contextlib
import hashlib
import io
from pathlib import Path

import nbformat

from workbench.runner import cli
from workbench.studies import Param, Study

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"


def sha256(path: Path) -> str:
    """SHA-256 of a file's bytes: inputs must never change."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def run_main(argv: list[str]) -> tuple[int, str, str]:
    """``workbench ARGV`` in this process: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main(argv)
    return code, out.getvalue(), err.getvalue()


def all_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def tiny_study(tmp_path: Path, name: str, cells: list[str]) -> Study:
    """A throw-away study whose notebook has a `parameters` cell and then ``cells``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    params = nbformat.v4.new_code_cell(
        'label = "tiny"\ndata = ""\ncodebook = ""\noutput_dir = ""\ncommand = ""'
    )
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell(f"# {name}"), params]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in cells]
    path = tmp_path / f"{name}.ipynb"
    nbformat.write(nb, path)
    return Study(
        name=name,
        title=f"Tiny {name}",
        description="test study",
        notebook=str(path),
        params=(Param("label", "str", "tiny", "a label"),),
        codebook_use="not used",
    )


WRITE_RESULTS = (
    "import json, pathlib\n"
    "pathlib.Path(output_dir, 'results.json').write_text(json.dumps("
    "{'study': 'tiny-ok', 'label': label, 'data_file': data, 'started': '2026-01-01T00:00:00'}))\n"
    "print('tiny study ran')"
)


# ---------------------------------------------------------------- PLS-SEM models of corp_rep
#: The measurement of the antecedents of loyalty (CUSL) in Hair et al.'s (2022) extended
#: corporate-reputation model: quality, performance, social responsibility and attractiveness
#: (formative) and competence, likeability and satisfaction (reflective).
CORP_REP_ANTECEDENTS = """
QUAL <~ qual_1 + qual_2 + qual_3 + qual_4 + qual_5 + qual_6 + qual_7 + qual_8
PERF <~ perf_1 + perf_2 + perf_3 + perf_4 + perf_5
CSOR <~ csor_1 + csor_2 + csor_3 + csor_4 + csor_5
ATTR <~ attr_1 + attr_2 + attr_3
COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSA =~ cusa
"""
#: The extended corporate-reputation model (8 constructs, 31 items; Hair et al. 2022, ch. 5).
CORP_REP_EXTENDED = (
    CORP_REP_ANTECEDENTS
    + """CUSL =~ cusl_1 + cusl_2 + cusl_3
COMP + LIKE ~ QUAL + PERF + CSOR + ATTR
CUSA ~ COMP + LIKE
CUSL ~ COMP + LIKE + CUSA
"""
)


# Holzinger & Swineford's three-factor model (lavaan's example), used by the CFA/SEM tests
HS_CONSTRUCTS = {
    "visual": ["x1", "x2", "x3"],
    "textual": ["x4", "x5", "x6"],
    "speed": ["x7", "x8", "x9"],
}
# lavaan fitMeasures() name -> our fit key
LAVAAN_FIT_KEYS = {
    "chisq": "chi2",
    "df": "df",
    "pvalue": "p",
    "cfi": "cfi",
    "tli": "tli",
    "rmsea": "rmsea",
    "rmsea.ci.lower": "rmsea_ci_low",
    "rmsea.ci.upper": "rmsea_ci_high",
    "rmsea.pvalue": "rmsea_p",
    "srmr": "srmr",
    "aic": "aic",
    "bic": "bic",
    "bic2": "bic2",
    "logl": "logl",
    "unrestricted.logl": "logl_h1",
    "npar": "npar",
    "ntotal": "n",
    "baseline.chisq": "baseline_chi2",
    "baseline.df": "baseline_df",
}
