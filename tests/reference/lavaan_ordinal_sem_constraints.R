# Reference values for tests/test_sem_ordinal_constraints.py: structural models on ordered
# items with std.lv = TRUE, equality constraints by shared labels, and estimator = "ULS"
# (lavaan 0.6).
# Run from the repository root:  Rscript tests/reference/lavaan_ordinal_sem_constraints.R
# Writes tests/reference/lavaan_ordinal_sem_constraints.json (the tests read only that file).
#
# Data: tests/reference/lavaan_wlsmv_hs_cut.csv (written by lavaan_wlsmv.R): Holzinger &
# Swineford (1939) x1..x9 cut at their sample terciles (3 categories).
#
# Models (all sem(model, data = hs3, ordered = TRUE, ...)):
#   chain       visual -> textual -> speed with indirect := a*b (as lavaan_wlsmv_sem.R)
#   equal       two loadings equal (l*x2 + l*x3), two paths equal (textual ~ b*visual,
#               speed ~ b*textual), a direct path c, and ind := b*b, total := b*b + c
#   free        the equal model without the equality constraints
#   second      a second-order factor over visual, textual, speed
#   marker      a label on a marker loading shared with another loading (lavaan fixes
#               both to 1)
# Fits: std.lv = TRUE by WLSMV in the delta and the theta parameterization (chain, equal,
# second), the equal model with marker loadings (delta, theta), estimator = "ULS" (chain
# with marker loadings, delta and theta; equal with std.lv), and the marker model.
# lavaan's nlminb stops on a relative change of the objective, short of the minimum where a
# parameter is weakly determined (the second-order loadings: g =~ visual has SE 3.6);
# "*_converged" are the same fits with optim.method = "BFGS",
# control = list(reltol = 1e-16, maxit = 10000).
# lavaan 0.6 turns shared labels into equality constraints (ceq.simple = FALSE: linear
# constraints on the free parameters, one fewer parameter per extra copy in npar and df).
#
# Recorded per fit: parameterEstimates() (label, est, se; rows := too),
# standardizedSolution() (est.std, se), lavInspect(fit, "r2"), fitMeasures() (all), and
# lavInspect(fit, "options") se and test.
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

cut <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
hs3 <- cut[cut$categories == 3, paste0("x", 1:9)]

models <- list(
  chain = "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ a*visual
speed ~ b*textual
indirect := a*b",
  equal = "visual =~ x1 + l*x2 + l*x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ b*visual
speed ~ b*textual + c*visual
ind := b*b
total := b*b + c",
  free = "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ visual
speed ~ textual + visual",
  second = "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
g =~ visual + textual + speed",
  marker = "visual =~ a*x1 + a*x2 + x3
textual =~ x4 + x5 + x6"
)

describe <- function(fit, call) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  stopifnot(identical(pe$lhs, ss$lhs), identical(pe$op, ss$op), identical(pe$rhs, ss$rhs))
  fm <- fitMeasures(fit)
  opt <- lavInspect(fit, "options")
  labels <- if (is.null(pe$label)) rep("", nrow(pe)) else pe$label
  list(
    call = call,
    se = opt$se,
    test = opt$test,
    converged = lavInspect(fit, "converged"),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = labels,
                           est = pe$est, se = pe$se, std_all = ss$est.std, std_se = ss$se),
    r2 = as.list(lavInspect(fit, "r2"))
  )
}

run <- function(model, ...) {
  extra <- list(...)
  fit <- do.call("sem", c(list(model = models[[model]], data = hs3, ordered = TRUE), extra))
  opts <- vapply(seq_along(extra), function(k) {
    v <- extra[[k]]
    val <- if (is.list(v)) "list(reltol = 1e-16, maxit = 10000)" else
      if (is.character(v)) paste0("\"", v, "\"") else v
    paste0(names(extra)[k], " = ", val)
  }, "")
  out <- describe(fit, paste0("sem(", model, ", data = hs3, ordered = TRUE, ",
                              paste(opts, collapse = ", "), ")"))
  out$model <- model
  out
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            R = R.version.string),
            models = models)
out$fits <- list(
  chain_stdlv = run("chain", estimator = "WLSMV", std.lv = TRUE),
  chain_stdlv_theta = run("chain", estimator = "WLSMV", std.lv = TRUE,
                          parameterization = "theta"),
  second_stdlv = run("second", estimator = "WLSMV", std.lv = TRUE),
  second_stdlv_theta = run("second", estimator = "WLSMV", std.lv = TRUE,
                           parameterization = "theta"),
  second_stdlv_theta_converged = run("second", estimator = "WLSMV", std.lv = TRUE,
                                     parameterization = "theta", optim.method = "BFGS",
                                     control = list(reltol = 1e-16, maxit = 10000)),
  equal_stdlv_theta_converged = run("equal", estimator = "WLSMV", std.lv = TRUE,
                                    parameterization = "theta", optim.method = "BFGS",
                                    control = list(reltol = 1e-16, maxit = 10000)),
  equal_stdlv = run("equal", estimator = "WLSMV", std.lv = TRUE),
  equal_stdlv_theta = run("equal", estimator = "WLSMV", std.lv = TRUE,
                          parameterization = "theta"),
  equal = run("equal", estimator = "WLSMV"),
  equal_theta = run("equal", estimator = "WLSMV", parameterization = "theta"),
  chain_uls = run("chain", estimator = "ULS"),
  chain_uls_theta = run("chain", estimator = "ULS", parameterization = "theta"),
  equal_stdlv_uls = run("equal", estimator = "ULS", std.lv = TRUE),
  marker = run("marker", estimator = "WLSMV")
)

# The scaled-shifted difference test (lavTestLRT, Satorra 2000) of the two equality
# constraints of the equal model against the free one, both with std.lv = TRUE by WLSMV.
equal_fit <- sem(models$equal, data = hs3, ordered = TRUE, estimator = "WLSMV", std.lv = TRUE)
free_fit <- sem(models$free, data = hs3, ordered = TRUE, estimator = "WLSMV", std.lv = TRUE)
lrt <- lavTestLRT(equal_fit, free_fit)
out$difference_test <- list(
  call = "lavTestLRT(sem(equal, hs3, ordered = TRUE, estimator = 'WLSMV', std.lv = TRUE), sem(free, ...))",
  method = attr(lrt, "heading"),
  chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2],
  pvalue = lrt[["Pr(>Chisq)"]][2],
  free_chisq = fitMeasures(free_fit, "chisq"), free_df = fitMeasures(free_fit, "df"))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_ordinal_sem_constraints.json")
