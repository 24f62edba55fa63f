"""The registry of studies: names, notebooks, parameters and default runs.

``workbench list`` prints it; ``workbench run`` validates parameters against
it before anything runs; ``make report`` runs each study's default runs. A
test checks that each notebook's ``parameters`` cell declares exactly these
parameters with these defaults.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import json
import math
import shlex
from pathlib import Path
from typing import Any, Literal

from workbench.errors import InputError
from workbench.safeyaml import load_yaml

PROJECT_ROOT = Path(__file__).resolve().parents[2]
Kind = Literal["int", "float", "bool", "str", "path", "date", "choice", "list", "int_or_auto"]
# required: the method needs constructs; optional: parameters may name plain columns instead;
# not used: the study reads no survey (passing one is an error, so a report never claims it)
CodebookUse = Literal["required", "optional", "not used"]
# Set by `workbench run` in every notebook's parameters cell, besides the study's own.
RUNNER_PARAMS = ("data", "codebook", "output_dir", "command")


def project_path(value: str | Path) -> Path:
    """A path as given, or relative to the project when it does not exist as given.

    Default runs name shipped files like ``data/x.csv``; a notebook kernel may run
    elsewhere, so such a path is looked up under the project root too.
    """
    path = Path(value)
    return PROJECT_ROOT / path if not path.exists() and not path.is_absolute() else path


@dataclasses.dataclass(frozen=True)
class Param:
    """One study parameter: its name, type, default and meaning."""

    name: str
    kind: Kind
    default: Any
    help: str
    choices: tuple[Any, ...] = ()
    minimum: float | None = None
    # inclusive bounds; numbers outside them are refused before any kernel starts
    maximum: float | None = None
    # words of a shared vocabulary (e.g. the missing-data treatments) that this study cannot
    # honour, each with the reason; refused before the run, the reason and the choices said
    refused: tuple[tuple[str, str], ...] = ()
    # a default that depends on another parameter: (that parameter, {its value: default});
    # ``default`` is then "" and ``Study.validate`` fills in the value the run uses
    default_by: tuple[str, tuple[tuple[str, Any], ...]] | None = None

    def _in_range(self, value: Any, bad: Any) -> Any:
        low, high = self.minimum, self.maximum
        if (low is not None and value < low) or (high is not None and value > high):
            if low is not None and high is not None:
                raise bad(f"between {low:g} and {high:g}")
            raise bad(f"at least {low:g}" if low is not None else f"at most {high:g}")
        return value

    @property
    def default_text(self) -> str:
        """The default as ``workbench list`` shows it (a dependent default spelled out)."""
        if self.default_by is not None:
            other, table = self.default_by
            return ", ".join(f"{v} with {other}={k}" for k, v in table)
        return repr(self.default)

    @property
    def type_text(self) -> str:
        if self.kind == "choice":
            # "" as a choice: the default depends on another parameter (said in the help)
            return " | ".join(str(c) for c in self.choices if c != "")
        if self.kind == "int_or_auto":
            return "int | auto"
        if self.kind == "list":
            return "list"
        if self.minimum is not None and self.maximum is not None:
            return f"{self.kind}, {self.minimum:g} to {self.maximum:g}"
        if self.minimum is not None:
            return f"{self.kind}, at least {self.minimum:g}"
        return self.kind

    def parse(self, value: Any, *, study: str) -> Any:
        """Check a (YAML-parsed) value; raise :class:`InputError` if it has the wrong type."""

        def bad(expected: str) -> InputError:
            return InputError(
                f"Parameter '{self.name}' of study '{study}' must be {expected}, not {value!r}.",
                hint=f"{self.name}: {self.help} (default: {self.default_text}).",
            )

        kind = self.kind
        if kind == "int_or_auto" and value == "auto":
            return value
        if kind in ("int", "int_or_auto"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise bad("a whole number" + (" or 'auto'" if kind == "int_or_auto" else ""))
            return self._in_range(value, bad)
        if kind == "float":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise bad("a number")
            if not math.isfinite(value):
                raise bad("a finite number")
            return self._in_range(float(value), bad)
        if kind == "date":
            if value is None or value == "":
                return ""
            try:
                return dt.date.fromisoformat(str(value)).isoformat()
            except ValueError:
                raise bad("a real date written YYYY-MM-DD (e.g. 2025-01-01)") from None
        if kind == "bool":
            if not isinstance(value, bool):
                raise bad("true or false")
            return value
        if kind == "choice":
            why = dict(self.refused).get(value) if isinstance(value, str) else None
            if why is not None:
                raise InputError(
                    f"Study '{study}' cannot honour {self.name}={value}: {why}.",
                    hint=f"It can: {', '.join(str(c) for c in self.choices)} "
                    f"(default: {self.default_text}). {self.name}: {self.help}.",
                )
            if value not in self.choices:
                raise bad("one of " + ", ".join(str(c) for c in self.choices))
            return value
        if kind == "list":
            if value is None or value == "":
                return []
            if isinstance(value, str):
                value = [value]
            if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
                raise bad("a list such as [trust, value]")
            return [str(v) for v in value]
        if value is None:
            return None
        if isinstance(value, (dt.date, dt.datetime)):  # YAML reads 2025-01-01 as a date
            return value.isoformat()
        if not isinstance(value, (str, int, float)):
            raise bad("text")
        return str(value)


@dataclasses.dataclass(frozen=True)
class DefaultRun:
    """A run that ``make report`` performs on shipped data."""

    data: str
    codebook: str | None
    params: dict[str, Any] = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class Study:
    """A study: a notebook plus its parameter contract."""

    name: str
    title: str
    description: str
    notebook: str
    params: tuple[Param, ...]
    codebook_use: CodebookUse = "required"
    # why, in a few words: shown by `workbench list` and in the error when it is misused
    codebook_why: str = ""
    default_runs: tuple[DefaultRun, ...] = ()
    # "module:function" called as f(data, codebook, params) to check the inputs before a
    # kernel starts; None means: load the survey (with its codebook, if one is given)
    preflight: str | None = None

    @property
    def codebook_text(self) -> str:
        """``codebook: required | optional | not used`` with the reason, for ``workbench list``."""
        return f"codebook: {self.codebook_use}" + (
            f" ({self.codebook_why})" if self.codebook_why else ""
        )

    @property
    def notebook_path(self) -> Path:
        path = Path(self.notebook)
        return path if path.is_absolute() else PROJECT_ROOT / "notebooks" / path

    def param(self, name: str) -> Param:
        for p in self.params:
            if p.name == name:
                return p
        raise KeyError(name)

    @property
    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def validate(self, raw: dict[str, Any]) -> dict[str, Any]:
        """Parse and check parameters; return the full set with defaults filled in.

        ``raw`` maps names to values already parsed from YAML text (see
        :func:`parse_param_args`). Unknown names and wrong types raise
        :class:`InputError` listing the accepted parameters.
        """
        names = [p.name for p in self.params]
        for key in raw:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                did = f" Did you mean '{close[0]}'?" if close else ""
                raise InputError(
                    f"Unknown parameter '{key}' for study '{self.name}'.{did}",
                    hint="Accepted parameters: "
                    + "; ".join(
                        f"{p.name} ({p.type_text}, default {p.default_text})" for p in self.params
                    )
                    + ". See `workbench list`.",
                )
        out = self.defaults
        for key, value in raw.items():
            out[key] = self.param(key).parse(value, study=self.name)
        for p in self.params:
            if p.default_by is not None and out[p.name] == "":
                other, table = p.default_by
                out[p.name] = dict(table).get(out[other], "")
                if out[p.name] == "":
                    raise ValueError(f"no default of {p.name!r} for {other}={out[other]!r}")
        return out

    def command(self, data: str, codebook: str | None, params: dict[str, Any]) -> str:
        """The exact ``workbench run`` command that reproduces a run."""
        argv = ["workbench", "run", self.name, "--data", str(data)]
        if codebook:
            argv += ["--codebook", str(codebook)]
        for key, value in params.items():
            text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else value
            argv += ["--param", f"{key}={text}"]
        return shlex.join(argv)


def parse_param_args(pairs: list[str]) -> dict[str, Any]:
    """Parse ``KEY=VALUE`` strings; each VALUE is read as YAML.

    >>> parse_param_args(["n_factors=5", "drivers=[trust, value]", "cfa=false"])
    {'n_factors': 5, 'drivers': ['trust', 'value'], 'cfa': False}
    """
    out: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise InputError(
                f"Parameter '{pair}' is not of the form KEY=VALUE.",
                hint="Write e.g. --param n_factors=5 or --param drivers=[trust,value].",
            )
        if key in out:
            raise InputError(
                f"Parameter '{key}' is given twice (--param {key}=...).",
                hint="Give each parameter once; a list parameter takes a YAML list, e.g. "
                "--param 'drivers=[trust, value]'.",
            )
        # strict YAML: 1e9 is a number, yes/no/on/off stay text, dates stay text (checked by
        # the parameter's own type), duplicate keys and aliases are refused
        out[key] = (
            load_yaml(text, source=f"parameter '{key}'", what="parameter") if text.strip() else ""
        )
    return out


#: The missing-data treatments: one vocabulary for every survey study (issue 16). A study
#: lists the words it honours (``missing_param``); the others are refused before the run with
#: the reason and the list of those it can.
MISSING_TREATMENTS: dict[str, str] = {
    "listwise": "analyses the respondents who answered every variable the analysis uses (one "
    "sample for all analyses; reproduces R's complete-case results)",
    "pairwise": "uses every available pair of answers for each correlation (nothing imputed)",
    "fiml": "full-information maximum likelihood: every respondent with an answer counts "
    "(lavaan missing='ml'); methods that start from a correlation matrix use the EM "
    "(maximum-likelihood) correlations",
    "mi": "multiple imputation by chained equations (m completed data sets: predictive mean "
    "matching for items and numbers, logistic and polytomous models for categories), each "
    "analysed, then pooled by Rubin's rules",
    "mean": "item-mean replacement, the PLS-SEM convention (SmartPLS, seminr), counted in the "
    "report",
}


def missing_param(
    default: str,
    honoured: dict[str, str],
    refused: dict[str, str],
    *,
    extra: dict[str, str] | None = None,
    default_by: tuple[str, dict[str, str]] | None = None,
) -> Param:
    """The ``missing`` parameter of a survey study, in the shared vocabulary.

    Parameters
    ----------
    default : str
        The default treatment (one of ``honoured``), or ``""`` when it depends on another
        parameter (say which in ``honoured``'s notes).
    honoured : dict
        Treatment -> what it means in this study (appended to the shared meaning; may be
        ``""``).
    refused : dict
        Every other word of :data:`MISSING_TREATMENTS` -> why this study cannot honour it.
    extra : dict, optional
        Study-specific words kept from earlier releases -> their meaning.
    default_by : (str, dict), optional
        With ``default=""``: the parameter that decides the default and the default for
        each of its values (e.g. ``("method", {"ml": "fiml", "pls": "mean"})``).
    """
    extra = extra or {}
    words = set(honoured) | set(refused)
    if words != set(MISSING_TREATMENTS) or set(honoured) & set(refused):
        raise ValueError("honoured and refused must split the missing-data vocabulary")
    if default and default not in honoured and default not in extra:
        raise ValueError(f"default {default!r} is not honoured")
    order = [w for w in MISSING_TREATMENTS if w in honoured]
    parts = [
        f"{w}: {MISSING_TREATMENTS[w]}" + (f"; {honoured[w]}" if honoured[w] else "") for w in order
    ] + [f"{w}: {text}" for w, text in extra.items()]
    return Param(
        "missing",
        "choice",
        default,
        "missing-data treatment. "
        + ". ".join(parts)
        + ". Not here: "
        + "; ".join(f"{w} ({why})" for w, why in refused.items()),
        choices=(*order, *extra, *(("",) if not default else ())),
        refused=tuple(refused.items()),
        default_by=None if default_by is None else (default_by[0], tuple(default_by[1].items())),
    )


SHEET = Param(
    "sheet",
    "str",
    "",
    "worksheet of an XLSX data file to read (needed when the workbook has several sheets)",
)
# 100,000 resamples already give percentile limits to three decimals; more only costs hours
MAX_BOOTSTRAP = 100_000
SEED = Param("seed", "int", 2026, "random seed for every resampling step", minimum=0)

FACTOR_ANALYSIS = Study(
    name="factor-analysis",
    title="Survey factor analysis: screening, EFA, reliability and validity",
    description="Do the questionnaire items measure the intended constructs, reliably?",
    notebook="factor-analysis.ipynb",
    codebook_why="reliability, the factor-to-construct map and the CFA need items grouped into "
    "constructs",
    preflight="workbench.studies.factor_analysis:preflight",
    params=(
        Param(
            "n_factors",
            "int_or_auto",
            "auto",
            "factors to extract; auto uses parallel analysis on the reduced correlation matrix",
            minimum=1,
        ),
        Param(
            "method",
            "choice",
            "minres",
            "EFA extraction: minres (minimum residual), ml (maximum likelihood), pa (principal axis)",
            choices=("minres", "ml", "pa"),
        ),
        Param(
            "rotation",
            "choice",
            "oblimin",
            "EFA rotation; oblique ones (promax, oblimin, quartimin, geomin) let factors correlate",
            choices=("none", "varimax", "promax", "oblimin", "quartimin", "geomin"),
        ),
        missing_param(
            "fiml",
            {
                "listwise": "",
                "pairwise": "KMO, Bartlett, parallel analysis, EFA and reliability from "
                "pairwise correlations; the CFA on complete cases",
                "fiml": "the CFA by FIML; KMO, Bartlett, parallel analysis, EFA, alpha and "
                "omega from the EM correlations",
            },
            {
                "mi": "every model of this study is fitted by maximum likelihood or from a "
                "correlation matrix, where fiml uses the same information without the "
                "randomness of imputation; use fiml",
                "mean": "item-mean replacement shrinks variances and correlations (a PLS-SEM "
                "convention only); use fiml",
            },
        ),
        Param(
            "correlation",
            "choice",
            "pearson",
            "correlations the EFA starts from; polychoric suits Likert items",
            choices=("pearson", "polychoric"),
        ),
        Param("cfa", "bool", True, "fit a CFA of the codebook's constructs (validity)"),
        Param(
            "estimator",
            "choice",
            "ml",
            "the CFA's estimator (lavaan's names): ml (maximum likelihood, the items as "
            "continuous); mlr (robust maximum likelihood: the ML estimates with Huber-White "
            "standard errors, the Yuan-Bentler scaled chi-square and robust CFI/TLI/RMSEA, for "
            "non-normal answers; with missing=fiml, listwise or pairwise); wlsmv (the items as "
            "ordered: thresholds and polychoric correlations, diagonally weighted least "
            "squares with robust standard errors and the scaled-shifted chi-square, as lavaan "
            "and Mplus; suits Likert items with few "
            "categories or skewed answers); dwls (the same estimates with standard errors and "
            "test that ignore the sampling variability beyond the weights); ulsmv (unweighted "
            "least squares with robust standard errors and the scaled-shifted test); uls (the "
            "same estimates with standard errors and test of unweighted least squares, no "
            "p-value, as lavaan's ULS). The ordinal ones use complete cases: they need "
            "missing=listwise",
            choices=("ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls"),
        ),
        Param(
            "ordered",
            "list",
            "auto",
            "which items an ordinal estimator treats as ordered: auto (every CFA item, when "
            "the codebook's answer scale has at most 7 points: ordinal estimators need items "
            "with at most 7 categories; without a scale, the items with at most 7 categories, "
            "the others continuous), all (every CFA item whatever the scale, each with 2 to "
            "7 observed categories), none (no item: only with estimator=ml or mlr, which "
            "ignore this parameter), or the list of the ordered items as lavaan's ordered= "
            "(e.g. [q1, q2, q3]; CFA items left out are continuous: means, variances, "
            "Pearson and polyserial correlations, delta parameterization only)",
        ),
        Param(
            "parameterization",
            "choice",
            "delta",
            "how an ordinal estimator scales the items' latent responses (lavaan's "
            "parameterization): delta (unit total variances, the default) or theta (unit "
            "residual variances); the fit and the standardized solution are the same. Only "
            "with estimator=wlsmv, dwls or ulsmv (not uls)",
            choices=("delta", "theta"),
        ),
        Param(
            "split_half",
            "bool",
            False,
            "EFA on a random half of the respondents and CFA on the other half (uses seed)",
        ),
        Param(
            "ci",
            "float",
            0.95,
            "confidence level of the reliability intervals",
            minimum=0.5,
            maximum=0.999,
        ),
        Param(
            "straightline_min_items",
            "int",
            5,
            "flag respondents who gave one identical answer to at least this many items",
            minimum=2,
        ),
        Param(
            "pa_iterations",
            "int",
            100,
            "simulated data sets in parallel analysis",
            minimum=10,
            maximum=10_000,
        ),
        SEED,
        SHEET,
        Param(
            "replication",
            "path",
            "",
            "optional JSON of reference values computed by R (e.g. data/bfi.psych_reference.json);"
            " the report then shows our values beside them",
        ),
    ),
    default_runs=(
        DefaultRun("data/loyalty_survey.csv", "data/loyalty_survey.codebook.yaml"),
        DefaultRun("data/customer_sat.csv", "data/customer_sat.codebook.yaml"),
        DefaultRun(
            "data/bfi.csv",
            "data/bfi.codebook.yaml",
            # psych's reference values are complete-case (listwise) results
            {
                "n_factors": 5,
                "missing": "listwise",
                "replication": "data/bfi.psych_reference.json",
            },
        ),
    ),
)

LOYALTY_DRIVERS = Study(
    name="loyalty-drivers",
    title="Loyalty drivers: what moves loyalty, by how much, for whom, and what to fix first",
    description="Regression families, relative importance with bootstrap CIs, mediation, "
    "moderation, segments and importance-performance analysis.",
    notebook="loyalty-drivers.ipynb",
    codebook_use="optional",
    codebook_why="constructs are scored from its items; without one, outcome, drivers, "
    "controls, mediator, moderator, x and by name columns of the data, used as they are",
    preflight="workbench.studies.loyalty_drivers:preflight",
    params=(
        Param("outcome", "str", "loyalty", "outcome: a codebook construct or a data column"),
        Param(
            "drivers",
            "list",
            [],
            "drivers (constructs or columns); empty means every other multi-item construct "
            "(so without a codebook, name them)",
        ),
        Param("controls", "list", [], "control variables entered first (hierarchical entry)"),
        Param(
            "model",
            "choice",
            "auto",
            "model family; auto picks logit for a binary outcome, ordinal logit for a single "
            "Likert item, OLS otherwise",
            choices=("auto", "ols", "ordinal", "logit"),
        ),
        Param("robust", "bool", False, "HC3 heteroscedasticity-robust standard errors (OLS)"),
        Param(
            "mediator",
            "list",
            [],
            "mediator(s) of the effect of x on the outcome (PROCESS model 4; several = parallel)",
        ),
        Param("moderator", "str", "", "moderator of the effect of x (PROCESS model 1)"),
        Param(
            "x",
            "str",
            "",
            "focal driver for mediation and moderation; empty means the first driver that is "
            "not a mediator or moderator",
        ),
        Param("by", "str", "", "segment column (e.g. member tier): driver model per segment"),
        Param(
            "scoring",
            "choice",
            "mean",
            "construct scores: mean of items, or regression factor scores",
            choices=("mean", "factor"),
        ),
        Param(
            "bootstrap",
            "int",
            1000,
            "bootstrap resamples for every interval",
            minimum=100,
            maximum=MAX_BOOTSTRAP,
        ),
        SEED,
        SHEET,
        missing_param(
            "mi",
            {
                "listwise": "a construct is scored only when all its items are answered",
                "fiml": "constructs scored when all their items are answered, then the OLS "
                "driver model by FIML (lavaan sem(missing='ml', fixed.x=FALSE)), relative "
                "importance and mediation from the EM moments with EM re-run in every "
                "bootstrap resample; for a linear model without moderator or segments (else "
                "use mi)",
                "mi": "items and plain columns imputed (m data sets, parameter m), construct "
                "scores computed after imputation; coefficients, mediation and moderation "
                "pooled by Rubin's rules, relative importance averaged with bootstrap "
                "resamples pooled over the imputations",
            },
            {
                "pairwise": "a regression needs one sample of respondents: pairwise "
                "correlations can be inconsistent and have no standard errors; use fiml or mi",
                "mean": "item-mean replacement shrinks variances and biases the "
                "coefficients; use fiml or mi",
            },
            extra={
                "available": "(kept from earlier releases) a construct is scored from the "
                "answered items when at least half are answered (person-mean scoring), then "
                "listwise"
            },
        ),
        Param(
            "auxiliary",
            "list",
            [],
            "variables outside the models that carry information on the missing answers "
            "(e.g. other constructs, age): saturated correlates under missing=fiml (Graham "
            "2003, lavaan's auxiliary), extra predictors of the imputations under missing=mi",
        ),
        Param(
            "m",
            "int",
            20,
            "imputations with missing=mi (van Buuren's advice: at least the percentage of "
            "incomplete respondents)",
            minimum=2,
            maximum=200,
        ),
    ),
    default_runs=(
        DefaultRun(
            "data/loyalty_survey.csv",
            "data/loyalty_survey.codebook.yaml",
            {
                "outcome": "loyalty",
                "drivers": ["trust", "satisfaction", "belonging", "value"],
                "by": "tier",
                "mediator": ["satisfaction"],
                "x": "value",
            },
        ),
        DefaultRun(
            "data/corp_rep.csv",
            "data/corp_rep.codebook.yaml",
            {
                "outcome": "loyalty",
                "drivers": ["satisfaction", "competence", "likeability"],
                "by": "serviceprovider",
            },
        ),
    ),
)

EXPERIENCE_ECONOMY = Study(
    name="experience-economy",
    title="Experience economy: the four realms, memory, satisfaction and loyalty",
    description="Pine & Gilmore's four realms as a structural model (ML SEM or PLS-SEM): "
    "measurement, competing models, paths and indirect effects, invariance across groups, "
    "cross-channel consistency.",
    notebook="experience-economy.ipynb",
    codebook_why="the CFA and SEM (or the PLS path model) treat the realms, memory, "
    "satisfaction and loyalty as constructs measured by their items",
    params=(
        Param(
            "paths",
            "str",
            "",
            "structural part in lavaan syntax (e.g. 'memory ~ education + esthetics; loyalty ~ "
            "memory'); empty means realms -> memory -> satisfaction -> loyalty",
        ),
        Param(
            "method",
            "choice",
            "ml",
            "estimator of the structural model: ml (covariance-based SEM by maximum "
            "likelihood, latent constructs) or pls (PLS-SEM of the same paths between "
            "reflective Mode A composites, SEs, p and 95% percentile CIs of paths, R² and "
            "indirect effects from the bootstrap); model comparison and invariance stay ML CFAs",
            choices=("ml", "pls"),
        ),
        Param(
            "estimator",
            "choice",
            "ml",
            "with method=ml, the estimator of the CFA, the SEM, the competing models and the "
            "invariance tests (lavaan's names): ml (maximum likelihood, items as continuous); "
            "mlr (the ML estimates with Huber-White standard errors, the Yuan-Bentler scaled "
            "chi-square and robust CFI/TLI/RMSEA, for non-normal answers); wlsmv (the items as "
            "ordered: thresholds and polychoric correlations, DWLS with robust standard errors "
            "and the scaled-shifted chi-square, as lavaan and Mplus; invariance across group "
            "as Wu & Estabrook 2016); dwls (the WLSMV estimates with standard, non-robust "
            "standard errors and the standard chi-square, as lavaan's DWLS); ulsmv (unweighted "
            "least squares with robust standard errors and the scaled-shifted chi-square); uls "
            "(unweighted least squares with standard errors and the standard statistic, no "
            "p-value, as lavaan's ULS). The ordinal ones (wlsmv, dwls, ulsmv, uls) need "
            "missing=listwise; their invariance tests across group are WLSMV's",
            choices=("ml", "mlr", "wlsmv", "dwls", "ulsmv", "uls"),
        ),
        Param(
            "ordered",
            "list",
            "auto",
            "which items an ordinal estimator (wlsmv, dwls, ulsmv, uls) treats as ordered: auto "
            "(every model item, when the codebook's answer scale has at most 7 points), all "
            "(every model item whatever the scale, each with 2 to 7 answer categories), none "
            "(refused with an ordinal estimator; ml and mlr treat items as continuous), or the "
            "list of the ordered items as lavaan's ordered= (e.g. [ED1, ED2, ...]; model items "
            "left out are continuous: means, variances, Pearson and polyserial correlations)",
        ),
        Param(
            "compare_models",
            "bool",
            True,
            "compare four correlated realms, edutainment (3 factors) and a second-order "
            "experience factor",
        ),
        Param("group", "str", "", "column for measurement invariance (e.g. venue, channel, tier)"),
        Param(
            "channels",
            "list",
            [],
            "[online_construct, offline_construct] for the cross-channel consistency analysis",
        ),
        Param(
            "outcome",
            "str",
            "loyalty",
            "final outcome for the realms' importance and the consistency analysis",
        ),
        Param(
            "bootstrap",
            "int",
            1000,
            "bootstrap resamples for the indirect effects (ml), or for every path, R² and "
            "indirect effect (pls)",
            minimum=100,
            maximum=MAX_BOOTSTRAP,
        ),
        SEED,
        SHEET,
        missing_param(
            "",
            {
                "listwise": "either method",
                "fiml": "method=ml only, its default: the CFA, the structural model, the "
                "competing models and invariance by FIML; indirect effects with delta-method "
                "intervals",
                "mean": "method=pls only, its default",
            },
            {
                "pairwise": "an ML SEM fitted to a pairwise covariance matrix has no single "
                "sample size for its tests and standard errors; use fiml",
                "mi": "for these ML models fiml uses the same information without the "
                "randomness of imputation; use fiml",
            },
            default_by=("method", {"ml": "fiml", "pls": "mean"}),
        ),
    ),
    preflight="workbench.studies.experience_economy:preflight",
    default_runs=(
        DefaultRun(
            "data/loyalty_survey.csv",
            "data/loyalty_survey.codebook.yaml",
            {"group": "channel", "channels": ["online_experience", "offline_experience"]},
        ),
    ),
)

# transaction files (member-analytics, programme-evaluation)
MEMBER_COL = Param("member_col", "str", "member_id", "column holding the member id")
DATE_COL = Param("date_col", "str", "date", "column holding the purchase date or timestamp")
AMOUNT_COL = Param("amount_col", "str", "amount", "column holding the amount spent")
REFUNDS = Param(
    "refunds",
    "choice",
    "error",
    "negative amounts: error stops the run; net keeps them to net revenue (not counted "
    "as purchases); drop leaves them out (reported)",
    choices=("error", "net", "drop"),
)

MEMBER_ANALYTICS = Study(
    name="member-analytics",
    title="Member analytics: loyalty KPIs, cohorts, RFM segments, tiers, CLV and churn risk",
    description="Behavioural loyalty from a transactions file (no codebook needed).",
    notebook="member-analytics.ipynb",
    codebook_use="not used",
    codebook_why="it reads a transactions file, not a survey",
    preflight="workbench.studies.member_analytics:preflight",
    params=(
        MEMBER_COL,
        DATE_COL,
        AMOUNT_COL,
        Param("order_col", "str", "", "order id column (purchases = distinct orders)"),
        Param("channel_col", "str", "", "channel column (optional)"),
        Param("store_col", "str", "", "store column (optional)"),
        Param("points_earned_col", "str", "", "points earned column (optional)"),
        Param("points_redeemed_col", "str", "", "points redeemed column (optional)"),
        Param("members", "path", "", "members file: member_id, join_date, tier, ... (optional)"),
        Param("tier_history", "path", "", "tier history file: member_id, date, tier (optional)"),
        REFUNDS,
        Param(
            "period",
            "choice",
            "month",
            "KPI and cohort period",
            choices=("week", "month", "quarter", "year"),
        ),
        Param(
            "inactivity_periods",
            "int",
            3,
            "periods without a purchase after which a member counts as churned",
            minimum=1,
        ),
        Param(
            "holdout_days",
            "int",
            180,
            "holdout period for the CLV model check",
            minimum=30,
            maximum=3650,
        ),
        Param("clv_horizon", "int", 12, "CLV horizon in 30-day periods", minimum=1, maximum=600),
        Param(
            "discount_rate",
            "float",
            0.01,
            "CLV discount rate per period (0.01 = 1%)",
            minimum=0,
            maximum=1,
        ),
        Param(
            "churn_window_days",
            "int",
            90,
            "churn label: no purchase within this window",
            minimum=7,
            maximum=3650,
        ),
        Param("churn_model", "choice", "logit", "churn classifier", choices=("logit", "gbm")),
        SEED,
        Param(
            "engine",
            "choice",
            "duckdb",
            "aggregation engine: embedded DuckDB, or a Spark session (needs pyspark and Java)",
            choices=("duckdb", "spark"),
        ),
    ),
    default_runs=(
        DefaultRun(
            "data/loyalty_transactions.csv",
            None,
            {
                "order_col": "order_id",
                "channel_col": "channel",
                "points_earned_col": "points_earned",
                "points_redeemed_col": "points_redeemed",
                "members": "data/loyalty_members.csv",
                "tier_history": "data/loyalty_tier_history.csv",
                "refunds": "net",
            },
        ),
        DefaultRun("data/cdnow_transactions.csv", None, {}),
    ),
)

PROGRAMME_EVALUATION = Study(
    name="programme-evaluation",
    title="Programme evaluation: did the loyalty initiative work, and does attitude show in "
    "behaviour?",
    description="Difference in differences with an event study, attitudinal vs behavioural "
    "loyalty (Dick & Basu), and NPS tracking with intervals.",
    notebook="programme-evaluation.ipynb",
    codebook_use="optional",
    codebook_why="only with `survey`, whose constructs it scores; without one, "
    "loyalty_construct names a column of the survey, used as it is",
    preflight="workbench.studies.programme_evaluation:preflight",
    params=(
        Param("launch_date", "date", "", "date the initiative started (YYYY-MM-DD)"),
        Param("members", "path", "", "members file (member_id, join_date, tier, treated, ...)"),
        Param(
            "treated_col",
            "str",
            "treated",
            "members-file column: exposed to the initiative; '' for a before/after analysis "
            "without a comparison group",
        ),
        Param("treated_file", "path", "", "alternatively, a file listing the exposed member_ids"),
        Param(
            "outcome",
            "choice",
            "frequency",
            "frequency (purchases per member-period), spend, or retention",
            choices=("frequency", "spend", "retention"),
        ),
        Param(
            "model",
            "choice",
            "poisson",
            "poisson: ratio difference in differences (parallel trends in logs; suits counts "
            "and spend that change proportionally); linear: parallel trends in levels",
            choices=("poisson", "linear"),
        ),
        Param("period", "choice", "month", "panel period", choices=("week", "month", "quarter")),
        Param("leads", "int", 6, "event-study periods before launch", minimum=2, maximum=120),
        Param("lags", "int", 12, "event-study periods after launch", minimum=1, maximum=120),
        Param("survey", "path", "", "survey file to join by member id (attitudinal loyalty)"),
        Param(
            "loyalty_construct",
            "str",
            "loyalty",
            "the survey's loyalty construct (without a codebook: a numeric column of the survey)",
        ),
        Param("nps_file", "path", "", "file of dated 0-10 recommend scores (NPS tracking)"),
        Param("nps_col", "str", "recommend", "the 0-10 recommend column"),
        MEMBER_COL,
        DATE_COL,
        AMOUNT_COL,
        REFUNDS,
        SEED,
    ),
    default_runs=(
        DefaultRun(
            "data/programme_transactions.csv",
            "data/loyalty_survey.codebook.yaml",
            {
                "launch_date": "2025-01-01",
                "members": "data/programme_members.csv",
                "survey": "data/loyalty_survey.csv",
                "nps_file": "data/programme_nps.csv",
                "refunds": "net",
            },
        ),
    ),
)

# Hair et al.'s corporate-reputation models (PLS-SEM primer) on data/corp_rep.csv
_CORP_REP_SIMPLE = (
    "satisfaction ~ competence + likeability; loyalty ~ competence + likeability + satisfaction"
)
_CORP_REP_EXTENDED = (
    "competence ~ quality + performance + csr + attractiveness; "
    "likeability ~ quality + performance + csr + attractiveness; " + _CORP_REP_SIMPLE
)
# the ECSI model of Tenenhaus et al. (2005) on data/mobi.csv
_ECSI = (
    "expectation ~ image; quality ~ expectation; value ~ expectation + quality; "
    "satisfaction ~ image + expectation + quality + value; complaints ~ satisfaction; "
    "loyalty ~ image + satisfaction + complaints"
)

PLS_SEM = Study(
    name="pls-sem",
    title="PLS-SEM: a partial least squares path model and its assessment",
    description="PLS or consistent PLS path modelling (SmartPLS/seminr conventions) with the "
    "measurement and structural assessment of Hair et al.'s primer.",
    notebook="pls-sem.ipynb",
    codebook_use="optional",
    codebook_why="`paths` name its constructs, whose items form the measurement blocks; with "
    "`model` in lavaan syntax the items are data columns (a codebook still supplies missing "
    "codes and labels)",
    preflight="workbench.studies.pls_sem:preflight",
    params=(
        Param(
            "model",
            "str",
            "",
            "the whole model in lavaan syntax as cSEM reads it: 'A =~ a1 + a2' reflective, "
            "'B <~ b1 + b2' formative, 'Y ~ A + B' paths (statements separated by ';')",
        ),
        Param(
            "paths",
            "str",
            "",
            "alternatively, structural paths between codebook constructs, e.g. "
            "'satisfaction ~ quality; loyalty ~ satisfaction'",
        ),
        Param(
            "formative",
            "list",
            [],
            "with `paths`: constructs measured formatively (Mode B composites)",
        ),
        Param(
            "estimator",
            "choice",
            "pls",
            "pls: composites with PLS weights (SmartPLS's default); plsc: consistent PLS, "
            "correcting reflective constructs for measurement error (seminr's default)",
            choices=("pls", "plsc"),
        ),
        Param(
            "inner_weighting",
            "choice",
            "path",
            "inner weighting scheme of the PLS algorithm",
            choices=("path", "factor", "centroid"),
        ),
        missing_param(
            "mean",
            {"mean": "", "listwise": ""},
            {
                "pairwise": "the PLS bootstrap and PLSpredict resample and fold respondents, "
                "so they need one sample; use mean or listwise",
                "fiml": "PLS-SEM has no likelihood; use mean or listwise (or the "
                "experience-economy or factor-analysis studies for ML SEM with fiml)",
                "mi": "PLS-SEM's inference is its bootstrap, and SmartPLS and seminr have no "
                "convention for pooling it over imputations; use mean or listwise",
            },
        ),
        Param(
            "target",
            "str",
            "",
            "the outcome the findings speak of; empty means the model's final construct",
        ),
        Param(
            "redundancy",
            "list",
            [],
            "redundancy analyses of formative constructs, as CONSTRUCT=GLOBAL_ITEM (a column "
            "asking for the construct as a whole), e.g. [quality=qual_global]",
        ),
        Param(
            "interaction_method",
            "choice",
            "two_stage",
            "moderation terms X:M in the paths: two_stage (product of stage-1 construct "
            "scores, seminr's default), orthogonal (residual-centred indicator products) or "
            "product_indicator",
            choices=("two_stage", "orthogonal", "product_indicator"),
        ),
        Param(
            "hoc_method",
            "choice",
            "two_stage",
            "higher-order constructs (a construct measured by constructs in `model`): the "
            "disjoint two-stage approach or repeated indicators",
            choices=("two_stage", "repeated_indicators"),
        ),
        Param(
            "group",
            "str",
            "",
            "a column of groups to compare: MICOM (measurement invariance of composites) and "
            "multigroup analysis of every path",
        ),
        Param(
            "permutations",
            "int",
            1000,
            "permutations for MICOM and the permutation test of group differences",
            minimum=100,
            maximum=MAX_BOOTSTRAP,
        ),
        Param(
            "bootstrap",
            "int",
            5000,
            "bootstrap resamples for every interval and test (seminr's and SmartPLS's 5,000)",
            minimum=100,
            maximum=MAX_BOOTSTRAP,
        ),
        Param(
            "ci",
            "float",
            0.95,
            "confidence level of the bootstrap intervals",
            minimum=0.5,
            maximum=0.999,
        ),
        SEED,
        Param(
            "predict_folds",
            "int",
            10,
            "PLSpredict: folds of the cross-validation (Shmueli et al. 2019 use 10)",
            minimum=2,
            maximum=100,
        ),
        Param(
            "predict_repeats",
            "int",
            10,
            "PLSpredict: repetitions with new random folds",
            minimum=1,
            maximum=1000,
        ),
        SHEET,
    ),
    default_runs=(
        DefaultRun("data/corp_rep.csv", "data/corp_rep.codebook.yaml", {"paths": _CORP_REP_SIMPLE}),
        DefaultRun(
            "data/corp_rep.csv",
            "data/corp_rep.codebook.yaml",
            {
                "paths": _CORP_REP_EXTENDED,
                "formative": ["quality", "performance", "csr", "attractiveness"],
                "redundancy": [
                    "quality=qual_global",
                    "performance=perf_global",
                    "csr=csor_global",
                    "attractiveness=attr_global",
                ],
            },
        ),
        DefaultRun("data/mobi.csv", "data/mobi.codebook.yaml", {"paths": _ECSI}),
    ),
)

SEGMENTATION = Study(
    name="segmentation",
    title="Segmentation: who are our members? Latent profiles, latent classes or k-means",
    description="Segments found in the answers (latent profile analysis with mclust's "
    "covariance models, latent class analysis of Likert or categorical items, or k-means): how "
    "many, who they are, whether they replicate, and how they relate to tier or channel.",
    notebook="segmentation.ipynb",
    codebook_use="optional",
    codebook_why="constructs are scored from its items (with method=lca, they stand for their "
    "items); without one, `variables` name columns of the data, used as they are",
    preflight="workbench.studies.segmentation:preflight",
    params=(
        Param(
            "variables",
            "list",
            [],
            "constructs and/or numeric columns to segment on; empty means every multi-item "
            "construct (so without a codebook, name them)",
        ),
        Param(
            "standardize",
            "bool",
            True,
            "z-score each variable first, so that variables on different scales weigh alike",
        ),
        missing_param(
            "listwise",
            {
                "listwise": "respondents missing a segmentation variable are in no segment "
                "(counted in the report)"
            },
            {
                "pairwise": "each respondent is placed in a segment from all the variables at "
                "once, which needs all of that respondent's answers; use listwise",
                "fiml": "Gaussian mixtures fitted by EM with missing values are not offered "
                "yet; use listwise",
                "mi": "pooling segmentations over imputed data sets (matching segments across "
                "them) is not offered yet; use listwise",
                "mean": "mean replacement pulls respondents toward the centre and can create a "
                "spurious middle segment; use listwise",
            },
        ),
        Param(
            "method",
            "choice",
            "lpa",
            "lpa: latent profile analysis (Gaussian mixtures with mclust's covariance models, "
            "k and model chosen by BIC); kmeans: k-means++ with 50 starts, k chosen by the "
            "silhouette; lca: latent class analysis of Likert items or categorical columns "
            "(StepMix; constructs expand to their items), k chosen by BIC",
            choices=("lpa", "kmeans", "lca"),
        ),
        Param(
            "covariates",
            "list",
            [],
            "lpa and lca: columns predicting segment membership (multinomial logit by the "
            "bias-corrected three-step method)",
        ),
        Param(
            "distal",
            "list",
            [],
            "lpa and lca: numeric outcome columns whose segment means are estimated by the "
            "bias-corrected three-step method",
        ),
        Param(
            "correction",
            "choice",
            "BCH",
            "bias correction of the three-step method (BCH: Bolck, Croon & Hagenaars 2004; "
            "ML: Vermunt 2010)",
            choices=("BCH", "ML"),
        ),
        Param(
            "starts",
            "int",
            10,
            "lca: random EM starts per number of classes (the best log-likelihood is kept)",
            minimum=1,
            maximum=1000,
        ),
        Param(
            "se_bootstrap",
            "int",
            100,
            "lca: bootstrap replicates of the three-step estimator for the standard errors of "
            "the covariate effects and distal means (0 = none)",
            minimum=0,
            maximum=MAX_BOOTSTRAP,
        ),
        Param(
            "models",
            "list",
            [],
            "lpa: mclust covariance models to try (EII, VII, EEI, VEI, EVI, VVI, EEE, VEE, EVE, "
            "VVE, EEV, VEV, EVV, VVV); empty means all 14",
        ),
        Param("max_k", "int", 6, "largest number of segments tried", minimum=1, maximum=20),
        Param(
            "min_share",
            "float",
            0.05,
            "the rule accepts only solutions whose every segment holds at least this share of "
            "the respondents",
            minimum=0,
            maximum=0.5,
        ),
        Param(
            "restarts",
            "int",
            3,
            "lpa: random restarts per model and k after mclust's hierarchical start (the best "
            "likelihood is kept)",
            minimum=0,
            maximum=100,
        ),
        Param(
            "blrt",
            "int",
            99,
            "lpa: bootstrap replicates of the likelihood-ratio test of k against k + 1 segments "
            "(0 = off)",
            minimum=0,
            maximum=MAX_BOOTSTRAP,
        ),
        Param(
            "stability",
            "int",
            50,
            "bootstrap re-fits of the chosen solution for the adjusted Rand index and each "
            "segment's Jaccard (0 = off)",
            minimum=0,
            maximum=10_000,
        ),
        Param(
            "by", "str", "", "categorical column to cross-tabulate the segments with (e.g. tier)"
        ),
        Param(
            "transactions",
            "str",
            "",
            "a transactions file (member id, date, amount; order_id, channel and points "
            "columns used when present) joined to the respondents by member id: the members' "
            "behaviour (recency_days, frequency, monetary, aov, tenure_days, "
            "purchases_per_month, channel_share_<channel>, points; log_ versions of the skewed "
            "ones) can then be named in `variables`, is profiled per segment, and the segments "
            "are cross-tabulated with RFM segments and Dick & Basu's loyalty types",
        ),
        Param(
            "member_id",
            "str",
            "",
            "the survey column holding the member id the transactions use (default: the "
            "codebook's id)",
        ),
        Param(
            "attitude",
            "str",
            "",
            "with transactions: the construct of relative attitude in Dick & Basu's loyalty "
            "matrix (default loyalty, when the codebook has it); repeat purchase is the "
            "frequency in the transactions",
        ),
        Param(
            "outcome",
            "str",
            "",
            "with `drivers`: the construct or column whose drivers are compared across the "
            "segments (the loyalty-drivers OLS model in each segment, and the F test that the "
            "slopes differ)",
        ),
        Param("drivers", "list", [], "with `outcome`: the drivers compared across segments"),
        SEED,
        SHEET,
    ),
    default_runs=(
        DefaultRun(
            "data/segments_survey.csv",
            "data/segments_survey.codebook.yaml",
            {
                "variables": [
                    "trust",
                    "satisfaction",
                    "value",
                    "belonging",
                    "memory",
                    "log_frequency",
                ],
                "by": "tier",
                "transactions": "data/segments_transactions.csv",
                "covariates": ["age", "gender"],
                "distal": ["recommend"],
                "outcome": "loyalty",
                "drivers": ["online_experience", "offline_experience"],
            },
        ),
        DefaultRun(
            "data/mobi.csv",
            "data/mobi.codebook.yaml",
            {"variables": ["image", "quality", "value", "satisfaction", "loyalty"]},
        ),
    ),
)

POINTS_PROGRAMME = Study(
    name="points-programme",
    title="Points programme: what the points cost, what they owe, and whether they change "
    "behaviour",
    description="Ledger KPIs, redemption triangle and chain-ladder breakage, the IFRS 15 "
    "contract liability, the goal gradient and the effect of redeeming, and tiers, from a "
    "points ledger (no codebook needed).",
    notebook="points-programme.ipynb",
    codebook_use="not used",
    codebook_why="it reads a points ledger (or a transactions file), not a survey",
    preflight="workbench.studies.points_programme:preflight",
    params=(
        Param(
            "point_value",
            "float",
            0.0,
            "currency per point: the discount a redeemed point gives (required, more than 0)",
            minimum=0,
        ),
        Param(
            "expiry_months",
            "int",
            0,
            "the programme's expiry rule: points expire this many months after they are "
            "earned (0 = they do not expire)",
            minimum=0,
            maximum=240,
        ),
        Param(
            "reward_threshold",
            "float",
            0.0,
            "points needed for a reward: the share of members holding a reward's worth and the "
            "goal-gradient analysis (0 = skipped)",
            minimum=0,
        ),
        Param(
            "period",
            "choice",
            "quarter",
            "period of the KPIs, the issuance cohorts of the redemption triangle and the "
            "liability roll-forward (the event study of a first redemption runs by month)",
            choices=("quarter", "month"),
        ),
        Param(
            "transactions",
            "path",
            "",
            "transactions file (member_id, date, amount): the sales allocated to the points "
            "(IFRS 15), the reward cost as a share of revenue, the effect of redeeming on spend "
            "and redeemers' churn; not needed when the data file is itself a transactions file",
        ),
        Param(
            "members",
            "path",
            "",
            "members file (member_id, tier, qualifying spend): earn, burn and liability per "
            "tier and the proximity to the next tier (optional)",
        ),
        Param(
            "tier_rules",
            "list",
            [],
            "qualifying spend of each tier as TIER=SPEND, e.g. [silver=1000, gold=3000], for "
            "the members within reach of the next tier (empty = skipped)",
        ),
        Param("tier_col", "str", "tier", "members-file column holding the current tier"),
        Param(
            "spend_col",
            "str",
            "qualifying_spend_12m",
            "members-file column holding the spend that counts toward the next tier",
        ),
        MEMBER_COL,
        DATE_COL,
        Param("type_col", "str", "type", "ledger column holding the row type"),
        Param("points_col", "str", "points", "ledger column holding the points of the row"),
        Param(
            "signed",
            "bool",
            False,
            "false: earn, redeem and expire points are magnitudes (adjustments signed); true: "
            "every row holds the signed change of the balance",
        ),
        Param(
            "points_earned_col",
            "str",
            "",
            "read the data file as a transactions file and derive the ledger from this points "
            "earned column (and points_redeemed_col)",
        ),
        Param(
            "points_redeemed_col",
            "str",
            "",
            "with points_earned_col: the transactions' points redeemed column",
        ),
        AMOUNT_COL,
        Param("order_col", "str", "", "transactions' order id column (optional)"),
        REFUNDS,
        Param(
            "repair",
            "choice",
            "refuse",
            "redemptions beyond a member's balance: refuse stops the run naming the row; cap "
            "cuts them down to the balance and lists every change",
            choices=("refuse", "cap"),
        ),
        Param(
            "n_boot",
            "int",
            1000,
            "ODP bootstrap resamples of the chain ladder (0 = no interval)",
            minimum=0,
            maximum=MAX_BOOTSTRAP,
        ),
        SEED,
        Param("currency", "str", "", "the currency's label in the report (e.g. EUR)"),
    ),
    default_runs=(
        # the simulated programme of data/points_programme.truth.json (its point value,
        # expiry rule and reward threshold)
        DefaultRun(
            "data/points_ledger.csv",
            None,
            {
                "point_value": 0.01,
                "expiry_months": 12,
                "reward_threshold": 500,
                "transactions": "data/points_transactions.csv",
                "members": "data/points_members.csv",
                "order_col": "order_id",
            },
        ),
    ),
)

STUDIES: dict[str, Study] = {
    s.name: s
    for s in (
        FACTOR_ANALYSIS,
        LOYALTY_DRIVERS,
        EXPERIENCE_ECONOMY,
        MEMBER_ANALYTICS,
        PROGRAMME_EVALUATION,
        PLS_SEM,
        SEGMENTATION,
        POINTS_PROGRAMME,
    )
}


def require_codebook(survey: Any, study: str) -> None:
    """Raise :class:`InputError` when a study whose method needs constructs is given a
    survey loaded without a codebook (``workbench run`` stops earlier; this guards the API)."""
    if not survey.codebook.given:
        raise InputError(
            f"Study '{study}' needs a codebook ({get_study(study).codebook_why}).",
            file=survey.path,
            hint="Load the survey with its codebook: load_survey(data, codebook).",
        )


def get_study(name: str) -> Study:
    """Look a study up by name; :class:`InputError` lists the available ones."""
    if name in STUDIES:
        return STUDIES[name]
    close = difflib.get_close_matches(name, list(STUDIES), n=1)
    raise InputError(
        f"Unknown study '{name}'." + (f" Did you mean '{close[0]}'?" if close else ""),
        hint="Available studies: " + ", ".join(STUDIES) + ". See `workbench list`.",
    )


def begin(study: str, namespace: dict[str, Any]) -> Any:
    """Start a study run from a notebook's namespace (its parameters cell).

    Picks the study's declared parameters out of ``namespace``; ``data``, ``codebook``,
    ``output_dir`` and ``command`` are set by ``workbench run``. Returns the
    :class:`~workbench.presentation.report.StudyRun` that writes the report header and
    results.json.
    """
    from workbench.presentation.report import new_run

    spec = get_study(study)
    params = {p.name: namespace.get(p.name, p.default) for p in spec.params}
    data = str(namespace.get("data", ""))
    codebook = namespace.get("codebook") or None
    return new_run(
        study=study,
        title=spec.title,
        parameters=params,
        data=data,
        codebook=codebook,
        output_dir=namespace.get("output_dir") or None,
        command=namespace.get("command") or spec.command(data, codebook, params),
    )
