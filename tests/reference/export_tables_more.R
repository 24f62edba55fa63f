# Reference values for tests/test_export_tables_more.py (the APA export's regression note),
# from R 4.2.
#
# Run from the repository root:
#     Rscript tests/reference/export_tables_more.R
# writes tests/reference/export_tables_more.json. The tests read the JSON and never need R.
#
# Data: data/corp_rep.csv (Hair et al.'s corporate reputation survey), -99 -> NA; construct
# scores are rowMeans() of the items without na.rm, as in tests/reference/r_drivers.R:
# loyalty = cusl_1..3, competence = comp_1..3, likeability = like_1..3, satisfaction = cusa.
# Model: lm(loyalty ~ satisfaction + competence + likeability) on the complete cases; the
# overall F test is summary(m)$fstatistic with p = pf(F, df1, df2, lower.tail = FALSE).

suppressPackageStartupMessages(library(jsonlite))

corp <- read.csv("data/corp_rep.csv")
corp[corp == -99] <- NA
corp$loyalty <- rowMeans(corp[, c("cusl_1", "cusl_2", "cusl_3")])
corp$competence <- rowMeans(corp[, c("comp_1", "comp_2", "comp_3")])
corp$likeability <- rowMeans(corp[, c("like_1", "like_2", "like_3")])
corp$satisfaction <- corp$cusa

vars <- c("loyalty", "satisfaction", "competence", "likeability")
d <- corp[complete.cases(corp[, vars]), vars]
m <- lm(loyalty ~ satisfaction + competence + likeability, data = d)
s <- summary(m)
ci <- confint(m)
f <- s$fstatistic
X <- model.matrix(m)
std_beta <- c(NA, coef(m)[-1] * apply(X[, -1, drop = FALSE], 2, sd) / sd(d$loyalty))

coefficients <- lapply(seq_along(coef(m)), function(j) {
  list(
    estimate = unname(coef(m)[j]),
    se = unname(s$coefficients[j, "Std. Error"]),
    p = unname(s$coefficients[j, "Pr(>|t|)"]),
    ci_low = unname(ci[j, 1]),
    ci_high = unname(ci[j, 2]),
    std_beta = unname(std_beta[j])
  )
})
names(coefficients) <- sub("(Intercept)", "Intercept", names(coef(m)), fixed = TRUE)

out <- list(
  r_version = R.version.string,
  ols = list(
    formula = "loyalty ~ satisfaction + competence + likeability",
    n = nrow(d),
    r2 = s$r.squared,
    adj_r2 = s$adj.r.squared,
    coefficients = coefficients,
    f_test = list(
      F = unname(f["value"]),
      df1 = unname(f["numdf"]),
      df2 = unname(f["dendf"]),
      p = unname(pf(f["value"], f["numdf"], f["dendf"], lower.tail = FALSE))
    )
  )
)
write_json(out, "tests/reference/export_tables_more.json", auto_unbox = TRUE, digits = NA,
           pretty = TRUE, na = "null")
