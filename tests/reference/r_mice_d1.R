# Reference values for the D1 test and the pooled R² of workbench.drivers.pooling
# (tests/test_pooling.py), from R mice 3.x and mitml.
#
# Run from the repository root:
#     Rscript tests/reference/r_mice_d1.R
# It reads the m = 5 completed nhanes data sets written by r_mice_pool.R
# (tests/reference/r_mice_pool_imputations.csv) and writes tests/reference/r_mice_d1.json.
#
# D1 (Li, Raghunathan & Rubin 1991) of lm(chl ~ age + bmi + hyp) against lm(chl ~ age):
#   mitml::testModels(fit1, fit0, method = "D1")            (no complete-data df)
#   mitml::testModels(fit1, fit0, method = "D1", df.com = 21)  (Reiter's small-sample df)
# The overall F test of lm(chl ~ age + bmi) pooled over imputations, D1 against lm(chl ~ 1):
#   mitml::testModels(fit_ab, fit_null, method = "D1")
# Pooled R² of lm(chl ~ age + bmi + hyp): mice::pool.r.squared (Harel 2009, Fisher z),
# plain and adjusted.

suppressPackageStartupMessages({
  library(mice)
  library(mitml)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference")
long <- read.csv(file.path(out_dir, "r_mice_pool_imputations.csv"), check.names = FALSE)
sets <- split(long, long$.imp)
fit1 <- lapply(sets, function(d) lm(chl ~ age + bmi + hyp, data = d))
fit0 <- lapply(sets, function(d) lm(chl ~ age, data = d))
t1 <- testModels(as.mitml.result(fit1), as.mitml.result(fit0), method = "D1")$test
t2 <- testModels(as.mitml.result(fit1), as.mitml.result(fit0), method = "D1", df.com = 21)$test
fit_ab <- lapply(sets, function(d) lm(chl ~ age + bmi, data = d))
fit_null <- lapply(sets, function(d) lm(chl ~ 1, data = d))
t3 <- testModels(as.mitml.result(fit_ab), as.mitml.result(fit_null), method = "D1")$test

mira <- as.mira(fit1)
r2 <- pool.r.squared(mira)
r2adj <- pool.r.squared(mira, adjusted = TRUE)

ref <- list(
  r_version = R.version.string,
  mice_version = as.character(packageVersion("mice")),
  mitml_version = as.character(packageVersion("mitml")),
  block = c("bmi", "hyp"),
  estimates = lapply(fit1, function(f) unname(coef(f)[c("bmi", "hyp")])),
  covariances = lapply(fit1, function(f) unname(vcov(f)[c("bmi", "hyp"), c("bmi", "hyp")])),
  r2_each = unname(sapply(fit1, function(f) summary(f)$r.squared)),
  d1 = list(F = unname(t1[1, "F.value"]), df1 = unname(t1[1, "df1"]), df2 = unname(t1[1, "df2"]),
            p = unname(t1[1, "P(>F)"]), riv = unname(t1[1, "RIV"])),
  d1_dfcom = list(F = unname(t2[1, "F.value"]), df1 = unname(t2[1, "df1"]),
                  df2 = unname(t2[1, "df2"]), p = unname(t2[1, "P(>F)"])),
  overall_f = list(F = unname(t3[1, "F.value"]), df1 = unname(t3[1, "df1"]),
                   df2 = unname(t3[1, "df2"]), p = unname(t3[1, "P(>F)"])),
  r2 = unname(r2[1, "est"]),
  r2_adjusted = unname(r2adj[1, "est"])
)
write_json(ref, file.path(out_dir, "r_mice_d1.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
