# Reference values for the latent class tests in tests/test_segmentation_lca.py, from R
# e1071::lca (binary latent class analysis by EM; Weingessel 1998).
#
# Run from the repository root:
#     Rscript tests/reference/r_lca.R
# writes
#   tests/reference/r_lca_lsat6.csv   psych::lsat6, Bock & Lieberman (1970) LSAT section 6
#                                     (1000 x 5 binary items)
#   tests/reference/r_lca_lsat7.csv   psych::lsat7, LSAT section 7 (1000 x 5 binary items)
#   tests/reference/r_lca.json        the values below
# For each data set and k = 2, 3: lca(X, k, niter = 5000) from 50 random starts
# (set.seed(1..50)); the fit with the highest log-likelihood is kept. Recorded: logl, the
# number of parameters np ((k - 1) + k * 5), bic (-2 logl + np log n, as e1071 computes it),
# the class probabilities (sorted decreasing) and the item probabilities P(item = 1 | class) in
# the same class order, and how many of the 50 starts reached the best logl (within 1e-3).
suppressPackageStartupMessages({
  library(e1071)
  library(psych)
  library(jsonlite)
})
data(bock)
out <- list(
  versions = list(
    R = paste(R.version$major, R.version$minor, sep = "."),
    e1071 = as.character(packageVersion("e1071")),
    psych = as.character(packageVersion("psych"))
  )
)
for (name in c("lsat6", "lsat7")) {
  X <- get(name)
  colnames(X) <- paste0("Q", 1:5)
  path <- file.path("tests", "reference", paste0("r_lca_", name, ".csv"))
  write.csv(X, path, row.names = FALSE)
  X <- as.matrix(read.csv(path))
  res <- list()
  for (k in 2:3) {
    fits <- lapply(1:50, function(s) {
      set.seed(s)
      lca(X, k, niter = 5000, matchdata = FALSE, verbose = FALSE)
    })
    ll <- sapply(fits, function(f) f$logl)
    best <- fits[[which.max(ll)]]
    o <- order(best$classprob, decreasing = TRUE)
    res[[as.character(k)]] <- list(
      loglik = best$logl,
      npar = best$np,
      bic = best$bic,
      n = best$n,
      classprob = unname(best$classprob[o]),
      itemprob = unname(lapply(o, function(c) unname(best$p[c, ]))),
      starts_at_best = sum(ll >= max(ll) - 1e-3)
    )
  }
  out[[name]] <- res
}
writeLines(
  toJSON(out, digits = I(15), auto_unbox = TRUE, pretty = TRUE),
  file.path("tests", "reference", "r_lca.json")
)
