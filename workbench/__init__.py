"""loyalty-workbench: reproducible survey and loyalty studies for Jupyter.

The package holds every statistic, data-handling, plotting and report helper;
the notebooks in ``notebooks/`` only call into it.
"""

__version__ = "0.1.0"
