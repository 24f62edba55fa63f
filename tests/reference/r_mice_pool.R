# Reference values for the Rubin's-rules tests in tests/test_imputation.py, from R mice.
#
# Run from the repository root:
#     Rscript tests/reference/r_mice_pool.R
# writes
#   tests/reference/r_mice_pool_imputations.csv  the m = 5 completed data sets, long format
#                                                (.imp = 1..5, .id = row of nhanes)
#   tests/reference/r_mice_pool.json             pool() and summary(pool()) of lm(chl ~ age + bmi)
# The tests read these files and never need R.
#
# Data: mice::nhanes (25 rows; age, bmi, hyp, chl with missing values), imputed by
#   imp <- mice(nhanes, m = 5, method = "pmm", seed = 20231, printFlag = FALSE)
# Analysis in each completed data set: lm(chl ~ age + bmi), so the complete-data df is
# dfcom = n - k = 25 - 3 = 22 (mice takes it from df.residual()).
# Pooling: pool(fit) (rule "rubin1987", Barnard-Rubin df) and
#   summary(pool(fit), conf.int = TRUE)

suppressPackageStartupMessages({
  library(mice)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference")

imp <- mice(nhanes, m = 5, method = "pmm", seed = 20231, printFlag = FALSE)
long <- complete(imp, action = "long")
write.csv(long[, c(".imp", ".id", "age", "bmi", "hyp", "chl")],
  file.path(out_dir, "r_mice_pool_imputations.csv"),
  row.names = FALSE
)

fit <- with(imp, lm(chl ~ age + bmi))
pooled <- pool(fit)
s <- summary(pooled, conf.int = TRUE)

p <- pooled$pooled
col <- function(df, name) as.list(setNames(df[[name]], as.character(df$term)))

ref <- list(
  r_version = R.version.string,
  mice_version = as.character(packageVersion("mice")),
  calls = list(
    impute = 'mice(nhanes, m = 5, method = "pmm", seed = 20231, printFlag = FALSE)',
    analyse = "with(imp, lm(chl ~ age + bmi))",
    pool = "pool(fit)",
    summary = "summary(pool(fit), conf.int = TRUE)"
  ),
  m = pooled$m,
  n = nrow(nhanes),
  k = 3L,
  terms = as.character(p$term),
  pooled = list(
    estimate = col(p, "estimate"),
    ubar = col(p, "ubar"),
    b = col(p, "b"),
    t = col(p, "t"),
    dfcom = col(p, "dfcom"),
    df = col(p, "df"),
    riv = col(p, "riv"),
    lambda = col(p, "lambda"),
    fmi = col(p, "fmi")
  ),
  summary = list(
    estimate = col(s, "estimate"),
    std_error = col(s, "std.error"),
    statistic = col(s, "statistic"),
    df = col(s, "df"),
    p_value = col(s, "p.value"),
    ci_low = col(s, "2.5 %"),
    ci_high = col(s, "97.5 %")
  )
)

write_json(ref, file.path(out_dir, "r_mice_pool.json"),
  auto_unbox = TRUE, digits = NA, pretty = TRUE
)
