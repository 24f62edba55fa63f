# Reference values for tests/test_regression_f_test.py (the overall F test of the driver
# model, DriverModel.f_test), from R 4.2.
#
# Run from the repository root:
#     Rscript tests/reference/r_regression_f_test.R
# writes tests/reference/r_regression_f_test.json. The tests read the JSON and never need R.
#
# Data: data/corp_rep.csv (Hair et al.'s corporate reputation survey), -99 -> NA; construct
# scores are rowMeans() of the items without na.rm, as in tests/reference/r_drivers.R;
# serviceprovider as a factor (reference level "1"). Complete cases of each model.
#
# For each model: the classical overall F test, summary(m)$fstatistic with
# p = pf(F, df1, df2, lower.tail = FALSE), and the Wald F test of all slopes with the HC3
# covariance, lmtest::waldtest(m, vcov = sandwich::vcovHC(m, type = "HC3"), test = "F")
# (the restricted model is the intercept-only model on the same rows).

suppressPackageStartupMessages({
  library(sandwich)
  library(lmtest)
  library(jsonlite)
})

corp <- read.csv("data/corp_rep.csv")
corp[corp == -99] <- NA
corp$loyalty <- rowMeans(corp[, c("cusl_1", "cusl_2", "cusl_3")])
corp$competence <- rowMeans(corp[, c("comp_1", "comp_2", "comp_3")])
corp$likeability <- rowMeans(corp[, c("like_1", "like_2", "like_3")])
corp$satisfaction <- corp$cusa
corp$quality <- rowMeans(corp[, paste0("qual_", 1:8)])
corp$serviceprovider <- factor(corp$serviceprovider)

f_tests <- function(formula) {
  vars <- all.vars(formula)
  d <- corp[complete.cases(corp[, vars]), vars]
  m <- lm(formula, data = d)
  f <- summary(m)$fstatistic
  w <- waldtest(m, vcov = vcovHC(m, type = "HC3"), test = "F")
  list(
    formula = paste(deparse(formula, width.cutoff = 500L), collapse = ""),
    n = nrow(d),
    r2 = summary(m)$r.squared,
    classical = list(
      F = unname(f["value"]),
      df1 = unname(f["numdf"]),
      df2 = unname(f["dendf"]),
      p = unname(pf(f["value"], f["numdf"], f["dendf"], lower.tail = FALSE))
    ),
    hc3 = list(
      F = w$F[2],
      df1 = abs(w$Df[2]),
      df2 = w$Res.Df[1],
      p = w[2, "Pr(>F)"]
    )
  )
}

# The hierarchical test of the drivers over the controls (the with_control model against
# loyalty ~ serviceprovider on the same rows): classical anova() F, and with HC3 the Wald F
# lmtest::waldtest(full, reduced, vcov = sandwich::vcovHC(full, type = "HC3"), test = "F").
hier_vars <- c("loyalty", "serviceprovider", "satisfaction", "competence", "likeability",
               "quality")
hd <- corp[complete.cases(corp[, hier_vars]), hier_vars]
full <- lm(loyalty ~ serviceprovider + satisfaction + competence + likeability + quality,
           data = hd)
reduced <- lm(loyalty ~ serviceprovider, data = hd)
a <- anova(reduced, full)
hw <- waldtest(full, reduced, vcov = vcovHC(full, type = "HC3"), test = "F")
hierarchical <- list(
  classical = list(F = a$F[2], df1 = a$Df[2], df2 = a$Res.Df[2], p = a[2, "Pr(>F)"]),
  hc3 = list(F = hw$F[2], df1 = abs(hw$Df[2]), df2 = hw$Res.Df[1], p = hw[2, "Pr(>F)"])
)

out <- list(
  r_version = R.version.string,
  hierarchical = hierarchical,
  drivers = f_tests(loyalty ~ satisfaction + competence + likeability),
  with_control = f_tests(
    loyalty ~ serviceprovider + satisfaction + competence + likeability + quality
  )
)
write_json(out, "tests/reference/r_regression_f_test.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE, na = "null")
