# Reference for tests/test_points_breakage.py: time from earning to redemption per point.
# Run: Rscript tests/reference/r_points_survival.R  (from the repository root)
# Input: r_points_survival_ledger.csv, one earn row per member (so which points a redemption
# uses needs no FIFO rule), then redeem/expire rows; the evaluation date is 2025-06-30.
# Each outgoing row is a record (days since the earning, status, points); points still held
# are censored at the evaluation date. Weighted by points:
#   Aalen-Johansen: survfit(Surv(days, status) ~ 1, weights = points), status a factor
#     (censored first), pstate = (held, redeemed, other);
#   Kaplan-Meier of redemption with expiry censored: survfit(Surv(days, redeemed) ~ 1, weights).
suppressMessages(library(survival))
led <- read.csv("tests/reference/r_points_survival_ledger.csv", stringsAsFactors = FALSE)
led$date <- as.Date(led$date)
asof <- as.Date("2025-06-30")
earn <- led[led$type == "earn", c("member_id", "date", "points")]
names(earn) <- c("member_id", "earned_on", "earned")
out <- merge(led[led$type != "earn", ], earn, by = "member_id")
rec <- data.frame(days = as.numeric(out$date - out$earned_on),
                  status = ifelse(out$type == "redeem", "redeemed", "other"),
                  points = out$points)
used <- aggregate(points ~ member_id, data = out, FUN = sum)
held <- merge(earn, used, by = "member_id", all.x = TRUE)
held$points[is.na(held$points)] <- 0
held$left <- held$earned - held$points
held <- held[held$left > 0, ]
rec <- rbind(rec, data.frame(days = as.numeric(asof - held$earned_on), status = "censored",
                             points = held$left))
rec$status <- factor(rec$status, levels = c("censored", "redeemed", "other"))
aj <- survfit(Surv(days, status) ~ 1, data = rec, weights = points)
km <- survfit(Surv(days, status == "redeemed") ~ 1, data = rec, weights = points)
ev <- aj$n.event[, 2] + aj$n.event[, 3] > 0
res <- list(
  source = paste("R", getRversion(), "survival", packageVersion("survival")),
  days = aj$time[ev],
  cif_redeemed = aj$pstate[ev, 2],
  cif_other = aj$pstate[ev, 3],
  survival = aj$pstate[ev, 1],
  km_days = km$time[km$n.event > 0],
  km_redeemed = 1 - km$surv[km$n.event > 0]
)
writeLines(jsonlite::toJSON(res, digits = NA, auto_unbox = TRUE),
           "tests/reference/r_points_survival.json")
