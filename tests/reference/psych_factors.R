# Reference values for tests/test_factors.py, from R psych + GPArotation.
#
# Run from the repository root:
#   Rscript tests/reference/psych_factors.R
# It writes tests/reference/psych_factors.json. The tests read the JSON and never need R.
#
# Data: data/bfi.csv (the 25 items A1..O5, complete cases, items as stored: no reverse coding)
# and data/holzinger_swineford_1939.csv (x1..x9, all 301 rows complete).
suppressPackageStartupMessages({
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

bfi <- read.csv("data/bfi.csv")
bfi_items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))
bfi <- na.omit(bfi[, bfi_items])
hs <- read.csv("data/holzinger_swineford_1939.csv")[, paste0("x", 1:9)]

efa_ref <- function(x, nf, fm, rotate) {
  f <- fa(x, nfactors = nf, fm = fm, rotate = rotate, warnings = FALSE)
  L <- unclass(f$loadings)
  out <- list(
    fm = fm, rotate = rotate, n_factors = nf, n_obs = f$n.obs,
    loadings = lapply(seq_len(nrow(L)), function(i) as.list(setNames(L[i, ], paste0("F", 1:nf)))),
    items = rownames(L),
    communality = unname(f$communality),
    uniquenesses = unname(f$uniquenesses),
    ss_loadings = unname(f$Vaccounted["SS loadings", ]),
    objective = f$objective, chi2 = f$STATISTIC, df = f$dof, p = f$PVAL,
    rmsea = unname(f$RMSEA[1]), rmsea_lower = unname(f$RMSEA[2]), rmsea_upper = unname(f$RMSEA[3]),
    tli = f$TLI, bic = f$BIC, null_chisq = f$null.chisq,
    values = unname(f$values)
  )
  if (!is.null(f$Phi)) out$phi <- unname(f$Phi)
  out
}

cases <- list(
  list("bfi", bfi, 5, "minres", "oblimin"),
  list("bfi", bfi, 5, "ml", "oblimin"),
  list("bfi", bfi, 5, "pa", "oblimin"),
  list("bfi", bfi, 5, "minres", "varimax"),
  list("bfi", bfi, 5, "minres", "promax"),
  list("bfi", bfi, 5, "minres", "quartimin"),
  list("bfi", bfi, 5, "minres", "geominQ"),
  list("bfi", bfi, 5, "ml", "none"),
  list("bfi", bfi, 1, "minres", "none"),
  list("hs", hs, 3, "minres", "oblimin"),
  list("hs", hs, 3, "ml", "promax"),
  list("hs", hs, 3, "pa", "varimax"),
  list("hs", hs, 3, "ml", "geominQ")
)
efa <- list()
for (case in cases) {
  key <- paste(case[[1]], case[[4]], case[[5]], case[[3]], sep = "_")
  efa[[key]] <- efa_ref(case[[2]], case[[3]], case[[4]], case[[5]])
}

parallel_ref <- function(x, n.iter) {
  set.seed(20261122)
  t0 <- proc.time()[["elapsed"]]
  p <- fa.parallel(x, fa = "both", n.iter = n.iter, plot = FALSE)
  secs <- proc.time()[["elapsed"]] - t0
  list(
    n_iter = n.iter, seconds = secs, nfact = p$nfact, ncomp = p$ncomp,
    fa_values = p$fa.values, pc_values = p$pc.values,
    fa_sim = p$fa.sim, pc_sim = p$pc.sim
  )
}

map_ref <- function(x, n = 8) {
  v <- VSS(x, n = n, plot = FALSE)
  list(n = n, map = v$map, which_min = which.min(v$map))
}

kmo_bart <- function(x) {
  k <- KMO(x)
  b <- cortest.bartlett(cor(x), n = nrow(x))
  list(kmo_overall = k$MSA, kmo_items = as.list(k$MSAi), bartlett_chi2 = b$chisq,
       bartlett_df = b$df, bartlett_p = b$p.value)
}

out <- list(
  generated_by = paste0(R.version.string, ", psych ", packageVersion("psych"),
                        ", GPArotation ", packageVersion("GPArotation")),
  notes = paste("fa() defaults otherwise (SMC starts, alpha = .1 for the RMSEA 90% CI).",
                "Factor order and sign as psych returns them; the tests still match by congruence.",
                "fa.parallel: sim and resampled data, set.seed(20261122); fa_sim/pc_sim are",
                "means of the simulated eigenvalues (Monte Carlo, compare loosely)."),
  hs_kmo = kmo_bart(hs),
  efa = efa,
  parallel = list(bfi = parallel_ref(bfi, 100), hs = parallel_ref(hs, 100)),
  map = list(bfi = map_ref(bfi), hs = map_ref(hs))
)
t0 <- proc.time()[["elapsed"]]
for (i in 1:10) f <- fa(bfi, 5)
out$timing <- list(fa_bfi_5_seconds = (proc.time()[["elapsed"]] - t0) / 10)
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE, na = "null"),
           "tests/reference/psych_factors.json")
