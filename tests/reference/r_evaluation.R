# Reference values for tests/test_evaluation.py (workbench.evaluation), from R 4.2.2.
#
# Run from the repository root:
#     Rscript tests/reference/r_evaluation.R
# writes tests/reference/r_evaluation.json (the data and the fitted values), so the
# tests read the same numbers and never need R.
#
# Data: 60 members x 12 months (2024-01 .. 2024-12), members m01..m30 treated, launch
# 2024-07 (period 7). Members m51..m60 enter in period 3 (an unbalanced panel, as when
# members join late). y = member effect + period effect + 0.5 * treat_post + noise,
# all from set.seed(20240701).
#
# Models (stats::lm with member and period dummies, i.e. two-way fixed effects):
#   did:   lm(y ~ treat_post + factor(member) + factor(period))
#   event: lm(y ~ ev_m4 + ev_m3 + ev_m2 + ev_0 + ... + ev_4 + factor(member) + factor(period)),
#          relative period k = period - 7 for treated members, binned at -4 (k <= -4)
#          and 4 (k >= 4), k = -1 omitted (leads = 4, lags = 4).
# Covariance: sandwich::vcovCL(fit, cluster = ~member, type = "HC1"), i.e. CR1:
#   G / (G - 1) * (n - 1) / (n - k) with k counting every lm coefficient (intercept,
#   59 member dummies, 11 period dummies, treatment terms); Stata's areg convention.
# p values: t with G - 1 degrees of freedom; the lead test is the chi-square Wald
#   statistic b' V^-1 b on the 3 lead coefficients.
# Horizon averages: mean of ev_0..ev_3 (short) and of ev_4 (medium, the binned k >= 4),
#   SE sqrt(a' V a).
# ITS: see the last block.

suppressPackageStartupMessages({
  library(sandwich)
  library(lmtest)
  library(jsonlite)
})

set.seed(20240701)
members <- sprintf("m%02d", 1:60)
d <- expand.grid(period = 1:12, member = members, stringsAsFactors = FALSE)
d <- d[!(d$member %in% sprintf("m%02d", 51:60) & d$period < 3), ]
treated <- members[1:30]
alpha <- setNames(rnorm(60, 2, 1), members)
gamma <- 0.1 * (1:12) + rnorm(12, 0, 0.2)
d$treated <- as.integer(d$member %in% treated)
d$treat_post <- as.integer(d$treated == 1 & d$period >= 7)
d$y <- round(alpha[d$member] + gamma[d$period] + 0.5 * d$treat_post +
  0.3 * d$treated * (d$period - 6) * (d$period >= 7) + rnorm(nrow(d), 0, 1), 6)

fit <- lm(y ~ treat_post + factor(member) + factor(period), data = d)
V <- vcovCL(fit, cluster = ~member, type = "HC1")
G <- length(unique(d$member))
b <- unname(coef(fit)["treat_post"])
se <- sqrt(V["treat_post", "treat_post"])
p <- 2 * pt(-abs(b / se), df = G - 1)

k <- ifelse(d$treated == 1, pmin(pmax(d$period - 7, -4), 4), NA)
ks <- c(-4, -3, -2, 0, 1, 2, 3, 4)
nm <- ifelse(ks < 0, paste0("ev_m", -ks), paste0("ev_", ks))
for (i in seq_along(ks)) d[[nm[i]]] <- as.integer(!is.na(k) & k == ks[i])
form <- as.formula(paste("y ~", paste(nm, collapse = " + "), "+ factor(member) + factor(period)"))
efit <- lm(form, data = d)
EV <- vcovCL(efit, cluster = ~member, type = "HC1")[nm, nm]
eb <- coef(efit)[nm]
ese <- sqrt(diag(EV))
lead <- nm[1:3]
wald <- as.numeric(t(eb[lead]) %*% solve(EV[lead, lead]) %*% eb[lead])
a_short <- as.numeric(nm %in% c("ev_0", "ev_1", "ev_2", "ev_3")) / 4
a_med <- as.numeric(nm == "ev_4")

out <- list(
  data = list(
    member_id = d$member,
    period = sprintf("2024-%02d-01", d$period),
    y = d$y
  ),
  treated = treated,
  launch_date = "2024-07-01",
  did = list(
    estimate = b, se = se, p = p, n = nrow(d), clusters = G,
    df_resid = fit$df.residual,
    treated_post_mean = mean(d$y[d$treat_post == 1])
  ),
  event = list(
    k = ks, estimate = unname(eb), se = unname(ese),
    p = unname(2 * pt(-abs(eb / ese), df = G - 1)),
    wald = wald, wald_p = pchisq(wald, df = 3, lower.tail = FALSE),
    short = sum(a_short * eb), short_se = sqrt(as.numeric(t(a_short) %*% EV %*% a_short)),
    medium = sum(a_med * eb), medium_se = sqrt(as.numeric(t(a_med) %*% EV %*% a_med))
  )
)

# Interrupted time series on the treated members' mean y by period (12 points, launch at
# period 7): lm(y ~ t + post + t_post) with t = 0..11, t_post = (t - 6) * post;
# sandwich::NeweyWest(fit, lag = 2, prewhite = FALSE, adjust = TRUE) (Bartlett weights,
# n / (n - k) correction, as statsmodels cov_type = "HAC", use_correction = True).
its_y <- tapply(d$y[d$treated == 1], d$period[d$treated == 1], mean)
its <- data.frame(y = as.numeric(its_y), t = 0:11)
its$post <- as.integer(its$t >= 6)
its$t_post <- (its$t - 6) * its$post
ifit <- lm(y ~ t + post + t_post, data = its)
IV <- NeweyWest(ifit, lag = 2, prewhite = FALSE, adjust = TRUE)
out$its <- list(
  y = its$y, estimate = unname(coef(ifit)), se = unname(sqrt(diag(IV))), maxlags = 2
)

# Poisson fixed effects (PPML) on a count outcome of the same panel (drawn after
# everything above, so the earlier values do not change):
#   glm(count ~ treat_post + factor(member) + factor(period), family = poisson)
#   with vcovCL(cluster = ~member, type = "HC1"); p with t, G - 1 df.
d$count <- rpois(nrow(d), exp(0.3 * (alpha[d$member] - 2) + 0.5 * gamma[d$period] +
  0.25 * d$treat_post))
pfit <- glm(count ~ treat_post + factor(member) + factor(period), family = poisson,
  data = d, control = glm.control(epsilon = 1e-14, maxit = 100))
PV <- vcovCL(pfit, cluster = ~member, type = "HC1")
pb <- unname(coef(pfit)["treat_post"])
pse <- sqrt(PV["treat_post", "treat_post"])
out$data$count <- d$count
out$poisson <- list(estimate = pb, se = pse, p = 2 * pt(-abs(pb / pse), df = G - 1))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
  "tests/reference/r_evaluation.json")
