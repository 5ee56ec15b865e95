# report.awk: the comparison table of benchmarks/run, from results.csv.
#
# Input: CSV with header case,variant,ranks,metric,value,unit.
# For each (case, ranks, metric) that has a grt row, one line per peer variant
# with grt's value, the peer's value and grt/peer. Keys with no grt row print
# the peer values alone (grt and ratio shown as "-"). Time units (ns, us, ms,
# s) are marked lower-is-better and rates (*/s, x) higher-is-better, so the
# ratio reads the right way round; other units (1, counts) are unmarked.
# After the table: the stencil's bandwidth as a fraction of STREAM triad.
#
# Variables: fmt=text (default, aligned columns) or fmt=md (a Markdown table).
# Usage: awk -F, -v fmt=text -f report.awk results.csv

BEGIN { FS = ","; if (fmt == "") fmt = "text" }

NR == 1 && $1 == "case" { next }
NF != 6 { next }
{
    key = $1 SUBSEP $3 SUBSEP $4
    if (!($1 in cseen)) { cseen[$1] = 1; corder[++ncases] = $1 }
    if (!(($1, $3) in rseen)) { rseen[$1, $3] = 1; nr[$1]++; rorder[$1, nr[$1]] = $3 + 0 }
    if (!(($1, $4) in mseen)) { mseen[$1, $4] = 1; nm[$1]++; morder[$1, nm[$1]] = $4 }
    seen[key] = 1
    unit[key] = $6
    if ($2 == "grt") { grt[key] = $5 }
    else {
        vk = key SUBSEP $2
        if (!(vk in val)) { nv[key]++; vname[key, nv[key]] = $2 }
        val[vk] = $5
    }
}

function num(x) {
    if (x == "" || x == "-") return "-"
    if (x + 0 == 0) return "0"
    ax = (x < 0) ? -x : x
    if (ax >= 1e6 || ax < 1e-3) return sprintf("%.3e", x)
    return sprintf("%.4g", x)
}

function better(u) {
    if (u == "ns" || u == "us" || u == "ms" || u == "s") return "lower"
    if (u ~ /\/s$/ || u == "x") return "higher"
    return "-"
}

function line(c, r, m, u, b, g, p, pv, ratio) {
    if (fmt == "md")
        printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", c, r, m, u, b, g, p, pv, ratio
    else
        printf "%-28s %5s  %-20s %-8s %-6s %12s  %-8s %12s  %9s\n", c, r, m, u, b, g, p, pv, ratio
}

END {
    if (fmt == "md") {
        print "| case | ranks | metric | unit | better | grt | peer | peer value | grt/peer |"
        print "|---|---:|---|---|---|---:|---|---:|---:|"
    } else {
        line("case", "ranks", "metric", "unit", "better", "grt", "peer", "peer value", "grt/peer")
        line("----", "-----", "------", "----", "------", "---", "----", "----------", "--------")
    }
    # Cases in order of first appearance; in a case, ranks ascending, then
    # metrics in order of first appearance.
    nkeys = 0
    for (c = 1; c <= ncases; c++) {
        cs = corder[c]
        for (a = 1; a <= nr[cs]; a++)
            for (b = a + 1; b <= nr[cs]; b++)
                if (rorder[cs, b] < rorder[cs, a]) { t = rorder[cs, a]; rorder[cs, a] = rorder[cs, b]; rorder[cs, b] = t }
        for (a = 1; a <= nr[cs]; a++)
            for (m = 1; m <= nm[cs]; m++) {
                key = cs SUBSEP rorder[cs, a] SUBSEP morder[cs, m]
                if (key in seen) order[++nkeys] = key
            }
    }
    for (i = 1; i <= nkeys; i++) {
        key = order[i]
        split(key, k, SUBSEP)
        g = (key in grt) ? grt[key] : ""
        b = better(unit[key])
        if (nv[key] == 0) {
            line(k[1], k[2], k[3], unit[key], b, num(g), "-", "-", "-")
            continue
        }
        for (j = 1; j <= nv[key]; j++) {
            v = vname[key, j]
            pv = val[key SUBSEP v]
            ratio = "-"
            if (g != "" && pv + 0 != 0) ratio = sprintf("%.3f", g / pv)
            line(k[1], k[2], k[3], unit[key], b, num(g), v, num(pv), ratio)
        }
    }

    # Stencil bandwidth as a fraction of STREAM triad on the same number of
    # processors (issue 7: grt's stencil should reach >= 80%).
    hdr = 0
    for (i = 1; i <= nkeys; i++) {
        split(order[i], k, SUBSEP)
        if (k[1] != "jacobi" || k[3] != "bandwidth") continue
        skey = "stream_triad" SUBSEP k[2] SUBSEP "bandwidth"
        sv = val[skey SUBSEP "stream"]
        if (sv == "" || sv + 0 == 0) continue
        if (!hdr) {
            hdr = 1
            print ""
            if (fmt == "md") { print "| stencil vs STREAM | ranks | variant | jacobi GB/s | triad GB/s | fraction |"; print "|---|---:|---|---:|---:|---:|" }
            else printf "%-28s %5s  %-8s %12s %12s %9s\n", "stencil vs STREAM", "ranks", "variant", "jacobi GB/s", "triad GB/s", "fraction"
        }
        if (order[i] in grt) vlist = "grt"; else vlist = ""
        for (j = 1; j <= nv[order[i]]; j++) vlist = vlist " " vname[order[i], j]
        nvl = split(vlist, vs, " ")
        for (j = 1; j <= nvl; j++) {
            jv = (vs[j] == "grt") ? grt[order[i]] : val[order[i] SUBSEP vs[j]]
            if (fmt == "md") printf "| jacobi / stream_triad | %s | %s | %s | %s | %.2f |\n", k[2], vs[j], num(jv), num(sv), jv / sv
            else printf "%-28s %5s  %-8s %12s %12s %9.2f\n", "jacobi / stream_triad", k[2], vs[j], num(jv), num(sv), jv / sv
        }
    }
}
