# Reference for tests/test_sem.py: an observed variable regressed on a factor (lavaan 0.6).
# Run from the repository root:  Rscript tests/reference/lavaan_observed_outcome.R
# Writes tests/reference/lavaan_observed_outcome.json.
# Data: Holzinger & Swineford (1939), data/holzinger_swineford_1939.csv (301 pupils).
# Model: visual =~ x1 + x2 + x3; x7 ~ visual, fitted by sem(model, data) (ML); recorded:
# parameterEstimates() (lhs, op, rhs, est, se).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
hs <- read.csv("data/holzinger_swineford_1939.csv")
model <- "visual =~ x1 + x2 + x3\nx7 ~ visual"
fit <- sem(model, data = hs)
pe <- parameterEstimates(fit)
out <- list(lavaan = as.character(packageVersion("lavaan")), model = model,
            estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est,
                                   se = pe$se))
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/lavaan_observed_outcome.json")
