# Reference values for tests/test_polychoric.py, from R psych::polychoric.
#
# Run from the repository root:
#     Rscript tests/reference/psych_polychoric.R
# writes tests/reference/psych_polychoric.json. The tests read the JSON and never need R.
#
# psych::polychoric defaults (psych 2.2.9): global = TRUE (thresholds from each item's own
# marginal proportions, all its non-missing answers), correct = 0.5 (only used when
# global = FALSE: empty cells of a pair's table get 0.5 / n), smooth = TRUE (cor.smooth when
# an eigenvalue is below machine epsilon), tables from pairwise-complete rows. rho is found by
# stats::optimize on (-1, 1) with its default tol = .Machine$double.eps^0.25 (about 1.2e-4),
# and psych's cell probabilities come from mnormt::sadmvn (abseps = 1e-6), so psych's rho is
# only accurate to about 1e-4.  For each case we therefore also store "rho_ml": the same
# likelihood (same table, same thresholds, same correction) maximized with tol = 1e-12 and
# cell probabilities from mnormt::pmnorm (Genz's bivariate algorithm, about 1e-15).
#
# psych::polychoric with global = FALSE does not renormalize the table after adding the
# correction, so on small samples with many empty cells a cumulative margin can pass 1 and
# psych stops with an error (qnorm gives NaN); the cases below avoid that.
#
# Cases
#   bfi:           data/bfi.csv, the 25 items A1..O5 as coded (1..6, NOT reverse-coded),
#                  all 2800 rows, pairwise-complete.
#   bfi_listwise:  the same items, complete cases only (n = 2436). This is where the values
#                  A1-A2 = -0.4211 and A2-A3 = 0.5730 come from; with all 2800 rows psych
#                  gives -0.4085 and 0.5555.
#   small:         4 items, 150 rows, 5 categories, simulated (data stored below), with empty
#                  cells; psych defaults (global = TRUE).
#   small_local:   same data, global = FALSE, correct = 0.5 (the correction is used).
#   small_local_0: same data, global = FALSE, correct = 0.
#   unequal:       the small data with item 4 collapsed to 1..4; psych then sets
#                  global = FALSE itself (with a warning).
#   nonpd:         6 items, 25 rows, 4 categories, 40 answers deleted at random; the raw
#                  matrix is not positive definite, so psych smooths it (cor.smooth).

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
  library(mnormt)
})

# Exact rectangle probabilities of the bivariate normal on the grid of cuts.
cell_probs <- function(rho, rc, cc) {
  a <- c(-Inf, rc, Inf)
  b <- c(-Inf, cc, Inf)
  S <- matrix(c(1, rho, rho, 1), 2)
  F <- matrix(0, length(a), length(b))
  for (i in seq_along(a)) for (j in seq_along(b)) {
    if (a[i] == -Inf || b[j] == -Inf) F[i, j] <- 0
    else if (a[i] == Inf && b[j] == Inf) F[i, j] <- 1
    else if (a[i] == Inf) F[i, j] <- pnorm(b[j])
    else if (b[j] == Inf) F[i, j] <- pnorm(a[i])
    else F[i, j] <- mnormt::pmnorm(c(a[i], b[j]), c(0, 0), S)
  }
  F[-1, -1] - F[-length(a), -1] - F[-1, -length(b)] + F[-length(a), -length(b)]
}

neg_loglik <- function(rho, rc, cc, tab) {
  P <- cell_probs(rho, rc, cc)
  keep <- tab > 0 & P > 0
  -sum(tab[keep] * log(P[keep]))
}

# The table and thresholds psych::polyc uses for one pair (x already shifted to 1..max).
pair_setup <- function(xi, xj, tau_i, tau_j, nmax, global, correct) {
  tab <- psych:::tableFast(xi, xj, 1, nmax, 1, nmax)
  tot <- sum(tab)
  tab <- tab / tot
  if (global) return(list(tab = tab, rc = tau_i, cc = tau_j))
  tab <- tab[rowSums(tab) > 0, , drop = FALSE]
  tab <- tab[, colSums(tab) > 0, drop = FALSE]
  if (correct > 0 && any(tab == 0)) tab[tab == 0] <- correct / tot
  list(tab = tab, rc = qnorm(cumsum(rowSums(tab))[-nrow(tab)]),
       cc = qnorm(cumsum(colSums(tab))[-ncol(tab)]))
}

rho_ml <- function(x, global = TRUE, correct = 0.5) {
  x <- as.matrix(x)
  x <- x - min(x, na.rm = TRUE) + 1
  xmax <- apply(x, 2, max, na.rm = TRUE)
  if (min(xmax) != max(xmax)) global <- FALSE
  nmax <- max(xmax)
  freq <- apply(x, 2, tabulate, nbins = nmax)
  tau <- qnorm(apply(t(t(freq) / colSums(freq)), 2, cumsum)[1:(nmax - 1), , drop = FALSE])
  p <- ncol(x)
  R <- diag(p)
  for (i in 2:p) for (j in 1:(i - 1)) {
    s <- pair_setup(x[, i], x[, j], tau[, i], tau[, j], nmax, global, correct)
    R[i, j] <- R[j, i] <- optimize(neg_loglik, c(-1, 1), rc = s$rc, cc = s$cc, tab = s$tab,
                                   tol = 1e-12)$minimum
  }
  dimnames(R) <- list(colnames(x), colnames(x))
  R
}

run_case <- function(x, ...) {
  warns <- character()
  t0 <- proc.time()[["elapsed"]]
  res <- withCallingHandlers(
    suppressMessages(psych::polychoric(x, ..., progress = FALSE)),
    warning = function(w) {
      warns <<- c(warns, conditionMessage(w))
      invokeRestart("muffleWarning")
    }
  )
  seconds <- proc.time()[["elapsed"]] - t0
  raw <- suppressWarnings(suppressMessages(psych::polychoric(x, ..., smooth = FALSE,
                                                             progress = FALSE)))$rho
  args <- list(...)
  list(
    args = args,
    seconds = seconds,
    psych_warnings = warns,
    items = colnames(x),
    rho = res$rho,
    rho_unsmoothed = raw,
    min_eigenvalue_unsmoothed = min(eigen(raw, only.values = TRUE)$values),
    rho_ml = rho_ml(x, global = if (is.null(args$global)) TRUE else args$global,
                    correct = if (is.null(args$correct)) 0.5 else args$correct),
    tau = res$tau
  )
}

matrix_json <- function(case) {
  case$rho <- unname(case$rho)
  case$rho_unsmoothed <- unname(case$rho_unsmoothed)
  case$rho_ml <- unname(case$rho_ml)
  case$tau <- unname(case$tau)
  case
}

bfi <- read.csv("data/bfi.csv")
items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))
xbfi <- bfi[, items]

set.seed(2026)
S <- matrix(0.55, 4, 4); diag(S) <- 1
z <- MASS::mvrnorm(150, rep(0, 4), S)
small <- as.data.frame(matrix(as.integer(cut(z, c(-Inf, -1.5, -0.5, 0.5, 1.5, Inf))), 150, 4))
names(small) <- paste0("q", 1:4)
small[c(3, 17), "q2"] <- NA
small[29, "q4"] <- NA
unequal <- small
unequal$q4 <- pmin(unequal$q4, 4L)

set.seed(1)
S6 <- matrix(0.5, 6, 6); diag(S6) <- 1
z6 <- MASS::mvrnorm(25, rep(0, 6), S6)
nonpd <- matrix(as.integer(cut(z6, c(-Inf, -1, 0, 1, Inf))), 25, 6)
nonpd[sample(length(nonpd), 40)] <- NA
nonpd <- as.data.frame(nonpd)
names(nonpd) <- paste0("v", 1:6)

to_rows <- function(d) lapply(seq_len(nrow(d)), function(i) as.list(unname(unlist(d[i, ]))))

result <- list(
  generated_by = paste0(R.version.string, ", psych ", packageVersion("psych"),
                        ", mnormt ", packageVersion("mnormt"),
                        ", by tests/reference/psych_polychoric.R"),
  data = list(small = list(columns = names(small), rows = to_rows(small)),
              unequal = list(columns = names(unequal), rows = to_rows(unequal)),
              nonpd = list(columns = names(nonpd), rows = to_rows(nonpd))),
  bfi = matrix_json(run_case(xbfi)),
  bfi_listwise = matrix_json(run_case(xbfi[complete.cases(xbfi), ])),
  small = matrix_json(run_case(small)),
  small_local = matrix_json(run_case(small, global = FALSE, correct = 0.5)),
  small_local_0 = matrix_json(run_case(small, global = FALSE, correct = 0)),
  unequal = matrix_json(run_case(unequal)),
  nonpd = matrix_json(run_case(nonpd))
)

writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/psych_polychoric.json")
