/* taskbench_openmp.c: Task-Bench-style METG with OpenMP tasks (`omp task
 * depend`), the peer of grt's task-bench on 1, 2, ... workers.
 *
 * One thread creates every point as a task; point (t, x) has depend(out) on
 * its own payload and depend(in) on the payloads of its dependences (an
 * iterator clause, since their number varies). Payloads are stored for every
 * point of the graph, so the only dependences are the graph's own (no
 * write-after-read from buffer reuse). Width = threads unless --width.
 *
 * Rows (ranks = OpenMP threads):
 *   taskbench_kernel,openmp,T,peak,<GFLOP/s>,GFLOP/s
 *   taskbench_<pattern>,openmp,T,metg50,<us>,us
 */
#include <omp.h>

#include "peer_util.h"
#include "taskbench_common.h"

static const char usage_head[] =
    "usage: taskbench_openmp [--threads 1,2] [flags]\n"
    "  Task-Bench METG(50%) with OpenMP tasks and depend clauses.\n"
    "  --threads LIST      thread counts to run (default 1 and all cores)\n";

typedef struct {
    int threads;
    long errors;
    double peak;
    tb_options_t opt;
} ctx_t;

static double run_graph(void *vctx, const tb_graph_t *g)
{
    ctx_t *c = vctx;
    int w = g->width;
    tb_payload_t *P = calloc((size_t)g->steps * (size_t)w, sizeof *P);
    long errors = 0;
    double dt = 0.0;
#pragma omp parallel num_threads(c->threads)
#pragma omp single
    {
        int cap = w > 8 ? w : 8;
        int *deps = malloc(sizeof(int) * (size_t)cap);
        double t0 = omp_get_wtime();
        for (long t = 0; t < g->steps; t++) {
            tb_payload_t *cur = &P[t * w], *prev = t > 0 ? &P[(t - 1) * w] : P;
            for (int x = 0; x < w; x++) {
                if (!tb_active(g, t, x))
                    continue;
                int nd = tb_deps(g, t, x, deps);
#pragma omp task firstprivate(t, x, cur, prev) depend(iterator(k = 0 : nd), in: prev[deps[k]]) \
    depend(out: cur[x]) shared(errors)
                {
                    int d[cap];
                    const tb_payload_t *in[cap];
                    int n = tb_deps(g, t, x, d);
                    for (int k = 0; k < n; k++)
                        in[k] = &prev[d[k]];
                    int bad = tb_execute(g, t, x, in, d, n, &cur[x]);
                    if (bad) {
#pragma omp atomic
                        errors += bad;
                    }
                }
                (void)nd; /* used only by the depend clause; gcc warns otherwise */
            }
        }
#pragma omp taskwait
        dt = omp_get_wtime() - t0;
        free(deps);
    }
    c->errors += errors;
    free(P);
    return dt;
}

static void one_pattern(const tb_pattern_t *p, void *vctx)
{
    ctx_t *c = vctx;
    peer_note("taskbench_openmp", "%s on %d threads", p->name, c->threads);
    tb_metg_result_t r = tb_metg(&c->opt, p, c->threads, c->peak, run_graph, c, stderr);
    c->peak = r.peak_flops; /* keep the highest peak seen (see tb_metg) */
    char kase[64];
    snprintf(kase, sizeof kase, "taskbench_%s", p->name);
    if (isnan(r.metg_s))
        peer_note("taskbench_openmp", "%s: no run reached 50%% efficiency; no METG row", p->name);
    else
        peer_row(kase, "openmp", c->threads, "metg50", r.metg_s * 1e6, "us");
}

int main(int argc, char **argv)
{
    static const char *const known[] = {TB_KNOWN_FLAGS, "threads=", NULL};
    char usage[2048];
    snprintf(usage, sizeof usage, "%s%s", usage_head, tb_usage_flags);
    peer_flags_check(argc, argv, known, usage);
    ctx_t c = {0};
    TB_PARSE_OPTIONS(&c.opt, argc, argv);
    int threads[8] = {1, omp_get_num_procs()};
    int nt = threads[1] > 1 ? 2 : 1;
    if (peer_flag_str(argc, argv, "threads"))
        nt = peer_parse_int_list(peer_flag_str(argc, argv, "threads"), threads, 8);

    int rc = 0;
    for (int i = 0; i < nt && rc == 0; i++) {
        c.threads = threads[i];
        /* No-runtime peak: every thread runs the kernel at the same time. */
        double slowest = 1e300;
#pragma omp parallel num_threads(c.threads) reduction(min : slowest)
        slowest = tb_kernel_rate(c.opt.max_iters, 10, omp_get_wtime);
        c.peak = slowest * c.threads;
        if (tb_for_each_pattern(&c.opt, one_pattern, &c) != 0)
            rc = 2;
        peer_row("taskbench_kernel", "openmp", c.threads, "peak", c.peak / 1e9, "GFLOP/s");
    }
    if (c.errors) {
        fprintf(stderr, "taskbench_openmp: %ld tasks saw wrong inputs\n", c.errors);
        rc = 1;
    }
    return rc;
}
