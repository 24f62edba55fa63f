"""``python -m workbench.simulate``: write the default simulated data sets."""

from workbench.simulate.command import main

raise SystemExit(main())
