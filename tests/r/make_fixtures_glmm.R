#!/usr/bin/env Rscript
# Golden fixtures for analysis.models.ordinal and analysis.models.glmm, computed with
# ordinal::clmm, lme4::glmer and emmeans.
#
# Usage (from the repository root):
#   Rscript tests/r/make_fixtures_glmm.R [cases_glmm.json] [out_dir] [case names...]
# Defaults: tests/r/cases_glmm.json and tests/stats/fixtures/glmm. The simulated CSVs come from
# tests/r/make_data_glmm.py; this script writes lme4's cbpp to cbpp.csv if it is missing.
#
# Both packages are run with tight convergence tolerances: with their defaults (clmm's inner
# gradTol 1e-4, glmer's bobyqa rhoend 2e-7) estimates stop about 1e-4 (relative) short of the
# optimum, which is the size of the differences the comparisons must resolve.
suppressPackageStartupMessages({
  library(lme4)
  library(ordinal)
  library(emmeans)
  library(jsonlite)
})
options(contrasts = c("contr.sum", "contr.poly"))
emm_options(msg.interaction = FALSE, msg.nesting = FALSE)

args <- commandArgs(trailingOnly = TRUE)
cases_file <- if (length(args) >= 1) args[1] else "tests/r/cases_glmm.json"
out_dir <- if (length(args) >= 2) args[2] else "tests/stats/fixtures/glmm"
only <- if (length(args) >= 3) args[3:length(args)] else character(0)
data_dir <- file.path(dirname(cases_file), "..", "stats", "fixtures", "data")

versions <- list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  lme4 = as.character(packageVersion("lme4")),
  ordinal = as.character(packageVersion("ordinal")),
  emmeans = as.character(packageVersion("emmeans")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

cbpp_csv <- file.path(data_dir, "cbpp.csv")
if (!file.exists(cbpp_csv)) {
  d <- lme4::cbpp
  d$herd <- paste0("h", as.character(d$herd))
  write.csv(d, cbpp_csv, row.names = FALSE)
}

read_case_data <- function(case) {
  d <- read.csv(file.path(data_dir, case$data), stringsAsFactors = FALSE)
  if (!is.null(case$filter)) {
    for (col in names(case$filter)) d <- d[!is.na(d[[col]]) & d[[col]] == case$filter[[col]], ]
  }
  for (col in names(case$levels)) d[[col]] <- factor(d[[col]], levels = unlist(case$levels[[col]]))
  for (col in unlist(case$factors)) if (!is.factor(d[[col]])) d[[col]] <- factor(d[[col]])
  for (col in names(d)) if (is.character(d[[col]])) d[[col]] <- factor(d[[col]])
  if (case$model == "clmm") d[[case$response]] <- factor(d[[case$response]], ordered = TRUE)
  d
}

r_formula <- function(case, f = case$formula) {
  if (!is.null(case$trials)) {
    f <- sub(paste0("^", case$response, " ~"),
             paste0("cbind(", case$response, ", ", case$trials, " - ", case$response, ") ~"), f)
  }
  as.formula(f)
}

fit_model <- function(case, d, f = case$formula) {
  if (case$model == "clmm") {
    ctrl <- clmm.control(gradTol = 1e-9, innerCtrl = "noWarn", rel.tol = 1e-13, eval.max = 2000,
                         iter.max = 2000)
    clmm(r_formula(case, f), data = d, link = case$link, nAGQ = case$nAGQ, Hess = TRUE,
         control = ctrl)
  } else {
    fam <- if (case$family == "binomial") binomial(link = case$link) else poisson(link = case$link)
    ctrl <- glmerControl(optimizer = "bobyqa", tolPwrss = 1e-10,
                         optCtrl = list(rhobeg = 2e-3, rhoend = 1e-10, maxfun = 1e5))
    glmer(r_formula(case, f), data = d, family = fam, nAGQ = case$nAGQ, control = ctrl)
  }
}

varcorr_list <- function(vc) {
  v <- as.data.frame(vc)
  list(group = as.character(v$grp), term1 = as.character(v$var1), term2 = as.character(v$var2),
       vcov = v$vcov, sdcor = v$sdcor)
}

clmm_varcorr <- function(m) {
  out <- list(group = character(0), term1 = character(0), term2 = character(0), vcov = numeric(0))
  vc <- VarCorr(m)
  for (g in names(vc)) {
    s <- as.matrix(vc[[g]])
    nm <- colnames(s)
    for (i in seq_along(nm)) {
      out$group <- c(out$group, g); out$term1 <- c(out$term1, nm[i]); out$term2 <- c(out$term2, NA)
      out$vcov <- c(out$vcov, s[i, i])
    }
    for (j in seq_along(nm)) for (i in seq_along(nm)) if (i > j) {
      out$group <- c(out$group, g); out$term1 <- c(out$term1, nm[j]); out$term2 <- c(out$term2, nm[i])
      out$vcov <- c(out$vcov, s[i, j])
    }
  }
  out
}

summary_columns <- function(s, keys) {
  est <- attr(s, "estName")
  out <- lapply(setNames(keys, keys), function(k) as.character(s[[k]]))
  lo <- if ("asymp.LCL" %in% names(s)) s$asymp.LCL else s$lower.CL
  hi <- if ("asymp.UCL" %in% names(s)) s$asymp.UCL else s$upper.CL
  c(out, list(estimate = s[[est]], se = s$SE, ci_low = lo, ci_high = hi))
}

clmm_emmeans <- function(m, case, spec) {
  mode <- spec$mode
  specs <- unlist(spec$specs)
  extra <- switch(mode, prob = case$response, exc.prob = "cut", cum.prob = "cut", character(0))
  emm <- emmeans(m, specs = c(extra, specs), mode = mode)
  s <- as.data.frame(summary(emm))
  attr(s, "estName") <- attr(summary(emm), "estName")
  out <- summary_columns(s, c(specs, extra))
  out$mode <- mode
  out$extra <- if (length(extra)) extra else NULL
  out
}

run_clmm <- function(case, d) {
  m <- fit_model(case, d)
  cs <- coef(summary(m))
  list(name = case$name, versions = versions, formula = case$formula, link = case$link,
       nAGQ = case$nAGQ, n_obs = nobs(m), loglik = as.numeric(logLik(m)), aic = AIC(m),
       thresholds = as.list(m$alpha), beta = as.list(m$beta),
       coef = list(term = rownames(cs), estimate = unname(cs[, 1]), se = unname(cs[, 2]),
                   z = unname(cs[, 3]), p = unname(cs[, 4])),
       vcov = unname(as.matrix(vcov(m))[seq_len(nrow(cs)), seq_len(nrow(cs))]),
       varcorr = clmm_varcorr(m),
       emmeans = lapply(case$emmeans, function(s) clmm_emmeans(m, case, s)),
       lrt = lapply(case$lrt, function(l) {
         small <- fit_model(case, d, l$small)
         big <- fit_model(case, d, l$big)
         ll <- c(logLik(small), logLik(big))
         npar <- c(attr(logLik(small), "df"), attr(logLik(big), "df"))
         chisq <- 2 * (ll[2] - ll[1])
         list(small = l$small, big = l$big, loglik = as.numeric(ll), chisq = chisq,
              df = diff(npar), p = pchisq(chisq, diff(npar), lower.tail = FALSE))
       }))
}

run_glmer <- function(case, d) {
  m <- fit_model(case, d)
  cs <- coef(summary(m))
  emm_tables <- lapply(case$emmeans, function(spec) {
    specs <- unlist(spec$specs)
    s <- summary(emmeans(m, specs = specs, type = "response"))
    summary_columns(s, specs)
  })
  pair_tables <- lapply(case$pairs, function(pr) {
    by <- unlist(pr$by)
    emm <- emmeans(m, specs = pr$factor, by = if (length(by)) by else NULL)
    p <- summary(pairs(emm, adjust = "none"), type = "response", infer = c(TRUE, TRUE))
    out <- summary_columns(p, c("contrast", by))
    out$z <- p$z.ratio
    out$p <- p$p.value
    out
  })
  list(name = case$name, versions = versions, formula = case$formula, family = case$family,
       link = case$link, nAGQ = case$nAGQ, n_obs = nobs(m), loglik = as.numeric(logLik(m)),
       aic = AIC(m), beta = as.list(fixef(m)), vcov = unname(as.matrix(vcov(m))),
       coef = list(term = rownames(cs), estimate = unname(cs[, 1]), se = unname(cs[, 2]),
                   z = unname(cs[, 3]), p = unname(cs[, 4])),
       theta = unname(getME(m, "theta")), varcorr = varcorr_list(VarCorr(m)),
       emmeans = emm_tables, pairs = pair_tables,
       lrt = lapply(case$lrt, function(l) {
         small <- fit_model(case, d, l$small)
         big <- fit_model(case, d, l$big)
         a <- anova(small, big)
         list(small = l$small, big = l$big, loglik = unname(a$logLik), chisq = unname(a$Chisq[2]),
              df = unname(a$Df[2]), p = unname(a[["Pr(>Chisq)"]][2]))
       }))
}

cases <- fromJSON(cases_file, simplifyVector = FALSE)
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
for (case in cases) {
  if (length(only) && !(case$name %in% only)) next
  d <- read_case_data(case)
  res <- withCallingHandlers(
    if (case$model == "clmm") run_clmm(case, d) else run_glmer(case, d),
    warning = function(w) invokeRestart("muffleWarning"),
    message = function(m) invokeRestart("muffleMessage"))
  write_json(res, file.path(out_dir, paste0(case$name, ".json")), auto_unbox = TRUE, digits = NA,
             null = "null", na = "null", pretty = TRUE)
  cat("wrote", case$name, "\n")
}
