# Reference values for the FIML measurement-invariance tests in tests/test_invariance.py
# (issue 16, item 3). Run from the repository root:  Rscript tests/reference/r_fiml_invariance.R
# Writes tests/reference/r_fiml_invariance.json (the tests read only the JSON; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data: x1..x9 of Holzinger-Swineford with values deleted at random depending on x1, x4 and x7
# (tests/reference/holzinger_swineford_mar.csv, row-aligned with data/holzinger_swineford_1939.csv,
# from which the group column "school" is taken; x1, x4, x7 are equal in both files).
#
# Models: lavaan::cfa(model, data, group = "school", group.equal = ..., missing = "ml") with
# group.equal = "none" (configural), "loadings" (metric), c("loadings", "intercepts") (scalar),
# as tests/reference/lavaan_invariance.R does for complete data. lavaan's options for these fits
# are recorded under "options": information = "observed" (standard errors from the Hessian),
# h1.information = "structured"; lavaan's baseline (independence) model for missing = "ml" has
# a free mean and variance for every variable in every group (recorded under
# "baseline_partable"). The chi-square difference tests are lavTestLRT(configural, metric,
# scalar).
#
# lavaan's default optimizer (nlminb) stops with a largest gradient element of about 1e-6
# (recorded as max_gradient: the gradient in the space of the equality constraints,
# t(K) %*% lavTech(fit, "gradient") with K = fit@Model@eq.constraints.K).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                  "rmsea.ci.upper", "srmr", "aic", "bic", "logl", "unrestricted.logl", "npar",
                  "ntotal", "baseline.chisq", "baseline.df")
levels_equal <- list(configural = "none", metric = "loadings",
                     scalar = c("loadings", "intercepts"))

describe <- function(fit) {
  pe <- parameterEstimates(fit)
  fm <- fitMeasures(fit, fit_measures)
  g <- lavTech(fit, "gradient")
  K <- fit@Model@eq.constraints.K
  if (length(K)) g <- t(K) %*% g
  list(
    max_gradient = max(abs(g)),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs,
                           group = lavInspect(fit, "group.label")[pe$group],
                           est = pe$est, se = pe$se)
  )
}

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
mar_file <- "tests/reference/holzinger_swineford_mar.csv"
Y <- read.csv(mar_file)
Y$school <- read.csv("data/holzinger_swineford_1939.csv")$school

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    fit = "lavaan::cfa(model, data = Y, group = \"school\", group.equal = ..., missing = \"ml\")",
    lrt = "lavaan::lavTestLRT(configural, metric, scalar)",
    max_gradient = "max(abs(t(K) %*% lavTech(fit, \"gradient\"))), K = fit@Model@eq.constraints.K"
  ),
  source = mar_file, model = model, group = "school"
)
fits <- list()
for (level in names(levels_equal)) {
  fit <- cfa(model, data = Y, group = "school", group.equal = levels_equal[[level]],
             missing = "ml")
  fits[[level]] <- fit
  out$options <- lavInspect(fit, "options")[c("information", "observed.information",
                                             "h1.information", "se", "missing")]
  out$group_levels <- lavInspect(fit, "group.label")
  out$n_per_group <- as.list(setNames(lavInspect(fit, "nobs"), lavInspect(fit, "group.label")))
  out[[level]] <- describe(fit)
}
bl <- as.data.frame(fits$configural@baseline$partable)
out$baseline_partable <- bl[, c("lhs", "op", "rhs", "group", "free")]
lrt <- lavTestLRT(fits$configural, fits$metric, fits$scalar)
out$lrt <- data.frame(model = rownames(lrt), df = lrt$Df, chisq = lrt$Chisq,
                      chisq_diff = lrt[["Chisq diff"]], df_diff = lrt[["Df diff"]],
                      p = lrt[["Pr(>Chisq)"]])

write_json(out, "tests/reference/r_fiml_invariance.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/r_fiml_invariance.json\n")
