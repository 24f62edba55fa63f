# Reference values for tests/test_sem_bootstrap.py: lavaan bootstrap of indirect effects.
# Run from the repository root:  Rscript tests/reference/lavaan_bootstrap.R
# Writes tests/reference/lavaan_bootstrap.json (the tests read only the JSON; they never need R).
#
# Data: data/loyalty_survey.csv (codebook data/loyalty_survey.codebook.yaml): 99 = missing,
# listwise deletion (lavaan's default). TR3 is reverse-coded (8 - x) in the codebook but is not
# in this model. The model is the experience-economy structural model of issue 4 with every
# regression labelled and the indirect / total effects defined exactly as
# workbench.sem_bootstrap.indirect_effects_syntax() writes them (the syntax is stored in the JSON).
suppressPackageStartupMessages({
  library(lavaan)
  library(jsonlite)
})

d <- read.csv("data/loyalty_survey.csv")
d[d == 99] <- NA
d$TR3 <- 8 - d$TR3

base_model <- "
education =~ ED1 + ED2 + ED3 + ED4
entertainment =~ EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4
memory =~ ME1 + ME2 + ME3
satisfaction =~ SA1 + SA2 + SA3
loyalty =~ RI1 + RI2 + RI3
memory ~ education + entertainment + esthetics + escapism
satisfaction ~ memory
loyalty ~ satisfaction + memory
"
# the same text as indirect_effects_syntax(base_model)[0] (the test checks it)
model <- "
education =~ ED1 + ED2 + ED3 + ED4
entertainment =~ EN1 + EN2 + EN3 + EN4
esthetics =~ AE1 + AE2 + AE3 + AE4
escapism =~ EC1 + EC2 + EC3 + EC4
memory =~ ME1 + ME2 + ME3
satisfaction =~ SA1 + SA2 + SA3
loyalty =~ RI1 + RI2 + RI3
memory ~ b_memory_education*education + b_memory_entertainment*entertainment + b_memory_esthetics*esthetics + b_memory_escapism*escapism
satisfaction ~ b_satisfaction_memory*memory
loyalty ~ b_loyalty_satisfaction*satisfaction + b_loyalty_memory*memory
ind_education_memory_satisfaction := b_memory_education*b_satisfaction_memory
indtot_education_satisfaction := b_memory_education*b_satisfaction_memory
total_education_satisfaction := b_memory_education*b_satisfaction_memory
ind_education_memory_satisfaction_loyalty := b_memory_education*b_satisfaction_memory*b_loyalty_satisfaction
ind_education_memory_loyalty := b_memory_education*b_loyalty_memory
indtot_education_loyalty := b_memory_education*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_education*b_loyalty_memory
total_education_loyalty := b_memory_education*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_education*b_loyalty_memory
ind_memory_satisfaction_loyalty := b_satisfaction_memory*b_loyalty_satisfaction
indtot_memory_loyalty := b_satisfaction_memory*b_loyalty_satisfaction
total_memory_loyalty := b_loyalty_memory + b_satisfaction_memory*b_loyalty_satisfaction
ind_entertainment_memory_satisfaction := b_memory_entertainment*b_satisfaction_memory
indtot_entertainment_satisfaction := b_memory_entertainment*b_satisfaction_memory
total_entertainment_satisfaction := b_memory_entertainment*b_satisfaction_memory
ind_entertainment_memory_satisfaction_loyalty := b_memory_entertainment*b_satisfaction_memory*b_loyalty_satisfaction
ind_entertainment_memory_loyalty := b_memory_entertainment*b_loyalty_memory
indtot_entertainment_loyalty := b_memory_entertainment*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_entertainment*b_loyalty_memory
total_entertainment_loyalty := b_memory_entertainment*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_entertainment*b_loyalty_memory
ind_esthetics_memory_satisfaction := b_memory_esthetics*b_satisfaction_memory
indtot_esthetics_satisfaction := b_memory_esthetics*b_satisfaction_memory
total_esthetics_satisfaction := b_memory_esthetics*b_satisfaction_memory
ind_esthetics_memory_satisfaction_loyalty := b_memory_esthetics*b_satisfaction_memory*b_loyalty_satisfaction
ind_esthetics_memory_loyalty := b_memory_esthetics*b_loyalty_memory
indtot_esthetics_loyalty := b_memory_esthetics*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_esthetics*b_loyalty_memory
total_esthetics_loyalty := b_memory_esthetics*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_esthetics*b_loyalty_memory
ind_escapism_memory_satisfaction := b_memory_escapism*b_satisfaction_memory
indtot_escapism_satisfaction := b_memory_escapism*b_satisfaction_memory
total_escapism_satisfaction := b_memory_escapism*b_satisfaction_memory
ind_escapism_memory_satisfaction_loyalty := b_memory_escapism*b_satisfaction_memory*b_loyalty_satisfaction
ind_escapism_memory_loyalty := b_memory_escapism*b_loyalty_memory
indtot_escapism_loyalty := b_memory_escapism*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_escapism*b_loyalty_memory
total_escapism_loyalty := b_memory_escapism*b_satisfaction_memory*b_loyalty_satisfaction + b_memory_escapism*b_loyalty_memory
"

n_boot <- 1000L
fit <- sem(model, data = d)
pe <- parameterEstimates(fit)
ss <- standardizedSolution(fit)

set.seed(2026)
t0 <- proc.time()[["elapsed"]]
fit_b <- sem(model, data = d, se = "bootstrap", bootstrap = n_boot)
seconds <- proc.time()[["elapsed"]] - t0

pb <- parameterEstimates(fit_b, boot.ci.type = "perc", level = 0.95)
draws <- lavInspect(fit_b, "boot")
n_ok <- nrow(draws)
# standardized solution (std.all, defined parameters included) of every draw, as
# standardizedSolution() computes it for the full sample; percentile limits as lavaan's
# parameterEstimates(boot.ci.type = "perc") (boot's norm.inter interpolation).
norm_inter <- function(t, alpha) {
  t <- sort(t[is.finite(t)]); R <- length(t); rk <- (R + 1) * alpha; k <- trunc(rk)
  sapply(seq_along(alpha), function(i) {
    if (k[i] == rk[i] && k[i] > 0 && k[i] <= R) return(t[k[i]])
    if (k[i] <= 0) return(t[1L])
    if (k[i] >= R) return(t[R])
    z1 <- qnorm(alpha[i]); z2 <- qnorm(k[i] / (R + 1)); z3 <- qnorm((k[i] + 1) / (R + 1))
    t[k[i]] + (z1 - z2) / (z3 - z2) * (t[k[i] + 1L] - t[k[i]])
  })
}
std_draws <- t(apply(draws, 1, function(x) {
  glist <- lavaan:::lav_model_x2GLIST(fit_b@Model, x)
  est <- lavaan:::lav_model_get_parameters(fit_b@Model, GLIST = glist, type = "user",
                                           extra = TRUE)
  lavaan:::lav_standardize_all(lavobject = fit_b, est = est, GLIST = glist, cov.std = TRUE)
}))
alpha <- c(0.025, 0.975)
std_ci <- t(apply(std_draws, 2, norm_inter, alpha = alpha))
std_boot_se <- apply(std_draws, 2, sd)
# check: our norm_inter reproduces lavaan's percentile limits of the free parameters
free_idx <- which(pb$op != ":=" & !is.na(pb$se) & pb$se > 0)
stopifnot(max(abs(t(apply(draws, 2, norm_inter, alpha = alpha)) -
                  cbind(pb$ci.lower, pb$ci.upper)[free_idx, ])) < 1e-12)
ssb <- list(est.std = ss$est.std, se = std_boot_se, boot.ci.lower = std_ci[, 1],
            boot.ci.upper = std_ci[, 2])
out <- list(
  versions = list(lavaan = as.character(packageVersion("lavaan")), R = R.version.string),
  model = model,
  n = lavInspect(fit, "nobs"),
  n_boot = n_boot,
  n_boot_ok = n_ok,
  seed = 2026L,
  seconds_bootstrap = seconds,
  estimates = data.frame(lhs = pe$lhs, op = pe$op, rhs = pe$rhs, label = pe$label,
                         est = pe$est, se = pe$se, std_all = ss$est.std, std_se = ss$se),
  bootstrap = data.frame(lhs = pb$lhs, op = pb$op, rhs = pb$rhs, label = pb$label,
                         est = pb$est, boot_se = pb$se, ci_low = pb$ci.lower,
                         ci_high = pb$ci.upper,
                         std_all = ssb$est.std, std_boot_se = ssb$se,
                         std_ci_low = ssb$boot.ci.lower, std_ci_high = ssb$boot.ci.upper)
)
writeLines(toJSON(out, digits = NA, auto_unbox = TRUE, pretty = TRUE, na = "null"),
           "tests/reference/lavaan_bootstrap.json")
cat(sprintf("lavaan bootstrap (%d resamples): %.2f s\n", n_boot, seconds))
