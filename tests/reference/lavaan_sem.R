# Reference values for tests/test_sem.py: lavaan + semTools on the repository's data.
# Run from the repository root:  Rscript tests/reference/lavaan_sem.R
# Writes tests/reference/lavaan_sem.json (the tests read only the JSON; they never need R).
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(jsonlite)
})

hs <- read.csv("data/holzinger_swineford_1939.csv")
corp <- read.csv("data/corp_rep.csv")
corp[corp == -99] <- NA

fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                  "rmsea.ci.upper", "rmsea.pvalue", "srmr", "aic", "bic", "bic2", "logl",
                  "unrestricted.logl", "npar", "ntotal", "baseline.chisq", "baseline.df")

describe <- function(fit) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit, fit_measures)
  list(
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = if (is.null(pe$label)) "" else pe$label,
                           est = pe$est, se = pe$se, z = pe$z,
                           std_all = ss$est.std, std_se = ss$se),
    r2 = as.list(lavInspect(fit, "r2"))
  )
}

top_mi <- function(fit, n = 5) {
  mi <- modindices(fit, sort. = TRUE, maximum.number = n)
  data.frame(lhs = mi$lhs, op = mi$op, rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
             sepc_all = mi$sepc.all)
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            semTools = as.character(packageVersion("semTools")),
                            R = R.version.string))

# 1. Holzinger-Swineford three-factor CFA
hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
cfa_fit <- cfa(hs_model, data = hs)
res <- describe(cfa_fit)
res$model <- hs_model
res$modindices <- top_mi(cfa_fit, 5)
res$composite_reliability <- as.list(compRelSEM(cfa_fit))
res$ave <- as.list(AVE(cfa_fit))
res$htmt2 <- unclass(htmt(hs_model, data = hs))[1:3, 1:3]
res$htmt_arithmetic <- unclass(htmt(hs_model, data = hs, htmt2 = FALSE))[1:3, 1:3]
res$cor_lv <- unclass(lavInspect(cfa_fit, "cor.lv"))
rc <- residuals(cfa_fit, type = "cor.bollen")$cov
res$residual_cor_x7_x8 <- rc["x7", "x8"]
res$residual_cor_x2_x7 <- rc["x2", "x7"]
out$holzinger_cfa <- res

# 2. Structural model on the same factors, with labelled paths and an indirect effect
sem_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ a*visual
speed ~ b*textual + c*visual
ind := a*b
total := c + a*b"
sem_fit <- sem(sem_model, data = hs)
res <- describe(sem_fit)
res$model <- sem_model
out$holzinger_sem <- res

# 3. Second-order factor
so_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
g =~ visual + textual + speed"
so_fit <- cfa(so_model, data = hs)
res <- describe(so_fit)
res$model <- so_model
out$holzinger_second_order <- res

# 4. Corporate reputation (-99 = missing, listwise): CFA plus structural paths, residual covariance
corp_model <- "COMP =~ comp_1 + comp_2 + comp_3
LIKE =~ like_1 + like_2 + like_3
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSL ~ COMP + LIKE
comp_2 ~~ comp_3"
corp_fit <- sem(corp_model, data = corp, missing = "listwise")
res <- describe(corp_fit)
res$model <- corp_model
res$modindices <- top_mi(corp_fit, 5)
out$corp_rep_sem <- res

# 5. An observed exogenous predictor: lavaan's fixed.x = TRUE (df and loglik conditional on x)
fx_model <- "LIKE =~ like_1 + like_2 + like_3
CUSL =~ cusl_1 + cusl_2 + cusl_3
CUSL ~ cusa + LIKE"
fx_fit <- sem(fx_model, data = corp)
res <- describe(fx_fit)
res$model <- fx_model
out$corp_rep_fixed_x <- res

# 6. FIML (missing = "ml"): values deleted from Holzinger-Swineford by a fixed rule
hs_m <- hs
hs_m$x1[seq(1, 301, by = 7)] <- NA
hs_m$x5[seq(3, 301, by = 11)] <- NA
hs_m$x9[seq(5, 301, by = 13)] <- NA
hs_m$x9[1:20] <- NA
fiml_fit <- cfa(hs_model, data = hs_m, missing = "ml")
res <- describe(fiml_fit)
res$model <- hs_model
res$composite_reliability <- as.list(compRelSEM(fiml_fit))
res$ave <- as.list(AVE(fiml_fit))
out$holzinger_cfa_fiml <- res

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_sem.json")
