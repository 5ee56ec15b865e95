# pivot.awk: one metric of results.csv as a whitespace table for gnuplot.
#
# Rows are labels, columns are series; the first line is the header
# ("label" then the series names), missing cells are NaN.
# Variables:
#   casere  regex a row's case must match (e.g. "^taskbench_[a-z]")
#   metric  the metric to take (e.g. "metg50")
#   strip   regex removed from the case to make the label (default: casere)
#   row     what labels rows: "case" (default), "ranks", or "case_ranks"
#   col     what names series: "variant" (default) or "variant_ranks"
#   exclude regex of cases to leave out (optional)
#   roworder space-separated labels to put first, in this order (optional)
# Usage: awk -v casere=... -v metric=... -f pivot.awk results.csv > table.dat

BEGIN { FS = ","; if (strip == "") strip = casere; if (row == "") row = "case"; if (col == "") col = "variant" }
NR == 1 && $1 == "case" { next }
NF != 6 || $1 !~ casere || $4 != metric { next }
exclude != "" && $1 ~ exclude { next }
{
    lab = $1; sub(strip, "", lab)
    if (row == "ranks") lab = $3
    else if (row == "case_ranks") lab = lab "/" $3
    s = (col == "variant_ranks") ? $2 "-" $3 : $2
    if (!(lab in hasrow)) { hasrow[lab] = 1; rows[++nr] = lab }
    if (!(s in hascol)) { hascol[s] = 1; cols[++nc] = s }
    cell[lab, s] = $5
}
END {
    if (nr == 0) exit 1
    # Rows named in roworder first, in that order; the rest as first seen.
    if (roworder != "") {
        n = split(roworder, want, " "); m = 0
        for (i = 1; i <= n; i++) if (want[i] in hasrow) { sorted[++m] = want[i]; used[want[i]] = 1 }
        for (i = 1; i <= nr; i++) if (!(rows[i] in used)) sorted[++m] = rows[i]
        for (i = 1; i <= nr; i++) rows[i] = sorted[i]
    }
    # Series in a stable order: grt first, then the rest alphabetically.
    for (i = 1; i <= nc; i++)
        for (j = i + 1; j <= nc; j++) {
            a = cols[i]; b = cols[j]
            ka = (a ~ /^grt/ ? "0" : "1") a; kb = (b ~ /^grt/ ? "0" : "1") b
            if (kb < ka) { cols[i] = b; cols[j] = a }
        }
    printf "label"
    for (j = 1; j <= nc; j++) printf " %s", cols[j]
    printf "\n"
    for (i = 1; i <= nr; i++) {
        printf "%s", rows[i]
        for (j = 1; j <= nc; j++) printf " %s", ((rows[i], cols[j]) in cell) ? cell[rows[i], cols[j]] : "NaN"
        printf "\n"
    }
}
