# Reference values for tests/test_sem_mlr_modindices.py: lavaan's modindices() on MLR fits.
# Run from the repository root:  Rscript tests/reference/lavaan_mlr_modindices.R
# Writes tests/reference/lavaan_mlr_modindices.json (the tests read only the JSON; they never
# need R). Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data (read by R and Python alike):
#   data/holzinger_swineford_1939.csv, x1..x9 (301 pupils, complete);
#   tests/reference/holzinger_swineford_mcar.csv, the same items with values deleted by a seeded
#       MCAR process (see tests/reference/r_little_mcar.R), fitted by FIML (missing = "ml");
#   lavaan::PoliticalDemocracy (Bollen 1989, 75 countries), written into the JSON ("data").
#
# Models: lavaan's three-factor CFA (visual, textual, speed); a structural model on the same
# factors (textual ~ visual, speed ~ textual); each complete and by FIML on the MCAR data; and
# lavaan's PoliticalDemocracy model (three latent variables, two regressions among them, six
# residual covariances), complete; and two models with an observed variable in the
# regressions, complete: x7 as an outcome of two factors ("observed_outcome") and as a
# mediator (visual -> x7 -> textual -> speed, "observed_mediator"). All with estimator = "MLR".
#
# What lavaan 0.6-14 does (read from print(lavaan::modindices) and recorded below):
# * modindices(object, ..., information = "expected"): the score test uses its own
#   information argument, "expected", not the fit's information ("observed" for MLR's
#   standard errors); for missing = "ml" the expected information is the h1.information =
#   "structured" one (each pattern's complete-data information at the model-implied moments).
# * The score is lavTech(FIT, "gradient.logl") times -1 when object@Model@estimator is "ML",
#   and MLR is estimator "ML" internally (recorded as model_estimator); mi = N score^2 / V.
# * There is no scaled index: modindices() returns lhs, op, rhs, mi, epc, sepc.lv, sepc.all,
#   sepc.nox and no mi.scaled column (recorded as columns). So the MLR indices are the ML
#   ones; the script checks that by fitting each case by ML too (max_abs_diff_vs_ml).
# * The candidates (lavaan:::lav_partable_full): =~ from every latent variable to every
#   observed variable that is in no regression, ~~ between every pair of indicators (observed
#   variables on the right of =~; a pair with any other observed variable is left out) and of
#   latent variables, and ~ between every ordered pair of variables in the regressions (not an
#   indicator on a latent variable); the parameters already in the model are dropped, and so
#   are rows whose V < .Machine$double.eps^(1/3) (NA, na.remove = TRUE).
#
# Every fit is recorded twice: lavaan's defaults ("default"; nlminb stops about 1e-7 to 1e-6
# short of the optimum, max_gradient) and carried to the optimum by Newton steps on lavaan's
# gradient and Hessian ("converged", as in tests/reference/r_fiml_modindices.R).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv("data/holzinger_swineford_1939.csv")[, paste0("x", 1:9)]
mcar_file <- "tests/reference/holzinger_swineford_mcar.csv"
mcar <- read.csv(mcar_file)
pd <- lavaan::PoliticalDemocracy

cfa_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
sem_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ visual
speed ~ textual"
pd_model <- "ind60 =~ x1 + x2 + x3
dem60 =~ y1 + y2 + y3 + y4
dem65 =~ y5 + y6 + y7 + y8
dem60 ~ ind60
dem65 ~ ind60 + dem60
y1 ~~ y5
y2 ~~ y4 + y6
y3 ~~ y7
y4 ~~ y8
y6 ~~ y8"
outcome_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x8 + x9
x7 ~ visual + textual"
mediator_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x8 + x9
x7 ~ visual
textual ~ x7
speed ~ textual"

newton_polish <- function(fit, Y, missing, tol = 1e-12, max_steps = 20L) {
  pt <- parTable(fit)
  free <- pt$free > 0
  for (step in seq_len(max_steps)) {
    g <- lavTech(fit, "gradient")
    if (max(abs(g)) < tol) break
    x <- pt$est[free] - solve(lavTech(fit, "hessian"), g)
    pt$est[free] <- x
    pt$start[free] <- x
    fit <- lavaan(pt, data = Y, missing = missing, estimator = "MLR", optim.method = "none")
  }
  stopifnot(max(abs(lavTech(fit, "gradient"))) < tol)
  fit
}

describe_mi <- function(fit) {
  mi <- modindices(fit)
  list(
    max_gradient = max(abs(lavTech(fit, "gradient"))),
    columns = names(mi),
    modindices = data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
                            sepc_all = mi$sepc.all)
  )
}

describe <- function(model, data, fiml = FALSE) {
  missing <- if (fiml) "ml" else "listwise"
  fit <- sem(model, data = data, estimator = "MLR", missing = missing)
  ml <- sem(model, data = data, estimator = "ML", missing = missing)
  a <- modindices(fit)
  b <- modindices(ml)
  stopifnot(identical(a$lhs, b$lhs), identical(a$op, b$op), identical(a$rhs, b$rhs))
  opt <- lavInspect(fit, "options")
  out <- list(
    options = opt[c("estimator", "se", "test", "information", "h1.information",
                    "meanstructure", "missing")],
    model_estimator = fit@Model@estimator,
    ntotal = lavInspect(fit, "ntotal"),
    max_abs_diff_vs_ml = list(mi = max(abs(a$mi - b$mi)), epc = max(abs(a$epc - b$epc)),
                           sepc_all = max(abs(a$sepc.all - b$sepc.all))),
    default = describe_mi(fit)
  )
  out$converged <- describe_mi(newton_polish(fit, data, missing))
  out
}

out <- list(
  versions = list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    fit = "lavaan::sem(model, data, estimator = \"MLR\") (missing = \"ml\" for the FIML cases)",
    modindices = "lavaan::modindices(fit)",
    converged = "Newton steps x - solve(lavTech(fit, \"hessian\"), lavTech(fit, \"gradient\")), re-evaluated by lavaan(parTable(fit), data, missing = missing, estimator = \"MLR\", optim.method = \"none\"), to a largest gradient element < 1e-12"
  ),
  modindices_information = formals(modindices)$information,
  models = list(cfa = cfa_model, sem = sem_model, political_democracy = pd_model,
                observed_outcome = outcome_model, observed_mediator = mediator_model),
  sources = list(complete = "data/holzinger_swineford_1939.csv", mcar = mcar_file,
                 political_democracy = "lavaan::PoliticalDemocracy (in data)"),
  data = list(political_democracy = pd),
  cases = list(
    cfa_complete = describe(cfa_model, hs),
    cfa_fiml = describe(cfa_model, mcar, fiml = TRUE),
    sem_complete = describe(sem_model, hs),
    sem_fiml = describe(sem_model, mcar, fiml = TRUE),
    political_democracy = describe(pd_model, pd),
    observed_outcome = describe(outcome_model, hs),
    observed_mediator = describe(mediator_model, hs)
  )
)

write_json(out, "tests/reference/lavaan_mlr_modindices.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/lavaan_mlr_modindices.json\n")
