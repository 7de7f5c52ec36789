#!/usr/bin/env Rscript
# Golden fixtures for analysis.models, computed with lme4 + lmerTest + emmeans (+ pbkrtest).
#
# Usage (from the repository root):
#   Rscript tests/r/make_fixtures.R [cases.json] [out_dir] [case names...]
# Defaults: tests/r/cases.json and tests/stats/fixtures. Each case names a CSV under
# tests/stats/fixtures/data/ (any long table, e.g. an exported outcome table, optionally filtered
# with "filter": {"outcome": "VL_mean_cycle"}), a formula and the quantities to record. One JSON
# file per case is written to out_dir, with the versions of R and of the packages used.
suppressPackageStartupMessages({
  library(lme4)
  library(lmerTest)
  library(emmeans)
  library(jsonlite)
})
options(contrasts = c("contr.sum", "contr.poly"))
emm_options(msg.interaction = FALSE, msg.nesting = FALSE)

args <- commandArgs(trailingOnly = TRUE)
cases_file <- if (length(args) >= 1) args[1] else "tests/r/cases.json"
out_dir <- if (length(args) >= 2) args[2] else "tests/stats/fixtures"
only <- if (length(args) >= 3) args[3:length(args)] else character(0)
data_dir <- file.path(dirname(cases_file), "..", "stats", "fixtures", "data")
if (!dir.exists(data_dir)) data_dir <- "tests/stats/fixtures/data"

versions <- list(
  R = paste(R.version$major, R.version$minor, sep = "."),
  lme4 = as.character(packageVersion("lme4")),
  lmerTest = as.character(packageVersion("lmerTest")),
  emmeans = as.character(packageVersion("emmeans")),
  pbkrtest = as.character(packageVersion("pbkrtest")),
  numDeriv = as.character(packageVersion("numDeriv")),
  jsonlite = as.character(packageVersion("jsonlite"))
)

sleep_csv <- file.path(data_dir, "sleepstudy.csv")
if (!file.exists(sleep_csv)) {
  d <- lme4::sleepstudy
  d$Subject <- paste0("s", as.character(d$Subject))
  write.csv(d, sleep_csv, row.names = FALSE)
}

penicillin_csv <- file.path(data_dir, "penicillin.csv")
if (!file.exists(penicillin_csv)) {
  d <- lme4::Penicillin
  d$plate <- as.character(d$plate)
  d$sample <- as.character(d$sample)
  write.csv(d, penicillin_csv, row.names = FALSE)
}

read_case_data <- function(case) {
  d <- read.csv(file.path(data_dir, case$data), stringsAsFactors = FALSE)
  if (!is.null(case$filter)) {
    for (col in names(case$filter)) d <- d[!is.na(d[[col]]) & d[[col]] == case$filter[[col]], ]
  }
  if (!is.null(case$scale)) d[[case$response]] <- d[[case$response]] * case$scale
  for (col in names(case$levels)) d[[col]] <- factor(d[[col]], levels = unlist(case$levels[[col]]))
  for (col in unlist(case$factors)) if (!is.factor(d[[col]])) d[[col]] <- factor(d[[col]])
  for (col in names(d)) if (is.character(d[[col]])) d[[col]] <- factor(d[[col]])
  d
}

coef_table <- function(m, ddf) {
  s <- tryCatch(coef(summary(m, ddf = ddf)), error = function(e) NULL)
  if (is.null(s)) return(NULL)
  list(term = rownames(s), estimate = unname(s[, "Estimate"]), se = unname(s[, "Std. Error"]),
       df = unname(s[, "df"]), t = unname(s[, "t value"]), p = unname(s[, "Pr(>|t|)"]))
}

anova_table <- function(m, ddf) {
  a <- tryCatch(anova(m, type = 3, ddf = ddf), error = function(e) NULL)
  if (is.null(a)) return(NULL)
  list(term = rownames(a), F = unname(a[, "F value"]), num_df = unname(a[, "NumDF"]),
       den_df = unname(a[, "DenDF"]), p = unname(a[, "Pr(>F)"]))
}

varcorr_table <- function(m) {
  v <- as.data.frame(VarCorr(m))
  list(group = v$grp, term1 = v$var1, term2 = v$var2, vcov = v$vcov, sdcor = v$sdcor)
}

# Summed variance components (random variances averaged over the design, plus residual) as a
# function of lmerTest's variance parameters (theta, sigma).
total_variance_fun <- function(m) {
  mm <- getME(m, "mmList")
  function(vp) {
    th <- vp[-length(vp)]
    s <- vp[length(vp)]
    tot <- s^2
    off <- 0
    for (k in seq_along(mm)) {
      x <- as.matrix(mm[[k]])
      q <- ncol(x)
      nt <- q * (q + 1) / 2
      tm <- matrix(0, q, q)
      tm[lower.tri(tm, diag = TRUE)] <- th[off + seq_len(nt)]
      off <- off + nt
      sig <- s^2 * tm %*% t(tm)
      tot <- tot + mean(rowSums((x %*% sig) * x))
    }
    tot
  }
}

effect_sizes <- function(m, est, se, df, level = 0.95) {
  f <- total_variance_fun(m)
  vp <- c(getME(m, "theta"), sigma(m))
  tv <- f(vp)
  g <- numDeriv::grad(f, vp)
  var_tv <- max(drop(t(g) %*% m@vcov_varpar %*% g), 0)
  d <- est / sqrt(tv)
  se_d <- sqrt(se^2 / tv + d^2 * var_tv / (4 * tv^2))
  crit <- qt(0.5 + level / 2, df)
  list(total_variance = tv, effect_size = d, es_se = se_d, es_ci_low = d - crit * se_d,
       es_ci_high = d + crit * se_d)
}

contrast_summary <- function(emm, vecs) {
  s <- as.data.frame(summary(contrast(emm, method = vecs, adjust = "none"), infer = c(TRUE, TRUE)))
  list(contrast = as.character(s$contrast), estimate = s$estimate, se = s$SE, df = s$df,
       ci_low = s$lower.CL, ci_high = s$upper.CL, t = s$t.ratio, p = s$p.value)
}

match_rows <- function(grid, values) {
  ok <- rep(TRUE, nrow(grid))
  for (n in names(values)) ok <- ok & as.character(grid[[n]]) == values[[n]]
  as.numeric(ok)
}

pair_contrasts <- function(m, pr, lmer_df) {
  by <- unlist(pr$by)
  emm <- emmeans(m, specs = c(pr$factor, by), lmer.df = lmer_df)
  grid <- as.data.frame(summary(emm))
  combos <- if (length(by)) unique(grid[, by, drop = FALSE]) else data.frame(row.names = 1)
  vecs <- list()
  labels <- list()
  for (i in seq_len(nrow(combos))) {
    cond <- if (length(by)) lapply(setNames(by, by), function(b) as.character(combos[i, b])) else list()
    a <- match_rows(grid, c(setNames(list(pr$a), pr$factor), cond))
    b <- match_rows(grid, c(setNames(list(pr$b), pr$factor), cond))
    nm <- paste0(pr$a, " - ", pr$b, if (length(by)) paste0(" | ", paste(names(cond), "=", unlist(cond), collapse = ", ")) else "")
    vecs[[nm]] <- a - b
    labels[[nm]] <- cond
  }
  out <- contrast_summary(emm, vecs)
  out$by <- unname(labels)
  out
}

interaction_contrasts <- function(m, ic, lmer_df) {
  emm <- emmeans(m, specs = c(ic$factor, ic$across), lmer.df = lmer_df)
  grid <- as.data.frame(summary(emm))
  lev <- levels(grid[[ic$across]])
  vecs <- list()
  for (l in lev[-1]) {
    cell <- function(f, a) match_rows(grid, setNames(list(f, a), c(ic$factor, ic$across)))
    v <- cell(ic$a, l) - cell(ic$b, l) - cell(ic$a, lev[1]) + cell(ic$b, lev[1])
    vecs[[paste0(ic$across, " = ", l, " vs ", lev[1])]] <- v
  }
  out <- contrast_summary(emm, vecs)
  out$level <- lev[-1]
  out$reference <- lev[1]
  out
}

emmeans_table <- function(m, spec, lmer_df) {
  emm <- emmeans(m, specs = unlist(spec$specs), by = unlist(spec$by), lmer.df = lmer_df)
  s <- as.data.frame(summary(emm))
  cols <- c(unlist(spec$specs), unlist(spec$by))
  out <- lapply(setNames(cols, cols), function(n) as.character(s[[n]]))
  c(out, list(emmean = s$emmean, se = s$SE, df = s$df, ci_low = s$lower.CL, ci_high = s$upper.CL))
}

r2_icc <- function(m) {
  x <- getME(m, "X")
  var_f <- var(drop(x %*% fixef(m)))
  vp <- c(getME(m, "theta"), sigma(m))
  tv <- total_variance_fun(m)(vp)
  var_r <- tv - sigma(m)^2
  list(var_fixed = var_f, var_random = var_r, var_residual = sigma(m)^2,
       r2_marginal = var_f / (var_f + tv), r2_conditional = (var_f + var_r) / (var_f + tv),
       icc_adjusted = var_r / tv)
}

# R's defaults: treatment contrasts; with the case's level order and with alphabetical levels
# (factor() of text columns, what an R user gets without relevelling).
r_conventions <- function(case, f) {
  one <- function(d) {
    op <- options(contrasts = c("contr.treatment", "contr.poly"))
    on.exit(options(op))
    mt <- lmerTest::lmer(f, data = d, REML = TRUE)
    ll <- logLik(mt)
    list(loglik = as.numeric(ll), df = attr(ll, "df"), aic = AIC(mt), bic = BIC(mt),
         coef = coef_table(mt, "Satterthwaite"))
  }
  alpha_case <- case
  alpha_case$levels <- NULL
  list(treatment = one(read_case_data(case)), r_default = one(read_case_data(alpha_case)))
}

pairwise_tables <- function(m, pw) {
  by <- unlist(pw$by)
  emm <- emmeans(m, specs = pw$factor, by = by, lmer.df = "satterthwaite")
  out <- list()
  for (a in c("tukey", "sidak", "bonferroni", "holm", "fdr", "none")) {
    s <- as.data.frame(summary(pairs(emm, adjust = a), infer = c(TRUE, TRUE)))
    res <- list(contrast = as.character(s$contrast), estimate = s$estimate, se = s$SE,
                df = s$df, t = s$t.ratio, p_adj = s$p.value, ci_low = s$lower.CL,
                ci_high = s$upper.CL)
    for (b in by) res[[b]] <- as.character(s[[b]])
    out[[a]] <- res
  }
  out
}

run_case <- function(case) {
  d <- read_case_data(case)
  f <- as.formula(case$formula)
  m <- lmerTest::lmer(f, data = d, REML = TRUE)
  out <- list(name = case$name, versions = versions, formula = case$formula,
              n_obs = nobs(m), singular = isSingular(m), theta = unname(getME(m, "theta")),
              sigma = sigma(m), loglik_reml = as.numeric(logLik(m)), reml_criterion = unname(REMLcrit(m)),
              beta = as.list(fixef(m)), vcov = unname(as.matrix(vcov(m))),
              varcorr = varcorr_table(m),
              coef_satterthwaite = coef_table(m, "Satterthwaite"),
              anova_satterthwaite = anova_table(m, "Satterthwaite"),
              r2_icc = r2_icc(m), aic = AIC(m), bic = BIC(m),
              conventions = r_conventions(case, f))
  if (isTRUE(case$kr)) {
    out$coef_kenward_roger <- coef_table(m, "Kenward-Roger")
    out$anova_kenward_roger <- anova_table(m, "Kenward-Roger")
  }
  if (isTRUE(case$ml)) {
    mm <- lmerTest::lmer(f, data = d, REML = FALSE)
    out$ml <- list(loglik = as.numeric(logLik(mm)), theta = unname(getME(mm, "theta")),
                   sigma = sigma(mm), beta = as.list(fixef(mm)),
                   coef_satterthwaite = coef_table(mm, "Satterthwaite"))
  }
  if (isTRUE(case$diagnostics)) {
    re <- as.data.frame(ranef(m))
    out$ranef <- list(group = as.character(re$grpvar), term = as.character(re$term),
                      group_level = as.character(re$grp), effect = re$condval)
    out$fitted <- unname(fitted(m))
    out$residuals <- unname(residuals(m))
  }
  out$emmeans <- lapply(case$emmeans, function(s) emmeans_table(m, s, "satterthwaite"))
  out$pairs <- lapply(case$pairs, function(pr) {
    res <- pair_contrasts(m, pr, "satterthwaite")
    res$effect <- effect_sizes(m, res$estimate, res$se, res$df)
    if (isTRUE(case$kr)) res$kenward_roger <- pair_contrasts(m, pr, "kenward-roger")
    res
  })
  out$pairwise <- lapply(case$pairwise, function(pw) pairwise_tables(m, pw))
  out$interactions <- lapply(case$interactions, function(ic) {
    res <- interaction_contrasts(m, ic, "satterthwaite")
    res$effect <- effect_sizes(m, res$estimate, res$se, res$df)
    res
  })
  out$lrt <- lapply(case$lrt, function(l) {
    small <- lmerTest::lmer(as.formula(l$small), data = d, REML = TRUE)
    big <- lmerTest::lmer(as.formula(l$big), data = d, REML = TRUE)
    same_fixed <- setequal(names(fixef(small)), names(fixef(big)))
    a <- anova(small, big, refit = !same_fixed)
    list(small = l$small, big = l$big, method = if (same_fixed) "REML" else "ML",
         loglik = unname(a[, "logLik"]), chisq = unname(a[2, "Chisq"]),
         df = unname(a[2, "Df"]), p = unname(a[2, "Pr(>Chisq)"]))
  })
  out
}

cases <- fromJSON(cases_file, simplifyVector = FALSE)
dir.create(out_dir, showWarnings = FALSE, recursive = TRUE)
for (case in cases) {
  if (length(only) && !(case$name %in% only)) next
  res <- withCallingHandlers(run_case(case), warning = function(w) invokeRestart("muffleWarning"),
                             message = function(m) invokeRestart("muffleMessage"))
  write_json(res, file.path(out_dir, paste0(case$name, ".json")), auto_unbox = TRUE, digits = NA,
             null = "null", na = "null", pretty = TRUE)
  cat("wrote", case$name, "\n")
}
