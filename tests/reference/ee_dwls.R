# Reference values for tests/test_experience_economy_estimators.py: the experience-economy
# study's default structural model on its default data (data/loyalty_survey.csv, missing
# code 99, complete cases on the 25 model items, n = 610), the items as ordered, fitted by
# lavaan's DWLS and ULS (standard, non-robust SEs and the standard test), and lavTestLRT of
# the competing measurement models (second-order experience factor against four correlated
# realms) under DWLS. R 4.2, lavaan 0.6-14. Run from the repository root:
#   Rscript tests/reference/ee_dwls.R
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})
survey <- read.csv("data/loyalty_survey.csv")
survey[survey == 99] <- NA
# the study's default model, as tests/reference/lavaan_wlsmv_sem.R wrote it (its WLSMV fit)
ee_model <- fromJSON("tests/reference/lavaan_wlsmv_sem.json")$experience_economy$model
ee_lines <- strsplit(ee_model, "\n")[[1]]
ee_items <- unique(regmatches(ee_model, gregexpr("[A-Z]{2}[0-9]+", ee_model))[[1]])
complete <- na.omit(survey[ee_items])

paths_of <- function(fit) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  rows <- pe$op == "~"
  std <- ss[ss$op == "~", ]
  data.frame(lhs = pe$lhs[rows], rhs = pe$rhs[rows], est = pe$est[rows], se = pe$se[rows],
             std_all = std$est.std)
}
describe <- function(fit, call) {
  list(call = call, lavaan = as.character(packageVersion("lavaan")),
       ntotal = lavInspect(fit, "ntotal"),
       se = lavInspect(fit, "options")$se, test = lavInspect(fit, "options")$test,
       paths = paths_of(fit),
       fit = as.list(fitMeasures(fit, c("chisq", "df", "pvalue", "cfi", "tli", "rmsea",
                                        "srmr"))))
}
out <- list()
dwls <- sem(ee_model, data = complete, ordered = TRUE, estimator = "DWLS")
out$dwls <- describe(dwls, "sem(ee_model, data = complete, ordered = TRUE, estimator = \"DWLS\")")
uls <- sem(ee_model, data = complete, ordered = TRUE, estimator = "ULS")
out$uls <- describe(uls, "sem(ee_model, data = complete, ordered = TRUE, estimator = \"ULS\")")

# competing measurement models of the realms under DWLS (the study's realm items of the
# complete cases): lavTestLRT of the nested second-order model against four correlated realms
realms <- paste(ee_lines[1:4], collapse = "\n")  # the four realms' measurement
second <- paste0(realms, "\nexperience =~ education + entertainment + esthetics + escapism")
realm_items <- ee_items[1:16]  # ED, EN, AE, EC
d4 <- sem(realms, data = complete[realm_items], ordered = TRUE, estimator = "DWLS")
d2 <- sem(second, data = complete[realm_items], ordered = TRUE, estimator = "DWLS")
lrt <- lavTestLRT(d2, d4)
out$dwls_second_order <- list(
  call = "lavTestLRT(sem(second, ordered = TRUE, estimator = 'DWLS'), sem(realms, ...))",
  chisq_diff = lrt[["Chisq diff"]][2], df_diff = lrt[["Df diff"]][2],
  pvalue = lrt[["Pr(>Chisq)"]][2], chisq_second = fitMeasures(d2, "chisq"),
  chisq_four = fitMeasures(d4, "chisq"))

writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/ee_dwls.json")
