# Reference values for tests/test_sem_ordinal_invariance.py: ordinal measurement invariance
# (Wu & Estabrook 2016) by WLSMV, lavaan 0.6 + semTools 0.5.
# Run from the repository root:  Rscript tests/reference/lavaan_ordinal_invariance.R
# Writes tests/reference/lavaan_ordinal_invariance.json (the tests read only that file and
# tests/reference/lavaan_wlsmv_hs_cut.csv; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan r-cran-semtools.
#
# Data
#   Holzinger & Swineford (1939) x1..x9 cut into 3 and 5 ordered categories exactly as in
#   tests/reference/lavaan_wlsmv.R (sample quantiles of the whole sample, type 7: terciles;
#   0.10/0.25/0.50/0.80), and a mix of its 2-, 3- and 5-category cuts ("hsmix": x1, x4, x7
#   binary, x2, x3, x5, x6 in three and x8, x9 in five categories), read back from tests/reference/lavaan_wlsmv_hs_cut.csv, with the
#   grouping column `school` of data/holzinger_swineford_1939.csv (same row order; Pasteur
#   156, Grant-White 145 pupils; lavaan's group order is the order of first appearance).
#
# Models: the three-factor model, per level the syntax semTools writes with
#   measEq.syntax(model, data, ordered = items, parameterization = "delta" (or "theta"),
#                 ID.fac = "std.lv", ID.cat = "Wu.Estabrook.2016", group = "school",
#                 group.equal = <level>)
# for the levels configural (""), thresholds, thresholds + loadings, thresholds + loadings +
# intercepts, each fitted by
#   cfa(syntax, data, ordered = items, estimator = "WLSMV", group = "school",
#       parameterization = "delta")   (keys hs3, hs5, hsmix; the theta parameterization:
#                                       hs3_theta, hs5_theta, hsmix_theta)
# (All nine items binary is not a case: the intercepts level of the visual factor then runs
# to the boundary, its variance in Grant-White to infinity; lavaan stops with "Model
# estimation FAILED" and we report non-convergence.)
# and the difference test between consecutive levels by lavTestLRT(m_less, m_more) (for
# WLSMV: method "satorra.2000", scaled.shifted = TRUE, A.method = "delta"). Its internals
# (trace of UGamma and UGamma^2, a, b) are recorded from lavaan:::lav_test_diff_Satorra2000.
# Recorded per level: the syntax, parameterEstimates() (est, se), fitMeasures() and the
# optimizer's largest absolute gradient (nlminb stops at gradients of 3e-7 to 1.6e-6); and
# "estimates_converged": the same model fitted with optim.method = "BFGS",
# control = list(reltol = 1e-16, maxit = 10000) (gradients about 1e-9). In the theta
# parameterization some directions are flat (e.g. x9's residual variance in Grant-White,
# SE 8.9, in the 3-category thresholds model) and nlminb's default stop leaves estimates and
# SEs up to 2e-4 and 4e-4 (relative) from the converged values.
# "seconds": system.time() of each default cfa() call alone (elapsed; depends on the load).
# lavaan reports the robust (Savalei 2021) CFI/TLI/RMSEA as NA beyond the configural level:
# its catML refit (lav_object_catml) drops the threshold rows and then fails on their
# equality constraints ("unknown label(s) in equality constraint(s)").
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

cut <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
hs <- read.csv("data/holzinger_swineford_1939.csv")
items <- paste0("x", 1:9)
model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
levels <- list(configural = "", thresholds = "thresholds",
               loadings = c("thresholds", "loadings"),
               intercepts = c("thresholds", "loadings", "intercepts"))

one_level <- function(d, ge, parameterization) {
  syn <- as.character(measEq.syntax(model, data = d, ordered = items,
                                    parameterization = parameterization, ID.fac = "std.lv",
                                    ID.cat = "Wu.Estabrook.2016", group = "school",
                                    group.equal = ge))
  seconds <- system.time(
    fit <- cfa(syn, data = d, ordered = items, estimator = "WLSMV", group = "school",
               parameterization = parameterization)
  )[["elapsed"]]
  pe <- parameterEstimates(fit)
  fm <- fitMeasures(fit)
  # the same fit converged further (BFGS to a relative change of 1e-16)
  tight <- cfa(syn, data = d, ordered = items, estimator = "WLSMV", group = "school",
               parameterization = parameterization, optim.method = "BFGS",
               control = list(reltol = 1e-16, maxit = 10000))
  pt <- parameterEstimates(tight)
  list(fit_object = fit,
       out = list(syntax = syn, seconds = seconds,
                  converged = lavInspect(fit, "converged"),
                  max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
                  group_labels = lavInspect(fit, "group.label"),
                  nobs = unlist(lavInspect(fit, "nobs")),
                  fit = as.list(setNames(as.numeric(fm), names(fm))),
                  estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                                         group = pe$group, label = pe$label, est = pe$est,
                                         se = pe$se),
                  max_gradient_converged = max(abs(lavInspect(tight, "optim.gradient"))),
                  estimates_converged = data.frame(lhs = pt$lhs, op = pt$op, rhs = pt$rhs,
                                                   group = pt$group, est = pt$est,
                                                   se = pt$se)))
}

lrt <- function(m_less, m_more) {
  tab <- lavTestLRT(m_less, m_more)
  sat <- lavaan:::lav_test_diff_Satorra2000(m_less, m_more, A.method = "delta",
                                            scaled.shifted = TRUE)
  list(chisq_diff = tab[["Chisq diff"]][2], df_diff = tab[["Df diff"]][2],
       pvalue = tab[["Pr(>Chisq)"]][2], method = attr(tab, "heading"),
       T_delta = sat$T.delta, trace_UGamma = sat$trace.UGamma,
       trace_UGamma2 = sat$trace.UGamma2, a = sat$a, b = sat$b)
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools")),
                            R = R.version.string),
            model = model, items = items)
cases <- list(c("3", "delta"), c("5", "delta"), c("3", "theta"), c("5", "theta"),
              c("mix", "delta"), c("mix", "theta"))
for (case in cases) {
  k <- case[1]
  if (k == "mix") {
    # one binary item per factor (x1, x4, x7), x2, x3, x5, x6 in three and x8, x9 in five
    # categories
    d <- cbind(cut[cut$categories == 2, c("x1", "x4", "x7")],
               cut[cut$categories == 3, c("x2", "x3", "x5", "x6")],
               cut[cut$categories == 5, c("x8", "x9")])[items]
  } else {
    d <- cut[cut$categories == as.integer(k), items]
  }
  d$school <- hs$school
  fits <- list()
  res <- list(levels = list(), lrt = list())
  for (lv in names(levels)) {
    r <- one_level(d, levels[[lv]], case[2])
    fits[[lv]] <- r$fit_object
    res$levels[[lv]] <- r$out
  }
  nm <- names(levels)
  for (i in 2:length(nm)) {
    res$lrt[[nm[i]]] <- lrt(fits[[nm[i - 1]]], fits[[nm[i]]])
  }
  res$lrt_seconds <- system.time(lavTestLRT(fits[[1]], fits[[3]]))[["elapsed"]]
  out[[paste0("hs", k, if (case[2] == "theta") "_theta" else "")]] <- res
}

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "columns", na = "null"),
           "tests/reference/lavaan_ordinal_invariance.json")
