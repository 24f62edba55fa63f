"""Sphinx configuration of the loyalty-workbench documentation (``make docs``).

Built offline: no intersphinx, MathJax served from the sphinx-mathjax-offline package, the
furo theme's own assets only. ``make docs`` runs ``sphinx-build -W --keep-going -n``, so every
warning (and every cross-reference that does not resolve) fails the build.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

import workbench  # noqa: E402  (the installed, editable package)

project = "loyalty-workbench"
author = "loyalty-workbench contributors"
copyright = "loyalty-workbench contributors, MIT licence"
version = release = workbench.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 from the package, copied into _static (no CDN)
    "numpydoc",
    "workbench_docs",  # study parameter tables, example reports, results.json schema, layers
]

root_doc = "index"
exclude_patterns = ["_build"]
templates_path: list[str] = []
html_static_path = ["_static"]
html_css_files = ["workbench.css"]
html_theme = "furo"
html_title = f"loyalty-workbench {release}"
html_last_updated_fmt = None
html_copy_source = False
# no external requests at build time or when the pages are read
html_theme_options = {"navigation_with_keys": True}

# --- autodoc / numpydoc ------------------------------------------------------------------------
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_preserve_defaults = True
# the API pages list each subpackage's __all__ with autosummary tables, without stub files
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# --- cross-references ------------------------------------------------------------------------
# Every reference into workbench must resolve (-n). Objects of other libraries and of the
# standard library cannot: the build is offline, so there is no intersphinx inventory for them.
EXTERNAL = (
    "pandas|pd|numpy|np|scipy|statsmodels|semopy|matplotlib|plotly|ibis|pyspark|duckdb|dask|"
    "distributed|factor_analyzer|sklearn|nbformat|nbclient|papermill|pyarrow|jinja2|yaml|"
    "pathlib|collections|typing|datetime|dt|argparse|os|io|contextlib|json|enum|numbers|types|"
    "concurrent|subprocess|threading|re|abc|decimal|fractions|hashlib|logging"
)
nitpick_ignore_regex = [
    (r"py:.*", rf"({EXTERNAL})(\..*)?"),
]
