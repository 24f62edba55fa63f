# Reference values for tests/test_ordinal_cfa.py: ordinal CFA by WLSMV (lavaan 0.6).
# Run from the repository root:  Rscript tests/reference/lavaan_wlsmv.R
# Writes tests/reference/lavaan_wlsmv.json and tests/reference/lavaan_wlsmv_hs_cut.csv (the
# tests read only these files; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan (jsonlite comes along).
#
# Data
#   Holzinger & Swineford (1939), x1..x9 of data/holzinger_swineford_1939.csv (301 pupils), cut
#   into ordered categories at sample quantiles of each variable (R's quantile(), type 7):
#     3 categories: the 1/3 and 2/3 quantiles (terciles: about equal category sizes);
#     5 categories: the 0.10, 0.25, 0.50 and 0.80 quantiles (unequal, to give skewed margins).
#     2 categories (binary): x1, x2, x3, x6, x7, x9 at the median, x4 at the 0.85, x5 at the
#       0.15 and x8 at the 0.80 quantile; the x4 x x5 table then has one empty cell (no pupil
#       above x4's cut and below x5's), which lavaan fills with 0.5, keeping the margins.
#   An item is in category k when q[k-1] < x <= q[k] (q[0] = -Inf, q[K] = Inf), i.e.
#   findInterval(x, q, left.open = TRUE) + 1. The cut points are written to the JSON
#   ("hs_cut_points") and the cut data to tests/reference/lavaan_wlsmv_hs_cut.csv (column
#   "categories" = 2, 3 or 5, then x1..x9), which the Python tests read.
#   psych's bfi (data/bfi.csv): the 25 personality items A1..O5, complete cases (2436 of
#   2800 respondents), all 6 categories observed for every item.
#
# Model: lavaan's three-factor model on HS (visual, textual, speed; the binary, 3- and
# 5-category cuts) and the five-factor Big
# Five model on bfi, each item on one factor, fitted with
#   cfa(model, data, ordered = TRUE, estimator = "WLSMV")
# i.e. lavaan 0.6's defaults for ordered data: delta parameterization, marker loadings,
# DWLS with the diagonal of the asymptotic covariance matrix (Muthen 1984) as weights,
# se = "robust.sem", test = "scaled.shifted". Variants on the 3-category HS data:
# the mean-and-variance adjusted test (estimator = "DWLS", se = "robust.sem",
# test = "mean.var.adjusted"); std.lv = TRUE; estimator = "DWLS" (standard SEs and test);
# estimator = "ULSMV"; and a saturated one-factor model of x1..x3 (df = 0).
#
# Recorded per fit: parameterEstimates() (est, se, z, pvalue), standardizedSolution()
# (est.std, se), fitMeasures() (all), the sample thresholds and polychoric correlations
# (lavInspect(fit, "sampstat")), and lavInspect(fit, "gamma") (NACOV, the asymptotic
# covariance matrix of sqrt(N) times the thresholds and correlations): in full for HS, for
# bfi (425 x 425) its diagonal and every 25th row. lavaan's optimizer (nlminb) stops on a
# relative change of the objective; each fit also records the largest absolute gradient
# element of the objective at lavaan's estimates (lavInspect(fit, "optim.gradient")): about
# 1e-6 for HS and 7e-6 for bfi, which leaves estimates up to about 1e-5 (relative) short of
# the minimum. The same fits converged further ("hs3_converged", "hs5_converged",
# "bfi_converged": optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000);
# gradients 2e-9 to 8e-8) show that those differences are lavaan's stopping rule. (A tighter
# nlminb rel.tol only makes nlminb stop with a warning.)
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

hs <- read.csv("data/holzinger_swineford_1939.csv")
bfi <- read.csv("data/bfi.csv")
items_hs <- paste0("x", 1:9)
items_bfi <- paste0(rep(c("A", "C", "E", "N", "O"), each = 5), 1:5)

same <- function(p) setNames(rep(list(p), 9), items_hs)
probs <- list("2" = as.list(c(x1 = 0.5, x2 = 0.5, x3 = 0.5, x4 = 0.85, x5 = 0.15, x6 = 0.5,
                              x7 = 0.5, x8 = 0.8, x9 = 0.5)),
              "3" = same(c(1 / 3, 2 / 3)), "5" = same(c(0.10, 0.25, 0.50, 0.80)))
cut_points <- list()
cut_data <- list()
for (k in names(probs)) {
  d <- hs[items_hs]
  cut_points[[k]] <- list()
  for (x in items_hs) {
    q <- unname(quantile(hs[[x]], probs[[k]][[x]]))
    cut_points[[k]][[x]] <- q
    d[[x]] <- findInterval(hs[[x]], q, left.open = TRUE) + 1L
  }
  cut_data[[k]] <- d
}
write.csv(do.call(rbind, lapply(names(cut_data), function(k) cbind(categories = as.integer(k),
                                                                   cut_data[[k]]))),
          "tests/reference/lavaan_wlsmv_hs_cut.csv", row.names = FALSE)

hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
bfi_model <- "agree =~ A1 + A2 + A3 + A4 + A5
consc =~ C1 + C2 + C3 + C4 + C5
extra =~ E1 + E2 + E3 + E4 + E5
neuro =~ N1 + N2 + N3 + N4 + N5
open =~ O1 + O2 + O3 + O4 + O5"

describe <- function(fit, gamma = "full") {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit)
  st <- lavInspect(fit, "sampstat")
  g <- unclass(lavInspect(fit, "gamma"))
  out <- list(
    converged = lavInspect(fit, "converged"),
    max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
    ntotal = lavInspect(fit, "ntotal"),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                           z = pe$z, pvalue = pe$pvalue, std_all = ss$est.std,
                           std_se = ss$se),
    thresholds = as.list(st$th),
    threshold_names = names(st$th),
    polychoric = unclass(st$cov),
    gamma_names = rownames(g),
    gamma_diag = diag(g)
  )
  if (gamma == "full") {
    out$gamma <- g
  } else if (gamma == "rows") {
    rows <- seq(1, nrow(g), by = 25)
    out$gamma_rows <- rows - 1L  # 0-based for Python
    out$gamma_row_values <- g[rows, , drop = FALSE]
  }
  out
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            R = R.version.string),
            hs_cut_points = cut_points,
            hs_cut_probs = probs,
            hs_model = hs_model, bfi_model = bfi_model)

fit3 <- cfa(hs_model, data = cut_data[["3"]], ordered = TRUE, estimator = "WLSMV")
out$hs3 <- describe(fit3)
out$hs3$call <- 'cfa(hs_model, data = hs_cut3, ordered = TRUE, estimator = "WLSMV")'

# (estimator = "WLSMV" with test = "mean.var.adjusted" keeps "scaled.shifted" as the first
# scaled test, which fitMeasures() reports; DWLS + robust.sem is WLSMV with only this test.)
fit3mv <- cfa(hs_model, data = cut_data[["3"]], ordered = TRUE, estimator = "DWLS",
              se = "robust.sem", test = "mean.var.adjusted")
out$hs3_mean_var <- describe(fit3mv, gamma = "none")
out$hs3_mean_var$call <- paste0('cfa(hs_model, data = hs_cut3, ordered = TRUE, ',
                                'estimator = "DWLS", se = "robust.sem", test = "mean.var.adjusted")')

fit3std <- cfa(hs_model, data = cut_data[["3"]], ordered = TRUE, estimator = "WLSMV",
               std.lv = TRUE)
out$hs3_std_lv <- describe(fit3std, gamma = "none")
out$hs3_std_lv$call <- 'cfa(hs_model, data = hs_cut3, ordered = TRUE, estimator = "WLSMV", std.lv = TRUE)'

fit3dwls <- cfa(hs_model, data = cut_data[["3"]], ordered = TRUE, estimator = "DWLS")
out$hs3_dwls <- describe(fit3dwls, gamma = "none")
out$hs3_dwls$call <- 'cfa(hs_model, data = hs_cut3, ordered = TRUE, estimator = "DWLS")'

fit3uls <- cfa(hs_model, data = cut_data[["3"]], ordered = TRUE, estimator = "ULSMV")
out$hs3_ulsmv <- describe(fit3uls, gamma = "none")
out$hs3_ulsmv$call <- 'cfa(hs_model, data = hs_cut3, ordered = TRUE, estimator = "ULSMV")'

# a saturated model (df = 0): one factor of three items
fit3sat <- cfa("visual =~ x1 + x2 + x3", data = cut_data[["3"]], ordered = TRUE, estimator = "WLSMV")
out$hs3_saturated <- describe(fit3sat, gamma = "none")
out$hs3_saturated$call <- 'cfa("visual =~ x1 + x2 + x3", data = hs_cut3, ordered = TRUE, estimator = "WLSMV")'

fit2 <- cfa(hs_model, data = cut_data[["2"]], ordered = TRUE, estimator = "WLSMV")
out$hs2 <- describe(fit2)
out$hs2$call <- 'cfa(hs_model, data = hs_cut2, ordered = TRUE, estimator = "WLSMV")'

fit5 <- cfa(hs_model, data = cut_data[["5"]], ordered = TRUE, estimator = "WLSMV")
out$hs5 <- describe(fit5)
out$hs5$call <- 'cfa(hs_model, data = hs_cut5, ordered = TRUE, estimator = "WLSMV")'

bfi_cc <- na.omit(bfi[items_bfi])
fitb <- cfa(bfi_model, data = bfi_cc, ordered = TRUE, estimator = "WLSMV")
out$bfi <- describe(fitb, gamma = "rows")
out$bfi$call <- 'cfa(bfi_model, data = na.omit(bfi[items]), ordered = TRUE, estimator = "WLSMV")'

# Four binary items whose tetrachoric matrix is not positive definite (smallest eigenvalue
# -0.03; 40 respondents, given as answer patterns with their counts): lavaan's robust
# CFI/TLI/RMSEA need a positive definite matrix and are NA.
patterns <- data.frame(a = c(1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2), b = c(1, 1, 2, 2, 2, 1, 1, 2, 2, 2, 2),
                       c = c(1, 1, 1, 1, 2, 1, 2, 1, 1, 2, 2), d = c(1, 2, 1, 2, 1, 1, 1, 1, 2, 1, 2),
                       count = c(8, 3, 1, 4, 2, 2, 1, 1, 5, 6, 7))
nonpd <- patterns[rep(seq_len(nrow(patterns)), patterns$count), c("a", "b", "c", "d")]
fitn <- cfa("f =~ a + b + c + d", data = nonpd, ordered = TRUE, estimator = "WLSMV")
out$nonpd <- describe(fitn)
out$nonpd$patterns <- patterns
out$nonpd$smallest_eigenvalue <- min(eigen(lavInspect(fitn, "sampstat")$cov)$values)
out$nonpd$call <- 'cfa("f =~ a + b + c + d", data = nonpd, ordered = TRUE, estimator = "WLSMV")'

converged <- function(model, data) {
  cfa(model, data = data, ordered = TRUE, estimator = "WLSMV", optim.method = "BFGS",
      control = list(reltol = 1e-16, maxit = 10000))
}
tight <- 'optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000)'
out$hs3_converged <- describe(converged(hs_model, cut_data[["3"]]), gamma = "none")
out$hs3_converged$call <- paste0('cfa(hs_model, data = hs_cut3, ordered = TRUE, estimator = "WLSMV", ', tight, ')')
out$hs5_converged <- describe(converged(hs_model, cut_data[["5"]]), gamma = "none")
out$hs5_converged$call <- paste0('cfa(hs_model, data = hs_cut5, ordered = TRUE, estimator = "WLSMV", ', tight, ')')
out$bfi_converged <- describe(converged(bfi_model, bfi_cc), gamma = "none")
out$bfi_converged$call <- paste0('cfa(bfi_model, data = na.omit(bfi[items]), ordered = TRUE, estimator = "WLSMV", ', tight, ')')

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_wlsmv.json")
