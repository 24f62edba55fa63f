# Reference properties of R mice's imputations of mixed data, for the chained-equations tests
# in tests/test_imputation.py (impute_chained).
#
# Run from the repository root:
#     Rscript tests/reference/r_mice_chained.R
# writes
#   tests/reference/r_mice_chained_nhanes2.csv  mice::nhanes2 (25 rows; age factor, bmi,
#                                               hyp factor no/yes, chl), NA = missing
#   tests/reference/r_mice_chained_boys.csv     mice::boys (748 rows; age, hgt, wgt, bmi, hc,
#                                               gen and phb ordered factors, tv, reg factor)
#   tests/reference/r_mice_chained_sim.csv      1,000 simulated rows (below): x1 complete; y,
#                                               x2 numeric, f3 unordered factor (a, b, c),
#                                               o4 ordered factor (o1 < ... < o4), b factor
#                                               (no, yes), each about 15% missing at random
#                                               given x1
#   tests/reference/r_mice_chained.json         per imputation: the mean of the imputed values
#                                               of each numeric column, the share of each
#                                               category among the imputed cells of each factor,
#                                               and (nhanes2) the coefficients and squared SEs
#                                               of lm(chl ~ age + bmi + hyp)
# The tests read these files and never need R.
#
# Imputations are random, so the tests compare properties, not draws: the mean of each
# statistic over R's imputations against the mean over ours, within their Monte Carlo error.
# Calls (mice's default methods: pmm for numeric, logreg for binary factors, polyreg for
# unordered factors, polr for ordered ones):
#   mice(nhanes2, m = 200, maxit = 10, seed = 16041, printFlag = FALSE)
#   mice(boys, m = 50, maxit = 10, seed = 16042, printFlag = FALSE)
#   mice(sim, m = 50, maxit = 10, seed = 16044, printFlag = FALSE)
# boys' gen and phb are missing for most boys under 9, where no gen or phb is observed, so
# their models extrapolate; the simulated data set is the well-posed case (every category
# observed across the predictors' range, n = 1,000).

suppressPackageStartupMessages({
  library(mice)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference")

n_events <- function(imp) if (is.null(imp$loggedEvents)) 0L else nrow(imp$loggedEvents)

imputed_properties <- function(data, imp) {
  m <- imp$m
  res <- list()
  for (v in names(data)) {
    miss <- is.na(data[[v]])
    if (!any(miss)) next
    if (is.factor(data[[v]])) {
      shares <- sapply(seq_len(m), function(i) {
        x <- complete(imp, i)[[v]][miss]
        as.numeric(table(factor(x, levels = levels(data[[v]])))) / sum(miss)
      })
      rownames(shares) <- levels(data[[v]])
      res[[v]] <- list(
        kind = "categorical",
        levels = levels(data[[v]]),
        ordered = is.ordered(data[[v]]),
        n_missing = sum(miss),
        shares = lapply(levels(data[[v]]), function(l) unname(shares[l, ]))
      )
      names(res[[v]]$shares) <- levels(data[[v]])
    } else {
      means <- sapply(seq_len(m), function(i) mean(complete(imp, i)[[v]][miss]))
      res[[v]] <- list(kind = "numeric", n_missing = sum(miss), means = unname(means))
    }
  }
  res
}

write.csv(nhanes2, file.path(out_dir, "r_mice_chained_nhanes2.csv"), row.names = FALSE, na = "")
write.csv(boys, file.path(out_dir, "r_mice_chained_boys.csv"), row.names = FALSE, na = "")

imp_n <- mice(nhanes2, m = 200, maxit = 10, seed = 16041, printFlag = FALSE)
fits <- with(imp_n, lm(chl ~ age + bmi + hyp))
coefs <- t(sapply(fits$analyses, coef))
variances <- t(sapply(fits$analyses, function(f) diag(vcov(f))))

imp_b <- mice(boys, m = 50, maxit = 10, seed = 16042, printFlag = FALSE)

set.seed(16043)
n <- 1000
x1 <- rnorm(n)
x2 <- 0.4 * x1 + rnorm(n)
eta <- cbind(0, 0.5 + 0.8 * x1, -0.3 + 1.0 * x2)
prob <- exp(eta) / rowSums(exp(eta))
f3 <- factor(apply(prob, 1, function(p) sample(c("a", "b", "c"), 1, prob = p)),
  levels = c("a", "b", "c")
)
o4 <- cut(0.8 * x1 - 0.5 * x2 + rlogis(n), c(-Inf, -1, 0.5, 2, Inf),
  labels = c("o1", "o2", "o3", "o4"), ordered_result = TRUE
)
b <- factor(ifelse(runif(n) < plogis(-0.5 + x1 + 0.5 * (f3 == "b")), "yes", "no"),
  levels = c("no", "yes")
)
y <- 1 + 0.5 * x1 + 0.3 * x2 + 0.4 * (f3 == "b") + 0.7 * (f3 == "c") +
  0.3 * as.integer(o4) + 0.5 * (b == "yes") + rnorm(n)
sim <- data.frame(y = y, x1 = x1, x2 = x2, f3 = f3, o4 = o4, b = b)
for (v in c("y", "x2", "f3", "o4", "b")) {
  sim[runif(n) < plogis(-2 + 0.8 * x1), v] <- NA
}
write.csv(sim, file.path(out_dir, "r_mice_chained_sim.csv"), row.names = FALSE, na = "")
imp_s <- mice(sim, m = 50, maxit = 10, seed = 16044, printFlag = FALSE)

ref <- list(
  r_version = R.version.string,
  mice_version = as.character(packageVersion("mice")),
  nhanes2 = list(
    call = "mice(nhanes2, m = 200, maxit = 10, seed = 16041, printFlag = FALSE)",
    m = imp_n$m,
    maxit = 10,
    method = as.list(imp_n$method),
    logged_events = n_events(imp_n),
    properties = imputed_properties(nhanes2, imp_n),
    lm = list(
      formula = "chl ~ age + bmi + hyp",
      terms = colnames(coefs),
      estimates = lapply(seq_len(ncol(coefs)), function(j) unname(coefs[, j])),
      variances = lapply(seq_len(ncol(variances)), function(j) unname(variances[, j]))
    )
  ),
  boys = list(
    call = "mice(boys, m = 50, maxit = 10, seed = 16042, printFlag = FALSE)",
    m = imp_b$m,
    maxit = 10,
    method = as.list(imp_b$method),
    logged_events = n_events(imp_b),
    levels = list(gen = levels(boys$gen), phb = levels(boys$phb), reg = levels(boys$reg)),
    properties = imputed_properties(boys, imp_b)
  ),
  sim = list(
    call = "mice(sim, m = 50, maxit = 10, seed = 16044, printFlag = FALSE)",
    m = imp_s$m,
    maxit = 10,
    method = as.list(imp_s$method),
    logged_events = n_events(imp_s),
    properties = imputed_properties(sim, imp_s)
  )
)
names(ref$nhanes2$lm$estimates) <- colnames(coefs)
names(ref$nhanes2$lm$variances) <- colnames(coefs)

write_json(ref, file.path(out_dir, "r_mice_chained.json"),
  auto_unbox = TRUE, digits = NA, pretty = TRUE
)
