# Minimal JSON writer (jsonlite is not installed): numbers with %.17g, NA/NaN/Inf -> null.
# A(x) marks a vector that must stay a JSON array even when it has length 1.
A <- function(x) structure(x, json_array = TRUE)
toJSON <- function(x) {
  if (is.null(x)) return("null")
  if (is.list(x)) {
    nm <- names(x)
    items <- vapply(seq_along(x), function(i) toJSON(x[[i]]), "")
    if (!is.null(nm) && length(nm) && all(nm != "")) {
      return(paste0("{", paste0('"', nm, '":', items, collapse = ","), "}"))
    }
    return(paste0("[", paste(items, collapse = ","), "]"))
  }
  arr <- !is.null(attr(x, "json_array")) || length(x) != 1
  if (is.character(x) || is.factor(x)) {
    x <- as.character(x); s <- ifelse(is.na(x), "null", paste0('"', x, '"'))
  } else if (is.logical(x)) {
    s <- ifelse(is.na(x), "null", ifelse(x, "true", "false"))
  } else {
    x <- as.numeric(x); s <- ifelse(is.finite(x), sprintf("%.17g", x), "null")
  }
  if (arr) paste0("[", paste(s, collapse = ","), "]") else s
}
writeJSON <- function(x, file) writeLines(toJSON(x), file)
