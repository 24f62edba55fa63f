"""The experience economy: the four realms, competing models, paths and consistency.

Pine & Gilmore's (1998) four realms of experience -- education, entertainment,
esthetics, escapism -- as measured by Oh, Fiore & Jeoung (2007), with their
outcomes (arousal, memory, perceived quality, satisfaction, loyalty). This
module holds the statistics specific to that study; the estimation itself is
:func:`workbench.sem.model.fit_sem` (lavaan parity) and reliability is
:func:`workbench.measurement.scales.reliability`.

Public functions:

- :func:`resolve_constructs` -- find the realms and outcomes in a codebook by
  name (case-insensitive, with common synonyms such as "aesthetics").
- :func:`competing_models` and :func:`compare_models` -- four correlated
  realms, 'edutainment' (three factors) and a second-order 'experience'
  factor, compared by fit indices and chi-square difference tests.
- :func:`default_structural_paths`, :func:`parse_paths`, :func:`full_model`
  -- the structural model (realms -> memory -> satisfaction -> loyalty by
  default) in lavaan syntax.
- :func:`realm_importance` and :func:`realm_table` -- standardized total
  effects and realm descriptives for importance-performance analysis.
- :func:`response_surface` and :func:`absolute_difference_index` --
  cross-channel consistency (online vs offline experience) by polynomial
  regression and response-surface analysis.

A ready bilingual questionnaire for fielding the study is
``data/experience_economy_template.codebook.yaml``.
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from workbench.errors import InputError
from workbench.intake.codebook import Codebook
from workbench.results import Result, fields_dict, jsonable
from workbench.sem.model import SEMResult, cfa_syntax

__all__ = [
    "DEFAULT_NESTED",
    "EDUTAINMENT",
    "FOUR_CORRELATED",
    "OUTCOMES",
    "REALMS",
    "SECOND_ORDER",
    "SYNONYMS",
    "AbsoluteDifference",
    "ResponseSurface",
    "absolute_difference_index",
    "compare_models",
    "competing_models",
    "default_structural_paths",
    "full_model",
    "parse_paths",
    "realm_importance",
    "realm_table",
    "resolve_constructs",
    "response_surface",
]

REALMS = ("education", "entertainment", "esthetics", "escapism")
"""The four realms of experience (Pine & Gilmore 1998), in the order used throughout."""

OUTCOMES = ("arousal", "memory", "perceived_quality", "satisfaction", "loyalty")
"""Outcome constructs of Oh, Fiore & Jeoung (2007), plus loyalty."""

SYNONYMS: dict[str, tuple[str, ...]] = {
    "education": ("education", "educational", "edu", "educ", "learning"),
    "entertainment": ("entertainment", "entertaining", "ent", "entertain"),
    "esthetics": ("esthetics", "aesthetics", "esthetic", "aesthetic", "est", "aes"),
    "escapism": ("escapism", "escapist", "escape", "esc"),
    "arousal": ("arousal", "aroused", "excitement"),
    "memory": ("memory", "memories", "memorability", "memorable", "mem"),
    "perceived_quality": (
        "perceived_quality",
        "overall_quality",
        "quality",
        "service_quality",
        "pq",
    ),
    "satisfaction": ("satisfaction", "overall_satisfaction", "sat", "satisfied"),
    "loyalty": (
        "loyalty",
        "loyal",
        "repurchase_intention",
        "revisit_intention",
        "behavioral_intention",
        "behavioural_intention",
        "loy",
    ),
}
"""Canonical role -> accepted construct names (compared after normalizing case and separators)."""

FOUR_CORRELATED = "four correlated realms"
EDUTAINMENT = "edutainment (3 factors)"
SECOND_ORDER = "second-order experience"
DEFAULT_NESTED: tuple[tuple[str, str], ...] = (
    (EDUTAINMENT, FOUR_CORRELATED),
    (SECOND_ORDER, FOUR_CORRELATED),
)
"""The nested pairs ``(restricted, full)`` among :func:`competing_models`."""

_FIT_COLUMNS = ("chi2", "df", "p", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "n")
_NAME = re.compile(r"[A-Za-z_.][\w.]*")


def _norm(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(name).lower()).strip("_")


def _suggest(name: str, candidates: Sequence[str]) -> str:
    close = difflib.get_close_matches(str(name), [str(c) for c in candidates], n=3, cutoff=0.5)
    return ("Did you mean " + " or ".join(f"'{c}'" for c in close) + "?") if close else ""


# ----------------------------------------------------------------------------
# 1. Finding the realms and outcomes in a codebook
# ----------------------------------------------------------------------------


def resolve_constructs(
    codebook: Codebook,
    roles: Sequence[str] = REALMS,
    *,
    optional: Sequence[str] = (),
) -> dict[str, str]:
    """Map each experience-economy role to the codebook construct that plays it.

    Parameters
    ----------
    codebook : Codebook
        The survey's codebook.
    roles : sequence of str
        Required roles, from ``SYNONYMS`` (default the four :data:`REALMS`).
    optional : sequence of str
        Roles to map when present and skip silently when absent (e.g.
        ``("arousal", "perceived_quality")``).

    Returns
    -------
    dict
        ``{role: construct_name}`` in the order of ``roles`` then ``optional``.

    Raises
    ------
    ValueError
        If a role is not one of ``SYNONYMS``.
    InputError
        If a required role has no construct, listing every missing role, the
        names that would be accepted, and suggesting ``paths=``; or if two
        constructs match the same role.

    Notes
    -----
    A construct matches a role when its name, lower-cased with runs of
    non-alphanumeric characters replaced by ``_``, equals one of the role's
    synonyms (``Aesthetics``, ``aesthetic``, ``Edu`` ...). No fuzzy matching
    is done: a close but different name is only *suggested* in the error.

    References
    ----------
    Pine, B. J. & Gilmore, J. H. (1998). Welcome to the experience economy.
    Harvard Business Review, 76(4), 97-105.

    Examples
    --------
    >>> from workbench.intake.codebook import Codebook
    >>> cb = Codebook.from_dict({"title": "t", "constructs": {
    ...     "Edu": ["e1", "e2"], "entertainment": ["n1", "n2"],
    ...     "Aesthetics": ["a1", "a2"], "escapism": ["s1", "s2"], "memories": ["m1", "m2"]}})
    >>> resolve_constructs(cb, optional=["memory", "loyalty"])
    {'education': 'Edu', 'entertainment': 'entertainment', 'esthetics': 'Aesthetics', \
'escapism': 'escapism', 'memory': 'memories'}
    """
    unknown = [r for r in (*roles, *optional) if r not in SYNONYMS]
    if unknown:
        raise ValueError(f"unknown role(s) {unknown}; valid roles are {tuple(SYNONYMS)}")
    names = list(codebook.constructs)
    by_norm: dict[str, list[str]] = {}
    for name in names:
        by_norm.setdefault(_norm(name), []).append(name)
    found: dict[str, str] = {}
    missing: list[str] = []
    for role in (*roles, *optional):
        hits = [n for syn in SYNONYMS[role] for n in by_norm.get(_norm(syn), [])]
        hits = list(dict.fromkeys(hits))
        if len(hits) > 1:
            raise InputError(
                f"Constructs {hits} all match the role '{role}'.",
                hint="Rename all but one of them in the codebook, or give the model as `paths`.",
            )
        if hits:
            found[role] = hits[0]
        elif role in roles:
            missing.append(role)
    if missing:
        detail = "; ".join(
            f"{r} (accepted names: {', '.join(SYNONYMS[r])}"
            + (f"; {_suggest(r, names)}" if _suggest(r, names) else "")
            + ")"
            for r in missing
        )
        raise InputError(
            f"The codebook has no construct for {', '.join(missing)}: {detail}.",
            hint="Rename the constructs in the codebook, or pass the structural model "
            "explicitly as `paths=` in lavaan syntax, e.g. "
            "'memory ~ education + esthetics; loyalty ~ memory'. "
            f"Codebook constructs: {', '.join(names)}.",
        )
    return found


# ----------------------------------------------------------------------------
# 2. Competing measurement models
# ----------------------------------------------------------------------------


def competing_models(
    constructs: Mapping[str, Sequence[str]],
    realm_names: Sequence[str] = REALMS,
) -> dict[str, str]:
    """lavaan syntax of the three competing measurement models of the realms.

    Parameters
    ----------
    constructs : mapping of str to list of str
        Construct -> items. Must contain the four realms; any other construct
        is included unchanged, as a correlated first-order factor, in every
        model.
    realm_names : sequence of str
        The codebook names of education, entertainment, esthetics and
        escapism, in that order (e.g. ``resolve_constructs(cb).values()``).

    Returns
    -------
    dict
        ``{FOUR_CORRELATED: ..., EDUTAINMENT: ..., SECOND_ORDER: ...}``:

        - ``"four correlated realms"``: one factor per realm, all factors
          correlated (lavaan ``cfa()``).
        - ``"edutainment (3 factors)"``: the education and entertainment items
          load on one factor ``edutainment``.
        - ``"second-order experience"``: the four realm factors load on a
          second-order factor ``experience``.

    Raises
    ------
    InputError
        If a realm is not in ``constructs``, ``realm_names`` does not name
        four distinct realms, or ``edutainment``/``experience`` is already a
        construct or item name.

    Notes
    -----
    Which constructs to include is the caller's choice; we recommend the
    **realms only** (what the experience-economy study does): the question is
    the structure of the realms, and every model then uses the same 16 items,
    so chi-square differences, AIC and BIC are comparable. With outcome
    constructs included the models still use the same items (comparable), but
    in the second-order model the outcomes correlate with ``experience``
    instead of with each realm, so the comparison also tests that restriction.

    Both alternatives are nested in the four-factor model: edutainment fixes
    the education-entertainment correlation at 1 and their correlations with
    the other factors equal (3 fewer parameters with realms only); the
    second-order model restricts the six realm correlations to products of
    four loadings (2 fewer). See :func:`compare_models`.

    References
    ----------
    Oh, H., Fiore, A. M. & Jeoung, M. (2007). Measuring experience economy
    concepts: tourism applications. Journal of Travel Research, 46(2),
    119-132. Edutainment: Radder, L. & Han, X. (2015). An examination of the
    museum experience based on Pine and Gilmore's experience economy realms.
    Journal of Applied Business Research, 31(2), 455-470.
    R: ``lavaan::cfa(model, data)`` for each syntax.

    Examples
    --------
    >>> m = competing_models({"education": ["e1", "e2"], "entertainment": ["n1", "n2"],
    ...                       "esthetics": ["a1", "a2"], "escapism": ["s1", "s2"]})
    >>> print(m["edutainment (3 factors)"])
    edutainment =~ e1 + e2 + n1 + n2
    esthetics =~ a1 + a2
    escapism =~ s1 + s2
    >>> print(m["second-order experience"].splitlines()[-1])
    experience =~ education + entertainment + esthetics + escapism
    """
    realm_names = [str(r) for r in realm_names]
    if len(realm_names) != 4 or len(set(realm_names)) != 4:
        raise InputError(
            f"realm_names must name the four realms (education, entertainment, esthetics, "
            f"escapism) in that order; got {realm_names}.",
            hint="Use resolve_constructs(codebook).values().",
        )
    absent = [r for r in realm_names if r not in constructs]
    if absent:
        raise InputError(
            f"Realm construct(s) {absent} are not among the constructs given.",
            hint=_suggest(absent[0], list(constructs))
            or f"Constructs given: {', '.join(constructs)}.",
        )
    items = {str(i) for v in constructs.values() for i in v}
    for extra in ("edutainment", "experience"):
        if extra in constructs or extra in items:
            raise InputError(
                f"'{extra}' is already a construct or item name, but the competing models "
                "need it for a new factor.",
                hint=f"Rename the construct or item '{extra}'.",
            )
    cons = {str(k): list(v) for k, v in constructs.items()}
    edu, ent = realm_names[0], realm_names[1]
    four = cfa_syntax(cons)
    merged: dict[str, list[str]] = {}
    for name, its in cons.items():
        if name == edu:
            merged["edutainment"] = its + cons[ent]
        elif name != ent:
            merged[name] = its
    second = four + "\nexperience =~ " + " + ".join(realm_names)
    return {FOUR_CORRELATED: four, EDUTAINMENT: cfa_syntax(merged), SECOND_ORDER: second}


def compare_models(
    results: Mapping[str, SEMResult],
    *,
    nested: Sequence[tuple[str, str]] = (),
) -> pd.DataFrame:
    """Fit indices side by side, with chi-square difference tests of nested pairs.

    Parameters
    ----------
    results : mapping of str to SEMResult
        Model name -> fitted model (``fit_sem`` with ML), e.g. fitted from
        :func:`competing_models`.
    nested : sequence of (restricted, full) pairs
        Pairs to test, e.g. :data:`DEFAULT_NESTED`. Each model may be the
        restricted one of at most one pair (its row holds the test).

    Returns
    -------
    pandas.DataFrame
        One row per model (index ``model``), columns ``chi2, df, p, cfi,
        tli, rmsea, srmr, aic, bic, n`` and, for the restricted model of a
        nested pair, ``vs`` (the full model), ``delta_chi2``, ``delta_df``,
        ``delta_p`` (NaN / empty otherwise).

    Raises
    ------
    ValueError
        If a pair names a model not in ``results`` (naming the valid ones),
        or a model is the restricted one in two pairs.
    InputError
        If the two models of a pair were fitted on different respondents or
        items, or the "restricted" model has no more degrees of freedom than
        the full one.

    Notes
    -----
    :math:`\\Delta\\chi^2 = \\chi^2_{restricted} - \\chi^2_{full}`,
    :math:`\\Delta df = df_{restricted} - df_{full}`,
    :math:`p = P(\\chi^2_{\\Delta df} > \\Delta\\chi^2)`: lavaan's
    ``anova()``/``lavTestLRT()`` for ML (``method = "standard"``). AIC and BIC
    are comparable across all models fitted to the same items and rows,
    nested or not. The edutainment restriction (a correlation of 1) lies on
    the boundary of the parameter space, so its p-value is conservative
    (Stoel et al. 2006); with hundreds of respondents the test is rarely
    close.

    References
    ----------
    Bollen, K. A. (1989). Structural equations with latent variables. Wiley.
    Stoel, R. D., Garre, F. G., Dolan, C. & van den Wittenboer, G. (2006).
    Psychological Methods, 11(4), 439-455. R: ``lavaan::anova(fit1, fit2)``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_sem
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> three = fit_sem(hs, "v =~ x1 + x2 + x3\\nt =~ x4 + x5 + x6")
    >>> one = fit_sem(hs, "g =~ x1 + x2 + x3 + x4 + x5 + x6")
    >>> tab = compare_models({"two": three, "one": one}, nested=[("one", "two")])
    >>> tab.loc["one", ["delta_df"]].tolist()
    [1.0]
    """
    valid = list(results)
    rows = {}
    for name, res in results.items():
        rows[name] = {k: res.fit.get(k, np.nan) for k in _FIT_COLUMNS}
    table = pd.DataFrame.from_dict(rows, orient="index", columns=list(_FIT_COLUMNS))
    table.index.name = "model"
    table["vs"] = ""
    for col in ("delta_chi2", "delta_df", "delta_p"):
        table[col] = np.nan
    seen: set[str] = set()
    for pair in nested:
        if len(pair) != 2:
            raise ValueError(f"nested pairs must be (restricted, full); got {pair!r}")
        restricted, full = pair
        for name in (restricted, full):
            if name not in results:
                raise ValueError(f"model {name!r} in nested is not one of {valid}")
        if restricted in seen:
            raise ValueError(
                f"model {restricted!r} is the restricted model of two pairs; call "
                "compare_models once per pair"
            )
        seen.add(restricted)
        r, f = results[restricted], results[full]
        if r.n != f.n or set(r.sample_cov.columns) != set(f.sample_cov.columns):
            raise InputError(
                f"Models '{restricted}' and '{full}' were fitted to different respondents or "
                f"items (n = {r.n} vs {f.n}); a chi-square difference test needs the same data.",
                hint="Fit both models to the same items and rows (e.g. drop incomplete rows "
                "first).",
            )
        d_df = r.fit["df"] - f.fit["df"]
        if d_df <= 0:
            raise InputError(
                f"Model '{restricted}' has {r.fit['df']} df, not more than '{full}' "
                f"({f.fit['df']}): it cannot be nested in it.",
                hint="Give pairs as (restricted, full).",
            )
        d_chi2 = r.fit["chi2"] - f.fit["chi2"]
        table.loc[restricted, "vs"] = full
        table.loc[restricted, "delta_chi2"] = d_chi2
        table.loc[restricted, "delta_df"] = float(d_df)
        table.loc[restricted, "delta_p"] = float(stats.chi2.sf(max(d_chi2, 0.0), d_df))
    return table


# ----------------------------------------------------------------------------
# 3. Structural model
# ----------------------------------------------------------------------------


def default_structural_paths(codebook: Codebook) -> str:
    """The default structural model: realms -> memory -> satisfaction -> loyalty.

    Parameters
    ----------
    codebook : Codebook
        Must have constructs for the four realms, memory, satisfaction and
        loyalty (found by :func:`resolve_constructs`, so ``Aesthetics`` or
        ``memories`` are accepted).

    Returns
    -------
    str
        lavaan syntax, one regression per line, using the codebook's names::

            memory ~ education + entertainment + esthetics + escapism
            satisfaction ~ memory
            loyalty ~ satisfaction

    Raises
    ------
    InputError
        If a construct is missing; the message asks for ``paths``.

    Notes
    -----
    The chain follows Oh, Fiore & Jeoung (2007; realms -> memory ->
    satisfaction) and the satisfaction -> loyalty link (Oliver 1999). Direct
    realm -> satisfaction paths are left out by default; add them with
    ``paths`` to test partial mediation.

    References
    ----------
    Oh, H., Fiore, A. M. & Jeoung, M. (2007). Journal of Travel Research,
    46(2), 119-132. Oliver, R. L. (1999). Whence consumer loyalty? Journal of
    Marketing, 63, 33-44.

    Examples
    --------
    >>> from workbench.intake.codebook import load_codebook
    >>> print(default_structural_paths(load_codebook("data/loyalty_survey.codebook.yaml")))
    memory ~ education + entertainment + esthetics + escapism
    satisfaction ~ memory
    loyalty ~ satisfaction
    """
    found = resolve_constructs(codebook, (*REALMS, "memory", "satisfaction", "loyalty"))
    realms = " + ".join(found[r] for r in REALMS)
    return (
        f"{found['memory']} ~ {realms}\n"
        f"{found['satisfaction']} ~ {found['memory']}\n"
        f"{found['loyalty']} ~ {found['satisfaction']}"
    )


def parse_paths(paths: str, codebook: Codebook) -> list[tuple[str, str, list[str]]]:
    """Parse and check a structural model written in lavaan syntax.

    Parameters
    ----------
    paths : str
        Regressions (``y ~ x1 + x2``), residual covariances (``y1 ~~ y2``),
        labels (``y ~ a*x``) and defined parameters (``ab := a*b``),
        separated by newlines or ``;``; ``#`` starts a comment.
    codebook : Codebook
        Every variable must be one of its constructs.

    Returns
    -------
    list of (lhs, op, rhs)
        One entry per statement, ``rhs`` the list of terms as written (with
        labels, e.g. ``"a*education"``); for ``:=`` the expression as one term.

    Raises
    ------
    InputError
        If the text is empty, uses ``=~`` (the measurement part comes from the
        codebook), is not a statement of the forms above, or names a variable
        that is not a construct (suggesting the closest construct names).

    Notes
    -----
    Only the structural part is written by the user; :func:`full_model` adds
    the measurement part of every construct mentioned.

    References
    ----------
    Rosseel, Y. (2012). lavaan: An R package for structural equation
    modeling. Journal of Statistical Software, 48(2) (model syntax).

    Examples
    --------
    >>> from workbench.intake.codebook import load_codebook
    >>> cb = load_codebook("data/loyalty_survey.codebook.yaml")
    >>> parse_paths("memory ~ a*esthetics + education; loyalty ~ memory", cb)
    [('memory', '~', ['a*esthetics', 'education']), ('loyalty', '~', ['memory'])]
    """
    if not isinstance(paths, str) or not paths.strip():
        raise InputError(
            "The structural paths are empty.",
            hint="Write e.g. 'memory ~ education + esthetics; loyalty ~ memory'.",
        )
    names = list(codebook.constructs)
    out: list[tuple[str, str, list[str]]] = []
    statements = [
        s.split("#", 1)[0].strip() for line in paths.splitlines() for s in line.split(";")
    ]
    for stmt in (s for s in statements if s):
        if "=~" in stmt:
            raise InputError(
                f"'{stmt}' is a measurement statement; `paths` holds only the structural part.",
                hint="The measurement part is built from the codebook's constructs; write "
                "regressions such as 'memory ~ esthetics'.",
            )
        if ":=" in stmt:
            lhs, rhs = (p.strip() for p in stmt.split(":=", 1))
            if not _NAME.fullmatch(lhs) or not rhs:
                raise InputError(
                    f"Cannot read the defined parameter '{stmt}' in `paths`.",
                    hint="Write e.g. 'ind := a*b' after labelling the paths 'y ~ a*x'.",
                )
            out.append((lhs, ":=", [rhs]))
            continue
        op = "~~" if "~~" in stmt else "~" if "~" in stmt else None
        if op is None:
            raise InputError(
                f"Cannot read '{stmt}' in `paths` as a structural path.",
                hint="Write regressions 'y ~ x1 + x2' or covariances 'y1 ~~ y2'.",
            )
        lhs, rhs = (p.strip() for p in stmt.split(op, 1))
        terms = [t.strip() for t in rhs.split("+")]
        for var in [lhs] + [t.split("*")[-1].strip() for t in terms]:
            if not var:
                raise InputError(
                    f"Cannot read '{stmt}' in `paths`: a variable name is empty.",
                    hint="Write regressions 'y ~ x1 + x2' (covariances 'y1 ~~ y2'), "
                    "statements separated by ';'.",
                )
            if var not in codebook.constructs:
                hint = _suggest(var, names) or _synonym_hint(var, codebook)
                raise InputError(
                    f"'{var}' in the paths is not a construct of the codebook.",
                    hint=(hint + " " if hint else "") + f"Codebook constructs: {', '.join(names)}.",
                )
        out.append((lhs, op, terms))
    if not any(op == "~" for _, op, _ in out):
        raise InputError(
            "The paths contain no regression ('y ~ x').",
            hint="Write e.g. 'memory ~ education + esthetics; loyalty ~ memory'.",
        )
    cycle = _path_cycle(
        [(t.split("*")[-1].strip(), lhs) for lhs, op, ts in out if op == "~" for t in ts]
    )
    if cycle:
        raise InputError(
            "The paths go round in a circle (" + " -> ".join(cycle) + "): a construct would "
            "cause itself, and indirect effects are then undefined.",
            hint="Remove one of the paths in the circle; the study estimates recursive models "
            "(every path points forward).",
        )
    return out


def _path_cycle(edges: list[tuple[str, str]]) -> list[str]:
    """A cycle among ``(source, target)`` edges as a list of names (first repeated), or []."""
    successors: dict[str, list[str]] = {}
    for a, b in edges:
        successors.setdefault(a, []).append(b)
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        stack.append(node)
        for nxt in successors.get(node, []):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return []

    for node in list(successors):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return []


def _synonym_hint(name: str, codebook: Codebook) -> str:
    roles = [r for r, syn in SYNONYMS.items() if _norm(name) in {_norm(x) for x in syn}]
    for role in roles:
        found = resolve_constructs(codebook, (), optional=[role])
        if role in found:
            return f"Did you mean '{found[role]}'?"
    return ""


def full_model(codebook: Codebook, paths: str) -> str:
    """Measurement part of the constructs in ``paths`` plus the structural part.

    Parameters
    ----------
    codebook : Codebook
        Supplies each construct's items.
    paths : str
        Structural model in lavaan syntax (checked by :func:`parse_paths`),
        e.g. :func:`default_structural_paths`.

    Returns
    -------
    str
        ``cfa_syntax`` of the constructs mentioned (in codebook order), then
        one line per structural statement, ready for
        :func:`workbench.sem.model.fit_sem`.

    Raises
    ------
    InputError
        See :func:`parse_paths`; also if a construct has fewer than two items.

    Notes
    -----
    As in lavaan's ``sem()``, the first loading of every factor is fixed to 1
    and exogenous latent variables (the realms) are correlated.

    References
    ----------
    Anderson, J. C. & Gerbing, D. W. (1988). Structural equation modeling in
    practice: a review and recommended two-step approach. Psychological
    Bulletin, 103(3), 411-423. R: ``lavaan::sem(model, data)``.

    Examples
    --------
    >>> from workbench.intake.codebook import load_codebook
    >>> cb = load_codebook("data/loyalty_survey.codebook.yaml")
    >>> print(full_model(cb, "loyalty ~ satisfaction + trust"))
    satisfaction =~ SA1 + SA2 + SA3
    trust =~ TR1 + TR2 + TR3 + TR4
    loyalty =~ RI1 + RI2 + RI3
    loyalty ~ satisfaction + trust
    """
    parsed = parse_paths(paths, codebook)
    used = set()
    for lhs, op, rhs in parsed:
        if op == ":=":
            continue
        used.add(lhs)
        used.update(t.split("*")[-1].strip() for t in rhs)
    cons = {c: list(codebook.constructs[c].items) for c in codebook.constructs if c in used}
    lines = [cfa_syntax(cons)]
    lines += [f"{lhs} {op} {' + '.join(rhs)}" for lhs, op, rhs in parsed]
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# 5. Importance and performance of the realms
# ----------------------------------------------------------------------------


def realm_importance(
    sem_result: SEMResult,
    realms: Sequence[str],
    outcome: str,
) -> pd.Series:
    """Standardized total effect of each realm on an outcome.

    Parameters
    ----------
    sem_result : SEMResult
        A fitted structural model (e.g. of :func:`full_model`).
    realms : sequence of str
        The realm construct names.
    outcome : str
        The outcome construct, e.g. ``"loyalty"`` or ``"memory"``.

    Returns
    -------
    pandas.Series
        Index: the realms; values: standardized total effects (name
        ``total_effect``). A realm with no path to the outcome gets 0.

    Raises
    ------
    InputError
        If the outcome or a realm is not a variable of the model, or the
        model has no regressions.

    Notes
    -----
    With :math:`B` the matrix of standardized (``std_all``) regression
    coefficients among the model's variables (:math:`B_{ij}` the effect of
    :math:`j` on :math:`i`), the total effects are
    :math:`T = (I - B)^{-1} - I`; in a recursive model :math:`T_{ij}` is the
    sum, over every directed path from :math:`j` to :math:`i`, of the product
    of its coefficients (e.g. ``esthetics -> memory -> satisfaction ->
    loyalty``). Because :math:`B_{std} = D^{-1} B D` with :math:`D` the
    model-implied standard deviations, this equals the standardized
    unstandardized total effect, i.e. lavaan's ``std.all`` of a ``:=``
    product. It answers "one SD more of this realm moves the outcome by how
    many SDs", the importance axis of an importance-performance chart.

    References
    ----------
    Alwin, D. F. & Hauser, R. M. (1975). The decomposition of effects in path
    analysis. American Sociological Review, 40(1), 37-47. Bollen, K. A.
    (1987). Total, direct, and indirect effects in structural equation
    models. Sociological Methodology, 17, 37-69. R: ``lavaan`` defined
    parameters (``te := a*b*c``) in ``standardizedSolution()``.

    Examples
    --------
    >>> import pandas as pd
    >>> from workbench.sem.model import fit_sem
    >>> hs = pd.read_csv("data/holzinger_swineford_1939.csv")
    >>> res = fit_sem(hs, "v =~ x1 + x2 + x3\\nt =~ x4 + x5 + x6\\ns =~ x7 + x8 + x9\\n"
    ...                   "t ~ v\\ns ~ t")
    >>> imp = realm_importance(res, ["v", "t"], "s")
    >>> bool(abs(imp["v"] - imp["t"] * res.estimates.query("lhs == 't' and op == '~'")
    ...      ["std_all"].iloc[0]) < 1e-12)
    True
    """
    est = sem_result.estimates
    reg = est[est["op"] == "~"]
    if reg.empty:
        raise InputError(
            "The model has no regressions, so there are no effects to report.",
            hint="Fit a structural model (e.g. full_model(codebook, paths)).",
        )
    variables = list(dict.fromkeys([*reg["lhs"], *reg["rhs"], *sem_result.constructs]))
    for name in [outcome, *realms]:
        if name not in variables:
            raise InputError(
                f"'{name}' is not a variable of the fitted model.",
                hint=_suggest(name, variables) or f"Model variables: {', '.join(variables)}.",
            )
    idx = {v: i for i, v in enumerate(variables)}
    B = np.zeros((len(variables), len(variables)))
    for r in reg.itertuples():
        B[idx[r.lhs], idx[r.rhs]] += r.std_all
    T = np.linalg.inv(np.eye(len(variables)) - B) - np.eye(len(variables))
    return pd.Series(
        [float(T[idx[outcome], idx[r]]) for r in realms], index=list(realms), name="total_effect"
    )


def realm_table(
    data: pd.DataFrame,
    codebook: Codebook,
    realms: Sequence[str] = REALMS,
) -> pd.DataFrame:
    """Mean, 0-100 performance and reliability of each realm.

    Parameters
    ----------
    data : pandas.DataFrame
        Item responses, missing codes already NaN
        (:func:`workbench.intake.data.load_survey` ``.frame``).
    codebook : Codebook
        Supplies the items and the response scale (``scale`` is required).
    realms : sequence of str
        Realm construct names (default :data:`REALMS`).

    Returns
    -------
    pandas.DataFrame
        Index ``realm``; columns ``n_items``, ``n``, ``mean`` (on the
        response scale), ``sd``, ``performance`` (0-100), ``alpha``,
        ``omega_total``. ``to_dict(orient="index")`` gives the ``realms`` block
        of ``results.json``.

    Raises
    ------
    InputError
        If a realm is not a construct, or the codebook has no ``scale``.

    Notes
    -----
    ``mean``, ``sd``, ``alpha`` and ``omega_total`` come from
    :func:`workbench.measurement.scales.reliability` (listwise per realm: respondents who
    answered all of its items). Performance rescales the mean to 0-100:
    :math:`100(\\bar x - \\min)/(\\max - \\min)`, as
    :func:`workbench.drivers.mediation.importance_performance`.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis.
    Journal of Marketing, 41(1), 77-79. R: ``psych::alpha``, ``psych::omega``.

    Examples
    --------
    >>> from workbench.intake.data import load_survey
    >>> s = load_survey("data/loyalty_survey.csv", "data/loyalty_survey.codebook.yaml")
    >>> tab = realm_table(s.frame, s.codebook)
    >>> tab.loc["esthetics", ["mean", "performance"]].round(1).tolist()
    [4.9, 65.7]
    """
    if codebook.scale is None:
        raise InputError(
            "The codebook has no response scale, so performance (0-100) is undefined.",
            hint="Add e.g. `scale: {min: 1, max: 7}` to the codebook.",
        )
    absent = [r for r in realms if r not in codebook.constructs]
    if absent:
        raise InputError(
            f"Realm(s) {absent} are not constructs of the codebook.",
            hint=_suggest(absent[0], list(codebook.constructs))
            or "Use resolve_constructs(codebook) to find them.",
        )
    from workbench.measurement.scales import reliability

    rel = reliability(data, {r: list(codebook.constructs[r].items) for r in realms}).table
    lo, hi = codebook.scale.min, codebook.scale.max
    out = pd.DataFrame(
        {
            "n_items": rel["n_items"],
            "n": rel["n"],
            "mean": rel["mean"],
            "sd": rel["sd"],
            "performance": 100 * (rel["mean"] - lo) / (hi - lo),
            "alpha": rel["alpha"],
            "omega_total": rel["omega_total"],
        }
    )
    out.index.name = "realm"
    return out


# ----------------------------------------------------------------------------
# 4. Cross-channel consistency: response surface analysis
# ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class AbsoluteDifference(Result):
    """The absolute-difference index :math:`|X - Y|` and its relation to ``z``.

    Attributes
    ----------
    x, y, z : str
        Column names.
    n : int
        Complete rows used.
    mean_abs_diff : float
        Mean of :math:`|X - Y|` (scale points).
    r, r_p : float
        Pearson correlation of :math:`|X - Y|` with ``z`` and its p-value
        (the simple, uncontrolled index).
    coef, se, t, p : float
        Coefficient of :math:`|X - Y|` in ``z ~ X + Y + |X - Y|`` (OLS).
    warning_messages : tuple of str
    """

    x: str
    y: str
    z: str
    n: int
    mean_abs_diff: float
    r: float
    r_p: float
    coef: float
    se: float
    t: float
    p: float
    warning_messages: tuple[str, ...] = ()
    model: Any = dataclasses.field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """One row: ``n, mean_abs_diff, r, r_p, coef, se, t, p``."""
        return pd.DataFrame([fields_dict(self, ("x", "y", "z"))], index=["abs_diff"])

    def to_dict(self) -> dict[str, Any]:
        """``{n, mean_abs_diff, r, r_p, coef, se, t, p, warnings}``."""
        out = fields_dict(self, ("x", "y", "z"))
        out["warnings"] = self.warnings
        return jsonable(out)


@dataclasses.dataclass(frozen=True, eq=False)  # holds pandas objects: compare by identity
class ResponseSurface(Result):
    """Polynomial regression and response-surface tests (:func:`response_surface`).

    Attributes
    ----------
    x, y, z : str
        Column names (e.g. online experience, offline experience, loyalty).
    center : float
        The value subtracted from X and Y before the regression.
    n : int
        Complete rows used.
    coefficients : pandas.DataFrame
        Index ``b0..b5``; columns ``term`` (``1, X, Y, X^2, XY, Y^2``),
        ``estimate, se, t, p``.
    surface : pandas.DataFrame
        Index ``a1..a4``; columns ``estimate, se, t, p``.
    r2, adj_r2 : float
        R-squared of the polynomial model, and adjusted.
    shares : dict
        Share of respondents with ``x_higher`` (X - Y > tolerance),
        ``congruent`` (``|X - Y| <= tolerance``) and ``y_higher``.
    tolerance : float
        Half-width of the congruence band, in scale points.
    grid : pandas.DataFrame
        Columns ``x, y, predicted`` (X and Y on their raw scale, the
        predicted z) over a square grid spanning ``scale``, for
        :func:`workbench.presentation.plots.surface_chart`.
    abs_diff : AbsoluteDifference
        The absolute-difference index on the same rows.
    warning_messages : tuple of str
    model : statsmodels RegressionResults
    """

    x: str
    y: str
    z: str
    center: float
    n: int
    coefficients: pd.DataFrame
    surface: pd.DataFrame
    r2: float
    adj_r2: float
    shares: dict[str, float]
    tolerance: float
    grid: pd.DataFrame = dataclasses.field(repr=False)
    abs_diff: AbsoluteDifference | None = None
    warning_messages: tuple[str, ...] = ()
    model: Any = dataclasses.field(default=None, repr=False)

    def to_frame(self) -> pd.DataFrame:
        """Coefficients ``b0..b5`` then surface tests ``a1..a4`` (estimate, se, t, p)."""
        cols = ["estimate", "se", "t", "p"]
        return pd.concat([self.coefficients[cols], self.surface[cols]])

    def to_dict(self) -> dict[str, Any]:
        """The ``consistency`` block of ``results.json``.

        ``{x, y, z, center, n, r2, adj_r2, coefficients: {b0..b5: {estimate,
        se, t, p}}, surface: {a1..a4: {estimate, se, t, p}}, shares:
        {x_higher, congruent, y_higher}, tolerance, abs_diff: {...},
        warnings}``; the grid is left out (it is for the figure).
        """
        cols = ["estimate", "se", "t", "p"]
        out = {
            "x": self.x,
            "y": self.y,
            "z": self.z,
            "center": self.center,
            "n": self.n,
            "r2": self.r2,
            "adj_r2": self.adj_r2,
            "coefficients": self.coefficients[cols].to_dict(orient="index"),
            "surface": self.surface[cols].to_dict(orient="index"),
            "shares": dict(self.shares),
            "tolerance": self.tolerance,
            "abs_diff": None if self.abs_diff is None else self.abs_diff.to_dict(),
            "warnings": self.warnings,
        }
        return jsonable(out)

    def summary(self) -> str:
        s = self.surface
        lines = [
            f"Response surface: {self.z} on {self.x} (X) and {self.y} (Y), centred at "
            f"{self.center:g}; n = {self.n}, R2 = {self.r2:.3f}",
            "",
            self.to_frame().round(4).to_string(),
            "",
            "a1 = b1 + b2 (slope along X = Y), a2 = b3 + b4 + b5 (curvature along X = Y),",
            "a3 = b1 - b2 (slope along X = -Y), a4 = b3 - b4 + b5 (curvature along X = -Y).",
            f"a4 = {s.loc['a4', 'estimate']:.3f} (p = {s.loc['a4', 'p']:.3g}): "
            + (
                "the outcome falls as X and Y diverge (agreement matters)."
                if s.loc["a4", "estimate"] < 0
                else "no penalty for disagreement along the line of incongruence."
            ),
            "Shares: "
            + ", ".join(f"{k} {100 * v:.1f}%" for k, v in self.shares.items())
            + f" (congruent: |X - Y| <= {self.tolerance:g})",
        ]
        if self.abs_diff is not None:
            a = self.abs_diff
            lines.append(
                f"|X - Y|: r = {a.r:.3f} (p = {a.r_p:.3g}); controlling X and Y, "
                f"b = {a.coef:.3f} (SE {a.se:.3f}, p = {a.p:.3g})"
            )
        if self.warnings:
            lines += ["", "Warnings:"] + [f"- {w}" for w in self.warnings]
        return "\n".join(lines)


def _complete_xyz(
    data: pd.DataFrame, x: str, y: str, z: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[str]]:
    if not isinstance(data, pd.DataFrame):
        raise InputError("`data` must be a pandas DataFrame.")
    cols = list(data.columns)
    for c in (x, y, z):
        if c not in data.columns:
            raise InputError(
                f"Column '{c}' is not in the data.",
                column=c,
                hint=_suggest(c, cols) or "Score the constructs first (score_scales).",
            )
        if not pd.api.types.is_numeric_dtype(data[c]):
            raise InputError(f"Column '{c}' is not numeric.", column=c)
    if len({x, y, z}) != 3:
        raise InputError("x, y and z must be three different columns.")
    frame = data[[x, y, z]].dropna()
    notes = []
    dropped = len(data) - len(frame)
    if dropped:
        notes.append(f"{dropped} of {len(data)} rows with a missing {x}, {y} or {z} were dropped.")
    return (
        frame[x].to_numpy(float),
        frame[y].to_numpy(float),
        frame[z].to_numpy(float),
        notes,
    )


def absolute_difference_index(
    data: pd.DataFrame,
    x: str,
    y: str,
    z: str,
) -> AbsoluteDifference:
    """The simple agreement index :math:`|X - Y|` and its relation to ``z``.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with numeric columns ``x``, ``y``, ``z``
        (e.g. scale means from :func:`workbench.measurement.scales.score_scales`).
    x, y, z : str
        The two experience scores and the outcome.

    Returns
    -------
    AbsoluteDifference

    Raises
    ------
    InputError
        A column is absent or not numeric, or fewer than 10 complete rows.

    Notes
    -----
    Two versions are reported. ``r``: the Pearson correlation of
    :math:`D = |X - Y|` with z (the index as commonly used). ``coef``: the
    coefficient of D in :math:`z = c_0 + c_1 X + c_2 Y + c_3 D`. The
    uncontrolled index confounds disagreement with level (respondents who
    rate both channels high can only disagree downwards), which is Edwards'
    (1994) critique of difference scores; controlling X and Y isolates the
    agreement effect. A negative ``coef`` means the outcome falls as the
    channels diverge. :func:`response_surface` is the fuller analysis.

    References
    ----------
    Edwards, J. R. (1994). The study of congruence in organizational behavior
    research: critique and a proposed alternative. Organizational Behavior
    and Human Decision Processes, 58(1), 51-100. R: ``cor.test(abs(X - Y),
    Z)`` and ``lm(Z ~ X + Y + abs(X - Y))``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"on": rng.normal(4, 1, 300), "off": rng.normal(4, 1, 300)})
    >>> df["loy"] = 4 - 0.5 * (df["on"] - df["off"]).abs() + rng.normal(0, 0.5, 300)
    >>> res = absolute_difference_index(df, "on", "off", "loy")
    >>> bool(res.coef < 0 and res.p < 0.001)
    True
    """
    import statsmodels.api as sm

    X, Y, Z, notes = _complete_xyz(data, x, y, z)
    n = len(Z)
    if n < 10:
        raise InputError(f"Only {n} complete rows for the absolute-difference index; need 10.")
    D = np.abs(X - Y)
    warn = list(notes)
    if np.ptp(D) == 0:
        raise InputError(f"|{x} - {y}| is constant: the index cannot be related to {z}.")
    r, r_p = stats.pearsonr(D, Z)
    fit = sm.OLS(Z, np.column_stack([np.ones(n), X, Y, D])).fit()
    return AbsoluteDifference(
        x=x,
        y=y,
        z=z,
        n=n,
        mean_abs_diff=float(D.mean()),
        r=float(r),
        r_p=float(r_p),
        coef=float(fit.params[3]),
        se=float(fit.bse[3]),
        t=float(fit.tvalues[3]),
        p=float(fit.pvalues[3]),
        warning_messages=tuple(warn),
        model=fit,
    )


_SURFACE_WEIGHTS = {
    "a1": (0, 1, 1, 0, 0, 0),
    "a2": (0, 0, 0, 1, 1, 1),
    "a3": (0, 1, -1, 0, 0, 0),
    "a4": (0, 0, 0, 1, -1, 1),
}


def response_surface(
    data: pd.DataFrame,
    x: str,
    y: str,
    z: str,
    *,
    center: float | None = None,
    scale: tuple[float, float] = (1.0, 7.0),
    tolerance: float = 0.5,
    grid_size: int = 25,
) -> ResponseSurface:
    """Polynomial regression with response-surface tests of X-Y agreement.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with numeric columns ``x``, ``y``, ``z``,
        e.g. the scale means of online experience, offline experience and
        loyalty (:func:`workbench.measurement.scales.score_scales`).
    x, y, z : str
        The two predictors (measured on the same scale) and the outcome.
    center : float, optional
        Value subtracted from X and Y; default the midpoint of ``scale``.
    scale : (float, float)
        Response scale of X and Y, default (1, 7): gives the default centre
        and the range of the grid.
    tolerance : float
        Half-width of the congruence band for the shares, in scale points
        (default 0.5: within half a scale point counts as agreement).
    grid_size : int
        Points per axis of the prediction grid (default 25).

    Returns
    -------
    ResponseSurface
        Coefficients ``b0..b5``, surface tests ``a1..a4``, R2, shares, the
        grid, and the :func:`absolute_difference_index` on the same rows.
        ``to_dict()`` is the ``consistency`` block of ``results.json``.

    Raises
    ------
    ValueError
        If ``scale`` is not increasing, ``tolerance`` is negative or
        ``grid_size`` < 2.
    InputError
        A column is absent or not numeric, or fewer than 20 complete rows.

    Notes
    -----
    With :math:`X = x - c`, :math:`Y = y - c` (:math:`c` = ``center``), OLS
    fits :math:`z = b_0 + b_1X + b_2Y + b_3X^2 + b_4XY + b_5Y^2 + e`. Along
    the line of congruence :math:`X = Y` the surface is
    :math:`z = b_0 + a_1X + a_2X^2` with :math:`a_1 = b_1 + b_2`,
    :math:`a_2 = b_3 + b_4 + b_5`; along the line of incongruence
    :math:`X = -Y` it is :math:`z = b_0 + a_3X + a_4X^2` with
    :math:`a_3 = b_1 - b_2`, :math:`a_4 = b_3 - b_4 + b_5`. Each
    :math:`a = w'b` has :math:`SE = \\sqrt{w'\\hat V w}` from the OLS
    covariance :math:`\\hat V = \\hat\\sigma^2 (X'X)^{-1}`, and is tested with
    :math:`t_{n-6}`. Reading: :math:`a_1 > 0` -- the outcome rises when both
    are high together; :math:`a_4 < 0` -- it falls as X and Y diverge
    (agreement matters); :math:`a_3 \\ne 0` -- it matters which is higher.

    Centring at the scale midpoint (Shanock et al. 2010; Edwards 2002)
    keeps X and Y on a common, meaningful origin (the same for both, which
    the line-of-congruence reading needs) and reduces collinearity of the
    squared terms; the a's are the slopes and curvatures at that origin.
    ``center`` overrides it (e.g. the pooled mean of X and Y). The shares
    count respondents with :math:`x - y > tol`, :math:`|x - y| \\le tol`,
    :math:`y - x > tol` (Shanock et al. use half a standard deviation of the
    standardized scores; we use scale points so that the band is the same in
    every sample). A warning is given when fewer than 10% of respondents are
    discrepant in either direction, as then the surface is poorly supported
    off the line of congruence.

    References
    ----------
    Edwards, J. R. (2002). Alternatives to difference scores: polynomial
    regression analysis and response surface methodology. In F. Drasgow &
    N. Schmitt (Eds.), Measuring and analyzing behavior in organizations
    (pp. 350-400). Jossey-Bass. Shanock, L. R., Baran, B. E., Gentry, W. A.,
    Pattison, S. C. & Heggestad, E. D. (2010). Polynomial regression with
    response surface analysis. Journal of Business and Psychology, 25(4),
    543-554. R: ``lm(z ~ X + Y + I(X^2) + I(X*Y) + I(Y^2))`` with
    ``vcov()``; ``RSA::RSA()`` reports the same a1-a4.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> on, off = rng.normal(4, 1, 500), rng.normal(4, 1, 500)
    >>> loy = 4 + 0.2 * (on + off - 8) - 0.3 * (on - off) ** 2 + rng.normal(0, 0.5, 500)
    >>> rs = response_surface(pd.DataFrame({"on": on, "off": off, "loy": loy}),
    ...                       "on", "off", "loy")
    >>> round(float(rs.surface.loc["a4", "estimate"]), 1)  # truth: -0.3 - 0.6 - 0.3 = -1.2
    -1.2
    >>> bool(rs.surface.loc["a1", "estimate"] > 0 and rs.surface.loc["a4", "p"] < 0.001)
    True
    """
    import statsmodels.api as sm

    lo, hi = (float(v) for v in scale)
    if not hi > lo:
        raise ValueError(f"scale must be (min, max) with max > min, got {scale!r}")
    if tolerance < 0:
        raise ValueError(f"tolerance must be >= 0, got {tolerance!r}")
    if int(grid_size) < 2:
        raise ValueError(f"grid_size must be at least 2, got {grid_size!r}")
    c = (lo + hi) / 2 if center is None else float(center)
    xr, yr, Z, notes = _complete_xyz(data, x, y, z)
    n = len(Z)
    if n < 20:
        raise InputError(
            f"Only {n} complete rows for the response surface; at least 20 are needed "
            "(6 coefficients).",
            hint="Check the missing values of the three columns.",
        )
    X, Y = xr - c, yr - c
    design = np.column_stack([np.ones(n), X, Y, X**2, X * Y, Y**2])
    fit = sm.OLS(Z, design).fit()
    b = np.asarray(fit.params)
    V = np.asarray(fit.cov_params())
    dfr = fit.df_resid
    terms = ["1", "X", "Y", "X^2", "XY", "Y^2"]
    coefficients = pd.DataFrame(
        {
            "term": terms,
            "estimate": b,
            "se": np.asarray(fit.bse),
            "t": np.asarray(fit.tvalues),
            "p": np.asarray(fit.pvalues),
        },
        index=[f"b{i}" for i in range(6)],
    )
    rows = {}
    for name, weights in _SURFACE_WEIGHTS.items():
        w = np.asarray(weights, dtype=float)
        est = float(w @ b)
        se = float(np.sqrt(w @ V @ w))
        t = est / se
        rows[name] = {"estimate": est, "se": se, "t": t, "p": float(2 * stats.t.sf(abs(t), dfr))}
    surface = pd.DataFrame.from_dict(rows, orient="index")

    diff = xr - yr
    shares = {
        "x_higher": float(np.mean(diff > tolerance)),
        "congruent": float(np.mean(np.abs(diff) <= tolerance)),
        "y_higher": float(np.mean(diff < -tolerance)),
    }
    warn = list(notes)
    for key, label in (("x_higher", x), ("y_higher", y)):
        if shares[key] < 0.10:
            warn.append(
                f"Only {100 * shares[key]:.1f}% of respondents rate {label} more than "
                f"{tolerance:g} points higher than the other: the surface off the line of "
                "congruence rests on few cases."
            )
    outside = np.mean((xr < lo) | (xr > hi) | (yr < lo) | (yr > hi))
    if outside > 0:
        warn.append(
            f"{100 * outside:.1f}% of the X/Y values lie outside the scale {lo:g}..{hi:g}; "
            "check `scale`."
        )
    g = np.linspace(lo, hi, int(grid_size))
    gx, gy = np.meshgrid(g, g, indexing="ij")
    GX, GY = gx.ravel() - c, gy.ravel() - c
    pred = np.column_stack([np.ones(GX.size), GX, GY, GX**2, GX * GY, GY**2]) @ b
    grid = pd.DataFrame({"x": gx.ravel(), "y": gy.ravel(), "predicted": pred})
    abs_diff = absolute_difference_index(data, x, y, z)
    return ResponseSurface(
        x=x,
        y=y,
        z=z,
        center=c,
        n=n,
        coefficients=coefficients,
        surface=surface,
        r2=float(fit.rsquared),
        adj_r2=float(fit.rsquared_adj),
        shares=shares,
        tolerance=float(tolerance),
        grid=grid,
        abs_diff=abs_diff,
        warning_messages=tuple(warn),
        model=fit,
    )
