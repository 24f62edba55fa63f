# Reference values for tests/test_sem_ordinal_invariance_estimators.py: ordinal measurement
# invariance (Wu & Estabrook 2016) fitted by DWLS, ULSMV and ULS, lavaan 0.6 + semTools 0.5.
# Run from the repository root:  Rscript tests/reference/lavaan_ordinal_invariance_estimators.R
# Writes tests/reference/lavaan_ordinal_invariance_estimators.json (the tests read only that
# file, tests/reference/lavaan_wlsmv_hs_cut.csv and data/holzinger_swineford_1939.csv).
#
# Data and models exactly as tests/reference/lavaan_ordinal_invariance.R (the WLSMV
# reference): Holzinger & Swineford x1..x9 cut into 3 and 5 categories and the 2/3/5 mix
# ("hsmix": x1, x4, x7 binary, x2, x3, x5, x6 in three, x8, x9 in five categories), grouped
# by `school`; three factors; per level the syntax of
#   measEq.syntax(model, data, ordered = items, parameterization = p, ID.fac = "std.lv",
#                 ID.cat = "Wu.Estabrook.2016", group = "school", group.equal = <level>)
# fitted by
#   cfa(syntax, data, ordered = items, estimator = E, group = "school", parameterization = p)
# with E in DWLS, ULSMV, ULS (delta: keys <data>_<estimator>, e.g. hs5_dwls), and ULSMV and
# ULS also in the theta parameterization (hs5_ulsmv_theta, hs3_ulsmv_theta, hs5_uls_theta;
# hsmix by ULSMV in the theta parameterization is not a case: lavaan does not converge at
# the configural level).
#
# What lavaan does per estimator (lavaan 0.6-14, recorded in "options" per case):
#   DWLS:  se = "standard", test = "standard"; fitMeasures() has chisq with its p-value and
#          the plain indices; lavTestLRT(m1, m0) is the plain chi-square difference
#          ("Chi-Squared Difference Test": T0 - T1 on df0 - df1, p from chi-square, and an
#          RMSEA of the difference, lav_fit_rmsea(T0 - T1, df0 - df1, N = ntotal, G)).
#   ULSMV: se = "robust.sem", test = "scaled.shifted" (as WLSMV with W = I); fitMeasures()
#          gives pvalue = NA for the standard ULS statistic (not chi-square distributed) and
#          baseline.pvalue = NA, but the scaled statistics with p-values; lavTestLRT uses
#          method "satorra.2000", scaled.shifted = TRUE (internals recorded as for WLSMV).
#   ULS:   se = "standard", test = "standard"; fitMeasures() pvalue = NA (and baseline.pvalue
#          NA), the plain indices are given; lavTestLRT nevertheless gives the plain
#          chi-square difference WITH a p-value (pchisq(T0 - T1, df0 - df1)) and its RMSEA.
# Recorded per level: syntax, parameterEstimates() (est, se), fitMeasures(), the largest
# absolute gradient, and the same fit converged further ("estimates_converged": BFGS,
# reltol 1e-16); per consecutive pair the lavTestLRT row.
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

one_level <- function(d, ge, estimator, parameterization) {
  syn <- as.character(measEq.syntax(model, data = d, ordered = items,
                                    parameterization = parameterization, ID.fac = "std.lv",
                                    ID.cat = "Wu.Estabrook.2016", group = "school",
                                    group.equal = ge))
  fit <- cfa(syn, data = d, ordered = items, estimator = estimator, group = "school",
             parameterization = parameterization)
  pe <- parameterEstimates(fit)
  fm <- fitMeasures(fit)
  tight <- cfa(syn, data = d, ordered = items, estimator = estimator, group = "school",
               parameterization = parameterization, optim.method = "BFGS",
               control = list(reltol = 1e-16, maxit = 10000))
  pt <- parameterEstimates(tight)
  list(fit_object = fit,
       out = list(syntax = syn,
                  converged = lavInspect(fit, "converged"),
                  max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
                  group_labels = lavInspect(fit, "group.label"),
                  nobs = unlist(lavInspect(fit, "nobs")),
                  fit = as.list(setNames(as.numeric(fm), names(fm))),
                  estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                                         group = pe$group, est = pe$est, se = pe$se),
                  max_gradient_converged = max(abs(lavInspect(tight, "optim.gradient"))),
                  estimates_converged = data.frame(lhs = pt$lhs, op = pt$op, rhs = pt$rhs,
                                                   group = pt$group, est = pt$est,
                                                   se = pt$se)))
}

lrt <- function(m_less, m_more) {
  tab <- lavTestLRT(m_less, m_more)
  out <- list(chisq_diff = tab[["Chisq diff"]][2], df_diff = tab[["Df diff"]][2],
              pvalue = tab[["Pr(>Chisq)"]][2], method = attr(tab, "heading"),
              rmsea = if ("RMSEA" %in% names(tab)) tab[["RMSEA"]][2] else NA)
  if (m_less@Options$test == "scaled.shifted" && out$df_diff > 0) {
    sat <- lavaan:::lav_test_diff_Satorra2000(m_less, m_more, A.method = "delta",
                                              scaled.shifted = TRUE)
    out <- c(out, list(T_delta = sat$T.delta, trace_UGamma = sat$trace.UGamma,
                       trace_UGamma2 = sat$trace.UGamma2, a = sat$a, b = sat$b))
  }
  out
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools")),
                            R = R.version.string),
            model = model, items = items)
cases <- list(c("3", "DWLS", "delta"), c("5", "DWLS", "delta"), c("mix", "DWLS", "delta"),
              c("3", "ULSMV", "delta"), c("5", "ULSMV", "delta"), c("mix", "ULSMV", "delta"),
              c("3", "ULS", "delta"), c("5", "ULS", "delta"), c("mix", "ULS", "delta"),
              c("5", "ULSMV", "theta"), c("3", "ULSMV", "theta"), c("5", "ULS", "theta"))
for (case in cases) {
  k <- case[1]
  message(paste(case, collapse = " "))
  if (k == "mix") {
    d <- cbind(cut[cut$categories == 2, c("x1", "x4", "x7")],
               cut[cut$categories == 3, c("x2", "x3", "x5", "x6")],
               cut[cut$categories == 5, c("x8", "x9")])[items]
  } else {
    d <- cut[cut$categories == as.integer(k), items]
  }
  d$school <- hs$school
  fits <- list()
  res <- list(estimator = case[2], parameterization = case[3], levels = list(), lrt = list())
  for (lv in names(levels)) {
    message("  ", lv)
    r <- one_level(d, levels[[lv]], case[2], case[3])
    fits[[lv]] <- r$fit_object
    res$levels[[lv]] <- r$out
  }
  res$options <- fits[[1]]@Options[c("estimator", "se", "test")]
  nm <- names(levels)
  for (i in 2:length(nm)) {
    res$lrt[[nm[i]]] <- lrt(fits[[nm[i - 1]]], fits[[nm[i]]])
  }
  key <- paste0("hs", k, "_", tolower(case[2]), if (case[3] == "theta") "_theta" else "")
  out[[key]] <- res
}

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, dataframe = "columns", na = "null"),
           "tests/reference/lavaan_ordinal_invariance_estimators.json")
print(warnings())
