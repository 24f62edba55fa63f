# Reference values for tests/test_sem_ordinal_structural.py: a structural model on ordered
# items by WLSMV (lavaan 0.6).
# Run from the repository root:  Rscript tests/reference/lavaan_wlsmv_sem.R
# Writes tests/reference/lavaan_wlsmv_sem.json (the tests read only this file; never R).
#
# Data: tests/reference/lavaan_wlsmv_hs_cut.csv (written by lavaan_wlsmv.R): Holzinger &
# Swineford (1939) x1..x9 cut at sample quantiles into 3 categories (terciles) and into 5
# (the 0.10, 0.25, 0.50, 0.80 quantiles).
#
# Model: the three HS factors in a chain visual -> textual -> speed, with the indirect
# effect of visual on speed defined as a*b:
#   sem(model, data, ordered = TRUE, estimator = "WLSMV")
# (delta parameterization, marker loadings, DWLS, se = "robust.sem",
# test = "scaled.shifted"); also parameterization = "theta", estimator = "ULSMV" and
# estimator = "DWLS" on the 3-category data, and WLSMV on the 5-category data.
# lavaan's nlminb stops on a relative change of the objective (estimates about 1e-5 short
# of the minimum, see lavaan_wlsmv.R); "*_converged" are the same fits with
# optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000).
#
# Recorded per fit: parameterEstimates() (est, se; rows := for the defined effect),
# standardizedSolution() (est.std, se), lavInspect(fit, "r2"), fitMeasures() (all); and
# lavTestLRT() of the chain against the three correlated factors ("difference_test").
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

cut <- read.csv("tests/reference/lavaan_wlsmv_hs_cut.csv")
items <- paste0("x", 1:9)
hs3 <- cut[cut$categories == 3, items]
hs5 <- cut[cut$categories == 5, items]

model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9
textual ~ a*visual
speed ~ b*textual
indirect := a*b"

describe <- function(fit, call) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit)
  list(
    call = call,
    converged = lavInspect(fit, "converged"),
    max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                           std_all = ss$est.std, std_se = ss$se),
    r2 = as.list(lavInspect(fit, "r2"))
  )
}

tight <- list(optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000))
run <- function(data, name, ..., converged = FALSE) {
  args <- list(model = model, data = data, ordered = TRUE, ...)
  if (converged) args <- c(args, tight)
  fit <- do.call("sem", args)
  extra <- list(...)
  call <- paste0("sem(model, data = ", name, ", ordered = TRUE",
                 paste0(", ", names(extra), " = \"", unlist(extra), "\"", collapse = ""),
                 if (converged) ", optim.method = \"BFGS\", control = list(reltol = 1e-16, maxit = 10000)" else "",
                 ")")
  describe(fit, call)
}

out <- list(versions = list(lavaan = as.character(packageVersion("lavaan")),
                            R = R.version.string),
            model = model)
out$hs3 <- run(hs3, "hs3", estimator = "WLSMV")
out$hs3_converged <- run(hs3, "hs3", estimator = "WLSMV", converged = TRUE)
out$hs3_theta <- run(hs3, "hs3", estimator = "WLSMV", parameterization = "theta")
out$hs3_theta_converged <- run(hs3, "hs3", estimator = "WLSMV", parameterization = "theta",
                               converged = TRUE)
out$hs3_ulsmv <- run(hs3, "hs3", estimator = "ULSMV")
out$hs3_dwls <- run(hs3, "hs3", estimator = "DWLS")
out$hs5 <- run(hs5, "hs5", estimator = "WLSMV")
out$hs5_converged <- run(hs5, "hs5", estimator = "WLSMV", converged = TRUE)


# The scaled-shifted chi-square difference test lavaan uses for WLSMV (lavTestLRT, method
# "satorra.2000", scaled.shifted = TRUE): the chain model (visual-speed covariance implied)
# nested in the three correlated factors, both on the 3-category data.
cfa3 <- cfa("visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9", data = hs3, ordered = TRUE, estimator = "WLSMV")
chain <- sem(model, data = hs3, ordered = TRUE, estimator = "WLSMV")
lrt <- lavTestLRT(chain, cfa3)
out$difference_test <- list(
  call = "lavTestLRT(sem(model, hs3, ordered = TRUE, estimator = 'WLSMV'), cfa(three_factors, hs3, ordered = TRUE, estimator = 'WLSMV'))",
  method = attr(lrt, "heading"),
  chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2],
  pvalue = lrt[["Pr(>Chisq)"]][2],
  cfa_chisq = fitMeasures(cfa3, "chisq"), cfa_df = fitMeasures(cfa3, "df"))
# The experience-economy study's default structural model on its default data
# (data/loyalty_survey.csv, missing code 99, complete cases on the 25 model items), by
# WLSMV: what tests/test_studies_experience_economy.py checks the study's estimator=wlsmv
# run against.
survey <- read.csv("data/loyalty_survey.csv")
survey[survey == 99] <- NA
ee_model <- "education =~ ED1 + ED2 + ED3 + ED4
entertainment =~ EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4
memory =~ ME1 + ME2 + ME3
satisfaction =~ SA1 + SA2 + SA3
loyalty =~ RI1 + RI2 + RI3
memory ~ education + entertainment + esthetics + escapism
satisfaction ~ memory
loyalty ~ satisfaction"
ee_items <- c(paste0("ED", 1:4), paste0("EN", 1:4), paste0("AE", 1:4), paste0("EC", 1:4),
              paste0("ME", 1:3), paste0("SA", 1:3), paste0("RI", 1:3))
ee <- sem(ee_model, data = na.omit(survey[ee_items]), ordered = TRUE, estimator = "WLSMV")
out$experience_economy <- describe(ee, paste0("sem(ee_model, data = na.omit(survey[ee_items]), ",
                                              "ordered = TRUE, estimator = \"WLSMV\")"))
out$experience_economy$model <- ee_model
out$experience_economy$ntotal <- lavInspect(ee, "ntotal")

# The study's competing models with estimator=mlr (FIML, the study's default for method=ml):
# lavTestLRT's Satorra-Bentler (2001) scaled difference of the second-order and the
# edutainment model against the four correlated realms. For edutainment the 2001 correction
# is negative and lavaan reports NA (with a warning); so does the study (NaN).
realms <- "education =~ ED1 + ED2 + ED3 + ED4
entertainment =~ EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4"
second <- paste0(realms, "\nexperience =~ education + entertainment + esthetics + escapism")
edu <- "edutainment =~ ED1 + ED2 + ED3 + ED4 + EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4"
mlr <- function(m) cfa(m, data = survey, estimator = "MLR", missing = "ml")
f4 <- mlr(realms)
lrt2 <- lavTestLRT(mlr(second), f4)
lrt_edu <- suppressWarnings(lavTestLRT(mlr(edu), f4))
out$experience_economy_mlr <- list(
  call = "lavTestLRT(cfa(second_order, survey, estimator = 'MLR', missing = 'ml'), cfa(four_realms, ...))",
  second_order = list(chisq_diff = lrt2[["Chisq diff"]][2], df_diff = lrt2[["Df diff"]][2],
                      pvalue = lrt2[["Pr(>Chisq)"]][2]),
  edutainment = list(chisq_diff = lrt_edu[["Chisq diff"]][2], df_diff = lrt_edu[["Df diff"]][2]))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_wlsmv_sem.json")
