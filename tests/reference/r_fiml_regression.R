# Reference values for tests/test_fiml_regression.py: linear regression by FIML (issue 16, item 3).
# Run from the repository root:  Rscript tests/reference/r_fiml_regression.R
# Writes tests/reference/r_fiml_regression.json (the tests read only the JSON; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan r-cran-semtools (jsonlite comes along).
#
# The model: lavaan::sem("y ~ x1 + x2 + x3", data, missing = "ml", fixed.x = FALSE), i.e. the
# predictors' means, variances and covariances are estimated (they enter the likelihood, so
# rows with a missing predictor keep their other answers); with auxiliary variables, Graham's
# (2003) saturated correlates, as semTools::sem.auxiliary(model, data, aux = c(...),
# fixed.x = FALSE), which correlates every auxiliary variable with the predictors, with the
# outcome's residual and with each other.
# lavaan's options for missing = "ml" (recorded under "options"): information = "observed",
# observed.information = "hessian", h1.information = "structured", se = "standard".
#
# Every case is fitted twice: with lavaan's defaults (nlminb, which stops with a largest
# gradient element of about 4e-6, leaving estimates up to 3e-5 short of the optimum: the
# intercept and the slopes are strongly correlated) and converged ("converged_fit"): Newton
# steps on lavaan's own objective, x <- x - solve(lavTech(fit, "hessian"), lavTech(fit,
# "gradient")), each time re-evaluated by lavaan(parTable, ..., optim.method = "none"), until
# the largest gradient element is below 1e-12; the converged fit is that last lavaan object
# (estimates, observed-information SEs, std.all, R2 and logl all computed by lavaan at the
# optimum). BFGS (reltol = 1e-16) or a tighter nlminb do not get closer than about 1e-6.
#
# Data (read by R and Python alike):
#   tests/reference/holzinger_swineford_mar.csv: x1..x9 of data/holzinger_swineford_1939.csv
#       with values of x2, x3, x5, x6, x8, x9 deleted depending on x1, x4, x7 (MAR; made by
#       tests/test_missingness.py, see tests/reference/r_little_mcar.R)
#   data/holzinger_swineford_1939.csv: lavaan's HolzingerSwineford1939, complete
#
# Cases:
#   mar            x9 ~ x1 + x4 + x7 on the MAR data (only the outcome is incomplete)
#   mar_auxiliary  the same with the auxiliary variables x8 and x6
#   mar_incomplete_predictors  x9 ~ x2 + x5 + x7 with auxiliary x3 and x8 (incomplete
#                  outcome, predictors and auxiliary variables)
#   complete       x9 ~ x1 + x4 + x7 on the complete data, with lm() (OLS) and the complete-data
#                  ML fit sem(..., fixed.x = FALSE, meanstructure = TRUE) (expected information)
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

fit_measures <- c("logl", "npar", "ntotal", "chisq", "df")

describe <- function(fit) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit, fit_measures)
  list(
    converged = lavInspect(fit, "converged"),
    max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    r2 = as.list(lavInspect(fit, "r2")),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                           z = pe$z, pvalue = pe$pvalue, ci_lower = pe$ci.lower,
                           ci_upper = pe$ci.upper, std_all = ss$est.std)
  )
}

# Newton steps on lavaan's objective from a fitted model; returns lavaan's object at the optimum.
newton_polish <- function(fit, Y, ..., tol = 1e-12, max_steps = 20L) {
  pt <- parTable(fit)
  free <- pt$free > 0
  for (step in seq_len(max_steps)) {
    g <- lavTech(fit, "gradient")
    if (max(abs(g)) < tol) break
    x <- pt$est[free] - solve(lavTech(fit, "hessian"), g)
    pt$est[free] <- x
    pt$start[free] <- x
    fit <- lavaan(pt, data = Y, missing = "ml", ..., optim.method = "none")
  }
  stopifnot(max(abs(lavTech(fit, "gradient"))) < tol)
  fit
}

regression_case <- function(Y, outcome, predictors, aux, source) {
  model <- sprintf("%s ~ %s", outcome, paste(predictors, collapse = " + "))
  if (length(aux)) {
    fit <- sem.auxiliary(model, data = Y, aux = aux, fixed.x = FALSE)
  } else {
    fit <- sem(model, data = Y, missing = "ml", fixed.x = FALSE)
  }
  converged <- newton_polish(fit, Y, fixed.x = FALSE, meanstructure = TRUE)
  used <- Y[, c(outcome, predictors, aux)]
  res <- describe(fit)
  res$converged_fit <- describe(converged)
  res$converged_fit$logl_gain <- fitMeasures(converged, "logl") - fitMeasures(fit, "logl")
  res$model <- model
  res$outcome <- outcome
  res$predictors <- predictors
  res$auxiliary <- aux
  res$source <- source
  res$n_complete <- sum(complete.cases(Y[, c(outcome, predictors)]))
  res$n_any <- sum(rowSums(!is.na(used)) > 0)
  res$options <- lavInspect(fit, "options")[c("information", "observed.information",
                                             "h1.information", "se", "fixed.x", "missing")]
  res
}

mar_file <- "tests/reference/holzinger_swineford_mar.csv"
mar <- read.csv(mar_file)
hs <- read.csv("data/holzinger_swineford_1939.csv")

out <- list(
  versions = list(R = R.version.string,
                  lavaan = as.character(packageVersion("lavaan")),
                  semTools = as.character(packageVersion("semTools")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    fiml = "lavaan::sem(model, data = Y, missing = \"ml\", fixed.x = FALSE)",
    fiml_auxiliary = "semTools::sem.auxiliary(model, data = Y, aux = aux, fixed.x = FALSE)",
    converged = "Newton steps x - solve(lavTech(fit, \"hessian\"), lavTech(fit, \"gradient\")), re-evaluated by lavaan(parTable(fit), data, missing = \"ml\", fixed.x = FALSE, meanstructure = TRUE, optim.method = \"none\"), to a largest gradient element < 1e-12",
    results = "parameterEstimates(fit); standardizedSolution(fit); lavInspect(fit, \"r2\"); fitMeasures(fit)",
    complete_ml = "lavaan::sem(model, data = hs, fixed.x = FALSE, meanstructure = TRUE)",
    ols = "lm(x9 ~ x1 + x4 + x7, data = hs)"
  )
)

out$mar <- regression_case(mar, "x9", c("x1", "x4", "x7"), character(0), mar_file)
out$mar_auxiliary <- regression_case(mar, "x9", c("x1", "x4", "x7"), c("x8", "x6"), mar_file)
out$mar_incomplete_predictors <- regression_case(mar, "x9", c("x2", "x5", "x7"),
                                                 c("x3", "x8"), mar_file)

complete <- regression_case(hs, "x9", c("x1", "x4", "x7"), character(0),
                            "data/holzinger_swineford_1939.csv")
ml <- sem("x9 ~ x1 + x4 + x7", data = hs, fixed.x = FALSE, meanstructure = TRUE)
complete$complete_ml <- describe(ml)
complete$complete_ml$information <- lavInspect(ml, "options")$information
ols <- lm(x9 ~ x1 + x4 + x7, data = hs)
complete$ols <- list(term = c("Intercept", "x1", "x4", "x7"), b = unname(coef(ols)),
                     se = unname(sqrt(diag(vcov(ols)))), r2 = summary(ols)$r.squared,
                     residual_ml = sum(residuals(ols)^2) / nrow(hs))
out$complete <- complete

write_json(out, "tests/reference/r_fiml_regression.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/r_fiml_regression.json\n")
