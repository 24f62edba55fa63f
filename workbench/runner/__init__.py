"""Runner: the run engine (papermill), batch runs and the command line.

Modules: :mod:`~workbench.runner.batch`, :mod:`~workbench.runner.cli`.
"""

from __future__ import annotations
