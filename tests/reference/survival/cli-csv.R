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

# MASS::Melanoma as competing risks (status 1 = melanoma death, 2 = alive, 3 = other death
# recoded to 0/1/2), with cmprsk::timepoints at 1000, 2000, 4000 days for the CLI's --times.
suppressMessages({ library(cmprsk); library(MASS) })
source("tests/reference/survival/json.R")
m <- MASS::Melanoma
m$st <- ifelse(m$status == 2, 0, ifelse(m$status == 1, 1, 2))
write.csv(m[, c("time", "st", "sex", "age", "thickness")], "tests/fixtures/survival/cli/melanoma.csv", row.names = FALSE, quote = FALSE)
tp <- timepoints(cuminc(m$time, m$st, m$sex), c(1000, 2000, 4000))
writeJSON(list(call = "timepoints(cuminc(time, st, sex), c(1000, 2000, 4000))", curves = A(rownames(tp$est)),
               times = A(c(1000, 2000, 4000)), est = A(as.vector(t(tp$est))), var = A(as.vector(t(tp$var)))),
          "tests/fixtures/survival/cli/melanoma-timepoints.json")
