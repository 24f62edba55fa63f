"""The member-analytics study: loyalty KPIs, cohorts, RFM, tiers, CLV and churn risk.

:func:`analyse` runs the aggregations through the transaction layer (Ibis on
DuckDB by default), fits BG/NBD + Gamma-Gamma and a time-split churn model, and
returns a :class:`MemberAnalyticsStudy` that the notebook only displays.

Findings, warnings, table labels and figure text are written in the current report
language (:mod:`workbench.i18n`; the notebook sets it from its ``lang`` parameter).
"""

from __future__ import annotations

import dataclasses
from typing import Any

import pandas as pd

from workbench import i18n
from workbench.behaviour import churn as churn_mod
from workbench.behaviour import clv as clv_mod
from workbench.behaviour import transactions as txn
from workbench.errors import InputError
from workbench.i18n import format_decimal, format_percent
from workbench.i18n import gettext as tr
from workbench.presentation.plots import period_label
from workbench.results import Result, jsonable

COLUMN_PARAMS = (
    "member_col", "date_col", "amount_col", "order_col", "channel_col", "store_col",
    "points_earned_col", "points_redeemed_col",
)  # fmt: skip


def load(data: str, params: dict[str, Any]) -> txn.Transactions:
    """Load and validate the transactions file as the parameters map its columns."""
    columns: dict[str, str | None] = {k: (params.get(k) or None) for k in COLUMN_PARAMS}
    members = params.get("members") or None
    if members:
        from workbench.studies import project_path

        members = str(project_path(members))
    return txn.load_transactions(
        data,
        member_col=columns["member_col"] or "member_id",
        date_col=columns["date_col"] or "date",
        amount_col=columns["amount_col"] or "amount",
        order_col=columns["order_col"],
        channel_col=columns["channel_col"],
        store_col=columns["store_col"],
        points_earned_col=columns["points_earned_col"],
        points_redeemed_col=columns["points_redeemed_col"],
        refunds=params.get("refunds", "error"),
        members=members,
        engine=params.get("engine", "duckdb"),
    )


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Check the transactions (and members) files before a kernel starts."""
    return load(data, params).n_rows


@dataclasses.dataclass(frozen=True)
class MemberAnalyticsStudy(Result):
    """Everything the member-analytics report shows."""

    transactions: txn.Transactions
    parameters: dict[str, Any]
    kpis: pd.DataFrame
    cohorts: pd.DataFrame
    rfm: pd.DataFrame
    rfm_summary: pd.DataFrame
    rfm_definitions: pd.DataFrame
    tier_mix: pd.DataFrame | None
    tier_migration: pd.DataFrame | None
    tier_dates: tuple[str, str] | None
    clv: Any
    churn: Any
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return self.kpis

    @property
    def n_used(self) -> int:
        return int(self.transactions.n_members)

    @property
    def missing_report(self) -> dict[str, Any]:
        return {
            "treatment": "transactions as recorded; refunds: " + self.parameters["refunds"],
            "n_rows": self.transactions.n_rows,
            "n_used": self.transactions.n_members,
            "refunds": self.transactions.refunds_report,
        }

    # ------------------------------------------------------------------ tables
    def kpi_table(self) -> pd.DataFrame:
        cols = [
            "period",
            "active",
            "new",
            "member_growth_rate",
            "retention_rate",
            "churn_rate",
            "repeat_purchase_rate",
            "frequency",
            "aov",
            "revenue",
            "revenue_per_active",
            "points_earned",
            "points_redeemed",
        ]
        t = self.kpis[[c for c in cols if c in self.kpis]].copy()
        t["period"] = [period_label(p, self.parameters["period"]) for p in t["period"]]
        return i18n.translate_frame(t.set_index("period"))

    def rfm_table(self) -> pd.DataFrame:
        """Segment summary with readable ranges."""
        t = self.rfm_summary.copy()
        for col in ("r_range", "f_range", "m_range"):
            t[col] = ["" if v is None else f"{v[0]:,.0f}–{v[1]:,.0f}" for v in t[col]]
        return i18n.translate_frame(t, index_values=True)

    def rfm_definitions_table(self) -> pd.DataFrame:
        """The RFM segment grid (R and F score ranges) with what each segment means."""
        return i18n.translate_frame(self.rfm_definitions, values=("segment", "description"))

    def cohort_matrix(self, max_cohorts: int = 24) -> pd.DataFrame:
        m = self.cohorts.drop(columns=["cohort_size"], errors="ignore")
        return m.tail(max_cohorts)

    def clv_table(self, top: int = 20) -> pd.DataFrame:
        return i18n.translate_frame(self.clv.table.sort_values("clv", ascending=False).head(top))

    def holdout_table(self) -> pd.DataFrame | None:
        """The CLV holdout check by calibration-period frequency (and for all members)."""
        h = self.clv.holdout
        return None if h is None else i18n.translate_frame(h, index_values=True)

    def churn_calibration_table(self) -> pd.DataFrame | None:
        return None if self.churn is None else i18n.translate_frame(self.churn.calibration)

    def churn_features_table(self) -> pd.DataFrame | None:
        if self.churn is None:
            return None
        return i18n.translate_frame(self.churn.top_features, values=("feature",))

    # ------------------------------------------------------------------ figures
    def kpi_figure(self):
        from workbench.presentation.plots import kpi_chart

        return kpi_chart(self.kpis, period=self.parameters["period"])

    def cohort_figure(self):
        from workbench.presentation.plots import cohort_heatmap

        return cohort_heatmap(self.cohort_matrix(), period=self.parameters["period"])

    def cohort_curves_figure(self):
        from workbench.presentation.plots import cohort_curves

        return cohort_curves(self.cohort_matrix(), period=self.parameters["period"])

    def tier_mix_figure(self):
        from workbench.presentation.plots import tier_mix_chart

        if self.tier_mix is None:
            return None
        return tier_mix_chart(self.tier_mix, period=self.parameters["period"])

    def rfm_figure(self):
        from workbench.presentation.plots import share_chart

        return share_chart(
            self.rfm_summary.rename(index=i18n.label),
            title=tr("RFM segments: members vs revenue"),
        )

    def tier_figure(self):
        from workbench.presentation.plots import migration_heatmap

        if self.tier_migration is None or self.tier_dates is None:
            return None
        return migration_heatmap(
            self.tier_migration, start=self.tier_dates[0], end=self.tier_dates[1]
        )

    def holdout_figure(self):
        from workbench.presentation.plots import holdout_chart

        h = self.clv.holdout
        if h is None:
            return None
        h = h[h.index.astype(str) != "all"].reset_index()
        first = h.columns[0]
        return holdout_chart(
            pd.DataFrame(
                {
                    "frequency": h[first],
                    "predicted": h["predicted_mean"],
                    "actual": h["actual_mean"],
                }
            )
        )

    def gains_figure(self):
        from workbench.presentation.plots import gains_chart

        if self.churn is None:
            return None
        g = self.churn.gains
        return gains_chart(g)

    # ------------------------------------------------------------------ results.json
    def results(self) -> dict[str, Any]:
        k = self.kpis.copy()
        k["period"] = k["period"].astype(str)
        kpis = {
            row["period"]: {
                c: row.get(c)
                for c in (
                    "active",
                    "new",
                    "retention_rate",
                    "churn_rate",
                    "repeat_purchase_rate",
                    "frequency",
                    "aov",
                    "revenue",
                    "revenue_per_active",
                    "member_growth_rate",
                    "points_earned",
                    "points_redeemed",
                )
                if c in row
            }
            for row in k.to_dict(orient="records")
        }
        cohorts = {
            str(c): {str(kk): v for kk, v in row.items() if pd.notna(v)}
            for c, row in self.cohorts.drop(columns=["cohort_size"], errors="ignore")
            .to_dict(orient="index")
            .items()
        }
        rfm = {
            str(seg): {
                "members": row["members"],
                "share": row["share"],
                "revenue_share": row["revenue_share"],
                "r_range": _range(row["r_range"]),
                "f_range": _range(row["f_range"]),
                "m_range": _range(row["m_range"]),
            }
            for seg, row in self.rfm_summary.iterrows()
        }
        out: dict[str, Any] = {
            "kpis": kpis,
            "cohorts": cohorts,
            "rfm": rfm,
            "clv": self.clv.to_dict(),
            "churn": None if self.churn is None else self.churn.to_dict(),
            "tiers": None
            if self.tier_migration is None or self.tier_dates is None
            else {
                "start": self.tier_dates[0],
                "end": self.tier_dates[1],
                "migration": self.tier_migration.to_dict(orient="index"),
            },
            "data": {
                "rows": self.transactions.n_rows,
                "members": self.transactions.n_members,
                "first_date": str(self.transactions.first_date),
                "last_date": str(self.transactions.last_date),
                "refunds": self.transactions.refunds_report,
            },
        }
        return jsonable(out)

    def headline(self) -> dict[str, Any]:
        last = self.kpis.iloc[-1]
        out: dict[str, Any] = {
            "members": self.transactions.n_members,
            "last period active": int(last["active"]),
        }
        if pd.notna(last.get("retention_rate")):
            out["retention"] = f"{100 * last['retention_rate']:.0f}%"
        if self.churn is not None:
            out["churn AUC"] = round(float(self.churn.auc), 3)
        return out


def _range(value: Any) -> list[Any] | None:
    return None if value is None else list(value)


def _require_history(tx: txn.Transactions, holdout_days: int) -> None:
    """The log must span time, and the CLV holdout must leave purchases before it."""
    first, last = pd.Timestamp(tx.first_date), pd.Timestamp(tx.last_date)
    span = (last - first).days
    if tx.n_members < 10:
        raise InputError(
            f"The transaction log holds {tx.n_members} member(s); cohorts, CLV and churn "
            "models need at least 10.",
            file=tx.path,
            column="member_id",
            hint="Check the member id column (--param member_col) or give the whole log.",
        )
    if span == 0:
        raise InputError(
            f"Every transaction is dated {first.date()}: cohorts, CLV and churn need "
            "purchases spread over time.",
            file=tx.path,
            column="date",
            hint="Check the date column (a load date instead of the purchase date?), or "
            "give a log that covers months of purchases.",
        )
    if holdout_days >= span:
        raise InputError(
            f"holdout_days={holdout_days} reaches back to or before the first transaction: "
            f"the log covers {span} days ({first.date()} to {last.date()}), so the CLV "
            "holdout check would have no purchases to learn from.",
            file=tx.path,
            hint=f"Choose --param holdout_days below {span} (about a third of it, "
            f"{max(1, span // 3)}, is usual).",
        )


def analyse(
    tx: txn.Transactions,
    *,
    period: txn.Period = "month",
    inactivity_periods: int = 3,
    tier_history: str = "",
    holdout_days: int = 180,
    clv_horizon: int = 12,
    discount_rate: float = 0.01,
    churn_window_days: int = 90,
    churn_model: churn_mod.ModelKind = "logit",
    seed: int = 2026,
    **_: Any,
) -> MemberAnalyticsStudy:
    """Run the member-analytics study on loaded transactions (parameters as ``workbench list``)."""
    _require_history(tx, holdout_days)
    warnings: list[str] = list(tx.warnings)
    members_df = tx.members.to_pandas() if tx.members is not None else None
    kpis = txn.kpi_panel(
        tx.table, period=period, inactivity_periods=inactivity_periods, members=tx.members
    )
    cohorts = txn.cohort_retention(tx.table, period=period)
    scores = txn.rfm_scores(tx.table)
    segments = txn.rfm_segments(scores)
    summary = txn.rfm_segment_summary(segments)
    definitions = txn.segment_definitions()

    mix = migration = None
    dates = None
    if tier_history:
        from workbench.studies import project_path

        path = project_path(tier_history)
        if not path.exists():
            raise InputError(
                "Tier history file not found.",
                file=str(tier_history),
                hint="Pass --param tier_history=PATH (member_id, date, tier).",
            )
        history = txn.read_tier_history(path)
        dates = (str(tx.first_date), str(tx.last_date))
        mix = txn.tier_mix(history, period=period)
        migration = txn.tier_migration(history, dates[0], dates[1], shape="wide")
        if isinstance(migration.columns, pd.MultiIndex):
            migration = migration["members"]

    # The models need only these three columns of the log in pandas.
    frame = tx.table.select("member_id", "date", "amount").to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    last = pd.Timestamp(tx.last_date)
    calibration_end = last - pd.Timedelta(days=holdout_days)
    cutoff = last - pd.Timedelta(days=churn_window_days)
    fit_churn = cutoff > pd.Timestamp(tx.first_date) + pd.Timedelta(days=churn_window_days)
    ends = {
        "full": {"observation_end": last},
        "holdout": {"calibration_end": calibration_end, "observation_end": last},
    }
    if fit_churn:
        ends["churn"] = {"observation_end": cutoff}
    summaries = clv_mod.rfm_summaries(frame, ends)  # one pass over the log for all three
    clv = clv_mod.clv_analysis(
        summaries["full"],
        holdout=summaries["holdout"],
        horizon_periods=clv_horizon,
        discount_rate=discount_rate,
    )
    warnings = [i18n.translate(w) for w in warnings]
    warnings += [tr("CLV: {warning}", warning=i18n.translate(w)) for w in clv.warnings]

    churn = None
    if not fit_churn:
        warnings.append(tr("Too little history for a time-split churn model; it was skipped."))
    else:
        churn = churn_mod.churn_model(
            frame,
            cutoff=cutoff,
            window_days=churn_window_days,
            model=churn_model,
            seed=seed,
            members=members_df,
            bgnbd=clv_mod.fit_bgnbd(summaries["churn"]),
            bgnbd_summary=summaries["churn"],
        )
        warnings += [tr("Churn: {warning}", warning=i18n.translate(w)) for w in churn.warnings]

    study = MemberAnalyticsStudy(
        transactions=tx,
        parameters={
            "period": period,
            "inactivity_periods": inactivity_periods,
            "tier_history": tier_history,
            "holdout_days": holdout_days,
            "clv_horizon": clv_horizon,
            "discount_rate": discount_rate,
            "churn_window_days": churn_window_days,
            "churn_model": churn_model,
            "seed": seed,
            "refunds": tx.refunds_report.get("policy", "error"),
        },
        kpis=kpis,
        cohorts=cohorts,
        rfm=segments,
        rfm_summary=summary,
        rfm_definitions=definitions,
        tier_mix=mix,
        tier_migration=migration,
        tier_dates=dates,
        clv=clv,
        churn=churn,
        findings=(),
        warning_messages=tuple(dict.fromkeys(warnings)),
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))


def _findings(s: MemberAnalyticsStudy) -> list[str]:
    """The key findings, in the current report language (numbers formatted for its locale)."""
    out = []
    tx = s.transactions
    k = s.kpis
    out.append(
        tr(
            "{members} members made {rows} transactions between {first} and {last}; in the "
            "{last_period} {active} were active, spending {aov} per order on average.",
            members=format_decimal(tx.n_members),
            rows=format_decimal(tx.n_rows),
            first=i18n.format_date(tx.first_date),
            last=i18n.format_date(tx.last_date),
            last_period=i18n.label(f"last {s.parameters['period']}"),
            active=format_decimal(int(k["active"].iloc[-1])),
            aov=format_decimal(k["aov"].iloc[-1], 2),
        )
    )
    ret = k["retention_rate"].dropna()
    if len(ret) >= 2:
        out.append(
            tr(
                "Period-to-period retention moved from {first} to {last} (range {low}–{high}); "
                "the churn rate in the last period was {churn}.",
                first=format_percent(ret.iloc[0]),
                last=format_percent(ret.iloc[-1]),
                low=format_decimal(100 * ret.min()),
                high=format_percent(ret.max()),
                churn=format_percent(k["churn_rate"].iloc[-1]),
            )
        )
    c = s.cohorts
    if "cohort_size" in c and 3 in c.columns:
        big = c.sort_values("cohort_size", ascending=False).iloc[0]
        out.append(
            tr(
                "The largest cohort ({cohort}, {size} members) kept {one} one period later and "
                "{three} three periods later.",
                cohort=period_label(big.name, s.parameters["period"]),
                size=format_decimal(int(big["cohort_size"])),
                one=format_percent(big[1]),
                three=format_percent(big[3]),
            )
        )
    sm = s.rfm_summary
    risk = [seg for seg in ("at risk", "can't lose them") if seg in sm.index]
    if risk:
        share = sm.loc[risk, "share"].sum()
        rev = sm.loc[risk, "revenue_share"].sum()
        out.append(
            tr(
                "{share} of members are 'at risk' or 'can't lose them' (bought often, but long "
                "ago) and hold {revenue} of revenue.",
                share=format_percent(share),
                revenue=format_percent(rev),
            )
        )
    if "champions" in sm.index:
        out.append(
            tr(
                "Champions are {share} of members and bring {revenue} of revenue.",
                share=format_percent(sm.loc["champions", "share"]),
                revenue=format_percent(sm.loc["champions", "revenue_share"]),
            )
        )
    d = s.clv.to_dict()
    bg = d["model"]["bgnbd"]
    h = d.get("holdout") or {}
    if h:
        err = (h["predicted"] - h["actual"]) / h["actual"] if h["actual"] else float("nan")
        out.append(
            tr(
                "The BG/NBD model (r = {r}, alpha = {alpha}, a = {a}, b = {b}) predicted "
                "{predicted} purchases in the {days}-day holdout against {actual} actual "
                "({error}).",
                r=format_decimal(bg["r"], 3),
                alpha=format_decimal(bg["alpha"], 2),
                a=format_decimal(bg["a"], 3),
                b=format_decimal(bg["b"], 3),
                predicted=format_decimal(h["predicted"]),
                days=s.parameters["holdout_days"],
                actual=format_decimal(h["actual"]),
                error=format_percent(err, sign=True),
            )
        )
    out.append(
        tr(
            "Expected value of the current members over the next {horizon} periods "
            "(discounted at {rate} per period): {total}.",
            horizon=s.parameters["clv_horizon"],
            rate=format_percent(s.parameters["discount_rate"], 1),
            total=format_decimal(d["total_clv"]),
        )
    )
    if s.churn is not None:
        ch = s.churn
        text = tr(
            "The churn model ranks members well on held-out data (AUC {auc}, 95% CI "
            "{low}–{high}; {rate} of members active before the cutoff made no purchase in the "
            "next {days} days).",
            auc=format_decimal(ch.auc, 2),
            low=format_decimal(ch.auc_ci_low, 2),
            high=format_decimal(ch.auc_ci_high, 2),
            rate=format_percent(ch.churn_rate),
            days=s.parameters["churn_window_days"],
        )
        if ch.baseline_auc_bgnbd_expected is not None:
            expected = format_decimal(ch.baseline_auc_bgnbd_expected, 2)
            baseline = (
                tr("Ranking by the BG/NBD's expected purchases gives AUC {auc}.", auc=expected)
                if ch.baseline_auc_bgnbd is None
                else tr(
                    "Ranking by the BG/NBD's expected purchases gives AUC {auc}; by its "
                    "probability alive, {alive}.",
                    auc=expected,
                    alive=format_decimal(ch.baseline_auc_bgnbd, 2),
                )
            )
            text = tr("{sentence} {next}", sentence=text, next=baseline)
        out.append(text)
    if s.tier_migration is not None and s.tier_dates is not None:
        m = s.tier_migration
        same = sum(m.loc[t, t] for t in m.index if t in m.columns)
        total = m.drop(index=[i for i in m.index if str(i).startswith("(")], errors="ignore")
        stayed = same / total.to_numpy().sum() if total.to_numpy().sum() else float("nan")
        out.append(
            tr(
                "Between {start} and {end}, {share} of members who had a tier at the start kept "
                "it.",
                start=i18n.format_date(s.tier_dates[0]),
                end=i18n.format_date(s.tier_dates[1]),
                share=format_percent(stayed),
            )
        )
    return out
