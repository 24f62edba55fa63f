# Reference values for tests/test_drivers.py (workbench.drivers), from R 4.2.2.
#
# Run from the repository root:
#     Rscript tests/reference/r_drivers.R
# writes tests/reference/r_drivers.json. The tests read the JSON and never need R.
#
# Packages: stats (lm, glm, anova, shapiro.test), MASS (polr), sandwich (vcovHC),
# lmtest (bptest, resettest, coeftest), car (vif), jsonlite. relaimpo is not installed, so LMG is computed
# here by explicit all-subsets averaging with R2 from refitted lm() models (the
# definition; the workbench uses the correlation matrix instead), and Johnson's (2000)
# relative weights from the eigendecomposition of the predictor correlation matrix.
#
# Data
#   corp_rep: data/corp_rep.csv, -99 -> NA; construct scores are rowMeans() of the
#     items without na.rm (a respondent missing an item has no score):
#     loyalty = cusl_1..3, competence = comp_1..3, likeability = like_1..3,
#     satisfaction = cusa, quality = qual_1..8, performance = perf_1..5,
#     csr = csor_1..5, attractiveness = attr_1..3; serviceprovider as factor (ref "1");
#     loyal = as.integer(loyalty >= 6).
#   customer_sat: data/customer_sat.csv; price = q2..q4, effectiveness = q5..q8,
#     distribution = q9..q10; q1 (1..10) as an ordered factor.

suppressPackageStartupMessages({
  library(MASS)
  library(sandwich)
  library(lmtest)
  library(car)
  library(jsonlite)
})

corp <- read.csv("data/corp_rep.csv")
corp[corp == -99] <- NA
corp$loyalty <- rowMeans(corp[, c("cusl_1", "cusl_2", "cusl_3")])
corp$competence <- rowMeans(corp[, c("comp_1", "comp_2", "comp_3")])
corp$likeability <- rowMeans(corp[, c("like_1", "like_2", "like_3")])
corp$satisfaction <- corp$cusa
corp$quality <- rowMeans(corp[, paste0("qual_", 1:8)])
corp$performance <- rowMeans(corp[, paste0("perf_", 1:5)])
corp$csr <- rowMeans(corp[, paste0("csor_", 1:5)])
corp$attractiveness <- rowMeans(corp[, paste0("attr_", 1:3)])
corp$serviceprovider <- factor(corp$serviceprovider)
corp$loyal <- as.integer(corp$loyalty >= 6)

cs <- read.csv("data/customer_sat.csv")
cs$price <- rowMeans(cs[, c("q2", "q3", "q4")])
cs$effectiveness <- rowMeans(cs[, c("q5", "q6", "q7", "q8")])
cs$distribution <- rowMeans(cs[, c("q9", "q10")])
cs$q1f <- factor(cs$q1, ordered = TRUE)

named <- function(x) as.list(x)

# ---------------------------------------------------------------- relative importance
subset_r2 <- function(d, y, xs) {
  if (length(xs) == 0) return(0)
  summary(lm(reformulate(xs, y), data = d))$r.squared
}

lmg <- function(d, y, xs) {
  # LMG_j = sum over subsets S of the other drivers of
  #         |S|! (p - |S| - 1)! / p! * (R2(S + j) - R2(S))
  p <- length(xs)
  out <- setNames(numeric(p), xs)
  for (j in seq_len(p)) {
    others <- xs[-j]
    for (s in 0:(p - 1)) {
      subsets <- if (s == 0) list(character(0)) else combn(others, s, simplify = FALSE)
      w <- factorial(s) * factorial(p - s - 1) / factorial(p)
      for (S in subsets) {
        out[j] <- out[j] + w * (subset_r2(d, y, c(S, xs[j])) - subset_r2(d, y, S))
      }
    }
  }
  out
}

relative_weights <- function(d, y, xs) {
  R <- cor(d[, xs])
  rxy <- cor(d[, xs], d[, y])
  e <- eigen(R, symmetric = TRUE)
  lambda_half <- e$vectors %*% diag(sqrt(e$values)) %*% t(e$vectors)
  beta <- solve(lambda_half, rxy)
  setNames(as.numeric((lambda_half^2) %*% (beta^2)), xs)
}

ri_refs <- function(d, y, xs) {
  d <- d[complete.cases(d[, c(y, xs)]), c(y, xs)]
  list(
    n = nrow(d),
    r2 = summary(lm(reformulate(xs, y), data = d))$r.squared,
    lmg = named(lmg(d, y, xs)),
    relative_weight = named(relative_weights(d, y, xs))
  )
}

# ---------------------------------------------------------------- OLS
ols_refs <- function(d, f_full, f_controls, drivers) {
  vars <- all.vars(f_full)
  d <- d[complete.cases(d[, vars]), vars]
  m <- lm(f_full, data = d)
  m0 <- lm(f_controls, data = d)
  s <- summary(m)
  hc3 <- sqrt(diag(vcovHC(m, type = "HC3")))
  ct_hc3 <- coeftest(m, vcov = vcovHC(m, type = "HC3"))
  ci <- confint(m)
  v <- car::vif(m)
  vif_drivers <- if (is.matrix(v)) v[drivers, "GVIF"] else v[drivers]
  bp <- bptest(m)
  a <- anova(m0, m)
  cook <- cooks.distance(m)
  y <- model.response(model.frame(m))
  X <- model.matrix(m)
  std_beta <- coef(m)[-1] * apply(X[, -1, drop = FALSE], 2, sd) / sd(y)
  list(
    n = nrow(d),
    coef = named(coef(m)),
    se = named(s$coefficients[, "Std. Error"]),
    t = named(s$coefficients[, "t value"]),
    p = named(s$coefficients[, "Pr(>|t|)"]),
    ci_low = named(ci[, 1]),
    ci_high = named(ci[, 2]),
    std_beta = named(std_beta),
    se_hc3 = named(hc3),
    p_hc3 = named(ct_hc3[, "Pr(>|t|)"]),
    r2 = s$r.squared,
    adj_r2 = s$adj.r.squared,
    aic = AIC(m),
    bic = BIC(m),
    vif = named(vif_drivers),
    bp_stat = unname(bp$statistic),
    bp_df = unname(bp$parameter),
    bp_p = bp$p.value,
    shapiro_p = shapiro.test(residuals(m))$p.value,
    reset_p = unname(resettest(m)$p.value),
    cooks_over_4_n = sum(cook > 4 / nrow(d)),
    cooks_max = max(cook),
    r2_controls = summary(m0)$r.squared,
    delta_r2 = s$r.squared - summary(m0)$r.squared,
    delta_f = a$F[2],
    delta_df1 = a$Df[2],
    delta_df2 = a$Res.Df[2],
    delta_p = a$`Pr(>F)`[2]
  )
}

# ---------------------------------------------------------------- logit
logit_refs <- function(d, f_full, f_controls) {
  vars <- all.vars(f_full)
  d <- d[complete.cases(d[, vars]), vars]
  m <- glm(f_full, data = d, family = binomial)
  m0 <- glm(f_controls, data = d, family = binomial)
  mnull <- glm(update(f_full, . ~ 1), data = d, family = binomial)
  s <- summary(m)$coefficients
  ci <- confint.default(m)
  lr <- anova(m0, m, test = "LRT")
  list(
    n = nrow(d),
    coef = named(coef(m)),
    se = named(s[, "Std. Error"]),
    z = named(s[, "z value"]),
    p = named(s[, "Pr(>|z|)"]),
    ci_low = named(ci[, 1]),
    ci_high = named(ci[, 2]),
    loglik = as.numeric(logLik(m)),
    aic = AIC(m),
    bic = BIC(m),
    pseudo_r2 = 1 - as.numeric(logLik(m)) / as.numeric(logLik(mnull)),
    pseudo_r2_controls = 1 - as.numeric(logLik(m0)) / as.numeric(logLik(mnull)),
    lr_stat = lr$Deviance[2],
    lr_df = lr$Df[2],
    lr_p = lr$`Pr(>Chi)`[2]
  )
}

# ---------------------------------------------------------------- ordinal (polr)
# polr's default optim tolerance stops about 1e-8 short of the maximum loglik, which
# moves coefficients by up to ~1e-3 relative; a tighter reltol gives the MLE itself
# (the workbench converges to the same point; see test_drivers.py).
tight <- list(reltol = 1e-14, maxit = 10000)
polr_refs <- function(d, f_full, f_controls = NULL) {
  vars <- all.vars(f_full)
  d <- d[complete.cases(d[, vars]), vars]
  m <- polr(f_full, data = d, Hess = TRUE, method = "logistic", control = tight)
  se <- sqrt(diag(vcov(m)))
  ynull <- model.response(model.frame(m))
  counts <- table(ynull)
  counts <- counts[counts > 0]
  ll_null <- sum(counts * log(counts / sum(counts)))
  out <- list(
    n = nrow(d),
    coef = named(coef(m)),
    zeta = named(m$zeta),
    se_coef = named(se[names(coef(m))]),
    se_zeta = named(se[names(m$zeta)]),
    loglik = as.numeric(logLik(m)),
    loglik_null = ll_null,
    pseudo_r2 = 1 - as.numeric(logLik(m)) / ll_null,
    aic = AIC(m),
    bic = BIC(m)
  )
  if (!is.null(f_controls)) {
    m0 <- polr(f_controls, data = d, Hess = TRUE, method = "logistic", control = tight)
    lr <- anova(m0, m)
    out$lr_stat <- lr$`LR stat.`[2]
    out$lr_df <- lr$`   Df`[2]
    out$lr_p <- lr$`Pr(Chi)`[2]
  }
  out
}

corp$cusa_f <- factor(corp$cusa, ordered = TRUE)
refs <- list(
  r_version = R.version.string,
  packages = list(
    MASS = as.character(packageVersion("MASS")),
    sandwich = as.character(packageVersion("sandwich")),
    lmtest = as.character(packageVersion("lmtest")),
    car = as.character(packageVersion("car"))
  ),
  corp_ols = ols_refs(
    corp,
    loyalty ~ serviceprovider + satisfaction + competence + likeability,
    loyalty ~ serviceprovider,
    c("satisfaction", "competence", "likeability")
  ),
  corp_logit = logit_refs(
    corp,
    loyal ~ serviceprovider + satisfaction + competence + likeability,
    loyal ~ serviceprovider
  ),
  corp_polr = polr_refs(
    corp,
    cusa_f ~ serviceprovider + competence + likeability,
    cusa_f ~ serviceprovider
  ),
  cs_polr = polr_refs(cs, q1f ~ price + effectiveness + distribution),
  corp_ri = ri_refs(corp, "loyalty", c("satisfaction", "competence", "likeability")),
  corp_ri7 = ri_refs(
    corp, "loyalty",
    c("satisfaction", "competence", "likeability", "quality", "performance", "csr",
      "attractiveness")
  ),
  cs_ri = ri_refs(cs, "q1", c("price", "effectiveness", "distribution"))
)

writeLines(
  toJSON(refs, auto_unbox = TRUE, digits = NA, pretty = TRUE),
  "tests/reference/r_drivers.json"
)
