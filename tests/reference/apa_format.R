# Reference strings for tests/test_apa_format.py: how R rounds numbers for printing.
# sprintf() uses C's printf, the rounding a table made in R shows (papaja::printnum and
# apaTables build on formatC/sprintf too). The APA rules on top (no leading zero for
# statistics bounded by 1, the true minus sign, "< .001") are checked in the tests against
# the Publication Manual (7th ed., sections 6.36 and 6.40-6.44).
# Run: Rscript tests/reference/apa_format.R > tests/reference/apa_format.json
values <- c(0, 0.4172, -0.4172, 0.125, 0.135, 0.005, -0.005, -0.0049, 0.0451, 2.675,
            1.005, 0.995, 0.9995, -0.9999, 12.3456, 1234.5, -1234.5678, 16493.65914889545,
            0.00049, 0.0231, 0.99354, 0.0123608, 1e-12, -1e-12, 0.5, 1.5, 2.5)
two <- sprintf("%.2f", values)
three <- sprintf("%.3f", values)
big <- formatC(values, format = "f", digits = 2, big.mark = ",")
rows <- sprintf('    {"value": %.17g, "f2": "%s", "f3": "%s", "f2_comma": "%s"}',
                values, two, three, big)
cat("{\n")
cat(sprintf('  "R": "%s",\n', R.version.string))
cat('  "rows": [\n')
cat(paste(rows, collapse = ",\n"))
cat("\n  ]\n}\n")
