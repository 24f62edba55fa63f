"""Every user-visible string of the paper export, in one place, and the references it cites.

Strings are *markup* (:mod:`workbench.presentation.apa`: ``*italic*``, ``**bold**``) with
named ``{placeholders}``; a sentence is always one string (never built by concatenating
pieces of sentences), so that it can be put into a message catalogue and translated as a
whole. :data:`TEXT` holds the English text under a stable key; :func:`text` looks the
English text up in the message catalogue of the current language
(:func:`workbench.i18n.gettext`: the English text is the message id, its Chinese in
``workbench/locale/zh/export.po``; Traditional Chinese is converted from it by OpenCC) and
fills in the placeholders. Symbols and abbreviations (``*p*``, CFI, ``\u0394\u03c7\u00b2``)
are not catalogued: they are the same in every language.

References are the methods a run's paragraphs cite, each as an APA 7 reference list entry
(markup) and a BibTeX entry; the export writes the ones a document cites into its reference
list and into ``references.bib`` beside it. They stay as published (English) in every
language, as Chinese theses cite English sources.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from workbench import i18n
from workbench.presentation.apa import space_cjk

#: languages the export can write: English and Chinese (Simplified, Traditional)
LANGUAGES: tuple[str, ...] = i18n.LANGUAGES

TEXT: dict[str, str] = {
    # ------------------------------------------------------------------ document
    "document.title": "Results of the {study} study",
    "document.title_batch": "Results of the {study} batch ({n} runs)",
    "heading.method": "Method",
    "heading.results": "Results",
    "heading.tables": "Tables",
    "heading.figures": "Figures",
    "heading.references": "References",
    "table.label": "Table {number}",
    "figure.label": "Figure {number}",
    "note.label": "*Note.*",
    "study.factor-analysis": "factor-analysis",
    "study.loyalty-drivers": "loyalty-drivers",
    "study.experience-economy": "experience-economy",
    "study.pls-sem": "pls-sem",
    "study.member-analytics": "member-analytics",
    "study.programme-evaluation": "programme-evaluation",
    "study.segmentation": "segmentation",
    "study.points-programme": "points-programme",
    # ------------------------------------------------------------------ column headers
    "col.construct": "Construct",
    "col.item": "Item",
    "col.factor": "Factor",
    "col.predictor": "Predictor",
    "col.path": "Path",
    "col.effect": "Effect",
    "col.model": "Model",
    "col.driver": "Driver",
    "col.run": "Run",
    "col.measure": "Measure",
    "col.value": "Value",
    "col.segment": "Segment",
    "col.share": "Share",
    "col.ci95": "95% CI",
    "col.ci": "{level}% CI",
    "col.rmsea_ci": "RMSEA 90% CI",
    "col.cr": "CR",
    "col.ave": "AVE",
    "col.rho_a": "\u03c1A",
    "col.rho_c": "\u03c1C",
    "col.vif": "VIF",
    "col.htmt": "HTMT",
    "col.loading": "Loading",
    "col.weight": "Weight",
    "col.lmg": "LMG",
    "col.rw": "RW",
    "col.share_r2": "% of *R*\u00b2",
    "col.estimate": "Estimate",
    "col.q2_predict": "*Q*\u00b2predict",
    "col.rmse_pls": "RMSE (PLS)",
    "col.rmse_lm": "RMSE (LM)",
    "col.delta_cfi": "\u0394CFI",
    "col.delta_rmsea": "\u0394RMSEA",
    "col.delta_chi2": "\u0394\u03c7\u00b2",
    "col.delta_df": "\u0394*df*",
    "col.loglik": "log *L*",
    "col.npar": "Parameters",
    "col.entropy": "Entropy",
    "col.min_share": "Smallest share",
    "col.period": "Period",
    "col.outcome": "Outcome",
    "col.members": "Members",
    "col.feature": "Feature",
    "col.importance": "Importance",
    "col.issued": "Issued",
    "col.redeemed": "Redeemed",
    "col.expired": "Expired",
    "col.outstanding": "Outstanding",
    "col.redeemers": "Redeemers",
    "col.opening": "Opening",
    "col.allocated": "Allocated",
    "col.recognised": "Recognised",
    "col.estimate_change": "Change in estimate",
    "col.closing": "Closing",
    "col.revenue": "Revenue",
    "col.relative_period": "Period since the first redemption",
    # ------------------------------------------------------------------ row labels
    "row.intercept": "Intercept",
    "row.cfa_model": "{k}-factor CFA",
    "row.measurement_model": "Measurement model",
    "row.structural_model": "Structural model",
    "row.mediation_a": "*a*: {x} \u2192 {m}",
    "row.mediation_b": "*b*: {m} \u2192 {y}",
    "row.mediation_c_prime": "*c*\u2032: {x} \u2192 {y} (direct)",
    "row.mediation_c": "*c*: {x} \u2192 {y} (total)",
    "row.mediation_indirect": "*ab*: {x} \u2192 {m} \u2192 {y} (indirect)",
    "row.arrow": "{a} \u2192 {b}",
    "row.estimated_model": "Estimated model",
    "row.saturated_model": "Saturated model",
    "row.interaction": "{x} \u00d7 {w} (interaction)",
    "row.simple_slope": "Slope of {x} at {w}: {level}",
    "row.pair": "{a} \u2013 {b}",
    # ------------------------------------------------------------------ table titles
    "title.reliability": "Descriptive Statistics and Reliability of the Scales",
    "title.efa_loadings": "Pattern Loadings and Communalities of the Exploratory Factor Analysis",
    "title.factor_correlations": "Correlations Between the Factors",
    "title.cfa_fit": "Fit of the Confirmatory Factor Analysis",
    "title.cfa_loadings": "Standardized Loadings of the Confirmatory Factor Analysis",
    "title.regression": "Regression of {outcome} on Its Drivers",
    "title.relative_importance": "Relative Importance of the Drivers of {outcome}",
    "title.mediation": "Mediation of the Effect of {x} on {y} Through {m}",
    "title.moderation": "Moderation of the Effect of {x} on {y} by {w}",
    "title.sem_fit": "Fit of the Measurement and Structural Models",
    "title.model_comparison": "Comparison of Alternative Measurement Models",
    "title.sem_paths": "Structural Paths",
    "title.sem_indirect": "Indirect Effects",
    "title.invariance": "Measurement Invariance Across Groups",
    "title.pls_measurement": "Outer Loadings and Weights of the PLS-SEM Measurement Model",
    "title.pls_reliability": "Reliability and Convergent Validity of the Constructs",
    "title.pls_htmt": "Heterotrait-Monotrait Ratios",
    "title.pls_paths": "Structural Model: Path Coefficients",
    "title.pls_indirect": "Indirect Effects",
    "title.pls_fit": "Approximate Fit of the PLS-SEM Model",
    "title.pls_predict": "Out-of-Sample Predictive Power (PLSpredict)",
    "title.clv": "Customer Lifetime Value Model",
    "title.churn": "Churn Model: Discrimination and Most Important Features",
    "title.did": "Difference-in-Differences Estimate of the Programme Effect",
    "title.event_study": "Event-Study Estimates Relative to the Launch",
    "title.segment_selection": "Fit of Segmentations With Different Numbers of Segments",
    "title.segment_profiles": "Segment Sizes and Means",
    "title.compare": "{title}: {n} Runs Side by Side",
    "title.points_ledger": "Points Issued, Redeemed and Expired by Period",
    "title.points_redemption": "Ultimate Redemption Rate and Breakage of the Points",
    "title.points_liability": "Contract Liability for the Points Outstanding (IFRS 15 Roll-Forward)",
    "title.goal_gradient": "Goal Gradient: Time to the Next Earning by Progress Toward the Reward",
    "title.redemption_effect": "Change of {outcome} Around the First Redemption (Event Study)",
    # ------------------------------------------------------------------ table notes
    "note.missing": "Missing data: {treatment}.",
    "note.n": "*N* = {n}.",
    "note.reliability": (
        "*k* = number of items; \u03b1 = Cronbach's alpha with its 95% confidence interval; "
        "\u03c9 = McDonald's omega total; CR = composite reliability; AVE = average variance "
        "extracted. *N* = {n}."
    ),
    "note.reliability_no_ci": (
        "*k* = number of items; \u03b1 = Cronbach's alpha; \u03c9 = McDonald's omega total; "
        "CR = composite reliability; AVE = average variance extracted. *N* = {n}."
    ),
    "note.efa": (
        "Extraction: {method}; rotation: {rotation}; {k} factors (retained by: {rule}). "
        "Loadings of .40 or "
        "more in absolute value are in bold. *h*\u00b2 = communality. Kaiser-Meyer-Olkin "
        "measure = {kmo}; Bartlett's test of sphericity {bartlett}, {bartlett_p}. *N* = {n}."
    ),
    "note.factor_correlations": "Factor correlations of the {rotation} rotation.",
    "note.cfa_fit": (
        "Estimator: {estimator}. CFI = comparative fit index; TLI = Tucker-Lewis index; "
        "RMSEA = root mean square error of approximation; SRMR = standardized root mean "
        "square residual. *N* = {n}."
    ),
    "note.cfa_loadings": "Completely standardized loadings; estimator: {estimator}. *N* = {n}.",
    "note.regression": (
        "*N* = {n}. {fit}. *b* = unstandardized coefficient; CI = confidence interval of "
        "*b*; \u03b2 = standardized coefficient. Model: {model}."
    ),
    "note.regression_mi": (
        "Estimates pooled over {m} multiply imputed data sets (Rubin's rules; "
        "Barnard-Rubin degrees of freedom)."
    ),
    "note.r2": "*R*\u00b2 = {r2}, adjusted *R*\u00b2 = {adj_r2}",
    "note.pseudo_r2": "Pseudo *R*\u00b2 = {r2}",
    "note.relative_importance": (
        "LMG = average increase in *R*\u00b2 over all orders of entry (Lindeman, Merenda, & "
        "Gold, 1980); RW = relative weight (Johnson, 2000). Confidence intervals from {boot} "
        "bootstrap resamples (seed {seed}). *R*\u00b2 = {r2}. *N* = {n}."
    ),
    "note.mediation": (
        "Unstandardized coefficients. Covariates: {covariates}. The confidence interval of "
        "the indirect effect is a percentile bootstrap interval from {boot} resamples (seed "
        "{seed}); those of the paths are *t*-based. *N* = {n}."
    ),
    "note.moderation": (
        "Unstandardized coefficients of {y} regressed on {x}, {w} and their product; simple "
        "slopes of {x} at the values of {w} shown. *N* = {n}."
    ),
    "note.sem_fit": (
        "Estimator: {estimator}. CFI = comparative fit index; TLI = Tucker-Lewis index; "
        "RMSEA = root mean square error of approximation; SRMR = standardized root mean "
        "square residual."
    ),
    "note.model_comparison": "\u0394\u03c7\u00b2 tests each model against {vs}.",
    "note.sem_paths": (
        "*B* = unstandardized coefficient; \u03b2 = standardized coefficient. *R*\u00b2: "
        "{r2}. Estimator: {estimator}."
    ),
    "note.sem_indirect": (
        "Confidence intervals: {method} from {boot} resamples (seed {seed}). \u03b2 = "
        "standardized effect."
    ),
    "note.invariance": "Each model is compared with the one before it. Groups: {group}.",
    "note.sem_indirect_no_boot": ("Confidence intervals: {method}. \u03b2 = standardized effect."),
    "note.pls_measurement": (
        "Bootstrap confidence intervals of the loadings from {boot} resamples. VIF = "
        "variance inflation factor of the indicator."
    ),
    "note.pls_reliability": (
        "\u03b1 = Cronbach's alpha; \u03c1A = Dijkstra-Henseler's rho; \u03c1C = composite "
        "reliability; AVE = average variance extracted."
    ),
    "note.pls_htmt": "Bootstrap confidence intervals from {boot} resamples.",
    "note.pls_paths": (
        "Standardized path coefficients; *SE*, *t*, *p* and the confidence intervals from "
        "{boot} bootstrap resamples (seed {seed}). *R*\u00b2 (adjusted *R*\u00b2): {r2}. "
        "SRMR = {srmr}. *N* = {n}."
    ),
    "note.pls_indirect": "Bootstrap confidence intervals from {boot} resamples.",
    "note.pls_fit": (
        "SRMR = standardized root mean square residual; *d*ULS and *d*G = unweighted least "
        "squares and geodesic discrepancies. The saturated model lets all constructs "
        "correlate freely."
    ),
    "note.pls_predict": (
        "*Q*\u00b2predict above zero: the PLS model predicts better than the indicator means; "
        "RMSE (PLS) below RMSE (LM): better than a linear benchmark. {folds}-fold "
        "cross-validation, {repeats} repetitions."
    ),
    "note.clv": (
        "BG/NBD model of purchase frequency and Gamma-Gamma model of spend. Holdout: "
        "predicted and actual purchases of the holdout period. Horizon: {horizon} periods; "
        "discount rate {rate} per period."
    ),
    "note.churn": "AUC = area under the ROC curve with its 95% confidence interval.",
    "note.did": (
        "Two-way fixed-effects difference-in-differences ({model} model). Outcome: {outcome}. "
        "Effect = the change relative to the treated members' outcome without the programme. "
        "Pre-trend test: {pretrend}."
    ),
    "note.did_poisson": (
        "Two-way fixed-effects difference-in-differences (Poisson model): *b* is the log "
        "rate ratio of treated to comparison members, Effect = exp(*b*) \u2212 1. Outcome: "
        "{outcome}. Pre-trend test: {pretrend}."
    ),
    "note.event_study": "Periods relative to the launch (0 = launch period).",
    "note.segment_selection": (
        "Best model per number of segments (lowest BIC). BIC = \u22122 log *L* + parameters "
        "\u00d7 log *n* (lower is better); ICL = integrated completed likelihood. Chosen: "
        "{chosen}."
    ),
    "note.segment_profiles": "Means on the original scale. Segments numbered by size.",
    "note.points_ledger": (
        "Points per period. Outstanding = points issued and neither redeemed nor expired at "
        "the end of the period; Members = members holding points; Redeemers = members who "
        "redeemed in the period. Point value {value}; points expire after {months} months."
    ),
    "note.points_redemption": (
        "Ultimate redemption rate = share of the {issued} points issued that will ever be "
        "redeemed, by the chain-ladder method (Mack, 1993), with a {level}% interval from "
        "{boot} over-dispersed Poisson bootstrap resamples (England & Verrall, 2002; seed "
        "{seed}); cumulative incidence = Aalen-Johansen estimate per point. Breakage = 1 "
        "\u2212 ultimate redemption rate. Data up to {asof}."
    ),
    "note.points_liability": (
        "Contract liability for the points outstanding, in currency units (point value "
        "{value}). Part of each sale is allocated to the points it earns and recognised as "
        "revenue as points are redeemed, in proportion to the redemptions expected (IFRS 15, "
        "paragraphs B39\u2013B43); Change in estimate = the effect of revising the expected "
        "redemption rate. Closing = opening + allocated \u2212 recognised + change in "
        "estimate; Revenue = recognised \u2212 change in estimate."
    ),
    "note.goal_gradient": (
        "Regression of the log of the days to a member's next earning on the progress "
        "toward the {threshold}-point reward (0 = start of a cycle, 1 = threshold), within "
        "members (member fixed effects; Kivetz, Urminsky, & Zheng, 2006); standard errors "
        "clustered by member. Change at the threshold = exp(*b*) \u2212 1. {members} members, "
        "{gaps} intervals."
    ),
    "note.redemption_effect": (
        "Event study of {outcome} per {period} around each member's first redemption, with "
        "member and period fixed effects; period \u22121 is the reference, periods {first} "
        "and {last} also hold the periods beyond them. Standard errors clustered by member "
        "({clusters} clusters). Pre-trend test: {pretrend}. Average over the periods from 0: "
        "{average}, 95% CI {ci}, {p}."
    ),
    "note.compare": "Each column is one run of the batch ({runs}).",
    "note.compare_column": "Each column is one run of the batch ({runs}); the cells show {column}.",
    # ------------------------------------------------------------------ CLV and churn labels
    "label.bgnbd": "BG/NBD (purchase frequency)",
    "label.gamma_gamma": "Gamma-Gamma (spend per purchase)",
    "label.r": "*r*",
    "label.alpha": "\u03b1",
    "label.a": "*a*",
    "label.b": "*b*",
    "label.p": "*p*",
    "label.q": "*q*",
    "label.v": "\u03b3",
    "label.log_likelihood": "log *L*",
    "label.holdout": "Holdout period",
    "label.holdout_predicted": "Predicted purchases",
    "label.holdout_actual": "Actual purchases",
    "label.holdout_mae": "Mean absolute error per member",
    "label.total_clv": "Total CLV over the horizon",
    "label.discrimination": "Discrimination on the test members",
    "label.features_logit": "Coefficients (log-odds of churn per SD of the feature)",
    "label.features_other": "Permutation importance (drop in AUC)",
    "label.ultimate_rate": "Ultimate redemption rate (chain ladder)",
    "label.breakage": "Breakage",
    "label.survival_rate": "Ultimate redemption rate (cumulative incidence)",
    "label.by_expiry": "Share redeemed with expiry after {months} months",
    "label.gg_slope": "Slope of log days to the next earning on progress",
    "label.gg_change": "Change of the time to the next earning at the threshold",
    "period.month": "month",
    "period.quarter": "quarter",
    "period.week": "week",
    "period.year": "year",
    # ------------------------------------------------------------------ label words
    "model.ols": "ordinary least squares",
    "model.logit": "logistic regression",
    "model.ordinal": "ordinal logistic regression",
    "model.poisson": "Poisson regression",
    "fit.chi2": "\u03c7\u00b2({df}) = {chi2}, {p}",
    "fit.summary": "\u03c7\u00b2({df}) = {chi2}, {p}, CFI = {cfi}, TLI = {tli}, RMSEA = {rmsea} {ci}, SRMR = {srmr}",
    "none": "none",
    "word.and": "and",
    "phrase.variance_of": "{share} of the variance of {construct}",
    # ------------------------------------------------------------------ paragraphs
    "method.sample": (
        "The analysis used {n} of {n_total} respondents of the data file {data}. Missing "
        "data: {missing}."
    ),
    "method.sample_rows": "The analysis used {n} cases of the data file {data}. Missing data: {missing}.",
    "method.software": (
        "Analyses were run with loyalty-workbench {workbench} (Python {python}; NumPy "
        "{numpy}, pandas {pandas}, SciPy {scipy}, statsmodels {statsmodels})."
    ),
    "method.factor-analysis": (
        "The factor structure was explored with an exploratory factor analysis "
        "({method} extraction, {rotation} rotation) of the {correlation} correlations; the "
        "number of factors was chosen by parallel analysis (Horn, 1965). Reliability was assessed with "
        "Cronbach's alpha and McDonald's omega (McDonald, 1999), and the structure was "
        "confirmed with a confirmatory factor analysis ({estimator} estimation; Rosseel, "
        "2012); fit was judged by CFI, TLI, RMSEA and SRMR (Hu & Bentler, 1999)."
    ),
    "method.factor-analysis_fixed": (
        "The factor structure was explored with an exploratory factor analysis "
        "({method} extraction, {rotation} rotation) of the {correlation} correlations with "
        "{k} factors, as set for the run. Reliability was assessed with Cronbach's alpha and "
        "McDonald's omega (McDonald, 1999), and the structure was confirmed with a "
        "confirmatory factor analysis ({estimator} estimation; Rosseel, 2012); fit was "
        "judged by CFI, TLI, RMSEA and SRMR (Hu & Bentler, 1999)."
    ),
    "method.loyalty-drivers": (
        "{outcome} was regressed on {drivers} ({model}). The relative importance of the "
        "drivers was estimated by the LMG decomposition of *R*\u00b2 (Lindeman et al., 1980; "
        "Gr\u00f6mping, 2006) and by relative weights (Johnson, 2000), with bootstrap "
        "confidence intervals."
    ),
    "method.mediation": (
        "The indirect effect of {x} on {y} through {m} was tested with a percentile bootstrap "
        "confidence interval ({boot} resamples; Hayes, 2022)."
    ),
    "method.experience-economy": (
        "The four realms of the experience economy (Pine & Gilmore, 1999; Oh, Fiore, & "
        "Jeoung, 2007) and their outcomes were modelled as a structural equation model "
        "({estimator} estimation; Rosseel, 2012), after a confirmatory measurement model; fit "
        "was judged by CFI, TLI, RMSEA and SRMR (Hu & Bentler, 1999). Indirect effects were "
        "tested with bootstrap confidence intervals."
    ),
    "method.invariance": (
        "Measurement invariance across {group} was tested by comparing configural, metric "
        "and scalar models (Chen, 2007)."
    ),
    "method.pls-sem": (
        "The model was estimated by partial least squares structural equation modelling "
        "(PLS-SEM; Hair et al., 2022) with {weighting} inner weighting, and the "
        "significance of the estimates by bootstrapping ({boot} resamples). The measurement "
        "model was assessed by loadings, Cronbach's alpha, \u03c1A, \u03c1C and AVE, and "
        "discriminant validity by the heterotrait-monotrait ratio (Henseler, Ringle, & "
        "Sarstedt, 2015); predictive power by PLSpredict (Shmueli et al., 2019)."
    ),
    "method.member-analytics": (
        "Customer lifetime value was estimated with the BG/NBD model of purchase frequency "
        "(Fader, Hardie, & Lee, 2005) and the Gamma-Gamma model of spend (Fader & Hardie, "
        "2013); churn was predicted with a {churn_model} model evaluated by the area under "
        "the ROC curve."
    ),
    "method.programme-evaluation": (
        "The effect of the loyalty programme was estimated by a difference-in-differences "
        "design ({model} model of {outcome}) with an event study of the periods around the "
        "launch (two-way fixed effects; Angrist & Pischke, 2009)."
    ),
    "method.segmentation": (
        "Respondents were segmented by {method} on {variables}; the number of segments and "
        "the model were chosen by {chosen_by} (Scrucca et al., 2016)."
    ),
    "result.factor-analysis": (
        "The data were suitable for factoring (KMO = {kmo}; Bartlett's {bartlett}, "
        "{bartlett_p}). The analysis retained {k} factors. Cronbach's alpha of the scales "
        "ranged from {alpha_min} to {alpha_max}. The confirmatory model fitted the data "
        "{fit_word}: {fit}."
    ),
    "result.loyalty-drivers": (
        "The drivers explained {r2_pct} of the variance of {outcome} ({r2_text}). "
        "{top} was the strongest driver (\u03b2 = {top_beta}, {top_p}; LMG = {top_lmg}, "
        "{top_share} of *R*\u00b2)."
    ),
    "result.mediation": (
        "The indirect effect of {x} on {y} through {m} was {indirect} (95% CI {ci}); the "
        "direct effect was {direct} ({direct_p})."
    ),
    "result.mediation_no_p": (
        "The indirect effect of {x} on {y} through {m} was {indirect} (95% CI {ci}); the "
        "direct effect was {direct}."
    ),
    "result.experience-economy": (
        "The structural model fitted the data {fit_word}: {fit}. The strongest path was "
        "{strongest} (\u03b2 = {beta}, {p})."
    ),
    "result.pls-sem": (
        "The model explained {r2_text}. The strongest path was {strongest} (\u03b2 = {beta}, "
        "95% CI {ci}, {p}); SRMR = {srmr}."
    ),
    "result.member-analytics": (
        "Over the holdout period the model predicted {predicted} purchases against {actual} "
        "observed; the churn model discriminated with AUC = {auc} (95% CI {ci})."
    ),
    "result.programme-evaluation": (
        "The programme changed {outcome} by {estimate} (95% CI {ci}, {p}), a relative "
        "effect of {relative}."
    ),
    "method.points-programme": (
        "Points were valued at {value} each and expire after {months} months. The share of "
        "the points issued that will ever be redeemed was estimated by the chain-ladder "
        "method (Mack, 1993), with an over-dispersed Poisson bootstrap interval ({boot} "
        "resamples; England & Verrall, 2002), and the contract liability for the points "
        "outstanding was rolled forward as IFRS 15 requires (IFRS Foundation, 2014). The "
        "goal-gradient effect (Kivetz, Urminsky, & Zheng, 2006) was estimated by regressing "
        "the log of the days to a member's next earning on the progress toward the "
        "{threshold}-point reward within members, and the change of {outcome} after a "
        "member's first redemption by an event study with member and period fixed effects "
        "(Angrist & Pischke, 2009); standard errors were clustered by member."
    ),
    "result.points-programme": (
        "Of the {issued} points issued, an estimated {rate} will be redeemed (95% CI {ci}), "
        "a breakage of {breakage}; the contract liability at {asof} was {liability}."
    ),
    "result.goal_gradient": (
        "Members earned again sooner as they neared the reward: at the threshold the time to "
        "the next earning changed by {change} (95% CI {ci}; *b* = {b}, {p})."
    ),
    "result.redemption_effect": (
        "After a first redemption, {outcome} per {period} changed by {average} on average "
        "(95% CI {ci}, {p}); the pre-trend test ({pretrend}) warns that redeemers differed "
        "before they redeemed."
    ),
    "result.redemption_effect_parallel": (
        "After a first redemption, {outcome} per {period} changed by {average} on average "
        "(95% CI {ci}, {p}); the pre-trend test ({pretrend}) found no difference before the "
        "redemption."
    ),
    "result.segmentation": (
        "The chosen solution has {k} segments ({model}); the largest holds {share} of the "
        "respondents."
    ),
    "fit.good": "well",
    "fit.acceptable": "acceptably",
    "fit.poor": "poorly",
    # ------------------------------------------------------------------ figures
    "figure.efa_loadings": "Pattern Loadings of the Exploratory Factor Analysis",
    "figure.importance": "Relative Importance of the Drivers (Share of *R*\u00b2)",
    "figure.paths": "Standardized Path Coefficients",
    "figure.segments": "Segment Means",
    "axis.factor": "Factor",
    "axis.item": "Item",
    "axis.share_r2": "Share of R\u00b2 (%)",
    "axis.beta": "Standardized coefficient",
    "axis.mean": "Mean",
    # ------------------------------------------------------------------ errors (CLI)
    "error.not_a_run": "'{folder}' is not a finished run folder: it has no results.json.",
    "error.not_a_run_hint": (
        "Give the folder that `workbench run` wrote (it holds results.json and "
        "report.html), or a `workbench batch` folder."
    ),
    "error.bad_json": "results.json cannot be read: {reason}.",
    "error.bad_json_hint": "Run the study again to rewrite it.",
    "error.unknown_study": "results.json is from an unknown study '{study}'.",
    "error.unknown_study_hint": "The export knows these studies: {studies}.",
    "error.unknown_version": (
        "results.json was written by loyalty-workbench {version}, which this version "
        "({ours}) cannot read."
    ),
    "error.unknown_version_hint": (
        "Export it with the version that wrote it, or run the study again with this one."
    ),
    "error.missing_key": "results.json of a {study} run lacks '{key}'.",
    "error.missing_key_hint": (
        "The run was made by an older version or failed part way: run the study again."
    ),
    "error.format": "Unknown export format '{to}'; choose one of: {formats}.",
    "error.batch_mixed": "The batch folder mixes studies: {studies}.",
    "error.batch_mixed_hint": "Export each study's runs separately.",
    "warning.failed_run": "{run}: no results.json (a failed run); left out of the document.",
    "cli.document": "document:   {path}",
    "cli.references": "references: {path}",
    "cli.figures": "figures:    {path}",
    "warning.no_cjk_font": (
        "No font with Chinese characters was found: figures draw Chinese labels as boxes. "
        "Install one (e.g. Debian's fonts-noto-cjk)."
    ),
}


def text(key: str, /, **values: Any) -> str:
    """The string ``key`` of :data:`TEXT` in the current language, placeholders filled in.

    The language is :func:`workbench.i18n.get_language` (``export_run`` sets it for the
    document it writes); a string without a translation stays English. Chinese text gets a
    space between Chinese characters and the Latin names put into it
    (:func:`~workbench.presentation.apa.space_cjk`).

    >>> text("table.label", number=2)
    'Table 2'
    >>> with i18n.language("zh"):
    ...     text("table.label", number=2)
    '表2'
    """
    out = i18n.gettext(TEXT[key], **values)
    return out if i18n.get_language() == "en" else space_cjk(out)


@dataclasses.dataclass(frozen=True)
class Reference:
    """A work the export cites: its APA 7 reference entry (markup) and its BibTeX entry."""

    key: str
    apa: str
    bibtex: str


REFERENCES: dict[str, Reference] = {
    r.key: r
    for r in (
        Reference(
            "angrist2009",
            "Angrist, J. D., & Pischke, J.-S. (2009). *Mostly harmless econometrics: An "
            "empiricist's companion*. Princeton University Press.",
            '@book{angrist2009,\n  author = {Angrist, Joshua D. and Pischke, J{\\"o}rn-Steffen},'
            "\n  title = {Mostly Harmless Econometrics: An Empiricist's Companion},\n  "
            "publisher = {Princeton University Press},\n  year = {2009}\n}",
        ),
        Reference(
            "chen2007",
            "Chen, F. F. (2007). Sensitivity of goodness of fit indexes to lack of measurement "
            "invariance. *Structural Equation Modeling, 14*(3), 464\u2013504. "
            "https://doi.org/10.1080/10705510701301834",
            "@article{chen2007,\n  author = {Chen, Fang Fang},\n  title = {Sensitivity of "
            "goodness of fit indexes to lack of measurement invariance},\n  journal = "
            "{Structural Equation Modeling},\n  volume = {14},\n  number = {3},\n  pages = "
            "{464--504},\n  year = {2007},\n  doi = {10.1080/10705510701301834}\n}",
        ),
        Reference(
            "england2002",
            "England, P. D., & Verrall, R. J. (2002). Stochastic claims reserving in general "
            "insurance. *British Actuarial Journal, 8*(3), 443\u2013518. "
            "https://doi.org/10.1017/S1357321700003809",
            "@article{england2002,\n  author = {England, Peter D. and Verrall, Richard J.},\n"
            "  title = {Stochastic claims reserving in general insurance},\n  journal = "
            "{British Actuarial Journal},\n  volume = {8},\n  number = {3},\n  pages = "
            "{443--518},\n  year = {2002},\n  doi = {10.1017/S1357321700003809}\n}",
        ),
        Reference(
            "ifrs2014",
            "IFRS Foundation. (2014). *IFRS 15 Revenue from contracts with customers*. "
            "International Accounting Standards Board.",
            "@misc{ifrs2014,\n  author = {{IFRS Foundation}},\n  title = {{IFRS} 15 Revenue "
            "from Contracts with Customers},\n  publisher = {International Accounting "
            "Standards Board},\n  year = {2014}\n}",
        ),
        Reference(
            "kivetz2006",
            "Kivetz, R., Urminsky, O., & Zheng, Y. (2006). The goal-gradient hypothesis "
            "resurrected: Purchase acceleration, illusionary goal progress, and customer "
            "retention. *Journal of Marketing Research, 43*(1), 39\u201358. "
            "https://doi.org/10.1509/jmkr.43.1.39",
            "@article{kivetz2006,\n  author = {Kivetz, Ran and Urminsky, Oleg and Zheng, "
            "Yuhuang},\n  title = {The goal-gradient hypothesis resurrected: Purchase "
            "acceleration, illusionary goal progress, and customer retention},\n  journal = "
            "{Journal of Marketing Research},\n  volume = {43},\n  number = {1},\n  pages = "
            "{39--58},\n  year = {2006},\n  doi = {10.1509/jmkr.43.1.39}\n}",
        ),
        Reference(
            "mack1993",
            "Mack, T. (1993). Distribution-free calculation of the standard error of chain "
            "ladder reserve estimates. *ASTIN Bulletin, 23*(2), 213\u2013225. "
            "https://doi.org/10.2143/AST.23.2.2005092",
            "@article{mack1993,\n  author = {Mack, Thomas},\n  title = {Distribution-free "
            "calculation of the standard error of chain ladder reserve estimates},\n  journal "
            "= {{ASTIN} Bulletin},\n  volume = {23},\n  number = {2},\n  pages = "
            "{213--225},\n  year = {1993},\n  doi = {10.2143/AST.23.2.2005092}\n}",
        ),
        Reference(
            "fader2005",
            "Fader, P. S., Hardie, B. G. S., & Lee, K. L. (2005). \u201cCounting your "
            "customers\u201d the easy way: An alternative to the Pareto/NBD model. *Marketing "
            "Science, 24*(2), 275\u2013284. https://doi.org/10.1287/mksc.1040.0098",
            "@article{fader2005,\n  author = {Fader, Peter S. and Hardie, Bruce G. S. and Lee, "
            "Ka Lok},\n  title = {``Counting your customers'' the easy way: An alternative to "
            "the Pareto/NBD model},\n  journal = {Marketing Science},\n  volume = {24},\n  "
            "number = {2},\n  pages = {275--284},\n  year = {2005},\n  doi = "
            "{10.1287/mksc.1040.0098}\n}",
        ),
        Reference(
            "fader2013",
            "Fader, P. S., & Hardie, B. G. S. (2013). *The Gamma-Gamma model of monetary "
            "value*. http://www.brucehardie.com/notes/025/",
            "@misc{fader2013,\n  author = {Fader, Peter S. and Hardie, Bruce G. S.},\n  "
            "title = {The Gamma-Gamma model of monetary value},\n  year = {2013},\n  "
            "url = {http://www.brucehardie.com/notes/025/}\n}",
        ),
        Reference(
            "gromping2006",
            "Gr\u00f6mping, U. (2006). Relative importance for linear regression in R: The "
            "package relaimpo. *Journal of Statistical Software, 17*(1), 1\u201327. "
            "https://doi.org/10.18637/jss.v017.i01",
            '@article{gromping2006,\n  author = {Gr{\\"o}mping, Ulrike},\n  title = {Relative '
            "importance for linear regression in {R}: The package relaimpo},\n  journal = "
            "{Journal of Statistical Software},\n  volume = {17},\n  number = {1},\n  pages = "
            "{1--27},\n  year = {2006},\n  doi = {10.18637/jss.v017.i01}\n}",
        ),
        Reference(
            "hair2022",
            "Hair, J. F., Hult, G. T. M., Ringle, C. M., & Sarstedt, M. (2022). *A primer on "
            "partial least squares structural equation modeling (PLS-SEM)* (3rd ed.). Sage.",
            "@book{hair2022,\n  author = {Hair, Joseph F. and Hult, G. Tomas M. and Ringle, "
            "Christian M. and Sarstedt, Marko},\n  title = {A Primer on Partial Least Squares "
            "Structural Equation Modeling ({PLS-SEM})},\n  edition = {3},\n  publisher = "
            "{Sage},\n  year = {2022}\n}",
        ),
        Reference(
            "hayes2022",
            "Hayes, A. F. (2022). *Introduction to mediation, moderation, and conditional "
            "process analysis: A regression-based approach* (3rd ed.). Guilford Press.",
            "@book{hayes2022,\n  author = {Hayes, Andrew F.},\n  title = {Introduction to "
            "Mediation, Moderation, and Conditional Process Analysis: A Regression-Based "
            "Approach},\n  edition = {3},\n  publisher = {Guilford Press},\n  year = {2022}\n}",
        ),
        Reference(
            "henseler2015",
            "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for assessing "
            "discriminant validity in variance-based structural equation modeling. *Journal "
            "of the Academy of Marketing Science, 43*(1), 115\u2013135. "
            "https://doi.org/10.1007/s11747-014-0403-8",
            '@article{henseler2015,\n  author = {Henseler, J{\\"o}rg and Ringle, Christian M. '
            "and Sarstedt, Marko},\n  title = {A new criterion for assessing discriminant "
            "validity in variance-based structural equation modeling},\n  journal = {Journal "
            "of the Academy of Marketing Science},\n  volume = {43},\n  number = {1},\n  "
            "pages = {115--135},\n  year = {2015},\n  doi = {10.1007/s11747-014-0403-8}\n}",
        ),
        Reference(
            "horn1965",
            "Horn, J. L. (1965). A rationale and test for the number of factors in factor "
            "analysis. *Psychometrika, 30*(2), 179\u2013185. https://doi.org/10.1007/BF02289447",
            "@article{horn1965,\n  author = {Horn, John L.},\n  title = {A rationale and test "
            "for the number of factors in factor analysis},\n  journal = {Psychometrika},\n  "
            "volume = {30},\n  number = {2},\n  pages = {179--185},\n  year = {1965},\n  doi "
            "= {10.1007/BF02289447}\n}",
        ),
        Reference(
            "hu1999",
            "Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in covariance "
            "structure analysis: Conventional criteria versus new alternatives. *Structural "
            "Equation Modeling, 6*(1), 1\u201355. https://doi.org/10.1080/10705519909540118",
            "@article{hu1999,\n  author = {Hu, Li-tze and Bentler, Peter M.},\n  title = "
            "{Cutoff criteria for fit indexes in covariance structure analysis: Conventional "
            "criteria versus new alternatives},\n  journal = {Structural Equation Modeling},"
            "\n  volume = {6},\n  number = {1},\n  pages = {1--55},\n  year = {1999},\n  doi "
            "= {10.1080/10705519909540118}\n}",
        ),
        Reference(
            "johnson2000",
            "Johnson, J. W. (2000). A heuristic method for estimating the relative weight of "
            "predictor variables in multiple regression. *Multivariate Behavioral Research, "
            "35*(1), 1\u201319. https://doi.org/10.1207/S15327906MBR3501_1",
            "@article{johnson2000,\n  author = {Johnson, Jeff W.},\n  title = {A heuristic "
            "method for estimating the relative weight of predictor variables in multiple "
            "regression},\n  journal = {Multivariate Behavioral Research},\n  volume = {35},"
            "\n  number = {1},\n  pages = {1--19},\n  year = {2000},\n  doi = "
            "{10.1207/S15327906MBR3501_1}\n}",
        ),
        Reference(
            "lindeman1980",
            "Lindeman, R. H., Merenda, P. F., & Gold, R. Z. (1980). *Introduction to "
            "bivariate and multivariate analysis*. Scott, Foresman.",
            "@book{lindeman1980,\n  author = {Lindeman, Richard H. and Merenda, Peter F. and "
            "Gold, Ruth Z.},\n  title = {Introduction to Bivariate and Multivariate "
            "Analysis},\n  publisher = {Scott, Foresman},\n  year = {1980}\n}",
        ),
        Reference(
            "mcdonald1999",
            "McDonald, R. P. (1999). *Test theory: A unified treatment*. Erlbaum.",
            "@book{mcdonald1999,\n  author = {McDonald, Roderick P.},\n  title = {Test "
            "Theory: A Unified Treatment},\n  publisher = {Erlbaum},\n  year = {1999}\n}",
        ),
        Reference(
            "oh2007",
            "Oh, H., Fiore, A. M., & Jeoung, M. (2007). Measuring experience economy "
            "concepts: Tourism applications. *Journal of Travel Research, 46*(2), "
            "119\u2013132. https://doi.org/10.1177/0047287507304039",
            "@article{oh2007,\n  author = {Oh, Haemoon and Fiore, Ann Marie and Jeoung, "
            "Miyoung},\n  title = {Measuring experience economy concepts: Tourism "
            "applications},\n  journal = {Journal of Travel Research},\n  volume = {46},\n  "
            "number = {2},\n  pages = {119--132},\n  year = {2007},\n  doi = "
            "{10.1177/0047287507304039}\n}",
        ),
        Reference(
            "pine1999",
            "Pine, B. J., & Gilmore, J. H. (1999). *The experience economy*. Harvard "
            "Business School Press.",
            "@book{pine1999,\n  author = {Pine, B. Joseph and Gilmore, James H.},\n  title = "
            "{The Experience Economy},\n  publisher = {Harvard Business School Press},\n  "
            "year = {1999}\n}",
        ),
        Reference(
            "rosseel2012",
            "Rosseel, Y. (2012). lavaan: An R package for structural equation modeling. "
            "*Journal of Statistical Software, 48*(2), 1\u201336. "
            "https://doi.org/10.18637/jss.v048.i02",
            "@article{rosseel2012,\n  author = {Rosseel, Yves},\n  title = {{lavaan}: An {R} "
            "package for structural equation modeling},\n  journal = {Journal of Statistical "
            "Software},\n  volume = {48},\n  number = {2},\n  pages = {1--36},\n  year = "
            "{2012},\n  doi = {10.18637/jss.v048.i02}\n}",
        ),
        Reference(
            "scrucca2016",
            "Scrucca, L., Fop, M., Murphy, T. B., & Raftery, A. E. (2016). mclust 5: "
            "Clustering, classification and density estimation using Gaussian finite mixture "
            "models. *The R Journal, 8*(1), 289\u2013317. https://doi.org/10.32614/RJ-2016-021",
            "@article{scrucca2016,\n  author = {Scrucca, Luca and Fop, Michael and Murphy, T. "
            "Brendan and Raftery, Adrian E.},\n  title = {mclust 5: Clustering, "
            "classification and density estimation using {Gaussian} finite mixture models},"
            "\n  journal = {The R Journal},\n  volume = {8},\n  number = {1},\n  pages = "
            "{289--317},\n  year = {2016},\n  doi = {10.32614/RJ-2016-021}\n}",
        ),
        Reference(
            "shmueli2019",
            "Shmueli, G., Sarstedt, M., Hair, J. F., Cheah, J.-H., Ting, H., Vaithilingam, "
            "S., & Ringle, C. M. (2019). Predictive model assessment in PLS-SEM: Guidelines "
            "for using PLSpredict. *European Journal of Marketing, 53*(11), 2322\u20132347. "
            "https://doi.org/10.1108/EJM-02-2019-0189",
            "@article{shmueli2019,\n  author = {Shmueli, Galit and Sarstedt, Marko and Hair, "
            "Joseph F. and Cheah, Jun-Hwa and Ting, Hiram and Vaithilingam, Santha and "
            "Ringle, Christian M.},\n  title = {Predictive model assessment in {PLS-SEM}: "
            "Guidelines for using {PLSpredict}},\n  journal = {European Journal of "
            "Marketing},\n  volume = {53},\n  number = {11},\n  pages = {2322--2347},\n  "
            "year = {2019},\n  doi = {10.1108/EJM-02-2019-0189}\n}",
        ),
    )
}

#: the references each study's paragraphs cite (in the order of the reference list: by author)
STUDY_REFERENCES: dict[str, tuple[str, ...]] = {
    "factor-analysis": ("horn1965", "hu1999", "mcdonald1999", "rosseel2012"),
    "loyalty-drivers": ("gromping2006", "hayes2022", "johnson2000", "lindeman1980"),
    "experience-economy": ("chen2007", "hu1999", "oh2007", "pine1999", "rosseel2012"),
    "pls-sem": ("hair2022", "henseler2015", "shmueli2019"),
    "member-analytics": ("fader2005", "fader2013"),
    "programme-evaluation": ("angrist2009",),
    "segmentation": ("scrucca2016",),
    "points-programme": ("angrist2009", "england2002", "ifrs2014", "kivetz2006", "mack1993"),
}
