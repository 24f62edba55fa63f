"""The command ``python -m workbench.simulate`` (writes the default data sets).

Part of :mod:`workbench.simulate` (see its docstring for what each generator draws).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from workbench.simulate.points import write_default_points
from workbench.simulate.programme import write_default_programme
from workbench.simulate.segments import write_default_segmented_survey
from workbench.simulate.survey import write_default_dataset
from workbench.simulate.transactions import write_default_transactions


def main(argv: Sequence[str] | None = None) -> int:
    """Regenerate the default data set (``python -m workbench.simulate``).

    With ``--transactions`` it writes the default transaction files instead
    (:func:`write_default_transactions`, using ``--seed``; ``--n`` and
    ``--missing-rate`` do not apply: the members are the default survey's), and
    with ``--programme`` the default programme-evaluation files
    (:func:`write_default_programme`, likewise), and with ``--points`` the default
    points-programme files (:func:`write_default_points`, likewise), and with
    ``--segments`` the survey with planted segments
    (:func:`~workbench.simulate.segments.write_default_segmented_survey`, 1,000
    respondents). The four flags are exclusive.
    """
    parser = argparse.ArgumentParser(
        prog="python -m workbench.simulate",
        description="Write the simulated member-loyalty survey, its codebook and ground truth "
        "(or, with --transactions, the simulated programme transactions, members, tier "
        "history and their ground truth).",
    )
    parser.add_argument(
        "--out",
        default=str(Path(__file__).resolve().parents[2] / "data"),
        help="folder to write into (default: the repository's data/ folder)",
    )
    parser.add_argument("--n", type=int, default=800, help="respondents (default 800)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    parser.add_argument(
        "--missing-rate", type=float, default=0.01, help="MCAR rate per item cell (default 0.01)"
    )
    parser.add_argument(
        "--transactions",
        action="store_true",
        help="write the transaction files (loyalty_transactions.csv, loyalty_members.csv, "
        "loyalty_tier_history.csv, loyalty_transactions.truth.json) instead of the survey",
    )
    parser.add_argument(
        "--programme",
        action="store_true",
        help="write the programme-evaluation files (programme_transactions.csv, "
        "programme_members.csv, programme_nps.csv, programme.truth.json) instead of the survey",
    )
    parser.add_argument(
        "--points",
        action="store_true",
        help="write the points-programme files (points_transactions.csv, points_ledger.csv, "
        "points_members.csv, points_programme.truth.json) instead of the survey",
    )
    parser.add_argument(
        "--segments",
        action="store_true",
        help="write the survey with planted segments (segments_survey.csv, its codebook and "
        "truth) instead of the survey",
    )
    args = parser.parse_args(argv)
    if args.transactions + args.programme + args.points + args.segments > 1:
        parser.error("--transactions, --programme, --points and --segments are exclusive")
    if args.segments:
        paths = write_default_segmented_survey(args.out, seed=args.seed)
        for path in paths.values():
            print(f"wrote {path}")
        return 0
    if args.points:
        paths = write_default_points(args.out, seed=args.seed)
        for path in paths.values():
            print(f"wrote {path}")
        return 0
    if args.programme:
        paths = write_default_programme(args.out, seed=args.seed)
        for path in paths.values():
            print(f"wrote {path}")
        return 0
    if args.transactions:
        paths = write_default_transactions(args.out, seed=args.seed)
        for path in paths.values():
            print(f"wrote {path}")
        return 0
    paths = write_default_dataset(
        args.out, n=args.n, seed=args.seed, missing_rate=args.missing_rate
    )
    for path in paths.values():
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
