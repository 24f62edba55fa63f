# Regression factor scores per bfi scale (reverse-keyed items 7 - x), complete cases per scale.
# Run from the repository root: Rscript tests/reference/psych_factor_scores.R
suppressMessages({library(psych); library(jsonlite)})
bfi <- read.csv("data/bfi.csv")
scales <- list(agreeableness = c("A1","A2","A3","A4","A5"), openness = c("O1","O2","O3","O4","O5"))
rev <- c("A1", "O2", "O5")
for (v in rev) bfi[[v]] <- 7 - bfi[[v]]
out <- list(generated_by = paste("R", getRversion(), "psych", packageVersion("psych")))
for (s in names(scales)) {
  x <- bfi[, scales[[s]]]
  keep <- complete.cases(x)
  f <- fa(x[keep, ], 1, fm = "minres", scores = "regression")
  sc <- as.numeric(f$scores)
  if (sum(f$loadings) < 0) sc <- -sc
  out[[s]] <- list(respondent = bfi$respondent[keep][1:20], scores = sc[1:20],
                   mean = mean(sc), sd = sd(sc), n = sum(keep))
}
writeLines(toJSON(out, digits = 15, auto_unbox = TRUE, pretty = TRUE), "tests/reference/psych_factor_scores.json")
