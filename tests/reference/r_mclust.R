# Reference values for the Gaussian-mixture tests in tests/test_segmentation_mixture.py and
# tests/test_segmentation_selection.py, from R mclust.
#
# Run from the repository root:
#     Rscript tests/reference/r_mclust.R
# writes
#   tests/reference/r_mclust_faithful.csv   R's datasets::faithful (272 x 2)
#   tests/reference/r_mclust_iris.csv       R's datasets::iris[, 1:4] (150 x 4)
#   tests/reference/r_mclust_sim4d.csv      a simulated 3-component 4-D mixture (600 x 4),
#                                           standardised with scale(), written to 10 decimals
#   tests/reference/r_mclust.json           the values below
# The tests read these files and never need R. Every fit below reads the data back from the
# CSV, so R and the tests use the same doubles.
#
# Per data set, with mclust's defaults (no prior, emControl(): tol = c(1e-5, sqrt(eps)),
# hcModelName "VVV", hcUse "SVD"):
#   hc       hcPairs <- hc(X, modelName = "VVV", use = "SVD"); the partitions
#            hclass(hcPairs, 2:9) (mclust's initialisation of EM for each G)
#   fits     for G = 1..4 and each of the 14 models: G = 1 mvn(model, X); G > 1
#            me(X, model, z = unmap(hclass(hcPairs, G))) -- exactly what mclustBIC() does --
#            giving loglik, the number of parameters (nMclustParams), BIC (mclust's sign,
#            2 logL - npar log n, from mclustBIC(X, G = 1:4) itself), returnCode, iterations,
#            and the estimates (pro, mean, sigma);
#   tight    the same fits with emControl(tol = c(1e-11, 1e-13)): the likelihood at
#            convergence, which does not depend on the stopping rule's details;
#   best     Mclust(X, G = 1:4): model, G, loglik, df, bic, icl, the estimates and the
#            classification and uncertainty of every observation.
#   blrt     mclustBootstrapLRT(X, modelName = <best model>, maxG = 3, nboot = 999) with
#            set.seed(18): observed LRT statistics and bootstrap p-values.
# And for the k-means baseline (tests/test_segmentation_kmeans.py), on iris[, 1:4]:
#   kmeans   stats::kmeans(X, k, nstart = 100, iter.max = 100) for k = 2..5 (set.seed(18)):
#            tot.withinss, betweenss, totss, sizes, and the mean silhouette width
#            mean(cluster::silhouette(cl, dist(X))[, "sil_width"]).

suppressPackageStartupMessages({
  library(mclust)
  library(jsonlite)
})

out_dir <- file.path("tests", "reference")
models <- mclust.options("emModelNames")
stopifnot(length(models) == 14)

# ---------------------------------------------------------------------------- data sets
write.csv(faithful, file.path(out_dir, "r_mclust_faithful.csv"), row.names = FALSE)
iris4 <- iris[, 1:4]
names(iris4) <- c("sepal_length", "sepal_width", "petal_length", "petal_width")
write.csv(iris4, file.path(out_dir, "r_mclust_iris.csv"), row.names = FALSE)

# three ellipsoidal clusters of different size, volume, shape and orientation in 4-D
set.seed(18)
n_k <- c(300, 180, 120)
means <- list(c(0, 0, 0, 0), c(2.5, 1, -1, 0.5), c(-1, 2.5, 1.5, -1.5))
rot <- function(theta) {
  r <- diag(4)
  r[1:2, 1:2] <- matrix(c(cos(theta), sin(theta), -sin(theta), cos(theta)), 2)
  r
}
sigmas <- list(
  0.5 * diag(4) + 0.5,
  rot(pi / 5) %*% diag(c(2, 0.5, 1, 0.3)) %*% t(rot(pi / 5)),
  rot(-pi / 3) %*% diag(c(0.6, 0.2, 0.8, 0.4)) %*% t(rot(-pi / 3))
)
sim <- do.call(rbind, lapply(1:3, function(k) {
  z <- matrix(rnorm(n_k[k] * 4), n_k[k], 4)
  sweep(z %*% chol(sigmas[[k]]), 2, means[[k]], "+")
}))
sim <- sim[sample(nrow(sim)), ]
sim <- scale(sim)
colnames(sim) <- paste0("x", 1:4)
write.csv(format(as.data.frame(sim), digits = 1, nsmall = 10, scientific = FALSE,
                 trim = TRUE),
  file.path(out_dir, "r_mclust_sim4d.csv"), row.names = FALSE, quote = FALSE
)

# ---------------------------------------------------------------------------- helpers
estimates <- function(fit, G) {
  if (is.null(fit$parameters$mean) || all(is.na(fit$parameters$mean))) return(NULL)
  mu <- matrix(fit$parameters$mean, ncol = G)
  sigma <- array(fit$parameters$variance$sigma, c(nrow(mu), nrow(mu), G))
  pro <- fit$parameters$pro
  if (is.null(pro)) pro <- 1
  list(
    pro = as.numeric(pro),
    mean = lapply(1:G, function(k) as.numeric(mu[, k])),
    sigma = lapply(1:G, function(k) unname(sigma[, , k]))
  )
}

fit_one <- function(X, model, G, z, control) {
  if (G == 1) {
    fit <- mvn(model, X)
    ret <- attr(fit, "returnCode")
    its <- NA
  } else {
    fit <- me(X, model, z = z, control = control, warn = FALSE)
    ret <- attr(fit, "returnCode")
    info <- attr(fit, "info")
    its <- if (is.null(info)) NA else as.numeric(info[1])
  }
  list(fit = fit, ret = ret, its = its)
}

reference <- function(file) {
  X <- as.matrix(read.csv(file.path(out_dir, file)))
  n <- nrow(X)
  d <- ncol(X)
  hcPairs <- hc(X, modelName = "VVV", use = "SVD")
  partitions <- hclass(hcPairs, 2:9)
  BIC <- mclustBIC(X, G = 1:4, verbose = FALSE)
  fits <- list()
  for (G in 1:4) {
    z <- if (G == 1) NULL else unmap(partitions[, as.character(G)])
    for (model in models) {
      one <- fit_one(X, model, G, z, emControl())
      tight <- fit_one(X, model, G, z, emControl(tol = c(1e-11, 1e-13)))
      ll <- one$fit$loglik
      fits[[length(fits) + 1]] <- list(
        G = G, model = model,
        loglik = if (is.null(ll)) NA else ll,
        npar = nMclustParams(model, d, G),
        bic = BIC[as.character(G), model],
        return_code = one$ret,
        iterations = one$its,
        loglik_tight = if (is.null(tight$fit$loglik)) NA else tight$fit$loglik,
        estimates = if (is.na(ll)) NULL else estimates(one$fit, G)
      )
    }
  }
  best <- Mclust(X, G = 1:4, verbose = FALSE)
  set.seed(18)
  blrt <- mclustBootstrapLRT(X, modelName = best$modelName, maxG = 3, nboot = 999,
                             verbose = FALSE)
  list(
    n = n, d = d, columns = colnames(X),
    hc_partitions = lapply(2:9, function(G) as.integer(partitions[, as.character(G)])),
    fits = fits,
    best = list(
      model = best$modelName, G = best$G, loglik = best$loglik, df = best$df,
      bic = best$bic, icl = best$icl,
      estimates = estimates(best, best$G),
      classification = as.integer(best$classification),
      uncertainty = as.numeric(best$uncertainty)
    ),
    blrt = list(model = blrt$modelName, G = blrt$G, obs = blrt$obs, p_value = blrt$p.value,
                nboot = 999)
  )
}

kmeans_reference <- function(file) {
  X <- as.matrix(read.csv(file.path(out_dir, file)))
  set.seed(18)
  lapply(2:5, function(k) {
    km <- kmeans(X, k, nstart = 100, iter.max = 100)
    list(
      k = k, tot_withinss = km$tot.withinss, betweenss = km$betweenss, totss = km$totss,
      sizes = sort(as.integer(km$size)),
      silhouette = mean(cluster::silhouette(km$cluster, dist(X))[, "sil_width"])
    )
  })
}

ref <- list(
  r_version = R.version.string,
  mclust_version = as.character(packageVersion("mclust")),
  models = models,
  faithful = reference("r_mclust_faithful.csv"),
  iris = reference("r_mclust_iris.csv"),
  sim4d = reference("r_mclust_sim4d.csv"),
  kmeans_iris = kmeans_reference("r_mclust_iris.csv")
)
write_json(ref, file.path(out_dir, "r_mclust.json"), auto_unbox = TRUE, digits = NA,
           na = "null", null = "null")
