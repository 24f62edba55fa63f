# Reference values for tests/test_scales.py, from R psych.
#
# Run from the repository root:
#     Rscript tests/reference/psych_scales.R
# writes tests/reference/psych_scales.json. The tests read the JSON and never need R.
#
# bfi: data/bfi.csv, the 25 items A1..O5, reversed items scored 7 - x.
#   "bfi_listwise": complete cases over the 25 items (n = 2436), as in expected_shared.json.
#   "bfi_pairwise": all 2800 rows, psych::alpha's default use = "pairwise".
# customer_sat: data/customer_sat.csv (no missing values), 10-point items,
#   price = q2..q4, effectiveness = q5..q8, distribution = q9..q10.
#
# Per scale: psych::alpha (raw_alpha, std.alpha, average_r, the Feldt CI that
# print.psych shows, item.stats n/mean/sd/r.drop, alpha.drop raw_alpha) and
# omega total two ways from a one-factor minres solution:
#   omega_total          = (sum lambda)^2 / ((sum lambda)^2 + sum u2)   from psych::fa
#   omega_total_observed = psych::omega(x, nfactors = 1)$omega.tot = 1 - sum(u2) / sum(R)

suppressPackageStartupMessages({
  library(psych)
  library(jsonlite)
})

scale_refs <- function(x) {
  a <- psych::alpha(x, warnings = FALSE)
  out <- list(
    n = nrow(x),
    n_items = ncol(x),
    raw_alpha = a$total$raw_alpha,
    std_alpha = a$total$std.alpha,
    average_r = a$total$average_r,
    feldt_lower = as.numeric(a$feldt$lower.ci),
    feldt_upper = as.numeric(a$feldt$upper.ci),
    item_n = as.list(setNames(a$item.stats$n, rownames(a$item.stats))),
    item_mean = as.list(setNames(a$item.stats$mean, rownames(a$item.stats))),
    item_sd = as.list(setNames(a$item.stats$sd, rownames(a$item.stats))),
    r_drop = as.list(setNames(a$item.stats$r.drop, rownames(a$item.stats))),
    alpha_drop = as.list(setNames(a$alpha.drop$raw_alpha, rownames(a$alpha.drop)))
  )
  if (ncol(x) >= 3 && !anyNA(x)) {
    R <- cor(x)
    f <- psych::fa(R, nfactors = 1, fm = "minres", n.obs = nrow(x))
    l <- f$loadings[, 1]
    l <- l * sign(sum(l))
    om <- suppressWarnings(suppressMessages(psych::omega(x, nfactors = 1, plot = FALSE)))
    out$loadings <- as.list(l)
    out$uniquenesses <- as.list(f$uniquenesses)
    out$omega_total <- sum(l)^2 / (sum(l)^2 + sum(f$uniquenesses))
    out$omega_total_observed <- om$omega.tot
  }
  out
}

bfi <- read.csv("data/bfi.csv")
items <- c(paste0("A", 1:5), paste0("C", 1:5), paste0("E", 1:5), paste0("N", 1:5), paste0("O", 1:5))
reversed <- c("A1", "C4", "C5", "E1", "E2", "O2", "O5")
x <- bfi[, items]
for (it in reversed) x[[it]] <- 7 - x[[it]]
complete <- x[complete.cases(x), ]
scales <- list(
  agreeableness = paste0("A", 1:5), conscientiousness = paste0("C", 1:5),
  extraversion = paste0("E", 1:5), neuroticism = paste0("N", 1:5), openness = paste0("O", 1:5)
)

cs <- read.csv("data/customer_sat.csv")
cs_scales <- list(price = paste0("q", 2:4), effectiveness = paste0("q", 5:8), distribution = paste0("q", 9:10))

result <- list(
  generated_by = paste0(R.version.string, ", psych ", packageVersion("psych"),
                        ", by tests/reference/psych_scales.R"),
  bfi_reversed = reversed,
  bfi_listwise = lapply(scales, function(s) scale_refs(complete[, s])),
  bfi_pairwise = lapply(scales, function(s) scale_refs(x[, s])),
  customer_sat = lapply(cs_scales, function(s) scale_refs(cs[, s]))
)

writeLines(toJSON(result, auto_unbox = TRUE, digits = NA, pretty = TRUE),
           "tests/reference/psych_scales.json")
