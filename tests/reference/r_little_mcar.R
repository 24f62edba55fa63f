# Reference values for tests/test_missingness.py: Little's (1988) MCAR test in R.
# Run from the repository root:  Rscript tests/reference/r_little_mcar.R
# Writes tests/reference/r_little_mcar.json (the tests read only the JSON; they never need R).
#
# The EM is lavaan's (the saturated "h1" moments lavaan uses for missing = "ml"), driven to a
# tight tolerance; Little's d^2 is written out below from its definition (Little 1988, eq. 5),
# so that the reference does not depend on naniar/misty (not packaged in Debian).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan r-cran-mice (jsonlite comes along).
#
# Data (each file is read by R and Python alike):
#   holzinger_swineford_mcar.csv, holzinger_swineford_mar.csv  x1..x9 of
#       data/holzinger_swineford_1939.csv with values deleted by a seeded MCAR / MAR process
#       (made by hs_with_deletions() in tests/test_missingness.py, which checks they still match)
#   data/loyalty_survey.csv  the shipped survey: code 99 is "no answer", TR3 is reverse-coded
#       (8 - x) as the workbench prepares it
#   airquality.csv  R's datasets::airquality, written here; naniar's own test pins
#       mcar_test(airquality) at d2 = 35.1061288689702, df = 14, p = 0.00141778113856683.
suppressPackageStartupMessages({
  library(lavaan)
  library(mice)
  library(jsonlite)
})

EM_CALL <- "lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y, max.iter = 10000L, tol = 1e-11)"

em_moments <- function(Y) {
  lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y = as.matrix(Y), max.iter = 10000L, tol = 1e-11)
}

# Little's d^2 = sum_j n_j (ybar_j - mu_j)' Sigma_j^{-1} (ybar_j - mu_j), df = sum_j p_j - p,
# over the patterns j of respondents with at least one answer.
little_d2 <- function(Y, mu, sigma) {
  Y <- as.matrix(Y)
  R <- !is.na(Y)
  keep <- rowSums(R) > 0
  Y <- Y[keep, , drop = FALSE]
  R <- R[keep, , drop = FALSE]
  key <- apply(R, 1, function(r) paste(as.integer(r), collapse = ""))
  d2 <- 0
  df <- -ncol(Y)
  for (k in unique(key)) {
    rows <- which(key == k)
    o <- R[rows[1], ]
    ybar <- colMeans(Y[rows, o, drop = FALSE])
    diff <- ybar - mu[o]
    d2 <- d2 + length(rows) * drop(crossprod(diff, solve(sigma[o, o, drop = FALSE], diff)))
    df <- df + sum(o)
  }
  list(d2 = d2, df = df, p = pchisq(d2, df, lower.tail = FALSE),
       n_patterns = length(unique(key)), n = nrow(Y))
}

case <- function(Y, source, moments = TRUE) {
  em <- em_moments(Y)
  mu <- as.numeric(em$Mu)
  sigma <- em$Sigma
  res <- little_d2(Y, mu, sigma)
  res$source <- source
  res$items <- colnames(Y)
  # observed-data log-likelihood at the EM estimates (lavaan's unrestricted.logl)
  res$loglik <- lavaan:::lav_mvnorm_missing_loglik_data(Y = as.matrix(Y), Mu = em$Mu,
                                                        Sigma = em$Sigma, log2pi = TRUE)
  if (moments) {
    res$mean <- mu
    res$cov <- unname(sigma)
  }
  # md.pattern's rows: pattern counts (row names) and the 0/1 pattern, without its margins
  mdp <- md.pattern(as.data.frame(Y), plot = FALSE)
  body <- mdp[-nrow(mdp), -ncol(mdp), drop = FALSE]
  res$md_pattern <- list(
    counts = as.integer(rownames(mdp)[-nrow(mdp)]),
    patterns = apply(body[, colnames(Y), drop = FALSE], 1,
                     function(r) paste(as.integer(r), collapse = ""))
  )
  names(res$md_pattern$patterns) <- NULL
  res
}

out <- list(versions = list(R = R.version.string,
                            lavaan = as.character(packageVersion("lavaan")),
                            mice = as.character(packageVersion("mice")),
                            jsonlite = as.character(packageVersion("jsonlite"))),
            em_call = EM_CALL,
            d2_call = "little_d2(Y, em$Mu, em$Sigma) as written in tests/reference/r_little_mcar.R",
            md_pattern_call = "mice::md.pattern(Y, plot = FALSE)",
            loglik_call = "lavaan:::lav_mvnorm_missing_loglik_data(Y, em$Mu, em$Sigma)")

# (a) Holzinger-Swineford x1..x9 with values deleted at random (MCAR) and by x1, x4, x7 (MAR)
for (mech in c("mcar", "mar")) {
  file <- sprintf("tests/reference/holzinger_swineford_%s.csv", mech)
  Y <- read.csv(file)
  out[[paste0("holzinger_", mech)]] <- case(Y, file)
}

# (b) the shipped loyalty survey: 99 = no answer; TR3 reverse-coded as load_survey does
survey <- read.csv("data/loyalty_survey.csv")
items <- c("ED1", "ED2", "ED3", "ED4", "EN1", "EN2", "EN3", "EN4", "AE1", "AE2", "AE3", "AE4",
           "EC1", "EC2", "EC3", "EC4", "ME1", "ME2", "ME3", "SA1", "SA2", "SA3",
           "TR1", "TR2", "TR3", "TR4", "PV1", "PV2", "PV3", "BE1", "BE2", "BE3",
           "RI1", "RI2", "RI3", "WP1", "WP2", "WP3", "ON1", "ON2", "ON3", "OF1", "OF2", "OF3")
Y <- survey[, items]
Y[Y == 99] <- NA
Y$TR3 <- 8 - Y$TR3
out$loyalty_trust_wtp <- case(Y[, c("TR1", "TR2", "TR3", "TR4", "WP1", "WP2", "WP3")],
                              "data/loyalty_survey.csv (trust, willingness_to_pay)")
out$loyalty_all <- case(Y, "data/loyalty_survey.csv (all 44 items)")

# complete cases by tier and channel: Pearson chi-square without continuity correction
complete <- complete.cases(Y)
out$loyalty_groups <- lapply(c(tier = "tier", channel = "channel"), function(g) {
  tab <- table(survey[[g]], complete)
  ct <- suppressWarnings(chisq.test(tab, correct = FALSE))
  list(chi2 = unname(ct$statistic), df = unname(ct$parameter), p = ct$p.value,
       values = rownames(tab), complete = unname(tab[, "TRUE"]),
       call = sprintf("chisq.test(table(survey$%s, complete.cases(items)), correct = FALSE)", g))
})

# (c) airquality, naniar's example
write.csv(airquality, "tests/reference/airquality.csv", row.names = FALSE)
aq <- read.csv("tests/reference/airquality.csv")
out$airquality <- case(aq, "tests/reference/airquality.csv (datasets::airquality)")
out$airquality$naniar <- list(
  call = "naniar::mcar_test(airquality)",
  statistic = 35.1061288689702, df = 14, p.value = 0.00141778113856683, missing.patterns = 4,
  source = "naniar's tests/testthat/test-mcar-test.R (EM by norm::em.norm)"
)

write_json(out, "tests/reference/r_little_mcar.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
cat("wrote tests/reference/r_little_mcar.json\n")
