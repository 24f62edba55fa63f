# Reference values for tests/test_experience.py: lavaan (competing measurement models of the
# four experience-economy realms, the default structural model) and lm() (response surface).
# Run from the repository root:  Rscript tests/reference/r_experience.R
# Writes tests/reference/r_experience.json (the tests read only the JSON; they never need R).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

d <- read.csv("data/loyalty_survey.csv")
d[d == 99] <- NA  # the codebook's missing code (trust, and so TR3, is not used here)

fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "srmr", "aic", "bic", "npar",
                  "ntotal")
measures <- function(fit) {
  fm <- fitMeasures(fit, fit_measures)
  as.list(setNames(as.numeric(fm), names(fm)))
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            R = R.version.string))

# 1. Competing measurement models of the realms (realms only, the same 16 items in each)
realms <- "education =~ ED1 + ED2 + ED3 + ED4
entertainment =~ EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4"
models <- list(
  four_correlated = realms,
  edutainment = "edutainment =~ ED1 + ED2 + ED3 + ED4 + EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4",
  second_order = paste(realms, "experience =~ education + entertainment + esthetics + escapism",
                       sep = "\n")
)
fits <- lapply(models, function(m) cfa(m, data = d))
out$competing <- lapply(names(models), function(k) list(model = models[[k]],
                                                       fit = measures(fits[[k]])))
names(out$competing) <- names(models)
lrt <- function(restricted, full) {
  a <- anova(fits[[full]], fits[[restricted]])  # lavTestLRT, method "standard" for ML
  list(restricted = restricted, full = full, delta_chi2 = a[["Chisq diff"]][2],
       delta_df = a[["Df diff"]][2], p = a[["Pr(>Chisq)"]][2])
}
out$lrt <- list(lrt("edutainment", "four_correlated"), lrt("second_order", "four_correlated"))

# 2. Default structural model: realms -> memory -> satisfaction -> loyalty
sem_model <- paste(realms, "memory =~ ME1 + ME2 + ME3
satisfaction =~ SA1 + SA2 + SA3
loyalty =~ RI1 + RI2 + RI3
memory ~ education + entertainment + esthetics + escapism
satisfaction ~ memory
loyalty ~ satisfaction", sep = "\n")
sfit <- sem(sem_model, data = d)
pe <- parameterEstimates(sfit)
ss <- standardizedSolution(sfit)
reg <- pe$op == "~"
out$structural <- list(
  model = sem_model,
  fit = measures(sfit),
  paths = data.frame(lhs = pe$lhs[reg], rhs = pe$rhs[reg], est = pe$est[reg], se = pe$se[reg],
                     std_all = ss$est.std[reg], std_se = ss$se[reg]),
  r2 = as.list(lavInspect(sfit, "r2")[c("memory", "satisfaction", "loyalty")])
)

# 3. Response surface: loyalty on online and offline experience (scale means of complete
#    answers), centred at the scale midpoint 4
X <- rowMeans(d[, c("ON1", "ON2", "ON3")]) - 4
Y <- rowMeans(d[, c("OF1", "OF2", "OF3")]) - 4
Z <- rowMeans(d[, c("RI1", "RI2", "RI3")])
rs <- lm(Z ~ X + Y + I(X^2) + I(X * Y) + I(Y^2))
b <- coef(rs)
V <- vcov(rs)
surface <- function(w) {
  est <- sum(w * b)
  se <- sqrt(as.numeric(t(w) %*% V %*% w))
  t <- est / se
  list(estimate = est, se = se, t = t, p = 2 * pt(-abs(t), df.residual(rs)))
}
out$response_surface <- list(
  center = 4,
  n = nobs(rs),
  coefficients = as.list(setNames(unname(b), c("b0", "b1", "b2", "b3", "b4", "b5"))),
  se = as.list(setNames(unname(sqrt(diag(V))), c("b0", "b1", "b2", "b3", "b4", "b5"))),
  r2 = summary(rs)$r.squared,
  adj_r2 = summary(rs)$adj.r.squared,
  a1 = surface(c(0, 1, 1, 0, 0, 0)),
  a2 = surface(c(0, 0, 0, 1, 1, 1)),
  a3 = surface(c(0, 1, -1, 0, 0, 0)),
  a4 = surface(c(0, 0, 0, 1, -1, 1))
)
ok <- complete.cases(X, Y, Z)
D <- abs(X - Y)
ad <- lm(Z ~ X + Y + D)
ct <- cor.test(D[ok], Z[ok])
out$abs_diff <- list(
  r = unname(ct$estimate), r_p = ct$p.value,
  coef = unname(coef(ad)["D"]), se = unname(sqrt(diag(vcov(ad)))["D"]),
  p = summary(ad)$coefficients["D", 4]
)

write_json(out, "tests/reference/r_experience.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE)
