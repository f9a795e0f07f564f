# R survey peer for bench_estimation.py: times svydesign + svyby(..., svymean) only.
# usage: Rscript _peer_r.R DATA.csv OUT.csv
# DATA.csv has columns stratum, psu, weight, domain, y0..y9 (no missing values).
# OUT.csv: domain, variable, estimate, se (first row also carries `seconds` and survey version).
suppressMessages(library(survey))
args <- commandArgs(trailingOnly = TRUE)
df <- read.csv(args[1])
ys <- grep("^y", names(df), value = TRUE)
f <- as.formula(paste("~", paste(ys, collapse = " + ")))
tm <- system.time({
  d <- svydesign(ids = ~psu, strata = ~stratum, weights = ~weight, data = df, nest = TRUE)
  b <- svyby(f, ~domain, d, svymean)
})
est <- as.matrix(b[, ys, drop = FALSE]); se <- as.matrix(SE(b))
out <- data.frame(domain = rep(b$domain, times = length(ys)), variable = rep(ys, each = nrow(b)),
                  estimate = as.vector(est), se = as.vector(se))
out$seconds <- unname(tm["elapsed"])
out$version <- as.character(packageVersion("survey"))
write.csv(out, args[2], row.names = FALSE)
cat(sprintf("R survey: %.3f s\n", tm["elapsed"]))
