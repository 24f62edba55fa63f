# Reference values for tests/test_invariance.py: lavaan measurement invariance.
# Run from the repository root:  Rscript tests/reference/lavaan_invariance.R
# Writes tests/reference/lavaan_invariance.json (the tests read only the JSON; they never need R).
# lavaan's multi-group CFA with group.equal = "none" (= NULL) / "loadings" / c("loadings", "intercepts"),
# as in the lavaan tutorial (https://lavaan.ugent.be/tutorial/groups.html).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                  "rmsea.ci.upper", "srmr", "aic", "bic", "logl", "npar", "ntotal",
                  "baseline.chisq", "baseline.df")

levels_equal <- list(configural = "none", metric = "loadings",
                     scalar = c("loadings", "intercepts"))

describe <- function(model, data, group) {
  res <- list(model = model, group = group)
  for (level in names(levels_equal)) {
    fit <- cfa(model, data = data, group = group, group.equal = levels_equal[[level]])
    pe <- parameterEstimates(fit)
    fm <- fitMeasures(fit, fit_measures)
    res$group_levels <- lavInspect(fit, "group.label")
    res$n_per_group <- as.list(setNames(lavInspect(fit, "nobs"), lavInspect(fit, "group.label")))
    res[[level]] <- list(
      fit = as.list(setNames(as.numeric(fm), names(fm))),
      estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                             group = lavInspect(fit, "group.label")[pe$group],
                             est = pe$est, se = pe$se)
    )
  }
  res
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            R = R.version.string))

# 1. Holzinger-Swineford, three factors, group = school (the lavaan tutorial; published:
#    configural chi2 = 115.851 (48), metric 124.044 (54), scalar 164.103 (60)).
hs <- read.csv("data/holzinger_swineford_1939.csv")
hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
out$holzinger <- describe(hs_model, hs, "school")

# 2. Loyalty survey: the four experience realms, group = channel (99 = missing, listwise).
loy <- read.csv("data/loyalty_survey.csv")
items <- c(paste0("ED", 1:4), paste0("EN", 1:4), paste0("AE", 1:4), paste0("EC", 1:4))
loy[items][loy[items] == 99] <- NA
realm_model <- "education =~ ED1 + ED2 + ED3 + ED4
entertainment =~ EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4"
out$loyalty_channel <- describe(realm_model, loy, "channel")

write_json(out, "tests/reference/lavaan_invariance.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
