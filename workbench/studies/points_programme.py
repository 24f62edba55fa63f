"""The points-programme study: what the points cost, what they owe, and whether they change
behaviour (issue 19).

:func:`load` reads the points ledger (or derives it from a transactions file's points columns,
:func:`~workbench.behaviour.points.ledger_from_transactions`), the optional transactions (sales
and spend) and the optional members file (tier, qualifying spend); :func:`preflight` runs it and
the parameter checks before a kernel starts, so bad input exits with status 2 and no report.
:func:`analyse` then computes, from the package's points layer:

1. the ledger's KPIs by period (:func:`~workbench.behaviour.points.ledger_kpis`): points issued,
   redeemed, expired and outstanding, earn and burn per member, the share of members holding a
   reward's worth of points, and the cost of rewards as a share of revenue;
2. the redemption triangle, the chain-ladder ultimate redemption rate with its ODP bootstrap
   range, the survival cross-check, breakage and its sensitivity to the expiry policy
   (:mod:`workbench.behaviour.breakage`);
3. the IFRS 15 contract liability: each period's sales allocated between goods and points at
   the expected redemption rate estimated at that period's end, revenue on redemption, and the
   roll-forward (:mod:`workbench.behaviour.liability`);
4. behaviour: the goal-gradient effect, the event study of a first redemption, and whether
   redeemers churn less (:mod:`workbench.behaviour.goal_gradient`,
   :mod:`workbench.behaviour.redemption`);
5. tiers: earn, burn and liability per tier and members within reach of the next tier
   (:mod:`workbench.behaviour.points_tiers`).

It returns a :class:`PointsProgrammeStudy` that the notebook only displays.

Findings and warnings are written in English by the computations and translated into the
current report language (:mod:`workbench.i18n`: catalogue messages with placeholders matched
against the whole text; the notebook sets the language from its ``lang`` parameter); tables keep
their English column names (``results.json`` reads them) and are translated for display by
:func:`for_report`.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import i18n
from workbench.behaviour import breakage as brk
from workbench.behaviour import liability as liab
from workbench.behaviour import points as pts
from workbench.behaviour import transactions as txn
from workbench.behaviour.goal_gradient import goal_gradient
from workbench.behaviour.points_tiers import tier_points, tier_proximity
from workbench.behaviour.redemption import redeemer_churn, redemption_effect
from workbench.errors import InputError
from workbench.i18n import gettext as tr
from workbench.presentation.plots import period_label
from workbench.results import Result, jsonable

#: the study's periods (the event study of a first redemption always runs by month)
PERIODS = ("month", "quarter")
#: expiry policies (months) of the sensitivity table, besides the programme's own
EXPIRY_POLICIES = (6, 12, 18, 24, 36)
#: fewest periods a ledger must span for the chain ladder (3 development periods)
MIN_PERIODS = 3
#: a member within this share of the next tier's qualifying spend is "within reach"
TIER_REACH = 0.2
#: event study of a first redemption: months before (leads) and after (lags) it
EVENT_LEADS, EVENT_LAGS = 3, 6
#: redeemers' churn: no purchase within this many days before the last date
CHURN_WINDOW_DAYS = 90


# --------------------------------------------------------------------------- inputs
@dataclasses.dataclass(frozen=True, eq=False)
class PointsInputs:
    """The checked inputs of a run: the ledger, and the transactions and members if given."""

    ledger: pts.PointsLedger
    transactions: txn.Transactions | None
    members: pd.DataFrame | None
    members_path: str | None
    source: str  # "ledger" or "transactions"


def _path(value: str) -> str:
    from workbench.studies import project_path

    return str(project_path(value))


def parse_tier_rules(rules: Any) -> dict[str, float]:
    """``["silver=1000", "gold=3000"]`` (or a mapping) -> ``{"silver": 1000.0, ...}``.

    The qualifying spend each tier needs; members are compared with the next tier above their
    own. Raises :class:`InputError` on a malformed entry.

    >>> parse_tier_rules(["silver=1000", "gold = 3000"])
    {'silver': 1000.0, 'gold': 3000.0}
    """
    if not rules:
        return {}
    if isinstance(rules, dict):
        items = [(str(k), v) for k, v in rules.items()]
    else:
        items = []
        for entry in rules:
            name, sep, value = str(entry).partition("=")
            if not sep or not name.strip():
                raise InputError(
                    f"tier_rules entry {entry!r} is not of the form TIER=SPEND.",
                    hint="Give the qualifying spend of each tier, e.g. --param "
                    "'tier_rules=[silver=1000, gold=3000, platinum=6000]'.",
                )
            items.append((name.strip(), value.strip()))
    out: dict[str, float] = {}
    for name, value in items:
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = math.nan
        if not math.isfinite(number) or number < 0:
            raise InputError(
                f"tier_rules: the qualifying spend of tier {name!r} is {value!r}, not a number "
                ">= 0.",
                hint="Write e.g. --param 'tier_rules=[silver=1000, gold=3000]'.",
            )
        out[name] = number
    return out


def check_parameters(params: dict[str, Any]) -> None:
    """Refuse parameter values the registry's types cannot (point_value <= 0, a bad period,
    malformed tier rules) with an :class:`InputError` saying what to give."""
    value = params.get("point_value", 0.0)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or not value > 0:
        raise InputError(
            f"point_value must be more than 0 (currency per point), not {value!r}.",
            hint="Give what a redeemed point is worth to the member, e.g. --param "
            "point_value=0.01 when 100 points buy a 1.00 discount.",
        )
    period = params.get("period", "quarter")
    if period not in PERIODS:
        raise InputError(
            f"period must be one of {', '.join(PERIODS)}, not {period!r}.",
            hint="Cohorts of points and the liability are reported by month or quarter.",
        )
    parse_tier_rules(params.get("tier_rules") or [])


def _read_members(path: str, params: dict[str, Any]) -> pd.DataFrame:
    from workbench.intake.data import ids_as_text, read_table

    file = _path(path)
    if not Path(file).is_file():
        raise InputError(
            "Members file not found.",
            file=path,
            hint="Pass --param members=PATH (member_id, tier, qualifying spend), or leave it empty.",
        )
    frame = read_table(file).frame.copy()
    member_col = params.get("member_col") or "member_id"
    if member_col not in frame.columns:
        raise InputError(
            f"The member id column '{member_col}' is not in the members file.",
            file=path,
            column=member_col,
            hint="Columns: " + ", ".join(map(str, frame.columns)) + ". Pass member_col=.",
        )
    frame = frame.rename(columns={member_col: "member_id"})
    frame["member_id"] = ids_as_text(frame["member_id"])
    missing = frame["member_id"].isna()
    if missing.any():
        raise InputError(
            f"{int(missing.sum())} row(s) of the members file have no member id.",
            file=path,
            column=member_col,
            row=int(np.flatnonzero(missing.to_numpy())[0]) + 1,
            hint="Give every member an id, or remove the empty rows.",
        )
    dup = frame["member_id"].duplicated()
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0]) + 1
        raise InputError(
            f"Member {frame['member_id'].iloc[row - 1]!r} appears more than once in the members "
            "file.",
            file=path,
            column=member_col,
            row=row,
            value=frame["member_id"].iloc[row - 1],
            hint="Give one row per member (the current tier); a tier history belongs elsewhere.",
        )
    tier_col = params.get("tier_col") or "tier"
    if tier_col and tier_col not in frame.columns:
        raise InputError(
            f"The tier column '{tier_col}' is not in the members file.",
            file=path,
            column=tier_col,
            hint="Columns: " + ", ".join(map(str, frame.columns)) + ". Pass tier_col=.",
        )
    spend_col = params.get("spend_col") or ""
    if params.get("tier_rules") and spend_col:
        if spend_col not in frame.columns:
            raise InputError(
                f"The qualifying-spend column '{spend_col}' is not in the members file.",
                file=path,
                column=spend_col,
                hint="Columns: " + ", ".join(map(str, frame.columns)) + ". Pass spend_col=, or "
                "leave tier_rules empty to skip the tier proximity.",
            )
        spend = pd.to_numeric(frame[spend_col], errors="coerce")
        bad = spend.isna() & frame[spend_col].notna()
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0]) + 1
            raise InputError(
                "The qualifying spend is not a number.",
                file=path,
                column=spend_col,
                row=row,
                value=frame[spend_col].iloc[row - 1],
                hint="Give the spend that counts toward the next tier as a number.",
            )
        frame[spend_col] = spend
    if tier_col:
        none = frame[tier_col].isna()
        if none.any():
            row = int(np.flatnonzero(none.to_numpy())[0]) + 1
            raise InputError(
                f"{int(none.sum())} member(s) of the members file have no tier.",
                file=path,
                column=tier_col,
                row=row,
                hint="Give every member a tier (e.g. the entry tier), or pass tier_col='' to "
                "skip the tier tables.",
            )
        frame[tier_col] = frame[tier_col].astype(str)
    return frame


def load(data: str, params: dict[str, Any]) -> PointsInputs:
    """Read and check the ledger (or the transactions it is derived from), the transactions
    and the members file, as the parameters map their columns."""
    check_parameters(params)
    repair: pts.Repair = "cap" if params.get("repair") == "cap" else "refuse"
    member_col = params.get("member_col") or "member_id"
    date_col = params.get("date_col") or "date"
    tx_path = params.get("transactions") or ""
    earned = params.get("points_earned_col") or ""

    def read_tx(path: str) -> txn.Transactions:
        return txn.load_transactions(
            path,
            member_col=member_col,
            date_col=date_col,
            amount_col=params.get("amount_col") or "amount",
            order_col=params.get("order_col") or None,
            points_earned_col=earned or None,
            points_redeemed_col=(params.get("points_redeemed_col") or None) if earned else None,
            refunds=params.get("refunds") or "error",
        )

    tx: txn.Transactions | None
    if earned:
        if tx_path:
            raise InputError(
                "The data file is a transactions file (points_earned_col is given) and a "
                "second transactions file is given as well.",
                file=tx_path,
                hint="Leave `transactions` empty: the data file serves for the sales, or give "
                "a points ledger as data (without points_earned_col).",
            )
        tx = read_tx(data)
        ledger = pts.ledger_from_transactions(tx, repair=repair)
        source = "transactions"
    else:
        ledger = pts.read_points_ledger(
            data,
            member_col=member_col,
            date_col=date_col,
            type_col=params.get("type_col") or "type",
            points_col=params.get("points_col") or "points",
            signed=bool(params.get("signed", False)),
            repair=repair,
        )
        tx = None
        if tx_path:
            file = _path(tx_path)
            if not Path(file).is_file():
                raise InputError(
                    "Transactions file not found.",
                    file=tx_path,
                    hint="Pass --param transactions=PATH (member_id, date, amount), or leave "
                    "it empty (no revenue, reward-cost share or redemption effect then).",
                )
            tx = read_tx(file)
        source = "ledger"
    members_path = params.get("members") or ""
    members = _read_members(members_path, params) if members_path else None
    inputs = PointsInputs(
        ledger=ledger,
        transactions=tx,
        members=members,
        members_path=members_path or None,
        source=source,
    )
    rules = parse_tier_rules(params.get("tier_rules") or [])
    if rules and members is not None and params.get("tier_col", "tier"):
        _proximity(
            inputs,
            rules,
            spend_col=params.get("spend_col") or "qualifying_spend_12m",
            tier_col=params.get("tier_col") or "tier",
        )
    return inputs


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Check the parameters and every input file before a kernel starts; return the members."""
    inputs = load(data, params)
    _require_history(inputs.ledger, params.get("period") or "quarter")
    return int(inputs.ledger.n_members)


def _require_history(led: pts.PointsLedger, period: str) -> None:
    first, last = pd.Timestamp(led.first_date), pd.Timestamp(led.last_date)
    span = len(pd.period_range(first, last, freq="Q" if period == "quarter" else "M"))
    if span < MIN_PERIODS + 1:
        raise InputError(
            f"The ledger covers {span} {period}(s) ({first.date()} to {last.date()}): the "
            f"redemption triangle needs at least {MIN_PERIODS + 1} to project an ultimate "
            "redemption rate.",
            file=led.source,
            column="date",
            hint="Give a longer ledger"
            + (", or use period=month (cohorts by month)." if period == "quarter" else "."),
        )


# --------------------------------------------------------------------------- the study
@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects
class PointsProgrammeStudy(Result):
    """Everything the points-programme report shows.

    ``kpis`` is :func:`~workbench.behaviour.points.ledger_kpis` by period with, when
    transactions are given, ``revenue``, ``reward_cost`` (points redeemed x point value) and
    ``reward_cost_share`` (of revenue). ``estimates`` holds the expected redemption rate as
    estimated at each period's end (what the liability uses); ``liability`` the IFRS 15
    roll-forward (None without sales).
    """

    inputs: PointsInputs
    parameters: dict[str, Any]
    asof: Any
    kpis: pd.DataFrame
    triangle: brk.RedemptionTriangle
    chain: brk.ChainLadderResult
    survival: brk.RedemptionSurvival
    by_expiry: pd.DataFrame
    estimates: pd.DataFrame
    liability: liab.LiabilityRollforward | None
    goal_gradient: Any
    redemption_effect: Any
    redeemer_churn: Any
    tier_points: pd.DataFrame | None
    tier_proximity: pd.DataFrame | None
    findings_finance: tuple[str, ...]
    findings_marketing: tuple[str, ...]
    warning_messages: tuple[str, ...]

    @property
    def ledger(self) -> pts.PointsLedger:
        return self.inputs.ledger

    @property
    def period(self) -> str:
        return str(self.parameters["period"])

    @property
    def currency(self) -> str:
        return str(self.parameters.get("currency") or "")

    @property
    def findings(self) -> tuple[str, ...]:
        return (
            *(tr("Finance: {finding}", finding=i18n.translate(f)) for f in self.findings_finance),
            *(
                tr("Marketing: {finding}", finding=i18n.translate(f))
                for f in self.findings_marketing
            ),
        )

    @property
    def n_used(self) -> int:
        return int(self.ledger.n_members)

    @property
    def missing_report(self) -> dict[str, Any]:
        led = self.ledger
        return {
            "treatment": f"ledger rows as recorded; repair: {led.repair}",
            "n_rows": led.n_rows,
            "n_used": led.n_members,
            "rows_repaired": len(led.repairs),
        }

    def to_frame(self) -> pd.DataFrame:
        return self.kpis

    def to_dict(self) -> dict[str, Any]:
        """The study's own results.json entries (:meth:`results`)."""
        return self.results()

    def label(self, start: Any) -> str:
        return period_label(start, self.period)

    def money(self, value: float) -> str:
        text = f"{value:,.0f}"
        return f"{text} {self.currency}" if self.currency else text

    # ------------------------------------------------------------------ tables
    def kpi_table(self) -> pd.DataFrame:
        cols = [
            "period", "issued", "redeemed", "expired", "adjusted", "outstanding", "members",
            "active_earners", "active_redeemers", "share_redeemable", "issued_per_member",
            "redeemed_per_member", "redemption_ratio", "revenue", "reward_cost",
            "reward_cost_share",
        ]  # fmt: skip
        t = self.kpis[[c for c in cols if c in self.kpis]].copy()
        t["period"] = [self.label(p) for p in t["period"]]
        return t.set_index("period")

    def triangle_table(self) -> pd.DataFrame:
        """Cumulative redemption share by issuance cohort (rows) and development period."""
        share = self.triangle.share.copy()
        share.index = [self.label(p) for p in share.index]
        share.index.name = "cohort"
        share.columns = [f"k={k}" for k in share.columns]
        return share

    def chain_table(self) -> pd.DataFrame:
        t = self.chain.origins.copy()
        t.index = [self.label(p) for p in t.index]
        t.index.name = "cohort"
        return t

    def factors_table(self) -> pd.DataFrame:
        return self.chain.factors

    def redemption_table(self) -> pd.DataFrame:
        """The ultimate redemption rate and breakage by each method, side by side."""
        c, s = self.chain, self.survival
        rows = [
            {
                "method": "chain ladder (ODP bootstrap interval)",
                "ultimate_rate": c.ultimate_rate,
                "ci_low": c.ci_low,
                "ci_high": c.ci_high,
                "breakage": c.breakage,
            },
            {
                "method": f"survival: share redeemed within {s.max_days} days (Aalen-Johansen)",
                "ultimate_rate": s.ultimate_rate,
                "ci_low": math.nan,
                "ci_high": math.nan,
                "breakage": 1 - s.ultimate_rate,
            },
        ]
        return pd.DataFrame(rows).set_index("method")

    def expiry_table(self) -> pd.DataFrame:
        return self.by_expiry.set_index("expiry_months")

    def estimates_table(self) -> pd.DataFrame:
        t = self.estimates.copy()
        t["period"] = [self.label(p) for p in t["period"]]
        return t.set_index("period")

    def liability_table(self) -> pd.DataFrame | None:
        if self.liability is None:
            return None
        t = self.liability.by_period.copy()
        t.index = [self.label(p) for p in t.index]
        t.index.name = "period"
        return t

    def tier_table(self) -> pd.DataFrame | None:
        """Earn, burn and outstanding points per tier, as
        :func:`~workbench.behaviour.points_tiers.tier_points` gives them, with the IFRS 15
        contract liability at the evaluation date shared out by the points outstanding at the
        ledger's last date (``contract_liability``; the two dates agree when the ledger ends
        on a period's last day)."""
        if self.tier_points is None:
            return None
        t = self.tier_points.copy()
        if self.liability is not None and "outstanding" in t:
            closing = float(self.liability.by_period["closing"].iloc[-1])
            total = float(t.loc["total", "outstanding"]) if "total" in t.index else math.nan
            if total > 0:
                t["contract_liability"] = closing * t["outstanding"] / total
        return t

    def goal_gradient_table(self) -> pd.DataFrame | None:
        return None if self.goal_gradient is None else self.goal_gradient.to_frame()

    def redemption_effect_table(self) -> pd.DataFrame | None:
        return None if self.redemption_effect is None else self.redemption_effect.to_frame()

    def churn_table(self) -> pd.DataFrame | None:
        return None if self.redeemer_churn is None else self.redeemer_churn.to_frame()

    # ------------------------------------------------------------------ figures
    def ledger_figure(self):
        from workbench.presentation.points_plots import ledger_chart

        return ledger_chart(self.kpi_table())

    def curves_figure(self):
        from workbench.presentation.points_plots import redemption_curves

        return redemption_curves(self.triangle_table())

    def survival_figure(self):
        from workbench.presentation.points_plots import redemption_survival_chart

        return redemption_survival_chart(self.survival.table)

    def liability_figure(self):
        from workbench.presentation.points_plots import liability_chart

        t = self.liability_table()
        return None if t is None else liability_chart(t, currency=self.currency)

    def goal_gradient_figure(self):
        from workbench.presentation.points_plots import goal_gradient_chart

        g = self.goal_gradient
        if g is None:
            return None
        return goal_gradient_chart(
            g.curve, threshold=float(self.parameters["reward_threshold"]), slope=g.slope
        )

    def redemption_effect_figure(self):
        from workbench.presentation.points_plots import event_study_chart

        e = self.redemption_effect
        return None if e is None else event_study_chart(e.effects, outcome=tr("spend per member"))

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        value = float(self.parameters["point_value"])
        ledger = {}
        for row in self.kpis.to_dict(orient="records"):
            entry = {
                k: row.get(k)
                for k in (
                    "issued", "redeemed", "expired", "outstanding", "adjusted", "members",
                    "active_earners", "active_redeemers", "share_redeemable",
                    "issued_per_member", "redeemed_per_member", "revenue", "reward_cost",
                    "reward_cost_share",
                )
                if k in row
            }  # fmt: skip
            entry["outstanding_value"] = float(row["outstanding"]) * value
            ledger[self.label(row["period"])] = entry
        c = self.chain
        redemption = {
            "ultimate_rate": c.ultimate_rate,
            "ci_low": c.ci_low,
            "ci_high": c.ci_high,
            "breakage": c.breakage,
            "method": "chain-ladder (Mack 1993; ODP bootstrap, England & Verrall 2002)",
            "ci": c.ci,
            "n_boot": c.n_boot,
            "seed": c.seed,
            "ultimate_rate_se": c.ultimate_rate_se,
            "issued": c.issued,
            "asof": str(self.asof),
            "period": self.period,
            "survival": {
                "ultimate_rate": self.survival.ultimate_rate,
                "breakage": 1 - self.survival.ultimate_rate,
                "max_days": self.survival.max_days,
                "method": "Aalen-Johansen cumulative incidence of redemption per point",
            },
            "by_expiry": {
                str(r["expiry_months"]): {
                    "redeemed_share": r["redeemed_share"],
                    "breakage": r["breakage"],
                    "identified": r["identified"],
                }
                for r in self.by_expiry.to_dict(orient="records")
            },
            "cohorts": {
                self.label(k): {
                    "issued": r.get("issued"),
                    "latest": r["latest"],
                    "ultimate": r["ultimate"],
                    "ultimate_rate": r.get("ultimate_rate"),
                }
                for k, r in c.origins.to_dict(orient="index").items()
            },
        }
        liability = {}
        if self.liability is not None:
            cols = ["opening", "allocated", "recognised", "estimate_change", "closing", "revenue"]
            liability = {
                self.label(p): row
                for p, row in self.liability.by_period[cols].to_dict(orient="index").items()
            }
        out: dict[str, Any] = {
            "ledger": ledger,
            "redemption": redemption,
            "liability": liability,
            "expected_redemption": {
                self.label(r["period"]): {"rate": r["expected_rate"], "basis": r["basis"]}
                for r in self.estimates.to_dict(orient="records")
            },
            "goal_gradient": None if self.goal_gradient is None else self.goal_gradient.to_dict(),
            "redemption_effect": None
            if self.redemption_effect is None
            else _effects_dict(self.redemption_effect),
            "redemption_effect_tests": None
            if self.redemption_effect is None
            else {
                k: v
                for k, v in self.redemption_effect.to_dict().items()
                if k not in ("effects", "warnings")
            },
            "redeemer_churn": None
            if self.redeemer_churn is None
            else _to_dict(self.redeemer_churn),
            "tiers": self._tiers_dict(),
            "programme": {
                "point_value": value,
                "currency": self.currency,
                "expiry_months": self.parameters["expiry_months"],
                "reward_threshold": self.parameters["reward_threshold"],
            },
            "data": {
                "source": self.inputs.source,
                "ledger": {
                    "source": self.ledger.source,
                    "sha256": self.ledger.sha256,
                    "rows": self.ledger.n_rows,
                    "members": self.ledger.n_members,
                    "first_date": str(self.ledger.first_date),
                    "last_date": str(self.ledger.last_date),
                    "totals": self.ledger.totals,
                    "rows_repaired": len(self.ledger.repairs),
                },
                "transactions": None
                if self.inputs.transactions is None
                else self.inputs.transactions.path,
                "members": self.inputs.members_path,
            },
        }
        return jsonable(out)

    def _tiers_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        t = self.tier_table()
        if t is not None:
            out["points"] = _frame_dict(t)
        if self.tier_proximity is not None:
            out["proximity"] = _frame_dict(self.tier_proximity)
        return out

    def headline(self) -> dict[str, Any]:
        c = self.chain
        out: dict[str, Any] = {
            "members": self.ledger.n_members,
            "ultimate redemption": f"{100 * (c.ultimate_rate or 0):.1f}%",
            "breakage": f"{100 * (c.breakage or 0):.1f}%",
        }
        if self.liability is not None:
            out["liability"] = self.money(float(self.liability.by_period["closing"].iloc[-1]))
        if self.goal_gradient is not None:
            out["goal-gradient slope"] = round(float(self.goal_gradient.slope), 3)
        return out


def _to_dict(obj: Any) -> Any:
    return obj.to_dict() if hasattr(obj, "to_dict") else obj


def _frame_dict(frame: pd.DataFrame) -> dict[str, Any]:
    f = frame.copy()
    if not isinstance(f.index, pd.RangeIndex):
        f.index = [str(i) for i in f.index]
        return f.to_dict(orient="index")
    return {"rows": f.to_dict(orient="records")}


def _effects_dict(effect: Any) -> dict[str, Any]:
    e = effect.effects
    if "k" in e.columns:
        e = e.set_index("k")
    return {
        str(int(k)): {c: row.get(c) for c in ("estimate", "se", "ci_low", "ci_high", "p", "n")}
        for k, row in e.to_dict(orient="index").items()
    }


# --------------------------------------------------------------------------- computations
def evaluation_date(led: pts.PointsLedger, period: str) -> tuple[Any, str | None]:
    """The last day of the last complete period of the ledger (and a note when rows after it
    are left out of the triangle, chain ladder and liability)."""
    last = pd.Timestamp(led.last_date)
    freq = "Q" if period == "quarter" else "M"
    end = pd.Period(last, freq=freq).end_time.normalize()
    if last == end:
        return last.date(), None
    asof = (pd.Period(last, freq=freq) - 1).end_time.normalize().date()
    return asof, (
        f"The ledger ends on {last.date()}, inside a {period}: the redemption triangle, the chain "
        f"ladder and the liability are evaluated at {asof}, the end of the last complete "
        f"{period} (a part-period would look less developed than it is); the KPIs use every row."
    )


def sales_by_period(tx: txn.Transactions, period: str) -> pd.Series:
    """Revenue (sum of amounts, after the refunds policy) by period start, aggregated by the
    transactions' own backend (Ibis: DuckDB, or Spark with ``engine=spark``)."""
    t = tx.table
    unit = "Q" if period == "quarter" else "M"
    agg = t.group_by(start=t.date.truncate(unit)).aggregate(revenue=t.amount.sum()).to_pandas()
    revenue = pd.Series(
        agg["revenue"].to_numpy(dtype="float64"),
        index=pd.DatetimeIndex(pd.to_datetime(agg["start"])).astype("datetime64[ns]"),
    )
    return revenue.sort_index()


def expected_redemption_by_period(
    triangle: brk.RedemptionTriangle,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The ultimate redemptions as the chain ladder estimates them at each period's end.

    For period :math:`t` the triangle is cut at the diagonal of :math:`t` (what was known
    then) and projected with volume-weighted factors (no bootstrap): cohort :math:`c`'s
    expected total is :math:`\\hat U_{c,t} = C_{c,t-c} \\prod_{k \\ge t-c} \\hat f_k^{(t)}`.
    Periods before the triangle has ``MIN_PERIODS`` development periods use the factors of
    the first estimable cut (basis ``"first estimate (hindsight)"``, a hindsight the report
    states).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        Per period: ``period``, ``expected_rate`` (total expected over total issued of the
        cohorts to date) and ``basis``; per cohort and period: ``cohort``, ``period``,
        ``issued``, ``redeemed_cumulative``, ``expected_total`` and ``expected_rate``.

    Notes
    -----
    IFRS 15.B42 asks for the expected redemption as it is estimated at each reporting
    date, and a change of estimate is recognised when it happens (Illustrative Example 52);
    re-running the chain ladder on each period's diagonal gives exactly those estimates,
    never using redemptions that were not yet observed (except the stated hindsight of the
    first periods).

    References
    ----------
    IFRS Foundation (2014). *IFRS 15 Revenue from Contracts with Customers*, B39-B43 and
    Illustrative Example 52. Mack, T. (1993). Distribution-free calculation of the standard
    error of chain ladder reserve estimates. *ASTIN Bulletin*, 23(2), 213-225.
    """
    red = triangle.redeemed
    issued = triangle.issued
    arr = red.to_numpy(dtype=float)
    n = len(red.index)
    factors: dict[int, np.ndarray] = {}
    for j in range(MIN_PERIODS - 1, n):
        sub = arr[: j + 1, : j + 1].copy()
        i, k = np.indices(sub.shape)
        sub[i + k > j] = np.nan
        keep = issued.to_numpy()[: j + 1] > 0
        if keep.sum() < 2:
            continue
        try:
            cl = brk.chain_ladder(pd.DataFrame(sub[keep]), n_boot=0)
        except InputError:
            continue
        factors[j] = cl.factors["f"].to_numpy(dtype=float)
    if not factors:
        raise InputError(
            "The redemption triangle cannot be projected at any period's end (too few cohorts "
            "with redemptions).",
            file=None,
            hint="Give a longer ledger, or use period=month.",
        )
    first = min(factors)
    rows, cells = [], []
    for j in range(n):
        f = factors.get(j, factors[first])
        basis = (
            "chain ladder at the period's end"
            if j in factors
            else ("first estimate (hindsight)" if j < first else "last estimate carried forward")
        )
        tot_u = tot_i = 0.0
        for c in range(j + 1):
            iss = float(issued.iloc[c])
            if iss <= 0:
                continue
            k = j - c
            latest = float(arr[c, k])
            ult = latest * float(np.prod(f[k:])) if k < len(f) else latest
            cells.append(
                {
                    "cohort": red.index[c],
                    "period": red.index[j],
                    "issued": iss,
                    "redeemed_cumulative": latest,
                    "expected_total": ult,
                }
            )
            tot_u += ult
            tot_i += iss
        rows.append(
            {
                "period": red.index[j],
                "expected_rate": tot_u / tot_i if tot_i > 0 else math.nan,
                "basis": basis,
            }
        )
    per_period = pd.DataFrame(rows)
    per_cell = pd.DataFrame(cells)
    # a cohort with nothing redeemed yet projects to 0: expect the portfolio rate instead
    rate = per_cell["period"].map(per_period.set_index("period")["expected_rate"])
    low = per_cell["expected_total"] <= 0
    per_cell.loc[low, "expected_total"] = per_cell.loc[low, "issued"] * rate[low]
    per_cell["expected_total"] = np.minimum(per_cell["expected_total"], per_cell["issued"])
    per_cell["expected_rate"] = per_cell["expected_total"] / per_cell["issued"]
    return per_period, per_cell


def liability_schedule(
    expected: pd.DataFrame,
    sales: pd.Series,
    *,
    point_value: float,
    period: str,
) -> tuple[pd.DataFrame, list[str]]:
    """One row per issuance cohort and period for
    :func:`~workbench.behaviour.liability.liability_rollforward`.

    Cohort :math:`c`'s sales :math:`S_c` (the period's revenue) are allocated at the sale
    (IFRS 15.B42, :func:`~workbench.behaviour.liability.allocate_points`) with the stand-alone
    selling price of its points :math:`I_c \\, v \\, \\rho_c`, :math:`\\rho_c` the cohort's
    expected redemption rate estimated at the end of period :math:`c`; in each later period
    the expected total and cumulative redemptions are those of ``expected`` (the second
    frame of :func:`expected_redemption_by_period`).
    """
    notes: list[str] = []
    no_sales = []
    allocated = {}
    first = expected[expected["cohort"] == expected["period"]]
    for row in first.itertuples(index=False):
        s = float(sales.get(row.cohort, 0.0))
        if s > 0 and row.expected_rate > 0:
            allocated[row.cohort] = liab.allocate_points(
                s, row.issued, point_value, min(1.0, float(row.expected_rate))
            ).to_points
        else:
            allocated[row.cohort] = 0.0
            no_sales.append(period_label(row.cohort, period))
    out = expected[["cohort", "period", "redeemed_cumulative", "expected_total"]].copy()
    out["allocated"] = [
        allocated[c] if c == p else 0.0 for c, p in zip(out["cohort"], out["period"], strict=True)
    ]
    out = out[out["expected_total"] > 0]
    if no_sales:
        notes.append(
            f"No sales in the transactions for the period(s) {', '.join(no_sales)} in which "
            "points were issued: nothing is allocated to those points (check that the "
            "transactions cover the ledger's dates)."
        )
    return out, notes


def analyse(
    inputs: PointsInputs,
    *,
    point_value: float,
    expiry_months: int = 0,
    reward_threshold: float = 0.0,
    period: str = "quarter",
    tier_rules: Any = None,
    spend_col: str = "qualifying_spend_12m",
    tier_col: str = "tier",
    n_boot: int = 1000,
    seed: int = 2026,
    currency: str = "",
    **_: Any,
) -> PointsProgrammeStudy:
    """Run the points-programme study on loaded inputs (parameters as ``workbench list``).

    Parameters
    ----------
    inputs : PointsInputs
        From :func:`load`.
    point_value : float
        Currency per point: the discount a redeemed point gives (> 0).
    expiry_months : int
        The programme's expiry rule (0: points do not expire); longer policies are not
        identified in the expiry sensitivity.
    reward_threshold : float
        Points needed for a reward: the share of members holding a reward's worth and the
        goal gradient (0: skipped).
    period : {"quarter", "month"}
        Period of the KPIs, the issuance cohorts, the triangle and the liability.
    tier_rules : list of "TIER=SPEND" or mapping
        Qualifying spend of each tier, for the proximity to the next tier (empty: skipped).
    n_boot, seed : int
        ODP bootstrap resamples of the chain ladder and their seed.
    currency : str
        The currency's label in the report (amounts are in the currency of ``point_value`` and
        of the transactions).

    Returns
    -------
    PointsProgrammeStudy

    Notes
    -----
    Breakage :math:`= 1 - \\mathrm{URR}`, the URR from the chain ladder on the FIFO redemption
    triangle (:func:`~workbench.behaviour.breakage.chain_ladder`). The liability allocates
    each period's sales :math:`S` between goods and points by relative stand-alone selling
    prices, :math:`A_P = S \\cdot SSP_P / (S + SSP_P)` with :math:`SSP_P = I v \\rho` (IFRS
    15.B42, Example 52), and recognises :math:`A_P \\min(1, r_t/E_t)` as points are redeemed
    (B46), :math:`E_t` re-estimated at each period's end (:func:`liability_schedule`).

    References
    ----------
    IFRS 15, B39-B43, B46, IE267-IE270. Mack, T. (1993), *ASTIN Bulletin* 23(2); England, P. D.
    & Verrall, R. J. (2002), *British Actuarial Journal* 8(3) (R: ``ChainLadder::MackChainLadder``,
    ``ChainLadder::BootChainLadder``). Kivetz, R., Urminsky, O. & Zheng, Y. (2006), *Journal of
    Marketing Research* 43(1), 39-58 (goal gradient).
    """
    params = {
        "point_value": point_value, "period": period, "tier_rules": tier_rules or [],
    }  # fmt: skip
    check_parameters(params)
    rules = parse_tier_rules(tier_rules or [])
    led = inputs.ledger
    _require_history(led, period)
    warnings: list[str] = list(led.warnings)
    tx = inputs.transactions
    if tx is not None:
        warnings += [w for w in tx.warnings if w not in warnings]
    threshold = float(reward_threshold) if reward_threshold and reward_threshold > 0 else None
    members = inputs.members
    has_tiers = members is not None and bool(tier_col) and tier_col in members.columns

    # 1. KPIs by period
    per: txn.Period = "month" if period == "month" else "quarter"
    kpis = pts.ledger_kpis(led, period=per, reward_threshold=threshold)
    if tx is not None:
        sales = sales_by_period(tx, period)
        kpis["revenue"] = kpis["period"].map(sales).fillna(0.0).astype("float64")
        kpis["reward_cost"] = kpis["redeemed"] * float(point_value)
        kpis["reward_cost_share"] = kpis["reward_cost"] / kpis["revenue"].where(kpis["revenue"] > 0)
    else:
        sales = pd.Series(dtype="float64")

    # 2. redemption triangle, chain ladder, survival, expiry
    asof, note = evaluation_date(led, period)
    if note:
        warnings.append(note)
    triangle = brk.redemption_triangle(led, period=per, asof=asof)
    chain = brk.chain_ladder(triangle, n_boot=n_boot, seed=seed)
    warnings += [tr("Chain ladder: {warning}", warning=i18n.translate(w)) for w in chain.warnings]
    survival = brk.redemption_survival(led, asof=asof)
    warnings += [tr("Survival: {warning}", warning=i18n.translate(w)) for w in survival.warnings]
    policies = sorted(set(EXPIRY_POLICIES) | ({int(expiry_months)} if expiry_months else set()))
    by_expiry = brk.breakage_by_expiry(
        survival, policies, current_expiry_months=float(expiry_months) if expiry_months else None
    )
    by_expiry["current"] = by_expiry["expiry_months"] == int(expiry_months or 0)

    # 3. liability
    estimates, expected = expected_redemption_by_period(triangle)
    hindsight = estimates["basis"].eq("first estimate (hindsight)")
    if hindsight.any():
        warnings.append(
            f"The first {int(hindsight.sum())} {period}(s) are too few for a chain ladder: the "
            "liability uses the first development factors available for them (with hindsight)."
        )
    liability = None
    if tx is not None:
        schedule, notes = liability_schedule(
            expected, sales, point_value=point_value, period=period
        )
        warnings += notes
        liability = liab.liability_rollforward(schedule)
        warnings += [
            tr("Liability: {warning}", warning=i18n.translate(w)) for w in liability.warnings
        ]
    else:
        warnings.append(
            "No transactions were given: the IFRS 15 allocation needs the sales that earned the "
            "points, so the liability roll-forward, revenue and the reward-cost share are not "
            "computed (give --param transactions=PATH)."
        )

    # 4. behaviour and 5. tiers
    gg, effect, churn, tier_pts, proximity = _behaviour_and_tiers(
        inputs,
        threshold=threshold,
        point_value=point_value,
        has_tiers=has_tiers,
        rules=rules,
        spend_col=spend_col,
        tier_col=tier_col,
        asof=asof,
        warnings=warnings,
    )

    parameters = {
        "point_value": float(point_value),
        "expiry_months": int(expiry_months or 0),
        "reward_threshold": float(reward_threshold or 0),
        "period": period,
        "tier_rules": rules,
        "n_boot": n_boot,
        "seed": seed,
        "currency": currency,
        "repair": led.repair,
    }
    study = PointsProgrammeStudy(
        inputs=inputs,
        parameters=parameters,
        asof=asof,
        kpis=kpis,
        triangle=triangle,
        chain=chain,
        survival=survival,
        by_expiry=by_expiry,
        estimates=estimates,
        liability=liability,
        goal_gradient=gg,
        redemption_effect=effect,
        redeemer_churn=churn,
        tier_points=tier_pts,
        tier_proximity=proximity,
        findings_finance=(),
        findings_marketing=(),
        warning_messages=(),
    )
    return dataclasses.replace(
        study,
        findings_finance=tuple(_finance_findings(study)),
        findings_marketing=tuple(_marketing_findings(study, warnings)),
        # written in English here and by the points layer: translated for the report
        warning_messages=tuple(dict.fromkeys(i18n.translate(w) for w in warnings)),
    )


def _behaviour_and_tiers(
    inputs: PointsInputs,
    *,
    threshold: float | None,
    point_value: float,
    has_tiers: bool,
    rules: dict[str, float],
    spend_col: str,
    tier_col: str,
    asof: Any,
    warnings: list[str],
) -> tuple[Any, Any, Any, pd.DataFrame | None, pd.DataFrame | None]:
    """Section 4 (goal gradient, redemption effect, redeemers' churn) and section 5 (tiers)."""
    led = inputs.ledger
    gg = None
    if threshold is not None:
        try:
            gg = goal_gradient(led, reward_threshold=threshold)
            warnings += [
                tr("Goal gradient: {warning}", warning=i18n.translate(w)) for w in gg.warnings
            ]
        except InputError as err:
            warnings.append(
                tr("Goal gradient not estimated: {problem}", problem=i18n.translate(err.problem))
            )
    effect = churn = None
    tx = inputs.transactions
    if tx is not None:
        frame = tx.table.select("member_id", "date", "amount").to_pandas()
        try:
            effect = redemption_effect(
                frame, led, period="month", leads=EVENT_LEADS, lags=EVENT_LAGS, outcome="spend"
            )
            warnings += [
                tr("Redemption effect: {warning}", warning=i18n.translate(w))
                for w in effect.warnings
            ]
        except InputError as err:
            warnings.append(
                tr(
                    "Effect of a first redemption not estimated: {problem}",
                    problem=i18n.translate(err.problem),
                )
            )
        try:
            churn = redeemer_churn(frame, led, window_days=CHURN_WINDOW_DAYS)
            warnings += [
                tr("Redeemers' churn: {warning}", warning=i18n.translate(w)) for w in churn.warnings
            ]
        except InputError as err:
            warnings.append(
                tr("Redeemers' churn not estimated: {problem}", problem=i18n.translate(err.problem))
            )
    else:
        warnings.append(
            "No transactions were given: the effect of a first redemption on spend and "
            "redeemers' churn need purchases, so they are skipped."
        )
    tier_pts = proximity = None
    members = inputs.members
    if members is not None and has_tiers:
        tier_pts = tier_points(
            led, members, point_value=point_value, tier_col=tier_col, reward_threshold=threshold
        )
        if rules:
            proximity = _proximity(inputs, rules, spend_col=spend_col, tier_col=tier_col)
    elif members is not None:
        warnings.append(f"The members file has no tier column ({tier_col!r}): no tier tables.")
    return gg, effect, churn, tier_pts, proximity


def _proximity(
    inputs: PointsInputs, rules: dict[str, float], *, spend_col: str, tier_col: str
) -> pd.DataFrame:
    """:func:`~workbench.behaviour.points_tiers.tier_proximity`, its errors naming the file."""
    members = inputs.members
    if members is None:
        raise ValueError("no members")
    try:
        return tier_proximity(
            members, tier_rules=rules, spend_col=spend_col, tier_col=tier_col, within=TIER_REACH
        )
    except InputError as err:
        raise InputError(
            err.problem,
            file=inputs.members_path,
            column=err.column,
            row=err.row,
            value=err.value,
            hint=err.hint,
        ) from None
    except ValueError as err:
        raise InputError(
            f"tier_rules cannot be used: {err}.",
            file=inputs.members_path,
            hint="Give each tier its own qualifying spend, e.g. --param "
            "'tier_rules=[basic=0, silver=1000, gold=3000]'.",
        ) from None


# --------------------------------------------------------------------------- report tables
def for_report(
    frame: pd.DataFrame | None, *, values: tuple[str, ...] = (), index_values: bool = False
) -> pd.DataFrame | None:
    """A table as the report shows it, in the current report language.

    Column names (and index names) are translated with :func:`workbench.i18n.label`; with
    ``index_values`` the row names too, and the cells of the ``values`` columns, each looked
    up as a label and else as a whole message (:func:`workbench.i18n.translate`: a method's
    description such as ``survival: share redeemed within 1100 days (Aalen-Johansen)``).
    Periods, tiers and member ids are data and stay as they are. In English the table is
    returned unchanged; the study's own tables (which ``results.json`` reads) are never
    modified.
    """
    if frame is None or i18n.get_language() == "en":
        return frame
    out = frame.copy()
    for col in values:
        if col in out.columns:
            out[col] = pd.Series([_category(v) for v in out[col]], index=out.index, dtype=object)
    if index_values and not isinstance(out.index, pd.MultiIndex):
        name = out.index.name
        out.index = pd.Index([_category(v) for v in out.index], name=name)
    return i18n.translate_frame(out)


def _category(value: Any) -> Any:
    """A row name or category: a catalogued label, else a catalogued message, else itself."""
    found = i18n.label(value)
    return i18n.translate(found) if isinstance(found, str) and found == value else found


# --------------------------------------------------------------------------- findings
def _pct(x: float | None) -> str:
    return "n/a" if x is None or not math.isfinite(x) else f"{100 * x:.1f}%"


def _finance_findings(s: PointsProgrammeStudy) -> list[str]:
    out: list[str] = []
    led, c = s.ledger, s.chain
    t = led.totals
    value = float(s.parameters["point_value"])
    out.append(
        f"{led.n_members:,} members earned {t['earned']:,.0f} points between {led.first_date} "
        f"and {led.last_date}; {t['redeemed']:,.0f} were redeemed and {t['expired']:,.0f} "
        f"expired, leaving {t['outstanding']:,.0f} points outstanding (face value "
        f"{s.money(t['outstanding'] * value)} at {value:g} per point)."
    )
    out.append(
        f"Of every 100 points issued, about {100 * (c.ultimate_rate or 0):.0f} are expected to "
        f"be redeemed in the end: ultimate redemption rate {_pct(c.ultimate_rate)} "
        f"({c.ci:.0%} bootstrap interval {_pct(c.ci_low)} to {_pct(c.ci_high)}, chain ladder "
        f"on the {s.period}ly redemption triangle as of {s.asof}); breakage, the share never "
        f"redeemed, is {_pct(c.breakage)}. The survival cross-check finds "
        f"{_pct(s.survival.ultimate_rate)} of points redeemed within {s.survival.max_days} days "
        "of earning."
    )
    if s.liability is not None:
        bp = s.liability.by_period
        last = bp.iloc[-1]
        out.append(
            f"Contract liability for points (IFRS 15) at {s.asof}: {s.money(last['closing'])}; "
            f"in the last {s.period} {s.money(last['allocated'])} of sales were deferred to new "
            f"points and {s.money(last['revenue'])} recognised as revenue on redemption"
            + (
                "."
                if abs(last["estimate_change"]) < 0.5
                else f", after revising the expected redemption "
                f"{'added' if last['estimate_change'] > 0 else 'released'} "
                f"{s.money(abs(last['estimate_change']))} "
                f"{'to' if last['estimate_change'] > 0 else 'from'} the liability."
            )
        )
    k = s.kpis
    if "reward_cost_share" in k:
        total_cost = float(k["reward_cost"].sum())
        total_rev = float(k["revenue"].sum())
        if total_rev > 0:
            out.append(
                f"Rewards redeemed cost {s.money(total_cost)} at face value, "
                f"{_pct(total_cost / total_rev)} of revenue over the ledger's span."
            )
    current = s.by_expiry[s.by_expiry["identified"]]
    if len(current) >= 2:
        a, b = current.iloc[0], current.iloc[-1]
        out.append(
            f"Expiry policy: if points expired after {a['expiry_months']} months, breakage "
            f"would be {_pct(a['breakage'])}; after {b['expiry_months']} months "
            f"{_pct(b['breakage'])} (members' timing held fixed, so the shorter policy's "
            "breakage is an upper bound)."
        )
    return out


def _marketing_findings(s: PointsProgrammeStudy, warnings: list[str]) -> list[str]:
    out: list[str] = []
    k = s.kpis
    last = k.iloc[-1]
    if "share_redeemable" in k:
        out.append(
            f"At the end of {s.label(last['period'])}, {_pct(last['share_redeemable'])} of "
            f"members held at least {s.parameters['reward_threshold']:,.0f} points, enough for "
            "a reward."
        )
    else:
        out.append(
            "No reward threshold was given (reward_threshold = 0): the share of members "
            "holding a reward's worth of points and the goal-gradient analysis are skipped."
        )
    issued = float(k["issued"].sum())
    redeemed = float(k["redeemed"].sum())
    if issued > 0:
        out.append(
            f"Members burned {redeemed / issued:.2f} points for every point earned over the "
            f"period (earn per enrolled member in the last {s.period}: "
            f"{last['issued_per_member']:,.0f} points; burn: "
            f"{last['redeemed_per_member']:,.0f})."
        )
    g = s.goal_gradient
    if g is not None:
        out.append(str(g.interpretation))
    e = s.redemption_effect
    if e is not None:
        out.append(str(e.interpretation))
    ch = s.redeemer_churn
    if ch is not None and hasattr(ch, "interpretation"):
        out.append(str(ch.interpretation))
    if s.tier_proximity is not None and len(s.tier_proximity):
        out.append(_proximity_finding(s.tier_proximity))
    return out


def _proximity_finding(prox: pd.DataFrame) -> str:
    within = prox["within_reach"].sum() if "within_reach" in prox else len(prox)
    return (
        f"{int(within):,} members are within {TIER_REACH:.0%} of the qualifying spend of the "
        "next tier: candidates for a tier-upgrade nudge."
    )
