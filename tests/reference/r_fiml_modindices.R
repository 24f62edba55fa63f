# Reference values for the FIML modification indices in tests/test_fiml.py (issue 16, item 3).
# Run from the repository root:  Rscript tests/reference/r_fiml_modindices.R
# Writes tests/reference/r_fiml_modindices.json (the tests read only the JSON; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Model and data: Holzinger-Swineford's three-factor CFA (lavaan's example) on x1..x9 with
# values deleted at random depending on x1, x4 and x7 (tests/reference/holzinger_swineford_mar.csv),
# fitted by FIML: lavaan::cfa(model, data, missing = "ml").
#
# Modification indices: lavaan::modindices(fit) with its defaults (all rows, unsorted;
# standardized = TRUE, cov.std = TRUE). modindices() has its own information argument,
# information = "expected" (recorded under "modindices_information"): for a missing = "ml" fit
# that is lavaan's expected information of the incomplete data, h1.information = "structured"
# (each missingness pattern's complete-data information at the model-implied moments,
# lavaan:::lav_mvnorm_missing_information_expected), not the observed information that the
# fit's standard errors use. MI = N * score^2 / V with V = I_11 - I_12 I_22^-1 I_21 (unit
# information), EPC = MI / (-N * score).
#
# lavaan's default nlminb stops with a largest gradient element of about 1e-6; the indices are
# recorded at that fit ("default") and at the fit carried to the optimum by Newton steps on
# lavaan's own gradient and Hessian ("converged", as in tests/reference/r_fiml_regression.R).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

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

describe_mi <- function(fit) {
  mi <- modindices(fit)
  list(
    max_gradient = max(abs(lavTech(fit, "gradient"))),
    chisq = fitMeasures(fit, "chisq")[[1]],
    modindices = data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
                            sepc_all = mi$sepc.all)
  )
}

hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
file <- "tests/reference/holzinger_swineford_mar.csv"
Y <- read.csv(file)
fit <- cfa(hs_model, data = Y, missing = "ml")
converged <- newton_polish(fit, Y, meanstructure = TRUE, auto.var = TRUE, auto.fix.first = TRUE,
                           auto.cov.lv.x = TRUE, int.ov.free = TRUE)

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    fit = "lavaan::cfa(model, data = Y, missing = \"ml\")",
    modindices = "lavaan::modindices(fit)",
    converged = "Newton steps x - solve(lavTech(fit, \"hessian\"), lavTech(fit, \"gradient\")), re-evaluated by lavaan(parTable(fit), data = Y, missing = \"ml\", optim.method = \"none\"), to a largest gradient element < 1e-12"
  ),
  source = file,
  model = hs_model,
  modindices_information = formals(modindices)$information,
  fit_information = lavInspect(fit, "options")$information,
  h1_information = lavInspect(fit, "options")$h1.information,
  default = describe_mi(fit),
  converged = describe_mi(converged)
)

write_json(out, "tests/reference/r_fiml_modindices.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/r_fiml_modindices.json\n")
