# Reference values for tests/test_mediation.py, from base R lm (R 4.2.2).
#
# Run from the repository root:
#     Rscript tests/reference/r_mediation.R
# writes tests/reference/r_mediation.json. The tests read the JSON and never need R.
#
# Data: data/corp_rep.csv (Hair et al. corporate-reputation survey of mobile-phone
# customers), -99 replaced by NA. Constructs are item means:
#   competence   = mean(comp_1..3)      likeability = mean(like_1..3)
#   satisfaction = cusa                 loyalty     = mean(cusl_1..3)
# Each analysis uses the complete cases over its own variables (listwise deletion).
#
# mediation_single:   X = competence, M = satisfaction, Y = loyalty (PROCESS model 4)
# mediation_parallel: X = competence, M = satisfaction and likeability (parallel)
#   a_i = coef(lm(M_i ~ X)), b_i and c' from lm(Y ~ X + M_1 + ... ), c from lm(Y ~ X);
#   indirect_i = a_i * b_i; Sobel se = sqrt(b^2 se_a^2 + a^2 se_b^2);
#   completely standardized indirect = a * b * sd(X) / sd(Y).
# mediation_covariate: the single mediation with likeability as a covariate in every model.
# moderation: loyalty ~ satisfaction * likeability with both mean-centred (PROCESS model 1);
#   simple slopes of satisfaction at likeability = mean - sd, mean, mean + sd by re-centring
#   likeability at that value and refitting lm (the coefficient of satisfaction, its se,
#   t, p and confint); Johnson-Neyman bounds from vcov(): the roots w (in likeability
#   units) of (b1 + b3 w)^2 = t_crit^2 (V11 + 2 w V13 + w^2 V33), t_crit = qt(.975, df).
# segments: loyalty ~ satisfaction + competence + likeability per serviceprovider level,
#   and anova(lm(loyalty ~ drivers + provider), lm(loyalty ~ drivers * provider)), plus one
#   anova per driver dropping that driver's interaction with provider.

suppressPackageStartupMessages(library(jsonlite))

raw <- read.csv("data/corp_rep.csv")
raw[raw == -99] <- NA
d <- data.frame(
  competence = rowMeans(raw[, c("comp_1", "comp_2", "comp_3")]),
  likeability = rowMeans(raw[, c("like_1", "like_2", "like_3")]),
  satisfaction = raw$cusa,
  loyalty = rowMeans(raw[, c("cusl_1", "cusl_2", "cusl_3")]),
  provider = factor(raw$serviceprovider)
)

coef_row <- function(fit, term) {
  s <- summary(fit)$coefficients
  ci <- confint(fit)
  list(
    estimate = unname(s[term, 1]), se = unname(s[term, 2]),
    t = unname(s[term, 3]), p = unname(s[term, 4]),
    ci_low = unname(ci[term, 1]), ci_high = unname(ci[term, 2])
  )
}

mediation_ref <- function(x, ms, y, covs = character()) {
  dd <- na.omit(d[, c(x, ms, y, covs)])
  rhs <- function(terms) paste(c(terms, covs), collapse = " + ")
  out_fit <- lm(as.formula(paste(y, "~", rhs(c(x, ms)))), data = dd)
  tot_fit <- lm(as.formula(paste(y, "~", rhs(x))), data = dd)
  per <- list()
  total_indirect <- 0
  for (m in ms) {
    a_fit <- lm(as.formula(paste(m, "~", rhs(x))), data = dd)
    a <- coef_row(a_fit, x)
    b <- coef_row(out_fit, m)
    ind <- a$estimate * b$estimate
    sob <- sqrt(b$estimate^2 * a$se^2 + a$estimate^2 * b$se^2)
    per[[m]] <- list(
      a = a, b = b, indirect = ind, sobel_se = sob, sobel_z = ind / sob,
      sobel_p = 2 * pnorm(-abs(ind / sob)),
      std_indirect = ind * sd(dd[[x]]) / sd(dd[[y]])
    )
    total_indirect <- total_indirect + ind
  }
  list(
    x = x, y = y, mediators = ms, covariates = covs, n = nrow(dd),
    c_prime = coef_row(out_fit, x), c_total = coef_row(tot_fit, x),
    paths = per, total_indirect = total_indirect
  )
}

moderation_ref <- function() {
  dd <- na.omit(d[, c("loyalty", "satisfaction", "likeability")])
  mx <- mean(dd$satisfaction)
  mw <- mean(dd$likeability)
  sw <- sd(dd$likeability)
  dd$xc <- dd$satisfaction - mx
  dd$wc <- dd$likeability - mw
  fit <- lm(loyalty ~ xc * wc, data = dd)
  slopes <- list()
  for (lab in c("-1 SD", "mean", "+1 SD")) {
    w0 <- mw + c("-1 SD" = -1, "mean" = 0, "+1 SD" = 1)[[lab]] * sw
    dd$wr <- dd$likeability - w0
    f2 <- lm(loyalty ~ xc * wr, data = dd)
    slopes[[lab]] <- c(list(w = w0), coef_row(f2, "xc"))
  }
  b <- coef(fit)
  v <- vcov(fit)
  tc <- qt(0.975, df.residual(fit))
  qa <- b["xc:wc"]^2 - tc^2 * v["xc:wc", "xc:wc"]
  qb <- 2 * (b["xc"] * b["xc:wc"] - tc^2 * v["xc", "xc:wc"])
  qc <- b["xc"]^2 - tc^2 * v["xc", "xc"]
  disc <- qb^2 - 4 * qa * qc
  roots <- if (disc >= 0) sort(c((-qb - sqrt(disc)) / (2 * qa), (-qb + sqrt(disc)) / (2 * qa))) + mw else numeric()
  list(
    n = nrow(dd), x_mean = mx, w_mean = mw, w_sd = sw,
    coefficients = lapply(setNames(names(b), c("intercept", "x", "w", "x_w")), function(t) coef_row(fit, t)),
    r2 = summary(fit)$r.squared,
    simple_slopes = slopes, t_crit = tc,
    jn_roots = unname(roots), w_min = min(dd$likeability), w_max = max(dd$likeability)
  )
}

segments_ref <- function() {
  dd <- na.omit(d[, c("loyalty", "satisfaction", "competence", "likeability", "provider")])
  drivers <- c("satisfaction", "competence", "likeability")
  per <- list()
  for (lev in levels(dd$provider)) {
    fit <- lm(loyalty ~ satisfaction + competence + likeability, data = dd[dd$provider == lev, ])
    per[[lev]] <- list(
      n = nobs(fit), r2 = summary(fit)$r.squared, adj_r2 = summary(fit)$adj.r.squared,
      coefficients = lapply(setNames(c("(Intercept)", drivers), c("intercept", drivers)), function(t) coef_row(fit, t))
    )
  }
  restricted <- lm(loyalty ~ satisfaction + competence + likeability + provider, data = dd)
  full <- lm(loyalty ~ (satisfaction + competence + likeability) * provider, data = dd)
  a <- anova(restricted, full)
  drv <- list()
  for (v in drivers) {
    reduced <- update(full, as.formula(paste(". ~ . -", paste0(v, ":provider"))))
    ad <- anova(reduced, full)
    drv[[v]] <- list(F = ad$F[2], df1 = ad$Df[2], df2 = ad$Res.Df[2], p = ad$`Pr(>F)`[2])
  }
  list(
    n = nrow(dd), segments = per,
    slope_test = list(F = a$F[2], df1 = a$Df[2], df2 = a$Res.Df[2], p = a$`Pr(>F)`[2]),
    driver_tests = drv
  )
}

ref <- list(
  r_version = R.version.string,
  mediation_single = mediation_ref("competence", "satisfaction", "loyalty"),
  mediation_parallel = mediation_ref("competence", c("satisfaction", "likeability"), "loyalty"),
  mediation_covariate = mediation_ref("competence", "satisfaction", "loyalty", "likeability"),
  moderation = moderation_ref(),
  segments = segments_ref()
)
writeLines(toJSON(ref, auto_unbox = TRUE, digits = NA, pretty = TRUE), "tests/reference/r_mediation.json")
