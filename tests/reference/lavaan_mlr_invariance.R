# Reference values for tests/test_invariance_mlr.py: measurement invariance under robust
# maximum likelihood (MLR) in lavaan 0.6, complete data and FIML.
# Run from the repository root:  Rscript tests/reference/lavaan_mlr_invariance.R
# Writes tests/reference/lavaan_mlr_invariance.json (the tests read only the JSON; they never
# need R). Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data: Holzinger-Swineford x1..x9 with group = school (Pasteur, Grant-White):
#   complete: data/holzinger_swineford_1939.csv (301 pupils);
#   fiml: tests/reference/holzinger_swineford_mcar.csv (the same items with values deleted by a
#       seeded MCAR process, see tests/reference/r_little_mcar.R). That file has no id or school
#       column; it is row-aligned with data/holzinger_swineford_1939.csv, whose school column
#       is joined by row (the observed values are checked to equal the complete file's).
#
# Models: lavaan's three-factor CFA (visual, textual, speed), cfa(model, data, group =
# "school", group.equal = ..., estimator = "MLR") with group.equal = "none" (configural),
# "loadings" (metric), c("loadings", "intercepts") (scalar), on the complete data and with
# missing = "ml" (FIML) on the MCAR data. MLR = se "robust.huber.white" and test
# "yuan.bentler.mplus"; the options lavaan 0.6-14 uses are recorded per case
# (lavInspect(fit, "options")).
#
# Difference tests: lavTestLRT(configural, metric, scalar) with its default method, which for
# MLR (a scaled, not scaled-shifted, test) is "satorra.bentler.2001": the scaled difference
# (T0 - T1)/cd with cd = (df0 c0 - df1 c1)/(df0 - df1) from the unscaled statistics T and the
# Yuan-Bentler scaling factors c. When cd < 0 lavaan warns "scaling factor is negative" and
# sets cd (hence the statistic and p) to NA (lav_test_diff_SatorraBentler2001). The scaling
# factor cd is recorded from lavaan:::lav_test_diff_SatorraBentler2001(m1, m0).
#
# FIML fits are recorded twice: with lavaan's defaults, and converged further ("converged":
# optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000), em.h1.tol = 1e-11)
# because the default nlminb stops about 1e-6 short of the optimum and the EM of the saturated
# model stops at a change of 1e-5 (as tests/reference/lavaan_mlr.R).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
hs <- read.csv("data/holzinger_swineford_1939.csv")
complete <- hs[, c("school", paste0("x", 1:9))]
mcar <- read.csv("tests/reference/holzinger_swineford_mcar.csv")
stopifnot(nrow(mcar) == nrow(hs))
for (v in paste0("x", 1:9)) {
  seen <- !is.na(mcar[[v]])
  stopifnot(max(abs(mcar[[v]][seen] - hs[[v]][seen])) < 1e-12)
}
mcar$school <- hs$school

levels_equal <- list(configural = "none", metric = "loadings",
                     scalar = c("loadings", "intercepts"))
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
  fm <- fitMeasures(fit, measures)
  test <- lavInspect(fit, "test")$yuan.bentler.mplus
  g <- lavTech(fit, "gradient")
  K <- fit@Model@eq.constraints.K
  if (length(K)) g <- t(K) %*% g
  list(
    converged = lavInspect(fit, "converged"),
    max_gradient = max(abs(g)),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    test = list(stat = test$stat, df = test$df, pvalue = test$pvalue,
                scaling_factor = test$scaling.factor,
                trace_ugamma = sum(test$trace.UGamma)),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                           group = lavInspect(fit, "group.label")[pe$group],
                           est = pe$est, se = pe$se, z = pe$z, pvalue = pe$pvalue)
  )
}

lrt_table <- function(fits) {
  lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
  sb <- list(
    metric = lavaan:::lav_test_diff_SatorraBentler2001(fits$configural, fits$metric),
    scalar = lavaan:::lav_test_diff_SatorraBentler2001(fits$metric, fits$scalar)
  )
  list(
    method = attr(lrt, "heading"),
    table = data.frame(model = rownames(lrt), df = lrt$Df, chisq = lrt$Chisq,
                       chisq_diff = lrt[["Chisq diff"]], df_diff = lrt[["Df diff"]],
                       p = lrt[["Pr(>Chisq)"]]),
    scaling_factor = list(metric = sb$metric$scaling.factor, scalar = sb$scalar$scaling.factor)
  )
}

run_case <- function(data, missing, tight = FALSE) {
  fits <- list()
  out <- list()
  for (level in names(levels_equal)) {
    args <- list(model = model, data = data, group = "school",
                 group.equal = levels_equal[[level]], estimator = "MLR", missing = missing)
    if (tight) {
      args <- c(args, list(optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000L),
                           em.h1.tol = 1e-11, em.h1.iter.max = 10000L))
    }
    fit <- do.call("cfa", args)
    fits[[level]] <- fit
    out[[level]] <- describe(fit)
    out$options <- lavInspect(fit, "options")[c(
      "estimator", "se", "test", "information", "observed.information", "h1.information",
      "information.meat", "h1.information.meat", "meanstructure", "missing")]
    out$group_levels <- lavInspect(fit, "group.label")
    out$n_per_group <- as.list(setNames(lavInspect(fit, "nobs"), lavInspect(fit, "group.label")))
  }
  out$lrt <- lrt_table(fits)
  out
}

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    complete = "lavaan::cfa(model, data, group = \"school\", group.equal = ..., estimator = \"MLR\")",
    fiml = "lavaan::cfa(model, data, group = \"school\", group.equal = ..., estimator = \"MLR\", missing = \"ml\")",
    fiml_converged = "the fiml call with optim.method = \"BFGS\", control = list(reltol = 1e-16, maxit = 10000), em.h1.tol = 1e-11, em.h1.iter.max = 10000",
    lrt = "lavaan::lavTestLRT(configural, metric, scalar) (default method for MLR: satorra.bentler.2001)"
  ),
  model = model, group = "school",
  complete = run_case(complete, "listwise"),
  fiml = run_case(mcar, "ml"),
  fiml_converged = run_case(mcar, "ml", tight = TRUE)
)
out$complete$data <- "data/holzinger_swineford_1939.csv"
out$fiml$data <- "tests/reference/holzinger_swineford_mcar.csv (school joined by row)"
out$fiml_converged$data <- out$fiml$data

write_json(out, "tests/reference/lavaan_mlr_invariance.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/lavaan_mlr_invariance.json\n")
