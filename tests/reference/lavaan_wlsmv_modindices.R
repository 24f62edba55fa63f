# Reference values for tests/test_sem_ordinal_modindices.py: modification indices of an
# ordinal CFA fitted by WLSMV, and the same CFA in the theta parameterization (lavaan 0.6).
# Run from the repository root:  Rscript tests/reference/lavaan_wlsmv_modindices.R
# Writes tests/reference/lavaan_wlsmv_modindices.json (the tests read only that file).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data: the Holzinger & Swineford (1939) items x1..x9 cut into 3 ordered categories at their
# terciles, as written by tests/reference/lavaan_wlsmv.R to
# tests/reference/lavaan_wlsmv_hs_cut.csv (rows with categories == 3; 301 pupils).
# Model: lavaan's three-factor model (visual, textual, speed), fitted with
#   cfa(model, data, ordered = TRUE, estimator = "WLSMV")                  (delta)
#   cfa(model, data, ordered = TRUE, estimator = "WLSMV", parameterization = "theta")
# Recorded: modindices(fit) (lavaan's defaults: cross-loadings and residual covariances not
# in the model; mi, epc, sepc.lv, sepc.all; lavaan uses the expected information, the option
# lavInspect(fit, "options")$information, recorded too) for both fits, and for the theta fit
# parameterEstimates() (est, se) and fitMeasures() (chisq, chisq.scaled, df). Also the same CFA
# by ULS with ordered items, cfa(model, data, ordered = TRUE, estimator = "ULS") (lavaan's
# se = "standard", test = "standard": ULS estimates, expected-information SEs, no p-value):
# parameterEstimates() (est, se), modindices() and fitMeasures().
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

d <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
d <- d[d$categories == 3, paste0("x", 1:9)]
model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"

mi_table <- function(fit) {
  mi <- modindices(fit)
  list(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
       sepc_lv = mi$sepc.lv, sepc_all = mi$sepc.all)
}

out <- list(lavaan = as.character(packageVersion("lavaan")))
delta <- cfa(model, d, ordered = TRUE, estimator = "WLSMV")
out$information <- lavInspect(delta, "options")$information[1]
out$delta <- list(modindices = mi_table(delta),
                  chisq = unname(fitMeasures(delta, "chisq")))
theta <- cfa(model, d, ordered = TRUE, estimator = "WLSMV", parameterization = "theta")
pe <- parameterEstimates(theta)
std <- standardizedSolution(theta)
out$theta <- list(
  modindices = mi_table(theta),
  estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                   std_all = std$est.std),
  fit = as.list(fitMeasures(theta, c("chisq", "df", "chisq.scaled", "cfi.scaled",
                                     "rmsea.scaled", "srmr"))),
  optim_gradient = max(abs(lavInspect(theta, "optim.gradient")))
)
uls <- cfa(model, d, ordered = TRUE, estimator = "ULS")
pe <- parameterEstimates(uls)
out$uls <- list(
  options = lavInspect(uls, "options")[c("se", "test")],
  estimates = list(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se),
  modindices = mi_table(uls),
  fit = as.list(fitMeasures(uls, c("npar", "chisq", "df", "pvalue", "baseline.chisq",
                                   "baseline.df", "cfi", "tli", "rmsea", "srmr")))
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_wlsmv_modindices.json")
