# Reference values for tests/test_fiml.py: FIML CFA, EM correlations and psych on the EM matrix.
# Run from the repository root:  Rscript tests/reference/r_fiml_cfa.R
# Writes tests/reference/r_fiml_cfa.json (the tests read only the JSON; they never need R).
# Debian bookworm: apt-get install r-base-core r-cran-lavaan r-cran-semtools r-cran-psych
#                  r-cran-gparotation (jsonlite comes along).
#
# Data (read by R and Python alike):
#   tests/reference/holzinger_swineford_mcar.csv, holzinger_swineford_mar.csv
#       x1..x9 of data/holzinger_swineford_1939.csv with values deleted by a seeded MCAR / MAR
#       process (see tests/reference/r_little_mcar.R and tests/test_missingness.py)
#   data/loyalty_survey.csv with data/loyalty_survey.codebook.yaml: code 99 is "no answer" and
#       TR3 is reverse-coded (1 + 7 - x), exactly as workbench.intake.data.load_survey prepares
#       it; the JSON records per-item answer counts and sums so that the Python test checks
#       both sides analysed the same numbers.
#
# What is computed (each call is recorded in the JSON under "calls"):
#   - CFA by FIML: lavaan::cfa(model, data, missing = "ml"), the default observed information,
#     with fitMeasures(), parameterEstimates(), standardizedSolution(); semTools'
#     compRelSEM(), AVE() and htmt(model, data, missing = "ml") (HTMT2 on lavCor's EM matrix).
#     Twice: with lavaan's defaults, and converged further ("converged_fit") with
#     optim.method = "BFGS", control = list(reltol = 1e-16, maxit = 10000) and the EM of the
#     unrestricted (h1) model run to em.h1.tol = 1e-11 instead of 1e-5. The default nlminb
#     stops with a largest gradient element of about 1e-6 (recorded as max_gradient), which
#     leaves estimates about 1e-6 (Holzinger-Swineford) to 5e-6 (loyalty survey) short of the
#     optimum: the BFGS run has a higher loglikelihood and agrees with the workbench. (A
#     tighter nlminb rel.tol changes no digit and only makes nlminb warn.) semTools' CR uses
#     the h1 covariances, so it needs the tight EM too. Fit measures agree to 1e-6 either way.
#   - EM correlations: lavaan::lavCor(Y, missing = "ml"), which returns lavaan's h1 (EM)
#     estimates at lavaan's default EM tolerance (em.h1.tol = 1e-5, about 1e-5 short of the
#     optimum on Holzinger-Swineford), the same with em.h1.tol = 1e-11 ("lavcor_tight"), and
#     lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y, max.iter = 10000, tol = 1e-11).
#     semTools::htmt(model, data, missing = "ml") calls lavCor at the default tolerance, so
#     HTMT is also recorded from the tight matrix: htmt(model, sample.cov = lavcor_tight).
#   - psych on the EM matrix of the loyalty survey (n = respondents with an answer, psych's
#     n.obs convention for a given matrix): KMO(), cortest.bartlett(), fa(13 factors, minres,
#     oblimin), alpha() of each construct's EM covariance block, and omega total of a
#     one-factor minres fa() of each construct's EM correlation block.
suppressPackageStartupMessages({
  library(lavaan)
  library(semTools)
  library(psych)
  library(GPArotation)
  library(jsonlite)
})

fit_measures <- c("chisq", "df", "pvalue", "cfi", "tli", "rmsea", "rmsea.ci.lower",
                  "rmsea.ci.upper", "rmsea.pvalue", "srmr", "aic", "bic", "bic2", "logl",
                  "unrestricted.logl", "npar", "ntotal", "baseline.chisq", "baseline.df")

describe <- function(fit) {
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  fm <- fitMeasures(fit, fit_measures)
  list(
    converged = lavInspect(fit, "converged"),
    iterations = lavInspect(fit, "iterations"),
    max_gradient = max(abs(lavInspect(fit, "optim.gradient"))),
    fit = as.list(setNames(as.numeric(fm), names(fm))),
    estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, est = pe$est, se = pe$se,
                           std_all = ss$est.std)
  )
}

em_moments <- function(Y) {
  lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y = as.matrix(Y), max.iter = 10000L,
                                                  tol = 1e-11)
}

fiml_case <- function(Y, model, source) {
  fit <- cfa(model, data = Y, missing = "ml")
  res <- describe(fit)
  tight <- cfa(model, data = Y, missing = "ml", optim.method = "BFGS",
               control = list(reltol = 1e-16, maxit = 10000L),
               em.h1.tol = 1e-11, em.h1.iter.max = 10000L)
  res$converged_fit <- describe(tight)
  res$converged_fit$logl_gain <- fitMeasures(tight, "logl") - fitMeasures(fit, "logl")
  res$converged_fit$composite_reliability <- as.list(compRelSEM(tight))
  res$converged_fit$ave <- as.list(AVE(tight))
  res$source <- source
  res$model <- model
  res$composite_reliability <- as.list(compRelSEM(fit))
  res$ave <- as.list(AVE(fit))
  res$htmt2 <- unclass(htmt(model, data = Y, missing = "ml"))
  res$htmt_names <- rownames(res$htmt2)
  res$htmt2 <- unname(res$htmt2)
  tight_cor <- lavCor(Y, missing = "ml", em.h1.tol = 1e-11, em.h1.iter.max = 10000L)
  res$htmt2_tight <- unname(unclass(htmt(model, sample.cov = tight_cor)))
  em <- em_moments(Y)
  res$em <- list(items = colnames(Y), n = sum(rowSums(!is.na(Y)) > 0),
                 cor = unname(cov2cor(em$Sigma)), mean = as.numeric(em$Mu),
                 lavcor = unname(unclass(lavCor(Y, missing = "ml"))),
                 lavcor_tight = unname(unclass(tight_cor)))
  res
}

out <- list(
  versions = list(R = R.version.string,
                  lavaan = as.character(packageVersion("lavaan")),
                  semTools = as.character(packageVersion("semTools")),
                  psych = as.character(packageVersion("psych")),
                  GPArotation = as.character(packageVersion("GPArotation")),
                  jsonlite = as.character(packageVersion("jsonlite"))),
  calls = list(
    cfa = "lavaan::cfa(model, data = Y, missing = \"ml\")",
    cfa_converged = "lavaan::cfa(model, data = Y, missing = \"ml\", optim.method = \"BFGS\", control = list(reltol = 1e-16, maxit = 10000), em.h1.tol = 1e-11, em.h1.iter.max = 10000)",
    fit = "fitMeasures(fit); parameterEstimates(fit); standardizedSolution(fit)",
    reliability = "semTools::compRelSEM(fit); semTools::AVE(fit)",
    htmt = "semTools::htmt(model, data = Y, missing = \"ml\")",
    em = "lavaan:::lav_mvnorm_missing_h1_estimate_moments(Y, max.iter = 10000, tol = 1e-11)",
    lavcor = "lavaan::lavCor(Y, missing = \"ml\")",
    lavcor_tight = "lavaan::lavCor(Y, missing = \"ml\", em.h1.tol = 1e-11, em.h1.iter.max = 10000)",
    htmt_tight = "semTools::htmt(model, sample.cov = lavcor_tight)",
    kmo = "psych::KMO(R_em)",
    bartlett = "psych::cortest.bartlett(R_em, n = n)",
    efa = "psych::fa(R_em, nfactors = 13, n.obs = n, fm = \"minres\", rotate = \"oblimin\")",
    alpha = "psych::alpha(S_em[items, items])$total (S_em: EM covariance of all 44 items)",
    omega = "f <- psych::fa(cov2cor(S_em[items, items]), 1, n.obs = n, fm = \"minres\"); sum(f$loadings)^2 / (sum(f$loadings)^2 + sum(f$uniquenesses))"
  )
)

# (a) Holzinger-Swineford, three factors, values deleted MCAR and MAR
hs_model <- "visual =~ x1 + x2 + x3
textual =~ x4 + x5 + x6
speed =~ x7 + x8 + x9"
for (mech in c("mcar", "mar")) {
  file <- sprintf("tests/reference/holzinger_swineford_%s.csv", mech)
  out[[paste0("holzinger_", mech)]] <- fiml_case(read.csv(file), hs_model, file)
}

# (b) the shipped loyalty survey, its 13 constructs as in the codebook
survey <- read.csv("data/loyalty_survey.csv")
constructs <- list(
  education = c("ED1", "ED2", "ED3", "ED4"), entertainment = c("EN1", "EN2", "EN3", "EN4"),
  esthetics = c("AE1", "AE2", "AE3", "AE4"), escapism = c("EC1", "EC2", "EC3", "EC4"),
  memory = c("ME1", "ME2", "ME3"), satisfaction = c("SA1", "SA2", "SA3"),
  trust = c("TR1", "TR2", "TR3", "TR4"), value = c("PV1", "PV2", "PV3"),
  belonging = c("BE1", "BE2", "BE3"), loyalty = c("RI1", "RI2", "RI3"),
  willingness_to_pay = c("WP1", "WP2", "WP3"), online_experience = c("ON1", "ON2", "ON3"),
  offline_experience = c("OF1", "OF2", "OF3"))
items <- unlist(constructs, use.names = FALSE)
Y <- survey[, items]
Y[Y == 99] <- NA
Y$TR3 <- 1 + 7 - Y$TR3
loyalty_model <- paste(sprintf("%s =~ %s", names(constructs),
                               sapply(constructs, paste, collapse = " + ")), collapse = "\n")
res <- fiml_case(Y, loyalty_model, "data/loyalty_survey.csv (99 = NA; TR3 reverse-coded)")
res$data_check <- list(items = items, answered = unname(colSums(!is.na(Y))),
                       sums = unname(colSums(Y, na.rm = TRUE)), n_rows = nrow(Y),
                       complete = sum(complete.cases(Y)))

# psych on the EM matrix (n = respondents with at least one answer)
em <- em_moments(Y)
S_em <- em$Sigma
dimnames(S_em) <- list(items, items)
R_em <- cov2cor(S_em)
n_em <- res$em$n
k <- KMO(R_em)
b <- cortest.bartlett(R_em, n = n_em)
f <- fa(R_em, nfactors = 13, n.obs = n_em, fm = "minres", rotate = "oblimin", warnings = FALSE)
L <- unclass(f$loadings)
psych_out <- list(
  n = n_em,
  kmo_overall = k$MSA, kmo_items = as.list(k$MSAi),
  bartlett = list(chi2 = unname(b$chisq), df = unname(b$df), p = unname(b$p.value)),
  efa = list(n_factors = 13, items = rownames(L),
             loadings = unname(L), communality = unname(f$communality),
             chi2 = f$STATISTIC, df = f$dof, rmsea = unname(f$RMSEA[1]), tli = f$TLI,
             bic = f$BIC, objective = f$objective, phi = unname(f$Phi)),
  reliability = list()
)
for (name in names(constructs)) {
  its <- constructs[[name]]
  a <- alpha(S_em[its, its], warnings = FALSE)$total
  f1 <- fa(R_em[its, its], 1, n.obs = n_em, fm = "minres", warnings = FALSE)
  lam <- abs(sum(f1$loadings))
  psych_out$reliability[[name]] <- list(
    raw_alpha = a$raw_alpha, std_alpha = a$std.alpha, average_r = a$average_r,
    omega_total = lam^2 / (lam^2 + sum(f1$uniquenesses)))
}
res$psych <- psych_out
out$loyalty <- res

write_json(out, "tests/reference/r_fiml_cfa.json", digits = NA, auto_unbox = TRUE,
           pretty = TRUE, na = "null")
cat("wrote tests/reference/r_fiml_cfa.json\n")
