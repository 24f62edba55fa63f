# Reference values for tests/test_studies_factor_analysis.py: reliability and validity of an
# ordinal CFA (WLSMV) as the factor-analysis study reports them (issue 17).
# Run from the repository root:  Rscript tests/reference/ordinal_cfa_validity.R
# Writes tests/reference/ordinal_cfa_validity.json (the tests read only that file).
#
# Data: tests/reference/lavaan_wlsmv_hs_cut.csv (written by tests/reference/lavaan_wlsmv.R):
# Holzinger & Swineford x1..x9 cut into 3 and into 5 ordered categories.
# Model: visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9, fitted with
#   cfa(model, data, ordered = TRUE, estimator = "WLSMV")
# Recorded per cut:
#   compRelSEM(fit, ord.scale = FALSE)  composite reliability of the latent responses
#                                       (obs.var = TRUE: the denominator is the sum of the
#                                       sample polychoric correlation block)
#   AVE(fit)                            average variance extracted (latent-response scale)
#   lavInspect(fit, "cor.lv")           latent (factor) correlations
#   htmt(model, data, ordered = TRUE)   HTMT2 from the polychoric correlations (listwise)
#   residuals(fit, type = "cor")$cov    sample minus implied polychoric correlations
# semTools 0.5-6, lavaan 0.6-14 (Debian bookworm r-cran-semtools, r-cran-lavaan).
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})
model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
cut <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
out <- list(
  versions = list(lavaan = as.character(packageVersion("lavaan")),
                  semTools = as.character(packageVersion("semTools")))
)
for (k in c(3, 5)) {
  d <- cut[cut$categories == k, paste0("x", 1:9)]
  fit <- cfa(model, data = d, ordered = TRUE, estimator = "WLSMV")
  cr <- compRelSEM(fit, ord.scale = FALSE)
  av <- AVE(fit)
  h <- htmt(model, data = d, ordered = paste0("x", 1:9))
  res <- residuals(fit, type = "cor")$cov
  out[[paste0("hs", k)]] <- list(
    n = lavInspect(fit, "nobs"),
    composite_reliability = as.list(cr),
    ave = as.list(av),
    cor_lv = unclass(lavInspect(fit, "cor.lv")),
    htmt = unclass(h),
    residual_cor = unclass(res),
    names = colnames(d)
  )
}
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE),
           "tests/reference/ordinal_cfa_validity.json")
