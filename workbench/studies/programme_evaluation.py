"""The programme-evaluation study: did the loyalty initiative work, and does attitudinal
loyalty show up in behaviour?

:func:`analyse` builds the member-period panel, estimates the effect by difference in
differences with an event study (or an interrupted time series when there is no comparison
group), joins the survey to behaviour for the Dick & Basu loyalty matrix and the attitude ->
behaviour model, and tracks NPS with intervals. The notebook only displays the result.

Findings, warnings, table labels and figure text are written in the current report
language (:mod:`workbench.i18n`; the notebook sets it from its ``lang`` parameter).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from workbench import i18n
from workbench.behaviour import evaluation as ev
from workbench.errors import InputError
from workbench.i18n import format_decimal, format_percent
from workbench.i18n import gettext as tr
from workbench.presentation.report import format_p
from workbench.results import Result, jsonable
from workbench.studies import project_path
from workbench.studies.member_analytics import load as load_transactions

UNITS = {
    "frequency": "purchases per member-period",
    "spend": "spend per member-period",
    "retention": "retention rate",
}


def _as_flag(values: pd.Series, column: str, file: str | None = None) -> pd.Series:
    """A treated/untreated column as booleans: true/false, yes/no, 1/0 (text or numbers).

    An empty cell or any other value is an error naming the file, column and data row."""
    text = values.astype("string").str.strip().str.lower().fillna("")
    mapping = {
        "true": True,
        "1": True,
        "1.0": True,
        "yes": True,
        "false": False,
        "0": False,
        "0.0": False,
        "no": False,
    }
    flags = text.map(mapping)
    if flags.isna().any():
        bad = flags.isna().to_numpy()
        row = int(np.flatnonzero(bad)[0])
        first = values.iloc[row]
        raise InputError(
            f"Column '{column}' must say whether each member was exposed (true/false, 1/0); "
            f"{int(bad.sum())} value(s) do not"
            + (" (the first is empty)." if pd.isna(first) or not str(first).strip() else "."),
            file=file,
            column=column,
            row=row + 1,
            value=None if pd.isna(first) else str(first),
            hint="Fill in or recode those cells, or list the exposed members with "
            "--param treated_file=PATH.",
        )
    return flags.astype(bool)


def absolute_effect(did: Any) -> tuple[float, float, float]:
    """The effect in the outcome's units with its CI.

    Linear: the coefficient. Poisson: the relative effect r applied to the treated
    post-launch mean m1, i.e. m1 * r / (1 + r) (the CI maps the same way).
    """
    if getattr(did, "model", "linear") != "poisson":
        return did.estimate, did.ci_low, did.ci_high
    m1 = did.treated_post_mean

    def f(r: float) -> float:
        return m1 * r / (1 + r)

    return f(did.relative_effect), f(did.relative_ci_low), f(did.relative_ci_high)


@dataclasses.dataclass(frozen=True)
class ProgrammeStudy(Result):
    """Everything the programme-evaluation report shows."""

    parameters: dict[str, Any]
    n_members: int
    n_treated: int
    did: Any
    event: Any
    its: Any
    matrix: Any
    attitude_model: Any
    nps_table: pd.DataFrame | None
    nps_segments: pd.DataFrame | None
    nps_change: Any
    findings: tuple[str, ...]
    warning_messages: tuple[str, ...]

    def to_frame(self) -> pd.DataFrame:
        return self.event.table if self.event is not None else pd.DataFrame()

    @property
    def n_used(self) -> int:
        return self.n_members

    @property
    def missing_report(self) -> dict[str, Any]:
        return {
            "treatment": "transactions as recorded (zero-filled member periods); survey "
            "joined by member id, listwise within the attitude model",
            "n_used": self.n_members,
        }

    def did_table(self) -> pd.DataFrame | None:
        if self.did is None:
            return None
        d = self.did
        frame = pd.DataFrame(
            {
                "value": {
                    "estimate": d.estimate,
                    "se (clustered by member)": d.se,
                    "ci_low": d.ci_low,
                    "ci_high": d.ci_high,
                    "p": d.p,
                    "relative_effect": d.relative_effect,
                    "relative_ci_low": d.relative_ci_low,
                    "relative_ci_high": d.relative_ci_high,
                    "treated post-launch mean": d.treated_post_mean,
                    "counterfactual mean": d.counterfactual_mean,
                    "pre-trend test p": d.pretrend_p,
                    "member-periods": d.n,
                    "members (clusters)": d.clusters,
                }
            }
        )
        return i18n.translate_frame(frame, index_values=True)

    def horizon_table(self) -> pd.DataFrame | None:
        if self.event is None:
            return None
        return i18n.translate_frame(self.event.horizons, index_values=True)

    def its_table(self) -> pd.DataFrame | None:
        return None if self.its is None else i18n.translate_frame(self.its.table, index_values=True)

    def matrix_table(self) -> pd.DataFrame | None:
        if self.matrix is None:
            return None
        return i18n.translate_frame(
            self.matrix.table, values=("attitude", "repeat"), index_values=True
        )

    def attitude_table(self) -> pd.DataFrame | None:
        if self.attitude_model is None:
            return None
        coefficients = self.attitude_model.coefficients
        # terms are the codebook's construct names (data), but for the intercept
        coefficients = coefficients.assign(
            term=[i18n.label(t) if t == "Intercept" else t for t in coefficients["term"]]
        )
        return i18n.translate_frame(coefficients, values=("role",))

    def nps_group_table(self) -> pd.DataFrame | None:
        """NPS with its interval per period (and group: treated / control)."""
        if self.nps_segments is None:
            return None
        t = self.nps_segments
        if "group" in t.index.names:  # treated / control: the comparison groups
            t = t.rename(index=_group_name, level="group")
        return i18n.translate_frame(t, index_values=True)

    def event_figure(self):
        import plotly.graph_objects as go

        if self.event is None:
            return None
        t = self.event.table
        fig = go.Figure()
        fig.add_scatter(
            x=t["k"],
            y=t["estimate"],
            mode="markers+lines",
            name=tr("effect"),
            error_y={
                "type": "data",
                "symmetric": False,
                "array": t["ci_high"] - t["estimate"],
                "arrayminus": t["estimate"] - t["ci_low"],
            },
        )
        fig.add_hline(y=0, line_color="grey")
        fig.add_vline(x=-0.5, line_dash="dash", annotation_text=tr("launch"))
        unit = i18n.label(UNITS[self.parameters["outcome"]])
        fig.update_layout(
            xaxis_title=tr("periods since launch (−1 = reference)"),
            yaxis_title=(
                tr("log ratio treated / control ({unit})", unit=unit)
                if self.parameters.get("model") == "poisson"
                else tr("difference treated − control ({unit})", unit=unit)
            ),
            height=420,
            margin={"l": 10, "r": 10, "t": 30, "b": 40},
        )
        return fig

    def nps_figure(self):
        import plotly.graph_objects as go

        if self.nps_segments is None:
            return None
        t = self.nps_segments.reset_index()
        fig = go.Figure()
        seg_col = [c for c in t.columns if c not in ("period",) and t[c].dtype == object]
        group = "group" if "group" in t else (seg_col[0] if seg_col else None)
        for name, part in t.groupby(group) if group else [("all", t)]:
            fig.add_scatter(
                x=part["period"].astype(str),
                y=part["nps"],
                mode="lines+markers",
                name=_group_name(str(name)),
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": part["ci_high"] - part["nps"],
                    "arrayminus": part["nps"] - part["ci_low"],
                },
            )
        fig.update_layout(
            yaxis_title=tr("NPS"), height=380, margin={"l": 10, "r": 10, "t": 30, "b": 40}
        )
        return fig

    def results(self) -> dict[str, Any]:
        out: dict[str, Any] = {"did": None, "event_study": None, "its": None}
        if self.did is not None:
            d = self.did
            out["did"] = {
                "outcome": d.outcome,
                "estimate": d.estimate,
                "se": d.se,
                "ci_low": d.ci_low,
                "ci_high": d.ci_high,
                "p": d.p,
                "relative_effect": d.relative_effect,
                "relative_ci_low": d.relative_ci_low,
                "relative_ci_high": d.relative_ci_high,
                "pretrend_p": d.pretrend_p,
                "n": d.n,
                "clusters": d.clusters,
                "model": getattr(d, "model", "linear"),
                "absolute_effect": absolute_effect(d)[0],
                "absolute_ci_low": absolute_effect(d)[1],
                "absolute_ci_high": absolute_effect(d)[2],
            }
            out["event_study"] = self.event.to_dict()
            out["horizons"] = self.event.horizons.to_dict(orient="index")
        if self.its is not None:
            out["its"] = {
                "table": self.its.table.to_dict(orient="index"),
                "caveat": self.its.caveat,
            }
        out["loyalty_matrix"] = None if self.matrix is None else self.matrix.to_dict()
        out["attitude_model"] = (
            None if self.attitude_model is None else self.attitude_model.to_dict()
        )
        if self.nps_table is not None:
            out["nps"] = {
                str(period): {
                    "nps": row["nps"],
                    "ci_low": row["ci_low"],
                    "ci_high": row["ci_high"],
                    "n": row["n"],
                }
                for period, row in self.nps_table.iterrows()
            }
            out["nps_change"] = None if self.nps_change is None else self.nps_change.to_dict()
        else:
            out["nps"] = None
        return jsonable(out)

    def headline(self) -> dict[str, Any]:
        out: dict[str, Any] = {"members": self.n_members, "treated": self.n_treated}
        if self.did is not None:
            a = absolute_effect(self.did)[0]
            out["effect"] = (
                f"{a:+.3f} ({100 * self.did.relative_effect:+.0f}%), p {format_p(self.did.p)[2:]}"
            )
        return out


def _group_name(group: str) -> str:
    """``treated`` / ``control`` (the NPS groups) as the report names the comparison groups."""
    return i18n.label(f"{group} group") if group in ("treated", "control") else group


def survey_scores(
    survey: str, codebook: str | None, loyalty_construct: str, member_col: str = "member_id"
) -> tuple[pd.DataFrame, list[str], list[str]]:
    """The survey's attitude scores by member id, the attitude model's drivers, and notes.

    With a codebook: every construct scored as the mean of its items, rows named by the
    codebook's ``id`` (else by row number), ``loyalty_construct`` a construct, and the
    multi-item constructs as drivers. Without one: the survey's ``loyalty_construct``
    column as it is (it must be numeric), rows named by its member id column
    (``member_col``, else ``member_id``), and no attitude model (there are no
    constructs). Raises :class:`InputError` naming the file and column.
    """
    from workbench.intake.codebook import NO_CODEBOOK_NOTE
    from workbench.intake.data import load_survey
    from workbench.measurement.scales import score_scales

    sv = load_survey(project_path(survey), codebook or None)
    cb = sv.codebook
    frame = sv.frame
    if cb.given:
        if loyalty_construct not in cb.constructs:
            raise InputError(
                f"'{loyalty_construct}' is not a construct of the codebook.",
                file=str(codebook),
                hint="Pass --param loyalty_construct=NAME; constructs: "
                + ", ".join(cb.constructs)
                + ".",
            )
        ids = frame[cb.id].astype(str) if cb.id else frame.index.astype(str)
        scores = score_scales(frame, cb.construct_items).set_axis(ids.to_numpy())
        drivers = [c for c, con in cb.constructs.items() if len(con.items) > 1]
        return scores, drivers, []

    columns = ", ".join(str(c) for c in frame.columns)
    id_col = next((c for c in dict.fromkeys((member_col, "member_id")) if c in frame.columns), None)
    if id_col is None:
        raise InputError(
            f"The survey has no member id column '{member_col}' to join it to the transactions.",
            file=sv.path,
            column=member_col,
            hint=f"Without a codebook the survey is joined by its '{member_col}' column (named "
            "like the transactions' member_col): rename the survey's member id column, or give "
            f"a codebook whose `id:` names it. Columns: {columns}.",
        )
    ids = frame[id_col]
    for problem, rows in (("missing", ids.isna()), ("duplicated", ids.duplicated())):
        if rows.any():
            row = int(np.flatnonzero(rows.to_numpy())[0]) + 1
            raise InputError(
                f"A member id in the survey is {problem}.",
                file=sv.path,
                column=id_col,
                row=row,
                value=None if problem == "missing" else str(ids.iloc[row - 1]),
                hint="Each survey row must name one member, once.",
            )
    if loyalty_construct not in frame.columns:
        raise InputError(
            f"'{loyalty_construct}' is not a column of the survey (no codebook was given, so "
            "the attitude score must be a column).",
            file=sv.path,
            column=loyalty_construct,
            hint=f"Pass --param loyalty_construct=COLUMN, or give a codebook. Columns: {columns}.",
        )
    score = frame[loyalty_construct]
    if not pd.api.types.is_numeric_dtype(score) or pd.api.types.is_bool_dtype(score):
        bad = pd.to_numeric(score, errors="coerce").isna() & score.notna()
        bad_row = int(np.flatnonzero(bad.to_numpy())[0]) + 1 if bad.any() else None
        raise InputError(
            f"The survey's attitude column '{loyalty_construct}' is not numeric (no codebook "
            "was given, so it is used as it is).",
            file=sv.path,
            column=loyalty_construct,
            row=bad_row,
            value=None if bad_row is None else str(score.iloc[bad_row - 1]),
            hint="Recode it as numbers (leave 'no answer' empty), or give a codebook whose "
            "loyalty construct lists its items.",
        )
    scores = pd.DataFrame(
        {loyalty_construct: score.astype(float).to_numpy()}, index=ids.astype(str)
    )
    note = (
        NO_CODEBOOK_NOTE.removesuffix(".")
        + f": the survey's '{loyalty_construct}' column is the attitude score, and without "
        "constructs there is no attitude model."
    )
    return scores, [], [note]


def preflight(data: str, codebook: str | None, params: dict[str, Any]) -> int:
    """Check the transactions (and members) files, and the survey when one is joined."""
    from workbench.studies.member_analytics import preflight as check_transactions

    n = check_transactions(data, codebook, params)
    survey = params.get("survey") or ""
    if codebook and not survey:
        raise InputError(
            "A codebook was given but no survey: the study uses a codebook only to score the "
            "survey joined with --param survey=FILE.",
            file=codebook,
            hint="Pass --param survey=FILE, or leave out --codebook.",
        )
    if survey:
        survey_scores(
            survey,
            codebook,
            params.get("loyalty_construct") or "loyalty",
            params.get("member_col") or "member_id",
        )
    return n


def read_nps(path: Path, nps_col: str) -> pd.DataFrame:
    """An NPS file (``member_id``, ``date``, the 0-10 answer) checked cell by cell."""
    from workbench.intake.data import ids_as_text, read_table

    frame = read_table(path).frame
    for col in ("member_id", "date", nps_col):
        if col not in frame.columns:
            raise InputError(
                f"The NPS file has no column '{col}'.",
                file=str(path),
                column=col,
                hint="It needs member_id, date and the 0-10 answer (name it with "
                "--param nps_col=NAME); its columns: " + ", ".join(map(str, frame.columns)) + ".",
            )
    dates = pd.to_datetime(frame["date"].astype("string"), errors="coerce", format="ISO8601")
    score = pd.to_numeric(frame[nps_col], errors="coerce")
    bad_score = frame[nps_col].notna() & ~score.between(0, 10)
    for col, bad, what in (
        ("date", dates.isna(), "a date written YYYY-MM-DD"),
        (nps_col, bad_score, "a number from 0 to 10 (or empty)"),
    ):
        if bad.any():
            row = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{int(bad.sum())} value(s) of '{col}' are not {what}.",
                file=str(path),
                column=col,
                row=row + 1,
                value=frame[col].iloc[row],
                hint="Correct or remove those rows.",
            )
    return pd.DataFrame(
        {"member_id": ids_as_text(frame["member_id"]).astype(str), "date": dates, nps_col: score},
        index=frame.index,
    )


def _check_survey_matches(
    survey_ids: pd.Index, log_ids: pd.Series, survey: str, warnings: list[str]
) -> None:
    """Survey respondents must be found in the log; otherwise say so plainly.

    With no respondent in the log every behaviour would be zero, which used to surface
    as 'the outcome is constant' from the attitude model.
    """
    known = set(log_ids.astype(str).unique())
    ids = pd.Index(survey_ids.astype(str))
    found = int(ids.isin(known).sum())
    if found == 0:
        raise InputError(
            f"None of the survey's {len(ids):,} member ids appears in the transaction log "
            f"(survey ids such as {', '.join(map(repr, ids[:3]))}; log ids such as "
            f"{', '.join(map(repr, sorted(known)[:3]))}).",
            file=survey,
            hint="Check that both files use the same member ids (and name the survey's id "
            "column with --param member_col=COLUMN).",
        )
    if found < len(ids):
        warnings.append(
            tr(
                "{missing} of {total} surveyed members have no transaction in the log; they "
                "count as members who bought nothing.",
                missing=format_decimal(len(ids) - found),
                total=format_decimal(len(ids)),
            )
        )


def comparison_groups(
    frame: pd.DataFrame,
    members_df: pd.DataFrame | None,
    members: str,
    treated_col: str,
    treated_file: str,
) -> pd.Series | None:
    """Exposed (True) and comparison (False) members, or None for a before/after design.

    The design is never chosen silently: a members file without ``treated_col`` is an error
    unless ``treated_col`` is set empty (the before/after design is then asked for), and a
    treatment source that marks nobody, or everybody, is an error too.
    """
    from workbench.intake.data import ids_as_text, read_table

    treated = None
    source = ""
    if treated_file and members_df is not None and treated_col in members_df.columns:
        raise InputError(
            f"Two sources say who was exposed: the members file's column '{treated_col}' and "
            f"the treated file '{treated_file}'.",
            file=members,
            column=treated_col,
            hint="Keep one: pass --param treated_col='' to use the treated file, or leave out "
            "treated_file to use the column.",
        )
    if treated_file:
        table = read_table(project_path(treated_file))
        ids = ids_as_text(table.frame.iloc[:, 0].dropna()).astype(str).str.strip()
        all_ids = frame["member_id"].astype(str).unique()
        treated = pd.Series(np.isin(all_ids, ids.to_numpy()), index=all_ids)
        source = f"the treated file '{treated_file}'"
    elif treated_col and members_df is not None:
        if treated_col not in members_df.columns:
            raise InputError(
                f"The members file has no column '{treated_col}' saying who was exposed to the "
                "initiative, so there would be no comparison group.",
                file=members,
                column=treated_col,
                hint="Name the column with --param treated_col=COLUMN (columns: "
                + ", ".join(map(str, members_df.columns))
                + "), list the exposed members with --param treated_file=PATH, or pass "
                "--param treated_col='' to analyse before/after only (no comparison group).",
            )
        treated = _as_flag(members_df.set_index("member_id")[treated_col], treated_col, members)
        source = f"column '{treated_col}' of the members file"
    if treated is not None and (not treated.any() or treated.all()):
        who = "no member" if not treated.any() else "every member"
        raise InputError(
            f"{source[0].upper() + source[1:]} marks {who} of the transaction log as exposed, "
            "so there is no comparison.",
            file=treated_file or members,
            hint="Check that its member ids match the transaction log's, or pass "
            "--param treated_col='' for a before/after analysis without a comparison group.",
        )
    return treated


def analyse(
    data: str,
    codebook: str | None = None,
    *,
    launch_date: str = "",
    members: str = "",
    treated_col: str = "treated",
    treated_file: str = "",
    outcome: ev.Outcome = "frequency",
    model: ev.ModelKind = "poisson",
    period: ev.Period = "month",
    leads: int = 6,
    lags: int = 12,
    survey: str = "",
    loyalty_construct: str = "loyalty",
    nps_file: str = "",
    nps_col: str = "recommend",
    seed: int = 2026,
    **columns: Any,
) -> ProgrammeStudy:
    """Run the programme-evaluation study (parameters as ``workbench list``)."""
    if not launch_date:
        raise InputError(
            "The study needs the initiative's launch date.",
            hint="Pass --param launch_date=YYYY-MM-DD.",
        )
    params = {"members": members, **columns}
    tx = load_transactions(data, params)
    warnings: list[str] = list(tx.warnings)
    frame = tx.table.to_pandas()
    frame["date"] = pd.to_datetime(frame["date"])
    members_df = tx.members.to_pandas() if tx.members is not None else None
    del tx  # its DuckDB tables are not needed from here on (~330 MB for 2.6M rows)

    treated = comparison_groups(frame, members_df, members, treated_col, treated_file)

    # the panel covers the transaction log's own window: months before the log starts are
    # unobserved, not months without purchases
    panel = ev.member_period_panel(
        frame,
        period=period,
        members=members_df,
        start=frame["date"].min(),
        end=frame["date"].max(),
    )
    did = event = its = None
    if treated is not None:
        did = ev.difference_in_differences(
            panel, outcome=outcome, treated=treated, launch_date=launch_date, model=model
        )
        periods = pd.Series(sorted(panel["period"].unique()))
        launch_p = (
            pd.Timestamp(launch_date)
            .to_period({"month": "M", "week": "W", "quarter": "Q"}[period])
            .start_time
        )
        n_post = int((periods >= launch_p).sum())
        n_pre = int((periods < launch_p).sum())
        use_lags, use_leads = min(lags, n_post - 1), min(leads, n_pre - 1)
        if (use_lags, use_leads) != (lags, leads):
            warnings.append(
                tr(
                    "The panel has {n_pre} periods before and {n_post} from launch on, so the "
                    "event study uses {leads} leads and {lags} lags (asked: {asked_leads} and "
                    "{asked_lags}).",
                    n_pre=n_pre,
                    n_post=n_post,
                    leads=use_leads,
                    lags=use_lags,
                    asked_leads=leads,
                    asked_lags=lags,
                )
            )
        leads, lags = use_leads, use_lags
        if did.event is not None and (did.event.leads, did.event.lags) == (leads, lags):
            event = did.event  # the same fit (same panel, model and ci): do not run it twice
        else:
            event = ev.event_study(
                panel,
                outcome=outcome,
                treated=treated,
                launch_date=launch_date,
                leads=leads,
                lags=lags,
                model=model,
            )
        did = dataclasses.replace(did, pretrend_p=event.pretrend_p)
        warnings += list(did.warnings) + [w for w in event.warnings if w not in did.warnings]
        if event.pretrend_p < 0.05:
            warnings.append(
                tr(
                    "Pre-trend test rejects parallel trends ({p}): the groups already diverged "
                    "before launch, so the DiD estimate may be biased.",
                    p=format_p(event.pretrend_p),
                )
            )
    else:
        col = {"frequency": "purchases", "spend": "spend", "retention": "retained"}[outcome]
        series = panel.groupby("period")[col].mean()
        its = ev.interrupted_time_series(series, launch_date)
        warnings.append(its.caveat)

    # attitudinal vs behavioural loyalty
    matrix = attitude = None
    if survey:
        from workbench.drivers.regression import fit_driver_model

        scores, drivers, notes = survey_scores(
            survey, codebook, loyalty_construct, columns.get("member_col") or "member_id"
        )
        warnings += [i18n.translate(n) for n in notes]
        _check_survey_matches(scores.index, frame["member_id"], survey, warnings)
        bought = frame[frame["amount"] > 0]
        months = max(1.0, (frame["date"].max() - frame["date"].min()).days / 30.44)
        rate = bought.groupby("member_id").size().reindex(scores.index, fill_value=0) / months
        revenue = frame.groupby("member_id")["amount"].sum().reindex(scores.index, fill_value=0)
        joined = scores.assign(purchases_per_month=rate, revenue=revenue)
        matrix = ev.loyalty_matrix(
            joined[loyalty_construct], joined["purchases_per_month"], joined["revenue"]
        )
        if drivers:
            attitude = fit_driver_model(joined, "purchases_per_month", drivers, model="ols")
            warnings += [
                tr("Attitude model: {warning}", warning=i18n.translate(w))
                for w in attitude.warnings
            ]

    nps_table = nps_segments = change = None
    if nps_file:
        nps = read_nps(project_path(nps_file), nps_col)
        top = nps[nps_col].max()
        if len(nps) >= 30 and top <= 6:
            warnings.append(
                tr(
                    "The NPS answers in '{column}' go no higher than {top}, so nobody counts as a "
                    "promoter (9-10) and NPS is low by construction: check that the question "
                    "used the 0-10 scale (a 1-5 or 1-7 rating is not an NPS question).",
                    column=nps_col,
                    top=f"{top:g}",
                )
            )
        nps["period"] = nps["date"].dt.to_period("Q").astype(str)
        nps_table = ev.nps_by(nps, nps_col, "period")
        if treated is not None:
            nps["group"] = np.where(
                nps["member_id"].map(treated).fillna(False).astype(bool), "treated", "control"
            )
            nps_segments = ev.nps_by(nps, nps_col, ["period", "group"])
        else:
            nps_segments = nps_table
        periods = list(nps_table.index)
        change = ev.nps_change(
            nps.loc[nps["period"] == periods[0], nps_col],
            nps.loc[nps["period"] == periods[-1], nps_col],
        )

    warnings = [i18n.translate(w) for w in warnings]
    study = ProgrammeStudy(
        parameters={
            "launch_date": launch_date,
            "outcome": outcome,
            "model": model,
            "period": period,
            "leads": leads,
            "lags": lags,
            "survey": survey,
            "loyalty_construct": loyalty_construct,
            "nps_file": nps_file,
            "seed": seed,
        },
        n_members=int(panel["member_id"].nunique()),
        n_treated=int(treated.sum()) if treated is not None else 0,
        did=did,
        event=event,
        its=its,
        matrix=matrix,
        attitude_model=attitude,
        nps_table=nps_table,
        nps_segments=nps_segments,
        nps_change=change,
        findings=(),
        warning_messages=tuple(dict.fromkeys(warnings)),
    )
    return dataclasses.replace(study, findings=tuple(_findings(study)))


def _findings(s: ProgrammeStudy) -> list[str]:
    """The key findings, in the current report language (numbers formatted for its locale)."""
    out = []
    unit = i18n.label(UNITS[s.parameters["outcome"]])
    if s.did is not None:
        d = s.did
        sig = d.p < 0.05
        a, a_lo, a_hi = absolute_effect(d)
        kind = i18n.label(
            "ratio difference in differences (Poisson)"
            if s.parameters.get("model") == "poisson"
            else "difference in differences"
        )
        values = {
            "unit": unit,
            "relative": format_percent(d.relative_effect, 1, sign=True),
            "rel_low": format_percent(d.relative_ci_low, 1, sign=True),
            "rel_high": format_percent(d.relative_ci_high, 1, sign=True),
            "p": format_p(d.p),
            "absolute": f"{a:+.3f}",
            "abs_low": f"{a_lo:+.3f}",
            "abs_high": f"{a_hi:+.3f}",
            "kind": kind,
            "treated": format_decimal(s.n_treated),
            "comparison": format_decimal(s.n_members - s.n_treated),
        }
        text = (
            tr(
                "The initiative raised {unit} by {relative} (95% CI {rel_low} to {rel_high}; "
                "{p}), i.e. {absolute} (95% CI {abs_low} to {abs_high}) against what exposed "
                "members would have done without it ({kind}, {treated} exposed vs {comparison} "
                "comparison members).",
                **values,
            )
            if a > 0
            else tr(
                "The initiative lowered {unit} by {relative} (95% CI {rel_low} to {rel_high}; "
                "{p}), i.e. {absolute} (95% CI {abs_low} to {abs_high}) against what exposed "
                "members would have done without it ({kind}, {treated} exposed vs {comparison} "
                "comparison members).",
                **values,
            )
        )
        if not sig:
            text = tr(
                "{sentence} {next}",
                sentence=text,
                next=tr("The interval includes zero: no reliable effect."),
            )
        out.append(text)
        out.append(
            tr(
                "Before launch the two groups moved in parallel (pre-trend test {p})",
                p=format_p(d.pretrend_p),
            )
            if d.pretrend_p >= 0.05
            else tr(
                "Warning: the groups already diverged before launch ({p}); the design's key "
                "assumption is checked by the event study below.",
                p=format_p(d.pretrend_p),
            )
        )
        h = s.event.horizons.dropna(subset=["estimate"])
        if len(h):
            log = s.parameters.get("model") == "poisson"

            def fmt(v: float) -> str:
                return format_percent(np.exp(v) - 1, sign=True) if log else f"{v:+.3f}"

            parts = [
                tr(
                    "{horizon}: {estimate} [{low}, {high}]",
                    horizon=i18n.label(str(idx)),
                    estimate=fmt(r["estimate"]),
                    low=fmt(r["ci_low"]),
                    high=fmt(r["ci_high"]),
                )
                for idx, r in h.iterrows()
            ]
            out.append(tr("Effect by time since launch: {parts}.", parts=tr("; ").join(parts)))
    if s.its is not None:
        out.append(
            tr(
                "No comparison group was given, so the effect is an interrupted time series of "
                "all members: {caveat}",
                caveat=i18n.translate(s.its.caveat),
            )
        )
    if s.matrix is not None:
        t = s.matrix.table
        parts = [
            tr(
                "{cell} {share} of members ({revenue} of revenue)",
                cell=i18n.label(k.replace("_", " ")),
                share=format_percent(t.loc[k, "share"]),
                revenue=format_percent(t.loc[k, "revenue_share"]),
            )
            for k in t.index
        ]
        out.append(tr("Attitude vs behaviour (Dick & Basu): {parts}.", parts=tr("; ").join(parts)))
    if s.attitude_model is not None:
        c = s.attitude_model.coefficients.set_index("term")
        lc = s.parameters["loyalty_construct"]
        if lc in c.index:
            r = c.loc[lc]
            out.append(
                tr(
                    "Surveyed loyalty predicts purchasing: one point more of {construct} goes "
                    "with {estimate} purchases per month ({p}), the other survey constructs held "
                    "equal.",
                    construct=lc,
                    estimate=f"{r['estimate']:+.3f}",
                    p=format_p(r["p"]),
                )
            )
    if s.nps_table is not None and s.nps_change is not None:
        ch = s.nps_change
        first, last = s.nps_table.index[0], s.nps_table.index[-1]
        out.append(
            tr(
                "NPS moved from {start} ({first}) to {end} ({last}): {difference} points (95% CI "
                "{low} to {high}; {p}).",
                start=f"{ch.nps_a:.0f}",
                first=first,
                end=f"{ch.nps_b:.0f}",
                last=last,
                difference=f"{ch.difference:+.0f}",
                low=f"{ch.ci_low:+.0f}",
                high=f"{ch.ci_high:+.0f}",
                p=format_p(ch.p),
            )
        )
    out.append(
        tr(
            "Limits: the comparison is only as good as the assumption that treated and "
            "comparison members would have kept moving in parallel; members were not randomised "
            "unless the rollout says so, and other changes at the launch date would be "
            "attributed to the initiative."
        )
    )
    return out
