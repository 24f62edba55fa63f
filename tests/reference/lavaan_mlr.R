# Reference values for tests/test_sem_mlr.py: robust maximum likelihood (MLR) in lavaan 0.6.
# Run from the repository root:  Rscript tests/reference/lavaan_mlr.R
# Writes tests/reference/lavaan_mlr.json (the tests read only the JSON; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data (read by R and Python alike):
#   data/holzinger_swineford_1939.csv, x1..x9 (301 pupils, complete);
#   tests/reference/holzinger_swineford_mcar.csv, the same items with values deleted by a seeded
#       MCAR process (see tests/reference/r_little_mcar.R).
#
# Models: lavaan's three-factor CFA (visual, textual, speed) and a structural model on the same
# factors (textual ~ a*visual, speed ~ b*textual, ind := a*b; 25 df), each on the complete
# data and by FIML on the MCAR data (missing = "ml"); and a saturated one-factor model of
# x1..x3 (df = 0) on the complete data, for lavaan's conventions without a scaling factor.
#
# Calls: cfa()/sem() with estimator = "MLR", i.e. se = "robust.huber.white" and
# test = "yuan.bentler.mplus". lavaan 0.6-14's options for MLR (recorded per case from
# lavInspect(fit, "options")): information = "observed" (observed.information = "hessian")
# with h1.information = "structured" for the bread, information.meat = "first.order" with
# h1.information.meat = "structured" for the meat, both for complete data and for
# missing = "ml"; no mean structure for complete data (meanstructure = FALSE), intercepts with
# missing = "ml". The Yuan-Bentler (Mplus variant) trace uses the h1 ("unstructured") observed
# information and first-order information of the saturated model. Robust CFI/TLI/RMSEA:
# Brosseau-Liard, Savalei & Li (2012) and Brosseau-Liard & Savalei (2014) for complete data;
# for missing = "ml" lavaan's FIML-corrected version ("V3", lav_fit_fiml_corrected; Savalei
# 2018 for the RMSEA, Zhang & Savalei for CFI).
#
# FIML fits are recorded twice: with lavaan's defaults, and converged further ("converged":
# optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000), em.h1.tol = 1e-11)
# because the default nlminb stops about 1e-6 short of the optimum (max_gradient) and the EM
# of the saturated model stops at a change of 1e-5 (see tests/reference/r_fiml_cfa.R).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv("data/holzinger_swineford_1939.csv")[, paste0("x", 1:9)]
mcar <- read.csv("tests/reference/holzinger_swineford_mcar.csv")

cfa_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
sem_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ a*visual
speed ~ b*textual
ind := a*b"

measures <- c("npar", "chisq", "df", "pvalue", "chisq.scaled", "df.scaled", "pvalue.scaled",
              "chisq.scaling.factor", "baseline.chisq", "baseline.df", "baseline.chisq.scaled",
              "baseline.df.scaled", "baseline.pvalue.scaled", "baseline.chisq.scaling.factor",
              "cfi", "tli", "cfi.scaled", "tli.scaled", "cfi.robust", "tli.robust",
              "rmsea", "rmsea.ci.lower", "rmsea.ci.upper", "rmsea.pvalue",
              "rmsea.scaled", "rmsea.ci.lower.scaled", "rmsea.ci.upper.scaled",
              "rmsea.pvalue.scaled", "rmsea.robust", "rmsea.ci.lower.robust",
              "rmsea.ci.upper.robust", "rmsea.pvalue.robust", "srmr", "logl",
              "unrestricted.logl", "aic", "bic", "ntotal")

describe <- function(fit) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit, measures)
  test <- lavInspect(fit, "test")$yuan.bentler.mplus
  opt <- lavInspect(fit, "options")
  list(
    converged = lavInspect(fit, "converged"),
    max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
    options = opt[c("estimator", "se", "test", "information", "observed.information",
                    "h1.information", "information.meat", "h1.information.meat",
                    "meanstructure", "missing")],
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    test = list(stat = test$stat, df = test$df, pvalue = test$pvalue,
                scaling_factor = test$scaling.factor, trace_ugamma = test$trace.UGamma,
                scaling_factor_h1 = test$scaling.factor.h1,
                scaling_factor_h0 = test$scaling.factor.h0),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                           z = pe$z, pvalue = pe$pvalue, std_all = ss$est.std,
                           std_se = ss$se)
  )
}

fit_case <- function(model, data, missing) {
  if (missing == "ml") {
    fit <- sem(model, data = data, estimator = "MLR", missing = "ml")
    res <- describe(fit)
    tight <- sem(model, data = data, estimator = "MLR", missing = "ml",
                 optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000L),
                 em.h1.tol = 1e-11, em.h1.iter.max = 10000L)
    res$converged_fit <- describe(tight)
  } else {
    fit <- sem(model, data = data, estimator = "MLR")
    res <- describe(fit)
  }
  # ML with default SEs on the same data, to show what MLR changes
  ml <- sem(model, data = data, missing = if (missing == "ml") "ml" else "listwise")
  res$ml_se <- parameterEstimates(ml)$se
  res$model <- model
  res
}

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    complete = "lavaan::sem(model, data, estimator = \"MLR\")",
    fiml = "lavaan::sem(model, data, estimator = \"MLR\", missing = \"ml\")",
    fiml_converged = "lavaan::sem(model, data, estimator = \"MLR\", missing = \"ml\", optim.method = \"BFGS\", control = list(reltol = 1e-16, maxit = 10000), em.h1.tol = 1e-11, em.h1.iter.max = 10000)",
    recorded = "parameterEstimates(fit); standardizedSolution(fit); fitMeasures(fit); lavInspect(fit, \"test\")$yuan.bentler.mplus; lavInspect(fit, \"options\")",
    ml_se = "parameterEstimates(sem(model, data[, missing = \"ml\"]))$se"
  ),
  cfa_complete = fit_case(cfa_model, hs, "listwise"),
  cfa_fiml = fit_case(cfa_model, mcar, "ml"),
  sem_complete = fit_case(sem_model, hs, "listwise"),
  sem_fiml = fit_case(sem_model, mcar, "ml"),
  # a saturated one-factor model (df = 0): no scaling factor; lavaan reports the plain
  # statistic as the scaled one, CFI/TLI scaled 1, robust CFI/TLI NA, robust RMSEA 0
  saturated_complete = fit_case("f =~ x1 + x2 + x3", hs, "listwise")
)
out$cfa_complete$data <- "data/holzinger_swineford_1939.csv"
out$sem_complete$data <- "data/holzinger_swineford_1939.csv"
out$cfa_fiml$data <- "tests/reference/holzinger_swineford_mcar.csv"
out$sem_fiml$data <- "tests/reference/holzinger_swineford_mcar.csv"
out$saturated_complete$data <- "data/holzinger_swineford_1939.csv"

write_json(out, "tests/reference/lavaan_mlr.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/lavaan_mlr.json\n")
