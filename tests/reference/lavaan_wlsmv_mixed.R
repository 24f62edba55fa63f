# Reference values for tests/test_ordinal_mixed.py: WLSMV with continuous indicators beside
# ordered ones (polyserial and Pearson correlations; lavaan 0.6).
# Run from the repository root:  Rscript tests/reference/lavaan_wlsmv_mixed.R
# Writes tests/reference/lavaan_wlsmv_mixed.json (the tests never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data: Holzinger & Swineford (1939), x1..x9 of data/holzinger_swineford_1939.csv (301
# pupils). The ordered items are the 3-category cut of tests/reference/lavaan_wlsmv_hs_cut.csv
# (terciles, made by tests/reference/lavaan_wlsmv.R); the continuous items are the original
# scores. Two mixes:
#   "mix1": x3, x6 and x9 continuous (one per factor), the other six ordered;
#   "mix2": x1, x2, x3 continuous (the whole visual factor), x4..x9 ordered; the 5-category cut.
# lavaan treats the items not in `ordered` as continuous: means and variances (ML, divisor
# N), Pearson correlations between continuous items, polyserial correlations (two-step,
# thresholds and the continuous item's mean and variance fixed) between a continuous and an
# ordered item; WLS.obs holds the continuous items' covariances (correlation times standard
# deviations) and minus their means in the threshold block (lavaan's "x3~1").
#
# Fits (lavaan 0.6 defaults for ordered data: delta parameterization, marker loadings, DWLS
# weights, se = "robust.sem", test = "scaled.shifted"):
#   mix1 CFA, WLSMV; the same with estimator = "DWLS" and = "ULSMV"; std.lv = TRUE;
#   mix2 CFA, WLSMV;
#   mix1 structural model (visual -> textual -> speed, visual -> speed), WLSMV, delta and
#   theta parameterization;
#   and each WLSMV fit refitted to a tight optimum (optim.method = "BFGS",
#   reltol = 1e-16) to show how far lavaan's default stopping rule leaves the estimates.
# Recorded per fit: WLS.obs (names and values), lavInspect(fit, "gamma") (NACOV),
# (in full for mix1 and mix2, else its diagonal), sampstat (cov, mean, th),
# parameterEstimates() and standardizedSolution(), fitMeasures(), and for mix1 and mix2
# modindices() (lavaan's default: expected information).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv("data/holzinger_swineford_1939.csv")
cut <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
items <- paste0("x", 1:9)
mixed <- function(k, continuous) {
  d <- cut[cut$categories == k, items]
  for (v in continuous) d[[v]] <- hs[[v]]
  d
}
mix1_cont <- c("x3", "x6", "x9")
mix2_cont <- c("x1", "x2", "x3")
mix1 <- mixed(3, mix1_cont)
mix2 <- mixed(5, mix2_cont)
ord1 <- setdiff(items, mix1_cont)
ord2 <- setdiff(items, mix2_cont)

cfa_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
sem_model <- paste0(cfa_model, "
textual ~ visual
speed ~ visual + textual")

describe <- function(fit, with_gamma = FALSE) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit)
  st <- lavInspect(fit, "sampstat")
  g <- unclass(lavInspect(fit, "gamma"))
  wo <- lavInspect(fit, "wls.obs")
  out <- list(
    converged = lavInspect(fit, "converged"),
    max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
    ntotal = lavInspect(fit, "ntotal"),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                           z = pe$z, pvalue = pe$pvalue, std_all = ss$est.std,
                           std_se = ss$se),
    wls_obs_names = names(wo),
    wls_obs = unname(as.numeric(wo)),
    cov = unclass(st$cov),
    mean = as.list(st$mean),
    thresholds = as.list(st$th),
    gamma_names = rownames(g),
    gamma_diag = diag(g)
  )
  if (with_gamma) out$gamma <- g
  out
}
tight <- list(optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
fits <- list(
  mix1 = list(model = cfa_model, data = "mix1", ordered = ord1, args = list(estimator = "WLSMV")),
  mix1_dwls = list(model = cfa_model, data = "mix1", ordered = ord1, args = list(estimator = "DWLS")),
  mix1_ulsmv = list(model = cfa_model, data = "mix1", ordered = ord1, args = list(estimator = "ULSMV")),
  mix1_std_lv = list(model = cfa_model, data = "mix1", ordered = ord1,
                     args = list(estimator = "WLSMV", std.lv = TRUE)),
  mix2 = list(model = cfa_model, data = "mix2", ordered = ord2, args = list(estimator = "WLSMV")),
  mix1_sem = list(model = sem_model, data = "mix1", ordered = ord1, args = list(estimator = "WLSMV")),
  mix1_sem_theta = list(model = sem_model, data = "mix1", ordered = ord1,
                        args = list(estimator = "WLSMV", parameterization = "theta"))
)
datasets <- list(mix1 = mix1, mix2 = mix2)
out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            R = R.version.string),
            cfa_model = cfa_model, sem_model = sem_model,
            continuous = list(mix1 = mix1_cont, mix2 = mix2_cont),
            categories = list(mix1 = 3L, mix2 = 5L))
for (name in names(fits)) {
  f <- fits[[name]]
  call <- c(list(model = f$model, data = datasets[[f$data]], ordered = f$ordered), f$args)
  fit <- do.call("sem", call)
  out[[name]] <- describe(fit, with_gamma = name %in% c("mix1", "mix2"))
  out[[name]]$args <- f$args
  out[[name]]$data <- f$data
  if (name %in% c("mix1", "mix2")) {
    mi <- modindices(fit)
    out[[name]]$modindices <- data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi,
                                         epc = mi$epc, sepc_all = mi$sepc.all)
  }
  if (identical(f$args$estimator, "WLSMV")) {
    fit_t <- do.call("sem", c(call, tight))
    out[[paste0(name, "_converged")]] <- describe(fit_t)
    out[[paste0(name, "_converged")]]$args <- c(f$args, list(tight = TRUE))
    out[[paste0(name, "_converged")]]$data <- f$data
  }
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_wlsmv_mixed.json")
