# Writes the CSV inputs used by tests/unit/survival/cli.test.ts (the expected values come from
# cox.json and competing.json, produced by cox.R and competing.R from the same data).
# Run from the repository root:  Rscript tests/reference/survival/cli-csv.R
suppressMessages(library(survival))
ov <- survival::ovarian
write.csv(data.frame(futime = ov$futime, fustat = ov$fustat, age = ov$age, resid_ds = ov$resid.ds, rx = ov$rx,
                     ecog = paste0("ecog", ov$ecog.ps)),
          "tests/fixtures/survival/cli/ovarian.csv", row.names = FALSE, quote = FALSE)
# competing.R's second case, same seed and generator
source(textConnection(paste(readLines("tests/reference/survival/competing.R")[grep("^simulate <- function", readLines("tests/reference/survival/competing.R")):
  (grep("^simulate <- function", readLines("tests/reference/survival/competing.R")) + 12)], collapse = "\n")))
d <- simulate(12, 150, 2, 0)
write.csv(d, "tests/fixtures/survival/cli/competing.csv", row.names = FALSE, quote = FALSE)
