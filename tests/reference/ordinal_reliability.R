# Reference values for tests/test_ordinal_reliability.py: ordinal alpha and categorical omega.
# Run from the repository root:  Rscript tests/reference/ordinal_reliability.R
# Writes tests/reference/ordinal_reliability.json (the tests read only that file).
# R 4.2 with lavaan 0.6-14, semTools 0.5-6, psych 2.2.9, jsonlite.
#
# Data: tests/reference/lavaan_wlsmv_hs_cut.csv (written by lavaan_wlsmv.R): Holzinger &
# Swineford x1..x9 cut into 3 and into 5 ordered categories (column "categories").
# Model: the three-factor model (visual =~ x1 + x2 + x3, textual =~ x4 + x5 + x6,
# speed =~ x7 + x8 + x9), cfa(model, data, ordered = TRUE, estimator = "WLSMV").
#
# Ordinal alpha (Zumbo, Gadermann & Zeisser 2007): psych::alpha(psych::polychoric(x)$rho),
# the raw alpha of each factor's items and of all nine items. psych::polychoric (global
# thresholds, ML with optimize()) estimates the same two-step polychorics as lavaan but stops
# about 1e-5 short, so we also record alpha on lavaan's polychorics (lavCor(ordered = TRUE)),
# computed with the same psych::alpha.
#
# Categorical omega (Green & Yang 2009): semTools::compRelSEM(fit) with its defaults
# ord.scale = TRUE, obs.var = TRUE (denominator from the sample polychorics). lavaan's nlminb
# stops about 1e-5 (relative) short of the minimum, so we also fit to convergence
# (optim.method = "BFGS", reltol 1e-16, as lavaan_wlsmv.R) and record compRelSEM on that fit,
# together with the estimates it used (loadings, factor covariances, thresholds, sample
# polychorics) so that the formula can be checked on exactly those numbers.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(jsonlite)
})

cut <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
constructs <- list(visual = c("x1", "x2", "x3"), textual = c("x4", "x5", "x6"),
                   speed = c("x7", "x8", "x9"))
items <- paste0("x", 1:9)

raw_alpha <- function(r) suppressWarnings(psych::alpha(r)$total$raw_alpha)

fit_parts <- function(fit) {
  est <- lavInspect(fit, "est")
  ss <- lavInspect(fit, "sampstat")
  list(
    omega = as.list(compRelSEM(fit)),
    lambda = unname(lapply(items, function(i) unname(est$lambda[i, ]))),
    psi = unname(est$psi[names(constructs), names(constructs)]),
    thresholds = as.list(est$tau[, 1]),
    polychoric = unname(ss$cov[items, items]),
    gradient = max(abs(lavInspect(fit, "optim.gradient")))
  )
}

out <- list(versions = list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  lavaan = as.character(packageVersion("lavaan")),
  semTools = as.character(packageVersion("semTools")),
  psych = as.character(packageVersion("psych"))),
  items = items, factors = names(constructs))

for (k in c(3, 5)) {
  x <- cut[cut$categories == k, items]
  rho_psych <- psych::polychoric(x)$rho
  rho_lavaan <- lavCor(x, ordered = items)
  alpha_psych <- c(lapply(constructs, function(v) raw_alpha(rho_psych[v, v])),
                   list(all = raw_alpha(rho_psych)))
  alpha_lavaan <- c(lapply(constructs, function(v) raw_alpha(rho_lavaan[v, v])),
                    list(all = raw_alpha(rho_lavaan[items, items])))
  fit <- cfa(model, data = x, ordered = TRUE, estimator = "WLSMV")
  conv <- cfa(model, data = x, ordered = TRUE, estimator = "WLSMV",
              optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
  out[[paste0("hs", k)]] <- list(
    alpha_psych = alpha_psych,
    alpha_lavaan_polychoric = alpha_lavaan,
    polychoric_psych = unname(rho_psych[items, items]),
    default = fit_parts(fit),
    converged = fit_parts(conv)
  )
}

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/ordinal_reliability.json")
